package dev.runnel.cluster;

import java.util.List;

/**
 * Broker to controller: my replicas of these partitions are offline, their log directory failed
 * (Kafka's log dir event). The controller takes them out of the ISR and moves their leadership to
 * other in-sync replicas; the broker answers later LeaderAndIsr for them with KAFKA_STORAGE_ERROR
 * until it restarts.
 */
public record ReplicasOfflineRequest(int brokerId, long brokerEpoch, List<PartitionRef> partitions) {

    public ReplicasOfflineRequest {
        partitions = partitions == null ? null : List.copyOf(partitions);
    }
}
