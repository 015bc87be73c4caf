package dev.runnel.broker.replication;

/**
 * Who asks {@link ReplicaManager#appendRecords} to append: it decides which topics may be written.
 * As in Kafka, clients may not append to internal topics such as {@code __consumer_offsets}; their
 * coordinator does.
 */
public enum AppendOrigin {
    /** A producer's Produce request. */
    CLIENT,
    /** A coordinator of this broker writing its own records (the group coordinator). */
    COORDINATOR
}
