package dev.runnel.broker.kafka;

import java.io.IOException;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.message.AddPartitionsToTxnRequestData;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AddPartitionsToTxnResponse;
import org.apache.kafka.common.requests.WriteTxnMarkersResponse;

import dev.runnel.broker.security.InterBrokerSecurity;
import dev.runnel.common.TopicPartition;

/**
 * What one broker asks another for transactions, over one blocking authenticated connection
 * ({@link BrokerConnection}): WriteTxnMarkers (a transaction coordinator to a partition leader) and
 * the verify-only AddPartitionsToTxn of KIP-890 (a partition leader to a transaction coordinator).
 * Not thread-safe: one thread owns it. Any I/O failure closes the socket; the next call reconnects.
 */
public final class InterBrokerClient implements AutoCloseable {

    static final short WRITE_TXN_MARKERS_VERSION = 1;
    /** The first version with the batched, broker-only form and VerifyOnly. */
    static final short ADD_PARTITIONS_TO_TXN_VERSION = 4;
    /** ListOffsets v7 (Kafka 2.8 and later), for the high watermark a consumer would see. */
    static final short LIST_OFFSETS_VERSION = 7;
    /** ListOffsets' timestamp for the latest offset: the high watermark for read_uncommitted. */
    private static final long LATEST_TIMESTAMP = -1L;

    private final BrokerConnection connection;

    /**
     * @param brokerId       this broker's id, which the connection authenticates as
     * @param authentication how this broker proves it on each new connection
     */
    public InterBrokerClient(String host, int port, int brokerId, int socketTimeoutMs,
            InterBrokerSecurity authentication) {
        this.connection = new BrokerConnection(host, port, brokerId, socketTimeoutMs, authentication,
                "runnel-broker-" + brokerId + "-transactions");
    }

    public String address() {
        return connection.address();
    }

    /**
     * Writes one COMMIT or ABORT marker of producer {@code producerId} at {@code producerEpoch} into
     * each of {@code partitions}, which the other broker must lead; answers each partition's error.
     */
    public Map<TopicPartition, Errors> writeTxnMarkers(long producerId, short producerEpoch, int coordinatorEpoch,
            boolean commit, Collection<TopicPartition> partitions) throws IOException {
        Map<String, WriteTxnMarkersRequestData.WritableTxnMarkerTopic> topics = new LinkedHashMap<>();
        for (TopicPartition tp : partitions) {
            topics.computeIfAbsent(tp.topic(), t -> new WriteTxnMarkersRequestData.WritableTxnMarkerTopic().setName(t))
                    .partitionIndexes().add(tp.partition());
        }
        WriteTxnMarkersRequestData request = new WriteTxnMarkersRequestData();
        WriteTxnMarkersRequestData.WritableTxnMarker marker = new WriteTxnMarkersRequestData.WritableTxnMarker()
                .setProducerId(producerId).setProducerEpoch(producerEpoch).setTransactionResult(commit)
                .setCoordinatorEpoch(coordinatorEpoch);
        marker.topics().addAll(topics.values());
        request.markers().add(marker);
        WriteTxnMarkersResponseData response = ((WriteTxnMarkersResponse) connection.send(ApiKeys.WRITE_TXN_MARKERS,
                WRITE_TXN_MARKERS_VERSION, request)).data();
        Map<TopicPartition, Errors> errors = new LinkedHashMap<>();
        for (WriteTxnMarkersResponseData.WritableTxnMarkerResult result : response.markers()) {
            for (WriteTxnMarkersResponseData.WritableTxnMarkerTopicResult topic : result.topics()) {
                for (WriteTxnMarkersResponseData.WritableTxnMarkerPartitionResult p : topic.partitions()) {
                    errors.put(new TopicPartition(topic.name(), p.partitionIndex()), Errors.forCode(p.errorCode()));
                }
            }
        }
        for (TopicPartition tp : partitions) {
            errors.putIfAbsent(tp, Errors.UNKNOWN_SERVER_ERROR); // not answered: try again
        }
        return errors;
    }

    /**
     * Asks the coordinator of {@code transactionalId} whether each of {@code partitions} is in the
     * open transaction of {@code producerId} at {@code producerEpoch} (verify only, nothing added).
     * A top-level error applies to every partition.
     */
    public Map<TopicPartition, Errors> verifyPartitionsInTransaction(String transactionalId, long producerId,
            short producerEpoch, Collection<TopicPartition> partitions) throws IOException {
        AddPartitionsToTxnRequestData.AddPartitionsToTxnTopicCollection topics =
                new AddPartitionsToTxnRequestData.AddPartitionsToTxnTopicCollection();
        for (TopicPartition tp : partitions) {
            AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic topic = topics.find(tp.topic());
            if (topic == null) {
                topic = new AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic().setName(tp.topic());
                topics.add(topic);
            }
            topic.partitions().add(tp.partition());
        }
        AddPartitionsToTxnRequestData.AddPartitionsToTxnTransactionCollection transactions =
                new AddPartitionsToTxnRequestData.AddPartitionsToTxnTransactionCollection();
        transactions.add(new AddPartitionsToTxnRequestData.AddPartitionsToTxnTransaction()
                .setTransactionalId(transactionalId).setProducerId(producerId).setProducerEpoch(producerEpoch)
                .setVerifyOnly(true).setTopics(topics));
        AddPartitionsToTxnResponseData response = ((AddPartitionsToTxnResponse) connection.send(
                ApiKeys.ADD_PARTITIONS_TO_TXN, ADD_PARTITIONS_TO_TXN_VERSION,
                new AddPartitionsToTxnRequestData().setTransactions(transactions))).data();
        Map<TopicPartition, Errors> errors = new LinkedHashMap<>();
        Errors topLevel = Errors.forCode(response.errorCode());
        for (TopicPartition tp : partitions) {
            errors.put(tp, topLevel);
        }
        if (topLevel != Errors.NONE) {
            return errors;
        }
        for (AddPartitionsToTxnResponseData.AddPartitionsToTxnResult result : response.resultsByTransaction()) {
            for (AddPartitionsToTxnResponseData.AddPartitionsToTxnTopicResult topic : result.topicResults()) {
                for (AddPartitionsToTxnResponseData.AddPartitionsToTxnPartitionResult p : topic.resultsByPartition()) {
                    TopicPartition tp = new TopicPartition(topic.name(), p.partitionIndex());
                    if (errors.containsKey(tp)) {
                        errors.put(tp, Errors.forCode(p.partitionErrorCode()));
                    }
                }
            }
        }
        return errors;
    }

    /**
     * The high watermark of {@code tp}, which the other broker must lead: ListOffsets for the latest
     * offset, read_uncommitted, as a consumer asks it.
     *
     * @throws IOException if the other broker answers an error for it
     */
    public long highWatermark(TopicPartition tp) throws IOException {
        ListOffsetsRequestData request = new ListOffsetsRequestData().setReplicaId(-1).setIsolationLevel((byte) 0);
        request.topics().add(new ListOffsetsRequestData.ListOffsetsTopic().setName(tp.topic())
                .setPartitions(List.of(new ListOffsetsRequestData.ListOffsetsPartition()
                        .setPartitionIndex(tp.partition()).setTimestamp(LATEST_TIMESTAMP))));
        ListOffsetsResponseData response = (ListOffsetsResponseData) send(ApiKeys.LIST_OFFSETS, LIST_OFFSETS_VERSION,
                request);
        for (ListOffsetsResponseData.ListOffsetsTopicResponse topic : response.topics()) {
            for (ListOffsetsResponseData.ListOffsetsPartitionResponse p : topic.partitions()) {
                if (topic.name().equals(tp.topic()) && p.partitionIndex() == tp.partition()) {
                    if (p.errorCode() != Errors.NONE.code()) {
                        throw new IOException("ListOffsets of " + tp + ": " + Errors.forCode(p.errorCode()));
                    }
                    return p.offset();
                }
            }
        }
        throw new IOException("ListOffsets did not answer for " + tp);
    }

    /** Sends {@code body} as {@code key} at {@code version} and answers the response's body (ShareStateCalls). */
    ApiMessage send(ApiKeys key, short version, ApiMessage body) throws IOException {
        return connection.send(key, version, body).data();
    }

    @Override
    public void close() {
        connection.close();
    }
}
