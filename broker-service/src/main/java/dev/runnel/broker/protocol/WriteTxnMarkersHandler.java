package dev.runnel.broker.protocol;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.message.WriteTxnMarkersRequestData;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.replication.AppendResult;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.Authorizer;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.broker.security.Session;
import dev.runnel.broker.storage.AppendOrigin;
import dev.runnel.broker.storage.TxnMarker;
import dev.runnel.cluster.InternalTopics;
import dev.runnel.common.TopicPartition;

/**
 * WriteTxnMarkers (v1): a transaction coordinator has this broker, as the leader of the
 * transaction's partitions, append the COMMIT or ABORT marker to each (acks=all, origin
 * coordinator), answering each partition's error. Markers for {@code __consumer_offsets} go
 * through the group coordinator, which must apply them to the pending offsets. A marker without a
 * producer id or epoch is INVALID_REQUEST.
 *
 * <p>As in Kafka, the sender needs CLUSTER_ACTION on the cluster (a broker has it), or ALTER on
 * the cluster, which lets an administrator's {@code kafka-transactions abort} (KIP-664) send it;
 * anyone else is answered CLUSTER_AUTHORIZATION_FAILED for every partition and nothing is written.
 * Without an authorizer anyone may send it.
 */
final class WriteTxnMarkersHandler implements ApiHandler {

    private final ReplicaManager replicas;
    private final KafkaApis.OffsetsMarkers offsetsMarkers;
    private final Duration timeout;
    private final Clock clock;

    WriteTxnMarkersHandler(ReplicaManager replicas, KafkaApis.OffsetsMarkers offsetsMarkers, Duration timeout, Clock clock) {
        this.replicas = replicas;
        this.offsetsMarkers = offsetsMarkers;
        this.timeout = timeout;
        this.clock = clock;
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        Session session = request.session();
        if (!session.allowed(AclOperation.ALTER, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME, Authorizer.Audit.FILTER)
                && !session.allowed(AclOperation.CLUSTER_ACTION, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME)) {
            return CompletableFuture.completedFuture(KafkaWire.errorResponse(request, Errors.CLUSTER_AUTHORIZATION_FAILED));
        }
        WriteTxnMarkersRequestData data = (WriteTxnMarkersRequestData) request.body();
        WriteTxnMarkersResponseData response = new WriteTxnMarkersResponseData();
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        for (WriteTxnMarkersRequestData.WritableTxnMarker marker : data.markers()) {
            WriteTxnMarkersResponseData.WritableTxnMarkerResult result =
                    new WriteTxnMarkersResponseData.WritableTxnMarkerResult().setProducerId(marker.producerId());
            response.markers().add(result);
            Map<TopicPartition, ByteBuffer> appends = new LinkedHashMap<>();
            Map<TopicPartition, CompletableFuture<Errors>> errors = new LinkedHashMap<>();
            for (WriteTxnMarkersRequestData.WritableTxnMarkerTopic topic : marker.topics()) {
                for (int partition : topic.partitionIndexes()) {
                    TopicPartition tp;
                    try {
                        tp = new TopicPartition(topic.name(), partition);
                    } catch (IllegalArgumentException e) {
                        WriteTxnMarkersResponseData.WritableTxnMarkerTopicResult bad = topicResult(result, topic.name());
                        bad.partitions().add(new WriteTxnMarkersResponseData.WritableTxnMarkerPartitionResult()
                                .setPartitionIndex(partition).setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code()));
                        continue;
                    }
                    if (marker.producerId() < 0 || marker.producerEpoch() < 0) {
                        errors.put(tp, CompletableFuture.completedFuture(Errors.INVALID_REQUEST));
                    } else if (tp.topic().equals(InternalTopics.CONSUMER_OFFSETS)) {
                        errors.put(tp, offsetsMarkers.write(tp, marker.producerId(), marker.producerEpoch(),
                                marker.coordinatorEpoch(), marker.transactionResult()));
                    } else {
                        appends.put(tp, TxnMarker.batch(marker.producerId(), marker.producerEpoch(),
                                marker.coordinatorEpoch(), marker.transactionResult(), clock.millis()));
                    }
                }
            }
            CompletableFuture<Map<TopicPartition, AppendResult>> appended = appends.isEmpty()
                    ? CompletableFuture.completedFuture(Map.of())
                    : replicas.appendRecords(appends, (short) -1, timeout, AppendOrigin.COORDINATOR);
            for (TopicPartition tp : appends.keySet()) {
                errors.put(tp, appended.thenApply(results -> {
                    AppendResult r = results.get(tp);
                    return r.failed() ? KafkaErrors.of(r.failure()) : Errors.NONE;
                }));
            }
            pending.add(CompletableFuture.allOf(errors.values().toArray(CompletableFuture[]::new)).handle((x, f) -> {
                synchronized (response) {
                    errors.forEach((tp, error) -> topicResult(result, tp.topic()).partitions().add(
                            new WriteTxnMarkersResponseData.WritableTxnMarkerPartitionResult()
                                    .setPartitionIndex(tp.partition())
                                    .setErrorCode((error.isCompletedExceptionally() ? Errors.UNKNOWN_SERVER_ERROR
                                            : error.join()).code())));
                }
                return null;
            }));
        }
        return CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).thenApply(ignored -> response);
    }

    private static WriteTxnMarkersResponseData.WritableTxnMarkerTopicResult topicResult(
            WriteTxnMarkersResponseData.WritableTxnMarkerResult result, String topic) {
        for (WriteTxnMarkersResponseData.WritableTxnMarkerTopicResult t : result.topics()) {
            if (t.name().equals(topic)) {
                return t;
            }
        }
        WriteTxnMarkersResponseData.WritableTxnMarkerTopicResult t =
                new WriteTxnMarkersResponseData.WritableTxnMarkerTopicResult().setName(topic);
        result.topics().add(t);
        return t;
    }
}
