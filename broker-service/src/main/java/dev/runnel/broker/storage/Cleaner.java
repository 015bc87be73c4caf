package dev.runnel.broker.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.record.CompactionRecords;
import dev.runnel.common.TopicPartition;

/**
 * One cleaning of one log (Kafka's {@code Cleaner}): build the key-to-latest-offset map over the
 * dirty part, then rewrite every segment from the log's start to the end of what the map covers,
 * keeping per key only the latest record, and swap the rewritten segments in.
 *
 * <pre>
 *   [ clean (cleaned before) ][ dirty: the map is built here   ][ uncleanable: above the HW, newer than
 *   ^ first segment           ^ firstDirtyOffset (checkpoint)    ^ firstUncleanableOffset   min lag, active ]
 *   |&lt;------------- rewritten this round ------------------&gt;| endOffset (map's latest + 1, if it filled)
 * </pre>
 *
 * <p>What stays (Kafka's rules): a record past the map's latest offset; a keyed record whose offset
 * is at least the map's latest for its key, unless it is a tombstone whose batch's delete horizon
 * has passed; a keyless record never (a compacted topic refuses them on produce). The batch that
 * ends each active producer's appends stays, emptied if need be, so the producer's last sequence
 * survives, and so does the batch that ends the round's range. Offsets never change.
 *
 * <p>Segments are rewritten in groups whose sizes and index sizes fit one segment, each into a
 * {@code .cleaned} segment that is fsynced and swapped in under the log's lock (see
 * {@link LocalLog#replaceSegments}); the copying itself takes no lock. If the log changed under the
 * round (truncation, retention), the swap is refused and the round ends without a new checkpoint.
 *
 * <p>Not thread-safe: each cleaner thread has its own, with its own {@link OffsetMap}.
 */
final class Cleaner {

    private static final Logger log = LoggerFactory.getLogger(Cleaner.class);

    /** The part of a log that can be cleaned now, and how dirty it is. */
    record Range(long firstDirtyOffset, long firstUncleanableOffset, long cleanBytes, long cleanableBytes,
            long compactionDelayMs) {

        /** Dirty bytes over all bytes up to the uncleanable part. */
        double dirtyRatio() {
            long total = cleanBytes + cleanableBytes;
            return total == 0 ? 0 : (double) cleanableBytes / total;
        }

        /** Whether the cleaner should take this log: dirty enough, or dirty data older than max.compaction.lag.ms. */
        boolean worthCleaning(double minCleanableDirtyRatio) {
            return cleanableBytes > 0 && (dirtyRatio() > minCleanableDirtyRatio || compactionDelayMs > 0);
        }
    }

    /** What a round did. {@code endOffset} is the new first dirty offset, or -1 if the round was abandoned. */
    record Result(long endOffset, long bytesRead, long bytesWritten, long recordsRead, long recordsWritten,
            int keysMapped, double mapUtilization, int segmentsRewritten, int segmentsWritten, long logBytesCleaned) {

        boolean abandoned() {
            return endOffset < 0;
        }

        /** Written over read, as a percentage: how much of what the round read it had to copy. */
        double recopyPercent() {
            return bytesRead == 0 ? 0 : 100.0 * bytesWritten / bytesRead;
        }
    }

    /** Thrown when the cleaner is stopping: the round ends and nothing is swapped. */
    static final class CleaningAbortedException extends RuntimeException {
        CleaningAbortedException(String message) {
            super(message);
        }
    }

    private final OffsetMap map;
    private final int ioBufferBytes;
    private final Throttler throttler;
    private final Predicate<TopicPartition> stopping;
    private ByteBuffer writeBuffer;

    /**
     * @param stopping asked between chunks whether the round of a partition must stop (the cleaner
     *                 is closing, or the partition is being deleted)
     */
    Cleaner(OffsetMap map, int ioBufferBytes, Throttler throttler, Predicate<TopicPartition> stopping) {
        this.map = map;
        this.ioBufferBytes = ioBufferBytes;
        this.throttler = throttler;
        this.stopping = stopping;
        this.writeBuffer = ByteBuffer.allocate(ioBufferBytes);
    }

    /**
     * Where cleaning of {@code log} would start and stop now (Kafka's {@code cleanableOffsets} and
     * {@code LogToClean}). The first dirty offset is {@code checkpointed}, or the log start if that
     * is absent (-1) or outside the log. Nothing at or above the last stable offset, in the active
     * segment, or in a segment with a record newer than {@code min.compaction.lag.ms} is
     * cleanable; the bound is rounded down to a segment's base, since whole segments are cleaned.
     */
    static Range cleanableRange(PartitionLog log, long checkpointed, long nowMs) {
        List<LogSegment> segments = log.segments();
        LogConfig.Cleanup compaction = log.config().cleanup();
        LogSegment active = segments.get(segments.size() - 1);
        long logStart = log.logStartOffset();
        long firstDirty = checkpointed < logStart || checkpointed > log.logEndOffset() ? logStart : checkpointed;

        // The last stable offset, not the high watermark: an open transaction's records are not cleaned.
        long uncleanable = Math.min(log.lastStableOffset(), active.baseOffset());
        if (compaction.minCompactionLagMs() > 0) {
            for (LogSegment segment : segments) {
                if (segment != active && endOf(segments, segment) > firstDirty
                        && segment.largestTimestampForRetention() > nowMs - compaction.minCompactionLagMs()) {
                    uncleanable = Math.min(uncleanable, segment.baseOffset());
                    break;
                }
            }
        }
        uncleanable = Math.max(uncleanable, firstDirty);
        // Whole segments only: round down to the base of the segment holding the bound.
        long aligned = active.baseOffset();
        for (LogSegment segment : segments) {
            if (segment.baseOffset() <= uncleanable && endOf(segments, segment) > uncleanable) {
                aligned = segment.baseOffset();
                break;
            }
        }
        aligned = Math.min(aligned, uncleanable);

        long cleanBytes = 0;
        long cleanableBytes = 0;
        long earliestDirtyTimestamp = Long.MAX_VALUE;
        for (LogSegment segment : segments) {
            if (segment == active) {
                break;
            }
            long end = endOf(segments, segment);
            if (segment.baseOffset() < firstDirty) {
                cleanBytes += segment.size();
            }
            if (end > firstDirty && segment.baseOffset() < aligned) {
                cleanableBytes += segment.size();
            }
            if (end > firstDirty && segment.firstBatchTimestamp() > 0) {
                earliestDirtyTimestamp = Math.min(earliestDirtyTimestamp, segment.firstBatchTimestamp());
            }
        }
        long delay = 0;
        if (compaction.maxCompactionLagMs() < Long.MAX_VALUE && earliestDirtyTimestamp < Long.MAX_VALUE) {
            delay = Math.max(0, nowMs - compaction.maxCompactionLagMs() - earliestDirtyTimestamp);
        }
        return new Range(firstDirty, aligned, cleanBytes, cleanableBytes, delay);
    }

    /** The base offset of the segment after {@code segment}, or Long.MAX_VALUE for the last one. */
    private static long endOf(List<LogSegment> segments, LogSegment segment) {
        // The list is in base offset order: a binary search, since callers ask for every segment.
        int low = 0;
        int high = segments.size() - 1;
        while (low <= high) {
            int mid = (low + high) >>> 1;
            long base = segments.get(mid).baseOffset();
            if (base < segment.baseOffset()) {
                low = mid + 1;
            } else if (base > segment.baseOffset()) {
                high = mid - 1;
            } else {
                return mid + 1 < segments.size() ? segments.get(mid + 1).baseOffset() : Long.MAX_VALUE;
            }
        }
        throw new IllegalArgumentException(segment + " is not among the segments");
    }

    /**
     * Cleans {@code log} over {@code range} at {@code nowMs}.
     *
     * @param truncationsSeen the log's truncation count when the range was taken
     */
    Result clean(PartitionLog log, Range range, long truncationsSeen, long nowMs) throws IOException,
            InterruptedException {
        List<LogSegment> segments = log.segments();
        LogConfig config = log.config();
        long[] read = {0};
        if (log.truncationCount() != truncationsSeen) {
            return abandoned(log, 0);
        }
        LogSegment active = segments.get(segments.size() - 1);

        // 1. The map over the dirty segments, until it fills.
        map.clear();
        for (LogSegment segment : segments) {
            long end = Math.min(endOf(segments, segment), range.firstUncleanableOffset());
            if (segment == active || segment.baseOffset() >= range.firstUncleanableOffset()) {
                break;
            }
            if (end <= range.firstDirtyOffset()) {
                continue;
            }
            boolean whole = segment.forEachChunk(ioBufferBytes, chunk -> {
                checkStopping(log);
                read[0] += chunk.remaining();
                throttler.maybeThrottle(chunk.remaining(), () -> stopping.test(log.topicPartition()));
                return CompactionRecords.forEachKey(chunk, range.firstDirtyOffset(), new CompactionRecords.KeyVisitor() {
                    @Override
                    public boolean record(long offset, ByteBuffer key) {
                        if (map.isFull()) {
                            return false;
                        }
                        map.put(key, offset);
                        return true;
                    }

                    @Override
                    public void batchEnd(long lastOffset) {
                        map.updateLatestOffset(lastOffset);
                    }
                });
            });
            if (!whole) {
                break;
            }
            // Offsets the segment skips (removed earlier) count as seen too.
            map.updateLatestOffset(end - 1);
        }
        long endOffset = Math.min(map.latestOffset() + 1, range.firstUncleanableOffset());
        if (endOffset <= range.firstDirtyOffset()) {
            return new Result(range.firstDirtyOffset(), read[0], 0, 0, 0, map.size(), map.utilization(), 0, 0, 0);
        }
        int keysMapped = map.size();
        double utilization = map.utilization();

        // 2. Rewrite every segment below the map's end, group by group.
        List<LogSegment> toClean = new ArrayList<>();
        long logBytes = 0;
        for (LogSegment segment : segments) {
            if (segment.baseOffset() < endOffset && segment != active) {
                toClean.add(segment);
                logBytes += segment.size();
            }
        }
        Map<Long, Long> producers = log.lastOffsetsOfActiveProducers();
        Rules rules = new Rules(map, producers, range.firstUncleanableOffset(), nowMs);
        long[] counts = new long[3];
        int written = 0;
        for (List<LogSegment> group : groupBySize(toClean, segments, config.segmentBytes(),
                config.segmentIndexBytes(), range.firstUncleanableOffset())) {
            LogSegment cleaned = cleanInto(log, group, rules, config, nowMs, read, counts);
            boolean swapped;
            try {
                swapped = log.replaceSegments(group, cleaned, truncationsSeen);
            } catch (LocalLog.SwapIncompleteException e) {
                throw e; // the cleaned segment is in the log now: it stays
            } catch (IOException | RuntimeException e) {
                cleaned.delete();
                throw e;
            }
            if (!swapped) {
                cleaned.delete();
                return abandoned(log, read[0]);
            }
            written++;
        }
        if (log.truncationCount() != truncationsSeen) {
            return abandoned(log, read[0]);
        }
        return new Result(endOffset, read[0], counts[0], counts[1], counts[2], keysMapped, utilization, toClean.size(),
                written, logBytes);
    }

    private static Result abandoned(PartitionLog log, long bytesRead) {
        Cleaner.log.info("Cleaning of {} abandoned: the log changed under it", log.topicPartition());
        return new Result(-1, bytesRead, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    /**
     * Writes the kept batches of {@code group} into one new {@code .cleaned} segment at the group's
     * first base offset, fsynced, with the last source's modification time.
     *
     * @param counts bytes written, records read and records written, added to
     */
    private LogSegment cleanInto(PartitionLog log, List<LogSegment> group, Rules rules, LogConfig config, long nowMs,
            long[] read, long[] counts) throws IOException, InterruptedException {
        long base = group.get(0).baseOffset();
        for (String suffix : new String[] {LogSegment.LOG_SUFFIX, LogSegment.INDEX_SUFFIX,
                LogSegment.TIME_INDEX_SUFFIX, TransactionIndex.SUFFIX}) {
            Files.deleteIfExists(log.dir().resolve(LogSegment.fileName(base, suffix) + LogRecovery.CLEANED_SUFFIX));
        }
        LogSegment cleaned = LogSegment.open(log.dir(), base, config, nowMs, LogRecovery.CLEANED_SUFFIX);
        try {
            for (LogSegment source : group) {
                source.forEachChunk(ioBufferBytes, chunk -> {
                    checkStopping(log);
                    read[0] += chunk.remaining();
                    throttler.maybeThrottle(chunk.remaining(), () -> stopping.test(log.topicPartition()));
                    writeBuffer.clear();
                    CompactionRecords.Filtered filtered = CompactionRecords.filter(chunk, writeBuffer, nowMs,
                            config.cleanup().deleteRetentionMs(), rules);
                    if (filtered.output().capacity() > writeBuffer.capacity()) {
                        writeBuffer = ByteBuffer.allocate(ioBufferBytes); // a large batch grew it: do not keep that
                    }
                    counts[1] += filtered.recordsRead();
                    counts[2] += filtered.recordsRetained();
                    ByteBuffer kept = filtered.output();
                    if (kept.hasRemaining()) {
                        counts[0] += kept.remaining();
                        throttler.maybeThrottle(kept.remaining(), () -> stopping.test(log.topicPartition()));
                        cleaned.appendCleaned(kept);
                    }
                    return true;
                });
            }
            // Markers are kept, so every aborted transaction indexed in the sources still has its marker.
            for (LogSegment source : group) {
                for (TransactionIndex.AbortedTxn txn : source.abortedTxns()) {
                    cleaned.appendAbortedTxn(txn);
                }
            }
            cleaned.onBecomeInactive();
            cleaned.flush();
            cleaned.setLastModifiedMs(group.get(group.size() - 1).lastModifiedMs());
            return cleaned;
        } catch (IOException | InterruptedException | RuntimeException e) {
            cleaned.delete();
            throw e;
        }
    }

    private void checkStopping(PartitionLog log) {
        if (stopping.test(log.topicPartition())) {
            throw new CleaningAbortedException("cleaning of " + log.topicPartition() + " stopped: the cleaner is closing"
                    + " or the partition is going");
        }
    }

    /**
     * Splits {@code toClean} into runs of consecutive segments that fit one segment together (Kafka's
     * {@code groupSegmentsBySize}): log bytes within {@code segment.bytes}, each index's bytes
     * within {@code segment.index.bytes}, and offsets within 2^31 of the group's base (the indexes
     * store 32-bit relative offsets).
     */
    static List<List<LogSegment>> groupBySize(List<LogSegment> toClean, List<LogSegment> all, int maxSize,
            int maxIndexSize, long firstUncleanableOffset) {
        List<List<LogSegment>> groups = new ArrayList<>();
        int i = 0;
        while (i < toClean.size()) {
            List<LogSegment> group = new ArrayList<>();
            LogSegment first = toClean.get(i);
            group.add(first);
            long logSize = first.size();
            long offsetIndexSize = first.offsetIndexBytes();
            long timeIndexSize = first.timeIndexBytes();
            i++;
            while (i < toClean.size()) {
                LogSegment next = toClean.get(i);
                long nextEnd = Math.min(endOf(all, next), firstUncleanableOffset);
                if (logSize + next.size() > maxSize
                        || offsetIndexSize + next.offsetIndexBytes() > maxIndexSize
                        || timeIndexSize + next.timeIndexBytes() > maxIndexSize
                        || (next.size() > 0 && nextEnd - 1 - first.baseOffset() > Integer.MAX_VALUE)) {
                    break;
                }
                group.add(next);
                logSize += next.size();
                offsetIndexSize += next.offsetIndexBytes();
                timeIndexSize += next.timeIndexBytes();
                i++;
            }
            groups.add(group);
        }
        return groups;
    }

    /** The retention rules of one round (see the class comment). */
    private static final class Rules implements CompactionRecords.Rules {

        private final OffsetMap map;
        private final Map<Long, Long> lastOffsetOfProducer;
        private final long firstUncleanableOffset;
        private final long nowMs;

        Rules(OffsetMap map, Map<Long, Long> lastOffsetOfProducer, long firstUncleanableOffset, long nowMs) {
            this.map = map;
            this.lastOffsetOfProducer = lastOffsetOfProducer;
            this.firstUncleanableOffset = firstUncleanableOffset;
            this.nowMs = nowMs;
        }

        @Override
        public CompactionRecords.BatchRetention batch(CompactionRecords.Batch batch) {
            if (batch.producerId() >= 0) {
                Long last = lastOffsetOfProducer.get(batch.producerId());
                if (last != null && last == batch.lastOffset()) {
                    return CompactionRecords.BatchRetention.RETAIN_EMPTY;
                }
            }
            if (batch.lastOffset() + 1 == firstUncleanableOffset) {
                return CompactionRecords.BatchRetention.RETAIN_EMPTY;
            }
            // Control batches (transaction markers) stay until transactions teach the cleaner when they may go.
            if (batch.control()) {
                return CompactionRecords.BatchRetention.RETAIN_EMPTY;
            }
            return CompactionRecords.BatchRetention.DELETE_EMPTY;
        }

        @Override
        public boolean retain(CompactionRecords.Batch batch, long offset, ByteBuffer key, boolean tombstone) {
            if (offset > map.latestOffset()) {
                return true;
            }
            if (batch.control()) {
                return true;
            }
            if (key == null) {
                return false;
            }
            if (offset < map.get(key)) {
                return false;
            }
            return !tombstone || batch.deleteHorizonMs().isEmpty() || nowMs < batch.deleteHorizonMs().getAsLong();
        }
    }
}
