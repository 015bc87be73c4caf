package dev.runnel.broker.storage;

import java.util.Map;
import java.util.Set;
import java.util.function.LongPredicate;

/**
 * The per-partition settings the storage engine obeys, named as Kafka's topic configs.
 *
 * @param segmentBytes        {@code segment.bytes}: roll when the active segment would exceed this
 * @param segmentMs           {@code segment.ms}: roll when the active segment is older than this
 * @param retentionMs         {@code retention.ms}: delete segments whose newest record is older; -1 keeps all
 * @param retentionBytes      {@code retention.bytes}: delete oldest segments while the log is larger; -1 keeps all
 * @param maxMessageBytes     {@code max.message.bytes}: the largest batch accepted
 * @param flushMessages       {@code flush.messages}: fsync after this many unflushed records
 * @param flushMs             {@code flush.ms}: fsync when the last flush is older than this
 * @param indexIntervalBytes  {@code index.interval.bytes}: log bytes between index entries
 * @param segmentIndexBytes   {@code segment.index.bytes}: the preallocated size of each index
 * @param fileDeleteDelayMs   {@code file.delete.delay.ms}: how long a deleted segment's files stay for in-flight reads
 * @param logAppendTime       {@code message.timestamp.type=LogAppendTime}: the leader stamps each batch with its own
 *                            clock; otherwise (CreateTime) the producer's timestamps stay
 * @param timestampBeforeMaxMs {@code message.timestamp.before.max.ms}: how far in the past a CreateTime record may be
 * @param timestampAfterMaxMs {@code message.timestamp.after.max.ms}: how far in the future a CreateTime record may be
 * @param compact             {@code cleanup.policy} includes {@code compact}: every record a producer writes must
 *                            have a key (the cleaner keeps the latest record per key)
 */
public record LogConfig(int segmentBytes, long segmentMs, long retentionMs, long retentionBytes, int maxMessageBytes,
        long flushMessages, long flushMs, int indexIntervalBytes, int segmentIndexBytes, long fileDeleteDelayMs,
        boolean logAppendTime, long timestampBeforeMaxMs, long timestampAfterMaxMs, boolean compact) {

    /** Kafka's defaults. Flushing is left to the OS and to replication, as in Kafka. */
    public static final LogConfig DEFAULTS = new LogConfig(1024 * 1024 * 1024, 7L * 24 * 3600 * 1000,
            7L * 24 * 3600 * 1000, -1, 1024 * 1024 + 12, Long.MAX_VALUE, Long.MAX_VALUE, 4096, 10 * 1024 * 1024,
            60_000, false, Long.MAX_VALUE, 3_600_000, false);

    /** The Kafka names of the topic configs that {@link #fromProperties} reads. */
    public static final Set<String> NAMES = Set.of("segment.bytes", "segment.ms", "retention.ms", "retention.bytes",
            "max.message.bytes", "flush.messages", "flush.ms", "index.interval.bytes", "segment.index.bytes",
            "file.delete.delay.ms", "message.timestamp.type", "message.timestamp.before.max.ms",
            "message.timestamp.after.max.ms");

    public LogConfig {
        require("segment.bytes", segmentBytes, v -> v >= RecordBatchHeader.HEADER_SIZE);
        require("segment.ms", segmentMs, v -> v >= 1);
        require("retention.ms", retentionMs, v -> v >= -1);
        require("retention.bytes", retentionBytes, v -> v >= -1);
        require("max.message.bytes", maxMessageBytes, v -> v >= RecordBatchHeader.HEADER_SIZE);
        require("flush.messages", flushMessages, v -> v >= 1);
        require("flush.ms", flushMs, v -> v >= 0);
        require("index.interval.bytes", indexIntervalBytes, v -> v >= 0);
        require("segment.index.bytes", segmentIndexBytes, v -> v >= TimeIndex.ENTRY_SIZE * 2);
        require("file.delete.delay.ms", fileDeleteDelayMs, v -> v >= 0);
        require("message.timestamp.before.max.ms", timestampBeforeMaxMs, v -> v >= 0);
        require("message.timestamp.after.max.ms", timestampAfterMaxMs, v -> v >= 0);
    }

    /**
     * The defaults overridden by Kafka-named topic configs. Unknown names and bad values are
     * refused with a message naming the config, and nothing is half-applied.
     *
     * @throws IllegalArgumentException naming the config and what is wrong with it
     */
    public static LogConfig fromProperties(Map<String, String> properties) {
        LogConfig c = DEFAULTS;
        for (Map.Entry<String, String> e : properties.entrySet()) {
            String name = e.getKey();
            if (name.equals("message.timestamp.type")) {
                c = c.withLogAppendTime(parseTimestampType(e.getValue()));
                continue;
            }
            long v = parse(name, e.getValue());
            c = switch (name) {
                case "segment.bytes" -> c.withSegmentBytes(toInt(name, v));
                case "segment.ms" -> c.withSegmentMs(v);
                case "retention.ms" -> c.withRetentionMs(v);
                case "retention.bytes" -> c.withRetentionBytes(v);
                case "max.message.bytes" -> c.withMaxMessageBytes(toInt(name, v));
                case "flush.messages" -> c.withFlushMessages(v);
                case "flush.ms" -> c.withFlushMs(v);
                case "index.interval.bytes" -> c.withIndexIntervalBytes(toInt(name, v));
                case "segment.index.bytes" -> c.withSegmentIndexBytes(toInt(name, v));
                case "file.delete.delay.ms" -> c.withFileDeleteDelayMs(v);
                case "message.timestamp.before.max.ms" -> c.withTimestampBeforeMaxMs(v);
                case "message.timestamp.after.max.ms" -> c.withTimestampAfterMaxMs(v);
                default -> throw new IllegalArgumentException("unknown log config '" + name + "'");
            };
        }
        return c;
    }

    public LogConfig withSegmentBytes(int v) {
        return new LogConfig(v, segmentMs, retentionMs, retentionBytes, maxMessageBytes, flushMessages, flushMs,
                indexIntervalBytes, segmentIndexBytes, fileDeleteDelayMs, logAppendTime, timestampBeforeMaxMs, timestampAfterMaxMs,
                compact);
    }

    public LogConfig withSegmentMs(long v) {
        return new LogConfig(segmentBytes, v, retentionMs, retentionBytes, maxMessageBytes, flushMessages, flushMs,
                indexIntervalBytes, segmentIndexBytes, fileDeleteDelayMs, logAppendTime, timestampBeforeMaxMs, timestampAfterMaxMs,
                compact);
    }

    public LogConfig withRetentionMs(long v) {
        return new LogConfig(segmentBytes, segmentMs, v, retentionBytes, maxMessageBytes, flushMessages, flushMs,
                indexIntervalBytes, segmentIndexBytes, fileDeleteDelayMs, logAppendTime, timestampBeforeMaxMs, timestampAfterMaxMs,
                compact);
    }

    public LogConfig withRetentionBytes(long v) {
        return new LogConfig(segmentBytes, segmentMs, retentionMs, v, maxMessageBytes, flushMessages, flushMs,
                indexIntervalBytes, segmentIndexBytes, fileDeleteDelayMs, logAppendTime, timestampBeforeMaxMs, timestampAfterMaxMs,
                compact);
    }

    public LogConfig withMaxMessageBytes(int v) {
        return new LogConfig(segmentBytes, segmentMs, retentionMs, retentionBytes, v, flushMessages, flushMs,
                indexIntervalBytes, segmentIndexBytes, fileDeleteDelayMs, logAppendTime, timestampBeforeMaxMs, timestampAfterMaxMs,
                compact);
    }

    public LogConfig withFlushMessages(long v) {
        return new LogConfig(segmentBytes, segmentMs, retentionMs, retentionBytes, maxMessageBytes, v, flushMs,
                indexIntervalBytes, segmentIndexBytes, fileDeleteDelayMs, logAppendTime, timestampBeforeMaxMs, timestampAfterMaxMs,
                compact);
    }

    public LogConfig withFlushMs(long v) {
        return new LogConfig(segmentBytes, segmentMs, retentionMs, retentionBytes, maxMessageBytes, flushMessages, v,
                indexIntervalBytes, segmentIndexBytes, fileDeleteDelayMs, logAppendTime, timestampBeforeMaxMs, timestampAfterMaxMs,
                compact);
    }

    public LogConfig withIndexIntervalBytes(int v) {
        return new LogConfig(segmentBytes, segmentMs, retentionMs, retentionBytes, maxMessageBytes, flushMessages,
                flushMs, v, segmentIndexBytes, fileDeleteDelayMs, logAppendTime, timestampBeforeMaxMs, timestampAfterMaxMs,
                compact);
    }

    public LogConfig withSegmentIndexBytes(int v) {
        return new LogConfig(segmentBytes, segmentMs, retentionMs, retentionBytes, maxMessageBytes, flushMessages,
                flushMs, indexIntervalBytes, v, fileDeleteDelayMs, logAppendTime, timestampBeforeMaxMs, timestampAfterMaxMs,
                compact);
    }

    public LogConfig withFileDeleteDelayMs(long v) {
        return new LogConfig(segmentBytes, segmentMs, retentionMs, retentionBytes, maxMessageBytes, flushMessages,
                flushMs, indexIntervalBytes, segmentIndexBytes, v, logAppendTime, timestampBeforeMaxMs, timestampAfterMaxMs,
                compact);
    }

    public LogConfig withLogAppendTime(boolean v) {
        return new LogConfig(segmentBytes, segmentMs, retentionMs, retentionBytes, maxMessageBytes, flushMessages,
                flushMs, indexIntervalBytes, segmentIndexBytes, fileDeleteDelayMs, v, timestampBeforeMaxMs,
                timestampAfterMaxMs, compact);
    }

    public LogConfig withTimestampBeforeMaxMs(long v) {
        return new LogConfig(segmentBytes, segmentMs, retentionMs, retentionBytes, maxMessageBytes, flushMessages,
                flushMs, indexIntervalBytes, segmentIndexBytes, fileDeleteDelayMs, logAppendTime, v,
                timestampAfterMaxMs, compact);
    }

    public LogConfig withTimestampAfterMaxMs(long v) {
        return new LogConfig(segmentBytes, segmentMs, retentionMs, retentionBytes, maxMessageBytes, flushMessages,
                flushMs, indexIntervalBytes, segmentIndexBytes, fileDeleteDelayMs, logAppendTime, timestampBeforeMaxMs,
                v, compact);
    }

    public LogConfig withCompact(boolean v) {
        return new LogConfig(segmentBytes, segmentMs, retentionMs, retentionBytes, maxMessageBytes, flushMessages,
                flushMs, indexIntervalBytes, segmentIndexBytes, fileDeleteDelayMs, logAppendTime, timestampBeforeMaxMs,
                timestampAfterMaxMs, v);
    }

    private static boolean parseTimestampType(String value) {
        String v = value == null ? "" : value.trim();
        if (v.equals("LogAppendTime")) {
            return true;
        }
        if (v.equals("CreateTime")) {
            return false;
        }
        throw new IllegalArgumentException("log config 'message.timestamp.type' must be CreateTime or LogAppendTime, not '"
                + value + "'");
    }

    private static long parse(String name, String value) {
        try {
            return Long.parseLong(value == null ? "" : value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("log config '" + name + "' must be a whole number, not '" + value + "'");
        }
    }

    private static int toInt(String name, long v) {
        if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
            throw new IllegalArgumentException("log config '" + name + "' is out of range: " + v);
        }
        return (int) v;
    }

    private static void require(String name, long value, LongPredicate valid) {
        if (!valid.test(value)) {
            throw new IllegalArgumentException("log config '" + name + "' has an invalid value: " + value);
        }
    }
}
