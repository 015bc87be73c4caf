package dev.runnel.broker.protocol;

import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.message.DeleteRecordsRequestData;
import org.apache.kafka.common.message.DeleteRecordsResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.replication.ReplicaException;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.storage.LogException;
import dev.runnel.common.TopicPartition;

/**
 * DeleteRecords: moves each partition's log start offset up to the requested offset (-1: the high
 * watermark) on its leader and answers with the new start (the "low watermark"). Offsets above the
 * high watermark are refused with OFFSET_OUT_OF_RANGE. Fetches waiting on the partition are woken,
 * so one reading below the new start learns of it.
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
        for (DeleteRecordsRequestData.DeleteRecordsTopic topic : data.topics()) {
            DeleteRecordsResponseData.DeleteRecordsTopicResult result =
                    new DeleteRecordsResponseData.DeleteRecordsTopicResult().setName(topic.name());
            for (DeleteRecordsRequestData.DeleteRecordsPartition p : topic.partitions()) {
                result.partitions().add(answer(topic.name(), p));
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
