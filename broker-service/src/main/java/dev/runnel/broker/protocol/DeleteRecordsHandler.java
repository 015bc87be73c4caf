package dev.runnel.broker.protocol;

import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

import org.apache.kafka.common.message.DeleteRecordsRequestData;
import org.apache.kafka.common.message.DeleteRecordsResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.replication.ReplicaException;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.Authorizer;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.broker.storage.LogException;
import dev.runnel.common.TopicPartition;

/**
 * DeleteRecords: moves each partition's log start offset up to the requested offset (-1: the high
 * watermark) on its leader and answers with the new start (the "low watermark"). Offsets above the
 * high watermark are refused with OFFSET_OUT_OF_RANGE. Fetches waiting on the partition are woken,
 * so one reading below the new start learns of it. A topic the connection may not DELETE is
 * TOPIC_AUTHORIZATION_FAILED for each of its partitions and keeps its records, as in Kafka.
 */
final class DeleteRecordsHandler implements ApiHandler {

    private final ReplicaManager replicas;

    DeleteRecordsHandler(ReplicaManager replicas) {
        this.replicas = replicas;
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        DeleteRecordsRequestData data = (DeleteRecordsRequestData) request.body();
        DeleteRecordsResponseData response = new DeleteRecordsResponseData();
        Predicate<String> mayDelete = request.session().allowedNames(AclOperation.DELETE, ResourceType.TOPIC,
                Authorizer.Audit.EXPLICIT);
        for (DeleteRecordsRequestData.DeleteRecordsTopic topic : data.topics()) {
            DeleteRecordsResponseData.DeleteRecordsTopicResult result =
                    new DeleteRecordsResponseData.DeleteRecordsTopicResult().setName(topic.name());
            boolean authorized = mayDelete.test(topic.name());
            for (DeleteRecordsRequestData.DeleteRecordsPartition p : topic.partitions()) {
                result.partitions().add(authorized ? answer(topic.name(), p)
                        : new DeleteRecordsResponseData.DeleteRecordsPartitionResult().setPartitionIndex(p.partitionIndex())
                                .setLowWatermark(-1).setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code()));
            }
            response.topics().add(result);
        }
        return CompletableFuture.completedFuture(response);
    }

    private DeleteRecordsResponseData.DeleteRecordsPartitionResult answer(String topic,
            DeleteRecordsRequestData.DeleteRecordsPartition p) {
        DeleteRecordsResponseData.DeleteRecordsPartitionResult out =
                new DeleteRecordsResponseData.DeleteRecordsPartitionResult().setPartitionIndex(p.partitionIndex())
                        .setLowWatermark(-1);
        if (p.offset() < -1) {
            return out.setErrorCode(Errors.OFFSET_OUT_OF_RANGE.code());
        }
        TopicPartition tp;
        try {
            tp = new TopicPartition(topic, p.partitionIndex());
        } catch (IllegalArgumentException e) {
            return out.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
        }
        try {
            return out.setLowWatermark(replicas.deleteRecords(tp, p.offset()));
        } catch (ReplicaException | LogException e) {
            return out.setErrorCode(KafkaErrors.of(e).code());
        }
    }
}
