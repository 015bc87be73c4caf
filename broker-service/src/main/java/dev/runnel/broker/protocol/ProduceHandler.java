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

import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.storage.AppendOrigin;
import dev.runnel.broker.replication.AppendResult;
import dev.runnel.broker.replication.ReplicaManager;
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
 * This handler only translates: the appends, the wait for the ISR and the wake-up of waiting
 * fetches are {@link ReplicaManager#appendRecords}'s.
 */
final class ProduceHandler implements ApiHandler {

    private static final Logger log = LoggerFactory.getLogger(ProduceHandler.class);

    private final ReplicaManager replicas;
    private final MetadataCache metadata;
    private final LeaderHints leaders;

    ProduceHandler(ReplicaManager replicas, MetadataCache metadata) {
        this.replicas = replicas;
        this.metadata = metadata;
        this.leaders = new LeaderHints(metadata);
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
        // Refused here (unknown topic id, bad acks or name, no batches), or sent to the replica manager.
        Map<TopicPartition, ProduceResponseData.PartitionProduceResponse> answers = new LinkedHashMap<>();
        Map<TopicPartition, ByteBuffer> records = new LinkedHashMap<>();
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
                ProduceResponseData.PartitionProduceResponse answer =
                        new ProduceResponseData.PartitionProduceResponse().setIndex(partitionData.index());
                topicResponse.partitionResponses().add(answer);
                Errors refusal = null;
                String message = null;
                TopicPartition tp = name.isEmpty() ? null : topicPartition(name.get(), partitionData.index());
                if (name.isEmpty()) {
                    refusal = Errors.UNKNOWN_TOPIC_ID;
                } else if (acks != 0 && acks != 1 && acks != -1) {
                    refusal = Errors.INVALID_REQUIRED_ACKS;
                } else if (tp == null) {
                    refusal = Errors.UNKNOWN_TOPIC_OR_PARTITION;
                    message = "invalid topic name " + name.get();
                } else if (records.containsKey(tp)) {
                    refusal = Errors.INVALID_REQUEST;
                    message = tp + " appears twice in one produce request";
                } else {
                    try {
                        records.put(tp, KafkaWire.producedRecords(partitionData.records()));
                        answers.put(tp, answer);
                    } catch (IllegalArgumentException e) {
                        refusal = Errors.CORRUPT_MESSAGE;
                        message = e.getMessage();
                    }
                }
                if (refusal != null) {
                    fail(answer, refusal, message);
                    firstFailure = firstFailure == null ? refusal : firstFailure;
                }
            }
        }
        if (records.isEmpty()) {
            return answer(acks, firstFailure, response);
        }
        Errors refusedHere = firstFailure;
        return replicas.appendRecords(records, acks, Duration.ofMillis(Math.max(0, data.timeoutMs())), AppendOrigin.CLIENT)
                .thenCompose(results -> {
                    Errors first = refusedHere;
                    for (Map.Entry<TopicPartition, AppendResult> r : results.entrySet()) {
                        Errors error = fill(answers.get(r.getKey()), r.getKey(), r.getValue(), version, response);
                        first = first == null && error != Errors.NONE ? error : first;
                    }
                    return answer(acks, first, response);
                });
    }

    /** The answer once every partition's outcome is in: none for acks=0 (a failure closes the connection). */
    private static CompletableFuture<ApiMessage> answer(short acks, Errors firstFailure, ProduceResponseData response) {
        if (acks != 0) {
            return CompletableFuture.completedFuture(response);
        }
        return firstFailure == null ? CompletableFuture.completedFuture(null)
                : CompletableFuture.failedFuture(new CloseConnectionException("an acks=0 produce failed: " + firstFailure));
    }

    /** Writes one partition's result into its answer; returns its error (NONE when appended). */
    private Errors fill(ProduceResponseData.PartitionProduceResponse answer, TopicPartition tp, AppendResult result,
            short version, ProduceResponseData response) {
        if (!result.failed() && result.info().offsetsUnknown()) {
            // Kafka 1.0.0's answer to a retry older than the retained batches: clients take it as written.
            fail(answer, Errors.DUPLICATE_SEQUENCE_NUMBER, "the batch was written before; its offsets are not "
                    + "known any more");
            answer.setLogStartOffset(result.logStartOffset());
            return Errors.DUPLICATE_SEQUENCE_NUMBER;
        }
        if (!result.failed()) {
            answer.setBaseOffset(result.info().firstOffset()).setLogAppendTimeMs(result.info().logAppendTimeMs())
                    .setLogStartOffset(result.logStartOffset());
            return Errors.NONE;
        }
        Errors error = KafkaErrors.of(result.failure());
        if (result.failedAfterAppend()) {
            // Appended on the leader, not acknowledged by the ISR: the error's own description.
            fail(answer, error, error.message());
            return error;
        }
        log.debug("Produce to {} refused: {}", tp, result.failure().getMessage());
        fail(answer, error, result.failure().getMessage());
        if (error == Errors.INVALID_RECORD) {
            // Which batch broke the rules; a producer then drops just that batch.
            answer.setRecordErrors(List.of(new ProduceResponseData.BatchIndexAndErrorMessage()
                    .setBatchIndex(0).setBatchIndexErrorMessage(result.failure().getMessage())));
        }
        if (error == Errors.NOT_LEADER_OR_FOLLOWER && version >= 10) {
            leaders.leaderOf(tp).ifPresent(leader -> answer.setCurrentLeader(
                    new ProduceResponseData.LeaderIdAndEpoch().setLeaderId(leader.id()).setLeaderEpoch(leader.epoch())));
        }
        int leader = answer.currentLeader().leaderId();
        if (version >= 10 && leader >= 0) {
            addEndpoint(response, leader);
        }
        return error;
    }

    private static void fail(ProduceResponseData.PartitionProduceResponse answer, Errors error, String message) {
        answer.setErrorCode(error.code()).setBaseOffset(-1).setLogAppendTimeMs(-1).setLogStartOffset(-1)
                .setErrorMessage(message == null ? error.message() : message);
    }

    private static TopicPartition topicPartition(String topic, int partition) {
        try {
            return new TopicPartition(topic, partition);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private Optional<String> topicName(ProduceRequestData.TopicProduceData topic, short version) {
        if (version < 13) {
            return Optional.of(topic.name());
        }
        return TopicIds.nameOf(metadata, topic.topicId());
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
