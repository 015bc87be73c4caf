package dev.runnel.broker.storage;

import java.nio.ByteBuffer;

/** Zig-zag variable-length integers as RecordBatch v2 records use them (protobuf's encoding). */
final class Varints {

    private Varints() {
    }

    static int readVarint(ByteBuffer b) {
        int raw = 0;
        int shift = 0;
        byte current;
        do {
            if (shift > 28) {
                throw new IllegalArgumentException("varint is longer than 5 bytes");
            }
            current = b.get();
            raw |= (current & 0x7f) << shift;
            shift += 7;
        } while ((current & 0x80) != 0);
        return (raw >>> 1) ^ -(raw & 1);
    }

    static long readVarlong(ByteBuffer b) {
        long raw = 0;
        int shift = 0;
        byte current;
        do {
            if (shift > 63) {
                throw new IllegalArgumentException("varlong is longer than 10 bytes");
            }
            current = b.get();
            raw |= (long) (current & 0x7f) << shift;
            shift += 7;
        } while ((current & 0x80) != 0);
        return (raw >>> 1) ^ -(raw & 1);
    }
}
