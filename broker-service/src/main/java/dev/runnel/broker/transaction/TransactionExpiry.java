package dev.runnel.broker.transaction;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.transaction.TransactionStateManager.Hosted;

/**
 * The coordinator's two timers, run per hosted partition on its queue.
 *
 * <ul>
 *   <li>{@link #abortTimedOutTransactions}: a transaction Ongoing for longer than its timeout
 *       (counted from its first AddPartitions) is aborted with a fence: epoch + 1, PrepareAbort,
 *       markers, CompleteAbort. The producer that let it time out is thereby fenced: its next
 *       coordinator call gets PRODUCER_FENCED and its next produce INVALID_PRODUCER_EPOCH.</li>
 *   <li>{@link #expireTransactionalIds}: an id idle in Empty, CompleteCommit or CompleteAbort for
 *       {@code transactional.id.expiration.ms} gets a tombstone and is forgotten once it is written.</li>
 * </ul>
 */
final class TransactionExpiry {

    private static final Logger log = LoggerFactory.getLogger(TransactionExpiry.class);

    private final TransactionStateManager manager;
    private final EndTransactions ends;
    private final Clock clock;
    private final Duration idExpiration;

    TransactionExpiry(TransactionStateManager manager, EndTransactions ends, Clock clock, Duration idExpiration) {
        this.manager = manager;
        this.ends = ends;
        this.clock = clock;
        this.idExpiration = idExpiration;
    }

    void abortTimedOutTransactions() {
        for (Hosted hosted : manager.hosted()) {
            hosted.queue.execute(() -> {
                if (!manager.isCurrent(hosted)) {
                    return;
                }
                long now = clock.millis();
                for (TransactionMetadata m : List.copyOf(hosted.ids.values())) {
                    if (m.state() == TransactionState.ONGOING && !m.hasPendingTransition()
                            && m.txnStartTimestamp() + m.timeoutMs() < now) {
                        abort(hosted, m);
                    }
                }
            });
        }
    }

    private void abort(Hosted hosted, TransactionMetadata m) {
        TransactionTransition fence = m.prepareFenceProducerEpoch();
        log.info("Aborting the transaction of {} (producer {}), open for longer than its timeout of {} ms, with epoch {}",
                m.transactionalId(), m.producerId(), m.timeoutMs(), fence.producerEpoch());
        ends.endTransaction(hosted, m.transactionalId(), fence.producerId(), fence.producerEpoch(), TransactionResult.ABORT,
                false, error -> {
                    if (error != Errors.NONE) {
                        log.warn("Aborting the timed-out transaction of {} failed: {}", m.transactionalId(), error);
                    }
                });
    }

    void expireTransactionalIds() {
        for (Hosted hosted : manager.hosted()) {
            hosted.queue.execute(() -> {
                if (manager.isCurrent(hosted)) {
                    expire(hosted);
                }
            });
        }
    }

    private void expire(Hosted hosted) {
        long horizon = clock.millis() - idExpiration.toMillis();
        Map<TransactionMetadata, TransactionTransition> dying = new LinkedHashMap<>();
        for (TransactionMetadata m : hosted.ids.values()) {
            if (m.state().isExpirationAllowed() && !m.hasPendingTransition() && m.txnLastUpdateTimestamp() <= horizon) {
                dying.put(m, m.prepareDead());
            }
        }
        if (dying.isEmpty()) {
            return;
        }
        List<TransactionLog.Entry> tombstones = new ArrayList<>();
        dying.keySet().forEach(m -> tombstones.add(TransactionLogCodec.encode(m.transactionalId(), null)));
        manager.append(hosted, tombstones).thenAccept(error -> {
            int removed = 0;
            for (Map.Entry<TransactionMetadata, TransactionTransition> e : dying.entrySet()) {
                TransactionMetadata m = e.getKey();
                if (error == Errors.NONE && m.pendingState() == TransactionState.DEAD
                        && m.producerEpoch() == e.getValue().producerEpoch()
                        && hosted.ids.remove(m.transactionalId(), m)) {
                    removed++;
                } else {
                    m.abortPending();
                }
            }
            if (error == Errors.NONE) {
                log.info("Expired {} transactional ids of __transaction_state-{}", removed, hosted.partition);
            } else {
                log.warn("Writing the tombstones of {} expired transactional ids to __transaction_state-{} failed: {}",
                        dying.size(), hosted.partition, error);
            }
        });
    }
}
