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
 * @param cleanup             {@code cleanup.policy} and the settings of compaction
 */
public record LogConfig(int segmentBytes, long segmentMs, long retentionMs, long retentionBytes, int maxMessageBytes,
        long flushMessages, long flushMs, int indexIntervalBytes, int segmentIndexBytes, long fileDeleteDelayMs,
        boolean logAppendTime, long timestampBeforeMaxMs, long timestampAfterMaxMs, Cleanup cleanup) {

    /**
     * What happens to a log's old records ({@code cleanup.policy}) and how compaction runs, named as
     * Kafka's topic configs.
     *
     * @param delete                 {@code cleanup.policy} includes {@code delete}: DeleteRecords may move the log start
     *                               (retention itself is off when the topic's retention configs say so)
     * @param compact                {@code cleanup.policy} includes {@code compact}: the cleaner keeps the latest
     *                               record per key, and every record a producer writes must have a key
     * @param minCleanableDirtyRatio {@code min.cleanable.dirty.ratio}: the share of the log not yet cleaned above
     *                               which the cleaner picks it
     * @param deleteRetentionMs      {@code delete.retention.ms}: how long a tombstone (a record with a key and no
     *                               value) stays after the cleaning that first kept it
     * @param minCompactionLagMs     {@code min.compaction.lag.ms}: records newer than this are never cleaned
     * @param maxCompactionLagMs     {@code max.compaction.lag.ms}: a log whose oldest uncleaned record is older than
     *                               this is cleaned whatever its dirty ratio (and its active segment rolls by then)
     */
    public record Cleanup(boolean delete, boolean compact, double minCleanableDirtyRatio, long deleteRetentionMs,
            long minCompactionLagMs, long maxCompactionLagMs) {

        /** Kafka's defaults: {@code cleanup.policy=delete}. */
        public static final Cleanup DEFAULTS = new Cleanup(true, false, 0.5, 24L * 3600 * 1000, 0, Long.MAX_VALUE);

        public Cleanup {
            if (!(minCleanableDirtyRatio >= 0 && minCleanableDirtyRatio <= 1)) {
                throw new IllegalArgumentException("log config 'min.cleanable.dirty.ratio' must lie in [0, 1], not "
                        + minCleanableDirtyRatio);
            }
            require("delete.retention.ms", deleteRetentionMs, v -> v >= 0);
            require("min.compaction.lag.ms", minCompactionLagMs, v -> v >= 0);
            require("max.compaction.lag.ms", maxCompactionLagMs, v -> v >= 1);
            if (minCompactionLagMs > maxCompactionLagMs) {
                throw new IllegalArgumentException("log config 'min.compaction.lag.ms' (" + minCompactionLagMs
                        + ") must not exceed 'max.compaction.lag.ms' (" + maxCompactionLagMs + ")");
            }
        }

        /** These settings under the policies {@code delete} and {@code compact} of {@code cleanup.policy}. */
        public Cleanup withPolicies(boolean d, boolean c) {
            return new Cleanup(d, c, minCleanableDirtyRatio, deleteRetentionMs, minCompactionLagMs, maxCompactionLagMs);
        }

        public Cleanup withMinCleanableDirtyRatio(double v) {
            return new Cleanup(delete, compact, v, deleteRetentionMs, minCompactionLagMs, maxCompactionLagMs);
        }

        public Cleanup withDeleteRetentionMs(long v) {
            return new Cleanup(delete, compact, minCleanableDirtyRatio, v, minCompactionLagMs, maxCompactionLagMs);
        }

        public Cleanup withMinCompactionLagMs(long v) {
            return new Cleanup(delete, compact, minCleanableDirtyRatio, deleteRetentionMs, v, maxCompactionLagMs);
        }

        public Cleanup withMaxCompactionLagMs(long v) {
            return new Cleanup(delete, compact, minCleanableDirtyRatio, deleteRetentionMs, minCompactionLagMs, v);
        }
    }

    /** Kafka's defaults. Flushing is left to the OS and to replication, as in Kafka. */
    public static final LogConfig DEFAULTS = new LogConfig(1024 * 1024 * 1024, 7L * 24 * 3600 * 1000,
            7L * 24 * 3600 * 1000, -1, 1024 * 1024 + 12, Long.MAX_VALUE, Long.MAX_VALUE, 4096, 10 * 1024 * 1024,
            60_000, false, Long.MAX_VALUE, 3_600_000, Cleanup.DEFAULTS);

    /** The Kafka names of the topic configs that {@link #fromProperties} reads. */
    public static final Set<String> NAMES = Set.of("segment.bytes", "segment.ms", "retention.ms", "retention.bytes",
            "max.message.bytes", "flush.messages", "flush.ms", "index.interval.bytes", "segment.index.bytes",
            "file.delete.delay.ms", "message.timestamp.type", "message.timestamp.before.max.ms",
            "message.timestamp.after.max.ms", "min.cleanable.dirty.ratio", "delete.retention.ms",
            "min.compaction.lag.ms", "max.compaction.lag.ms");

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
        if (cleanup == null) {
            throw new IllegalArgumentException("log config cleanup settings are missing");
        }
    }

    /** Whether the cleaner compacts this log ({@code cleanup.policy} includes {@code compact}). */
    public boolean compact() {
        return cleanup.compact();
    }

    /**
     * How old the active segment may grow before it rolls: {@code segment.ms}, and for a compacted
     * log no longer than {@code max.compaction.lag.ms}, since the active segment is never cleaned.
     */
    public long rollMs() {
        return cleanup.compact() ? Math.min(segmentMs, cleanup.maxCompactionLagMs()) : segmentMs;
    }

    /**
     * The defaults overridden by Kafka-named topic configs. Unknown names and bad values are
     * refused with a message naming the config, and nothing is half-applied.
     *
     * @throws IllegalArgumentException naming the config and what is wrong with it
     */
    public static LogConfig fromProperties(Map<String, String> properties) {
        LogConfig c = DEFAULTS;
        Cleanup cleanup = Cleanup.DEFAULTS;
        for (Map.Entry<String, String> e : properties.entrySet()) {
            String name = e.getKey();
            if (name.equals("message.timestamp.type")) {
                c = c.withLogAppendTime(parseTimestampType(e.getValue()));
                continue;
            }
            if (name.equals("min.cleanable.dirty.ratio")) {
                cleanup = cleanup.withMinCleanableDirtyRatio(parseRatio(name, e.getValue()));
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
                case "delete.retention.ms", "min.compaction.lag.ms", "max.compaction.lag.ms" -> c;
                default -> throw new IllegalArgumentException("unknown log config '" + name + "'");
            };
            cleanup = switch (name) {
                case "delete.retention.ms" -> cleanup.withDeleteRetentionMs(v);
                case "min.compaction.lag.ms" -> cleanup.withMinCompactionLagMs(v);
                case "max.compaction.lag.ms" -> cleanup.withMaxCompactionLagMs(v);
                default -> cleanup;
            };
        }
        return c.withCleanup(cleanup);
    }

    public LogConfig withSegmentBytes(int v) {
        return new LogConfig(v, segmentMs, retentionMs, retentionBytes, maxMessageBytes, flushMessages, flushMs,
                indexIntervalBytes, segmentIndexBytes, fileDeleteDelayMs, logAppendTime, timestampBeforeMaxMs, timestampAfterMaxMs,
                cleanup);
    }

    public LogConfig withSegmentMs(long v) {
        return new LogConfig(segmentBytes, v, retentionMs, retentionBytes, maxMessageBytes, flushMessages, flushMs,
                indexIntervalBytes, segmentIndexBytes, fileDeleteDelayMs, logAppendTime, timestampBeforeMaxMs, timestampAfterMaxMs,
                cleanup);
    }

    public LogConfig withRetentionMs(long v) {
        return new LogConfig(segmentBytes, segmentMs, v, retentionBytes, maxMessageBytes, flushMessages, flushMs,
                indexIntervalBytes, segmentIndexBytes, fileDeleteDelayMs, logAppendTime, timestampBeforeMaxMs, timestampAfterMaxMs,
                cleanup);
    }

    public LogConfig withRetentionBytes(long v) {
        return new LogConfig(segmentBytes, segmentMs, retentionMs, v, maxMessageBytes, flushMessages, flushMs,
                indexIntervalBytes, segmentIndexBytes, fileDeleteDelayMs, logAppendTime, timestampBeforeMaxMs, timestampAfterMaxMs,
                cleanup);
    }

    public LogConfig withMaxMessageBytes(int v) {
        return new LogConfig(segmentBytes, segmentMs, retentionMs, retentionBytes, v, flushMessages, flushMs,
                indexIntervalBytes, segmentIndexBytes, fileDeleteDelayMs, logAppendTime, timestampBeforeMaxMs, timestampAfterMaxMs,
                cleanup);
    }

    public LogConfig withFlushMessages(long v) {
        return new LogConfig(segmentBytes, segmentMs, retentionMs, retentionBytes, maxMessageBytes, v, flushMs,
                indexIntervalBytes, segmentIndexBytes, fileDeleteDelayMs, logAppendTime, timestampBeforeMaxMs, timestampAfterMaxMs,
                cleanup);
    }

    public LogConfig withFlushMs(long v) {
        return new LogConfig(segmentBytes, segmentMs, retentionMs, retentionBytes, maxMessageBytes, flushMessages, v,
                indexIntervalBytes, segmentIndexBytes, fileDeleteDelayMs, logAppendTime, timestampBeforeMaxMs, timestampAfterMaxMs,
                cleanup);
    }

    public LogConfig withIndexIntervalBytes(int v) {
        return new LogConfig(segmentBytes, segmentMs, retentionMs, retentionBytes, maxMessageBytes, flushMessages,
                flushMs, v, segmentIndexBytes, fileDeleteDelayMs, logAppendTime, timestampBeforeMaxMs, timestampAfterMaxMs,
                cleanup);
    }

    public LogConfig withSegmentIndexBytes(int v) {
        return new LogConfig(segmentBytes, segmentMs, retentionMs, retentionBytes, maxMessageBytes, flushMessages,
                flushMs, indexIntervalBytes, v, fileDeleteDelayMs, logAppendTime, timestampBeforeMaxMs, timestampAfterMaxMs,
                cleanup);
    }

    public LogConfig withFileDeleteDelayMs(long v) {
        return new LogConfig(segmentBytes, segmentMs, retentionMs, retentionBytes, maxMessageBytes, flushMessages,
                flushMs, indexIntervalBytes, segmentIndexBytes, v, logAppendTime, timestampBeforeMaxMs, timestampAfterMaxMs,
                cleanup);
    }

    public LogConfig withLogAppendTime(boolean v) {
        return new LogConfig(segmentBytes, segmentMs, retentionMs, retentionBytes, maxMessageBytes, flushMessages,
                flushMs, indexIntervalBytes, segmentIndexBytes, fileDeleteDelayMs, v, timestampBeforeMaxMs,
                timestampAfterMaxMs, cleanup);
    }

    public LogConfig withTimestampBeforeMaxMs(long v) {
        return new LogConfig(segmentBytes, segmentMs, retentionMs, retentionBytes, maxMessageBytes, flushMessages,
                flushMs, indexIntervalBytes, segmentIndexBytes, fileDeleteDelayMs, logAppendTime, v,
                timestampAfterMaxMs, cleanup);
    }

    public LogConfig withTimestampAfterMaxMs(long v) {
        return new LogConfig(segmentBytes, segmentMs, retentionMs, retentionBytes, maxMessageBytes, flushMessages,
                flushMs, indexIntervalBytes, segmentIndexBytes, fileDeleteDelayMs, logAppendTime, timestampBeforeMaxMs,
                v, cleanup);
    }

    public LogConfig withCleanup(Cleanup v) {
        return new LogConfig(segmentBytes, segmentMs, retentionMs, retentionBytes, maxMessageBytes, flushMessages,
                flushMs, indexIntervalBytes, segmentIndexBytes, fileDeleteDelayMs, logAppendTime, timestampBeforeMaxMs,
                timestampAfterMaxMs, v);
    }

    /** These settings with compaction switched on or off (the rest of {@code cleanup.policy} kept). */
    public LogConfig withCompact(boolean v) {
        return withCleanup(cleanup.withPolicies(cleanup.delete(), v));
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

    private static double parseRatio(String name, String value) {
        try {
            return Double.parseDouble(value == null ? "" : value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("log config '" + name + "' must be a number from 0 to 1, not '" + value + "'");
        }
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
