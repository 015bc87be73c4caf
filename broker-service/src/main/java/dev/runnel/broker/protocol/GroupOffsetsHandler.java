package dev.runnel.broker.protocol;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.OffsetDeleteResponseData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.group.GroupOffsets;
import dev.runnel.broker.group.OffsetAndMetadata;
import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.common.TopicPartition;

/**
 * OffsetCommit 2-9, OffsetFetch 1-9 (several groups per request from v8) and OffsetDelete 0,
 * translated to and from {@link GroupOffsets}. A partition without a committed offset is answered
 * with offset -1, as Kafka does; with OffsetFetch v7+ RequireStable (read_committed consumers), a
 * partition an open transaction holds an offset for is answered UNSTABLE_OFFSET_COMMIT, offset -1.
 */
final class GroupOffsetsHandler implements ApiHandler {

    private final GroupOffsets offsets;

    GroupOffsetsHandler(GroupOffsets offsets) {
        this.offsets = offsets;
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        return switch (request.apiKey()) {
            case OFFSET_COMMIT -> commit(request);
            case OFFSET_FETCH -> fetch(request);
            case OFFSET_DELETE -> delete(request);
            default -> throw new IllegalArgumentException("not an offsets API: " + request.apiKey());
        };
    }

    private CompletableFuture<ApiMessage> commit(KafkaWire.Request request) {
        OffsetCommitRequestData data = (OffsetCommitRequestData) request.body();
        short version = request.version();
        long retention = version <= 4 ? data.retentionTimeMs() : -1;
        Map<TopicPartition, GroupOffsets.Commit> commits = new LinkedHashMap<>();
        OffsetCommitResponseData response = new OffsetCommitResponseData();
        Map<TopicPartition, OffsetCommitResponseData.OffsetCommitResponsePartition> answers = new LinkedHashMap<>();
        for (OffsetCommitRequestData.OffsetCommitRequestTopic topic : data.topics()) {
            OffsetCommitResponseData.OffsetCommitResponseTopic topicAnswer =
                    new OffsetCommitResponseData.OffsetCommitResponseTopic().setName(topic.name());
            response.topics().add(topicAnswer);
            for (OffsetCommitRequestData.OffsetCommitRequestPartition p : topic.partitions()) {
                OffsetCommitResponseData.OffsetCommitResponsePartition answer =
                        new OffsetCommitResponseData.OffsetCommitResponsePartition().setPartitionIndex(p.partitionIndex());
                topicAnswer.partitions().add(answer);
                TopicPartition tp;
                try {
                    tp = new TopicPartition(topic.name(), p.partitionIndex());
                } catch (IllegalArgumentException e) {
                    answer.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
                    continue;
                }
                answers.put(tp, answer);
                commits.put(tp, new GroupOffsets.Commit(p.committedOffset(),
                        version >= 6 ? p.committedLeaderEpoch() : -1, p.committedMetadata(), retention));
            }
        }
        return offsets.commit(data.groupId(), data.generationIdOrMemberEpoch(), data.memberId(),
                version >= 7 ? data.groupInstanceId() : null, commits).thenApply(result -> {
                    answers.forEach((tp, answer) -> answer.setErrorCode((result.error() != Errors.NONE ? result.error()
                            : result.partitions().getOrDefault(tp, Errors.UNKNOWN_SERVER_ERROR)).code()));
                    return response;
                });
    }

    private CompletableFuture<ApiMessage> fetch(KafkaWire.Request request) {
        OffsetFetchRequestData data = (OffsetFetchRequestData) request.body();
        short version = request.version();
        boolean requireStable = version >= 7 && data.requireStable();
        if (version >= 8) {
            List<CompletableFuture<OffsetFetchResponseData.OffsetFetchResponseGroup>> groups = new ArrayList<>();
            for (OffsetFetchRequestData.OffsetFetchRequestGroup g : data.groups()) {
                List<OffsetFetchRequestData.OffsetFetchRequestTopics> topics = g.topics();
                List<TopicPartition> wanted = topics == null ? null : partitions(topics.stream()
                        .map(t -> Map.entry(t.name(), t.partitionIndexes())).toList());
                groups.add(offsets.fetch(g.groupId(), wanted, requireStable)
                        .thenApply(r -> groupAnswer(g.groupId(), wanted, r)));
            }
            return CompletableFuture.allOf(groups.toArray(CompletableFuture[]::new)).thenApply(v -> {
                OffsetFetchResponseData response = new OffsetFetchResponseData();
                groups.forEach(g -> response.groups().add(g.join()));
                return response;
            });
        }
        List<TopicPartition> wanted = data.topics() == null ? null : partitions(data.topics().stream()
                .map(t -> Map.entry(t.name(), t.partitionIndexes())).toList());
        return offsets.fetch(data.groupId(), wanted, requireStable).thenApply(r -> {
            OffsetFetchResponseData.OffsetFetchResponseGroup group = groupAnswer(data.groupId(), wanted, r);
            OffsetFetchResponseData response = new OffsetFetchResponseData();
            if (version >= 2) {
                response.setErrorCode(group.errorCode());
            }
            for (OffsetFetchResponseData.OffsetFetchResponseTopics t : group.topics()) {
                OffsetFetchResponseData.OffsetFetchResponseTopic topic =
                        new OffsetFetchResponseData.OffsetFetchResponseTopic().setName(t.name());
                for (OffsetFetchResponseData.OffsetFetchResponsePartitions p : t.partitions()) {
                    topic.partitions().add(new OffsetFetchResponseData.OffsetFetchResponsePartition()
                            .setPartitionIndex(p.partitionIndex()).setCommittedOffset(p.committedOffset())
                            .setCommittedLeaderEpoch(p.committedLeaderEpoch()).setMetadata(p.metadata())
                            // v1 has no top-level error: each partition carries the group's.
                            .setErrorCode(version < 2 && group.errorCode() != 0 ? group.errorCode() : p.errorCode()));
                }
                response.topics().add(topic);
            }
            return response;
        });
    }

    private static List<TopicPartition> partitions(List<Map.Entry<String, List<Integer>>> topics) {
        List<TopicPartition> out = new ArrayList<>();
        for (Map.Entry<String, List<Integer>> t : topics) {
            for (int p : t.getValue()) {
                try {
                    out.add(new TopicPartition(t.getKey(), p));
                } catch (IllegalArgumentException e) {
                    // a name no topic can have: it has no committed offset
                }
            }
        }
        return out;
    }

    private static OffsetFetchResponseData.OffsetFetchResponseGroup groupAnswer(String groupId,
            List<TopicPartition> wanted, GroupOffsets.FetchResult result) {
        OffsetFetchResponseData.OffsetFetchResponseGroup group = new OffsetFetchResponseData.OffsetFetchResponseGroup()
                .setGroupId(groupId).setErrorCode(result.error().code());
        if (result.error() != Errors.NONE) {
            return group;
        }
        Map<String, OffsetFetchResponseData.OffsetFetchResponseTopics> topics = new LinkedHashMap<>();
        List<TopicPartition> answered = wanted == null ? List.copyOf(result.offsets().keySet()) : wanted;
        for (TopicPartition tp : answered) {
            boolean unstable = result.unstable().contains(tp);
            OffsetAndMetadata o = unstable ? null : result.offsets().get(tp);
            topics.computeIfAbsent(tp.topic(), name -> new OffsetFetchResponseData.OffsetFetchResponseTopics().setName(name))
                    .partitions().add(new OffsetFetchResponseData.OffsetFetchResponsePartitions()
                            .setPartitionIndex(tp.partition())
                            .setErrorCode(unstable ? Errors.UNSTABLE_OFFSET_COMMIT.code() : Errors.NONE.code())
                            .setCommittedOffset(o == null ? -1 : o.offset())
                            .setCommittedLeaderEpoch(o == null ? -1 : o.leaderEpoch())
                            .setMetadata(o == null ? "" : o.metadata()));
        }
        group.topics().addAll(topics.values());
        return group;
    }

    private CompletableFuture<ApiMessage> delete(KafkaWire.Request request) {
        OffsetDeleteRequestData data = (OffsetDeleteRequestData) request.body();
        List<TopicPartition> partitions = new ArrayList<>();
        for (OffsetDeleteRequestData.OffsetDeleteRequestTopic t : data.topics()) {
            partitions.addAll(partitions(List.of(Map.entry(t.name(),
                    t.partitions().stream().map(OffsetDeleteRequestData.OffsetDeleteRequestPartition::partitionIndex).toList()))));
        }
        return offsets.delete(data.groupId(), partitions).thenApply(result -> {
            OffsetDeleteResponseData response = new OffsetDeleteResponseData().setErrorCode(result.error().code());
            if (result.error() != Errors.NONE) {
                return response;
            }
            for (OffsetDeleteRequestData.OffsetDeleteRequestTopic t : data.topics()) {
                OffsetDeleteResponseData.OffsetDeleteResponseTopic topic =
                        new OffsetDeleteResponseData.OffsetDeleteResponseTopic().setName(t.name());
                for (OffsetDeleteRequestData.OffsetDeleteRequestPartition p : t.partitions()) {
                    Errors error = Errors.UNKNOWN_TOPIC_OR_PARTITION;
                    try {
                        error = result.partitions().getOrDefault(new TopicPartition(t.name(), p.partitionIndex()),
                                Errors.UNKNOWN_TOPIC_OR_PARTITION);
                    } catch (IllegalArgumentException e) {
                        // keeps UNKNOWN_TOPIC_OR_PARTITION
                    }
                    topic.partitions().add(new OffsetDeleteResponseData.OffsetDeleteResponsePartition()
                            .setPartitionIndex(p.partitionIndex()).setErrorCode(error.code()));
                }
                response.topics().add(topic);
            }
            return response;
        });
    }
}
