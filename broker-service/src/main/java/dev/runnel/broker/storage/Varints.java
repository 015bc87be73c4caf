package dev.runnel.broker.storage;

import java.nio.ByteBuffer;

/**
 * Reads zig-zag variable-length integers (protobuf's encoding, as RecordBatch v2 records use
 * them) at absolute positions of a buffer, never past a limit. One cursor walks all the records
 * of a batch without allocating: validation of a 1 MiB batch walks about 10,000 records on the
 * append path. Not thread-safe.
 */
final class Varints {

    private final ByteBuffer buffer;
    private int position;
    private int limit;

    Varints(ByteBuffer buffer, int position, int limit) {
        this.buffer = buffer;
        this.position = position;
        this.limit = limit;
    }

    int position() {
        return position;
    }

    int remaining() {
        return limit - position;
    }

    /** Narrows the readable range to end at {@code newLimit} (a record's end); returns the old limit. */
    int limitTo(int newLimit) {
        int old = limit;
        limit = newLimit;
        return old;
    }

    void skip(int bytes) {
        if (bytes < 0 || bytes > limit - position) {
            throw new IllegalArgumentException("cannot skip " + bytes + " bytes, " + (limit - position) + " remain");
        }
        position += bytes;
    }

    byte readByte() {
        if (position >= limit) {
            throw new IllegalArgumentException("record ends early");
        }
        return buffer.get(position++);
    }

    int readVarint() {
        byte first = readByte();
        if (first >= 0) {
            return (first >>> 1) ^ -(first & 1);
        }
        int raw = first & 0x7f;
        int shift = 7;
        byte current;
        do {
            if (shift > 28) {
                throw new IllegalArgumentException("varint is longer than 5 bytes");
            }
            current = readByte();
            raw |= (current & 0x7f) << shift;
            shift += 7;
        } while (current < 0);
        return (raw >>> 1) ^ -(raw & 1);
    }

    long readVarlong() {
        long raw = 0;
        int shift = 0;
        byte current;
        do {
            if (shift > 63) {
                throw new IllegalArgumentException("varlong is longer than 10 bytes");
            }
            current = readByte();
            raw |= (long) (current & 0x7f) << shift;
            shift += 7;
        } while (current < 0);
        return (raw >>> 1) ^ -(raw & 1);
    }
}
