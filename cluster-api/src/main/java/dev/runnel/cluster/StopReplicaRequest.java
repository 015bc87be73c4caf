package dev.runnel.cluster;

import java.util.List;

/**
 * Controller to broker: stop replicating these partitions, and delete their logs when
 * {@code deletePartitions} (the topic was deleted or the replica moved away). Idempotent.
 *
 * @param controllerId     the sending controller
 * @param controllerEpoch  the sender's epoch
 * @param brokerEpoch      the registration of the target broker
 * @param deletePartitions whether to delete the logs
 * @param partitions       the partitions
 */
public record StopReplicaRequest(int controllerId, int controllerEpoch, long brokerEpoch, boolean deletePartitions,
        List<PartitionRef> partitions) {

    public StopReplicaRequest {
        partitions = List.copyOf(partitions);
    }
}
