package dev.runnel.broker.protocol;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

import org.apache.kafka.common.message.AddOffsetsToTxnRequestData;
import org.apache.kafka.common.message.AddOffsetsToTxnResponseData;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData;
import org.apache.kafka.common.message.DescribeTransactionsRequestData;
import org.apache.kafka.common.message.DescribeTransactionsResponseData;
import org.apache.kafka.common.message.EndTxnRequestData;
import org.apache.kafka.common.message.EndTxnResponseData;
import org.apache.kafka.common.message.ListTransactionsRequestData;
import org.apache.kafka.common.message.ListTransactionsResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.Authorizer;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.broker.security.Session;
import dev.runnel.broker.transaction.TransactionCoordinator;
import dev.runnel.broker.transaction.TransactionResult;
import dev.runnel.cluster.InternalTopics;
import dev.runnel.common.TopicPartition;

/**
 * The transaction coordinator's client APIs: AddPartitionsToTxn (v0-3 from producers; v4-5, the
 * batched form, from brokers only, including KIP-890's verify-only one), AddOffsetsToTxn, EndTxn,
 * DescribeTransactions and ListTransactions. Everything is decided by {@link TransactionCoordinator};
 * this handler translates, and answers the errors older versions know: PRODUCER_FENCED is
 * INVALID_PRODUCER_EPOCH for AddPartitionsToTxn, AddOffsetsToTxn and EndTxn below v2.
 *
 * <p>Authorization, as Kafka's, before the coordinator is asked anything:
 * <ul>
 *   <li>AddPartitionsToTxn v0-3: WRITE on the transactional id (else every partition
 *       TRANSACTIONAL_ID_AUTHORIZATION_FAILED) and on each topic, an internal topic never; one
 *       refused topic fails the whole call: its partitions TOPIC_AUTHORIZATION_FAILED, the others
 *       OPERATION_NOT_ATTEMPTED, nothing added. v4+: a broker, or with an authorizer a connection
 *       allowed CLUSTER_ACTION, else CLUSTER_AUTHORIZATION_FAILED.</li>
 *   <li>AddOffsetsToTxn: WRITE on the id, then READ on the group (GROUP_AUTHORIZATION_FAILED).
 *       EndTxn: WRITE on the id.</li>
 *   <li>DescribeTransactions: DESCRIBE on each id (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED for
 *       it), and only the topics the connection may DESCRIBE are shown. ListTransactions lists only
 *       the ids it may DESCRIBE.</li>
 * </ul>
 */
final class TransactionHandler implements ApiHandler {

    private final TransactionCoordinator coordinator;

    TransactionHandler(TransactionCoordinator coordinator) {
        this.coordinator = coordinator;
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        return switch (request.apiKey()) {
            case ADD_PARTITIONS_TO_TXN -> addPartitions(request);
            case ADD_OFFSETS_TO_TXN -> addOffsets(request);
            case END_TXN -> endTxn(request);
            case DESCRIBE_TRANSACTIONS -> describe((DescribeTransactionsRequestData) request.body(), request.session());
            case LIST_TRANSACTIONS -> list((ListTransactionsRequestData) request.body(), request.version(),
                    request.session());
            default -> throw new IllegalArgumentException("not a transaction API: " + request.apiKey());
        };
    }

    // ---- AddPartitionsToTxn -----------------------------------------------------------------

    private CompletableFuture<ApiMessage> addPartitions(KafkaWire.Request request) {
        AddPartitionsToTxnRequestData data = (AddPartitionsToTxnRequestData) request.body();
        short version = request.version();
        Session session = request.session();
        if (version < 4) {
            Set<TopicPartition> partitions = partitions(data.v3AndBelowTopics());
            Map<TopicPartition, Errors> refused = refusal(session, data.v3AndBelowTransactionalId(), partitions);
            if (refused != null) {
                return CompletableFuture.completedFuture(new AddPartitionsToTxnResponseData()
                        .setResultsByTopicV3AndBelow(topicResults(refused)));
            }
            return coordinator.addPartitionsToTxn(data.v3AndBelowTransactionalId(), data.v3AndBelowProducerId(),
                    data.v3AndBelowProducerEpoch(), partitions).thenApply(errors -> {
                        AddPartitionsToTxnResponseData response = new AddPartitionsToTxnResponseData();
                        response.setResultsByTopicV3AndBelow(topicResults(downgraded(errors, version, 2)));
                        return response;
                    });
        }
        AddPartitionsToTxnResponseData response = new AddPartitionsToTxnResponseData();
        if (session.broker().isEmpty() && !(session.authorizes()
                && session.allowed(AclOperation.CLUSTER_ACTION, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME))) {
            // Kafka's CLUSTER_ACTION: the batched form is for brokers verifying a producer's batches. Without
            // an authorizer only a connection that proved it is a broker may send it.
            return CompletableFuture.completedFuture(response.setErrorCode(Errors.CLUSTER_AUTHORIZATION_FAILED.code()));
        }
        List<CompletableFuture<Void>> all = new ArrayList<>();
        AddPartitionsToTxnResponseData.AddPartitionsToTxnResultCollection results =
                new AddPartitionsToTxnResponseData.AddPartitionsToTxnResultCollection();
        for (AddPartitionsToTxnRequestData.AddPartitionsToTxnTransaction txn : data.transactions()) {
            Set<TopicPartition> partitions = partitions(txn.topics());
            CompletableFuture<Map<TopicPartition, Errors>> answer = txn.verifyOnly()
                    ? coordinator.verifyPartitionsInTxn(txn.transactionalId(), txn.producerId(), txn.producerEpoch(),
                            partitions).thenApply(v -> v.partitionErrors(Errors.TRANSACTION_ABORTABLE))
                    : coordinator.addPartitionsToTxn(txn.transactionalId(), txn.producerId(), txn.producerEpoch(),
                            partitions);
            all.add(answer.thenAccept(errors -> {
                synchronized (results) {
                    results.add(new AddPartitionsToTxnResponseData.AddPartitionsToTxnResult()
                            .setTransactionalId(txn.transactionalId()).setTopicResults(topicResults(errors)));
                }
            }));
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
                .thenApply(ignored -> response.setResultsByTransaction(results));
    }

    /**
     * Why a producer may not add {@code partitions} to the transaction of {@code transactionalId}:
     * every partition's error, or null if it may.
     */
    private static Map<TopicPartition, Errors> refusal(Session session, String transactionalId,
            Set<TopicPartition> partitions) {
        Map<TopicPartition, Errors> errors = new LinkedHashMap<>();
        if (!session.allowed(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, transactionalId)) {
            partitions.forEach(tp -> errors.put(tp, Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED));
            return errors;
        }
        Predicate<String> mayWrite = session.allowedNames(AclOperation.WRITE, ResourceType.TOPIC,
                Authorizer.Audit.EXPLICIT);
        boolean refusedAny = false;
        for (TopicPartition tp : partitions) {
            // Only a coordinator writes to an internal topic: a producer is never allowed to.
            boolean allowed = !InternalTopics.isInternal(tp.topic()) && mayWrite.test(tp.topic());
            errors.put(tp, allowed ? Errors.OPERATION_NOT_ATTEMPTED : Errors.TOPIC_AUTHORIZATION_FAILED);
            refusedAny |= !allowed;
        }
        return refusedAny ? errors : null;
    }

    private static Set<TopicPartition> partitions(AddPartitionsToTxnRequestData.AddPartitionsToTxnTopicCollection topics) {
        Set<TopicPartition> partitions = new HashSet<>();
        for (AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic topic : topics) {
            for (int partition : topic.partitions()) {
                partitions.add(new TopicPartition(topic.name(), partition));
            }
        }
        return partitions;
    }

    private static AddPartitionsToTxnResponseData.AddPartitionsToTxnTopicResultCollection topicResults(
            Map<TopicPartition, Errors> errors) {
        Map<String, AddPartitionsToTxnResponseData.AddPartitionsToTxnTopicResult> byTopic = new TreeMap<>();
        errors.forEach((tp, error) -> {
            AddPartitionsToTxnResponseData.AddPartitionsToTxnTopicResult topic = byTopic.computeIfAbsent(tp.topic(),
                    t -> new AddPartitionsToTxnResponseData.AddPartitionsToTxnTopicResult().setName(t));
            topic.resultsByPartition().add(new AddPartitionsToTxnResponseData.AddPartitionsToTxnPartitionResult()
                    .setPartitionIndex(tp.partition()).setPartitionErrorCode(error.code()));
        });
        AddPartitionsToTxnResponseData.AddPartitionsToTxnTopicResultCollection results =
                new AddPartitionsToTxnResponseData.AddPartitionsToTxnTopicResultCollection();
        byTopic.values().forEach(results::add);
        return results;
    }

    // ---- AddOffsetsToTxn, EndTxn ------------------------------------------------------------

    private CompletableFuture<ApiMessage> addOffsets(KafkaWire.Request request) {
        AddOffsetsToTxnRequestData data = (AddOffsetsToTxnRequestData) request.body();
        if (!request.session().allowed(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, data.transactionalId())) {
            return CompletableFuture.completedFuture(new AddOffsetsToTxnResponseData()
                    .setErrorCode(Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED.code()));
        }
        if (!request.session().allowed(AclOperation.READ, ResourceType.GROUP, data.groupId())) {
            return CompletableFuture.completedFuture(new AddOffsetsToTxnResponseData()
                    .setErrorCode(Errors.GROUP_AUTHORIZATION_FAILED.code()));
        }
        return coordinator.addOffsetsToTxn(data.transactionalId(), data.producerId(), data.producerEpoch(),
                data.groupId()).thenApply(error -> new AddOffsetsToTxnResponseData()
                        .setErrorCode(downgraded(error, request.version(), 2).code()));
    }

    private CompletableFuture<ApiMessage> endTxn(KafkaWire.Request request) {
        EndTxnRequestData data = (EndTxnRequestData) request.body();
        if (!request.session().allowed(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, data.transactionalId())) {
            return CompletableFuture.completedFuture(new EndTxnResponseData()
                    .setErrorCode(Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED.code()));
        }
        return coordinator.endTxn(data.transactionalId(), data.producerId(), data.producerEpoch(),
                data.committed() ? TransactionResult.COMMIT : TransactionResult.ABORT)
                .thenApply(error -> new EndTxnResponseData().setErrorCode(downgraded(error, request.version(), 2).code()));
    }

    /** PRODUCER_FENCED (KIP-588) is INVALID_PRODUCER_EPOCH for versions below {@code fencedFrom}. */
    static Errors downgraded(Errors error, short version, int fencedFrom) {
        return error == Errors.PRODUCER_FENCED && version < fencedFrom ? Errors.INVALID_PRODUCER_EPOCH : error;
    }

    private static Map<TopicPartition, Errors> downgraded(Map<TopicPartition, Errors> errors, short version,
            int fencedFrom) {
        Map<TopicPartition, Errors> out = new LinkedHashMap<>();
        errors.forEach((tp, error) -> out.put(tp, downgraded(error, version, fencedFrom)));
        return out;
    }

    // ---- DescribeTransactions, ListTransactions ---------------------------------------------

    private CompletableFuture<ApiMessage> describe(DescribeTransactionsRequestData data, Session session) {
        List<String> ids = data.transactionalIds();
        List<Boolean> allowed = ids.stream()
                .map(id -> session.allowed(AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, id)).toList();
        List<String> authorized = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            if (allowed.get(i)) {
                authorized.add(ids.get(i));
            }
        }
        Predicate<String> mayDescribe = session.allowedNames(AclOperation.DESCRIBE, ResourceType.TOPIC,
                Authorizer.Audit.EXPLICIT);
        return coordinator.describeTransactions(authorized).thenApply(descriptions -> {
            // One description per authorized id, in their order.
            Iterator<TransactionCoordinator.TransactionDescription> described = descriptions.iterator();
            DescribeTransactionsResponseData response = new DescribeTransactionsResponseData();
            for (int i = 0; i < ids.size(); i++) {
                if (!allowed.get(i)) {
                    response.transactionStates().add(new DescribeTransactionsResponseData.TransactionState()
                            .setTransactionalId(ids.get(i))
                            .setErrorCode(Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED.code()));
                    continue;
                }
                TransactionCoordinator.TransactionDescription d = described.next();
                DescribeTransactionsResponseData.TransactionState state = new DescribeTransactionsResponseData.TransactionState()
                        .setTransactionalId(d.transactionalId()).setErrorCode(d.error().code())
                        .setTransactionState(d.state()).setTransactionTimeoutMs(d.timeoutMs())
                        .setTransactionStartTimeMs(d.startTimeMs()).setProducerId(d.producerId())
                        .setProducerEpoch(d.producerEpoch());
                Map<String, List<Integer>> byTopic = new TreeMap<>();
                d.partitions().stream().filter(tp -> mayDescribe.test(tp.topic()))
                        .forEach(tp -> byTopic.computeIfAbsent(tp.topic(), t -> new ArrayList<>()).add(tp.partition()));
                byTopic.forEach((topic, partitions) -> {
                    partitions.sort(null);
                    state.topics().add(new DescribeTransactionsResponseData.TopicData().setTopic(topic)
                            .setPartitions(partitions));
                });
                response.transactionStates().add(state);
            }
            return response;
        });
    }

    private CompletableFuture<ApiMessage> list(ListTransactionsRequestData data, short version, Session session) {
        long duration = version >= 1 ? data.durationFilter() : -1;
        return coordinator.listTransactions(Set.copyOf(data.stateFilters()), Set.copyOf(data.producerIdFilters()),
                duration).thenApply(result -> {
                    ListTransactionsResponseData response = new ListTransactionsResponseData()
                            .setErrorCode(result.error().code()).setUnknownStateFilters(result.unknownStateFilters());
                    for (TransactionCoordinator.TransactionListing listing : result.transactions()) {
                        if (!session.allowed(AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID,
                                listing.transactionalId())) {
                            continue;
                        }
                        response.transactionStates().add(new ListTransactionsResponseData.TransactionState()
                                .setTransactionalId(listing.transactionalId()).setProducerId(listing.producerId())
                                .setTransactionState(listing.state()));
                    }
                    return response;
                });
    }
}
