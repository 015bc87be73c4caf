package dev.runnel.cluster;

/**
 * The controller's answer to AllocateProducerIds.
 *
 * @param error NONE, STALE_BROKER_EPOCH, or NOT_CONTROLLER
 * @param block the block, when error is NONE
 */
public record AllocateProducerIdsResponse(ClusterError error, ProducerIdBlock block) {
}
