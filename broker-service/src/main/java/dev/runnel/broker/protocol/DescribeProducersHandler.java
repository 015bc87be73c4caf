package dev.runnel.broker.protocol;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.message.DescribeProducersRequestData;
import org.apache.kafka.common.message.DescribeProducersResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.replication.Partition;
import dev.runnel.broker.replication.ReplicaError;
import dev.runnel.broker.replication.ReplicaException;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.Authorizer;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.broker.storage.ProducerStateEntry;
import dev.runnel.common.TopicPartition;

/**
 * DescribeProducers (v0): the producers a partition's replica here remembers, with their epoch,
 * last sequence and timestamp, the coordinator epoch of their last marker and where their open
 * transaction started ({@code kafka-transactions describe-producers} and {@code find-hanging}).
 * As Kafka's, any replica answers (a follower keeps the same state from what it replicates), so
 * {@code find-hanging --broker-id} can look at every partition a broker hosts; a partition not
 * hosted here is NOT_LEADER_OR_FOLLOWER. As in Kafka, a topic the connection may not READ is
 * TOPIC_AUTHORIZATION_FAILED for each of its partitions.
 */
final class DescribeProducersHandler implements ApiHandler {

    private final ReplicaManager replicas;

    DescribeProducersHandler(ReplicaManager replicas) {
        this.replicas = replicas;
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        DescribeProducersRequestData data = (DescribeProducersRequestData) request.body();
        DescribeProducersResponseData response = new DescribeProducersResponseData();
        for (DescribeProducersRequestData.TopicRequest topic : data.topics()) {
            DescribeProducersResponseData.TopicResponse topicResponse =
                    new DescribeProducersResponseData.TopicResponse().setName(topic.name());
            response.topics().add(topicResponse);
            // As Kafka, a name no topic can have is refused before it is authorized.
            boolean authorized = !validName(topic.name()) || request.session().allowed(AclOperation.READ,
                    ResourceType.TOPIC, topic.name(), Authorizer.Audit.EXPLICIT);
            for (int index : topic.partitionIndexes()) {
                DescribeProducersResponseData.PartitionResponse out =
                        new DescribeProducersResponseData.PartitionResponse().setPartitionIndex(index);
                topicResponse.partitions().add(out);
                if (!authorized) {
                    out.setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code())
                            .setErrorMessage(Errors.TOPIC_AUTHORIZATION_FAILED.message());
                    continue;
                }
                try {
                    TopicPartition tp = new TopicPartition(topic.name(), index);
                    Partition partition = replicas.partition(tp).orElseThrow(() -> new ReplicaException(
                            ReplicaError.NOT_LEADER_OR_FOLLOWER, tp + " is not hosted here"));
                    for (Map.Entry<Long, ProducerStateEntry> e : partition.log().activeProducers().entrySet()) {
                        ProducerStateEntry p = e.getValue();
                        out.activeProducers().add(new DescribeProducersResponseData.ProducerState()
                                .setProducerId(p.producerId()).setProducerEpoch(p.producerEpoch())
                                .setLastSequence(p.lastSeq())
                                .setLastTimestamp(p.batches().isEmpty() ? -1 : p.lastBatch().maxTimestamp())
                                .setCoordinatorEpoch(p.coordinatorEpoch())
                                .setCurrentTxnStartOffset(p.currentTxnFirstOffset()));
                    }
                } catch (ReplicaException e) {
                    out.setErrorCode(KafkaErrors.of(e).code()).setErrorMessage(e.getMessage());
                } catch (IllegalArgumentException e) {
                    out.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code()).setErrorMessage(e.getMessage());
                }
            }
        }
        return CompletableFuture.completedFuture(response);
    }

    private static boolean validName(String topic) {
        try {
            TopicPartition.validateTopicName(topic);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
