package dev.runnel.broker.transaction;

import java.util.Set;
import java.util.concurrent.CompletableFuture;

import dev.runnel.common.TopicPartition;

/**
 * Writes a transaction's COMMIT or ABORT markers into its partitions (WriteTxnMarkers to each
 * partition's leader, Kafka's {@code TransactionMarkerChannelManager}). The coordinator hands it
 * the markers once the Prepare record is written and writes the Complete record once the future
 * completes.
 */
public interface TransactionMarkerSender {

    /**
     * The markers of one transaction.
     *
     * @param transactionStatePartition the {@code __transaction_state} partition of the id (for {@link #removeMarkers})
     * @param transactionalId           the id, for logs
     * @param producerId                the producer whose transaction ends
     * @param producerEpoch             its epoch, as the markers carry it
     * @param coordinatorEpoch          the coordinator's epoch, which partitions check against the last they saw
     * @param result                    commit or abort
     * @param partitions                where the markers go (never empty)
     */
    record Markers(int transactionStatePartition, String transactionalId, long producerId, short producerEpoch,
            int coordinatorEpoch, TransactionResult result, Set<TopicPartition> partitions) {

        public Markers {
            partitions = Set.copyOf(partitions);
        }
    }

    /**
     * Sends {@code markers}, retrying each partition through leader changes. The future completes
     * when every partition has its marker (or no longer exists), and fails when the sender gives up:
     * the transaction was superseded (INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED), or
     * {@link #removeMarkers} dropped it. A failed transaction stays in Prepare* until the next
     * coordinator of its partition loads it and sends the markers again.
     */
    CompletableFuture<Void> send(Markers markers);

    /**
     * Drops the markers still queued for ids of {@code __transaction_state} partition
     * {@code transactionStatePartition}: this broker stopped or started coordinating it.
     */
    void removeMarkers(int transactionStatePartition);
}
