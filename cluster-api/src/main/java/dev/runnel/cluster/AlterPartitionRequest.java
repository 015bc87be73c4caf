package dev.runnel.cluster;

import java.util.List;

/**
 * Broker to controller: the leader of these partitions asks to change their ISR. The controller
 * accepts a change only from the current leader at the current leader and partition epochs.
 *
 * @param brokerId    the asking leader
 * @param brokerEpoch its registration
 * @param partitions  the changes
 */
public record AlterPartitionRequest(int brokerId, long brokerEpoch, List<Change> partitions) {

    public AlterPartitionRequest {
        partitions = List.copyOf(partitions);
    }

    /** The proposed ISR of one partition, against the epochs the leader holds. */
    public record Change(String topic, int partition, int leaderEpoch, int partitionEpoch, List<Integer> newIsr) {

        public Change {
            newIsr = List.copyOf(newIsr);
        }
    }
}
