package dev.runnel.broker.storage;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The time bookkeeping of one {@link LogSegment}, kept from the max timestamps of its batches as
 * they are appended or recovered:
 *
 * <ul>
 *   <li>the newest record timestamp and the last offset of its batch: what the time index's entries
 *       are made of, and what retention and a ListOffsets by time compare with;</li>
 *   <li>the first batch's timestamp, from which {@code segment.ms} counts (from the segment's
 *       creation while it has no batch).</li>
 * </ul>
 *
 * <p>Thread-safety: as the segment's: one appender at a time changes it, anyone may read it
 * (the values are volatile).
 */
final class SegmentTimestamps {

    private final long createdMs;
    private volatile long max = -1;
    private volatile long offsetOfMax = -1;
    private volatile long firstBatch = -1;

    SegmentTimestamps(long createdMs) {
        this.createdMs = createdMs;
    }

    /** The newest record timestamp, or -1 if the segment is empty. */
    long max() {
        return max;
    }

    /** The last offset of the batch holding the newest record timestamp, or -1. */
    long offsetOfMax() {
        return offsetOfMax;
    }

    /** The timestamp of the segment's first batch (its max timestamp), or -1 if it is empty. */
    long firstBatch() {
        return firstBatch;
    }

    /**
     * How long the segment has waited for a roll at {@code timestamp}: since its first batch's
     * timestamp, or, while it has none, from its creation to {@code nowMs}.
     */
    long waited(long timestamp, long nowMs) {
        return firstBatch >= 0 ? timestamp - firstBatch : nowMs - createdMs;
    }

    /** Takes in a batch whose last offset is {@code lastOffset} and whose newest record is {@code batchMaxTimestamp}. */
    void onBatch(long lastOffset, long batchMaxTimestamp) {
        if (firstBatch < 0) {
            firstBatch = batchMaxTimestamp;
        }
        if (batchMaxTimestamp > max) {
            max = batchMaxTimestamp;
            offsetOfMax = lastOffset;
        }
    }

    /** Forgets every batch (recovery takes them in again). */
    void reset() {
        max = -1;
        offsetOfMax = -1;
        firstBatch = -1;
    }

    /**
     * Restores the bookkeeping from the segment's time index and the batches after its last entry
     * (the first {@code size} bytes of {@code file}, indexed by {@code offsetIndex}). A corrupt tail
     * or index leaves no newest timestamp: recovery will rebuild it.
     */
    void load(TimeIndex timeIndex, OffsetIndex offsetIndex, LogFile file, int size, long baseOffset) {
        try {
            TimeIndex.Entry last = timeIndex.lastEntry();
            max = last.timestamp();
            offsetOfMax = last.timestamp() < 0 ? -1 : last.offset();
            firstBatch = -1;
            int start = offsetIndex.lookup(Math.max(last.offset(), baseOffset)).position();
            LogFile.BatchPosition first = file.scan(0, size, b -> true);
            if (first != null) {
                firstBatch = first.maxTimestamp();
            }
            file.scan(start, size, b -> {
                if (b.maxTimestamp() > max) {
                    max = b.maxTimestamp();
                    offsetOfMax = b.lastOffset();
                }
                return false;
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (LogException | IllegalStateException e) {
            max = -1;
            offsetOfMax = -1;
        }
    }
}
