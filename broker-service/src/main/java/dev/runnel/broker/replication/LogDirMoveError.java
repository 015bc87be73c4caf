package dev.runnel.broker.replication;

/** Why a replica could not be moved to another log directory; the Kafka error code of the same name. */
public enum LogDirMoveError {
    NONE,
    /** The destination is not one of this broker's log directories. */
    LOG_DIR_NOT_FOUND,
    /** The destination directory, or the partition's current one, failed. */
    KAFKA_STORAGE_ERROR,
    /** This broker has no replica of the partition yet; the directory is remembered for when it does. */
    REPLICA_NOT_AVAILABLE,
    /** The cluster has no such partition. */
    UNKNOWN_TOPIC_OR_PARTITION
}
