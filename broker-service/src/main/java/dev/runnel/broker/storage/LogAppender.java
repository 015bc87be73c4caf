package dev.runnel.broker.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.common.TopicPartition;
import dev.runnel.common.time.Scheduler;

/**
 * The write path of one partition log (the append half of Kafka's {@code UnifiedLog}): places
 * batches that {@link BatchValidator} has checked at the log end, and rolls the active segment.
 *
 * <p>An append as leader first asks the producer state whether the batch is a duplicate (then the
 * first append's answer is returned and nothing is written), then assigns offsets from the log end
 * and stamps the leader epoch; an append as follower keeps the leader's offsets and epochs. Either
 * way the batches go to the active segment (rolled first if they do not fit), the leader epochs
 * and producer state follow them, the transactions their markers complete go to the transaction
 * index, and the log end is published last. A roll takes a producer snapshot (recovery replays
 * from the newest one) and fsyncs the completed segment off the append path.
 *
 * <p>Not thread-safe: the {@link PartitionLog} calls every method holding its lock.
 */
final class LogAppender {

    private static final Logger log = LoggerFactory.getLogger(LogAppender.class);

    private final TopicPartition topicPartition;
    private final Clock clock;
    private final Scheduler scheduler;
    private final LocalLog local;
    private final LeaderEpochCache epochs;
    private final ProducerStateManager producerState;
    private final HighWatermark highWatermark;

    LogAppender(TopicPartition topicPartition, Clock clock, Scheduler scheduler, LocalLog local,
            LeaderEpochCache epochs, ProducerStateManager producerState, HighWatermark highWatermark) {
        this.topicPartition = topicPartition;
        this.clock = clock;
        this.scheduler = scheduler;
        this.local = local;
        this.epochs = epochs;
        this.producerState = producerState;
        this.highWatermark = highWatermark;
    }

    /**
     * Places {@code records}, checked as {@code checked} against {@code cfg} at {@code now}, at the
     * log end: as leader (offsets assigned, {@code leaderEpoch} stamped, duplicates answered from
     * the producer state) or as follower. A refused append throws {@link LogException} and changes
     * nothing; an I/O failure is a STORAGE_ERROR.
     */
    AppendInfo append(ByteBuffer records, BatchValidator.Checked checked, LogConfig cfg, long now, boolean asLeader,
            int leaderEpoch, AppendOrigin origin, ProducerStateManager.VerificationGuard guard) {
        long nextOffset = local.logEndOffset();
        if (asLeader) {
            ProducerStateManager.DuplicateBatch duplicate = producerState.checkLeaderAppend(records, origin, guard);
            if (duplicate != null) {
                return duplicate.toAppendInfo(leaderEpoch);
            }
        }
        AppendInfo info = asLeader
                ? BatchValidator.assignOffsets(records, checked, nextOffset, leaderEpoch, cfg.logAppendTime() ? now : -1)
                : BatchValidator.checkOffsets(records, checked, nextOffset);
        try {
            if (local.shouldRoll(info)) {
                roll(Math.max(info.firstOffset(), local.logEndOffset()));
            }
            local.append(records, info);
            if (asLeader) {
                epochs.assign(leaderEpoch, info.firstOffset());
            } else {
                epochs.assignFromBatches(records);
            }
            local.updateLogEnd(info.nextOffset());
            LogLoader.completeTransactions(local, producerState, producerState.update(records, clock.millis()),
                    Long.MIN_VALUE);
            // Markers may already lie below the high watermark (a follower's append behind its leader's).
            highWatermark.publishFirstUnstableOffset();
            local.addUnflushed(info.recordCount());
        } catch (IOException | RuntimeException e) {
            if (e instanceof LogException logException) {
                throw logException;
            }
            throw new LogException(LogError.STORAGE_ERROR, "append to " + topicPartition + " failed", e);
        }
        if (local.unflushedRecords() >= cfg.flushMessages()) {
            local.flush(local.logEndOffset());
        }
        return info;
    }

    /** Starts a new active segment at {@code baseOffset} (an empty active segment is reused). */
    void roll(long baseOffset) throws IOException {
        LogSegment previous = local.segments().active();
        if (local.roll(baseOffset) == previous) {
            return;
        }
        // Recovery replays producer state from the newest snapshot: one per segment bounds the replay.
        producerState.takeSnapshot();
        // The rolled segment is complete: fsync it off the append path and move the recovery point.
        scheduler.schedule("flush-" + topicPartition, () -> local.flush(baseOffset), Duration.ZERO);
        log.debug("Rolled {} to a new segment at {}", topicPartition, baseOffset);
    }

    /** Rolls at the log end if the active segment has records (a quiet log's time-based roll, or an operator's). */
    void rollIfNotEmpty() {
        if (local.segments().active().size() > 0) {
            try {
                roll(local.logEndOffset());
            } catch (IOException e) {
                throw new LogException(LogError.STORAGE_ERROR, "roll of " + topicPartition + " failed", e);
            }
        }
    }
}
