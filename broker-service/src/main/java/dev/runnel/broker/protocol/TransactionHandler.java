package dev.runnel.broker.protocol;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

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
import dev.runnel.broker.transaction.TransactionCoordinator;
import dev.runnel.broker.transaction.TransactionResult;
import dev.runnel.common.TopicPartition;

/**
 * The transaction coordinator's client APIs: AddPartitionsToTxn (v0-3 from producers; v4-5, the
 * batched form, from brokers only, including KIP-890's verify-only one), AddOffsetsToTxn, EndTxn,
 * DescribeTransactions and ListTransactions. Everything is decided by {@link TransactionCoordinator};
 * this handler translates, and answers the errors older versions know: PRODUCER_FENCED is
 * INVALID_PRODUCER_EPOCH for AddPartitionsToTxn, AddOffsetsToTxn and EndTxn below v2.
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
            case DESCRIBE_TRANSACTIONS -> describe((DescribeTransactionsRequestData) request.body());
            case LIST_TRANSACTIONS -> list((ListTransactionsRequestData) request.body(), request.version());
            default -> throw new IllegalArgumentException("not a transaction API: " + request.apiKey());
        };
    }

    // ---- AddPartitionsToTxn -----------------------------------------------------------------

    private CompletableFuture<ApiMessage> addPartitions(KafkaWire.Request request) {
        AddPartitionsToTxnRequestData data = (AddPartitionsToTxnRequestData) request.body();
        short version = request.version();
        if (version < 4) {
            Set<TopicPartition> partitions = partitions(data.v3AndBelowTopics());
            return coordinator.addPartitionsToTxn(data.v3AndBelowTransactionalId(), data.v3AndBelowProducerId(),
                    data.v3AndBelowProducerEpoch(), partitions).thenApply(errors -> {
                        AddPartitionsToTxnResponseData response = new AddPartitionsToTxnResponseData();
                        response.setResultsByTopicV3AndBelow(topicResults(downgraded(errors, version, 2)));
                        return response;
                    });
        }
        AddPartitionsToTxnResponseData response = new AddPartitionsToTxnResponseData();
        if (request.session().broker().isEmpty()) {
            // Kafka's CLUSTER_ACTION: the batched form is for brokers verifying a producer's batches.
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
        return coordinator.addOffsetsToTxn(data.transactionalId(), data.producerId(), data.producerEpoch(),
                data.groupId()).thenApply(error -> new AddOffsetsToTxnResponseData()
                        .setErrorCode(downgraded(error, request.version(), 2).code()));
    }

    private CompletableFuture<ApiMessage> endTxn(KafkaWire.Request request) {
        EndTxnRequestData data = (EndTxnRequestData) request.body();
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

    private CompletableFuture<ApiMessage> describe(DescribeTransactionsRequestData data) {
        return coordinator.describeTransactions(data.transactionalIds()).thenApply(descriptions -> {
            DescribeTransactionsResponseData response = new DescribeTransactionsResponseData();
            for (TransactionCoordinator.TransactionDescription d : descriptions) {
                DescribeTransactionsResponseData.TransactionState state = new DescribeTransactionsResponseData.TransactionState()
                        .setTransactionalId(d.transactionalId()).setErrorCode(d.error().code())
                        .setTransactionState(d.state()).setTransactionTimeoutMs(d.timeoutMs())
                        .setTransactionStartTimeMs(d.startTimeMs()).setProducerId(d.producerId())
                        .setProducerEpoch(d.producerEpoch());
                Map<String, List<Integer>> byTopic = new TreeMap<>();
                d.partitions().forEach(tp -> byTopic.computeIfAbsent(tp.topic(), t -> new ArrayList<>()).add(tp.partition()));
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

    private CompletableFuture<ApiMessage> list(ListTransactionsRequestData data, short version) {
        long duration = version >= 1 ? data.durationFilter() : -1;
        return coordinator.listTransactions(Set.copyOf(data.stateFilters()), Set.copyOf(data.producerIdFilters()),
                duration).thenApply(result -> {
                    ListTransactionsResponseData response = new ListTransactionsResponseData()
                            .setErrorCode(result.error().code()).setUnknownStateFilters(result.unknownStateFilters());
                    for (TransactionCoordinator.TransactionListing listing : result.transactions()) {
                        response.transactionStates().add(new ListTransactionsResponseData.TransactionState()
                                .setTransactionalId(listing.transactionalId()).setProducerId(listing.producerId())
                                .setTransactionState(listing.state()));
                    }
                    return response;
                });
    }
}
