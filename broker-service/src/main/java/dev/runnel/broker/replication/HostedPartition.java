package dev.runnel.broker.replication;

import java.util.List;
import java.util.UUID;

import dev.runnel.cluster.PartitionState;

/**
 * A partition this broker replicates, as the last accepted LeaderAndIsr described it.
 *
 * @param topicId  the topic's id
 * @param replicas the assigned replicas
 * @param state    leader, epochs and ISR
 * @param leader   whether this broker leads it
 */
public record HostedPartition(UUID topicId, List<Integer> replicas, PartitionState state, boolean leader) {

    public HostedPartition {
        replicas = List.copyOf(replicas);
    }
}
