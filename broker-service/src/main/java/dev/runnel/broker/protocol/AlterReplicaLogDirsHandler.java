package dev.runnel.broker.protocol;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.message.AlterReplicaLogDirsRequestData;
import org.apache.kafka.common.message.AlterReplicaLogDirsResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.replication.LogDirMoveError;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.common.TopicPartition;

/**
 * AlterReplicaLogDirs (v1-2): moves this broker's replicas of the named partitions to the named
 * log directories ({@link ReplicaManager#alterReplicaLogDirs}); the answer says, per partition,
 * whether the move started (NONE, also when the replica is there already), or LOG_DIR_NOT_FOUND,
 * KAFKA_STORAGE_ERROR, REPLICA_NOT_AVAILABLE (not hosted here yet: the directory is remembered for
 * when it is), UNKNOWN_TOPIC_OR_PARTITION. It needs ALTER on the cluster, else every partition
 * answers CLUSTER_AUTHORIZATION_FAILED, as in Kafka. {@code kafka-reassign-partitions} sends it for
 * the {@code log_dirs} of a reassignment and polls DescribeLogDirs until the move is done.
 */
final class AlterReplicaLogDirsHandler implements ApiHandler {

    private final ReplicaManager replicas;

    AlterReplicaLogDirsHandler(ReplicaManager replicas) {
        this.replicas = replicas;
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        AlterReplicaLogDirsRequestData data = (AlterReplicaLogDirsRequestData) request.body();
        Map<TopicPartition, String> wanted = new LinkedHashMap<>();
        for (AlterReplicaLogDirsRequestData.AlterReplicaLogDir dir : data.dirs()) {
            for (AlterReplicaLogDirsRequestData.AlterReplicaLogDirTopic topic : dir.topics()) {
                for (int partition : topic.partitions()) {
                    wanted.put(new TopicPartition(topic.name(), partition), dir.path());
                }
            }
        }
        Map<TopicPartition, Errors> errors = new LinkedHashMap<>();
        if (!request.session().allowed(AclOperation.ALTER, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME)) {
            wanted.keySet().forEach(tp -> errors.put(tp, Errors.CLUSTER_AUTHORIZATION_FAILED));
        } else {
            replicas.alterReplicaLogDirs(wanted).forEach((tp, error) -> errors.put(tp, wire(error)));
        }
        Map<String, AlterReplicaLogDirsResponseData.AlterReplicaLogDirTopicResult> topics = new LinkedHashMap<>();
        errors.forEach((tp, error) -> topics.computeIfAbsent(tp.topic(), name ->
                new AlterReplicaLogDirsResponseData.AlterReplicaLogDirTopicResult().setTopicName(name))
                .partitions().add(new AlterReplicaLogDirsResponseData.AlterReplicaLogDirPartitionResult()
                        .setPartitionIndex(tp.partition()).setErrorCode(error.code())));
        AlterReplicaLogDirsResponseData response = new AlterReplicaLogDirsResponseData();
        response.results().addAll(topics.values());
        return CompletableFuture.completedFuture(response);
    }

    private static Errors wire(LogDirMoveError error) {
        return switch (error) {
            case NONE -> Errors.NONE;
            case LOG_DIR_NOT_FOUND -> Errors.LOG_DIR_NOT_FOUND;
            case KAFKA_STORAGE_ERROR -> Errors.KAFKA_STORAGE_ERROR;
            case REPLICA_NOT_AVAILABLE -> Errors.REPLICA_NOT_AVAILABLE;
            case UNKNOWN_TOPIC_OR_PARTITION -> Errors.UNKNOWN_TOPIC_OR_PARTITION;
        };
    }
}
