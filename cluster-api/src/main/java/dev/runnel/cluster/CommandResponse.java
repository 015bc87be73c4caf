package dev.runnel.cluster;

import java.util.List;

/**
 * A broker's answer to LeaderAndIsr, UpdateMetadata, StopReplica or a command-status request.
 *
 * <p>A broker applies commands in the order it accepts them, on its own thread, and answers once a
 * command is applied or, if that takes longer than it may keep the controller waiting, once it is
 * queued ({@code queued} true: the outcome is not known yet, the command will be applied after the
 * ones before it). Either way the answer says which metadata view the broker has applied by then,
 * so the controller knows how far behind each broker is.
 *
 * @param error                  {@link ClusterError#NONE}, or why the whole command was refused
 * @param message                a sentence for the operator, or null
 * @param partitions             per-partition errors (only failed partitions are listed)
 * @param queued                 the command is accepted but not applied yet
 * @param appliedControllerEpoch the controller epoch of the metadata view the broker has applied
 * @param appliedMetadataVersion that view's metadata version (0 before any)
 */
public record CommandResponse(ClusterError error, String message, List<PartitionError> partitions, boolean queued,
        int appliedControllerEpoch, long appliedMetadataVersion) {

    public CommandResponse {
        partitions = partitions == null ? List.of() : List.copyOf(partitions);
    }

    /** An applied command's outcome, before the broker's applied view is added. */
    public CommandResponse(ClusterError error, String message, List<PartitionError> partitions) {
        this(error, message, partitions, false, 0, 0);
    }

    public static CommandResponse ok(List<PartitionError> partitionErrors) {
        return new CommandResponse(ClusterError.NONE, null, partitionErrors);
    }

    public static CommandResponse refused(ClusterError error, String message) {
        return new CommandResponse(error, message, List.of());
    }

    /** This answer, saying that the broker has applied the view {@code (controllerEpoch, metadataVersion)}. */
    public CommandResponse withAppliedView(int controllerEpoch, long metadataVersion) {
        return new CommandResponse(error, message, partitions, queued, controllerEpoch, metadataVersion);
    }

    /** This answer, marked as the answer to a command not applied yet. */
    public CommandResponse asQueued() {
        return new CommandResponse(error, message, partitions, true, appliedControllerEpoch, appliedMetadataVersion);
    }

    /** One partition's failure. */
    public record PartitionError(String topic, int partition, ClusterError error, String message) {
    }
}
