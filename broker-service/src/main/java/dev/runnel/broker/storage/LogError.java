package dev.runnel.broker.storage;

/**
 * Why the storage engine refused an operation. The protocol layer maps each to one Kafka error
 * code; the comments name it.
 */
public enum LogError {
    /** A batch's bytes are not what its header says: bad CRC, torn size fields (CORRUPT_MESSAGE). */
    CORRUPT_RECORD,
    /** A batch is well formed but breaks a rule: record count, offset deltas, timestamps (INVALID_RECORD). */
    INVALID_RECORD,
    /** Magic other than 2 (UNSUPPORTED_FOR_MESSAGE_FORMAT). */
    UNSUPPORTED_MAGIC,
    /** A CreateTime record timestamp lies outside {@code message.timestamp.before/after.max.ms} of now (INVALID_TIMESTAMP). */
    INVALID_TIMESTAMP,
    /** One batch is larger than {@code max.message.bytes} (MESSAGE_TOO_LARGE). */
    RECORD_TOO_LARGE,
    /** One append is larger than a segment can hold (RECORD_LIST_TOO_LARGE). */
    RECORD_BATCH_TOO_LARGE,
    /** A follower's batch starts below the log end offset or offsets go backwards (UNKNOWN_SERVER_ERROR). */
    UNEXPECTED_OFFSET,
    /** A read or truncation outside the log's offsets (OFFSET_OUT_OF_RANGE). */
    OFFSET_OUT_OF_RANGE,
    /**
     * An idempotent producer's batch does not continue its sequence: a gap, a replay older than
     * the batches the partition remembers, or a new epoch not starting at 0 (OUT_OF_ORDER_SEQUENCE_NUMBER).
     */
    OUT_OF_ORDER_SEQUENCE,
    /** An idempotent producer's batch carries an epoch older than the partition has seen (INVALID_PRODUCER_EPOCH). */
    INVALID_PRODUCER_EPOCH,
    /**
     * A batch contradicts the producer's transaction on the partition: a non-transactional batch
     * while its transaction is open (INVALID_TXN_STATE).
     */
    INVALID_TXN_STATE,
    /** A transaction marker from a coordinator epoch older than the producer's last marker (TRANSACTION_COORDINATOR_FENCED). */
    TRANSACTION_COORDINATOR_FENCED,
    /** The disk failed us (KAFKA_STORAGE_ERROR). */
    STORAGE_ERROR
}
