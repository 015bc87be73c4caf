package dev.runnel.broker.group;

import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.protocol.Errors;

/**
 * Asks the transaction coordinator whether a producer's open transaction includes an offsets
 * partition (AddOffsetsToTxn put it there), before a TxnOffsetCommit is written: Kafka's KIP-890
 * verification, {@code AddPartitionsToTxn} with VerifyOnly. Implemented outside this package (the
 * group coordinator knows no transaction coordinator).
 */
@FunctionalInterface
public interface TransactionVerifier {

    /**
     * Whether partition {@code offsetsPartition} of {@code __consumer_offsets} is in the open
     * transaction of {@code transactionalId} with this producer id and epoch.
     *
     * @return NONE if it is, else the error TxnOffsetCommit v4+ answers: TRANSACTION_ABORTABLE when
     *         the partition is not in the transaction, INVALID_PRODUCER_EPOCH or PRODUCER_FENCED for an
     *         old epoch, INVALID_PRODUCER_ID_MAPPING, CONCURRENT_TRANSACTIONS, or the transaction
     *         coordinator's own COORDINATOR_NOT_AVAILABLE / NOT_COORDINATOR /
     *         COORDINATOR_LOAD_IN_PROGRESS (answered to the client as COORDINATOR_NOT_AVAILABLE, since
     *         they are not about the group's coordinator); a failed future counts as
     *         COORDINATOR_NOT_AVAILABLE
     */
    CompletableFuture<Errors> verify(String transactionalId, long producerId, short producerEpoch,
            int offsetsPartition);
}
