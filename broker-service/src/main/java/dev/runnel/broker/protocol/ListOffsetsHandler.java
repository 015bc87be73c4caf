package dev.runnel.broker.protocol;

import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.replication.Partition;
import dev.runnel.broker.replication.ReplicaException;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.Authorizer;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.broker.storage.LogException;
import dev.runnel.common.TopicPartition;

/**
 * ListOffsets: an offset per partition for a timestamp, answered by the leader.
 *
 * <pre>
 *   -2 earliest        the log start offset
 *   -4 earliest local  the log start offset (no tiered storage)
 *   -1 latest          the high watermark (the log end for a replica's debug request)
 *   -3 max timestamp   the first record with the largest timestamp
 *   -5 latest tiered   none: -1 (no tiered storage)
 *  >=0                 the first record at or after that timestamp, below the high watermark; -1 if none
 * </pre>
 *
 * A topic the connection may not DESCRIBE is TOPIC_AUTHORIZATION_FAILED for each of its
 * partitions, as in Kafka.
 */
final class ListOffsetsHandler implements ApiHandler {

    static final long LATEST = -1;
    static final long EARLIEST = -2;
    static final long MAX_TIMESTAMP = -3;
    static final long EARLIEST_LOCAL = -4;
    static final long LATEST_TIERED = -5;

    private final ReplicaManager replicas;

    ListOffsetsHandler(ReplicaManager replicas) {
        this.replicas = replicas;
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        ListOffsetsRequestData data = (ListOffsetsRequestData) request.body();
        ListOffsetsResponseData response = new ListOffsetsResponseData();
        Predicate<String> mayDescribe = request.session().allowedNames(AclOperation.DESCRIBE, ResourceType.TOPIC,
                Authorizer.Audit.EXPLICIT);
        for (ListOffsetsRequestData.ListOffsetsTopic topic : data.topics()) {
            ListOffsetsResponseData.ListOffsetsTopicResponse topicResponse =
                    new ListOffsetsResponseData.ListOffsetsTopicResponse().setName(topic.name());
            response.topics().add(topicResponse);
            boolean authorized = mayDescribe.test(topic.name());
            for (ListOffsetsRequestData.ListOffsetsPartition p : topic.partitions()) {
                if (!authorized) {
                    topicResponse.partitions().add(new ListOffsetsResponseData.ListOffsetsPartitionResponse()
                            .setPartitionIndex(p.partitionIndex()).setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code())
                            .setTimestamp(-1).setOffset(-1).setLeaderEpoch(-1));
                    continue;
                }
                boolean readCommitted = request.version() >= 2
                        && data.isolationLevel() == FetchHandler.READ_COMMITTED;
                topicResponse.partitions().add(withoutEpochBefore4(answer(topic.name(), p, data.replicaId(),
                        readCommitted, request.version()), request.version()));
            }
        }
        return CompletableFuture.completedFuture(response);
    }

    private ListOffsetsResponseData.ListOffsetsPartitionResponse answer(String topic,
            ListOffsetsRequestData.ListOffsetsPartition p, int replicaId, boolean readCommitted, short version) {
        ListOffsetsResponseData.ListOffsetsPartitionResponse out = new ListOffsetsResponseData.ListOffsetsPartitionResponse()
                .setPartitionIndex(p.partitionIndex()).setTimestamp(-1).setOffset(-1).setLeaderEpoch(-1);
        TopicPartition tp;
        try {
            tp = new TopicPartition(topic, p.partitionIndex());
        } catch (IllegalArgumentException e) {
            return out.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
        }
        try {
            Partition partition = replicas.leaderPartition(tp);
            partition.checkEpoch(p.currentLeaderEpoch() < 0 ? OptionalInt.empty() : OptionalInt.of(p.currentLeaderEpoch()),
                    true);
            long timestamp = p.timestamp();
            if (timestamp == EARLIEST || timestamp == EARLIEST_LOCAL) {
                long start = partition.log().logStartOffset();
                return withEpoch(out.setOffset(start), partition, start);
            }
            if (timestamp == LATEST) {
                // A replica's debug request (-2) sees the log end, read_committed consumers the last
                // stable offset, everyone else the high watermark.
                if (replicaId == -2) {
                    return out.setOffset(partition.log().logEndOffset()).setLeaderEpoch(partition.leaderEpoch());
                }
                long highWatermark = partition.log().highWatermark();
                long latest = readCommitted ? partition.log().lastStableOffset() : highWatermark;
                if (highWatermark < partition.leaderEpochStartOffset()) {
                    // KIP-207: a new leader whose high watermark has not yet reached the start of its epoch
                    // may be behind what the previous leader answered; the latest offset never goes back.
                    return out.setErrorCode(version >= 5 ? Errors.OFFSET_NOT_AVAILABLE.code()
                            : Errors.LEADER_NOT_AVAILABLE.code());
                }
                return out.setOffset(latest).setLeaderEpoch(partition.leaderEpoch());
            }
            if (timestamp == LATEST_TIERED) {
                return out;
            }
            if (timestamp == MAX_TIMESTAMP) {
                return partition.maxTimestampOffset(readCommitted).map(found -> withEpoch(out.setTimestamp(found.timestamp())
                        .setOffset(found.offset()), partition, found.offset())).orElse(out);
            }
            if (timestamp < 0) {
                return out.setErrorCode(Errors.INVALID_REQUEST.code());
            }
            return partition.offsetForTimestamp(timestamp, readCommitted)
                    .map(found -> withEpoch(out.setTimestamp(found.timestamp()).setOffset(found.offset()), partition,
                            found.offset()))
                    .orElse(out);
        } catch (ReplicaException | LogException e) {
            return out.setErrorCode(KafkaErrors.of(e).code());
        }
    }

    /** Leader epochs are in the answer from v4 on (KIP-320); an older one has no such field. */
    private static ListOffsetsResponseData.ListOffsetsPartitionResponse withoutEpochBefore4(
            ListOffsetsResponseData.ListOffsetsPartitionResponse out, short version) {
        return version < 4 ? out.setLeaderEpoch(-1) : out;
    }

    private static ListOffsetsResponseData.ListOffsetsPartitionResponse withEpoch(
            ListOffsetsResponseData.ListOffsetsPartitionResponse out, Partition partition, long offset) {
        OptionalInt epoch = partition.epochForOffset(offset);
        return out.setLeaderEpoch(epoch.orElse(-1));
    }

}
