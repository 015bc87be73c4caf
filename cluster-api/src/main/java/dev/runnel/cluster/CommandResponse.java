package dev.runnel.cluster;

import java.util.List;

/**
 * A broker's answer to LeaderAndIsr, UpdateMetadata or StopReplica.
 *
 * @param error      {@link ClusterError#NONE}, or why the whole command was refused
 * @param message    a sentence for the operator, or null
 * @param partitions per-partition errors (only failed partitions are listed)
 */
public record CommandResponse(ClusterError error, String message, List<PartitionError> partitions) {

    public CommandResponse {
        partitions = partitions == null ? List.of() : List.copyOf(partitions);
    }

    public static CommandResponse ok(List<PartitionError> partitionErrors) {
        return new CommandResponse(ClusterError.NONE, null, partitionErrors);
    }

    public static CommandResponse refused(ClusterError error, String message) {
        return new CommandResponse(error, message, List.of());
    }

    /** One partition's failure. */
    public record PartitionError(String topic, int partition, ClusterError error, String message) {
    }
}
