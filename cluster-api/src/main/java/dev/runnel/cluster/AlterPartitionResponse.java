package dev.runnel.cluster;

import java.util.List;

/**
 * The controller's answer to an AlterPartition: per partition, the committed state or an error.
 *
 * @param error      {@link ClusterError#NONE}, or why the whole request was refused
 * @param partitions one result per requested change
 */
public record AlterPartitionResponse(ClusterError error, List<Result> partitions) {

    public AlterPartitionResponse {
        partitions = List.copyOf(partitions);
    }

    /** The committed state when {@code error} is NONE, else null. */
    public record Result(String topic, int partition, ClusterError error, PartitionState state) {
    }
}
