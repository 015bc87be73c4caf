package dev.runnel.broker.protocol;

import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.replication.Partition;
import dev.runnel.broker.replication.ReplicaException;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.Authorizer;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.common.TopicPartition;

/**
 * OffsetForLeaderEpoch: for each partition, the largest leader epoch at most the one asked for and
 * the offset where it ended, from the leader's epoch cache. Consumers use it after a leader change
 * to detect truncation (KIP-320); followers to find where their log diverges (KIP-279).
 *
 * As in Kafka, a connection allowed CLUSTER_ACTION (a broker) may ask about any topic; any other
 * needs DESCRIBE on each topic, else its partitions are TOPIC_AUTHORIZATION_FAILED.
 */
final class OffsetForLeaderEpochHandler implements ApiHandler {

    private final ReplicaManager replicas;

    OffsetForLeaderEpochHandler(ReplicaManager replicas) {
        this.replicas = replicas;
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        OffsetForLeaderEpochRequestData data = (OffsetForLeaderEpochRequestData) request.body();
        OffsetForLeaderEpochResponseData response = new OffsetForLeaderEpochResponseData();
        Predicate<String> mayDescribe = request.session().allowed(AclOperation.CLUSTER_ACTION, ResourceType.CLUSTER,
                ResourceType.CLUSTER_NAME, Authorizer.Audit.FILTER) ? name -> true
                : request.session().allowedNames(AclOperation.DESCRIBE, ResourceType.TOPIC, Authorizer.Audit.EXPLICIT);
        for (OffsetForLeaderEpochRequestData.OffsetForLeaderTopic topic : data.topics()) {
            OffsetForLeaderEpochResponseData.OffsetForLeaderTopicResult result =
                    new OffsetForLeaderEpochResponseData.OffsetForLeaderTopicResult().setTopic(topic.topic());
            boolean authorized = mayDescribe.test(topic.topic());
            for (OffsetForLeaderEpochRequestData.OffsetForLeaderPartition p : topic.partitions()) {
                result.partitions().add(authorized ? answer(topic.topic(), p)
                        : new OffsetForLeaderEpochResponseData.EpochEndOffset().setPartition(p.partition())
                                .setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code()).setLeaderEpoch(-1).setEndOffset(-1));
            }
            response.topics().add(result);
        }
        return CompletableFuture.completedFuture(response);
    }

    private OffsetForLeaderEpochResponseData.EpochEndOffset answer(String topic,
            OffsetForLeaderEpochRequestData.OffsetForLeaderPartition p) {
        OffsetForLeaderEpochResponseData.EpochEndOffset out = new OffsetForLeaderEpochResponseData.EpochEndOffset()
                .setPartition(p.partition()).setLeaderEpoch(-1).setEndOffset(-1);
        TopicPartition tp;
        try {
            tp = new TopicPartition(topic, p.partition());
        } catch (IllegalArgumentException e) {
            return out.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
        }
        try {
            Partition partition = replicas.leaderPartition(tp);
            partition.checkEpoch(p.currentLeaderEpoch() < 0 ? OptionalInt.empty() : OptionalInt.of(p.currentLeaderEpoch()),
                    true);
            partition.endOffsetForEpoch(p.leaderEpoch())
                    .ifPresent(entry -> out.setLeaderEpoch(entry.epoch()).setEndOffset(entry.startOffset()));
            return out;
        } catch (ReplicaException e) {
            return out.setErrorCode(KafkaErrors.of(e).code());
        }
    }
}
