package dev.runnel.cluster;

/**
 * Errors of the internal controller and broker APIs, named as Kafka names the same conditions.
 */
public enum ClusterError {
    NONE,
    /** The command's controller epoch is lower than the highest the broker has seen: a deposed controller. */
    STALE_CONTROLLER_EPOCH,
    /** The request names a broker epoch that is not the broker's current registration. */
    STALE_BROKER_EPOCH,
    /** A LeaderAndIsr for a partition carries a leader epoch lower than the one the broker holds. */
    STALE_LEADER_EPOCH,
    /** An AlterPartition names a leader epoch that is not the current one. */
    FENCED_LEADER_EPOCH,
    /** An AlterPartition names a partition epoch that is not the current one. */
    INVALID_UPDATE_VERSION,
    /** An AlterPartition from a broker that does not lead the partition. */
    NOT_LEADER_OR_FOLLOWER,
    /** An AlterPartition proposing an ISR with a replica that is not assigned or not alive. */
    INELIGIBLE_REPLICA,
    UNKNOWN_TOPIC_OR_PARTITION,
    /** The receiving controller is not the active one. */
    NOT_CONTROLLER,
    /** The broker could not open or delete a partition's log. */
    KAFKA_STORAGE_ERROR,
    INVALID_REQUEST
}
