package dev.runnel.broker.storage;

import static dev.runnel.broker.storage.RecordBatchHeader.HEADER_SIZE;

import java.nio.ByteBuffer;

import dev.runnel.broker.record.KafkaRecordBatches;
import dev.runnel.broker.record.RecordCodec;

/**
 * Checks the batches of an append before any byte reaches a segment, and assigns offsets for a
 * leader append.
 *
 * <p>Two steps. {@link #checkFromClient} / {@link #checkFromLeader} look only at the bytes (frames,
 * CRC, record counts, record framing) and run before the log's lock is taken, so validation of
 * one producer's request does not hold up another's. {@link #assignOffsets} /
 * {@link #checkOffsets} relate the batches to the log end and run under the lock. Nothing is
 * rewritten until every check has passed, so a request whose third batch is bad leaves the first
 * two untouched as well as the log. A client's batches have every record walked (compressed ones
 * decompressed, as Kafka's leader does); a leader's batches are trusted once the CRC matches.
 * Stateless.
 */
final class BatchValidator {

    /** Batches whose bytes passed the checks: how many, and their records and bytes. */
    record Checked(int batches, int records, int bytes) {
    }

    private BatchValidator() {
    }

    /**
     * Checks a producer's batches (whole v2 batches between position and limit) under the log's
     * settings; with CreateTime, every record's timestamp must lie within
     * {@code message.timestamp.before.max.ms} / {@code after.max.ms} of {@code nowMs}.
     */
    static Checked checkFromClient(ByteBuffer records, LogConfig config, long nowMs) {
        return checkFromClient(records, AppendOrigin.CLIENT, config, nowMs);
    }

    /** {@link #checkFromClient}, except that a coordinator ({@link AppendOrigin#COORDINATOR}) may write control batches. */
    static Checked checkFromClient(ByteBuffer records, AppendOrigin origin, LogConfig config, long nowMs) {
        return scan(records, config.maxMessageBytes(), config.logAppendTime() ? null : config, nowMs, true,
                origin == AppendOrigin.COORDINATOR, config.compact());
    }

    /** Checks a leader's batches, for a follower append. */
    static Checked checkFromLeader(ByteBuffer records, int maxMessageBytes) {
        return scan(records, maxMessageBytes, null, 0, false, true, false);
    }

    /**
     * The checks of an append that need no lock: its size against {@code segment.bytes}, then
     * {@link #checkFromClient} for a leader's append or {@link #checkFromLeader} for a follower's.
     */
    static Checked checkAppend(ByteBuffer records, boolean asLeader, AppendOrigin origin, LogConfig config, long nowMs) {
        if (records.remaining() > config.segmentBytes()) {
            throw new LogException(LogError.RECORD_BATCH_TOO_LARGE, "append of " + records.remaining()
                    + " bytes is larger than segment.bytes " + config.segmentBytes());
        }
        // A follower takes the leader's batches whatever their size, as Kafka's does: the leader's
        // cleaner may have rewritten a batch larger than it came (recompressed, delete horizon set).
        return asLeader ? checkFromClient(records, origin, config, nowMs) : checkFromLeader(records, Integer.MAX_VALUE);
    }

    /**
     * Rewrites each checked batch's base offset (from {@code nextOffset}) and partition leader
     * epoch in place. Caller holds the log's lock.
     */
    static AppendInfo assignOffsets(ByteBuffer records, Checked checked, long nextOffset, int leaderEpoch,
            long logAppendTimeMs) {
        long offset = nextOffset;
        long maxTimestamp = -1;
        long offsetOfMaxTimestamp = -1;
        for (int at = records.position(); at < records.limit(); at += RecordBatchHeader.sizeInBytes(records, at)) {
            RecordBatchHeader.setBaseOffset(records, at, offset);
            RecordBatchHeader.setPartitionLeaderEpoch(records, at, leaderEpoch);
            if (logAppendTimeMs >= 0) {
                RecordBatchHeader.setLogAppendTime(records, at, logAppendTimeMs);
            }
            offset += RecordBatchHeader.lastOffsetDelta(records, at) + 1L;
            if (RecordBatchHeader.maxTimestamp(records, at) > maxTimestamp) {
                maxTimestamp = RecordBatchHeader.maxTimestamp(records, at);
                offsetOfMaxTimestamp = offset - 1;
            }
        }
        return new AppendInfo(nextOffset, offset - 1, maxTimestamp, offsetOfMaxTimestamp, checked.batches(),
                checked.records(), checked.bytes(), leaderEpoch, logAppendTimeMs, false);
    }

    /**
     * Checks that a leader's batches continue the log from {@code nextOffset} with rising
     * offsets (gaps allowed, as compaction leaves them). Caller holds the log's lock.
     */
    static AppendInfo checkOffsets(ByteBuffer records, Checked checked, long nextOffset) {
        long expected = nextOffset;
        long maxTimestamp = -1;
        long offsetOfMaxTimestamp = -1;
        for (int at = records.position(); at < records.limit(); at += RecordBatchHeader.sizeInBytes(records, at)) {
            long base = RecordBatchHeader.baseOffset(records, at);
            if (base < expected) {
                throw new LogException(LogError.UNEXPECTED_OFFSET,
                        "batch base offset " + base + " is below the expected " + expected);
            }
            expected = RecordBatchHeader.lastOffset(records, at) + 1;
            if (RecordBatchHeader.maxTimestamp(records, at) > maxTimestamp) {
                maxTimestamp = RecordBatchHeader.maxTimestamp(records, at);
                offsetOfMaxTimestamp = expected - 1;
            }
        }
        int first = records.position();
        return new AppendInfo(RecordBatchHeader.baseOffset(records, first), expected - 1, maxTimestamp,
                offsetOfMaxTimestamp, checked.batches(), checked.records(), checked.bytes(),
                RecordBatchHeader.partitionLeaderEpoch(records, first));
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

    /**
     * @param timestamps   the settings to check CreateTime timestamps against, or null to not check them
     * @param allowControl whether control batches (transaction markers) may be appended
     * @param requireKeys  a compacted topic's: a record without a key is refused, as Kafka's leader does
     */
    private static Checked scan(ByteBuffer records, int maxMessageBytes, LogConfig timestamps, long nowMs,
            boolean fromClient, boolean allowControl, boolean requireKeys) {
        if (!records.hasRemaining()) {
            throw new LogException(LogError.INVALID_RECORD, "append holds no record batch");
        }
        int batches = 0;
        int recordCount = 0;
        for (int at = records.position(); at < records.limit(); ) {
            int size = checkFrame(records, at, records.limit() - at, maxMessageBytes);
            int count = RecordBatchHeader.recordCount(records, at);
            int lastDelta = RecordBatchHeader.lastOffsetDelta(records, at);
            if (fromClient) {
                if (RecordBatchHeader.isControl(records, at) && !allowControl) {
                    throw invalid("clients may not write control batches");
                }
                if (count <= 0 || lastDelta != count - 1) {
                    throw invalid("batch has " + count + " records but last offset delta " + lastDelta);
                }
                long[] range = checkRecords(records, at, size, count, requireKeys);
                if (timestamps != null) {
                    checkTimestamps(range, timestamps, nowMs);
                }
            } else if (count < 0 || lastDelta < 0 || lastDelta < count - 1) {
                throw invalid("batch has " + count + " records but last offset delta " + lastDelta);
            }
            batches++;
            recordCount += count;
            at += size;
        }
        return new Checked(batches, recordCount, records.remaining());
    }

    /**
     * Rejects a batch holding a record timestamp too far from now (CreateTime), as Kafka's leader
     * does; -1 (no timestamp) is allowed.
     */
    private static void checkTimestamps(long[] range, LogConfig config, long nowMs) {
        for (long timestamp : range) {
            if (timestamp == -1) {
                continue;
            }
            long age = nowMs - timestamp;
            if (age > config.timestampBeforeMaxMs() || -age > config.timestampAfterMaxMs()) {
                throw new LogException(LogError.INVALID_TIMESTAMP, "record timestamp " + timestamp + " is "
                        + (age > 0 ? age + " ms before" : -age + " ms after") + " the broker's time " + nowMs
                        + ", outside message.timestamp.before.max.ms " + config.timestampBeforeMaxMs()
                        + " / message.timestamp.after.max.ms " + config.timestampAfterMaxMs());
            }
        }
    }

    /**
     * Walks the records of one batch checking framing and that offset deltas run 0, 1, 2, ...
     *
     * @return the smallest and the largest record timestamp
     */
    private static long[] checkRecords(ByteBuffer b, int at, int size, int count, boolean requireKeys) {
        int codecId = RecordBatchHeader.codecId(b, at);
        RecordCodec codec = RecordCodec.forId(codecId);
        if (codec == null) {
            throw invalid("unknown compression codec id " + codecId);
        }
        if (codec != RecordCodec.NONE) {
            KafkaRecordBatches.RecordsShape shape;
            try {
                shape = KafkaRecordBatches.inspect(b.duplicate().position(at).limit(at + size));
            } catch (KafkaRecordBatches.InvalidRecordsException e) {
                throw invalid(e.getMessage());
            } catch (IllegalArgumentException e) {
                throw corrupt("compressed records are unreadable: " + e.getMessage());
            }
            if (shape.count() != count) {
                throw invalid("batch header says " + count + " records but holds " + shape.count());
            }
            if (requireKeys && shape.firstKeyless() >= 0) {
                throw keyless(shape.firstKeyless());
            }
            return new long[] {shape.minTimestamp(), shape.maxTimestamp()};
        }
        long baseTimestamp = RecordBatchHeader.baseTimestamp(b, at);
        long minDelta = Long.MAX_VALUE;
        long maxDelta = Long.MIN_VALUE;
        Varints r = new Varints(b, at + HEADER_SIZE, at + size);
        try {
            for (int i = 0; i < count; i++) {
                if (r.remaining() == 0) {
                    throw invalid("batch header says " + count + " records but holds " + i);
                }
                int length = r.readVarint();
                if (length <= 0 || length > r.remaining()) {
                    throw corrupt("record " + i + " claims " + length + " bytes, " + r.remaining() + " remain");
                }
                int batchLimit = r.limitTo(r.position() + length);
                r.readByte(); // attributes
                long timestampDelta = r.readVarlong();
                minDelta = Math.min(minDelta, timestampDelta);
                maxDelta = Math.max(maxDelta, timestampDelta);
                int delta = r.readVarint();
                if (delta != i) {
                    throw invalid("record offset delta " + delta + " where " + i + " was expected");
                }
                if (skipBytesField(r, true, "key") < 0 && requireKeys) {
                    throw keyless(i);
                }
                skipBytesField(r, true, "value");
                int headers = r.readVarint();
                if (headers < 0) {
                    throw corrupt("record " + i + " has " + headers + " headers");
                }
                for (int h = 0; h < headers; h++) {
                    skipBytesField(r, false, "header key");
                    skipBytesField(r, true, "header value");
                }
                if (r.remaining() > 0) {
                    throw corrupt("record " + i + " has " + r.remaining() + " bytes after its headers");
                }
                r.limitTo(batchLimit);
            }
        } catch (IllegalArgumentException e) {
            throw corrupt("record framing is broken: " + e.getMessage());
        }
        if (r.remaining() > 0) {
            throw invalid("batch header says " + count + " records but " + r.remaining() + " bytes follow them");
        }
        return new long[] {baseTimestamp + minDelta, baseTimestamp + maxDelta};
    }

    /**
     * Skips one varint-length-prefixed field; length -1 (null) is allowed where {@code nullable}.
     *
     * @return the field's length, -1 for null
     */
    private static int skipBytesField(Varints record, boolean nullable, String name) {
        int length = record.readVarint();
        if (length < (nullable ? -1 : 0) || length > record.remaining()) {
            throw corrupt("record " + name + " length " + length + " does not fit the " + record.remaining()
                    + " bytes left in the record");
        }
        if (length > 0) {
            record.skip(length);
        }
        return length;
    }

    private static LogException keyless(int record) {
        return invalid("a compacted topic (cleanup.policy=compact) cannot accept a record without a key: record "
                + record + " of the batch has none");
    }

    private static LogException corrupt(String message) {
        return new LogException(LogError.CORRUPT_RECORD, message);
    }

    private static LogException invalid(String message) {
        return new LogException(LogError.INVALID_RECORD, message);
    }
}
