package dev.runnel.broker.kafka;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochResponse;

import dev.runnel.broker.security.InterBrokerSecurity;
import dev.runnel.common.TopicPartition;

/**
 * A follower's connection to a leader: Fetch (as replica {@code replicaId}) and
 * OffsetForLeaderEpoch over one blocking socket, in Runnel's terms. Not thread-safe: one fetcher
 * thread owns it. Any I/O failure closes the socket; the next call reconnects.
 *
 * <pre>
 *  follower                                leader
 *    | OffsetForLeaderEpoch(epoch of my last batch)  |   where did that epoch end for you?
 *    | ------------------------------------------->  |
 *    | <-------- (epoch, end offset) ---------------  |   truncate my log there, then:
 *    | Fetch(replica id, offset = my log end) ----->  |   waits up to maxWait for new records
 *    | <-- records, high watermark, log start ------  |
 * </pre>
 */
public final class ReplicaFetchClient implements AutoCloseable {

    /** Fetch v12: topic names, the replica id as a request field; inside every broker's served range. */
    static final short FETCH_VERSION = 12;
    static final short OFFSET_FOR_LEADER_EPOCH_VERSION = 4;

    /** Errors a follower acts on; anything else is {@link #OTHER}. */
    public enum Error {
        NONE, OFFSET_OUT_OF_RANGE, NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH,
        UNKNOWN_TOPIC_OR_PARTITION, OTHER;

        static Error of(short code) {
            Errors error = Errors.forCode(code);
            return switch (error) {
                case NONE -> NONE;
                case OFFSET_OUT_OF_RANGE -> OFFSET_OUT_OF_RANGE;
                case NOT_LEADER_OR_FOLLOWER -> NOT_LEADER_OR_FOLLOWER;
                case FENCED_LEADER_EPOCH -> FENCED_LEADER_EPOCH;
                case UNKNOWN_LEADER_EPOCH -> UNKNOWN_LEADER_EPOCH;
                case UNKNOWN_TOPIC_OR_PARTITION -> UNKNOWN_TOPIC_OR_PARTITION;
                default -> OTHER;
            };
        }
    }

    /** What the follower asks for one partition. */
    public record Wanted(TopicPartition tp, long fetchOffset, int leaderEpoch, long logStartOffset, int maxBytes) {
    }

    /**
     * One partition's answer: whole batches only (a batch the byte limit cut is left for the next
     * fetch), with the leader's high watermark and log start.
     */
    public record Fetched(Error error, ByteBuffer records, long highWatermark, long logStartOffset) {
    }

    /** A leader's answer to OffsetForLeaderEpoch: the epoch at most the one asked for, and where it ended. */
    public record EpochEnd(Error error, int epoch, long endOffset) {
    }

    private final BrokerConnection connection;

    /** @param authentication how this broker proves on each new connection that it is broker {@code replicaId} */
    public ReplicaFetchClient(String host, int port, int replicaId, int socketTimeoutMs,
            InterBrokerSecurity authentication) {
        this.connection = new BrokerConnection(host, port, replicaId, socketTimeoutMs, authentication,
                "runnel-replica-" + replicaId);
        this.replicaId = replicaId;
    }

    private final int replicaId;

    /** Fetches every wanted partition once, waiting up to {@code maxWaitMs} for at least one byte. */
    public Map<TopicPartition, Fetched> fetch(List<Wanted> wanted, int maxWaitMs, int maxBytes) throws IOException {
        FetchRequestData request = new FetchRequestData().setReplicaId(replicaId).setMaxWaitMs(maxWaitMs)
                .setMinBytes(1).setMaxBytes(maxBytes).setIsolationLevel((byte) 0).setSessionId(0).setSessionEpoch(-1);
        Map<String, FetchRequestData.FetchTopic> topics = new LinkedHashMap<>();
        for (Wanted w : wanted) {
            topics.computeIfAbsent(w.tp().topic(), t -> new FetchRequestData.FetchTopic().setTopic(t))
                    .partitions().add(new FetchRequestData.FetchPartition().setPartition(w.tp().partition())
                            .setFetchOffset(w.fetchOffset()).setCurrentLeaderEpoch(w.leaderEpoch())
                            .setLogStartOffset(w.logStartOffset()).setPartitionMaxBytes(w.maxBytes()));
        }
        request.topics().addAll(topics.values());
        FetchResponseData response = ((FetchResponse) send(ApiKeys.FETCH, FETCH_VERSION, request)).data();
        if (response.errorCode() != 0) {
            throw new IOException("the leader refused the fetch: " + Errors.forCode(response.errorCode()));
        }
        Map<TopicPartition, Fetched> answers = new LinkedHashMap<>();
        for (FetchResponseData.FetchableTopicResponse topic : response.responses()) {
            for (FetchResponseData.PartitionData p : topic.partitions()) {
                answers.put(new TopicPartition(topic.topic(), p.partitionIndex()), new Fetched(Error.of(p.errorCode()),
                        wholeBatches(p.records()), p.highWatermark(), p.logStartOffset()));
            }
        }
        return answers;
    }

    /** Asks where each partition's epoch ended on the leader. */
    public Map<TopicPartition, EpochEnd> endOffsets(Map<TopicPartition, int[]> currentAndLastEpoch) throws IOException {
        OffsetForLeaderEpochRequestData request = new OffsetForLeaderEpochRequestData().setReplicaId(replicaId);
        Map<String, OffsetForLeaderEpochRequestData.OffsetForLeaderTopic> topics = new LinkedHashMap<>();
        currentAndLastEpoch.forEach((tp, epochs) -> topics.computeIfAbsent(tp.topic(),
                t -> new OffsetForLeaderEpochRequestData.OffsetForLeaderTopic().setTopic(t)).partitions().add(
                        new OffsetForLeaderEpochRequestData.OffsetForLeaderPartition().setPartition(tp.partition())
                                .setCurrentLeaderEpoch(epochs[0]).setLeaderEpoch(epochs[1])));
        topics.values().forEach(request.topics()::add);
        OffsetForLeaderEpochResponseData response = ((OffsetsForLeaderEpochResponse) send(ApiKeys.OFFSET_FOR_LEADER_EPOCH,
                OFFSET_FOR_LEADER_EPOCH_VERSION, request)).data();
        Map<TopicPartition, EpochEnd> answers = new LinkedHashMap<>();
        for (OffsetForLeaderEpochResponseData.OffsetForLeaderTopicResult topic : response.topics()) {
            for (OffsetForLeaderEpochResponseData.EpochEndOffset p : topic.partitions()) {
                answers.put(new TopicPartition(topic.topic(), p.partition()),
                        new EpochEnd(Error.of(p.errorCode()), p.leaderEpoch(), p.endOffset()));
            }
        }
        return answers;
    }

    /** The whole batches at the start of a fetched records field (the byte limit may cut the last one). */
    static ByteBuffer wholeBatches(BaseRecords records) {
        if (!(records instanceof MemoryRecords memory)) {
            return ByteBuffer.allocate(0);
        }
        ByteBuffer buffer = memory.buffer().duplicate();
        int start = buffer.position();
        int at = start;
        while (buffer.limit() - at >= 12) {
            int size = buffer.getInt(at + 8) + 12;
            if (size < 12 || at + size > buffer.limit()) {
                break;
            }
            at += size;
        }
        return buffer.limit(at).slice();
    }

    private AbstractResponse send(ApiKeys key, short version, ApiMessage body) throws IOException {
        return connection.send(key, version, body);
    }

    @Override
    public void close() {
        connection.close();
    }
}
