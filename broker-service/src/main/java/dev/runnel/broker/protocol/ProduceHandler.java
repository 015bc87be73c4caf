package dev.runnel.broker.protocol;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Predicate;

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
import dev.runnel.broker.replication.ReplicaException;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.Authorizer;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.broker.security.Session;
import dev.runnel.broker.storage.ProducerStateManager;
import dev.runnel.broker.storage.RecordBatchHeader;
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
 *
 * <p>Authorization, as Kafka's: a request holding transactional batches needs a transactional id
 * the connection may WRITE, else the whole request is TRANSACTIONAL_ID_AUTHORIZATION_FAILED and
 * nothing is appended (transactional batches without a transactional id too, authorizer or not);
 * each topic needs WRITE, else its partitions are TOPIC_AUTHORIZATION_FAILED, decided before the
 * topic's existence so an unauthorized client learns nothing of it. An idempotent producer needs
 * nothing more than WRITE on its topics (KIP-679).
 *
 * <p>Transactions (KIP-890 part 1): a transactional batch that would open its producer's
 * transaction on a partition is appended only once the transaction coordinator confirmed that the
 * partition is in the transaction ({@link TransactionVerification}), with the partition's
 * verification guard. The check is asynchronous, so the connection's later produce requests wait
 * for this one's appends: a producer's batches reach each partition in the order it sent them.
 */
final class ProduceHandler implements ApiHandler {

    private static final Logger log = LoggerFactory.getLogger(ProduceHandler.class);

    private final ReplicaManager replicas;
    private final MetadataCache metadata;
    private final LeaderHints leaders;
    private final TransactionVerification verification;
    private final Executor afterVerification;
    /**
     * Per connection (its session), the appends of its last produce request still waiting on a
     * verification; removed when they are done, so a produce finds it empty without a lock.
     */
    private final Map<Session, CompletableFuture<Void>> pendingAppends = new ConcurrentHashMap<>();

    /** A handler that serves no transactions: a transactional batch opening one is refused. */
    ProduceHandler(ReplicaManager replicas, MetadataCache metadata) {
        this(replicas, metadata, (id, pid, epoch, partitions) -> CompletableFuture.completedFuture(Map.of()), Runnable::run);
    }

    /**
     * @param verification      asks the transaction coordinator about a transaction's partitions
     * @param afterVerification where appends run once a verification answered (not the coordinator's threads)
     */
    ProduceHandler(ReplicaManager replicas, MetadataCache metadata, TransactionVerification verification,
            Executor afterVerification) {
        this.replicas = replicas;
        this.metadata = metadata;
        this.leaders = new LeaderHints(metadata);
        this.verification = verification;
        this.afterVerification = afterVerification;
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
        Session session = request.session();
        if (hasTransactionalBatches(data) && (data.transactionalId() == null
                || !session.allowed(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, data.transactionalId()))) {
            return refuseAll(data, version, Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
        }
        Predicate<String> mayWrite = session.allowedNames(AclOperation.WRITE, ResourceType.TOPIC,
                Authorizer.Audit.EXPLICIT);
        ProduceResponseData response = new ProduceResponseData();
        // Refused here (unknown topic id, not authorized, bad acks or name, no batches), or sent to the replica manager.
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
                } else if (!mayWrite.test(name.get())) {
                    refusal = Errors.TOPIC_AUTHORIZATION_FAILED;
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
        CompletableFuture<Void> previous = pendingAppends.get(session);
        Verifying verifying = startVerification(data.transactionalId(), records);
        if (verifying == null && (previous == null || previous.isDone())) {
            return append(data, version, records, Map.of(), answers, firstFailure, response, session.listener());
        }
        // Later requests of this connection append only after this one's appends.
        CompletableFuture<Void> appended = new CompletableFuture<>();
        pendingAppends.put(session, appended);
        CompletableFuture<Map<TopicPartition, Errors>> verified = verifying == null
                ? CompletableFuture.completedFuture(Map.of()) : verifying.answer();
        CompletableFuture<Void> before = previous == null ? CompletableFuture.completedFuture(null) : previous;
        Errors refusedHere = firstFailure;
        return before.thenCombine(verified, (ignored, errors) -> errors).handleAsync((errors, failure) -> {
            try {
                Errors first = refusedHere;
                Map<TopicPartition, ProducerStateManager.VerificationGuard> guards = new HashMap<>();
                if (verifying != null) {
                    for (Map.Entry<TopicPartition, ProducerStateManager.VerificationGuard> g : verifying.guards().entrySet()) {
                        Errors error = failure != null ? Errors.NOT_ENOUGH_REPLICAS
                                : verificationError(errors.getOrDefault(g.getKey(), Errors.UNKNOWN_SERVER_ERROR), version);
                        if (error == Errors.NONE) {
                            guards.put(g.getKey(), g.getValue());
                        } else {
                            records.remove(g.getKey());
                            fail(answers.get(g.getKey()), error, "the transaction coordinator did not confirm "
                                    + g.getKey() + " is in the transaction: " + error);
                            first = first == null ? error : first;
                        }
                    }
                }
                if (verifying != null) {
                    for (Map.Entry<TopicPartition, Errors> refused : verifying.refused().entrySet()) {
                        records.remove(refused.getKey());
                        fail(answers.get(refused.getKey()), refused.getValue(), null);
                        first = first == null ? refused.getValue() : first;
                    }
                }
                return records.isEmpty() ? answer(acks, first, response)
                        : append(data, version, records, guards, answers, first, response, session.listener());
            } finally {
                appended.complete(null);
                pendingAppends.remove(session, appended);
            }
        }, afterVerification).thenCompose(answer -> answer);
    }

    private CompletableFuture<ApiMessage> append(ProduceRequestData data, short version,
            Map<TopicPartition, ByteBuffer> records, Map<TopicPartition, ProducerStateManager.VerificationGuard> guards,
            Map<TopicPartition, ProduceResponseData.PartitionProduceResponse> answers, Errors refusedHere,
            ProduceResponseData response, String listener) {
        short acks = data.acks();
        return replicas.appendRecords(records, acks, Duration.ofMillis(Math.max(0, data.timeoutMs())),
                AppendOrigin.CLIENT, guards, -1).thenCompose(results -> {
                    Errors first = refusedHere;
                    for (Map.Entry<TopicPartition, AppendResult> r : results.entrySet()) {
                        Errors error = fill(answers.get(r.getKey()), r.getKey(), r.getValue(), version, response, listener);
                        first = first == null && error != Errors.NONE ? error : first;
                    }
                    return answer(acks, first, response);
                });
    }

    /**
     * Whether the first batch of some partition is transactional (Kafka's
     * {@code RequestUtils.hasTransactionalRecords}): then the request needs a transactional id the
     * connection may write.
     */
    private static boolean hasTransactionalBatches(ProduceRequestData data) {
        for (ProduceRequestData.TopicProduceData topic : data.topicData()) {
            for (ProduceRequestData.PartitionProduceData partition : topic.partitionData()) {
                ByteBuffer batches;
                try {
                    batches = KafkaWire.producedRecords(partition.records());
                } catch (IllegalArgumentException e) {
                    continue; // no batches: refused as CORRUPT_MESSAGE on its own
                }
                if (batches.remaining() >= RecordBatchHeader.HEADER_SIZE
                        && RecordBatchHeader.isTransactional(batches, batches.position())) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * The answer refusing every partition with {@code error}, nothing appended; none for acks=0,
     * whose connection is closed instead.
     */
    private static CompletableFuture<ApiMessage> refuseAll(ProduceRequestData data, short version, Errors error) {
        ProduceResponseData response = new ProduceResponseData();
        for (ProduceRequestData.TopicProduceData topic : data.topicData()) {
            ProduceResponseData.TopicProduceResponse topicResponse = new ProduceResponseData.TopicProduceResponse();
            if (version >= 13) {
                topicResponse.setTopicId(topic.topicId());
            } else {
                topicResponse.setName(topic.name());
            }
            response.responses().add(topicResponse);
            for (ProduceRequestData.PartitionProduceData partition : topic.partitionData()) {
                ProduceResponseData.PartitionProduceResponse answer =
                        new ProduceResponseData.PartitionProduceResponse().setIndex(partition.index());
                fail(answer, error, null);
                topicResponse.partitionResponses().add(answer);
            }
        }
        return answer(data.acks(), error, response);
    }

    /**
     * The partitions whose transactional batch would open its producer's transaction there, each
     * with the guard its leader handed out, and the coordinator's answer on them; null if no
     * partition needs one. A request whose transactional batches name several producers is refused
     * for those partitions (INVALID_PRODUCER_ID_MAPPING); one without a transactional id was refused
     * whole before it got here.
     */
    private Verifying startVerification(String transactionalId, Map<TopicPartition, ByteBuffer> records) {
        Map<TopicPartition, ProducerStateManager.VerificationGuard> guards = new LinkedHashMap<>();
        Map<TopicPartition, Errors> refused = new LinkedHashMap<>();
        long producerId = -1;
        short epoch = -1;
        for (Map.Entry<TopicPartition, ByteBuffer> entry : records.entrySet()) {
            ByteBuffer batches = entry.getValue();
            int first = batches.position();
            if (batches.remaining() < RecordBatchHeader.HEADER_SIZE || !RecordBatchHeader.isTransactional(batches, first)
                    || !RecordBatchHeader.hasProducerId(batches, first)) {
                continue;
            }
            long pid = RecordBatchHeader.producerId(batches, first);
            if (transactionalId == null || producerId >= 0 && pid != producerId) {
                refused.put(entry.getKey(), transactionalId == null ? Errors.INVALID_TXN_STATE
                        : Errors.INVALID_PRODUCER_ID_MAPPING);
                continue;
            }
            producerId = pid;
            epoch = RecordBatchHeader.producerEpoch(batches, first);
            try {
                ProducerStateManager.VerificationGuard guard = replicas.leaderPartition(entry.getKey())
                        .maybeStartTransactionVerification(pid, epoch);
                if (guard != null) {
                    guards.put(entry.getKey(), guard);
                }
            } catch (ReplicaException e) {
                // Not led here: the append answers NOT_LEADER_OR_FOLLOWER.
            }
        }
        if (guards.isEmpty() && refused.isEmpty()) {
            return null;
        }
        CompletableFuture<Map<TopicPartition, Errors>> answer = guards.isEmpty()
                ? CompletableFuture.completedFuture(Map.of())
                : verification.verify(transactionalId, producerId, epoch, Set.copyOf(guards.keySet()));
        return new Verifying(guards, refused, answer);
    }

    /** A verification under way: the partitions' guards, those refused outright, the coordinator's answer. */
    private record Verifying(Map<TopicPartition, ProducerStateManager.VerificationGuard> guards,
            Map<TopicPartition, Errors> refused, CompletableFuture<Map<TopicPartition, Errors>> answer) {
    }

    /**
     * A coordinator's answer as Produce reports it (Kafka's): the coordinator unavailable, loading,
     * moved or busy is NOT_ENOUGH_REPLICAS, which producers retry; PRODUCER_FENCED is
     * INVALID_PRODUCER_EPOCH; TRANSACTION_ABORTABLE is INVALID_TXN_STATE before Produce v11.
     */
    static Errors verificationError(Errors error, short version) {
        return switch (error) {
            case COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS, NOT_COORDINATOR, CONCURRENT_TRANSACTIONS,
                    NETWORK_EXCEPTION, REQUEST_TIMED_OUT -> Errors.NOT_ENOUGH_REPLICAS;
            case PRODUCER_FENCED -> Errors.INVALID_PRODUCER_EPOCH;
            case TRANSACTION_ABORTABLE -> version >= 11 ? Errors.TRANSACTION_ABORTABLE : Errors.INVALID_TXN_STATE;
            default -> error;
        };
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
            short version, ProduceResponseData response, String listener) {
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
            addEndpoint(response, leader, listener);
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

    /** The endpoint of broker {@code brokerId} on the client's {@code listener}, for a client to find a new leader. */
    private void addEndpoint(ProduceResponseData data, int brokerId, String listener) {
        if (data.nodeEndpoints().find(brokerId) != null) {
            return;
        }
        Optional.ofNullable(metadata.snapshot().brokers().get(brokerId)).flatMap(b -> b.endpoint(listener)
                .map(e -> new ProduceResponseData.NodeEndpoint().setNodeId(b.id()).setHost(e.host()).setPort(e.port())
                        .setRack(b.rack()))).ifPresent(data.nodeEndpoints()::add);
    }
}
