package dev.runnel.broker.protocol;

import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.replication.ReplicaException;
import dev.runnel.broker.storage.LogException;

/** The one translation of Runnel's typed failures into Kafka error codes. */
public final class KafkaErrors {

    private KafkaErrors() {
    }

    public static Errors of(Throwable failure) {
        if (failure instanceof LogException logException) {
            return switch (logException.error()) {
                case CORRUPT_RECORD -> Errors.CORRUPT_MESSAGE;
                case INVALID_RECORD -> Errors.INVALID_RECORD;
                case INVALID_TIMESTAMP -> Errors.INVALID_TIMESTAMP;
                case UNSUPPORTED_MAGIC -> Errors.UNSUPPORTED_FOR_MESSAGE_FORMAT;
                case RECORD_TOO_LARGE -> Errors.MESSAGE_TOO_LARGE;
                case RECORD_BATCH_TOO_LARGE -> Errors.RECORD_LIST_TOO_LARGE;
                case OFFSET_OUT_OF_RANGE -> Errors.OFFSET_OUT_OF_RANGE;
                case STORAGE_ERROR -> Errors.KAFKA_STORAGE_ERROR;
                case OUT_OF_ORDER_SEQUENCE -> Errors.OUT_OF_ORDER_SEQUENCE_NUMBER;
                case INVALID_PRODUCER_EPOCH -> Errors.INVALID_PRODUCER_EPOCH;
                case INVALID_TXN_STATE -> Errors.INVALID_TXN_STATE;
                case TRANSACTION_COORDINATOR_FENCED -> Errors.TRANSACTION_COORDINATOR_FENCED;
                case UNEXPECTED_OFFSET -> Errors.UNKNOWN_SERVER_ERROR;
            };
        }
        if (failure instanceof ReplicaException replicaException) {
            return switch (replicaException.error()) {
                case NOT_LEADER_OR_FOLLOWER -> Errors.NOT_LEADER_OR_FOLLOWER;
                case UNKNOWN_TOPIC_OR_PARTITION -> Errors.UNKNOWN_TOPIC_OR_PARTITION;
                case NOT_ENOUGH_REPLICAS -> Errors.NOT_ENOUGH_REPLICAS;
                case NOT_ENOUGH_REPLICAS_AFTER_APPEND -> Errors.NOT_ENOUGH_REPLICAS_AFTER_APPEND;
                case FENCED_LEADER_EPOCH -> Errors.FENCED_LEADER_EPOCH;
                case UNKNOWN_LEADER_EPOCH -> Errors.UNKNOWN_LEADER_EPOCH;
                case REQUEST_TIMED_OUT -> Errors.REQUEST_TIMED_OUT;
                case INVALID_TOPIC -> Errors.INVALID_TOPIC_EXCEPTION;
                case POLICY_VIOLATION -> Errors.POLICY_VIOLATION;
            };
        }
        return Errors.UNKNOWN_SERVER_ERROR;
    }
}
