package dev.runnel.broker.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
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
 * <p>This class owns the round: which part of the log can be cleaned and how dirty it is
 * ({@link #cleanableRange}), the first half, filling the {@link OffsetMap} over the dirty part, and
 * the round's {@link Result}. The data of an aborted transaction never enters the map, so an
 * aborted write never shadows a committed value ({@link CleanedTransactions}, Kafka's
 * {@code CleanedTransactionMetadata}, knows which batches those are). The second half, copying the
 * segments with what the rules keep and swapping them in, is the {@link SegmentRewriter}'s. If the
 * log changed under the round (truncation, retention), the swap is refused and the round ends
 * without a new checkpoint.
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
    private final SegmentRewriter rewriter;

    /**
     * @param stopping asked between chunks whether the round of a partition must stop (the cleaner
     *                 is closing, or the partition is being deleted)
     */
    Cleaner(OffsetMap map, int ioBufferBytes, Throttler throttler, Predicate<TopicPartition> stopping) {
        this.map = map;
        this.ioBufferBytes = ioBufferBytes;
        this.throttler = throttler;
        this.stopping = stopping;
        this.rewriter = new SegmentRewriter(map, ioBufferBytes, throttler, stopping);
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
    static long endOf(List<LogSegment> segments, LogSegment segment) {
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

        // 1. The map over the dirty segments, until it fills; aborted transactions' data stays out of it.
        buildOffsetMap(log, segments, range, read);
        long endOffset = Math.min(map.latestOffset() + 1, range.firstUncleanableOffset());
        if (endOffset <= range.firstDirtyOffset()) {
            return new Result(range.firstDirtyOffset(), read[0], 0, 0, 0, map.size(), map.utilization(), 0, 0, 0);
        }
        int keysMapped = map.size();
        double utilization = map.utilization();

        // 2. Rewrite every segment below the map's end, group by group, and swap each group in.
        List<LogSegment> toClean = new ArrayList<>();
        long logBytes = 0;
        for (LogSegment segment : segments) {
            if (segment.baseOffset() < endOffset && segment != active) {
                toClean.add(segment);
                logBytes += segment.size();
            }
        }
        SegmentRewriter.Rewritten rewritten = rewriter.rewrite(log, segments, toClean, config,
                range.firstUncleanableOffset(), truncationsSeen, nowMs);
        read[0] += rewritten.bytesRead();
        if (!rewritten.complete() || log.truncationCount() != truncationsSeen) {
            return abandoned(log, read[0]);
        }
        return new Result(endOffset, read[0], rewritten.bytesWritten(), rewritten.recordsRead(),
                rewritten.recordsWritten(), keysMapped, utilization, toClean.size(), rewritten.segmentsWritten(),
                logBytes);
    }

    /**
     * Fills the map with the latest offset of each key in the dirty segments of {@code range}
     * (Kafka's {@code buildOffsetMap}), segment by segment until the map is full; a segment read
     * whole counts as seen to its end. The data of aborted transactions stays out.
     *
     * @param read bytes read, added to
     */
    private void buildOffsetMap(PartitionLog log, List<LogSegment> segments, Range range, long[] read)
            throws IOException, InterruptedException {
        LogSegment active = segments.get(segments.size() - 1);
        map.clear();
        CleanedTransactions mapTxns = CleanedTransactions.over(segments, range.firstDirtyOffset(),
                range.firstUncleanableOffset());
        for (LogSegment segment : segments) {
            long end = Math.min(endOf(segments, segment), range.firstUncleanableOffset());
            if (segment == active || segment.baseOffset() >= range.firstUncleanableOffset()) {
                break;
            }
            if (end <= range.firstDirtyOffset()) {
                continue;
            }
            boolean whole = segment.forEachChunk(ioBufferBytes, chunk -> {
                checkStopping(stopping, log);
                read[0] += chunk.remaining();
                throttler.maybeThrottle(chunk.remaining(), () -> stopping.test(log.topicPartition()));
                return CompactionRecords.forEachKey(chunk, range.firstDirtyOffset(), new CompactionRecords.KeyVisitor() {
                    @Override
                    public boolean batch(CompactionRecords.Batch batch) {
                        if (batch.isControl()) {
                            mapTxns.onControl(batch);
                            return false;
                        }
                        return !mapTxns.onData(batch);
                    }

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
    }

    private static Result abandoned(PartitionLog log, long bytesRead) {
        Cleaner.log.info("Cleaning of {} abandoned: the log changed under it", log.topicPartition());
        return new Result(-1, bytesRead, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    /** Ends the round with a {@link CleaningAbortedException} if {@code stopping} says so for {@code log}. */
    static void checkStopping(Predicate<TopicPartition> stopping, PartitionLog log) {
        if (stopping.test(log.topicPartition())) {
            throw new CleaningAbortedException("cleaning of " + log.topicPartition() + " stopped: the cleaner is closing"
                    + " or the partition is going");
        }
    }
}
