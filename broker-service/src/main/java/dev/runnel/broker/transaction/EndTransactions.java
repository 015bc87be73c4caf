package dev.runnel.broker.transaction;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.transaction.TransactionStateManager.Hosted;
import dev.runnel.common.time.Scheduler;

/**
 * Ending transactions: EndTxn from producers, and the aborts the coordinator starts itself (a
 * fence by InitProducerId, a timeout). Each goes Ongoing → Prepare* (written; the producer is
 * answered) → markers into every partition of the transaction → Complete* (written). Everything
 * here runs on the queue of the id's {@code __transaction_state} partition.
 *
 * <p>While markers are out the id has Complete* pending, so other requests for it get
 * CONCURRENT_TRANSACTIONS. A failed Complete* write is retried after a back-off while this broker
 * still coordinates the partition; markers the sender gives up on leave the transaction in
 * Prepare* for the partition's next coordinator, which finishes it when it loads (as Kafka does).
 */
final class EndTransactions {

    private static final Logger log = LoggerFactory.getLogger(EndTransactions.class);

    private final TransactionStateManager manager;
    private final TransactionMarkerSender markerSender;
    private final Clock clock;
    private final Scheduler scheduler;
    private final Duration retryBackoff;

    EndTransactions(TransactionStateManager manager, TransactionMarkerSender markerSender, Clock clock,
            Scheduler scheduler, Duration retryBackoff) {
        this.manager = manager;
        this.markerSender = markerSender;
        this.clock = clock;
        this.scheduler = scheduler;
        this.retryBackoff = retryBackoff;
    }

    /**
     * Ends the transaction of {@code transactionalId}. From a producer ({@code fromClient}) the
     * epoch must be the current one; the coordinator's own aborts pass the fenced epoch, and an open
     * PrepareEpochFence turns into the abort. {@code respond} gets NONE once the Prepare record is
     * written (or for a retry of a finished EndTxn), else the error.
     */
    void endTransaction(Hosted hosted, String transactionalId, long producerId, short producerEpoch,
            TransactionResult result, boolean fromClient, Consumer<Errors> respond) {
        TransactionMetadata m = hosted.ids.get(transactionalId);
        if (m == null || m.producerId() != producerId) {
            respond.accept(Errors.INVALID_PRODUCER_ID_MAPPING);
            return;
        }
        // Producers may not bump the epoch at transaction.version 1, so theirs must match exactly.
        if ((fromClient && producerEpoch != m.producerEpoch()) || producerEpoch < m.producerEpoch()) {
            respond.accept(Errors.PRODUCER_FENCED);
            return;
        }
        if (m.hasPendingTransition() && m.pendingState() != TransactionState.PREPARE_EPOCH_FENCE) {
            respond.accept(Errors.CONCURRENT_TRANSACTIONS);
            return;
        }
        boolean commit = result == TransactionResult.COMMIT;
        switch (m.state()) {
            case ONGOING -> prepare(hosted, m, producerEpoch, result, respond);
            case COMPLETE_COMMIT -> respond.accept(commit ? Errors.NONE : Errors.INVALID_TXN_STATE);
            case COMPLETE_ABORT -> respond.accept(commit ? Errors.INVALID_TXN_STATE : Errors.NONE);
            case PREPARE_COMMIT -> respond.accept(commit ? Errors.CONCURRENT_TRANSACTIONS : Errors.INVALID_TXN_STATE);
            case PREPARE_ABORT -> respond.accept(commit ? Errors.INVALID_TXN_STATE : Errors.CONCURRENT_TRANSACTIONS);
            case EMPTY -> respond.accept(Errors.INVALID_TXN_STATE);
            case DEAD, PREPARE_EPOCH_FENCE -> throw new IllegalStateException(transactionalId + " is in state "
                    + m.state() + ", which is never current");
        }
    }

    private void prepare(Hosted hosted, TransactionMetadata m, short producerEpoch, TransactionResult result,
            Consumer<Errors> respond) {
        TransactionState next = result == TransactionResult.COMMIT ? TransactionState.PREPARE_COMMIT
                : TransactionState.PREPARE_ABORT;
        boolean fence = m.pendingState() == TransactionState.PREPARE_EPOCH_FENCE;
        if (fence) {
            if (next != TransactionState.PREPARE_ABORT) {
                throw new IllegalStateException(m.transactionalId() + ": a fence ends in an abort, not " + next);
            }
            m.applyEpochFence(producerEpoch);
        }
        TransactionTransition prepared = m.prepareAbortOrCommit(next, clock.millis());
        write(hosted, m, prepared).thenAccept(error -> {
            if (error != Errors.NONE) {
                if (fence) {
                    m.markFailedEpochFence();
                }
                log.info("Writing {} for {} failed with {}", next, m.transactionalId(), error);
                respond.accept(error);
                return;
            }
            TransactionTransition complete = m.prepareComplete(clock.millis());
            respond.accept(Errors.NONE);
            sendMarkers(hosted, m, complete);
        });
    }

    /** After a load: finishes every transaction the previous coordinator left in Prepare*. */
    void completeLoaded(Hosted hosted) {
        for (TransactionMetadata m : List.copyOf(hosted.ids.values())) {
            if (m.state().isPrepare() && !m.hasPendingTransition()) {
                sendMarkers(hosted, m, m.prepareComplete(clock.millis()));
            }
        }
    }

    /** Sends the markers of {@code m}'s Prepare* state, then writes {@code complete}. */
    private void sendMarkers(Hosted hosted, TransactionMetadata m, TransactionTransition complete) {
        if (m.partitions().isEmpty()) {
            writeComplete(hosted, m, complete);
            return;
        }
        TransactionResult result = complete.state() == TransactionState.COMPLETE_COMMIT ? TransactionResult.COMMIT
                : TransactionResult.ABORT;
        TransactionMarkerSender.Markers markers = new TransactionMarkerSender.Markers(hosted.partition,
                m.transactionalId(), m.producerId(), m.producerEpoch(), hosted.coordinatorEpoch, result, m.partitions());
        CompletableFuture<Void> sent;
        try {
            sent = markerSender.send(markers);
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        sent.whenCompleteAsync((v, failure) -> {
            if (!manager.isCurrent(hosted)) {
                return; // the partition's next coordinator finishes it
            }
            if (failure != null) {
                log.warn("Gave up writing the {} markers of {} (producer {} epoch {}); it stays in {} until "
                        + "__transaction_state-{} is loaded again", result, m.transactionalId(), m.producerId(),
                        m.producerEpoch(), m.state(), hosted.partition, failure);
                return;
            }
            writeComplete(hosted, m, complete);
        }, hosted.queue);
    }

    private void writeComplete(Hosted hosted, TransactionMetadata m, TransactionTransition complete) {
        manager.append(hosted, List.of(TransactionLogCodec.encode(m.transactionalId(), complete))).thenAccept(error -> {
            if (error == Errors.NONE) {
                m.completeTransition(complete);
                return;
            }
            if (!manager.isCurrent(hosted) || error == Errors.NOT_COORDINATOR) {
                log.info("Not writing {} for {}: no longer its coordinator ({})", complete.state(), m.transactionalId(),
                        error);
                return;
            }
            log.info("Writing {} for {} failed with {}; retrying in {}", complete.state(), m.transactionalId(), error,
                    retryBackoff);
            scheduler.schedule("transaction-completion-" + m.transactionalId(),
                    () -> hosted.queue.execute(() -> {
                        if (manager.isCurrent(hosted) && hosted.ids.get(m.transactionalId()) == m) {
                            writeComplete(hosted, m, complete);
                        }
                    }), retryBackoff);
        });
    }

    /**
     * Writes {@code t} for {@code m}: on success applies it, on failure clears the pending state;
     * completes on the partition's queue with the error to answer.
     */
    CompletableFuture<Errors> write(Hosted hosted, TransactionMetadata m, TransactionTransition t) {
        return manager.append(hosted, List.of(TransactionLogCodec.encode(m.transactionalId(), t))).thenApply(error -> {
            if (error != Errors.NONE) {
                m.abortPending();
                return error;
            }
            try {
                m.completeTransition(t);
                return Errors.NONE;
            } catch (IllegalStateException e) {
                log.error("Cannot apply a written transition; this is a bug", e);
                m.abortPending();
                return Errors.UNKNOWN_SERVER_ERROR;
            }
        });
    }
}
