package dev.runnel.broker.storage;

import java.io.IOException;
import java.time.Clock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.common.TopicPartition;

/**
 * Truncation of one partition log from its end (Kafka's {@code UnifiedLog.truncateTo} and
 * {@code truncateFullyAndStartAt}): a follower discarding a divergent suffix, or a log emptied and
 * restarted at another offset. After the segments are cut ({@link LocalLog}), the state kept beside
 * them is brought back in line: leader epochs past the new end go, the recovery point, high
 * watermark and log start come down to it, and the producer state is rebuilt by replaying the log
 * ({@link LogLoader#rebuildProducerState}).
 *
 * <p>It also counts truncations for the {@link LogCleaner}: a cleaning that saw another count must
 * not swap its output in, and the lowest offset truncated to lowers the cleaner's checkpoint.
 *
 * <p>Thread-safety: changes run under the {@link PartitionLog} lock; {@link #count()} is read
 * without it (volatile).
 */
final class LogTruncation {

    private static final Logger log = LoggerFactory.getLogger(LogTruncation.class);

    private final TopicPartition topicPartition;
    private final Clock clock;
    private final LocalLog local;
    private final LeaderEpochCache epochs;
    private final ProducerStateManager producerState;
    private final HighWatermark highWatermark;

    /** How many truncations the log has had since it opened. */
    private volatile long truncations;
    /** The lowest offset truncated to since the cleaner last asked ({@link Long#MAX_VALUE}: none). */
    private volatile long lowestTruncation = Long.MAX_VALUE;

    LogTruncation(TopicPartition topicPartition, Clock clock, LocalLog local, LeaderEpochCache epochs,
            ProducerStateManager producerState, HighWatermark highWatermark) {
        this.topicPartition = topicPartition;
        this.clock = clock;
        this.local = local;
        this.epochs = epochs;
        this.producerState = producerState;
        this.highWatermark = highWatermark;
    }

    /** See {@link PartitionLog#truncateTo}. */
    void truncateTo(long offset) {
        if (offset >= local.logEndOffset()) {
            return;
        }
        if (offset < local.logStartOffset()) {
            truncateFullyAndStartAt(offset);
            return;
        }
        noteTruncation(offset);
        try {
            long newEnd = local.truncateTo(offset);
            epochs.truncateFromEnd(newEnd);
            local.updateRecoveryPoint(Math.min(local.recoveryPoint(), newEnd));
            highWatermark.lowerTo(newEnd);
            local.updateLogStartOffset(Math.min(local.logStartOffset(), newEnd));
            LogLoader.rebuildProducerState(local, producerState, clock);
            highWatermark.publishFirstUnstableOffset();
        } catch (IOException e) {
            throw new LogException(LogError.STORAGE_ERROR, "truncation of " + topicPartition + " failed", e);
        }
        log.info("Truncated {} to offset {}", topicPartition, local.logEndOffset());
    }

    /** See {@link PartitionLog#truncateFullyAndStartAt}. */
    void truncateFullyAndStartAt(long offset) {
        noteTruncation(offset);
        try {
            local.truncateFullyAndStartAt(offset);
            local.updateLogStartOffset(offset);
            highWatermark.reset(offset);
            local.updateRecoveryPoint(offset);
            epochs.clear();
            producerState.truncateFullyAndStartAt(offset);
            highWatermark.publishFirstUnstableOffset();
        } catch (IOException e) {
            throw new LogException(LogError.STORAGE_ERROR, "truncation of " + topicPartition + " failed", e);
        }
    }

    private void noteTruncation(long offset) {
        truncations++;
        lowestTruncation = Math.min(lowestTruncation, offset);
    }

    /** How many truncations the log has had since it opened. */
    long count() {
        return truncations;
    }

    /** The lowest offset truncated to since the last call, or -1. */
    long takeLowest() {
        long lowest = lowestTruncation;
        lowestTruncation = Long.MAX_VALUE;
        return lowest == Long.MAX_VALUE ? -1 : lowest;
    }
}
