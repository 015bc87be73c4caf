package dev.runnel.broker.protocol;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.protocol.Errors;

import dev.runnel.common.TopicPartition;

/**
 * Asks the coordinator of a transactional id whether partitions are in the producer's open
 * transaction (KIP-890 part 1), before a partition leader takes the batch that would open the
 * transaction on it: the coordinator here, or the one elsewhere through a verify-only
 * AddPartitionsToTxn. Answers each partition's error, NONE when it is in the transaction,
 * TRANSACTION_ABORTABLE when it is not.
 */
@FunctionalInterface
public interface TransactionVerification {

    CompletableFuture<Map<TopicPartition, Errors>> verify(String transactionalId, long producerId, short producerEpoch,
            Set<TopicPartition> partitions);
}
