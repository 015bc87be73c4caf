package dev.runnel.broker.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.common.TopicPartition;
import dev.runnel.common.time.Scheduler;

/**
 * Opens a partition log, as Kafka's {@code LogLoader} does for its {@code UnifiedLog}: the segments
 * are loaded and recovered by {@link LogRecovery}, then the state kept beside them (leader epochs,
 * idempotent producers) is brought back in line with the log that survived. Each pass is numbered
 * in {@link #load}.
 *
 * <p>Producer state and leader epochs are rebuilt by replaying the log's batches ({@link
 * #rebuildProducerState}, {@link #rebuildLeaderEpochs}); a truncation replays the producer state
 * the same way, so an open and a truncation cannot disagree on what the log holds.
 *
 * <p>Not thread-safe: {@link #load} runs before the log is shared, and a replay for a truncation
 * runs under the {@link PartitionLog} lock.
 */
final class LogLoader {

    private static final Logger log = LoggerFactory.getLogger(LogLoader.class);

    private static final int REPLAY_CHUNK_BYTES = 1024 * 1024;

    /** An opened log: its segments and the state beside them, consistent with each other. */
    record Loaded(LocalLog local, LeaderEpochCache epochs, ProducerStateManager producerState, long highWatermark) {
    }

    private LogLoader() {
    }

    /**
     * Opens the log in {@code dir}, creating the directory if needed.
     *
     * @param highWatermark the checkpointed high watermark, clamped into the recovered log
     */
    static Loaded load(Path dir, TopicPartition topicPartition, LogConfig config, Clock clock, Scheduler scheduler,
            LogRecovery.LoadParams params, long highWatermark) throws IOException {
        Files.createDirectories(dir);

        // Pass 1: load the segments, cutting what a crash tore (see LogRecovery's own passes).
        LogRecovery.Loaded recovered = LogRecovery.load(dir, config, params, clock.millis());

        // Pass 2: the leader epoch checkpoint may name epochs that start past the recovered end or
        // below the log start: drop those.
        LeaderEpochCache epochs = LeaderEpochCache.open(dir);
        epochs.truncateFromEnd(recovered.logEndOffset());
        epochs.truncateFromStart(recovered.logStartOffset());

        // Pass 3: the log itself, and the offsets clients see, clamped into it.
        ProducerStateManager producerState = ProducerStateManager.open(dir, PartitionLog.PRODUCER_ID_EXPIRATION_MS);
        LocalLog local = new LocalLog(dir, topicPartition, config, clock, scheduler, recovered.segments(),
                recovered.logStartOffset(), recovered.logEndOffset(), recovered.recoveryPoint());
        long clampedHighWatermark = Math.min(Math.max(highWatermark, recovered.logStartOffset()),
                recovered.logEndOffset());

        // Pass 4: the producers' state, from the newest snapshot within the log and the batches after
        // it; from an older snapshot if a recovered segment's transaction index must be rebuilt.
        rebuildProducerState(local, producerState, clock, recovered.txnIndexRebuildFrom());

        // Pass 5: a corrupt leader epoch checkpoint was read as empty; every batch carries its
        // epoch, so rebuild it from the batches.
        if (epochs.wasCorrupt()) {
            rebuildLeaderEpochs(local, epochs);
        }
        return new Loaded(local, epochs, producerState, clampedHighWatermark);
    }

    /**
     * Loads the newest producer snapshot within the log and replays the batches after it, so the
     * producers' state (open transactions included) matches the log again after truncating it.
     */
    static void rebuildProducerState(LocalLog local, ProducerStateManager producerState, Clock clock)
            throws IOException {
        rebuildProducerState(local, producerState, clock, Long.MAX_VALUE);
    }

    /**
     * Loads the newest producer snapshot within the log and replays the batches after it, so the
     * producers' state matches the log again. The transaction indexes of the segments from
     * {@code txnIndexFrom} (a segment base, emptied by recovery; {@link Long#MAX_VALUE} for none)
     * are rebuilt on the way: the replay then starts at a snapshot at or below that base, so every
     * abort marker from there on is met with the state that names its transaction's first offset
     * and the last stable offset at that moment.
     */
    static void rebuildProducerState(LocalLog local, ProducerStateManager producerState, Clock clock,
            long txnIndexFrom) throws IOException {
        long logStartOffset = local.logStartOffset();
        long logEnd = local.logEndOffset();
        producerState.truncateAndReload(logStartOffset, Math.min(logEnd, txnIndexFrom), clock.millis());
        replayBatches(local, Math.max(producerState.mapEndOffset(), logStartOffset), logEnd,
                "producer state", (bytes, at, size) -> {
                    // Live appends count expiry from the broker's clock, which a replay cannot know: a record
                    // timestamp may be days old (CreateTime), so count from now at the latest, and never
                    // forget a producer sooner than a broker that had not crashed would.
                    completeTransactions(local, producerState, producerState.update(
                            bytes.duplicate().position(at).limit(at + size).slice(),
                            Math.max(RecordBatchHeader.maxTimestamp(bytes, at), clock.millis())), txnIndexFrom);
                });
        log.debug("Producer state of {} rebuilt: {} producers, {} open transactions", local.topicPartition(),
                producerState.activeProducers().size(), producerState.transactions().ongoing().size());
    }

    /**
     * Completes the transactions that markers just ended (an append's, or a replay's): each aborted
     * one whose marker is at or past {@code indexFrom} goes into the transaction index of the
     * segment holding its marker, with the last stable offset of that moment; all of them stay
     * unstable until the high watermark passes their markers.
     */
    static void completeTransactions(LocalLog local, ProducerStateManager producerState,
            List<ProducerStateManager.CompletedTxn> completed, long indexFrom) {
        for (ProducerStateManager.CompletedTxn txn : completed) {
            if (txn.aborted() && txn.lastOffset() >= indexFrom) {
                indexAbort(local, txn, producerState.transactions().lastStableOffset(txn));
            }
            producerState.transactions().complete(txn);
        }
    }

    /** Adds an aborted transaction to the transaction index of the segment holding its marker. */
    private static void indexAbort(LocalLog local, ProducerStateManager.CompletedTxn txn, long lastStableOffset) {
        LogSegment segment = local.segments().floor(txn.lastOffset());
        try {
            segment.appendAbortedTxn(new TransactionIndex.AbortedTxn(txn.producerId(), txn.firstOffset(),
                    txn.lastOffset(), lastStableOffset));
        } catch (IOException e) {
            throw new LogException(LogError.STORAGE_ERROR, "cannot index aborted transaction " + txn + " of "
                    + local.topicPartition(), e);
        }
    }

    /**
     * Rebuilds the leader epoch cache from the leader epoch every batch carries, after its
     * checkpoint was found corrupt (Kafka's recovery assigns epochs from batches the same way).
     */
    static void rebuildLeaderEpochs(LocalLog local, LeaderEpochCache epochs) throws IOException {
        replayBatches(local, local.logStartOffset(), local.logEndOffset(), "leader epochs", (bytes, at, size) ->
                epochs.assign(RecordBatchHeader.partitionLeaderEpoch(bytes, at), RecordBatchHeader.baseOffset(bytes, at)));
        log.warn("Leader epochs of {} rebuilt from its batches: {}", local.topicPartition(), epochs.entries());
    }

    /** One batch of a replay: {@code size} bytes at {@code at} in {@code bytes}. */
    @FunctionalInterface
    private interface BatchVisitor {
        void visit(ByteBuffer bytes, int at, int size);
    }

    /** Reads the batches in [{@code from}, {@code to}) in chunks and hands each to {@code visitor}. */
    private static void replayBatches(LocalLog local, long from, long to, String what, BatchVisitor visitor)
            throws IOException {
        long next = from;
        while (next < to) {
            FileSlice chunk = local.read(next, REPLAY_CHUNK_BYTES, to, true, local.logStartOffset(), local.end());
            if (chunk == null || chunk.size() == 0) {
                break;
            }
            ByteBuffer bytes = chunk.readFully();
            int at = 0;
            while (at + RecordBatchHeader.HEADER_SIZE <= bytes.limit()
                    && at + RecordBatchHeader.sizeInBytes(bytes, at) <= bytes.limit()) {
                int size = RecordBatchHeader.sizeInBytes(bytes, at);
                visitor.visit(bytes, at, size);
                next = RecordBatchHeader.lastOffset(bytes, at) + 1;
                at += size;
            }
            if (at == 0) {
                throw new LogException(LogError.CORRUPT_RECORD, "cannot replay the " + what + " of "
                        + local.topicPartition() + " at offset " + next);
            }
        }
    }
}
