package dev.runnel.broker.protocol;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.purgatory.DelayedOperationPurgatory;
import dev.runnel.broker.replication.Partition;
import dev.runnel.broker.replication.ReplicaException;
import dev.runnel.broker.storage.AppendInfo;
import dev.runnel.broker.storage.LogException;
import dev.runnel.common.TopicPartition;

/**
 * Produce: appends each partition's batches on its leader and answers per partition.
 *
 * <ul>
 *   <li>{@code acks=1}: answered after the leader's append.</li>
 *   <li>{@code acks=all}: answered when the high watermark passes every appended batch (at once
 *       when the ISR is the leader alone), else REQUEST_TIMED_OUT after the request's timeout;
 *       refused up front with NOT_ENOUGH_REPLICAS while the ISR is below {@code min.insync.replicas}.</li>
 *   <li>{@code acks=0}: never answered; a failed partition closes the connection so the client
 *       refreshes its metadata, as Kafka does.</li>
 * </ul>
 *
 * A refused partition changes nothing, and the others of the request are appended regardless.
 * Every append wakes fetches waiting on its partition.
 */
final class ProduceHandler implements ApiHandler {

    private static final Logger log = LoggerFactory.getLogger(ProduceHandler.class);

    private final ReplicaManager replicas;
    private final MetadataCache metadata;
    private final LeaderHints leaders;
    private final DelayedOperationPurgatory<TopicPartition> producePurgatory;
    private final DelayedOperationPurgatory<TopicPartition> fetchPurgatory;

    ProduceHandler(ReplicaManager replicas, MetadataCache metadata,
            DelayedOperationPurgatory<TopicPartition> producePurgatory,
            DelayedOperationPurgatory<TopicPartition> fetchPurgatory) {
        this.replicas = replicas;
        this.metadata = metadata;
        this.leaders = new LeaderHints(metadata);
        this.producePurgatory = producePurgatory;
        this.fetchPurgatory = fetchPurgatory;
    }

    /** One partition's outcome. */
    private record Outcome(ProduceResponseData.PartitionProduceResponse response, Partition partition,
            long requiredOffset) {
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        try {
            return produce(request);
        } catch (RuntimeException e) {
            if (((ProduceRequestData) request.body()).acks() == 0) {
                // Its client reads no answer, not even an error: closing makes it refresh its metadata.
                return CompletableFuture.failedFuture(new CloseConnectionException("an acks=0 produce failed: " + e));
            }
            throw e;
        }
    }

    private CompletableFuture<ApiMessage> produce(KafkaWire.Request request) {
        ProduceRequestData data = (ProduceRequestData) request.body();
        short acks = data.acks();
        short version = request.version();
        ProduceResponseData response = new ProduceResponseData();
        Map<TopicPartition, DelayedProduce.Pending> waiting = new LinkedHashMap<>();
        Map<TopicPartition, ProduceResponseData.PartitionProduceResponse> waitingAnswers = new LinkedHashMap<>();
        Errors firstFailure = null;
        for (ProduceRequestData.TopicProduceData topic : data.topicData()) {
            ProduceResponseData.TopicProduceResponse topicResponse = new ProduceResponseData.TopicProduceResponse();
            if (version >= 13) {
                topicResponse.setTopicId(topic.topicId());
            } else {
                topicResponse.setName(topic.name());
            }
            response.responses().add(topicResponse);
            Optional<String> name = topicName(topic, version);
            for (ProduceRequestData.PartitionProduceData partitionData : topic.partitionData()) {
                Outcome outcome;
                if (name.isEmpty()) {
                    outcome = failed(partitionData.index(), Errors.UNKNOWN_TOPIC_ID, null);
                } else if (acks != 0 && acks != 1 && acks != -1) {
                    outcome = failed(partitionData.index(), Errors.INVALID_REQUIRED_ACKS, null);
                } else {
                    outcome = append(name.get(), partitionData, acks, version);
                }
                topicResponse.partitionResponses().add(outcome.response());
                if (outcome.partition() == null) {
                    firstFailure = firstFailure == null ? Errors.forCode(outcome.response().errorCode()) : firstFailure;
                    int leader = outcome.response().currentLeader().leaderId();
                    if (version >= 10 && leader >= 0) {
                        addEndpoint(response, leader);
                    }
                } else if (acks == -1) {
                    TopicPartition tp = outcome.partition().topicPartition();
                    waiting.put(tp, new DelayedProduce.Pending(outcome.partition(), outcome.requiredOffset()));
                    waitingAnswers.put(tp, outcome.response());
                }
            }
        }
        if (acks == 0) {
            return firstFailure == null ? CompletableFuture.completedFuture(null)
                    : CompletableFuture.failedFuture(new CloseConnectionException("an acks=0 produce failed: " + firstFailure));
        }
        if (waiting.isEmpty()) {
            return CompletableFuture.completedFuture(response);
        }
        CompletableFuture<ApiMessage> answer = new CompletableFuture<>();
        DelayedProduce delayed = new DelayedProduce(Duration.ofMillis(Math.max(0, data.timeoutMs())), waiting,
                results -> {
                    results.forEach((tp, p) -> {
                        if (p.outcome != Errors.NONE) {
                            waitingAnswers.get(tp).setErrorCode(p.outcome.code()).setBaseOffset(-1)
                                    .setLogAppendTimeMs(-1).setLogStartOffset(-1).setErrorMessage(p.outcome.message());
                        }
                    });
                    answer.complete(response);
                });
        producePurgatory.tryCompleteElseWatch(delayed, waiting.keySet());
        return answer;
    }

    private Optional<String> topicName(ProduceRequestData.TopicProduceData topic, short version) {
        if (version < 13) {
            return Optional.of(topic.name());
        }
        return TopicIds.nameOf(metadata, topic.topicId());
    }

    private Outcome append(String topic, ProduceRequestData.PartitionProduceData partitionData, short acks,
            short version) {
        TopicPartition tp;
        try {
            tp = new TopicPartition(topic, partitionData.index());
        } catch (IllegalArgumentException e) {
            return failed(partitionData.index(), Errors.UNKNOWN_TOPIC_OR_PARTITION, e.getMessage());
        }
        try {
            Partition partition = replicas.leaderPartition(tp);
            ByteBuffer records = KafkaWire.producedRecords(partitionData.records());
            AppendInfo info = partition.appendAsLeader(records, acks);
            if (!info.duplicate()) {
                fetchPurgatory.checkAndComplete(tp);
            }
            return new Outcome(new ProduceResponseData.PartitionProduceResponse()
                    .setIndex(tp.partition())
                    .setBaseOffset(info.firstOffset())
                    .setLogAppendTimeMs(info.logAppendTimeMs())
                    .setLogStartOffset(partition.log().logStartOffset()), partition, info.nextOffset());
        } catch (ReplicaException | LogException e) {
            log.debug("Produce to {} refused: {}", tp, e.getMessage());
            return failed(tp.partition(), KafkaErrors.of(e), e.getMessage(), tp, version);
        } catch (IllegalArgumentException e) {
            return failed(tp.partition(), Errors.CORRUPT_MESSAGE, e.getMessage());
        }
    }

    private Outcome failed(int partition, Errors error, String message) {
        return new Outcome(new ProduceResponseData.PartitionProduceResponse().setIndex(partition)
                .setErrorCode(error.code()).setBaseOffset(-1).setLogAppendTimeMs(-1).setLogStartOffset(-1)
                .setErrorMessage(message == null ? error.message() : message), null, -1);
    }

    private Outcome failed(int partition, Errors error, String message, TopicPartition tp, short version) {
        Outcome outcome = failed(partition, error, message);
        if (error == Errors.INVALID_RECORD) {
            // Which batch broke the rules; a producer then drops just that batch.
            outcome.response().setRecordErrors(List.of(new ProduceResponseData.BatchIndexAndErrorMessage()
                    .setBatchIndex(0).setBatchIndexErrorMessage(message)));
        }
        if (error == Errors.NOT_LEADER_OR_FOLLOWER && version >= 10) {
            leaders.leaderOf(tp).ifPresent(leader -> outcome.response().setCurrentLeader(
                    new ProduceResponseData.LeaderIdAndEpoch().setLeaderId(leader.id()).setLeaderEpoch(leader.epoch())));
        }
        return outcome;
    }

    private void addEndpoint(ProduceResponseData data, int brokerId) {
        if (data.nodeEndpoints().find(brokerId) != null) {
            return;
        }
        Optional.ofNullable(metadata.snapshot().brokers().get(brokerId)).ifPresent(b -> data.nodeEndpoints().add(
                new ProduceResponseData.NodeEndpoint().setNodeId(b.id()).setHost(b.host()).setPort(b.kafkaPort())
                        .setRack(b.rack())));
    }
}
