package dev.runnel.cluster;

import java.util.List;

/**
 * The controller's answer to a controlled shutdown.
 *
 * @param error              {@link ClusterError#NONE} or why it was refused
 * @param remainingLeaders   partitions the broker still leads because no other in-sync replica is alive
 */
public record ControlledShutdownResponse(ClusterError error, List<PartitionRef> remainingLeaders) {

    public ControlledShutdownResponse {
        remainingLeaders = List.copyOf(remainingLeaders);
    }
}
