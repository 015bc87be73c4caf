package dev.runnel.broker.replication;

/**
 * Why a partition refused a request because of its replication state rather than its data. The
 * protocol layer maps each to the Kafka error code of the same name.
 */
public enum ReplicaError {
    /** This broker does not lead the partition (or no longer hosts it). */
    NOT_LEADER_OR_FOLLOWER,
    /** The cluster has no such topic or partition. */
    UNKNOWN_TOPIC_OR_PARTITION,
    /** The ISR is smaller than {@code min.insync.replicas}: an acks=all produce is refused. */
    NOT_ENOUGH_REPLICAS,
    /** The ISR shrank below {@code min.insync.replicas} after the append, while waiting. */
    NOT_ENOUGH_REPLICAS_AFTER_APPEND,
    /** The request names a leader epoch older than the partition's. */
    FENCED_LEADER_EPOCH,
    /** The request names a leader epoch newer than the partition's: this broker has not caught up. */
    UNKNOWN_LEADER_EPOCH,
    /** An acks=all append was not replicated to the ISR within the request's timeout. */
    REQUEST_TIMED_OUT,
    /** A client tried to append to an internal topic, which only its coordinator writes. */
    INVALID_TOPIC,
    /** The topic's configs forbid the operation (DeleteRecords on a topic without {@code cleanup.policy=delete}). */
    POLICY_VIOLATION
}
