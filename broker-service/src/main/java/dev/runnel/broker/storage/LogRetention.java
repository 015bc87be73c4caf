package dev.runnel.broker.storage;

import java.io.IOException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which of a partition log's oldest segments go, and when: past {@code retention.ms}, while the
 * log is over {@code retention.bytes}, or lying wholly below the log start offset (after
 * DeleteRecords, which moves the log start here: {@link #advanceLogStartOffset}). Deleting a
 * segment moves the log start up to the next one, and the leader epochs and producer snapshots
 * below it go too.
 *
 * <p>Two rules hold whatever the reason: the active segment is never deleted (an expired one is
 * rolled first, by the {@link PartitionLog}, so that it can go), and neither is a segment whose
 * successor starts above the high watermark, since that one holds records no consumer may read yet.
 *
 * <p>Locking: not thread-safe; the {@link PartitionLog} calls every method holding its lock.
 */
final class LogRetention {

    private static final Logger log = LoggerFactory.getLogger(LogRetention.class);

    private final LocalLog local;
    private final LeaderEpochCache epochs;
    private final ProducerStateManager producerState;

    LogRetention(LocalLog local, LeaderEpochCache epochs, ProducerStateManager producerState) {
        this.local = local;
        this.epochs = epochs;
        this.producerState = producerState;
    }

    /**
     * Whether the active segment holds only committed records older than {@code retention.ms}, so
     * that it must be rolled before {@link #deleteOldSegments} can delete it.
     */
    boolean activeSegmentExpired(LogConfig cfg, long now, long highWatermark) {
        if (cfg.retentionMs() < 0) {
            return false;
        }
        LogSegment active = local.segments().active();
        return active.size() > 0 && now - active.largestTimestampForRetention() > cfg.retentionMs()
                && local.logEndOffset() <= highWatermark;
    }

    /**
     * Applies {@code retention.ms}, {@code retention.bytes} and the log start offset, in that
     * order, and forgets producers silent for longer than their expiry.
     *
     * @return the number of segments deleted
     */
    int deleteOldSegments(LogConfig cfg, long now, long highWatermark) {
        int deleted = 0;
        if (cfg.retentionMs() >= 0) {
            deleted += deleteSegmentsWhile(highWatermark,
                    (s, next) -> now - s.largestTimestampForRetention() > cfg.retentionMs(), "retention.ms");
        }
        if (cfg.retentionBytes() >= 0) {
            long[] excess = {local.segments().sizeInBytes() - cfg.retentionBytes()};
            deleted += deleteSegmentsWhile(highWatermark, (s, next) -> {
                if (excess[0] >= s.size()) {
                    excess[0] -= s.size();
                    return true;
                }
                return false;
            }, "retention.bytes");
        }
        deleted += deleteSegmentsBelowLogStart(highWatermark);
        producerState.removeExpiredProducers(now);
        return deleted;
    }

    /**
     * DeleteRecords: moves the log start offset up to {@code offset}, deletes the segments that now
     * lie wholly below it, and drops the leader epochs and producer state below it.
     *
     * @return whether the start moved
     * @throws LogException OFFSET_OUT_OF_RANGE if {@code offset} is above the high watermark
     */
    boolean advanceLogStartOffset(long offset, HighWatermark highWatermark) {
        long hw = highWatermark.value();
        if (offset > hw) {
            throw new LogException(LogError.OFFSET_OUT_OF_RANGE, "cannot delete records of " + local.topicPartition()
                    + " up to " + offset + ": the high watermark is " + hw);
        }
        if (offset <= local.logStartOffset()) {
            return false;
        }
        local.updateLogStartOffset(offset);
        epochs.truncateFromStart(offset);
        deleteSegmentsBelowLogStart(hw);
        producerState.onLogStartOffsetIncremented(offset);
        highWatermark.publishFirstUnstableOffset();
        return true;
    }

    /** Deletes the segments that lie wholly below the log start offset. */
    private int deleteSegmentsBelowLogStart(long highWatermark) {
        return deleteSegmentsWhile(highWatermark,
                (s, next) -> next != null && next.baseOffset() <= local.logStartOffset(), "log start offset");
    }

    @FunctionalInterface
    private interface SegmentTest {
        boolean test(LogSegment segment, LogSegment next);
    }

    /**
     * Deletes segments from the oldest while {@code test} holds, never the active one and never
     * one holding records at or above the high watermark (uncommitted records are not expired).
     */
    private int deleteSegmentsWhile(long highWatermark, SegmentTest test, String reason) {
        LogSegments segments = local.segments();
        int deleted = 0;
        try {
            while (segments.count() > 1) {
                LogSegment oldest = segments.oldest();
                LogSegment next = segments.next(oldest);
                if (next.baseOffset() > highWatermark || !test.test(oldest, next)) {
                    break;
                }
                local.removeSegment(oldest);
                local.updateLogStartOffset(Math.max(local.logStartOffset(), next.baseOffset()));
                deleted++;
                log.info("Deleted segment {} of {} ({})", oldest.baseOffset(), local.topicPartition(), reason);
            }
        } catch (IOException e) {
            throw new LogException(LogError.STORAGE_ERROR, "deleting segments of " + local.topicPartition()
                    + " failed", e);
        }
        if (deleted > 0) {
            epochs.truncateFromStart(local.logStartOffset());
            try {
                producerState.deleteSnapshotsBelow(segments.oldest().baseOffset());
            } catch (IOException e) {
                log.warn("Cannot delete old producer snapshots of {}", local.topicPartition(), e);
            }
        }
        return deleted;
    }
}
