package dev.runnel.broker.storage;

import static dev.runnel.broker.storage.RecordBatchHeader.HEADER_SIZE;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;

import dev.runnel.broker.kafka.KafkaRecordBatches;
import dev.runnel.broker.kafka.RecordCodec;

/**
 * Checks the batches of an append before any byte reaches a segment, and assigns offsets for a
 * leader append.
 *
 * <p>Everything is validated first and rewritten second, so a request whose third batch is bad
 * leaves the first two untouched as well as the log. A leader append checks every record's
 * framing and offset delta (decompressing compressed batches, as Kafka's leader does); a follower
 * append trusts the leader's record contents once the CRC matches, and checks only that its
 * offsets continue the log. Stateless.
 */
final class BatchValidator {

    private BatchValidator() {
    }

    /**
     * Validates {@code records} (whole v2 batches between position and limit) for a leader append
     * and, if all pass, rewrites each batch's base offset (from {@code nextOffset}) and partition
     * leader epoch in place.
     */
    static AppendInfo validateAsLeader(ByteBuffer records, long nextOffset, int leaderEpoch, int maxMessageBytes) {
        Summary summary = scan(records, maxMessageBytes, true, nextOffset);
        long offset = nextOffset;
        for (int at = records.position(); at < records.limit(); at += RecordBatchHeader.sizeInBytes(records, at)) {
            RecordBatchHeader.setBaseOffset(records, at, offset);
            RecordBatchHeader.setPartitionLeaderEpoch(records, at, leaderEpoch);
            offset += RecordBatchHeader.lastOffsetDelta(records, at) + 1L;
        }
        return summary.toAppendInfo(nextOffset, offset - 1, leaderEpoch);
    }

    /** Validates {@code records} for a follower append: offsets as the leader assigned them, from {@code nextOffset} on. */
    static AppendInfo validateAsFollower(ByteBuffer records, long nextOffset, int maxMessageBytes) {
        Summary summary = scan(records, maxMessageBytes, false, nextOffset);
        int first = records.position();
        int last = summary.lastBatchStart;
        return summary.toAppendInfo(RecordBatchHeader.baseOffset(records, first),
                RecordBatchHeader.lastOffset(records, last), RecordBatchHeader.partitionLeaderEpoch(records, first));
    }

    /**
     * Checks one batch's frame at {@code at}: enough bytes, magic 2, a size that fits, a matching
     * CRC. The whole batch must be in {@code b}.
     *
     * @param available bytes from {@code at} to the end of what was read
     * @return the batch's size in bytes
     */
    static int checkFrame(ByteBuffer b, int at, int available, int maxMessageBytes) {
        int size = checkHeader(b, at, available, maxMessageBytes);
        if (!RecordBatchHeader.isCrcValid(b, at)) {
            throw corrupt("batch at base offset " + RecordBatchHeader.baseOffset(b, at) + " fails its CRC");
        }
        return size;
    }

    /**
     * Checks a batch header at {@code at} without its CRC: enough bytes for the header and the
     * size it claims, magic 2, size within {@code maxMessageBytes}. Recovery uses this and then
     * checks the CRC by streaming the batch from the file.
     *
     * @param available bytes of the batch from {@code at} on (in the buffer, or in the file)
     * @return the batch's size in bytes
     */
    static int checkHeader(ByteBuffer b, int at, int available, int maxMessageBytes) {
        int readable = Math.min(available, b.limit() - at);
        if (readable > RecordBatchHeader.MAGIC && RecordBatchHeader.magic(b, at) != RecordBatchHeader.MAGIC_V2) {
            throw new LogException(LogError.UNSUPPORTED_MAGIC,
                    "record batch magic " + RecordBatchHeader.magic(b, at) + " is not supported; only 2 is");
        }
        if (readable < HEADER_SIZE) {
            throw corrupt("batch header is cut short: " + readable + " bytes");
        }
        int size = RecordBatchHeader.sizeInBytes(b, at);
        if (size < HEADER_SIZE) {
            throw corrupt("batch size " + size + " is smaller than the " + HEADER_SIZE + "-byte header");
        }
        if (size > maxMessageBytes) {
            throw new LogException(LogError.RECORD_TOO_LARGE,
                    "batch of " + size + " bytes is larger than max.message.bytes " + maxMessageBytes);
        }
        if (size > available) {
            throw corrupt("batch claims " + size + " bytes but only " + available + " follow");
        }
        return size;
    }

    private static Summary scan(ByteBuffer records, int maxMessageBytes, boolean leader, long nextOffset) {
        if (!records.hasRemaining()) {
            throw new LogException(LogError.INVALID_RECORD, "append holds no record batch");
        }
        Summary summary = new Summary();
        long expectedOffset = nextOffset;
        for (int at = records.position(); at < records.limit(); ) {
            int size = checkFrame(records, at, records.limit() - at, maxMessageBytes);
            int count = RecordBatchHeader.recordCount(records, at);
            int lastDelta = RecordBatchHeader.lastOffsetDelta(records, at);
            if (leader) {
                if (RecordBatchHeader.isControl(records, at)) {
                    throw invalid("clients may not write control batches");
                }
                if (count <= 0 || lastDelta != count - 1) {
                    throw invalid("batch has " + count + " records but last offset delta " + lastDelta);
                }
                checkRecords(records, at, size, count);
            } else {
                long base = RecordBatchHeader.baseOffset(records, at);
                if (count < 0 || lastDelta < 0 || lastDelta < count - 1) {
                    throw invalid("batch has " + count + " records but last offset delta " + lastDelta);
                }
                if (base < expectedOffset) {
                    throw new LogException(LogError.UNEXPECTED_OFFSET,
                            "batch base offset " + base + " is below the expected " + expectedOffset);
                }
                expectedOffset = base + lastDelta + 1L;
            }
            summary.add(records, at, size, count, leader ? nextOffset + summary.offsetsSoFar + lastDelta : -1);
            summary.offsetsSoFar += lastDelta + 1L;
            at += size;
        }
        return summary;
    }

    /** Walks the records of one batch checking framing and that offset deltas run 0, 1, 2, ... */
    private static void checkRecords(ByteBuffer b, int at, int size, int count) {
        int codecId = RecordBatchHeader.codecId(b, at);
        RecordCodec codec = RecordCodec.forId(codecId);
        if (codec == null) {
            throw invalid("unknown compression codec id " + codecId);
        }
        if (codec != RecordCodec.NONE) {
            int[] deltas;
            try {
                deltas = KafkaRecordBatches.offsetDeltas(b.duplicate().position(at).limit(at + size));
            } catch (KafkaRecordBatches.InvalidRecordsException e) {
                throw invalid(e.getMessage());
            } catch (IllegalArgumentException e) {
                throw corrupt("compressed records are unreadable: " + e.getMessage());
            }
            if (deltas.length != count) {
                throw invalid("batch header says " + count + " records but holds " + deltas.length);
            }
            for (int i = 0; i < deltas.length; i++) {
                if (deltas[i] != i) {
                    throw invalid("record offset delta " + deltas[i] + " where " + i + " was expected");
                }
            }
            return;
        }
        ByteBuffer r = b.duplicate().position(at + HEADER_SIZE).limit(at + size);
        try {
            for (int i = 0; i < count; i++) {
                if (!r.hasRemaining()) {
                    throw invalid("batch header says " + count + " records but holds " + i);
                }
                int length = Varints.readVarint(r);
                if (length <= 0 || length > r.remaining()) {
                    throw corrupt("record " + i + " claims " + length + " bytes, " + r.remaining() + " remain");
                }
                int start = r.position();
                int end = start + length;
                ByteBuffer record = r.duplicate().limit(end);
                record.get(); // attributes
                Varints.readVarlong(record); // timestamp delta
                int delta = Varints.readVarint(record);
                if (delta != i) {
                    throw invalid("record offset delta " + delta + " where " + i + " was expected");
                }
                skipBytesField(record, true, "key");
                skipBytesField(record, true, "value");
                int headers = Varints.readVarint(record);
                if (headers < 0) {
                    throw corrupt("record " + i + " has " + headers + " headers");
                }
                for (int h = 0; h < headers; h++) {
                    skipBytesField(record, false, "header key");
                    skipBytesField(record, true, "header value");
                }
                if (record.hasRemaining()) {
                    throw corrupt("record " + i + " has " + record.remaining() + " bytes after its headers");
                }
                r.position(end);
            }
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw corrupt("record framing is broken: " + e.getMessage());
        }
        if (r.hasRemaining()) {
            throw invalid("batch header says " + count + " records but " + r.remaining() + " bytes follow them");
        }
    }

    /** Skips one varint-length-prefixed field; length -1 (null) is allowed where {@code nullable}. */
    private static void skipBytesField(ByteBuffer record, boolean nullable, String name) {
        int length = Varints.readVarint(record);
        if (length < (nullable ? -1 : 0) || length > record.remaining()) {
            throw corrupt("record " + name + " length " + length + " does not fit the " + record.remaining()
                    + " bytes left in the record");
        }
        if (length > 0) {
            record.position(record.position() + length);
        }
    }

    private static LogException corrupt(String message) {
        return new LogException(LogError.CORRUPT_RECORD, message);
    }

    private static LogException invalid(String message) {
        return new LogException(LogError.INVALID_RECORD, message);
    }

    /** Running totals of a scan. */
    private static final class Summary {
        long offsetsSoFar;
        long maxTimestamp = -1;
        long offsetOfMaxTimestamp = -1;
        int batches;
        int records;
        int bytes;
        int lastBatchStart;

        void add(ByteBuffer b, int at, int size, int count, long assignedLastOffset) {
            long ts = RecordBatchHeader.maxTimestamp(b, at);
            if (ts > maxTimestamp) {
                maxTimestamp = ts;
                offsetOfMaxTimestamp = assignedLastOffset >= 0 ? assignedLastOffset : RecordBatchHeader.lastOffset(b, at);
            }
            batches++;
            records += count;
            bytes += size;
            lastBatchStart = at;
        }

        AppendInfo toAppendInfo(long firstOffset, long lastOffset, int firstEpoch) {
            return new AppendInfo(firstOffset, lastOffset, maxTimestamp, offsetOfMaxTimestamp, batches, records,
                    bytes, firstEpoch);
        }
    }
}
