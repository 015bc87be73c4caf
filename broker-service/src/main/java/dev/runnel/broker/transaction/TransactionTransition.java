package dev.runnel.broker.transaction;

import java.util.Set;

import dev.runnel.common.TopicPartition;

/**
 * What a transactional id becomes after one transition: the value of its next
 * {@code __transaction_state} record, plus the last producer epoch, which is kept in memory only.
 * Made by {@code TransactionMetadata.prepare*} (which sets the pending state), written, and then
 * applied with {@link TransactionMetadata#completeTransition}; loading a partition applies the
 * decoded values of the same shape, so what a new coordinator rebuilds is what the old one wrote.
 *
 * @param producerId        the producer id after the transition
 * @param prevProducerId    the producer id before it (tagged field 0 of value version 1)
 * @param nextProducerId    a producer id to switch to at completion: transaction.version 2 only, -1 here
 * @param producerEpoch     the epoch after the transition
 * @param lastProducerEpoch the epoch before a KIP-360 bump, for answering its retry; not persisted (-1 on load)
 * @param timeoutMs         the transaction timeout
 * @param state             the state after the transition
 * @param partitions        the partitions of the open transaction (none in Empty and Complete*)
 * @param txnStartTimestamp when the transaction's first partition was added, -1 when none is open
 * @param txnLastUpdateTimestamp when this transition was prepared
 */
public record TransactionTransition(long producerId, long prevProducerId, long nextProducerId, short producerEpoch,
        short lastProducerEpoch, int timeoutMs, TransactionState state, Set<TopicPartition> partitions,
        long txnStartTimestamp, long txnLastUpdateTimestamp) {

    public TransactionTransition {
        partitions = Set.copyOf(partitions);
    }
}
