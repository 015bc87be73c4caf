package dev.runnel.cluster;

/**
 * The controller's answer to a {@link ReplicasOfflineRequest}.
 *
 * @param error {@link ClusterError#NONE}, STALE_BROKER_EPOCH, NOT_CONTROLLER or INVALID_REQUEST
 */
public record ReplicasOfflineResponse(ClusterError error) {
}
