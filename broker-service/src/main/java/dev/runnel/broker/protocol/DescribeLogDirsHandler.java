package dev.runnel.broker.protocol;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.message.DescribeLogDirsRequestData;
import org.apache.kafka.common.message.DescribeLogDirsResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.broker.storage.LogManager;
import dev.runnel.broker.storage.PartitionLog;
import dev.runnel.common.TopicPartition;

/**
 * DescribeLogDirs (v1-4): this broker's log directories, each with the partition logs it holds
 * (size in bytes, and how far the log end is below the high watermark, as Kafka's offset lag) and
 * the space of its volume; all topics when the request names none. It needs DESCRIBE on the
 * cluster (else CLUSTER_AUTHORIZATION_FAILED and no directory), as in Kafka. A replica being moved
 * here (AlterReplicaLogDirs) is listed with {@code isFutureKey} and, as its lag, how far its end is
 * behind the current log's; a failed directory answers KAFKA_STORAGE_ERROR and lists nothing.
 * {@code kafka-reassign-partitions} asks for it to print the current assignment with its log dirs
 * and to see whether a move between directories is done, {@code kafka-log-dirs --describe} to show sizes.
 */
final class DescribeLogDirsHandler implements ApiHandler {

    private final ReplicaManager replicas;

    DescribeLogDirsHandler(ReplicaManager replicas) {
        this.replicas = replicas;
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        DescribeLogDirsRequestData data = (DescribeLogDirsRequestData) request.body();
        DescribeLogDirsResponseData response = new DescribeLogDirsResponseData();
        if (!request.session().allowed(AclOperation.DESCRIBE, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME)) {
            return CompletableFuture.completedFuture(response.setErrorCode(Errors.CLUSTER_AUTHORIZATION_FAILED.code()));
        }
        for (LogManager directory : replicas.logDirectories()) {
            DescribeLogDirsResponseData.DescribeLogDirsResult result = new DescribeLogDirsResponseData
                    .DescribeLogDirsResult().setLogDir(directory.logDir().toAbsolutePath().toString());
            response.results().add(result);
            if (directory.isOffline()) {
                result.setErrorCode(Errors.KAFKA_STORAGE_ERROR.code());
                continue;
            }
            try {
                FileStore volume = Files.getFileStore(directory.logDir());
                result.setTotalBytes(volume.getTotalSpace()).setUsableBytes(volume.getUsableSpace());
            } catch (IOException e) {
                // Sizes unknown: the fields keep their default, -1, as Kafka's do.
            }
            Map<String, DescribeLogDirsResponseData.DescribeLogDirsTopic> topics = new LinkedHashMap<>();
            for (Map.Entry<TopicPartition, PartitionLog> e : sorted(directory.logs())) {
                TopicPartition tp = e.getKey();
                if (!wanted(data, tp)) {
                    continue;
                }
                PartitionLog log = e.getValue();
                topics.computeIfAbsent(tp.topic(), t -> new DescribeLogDirsResponseData.DescribeLogDirsTopic()
                        .setName(t)).partitions().add(new DescribeLogDirsResponseData.DescribeLogDirsPartition()
                        .setPartitionIndex(tp.partition()).setPartitionSize(log.sizeInBytes())
                        .setOffsetLag(Math.max(0, log.highWatermark() - log.logEndOffset())).setIsFutureKey(false));
            }
            for (Map.Entry<TopicPartition, PartitionLog> e : sorted(directory.futureLogs())) {
                TopicPartition tp = e.getKey();
                if (!wanted(data, tp)) {
                    continue;
                }
                PartitionLog future = e.getValue();
                long currentEnd = replicas.partition(tp).map(p -> p.log().logEndOffset()).orElse(future.logEndOffset());
                topics.computeIfAbsent(tp.topic(), t -> new DescribeLogDirsResponseData.DescribeLogDirsTopic()
                        .setName(t)).partitions().add(new DescribeLogDirsResponseData.DescribeLogDirsPartition()
                        .setPartitionIndex(tp.partition()).setPartitionSize(future.sizeInBytes())
                        .setOffsetLag(Math.max(0, currentEnd - future.logEndOffset())).setIsFutureKey(true));
            }
            result.topics().addAll(topics.values());
        }
        return CompletableFuture.completedFuture(response);
    }

    /** The logs topic by topic, partition by partition, so each topic is listed once, in order. */
    private static Iterable<Map.Entry<TopicPartition, PartitionLog>> sorted(Map<TopicPartition, PartitionLog> logs) {
        Map<TopicPartition, PartitionLog> sorted = new TreeMap<>(Comparator.comparing(TopicPartition::topic)
                .thenComparingInt(TopicPartition::partition));
        sorted.putAll(logs);
        return sorted.entrySet();
    }

    private static boolean wanted(DescribeLogDirsRequestData data, TopicPartition tp) {
        if (data.topics() == null) {
            return true;
        }
        DescribeLogDirsRequestData.DescribableLogDirTopic topic = data.topics().find(tp.topic());
        return topic != null && topic.partitions().contains(tp.partition());
    }
}
