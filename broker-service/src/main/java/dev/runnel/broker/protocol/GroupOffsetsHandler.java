package dev.runnel.broker.protocol;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

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
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.Authorizer;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.broker.security.Session;
import dev.runnel.common.TopicPartition;

/**
 * OffsetCommit 2-9, OffsetFetch 1-9 (several groups per request from v8) and OffsetDelete 0,
 * translated to and from {@link GroupOffsets}. A partition without a committed offset is answered
 * with offset -1, as Kafka does; with OffsetFetch v7+ RequireStable (read_committed consumers), a
 * partition an open transaction holds an offset for is answered UNSTABLE_OFFSET_COMMIT, offset -1.
 *
 * <p>Authorization, as Kafka's:
 * <ul>
 *   <li>OffsetCommit: READ on the group (else GROUP_AUTHORIZATION_FAILED everywhere) and on each
 *       topic (else TOPIC_AUTHORIZATION_FAILED for its partitions, nothing committed for them).</li>
 *   <li>OffsetFetch: DESCRIBE on each group (else GROUP_AUTHORIZATION_FAILED for the group); a
 *       topic asked for that the connection may not DESCRIBE is TOPIC_AUTHORIZATION_FAILED, and
 *       when all of a group's offsets are asked for such topics are left out.</li>
 *   <li>OffsetDelete: DELETE on the group (else GROUP_AUTHORIZATION_FAILED) and READ on each topic
 *       (else TOPIC_AUTHORIZATION_FAILED for its partitions, whose offsets stay).</li>
 * </ul>
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
        Session session = request.session();
        if (!session.allowed(AclOperation.READ, ResourceType.GROUP, data.groupId())) {
            return CompletableFuture.completedFuture(KafkaWire.errorResponse(request, Errors.GROUP_AUTHORIZATION_FAILED));
        }
        Predicate<String> mayRead = session.allowedNames(AclOperation.READ, ResourceType.TOPIC, Authorizer.Audit.EXPLICIT);
        boolean refusedAny = false;
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
                if (!mayRead.test(topic.name())) {
                    answer.setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code());
                    refusedAny = true;
                    continue;
                }
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
        if (commits.isEmpty() && refusedAny) {
            return CompletableFuture.completedFuture(response); // nothing the connection may commit
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
        Predicate<String> mayDescribe = request.session().allowedNames(AclOperation.DESCRIBE, ResourceType.TOPIC,
                Authorizer.Audit.EXPLICIT);
        if (version >= 8) {
            List<CompletableFuture<OffsetFetchResponseData.OffsetFetchResponseGroup>> groups = new ArrayList<>();
            for (OffsetFetchRequestData.OffsetFetchRequestGroup g : data.groups()) {
                List<Map.Entry<String, List<Integer>>> topics = g.topics() == null ? null : g.topics().stream()
                        .map(t -> Map.entry(t.name(), t.partitionIndexes())).toList();
                groups.add(fetchGroup(request.session(), g.groupId(), topics, requireStable, mayDescribe,
                        version >= 9 ? g.memberId() : null, version >= 9 ? g.memberEpoch() : -1));
            }
            return CompletableFuture.allOf(groups.toArray(CompletableFuture[]::new)).thenApply(v -> {
                OffsetFetchResponseData response = new OffsetFetchResponseData();
                groups.forEach(g -> response.groups().add(g.join()));
                return response;
            });
        }
        List<Map.Entry<String, List<Integer>>> topics = data.topics() == null ? null : data.topics().stream()
                .map(t -> Map.entry(t.name(), t.partitionIndexes())).toList();
        return fetchGroup(request.session(), data.groupId(), topics, requireStable, mayDescribe, null, -1)
                .thenApply(group -> {
            OffsetFetchResponseData response = new OffsetFetchResponseData();
            if (version >= 2) {
                response.setErrorCode(group.errorCode());
            } else if (group.errorCode() != Errors.NONE.code() && topics != null) {
                // v1 has no top-level error: each partition asked for carries the group's (Kafka 4's answer).
                for (Map.Entry<String, List<Integer>> t : topics) {
                    OffsetFetchResponseData.OffsetFetchResponseTopic topic =
                            new OffsetFetchResponseData.OffsetFetchResponseTopic().setName(t.getKey());
                    t.getValue().forEach(p -> topic.partitions().add(
                            new OffsetFetchResponseData.OffsetFetchResponsePartition().setPartitionIndex(p)
                                    .setCommittedOffset(-1).setCommittedLeaderEpoch(-1).setMetadata("")
                                    .setErrorCode(group.errorCode())));
                    response.topics().add(topic);
                }
                return response;
            }
            for (OffsetFetchResponseData.OffsetFetchResponseTopics t : group.topics()) {
                OffsetFetchResponseData.OffsetFetchResponseTopic topic =
                        new OffsetFetchResponseData.OffsetFetchResponseTopic().setName(t.name());
                for (OffsetFetchResponseData.OffsetFetchResponsePartitions p : t.partitions()) {
                    topic.partitions().add(new OffsetFetchResponseData.OffsetFetchResponsePartition()
                            .setPartitionIndex(p.partitionIndex()).setCommittedOffset(p.committedOffset())
                            .setCommittedLeaderEpoch(p.committedLeaderEpoch()).setMetadata(p.metadata())
                            .setErrorCode(p.errorCode()));
                }
                response.topics().add(topic);
            }
            return response;
        });
    }

    /**
     * One group's offsets: of the partitions of {@code topics}, or of every partition it has
     * offsets for when {@code topics} is null; what the connection may not see is refused or left
     * out as the class comment says.
     */
    private CompletableFuture<OffsetFetchResponseData.OffsetFetchResponseGroup> fetchGroup(Session session,
            String groupId, List<Map.Entry<String, List<Integer>>> topics, boolean requireStable,
            Predicate<String> mayDescribe, String memberId, int memberEpoch) {
        if (!session.allowed(AclOperation.DESCRIBE, ResourceType.GROUP, groupId)) {
            return CompletableFuture.completedFuture(new OffsetFetchResponseData.OffsetFetchResponseGroup()
                    .setGroupId(groupId).setErrorCode(Errors.GROUP_AUTHORIZATION_FAILED.code()));
        }
        if (topics == null) {
            return offsets.fetch(groupId, null, requireStable, memberId, memberEpoch).thenApply(r -> {
                OffsetFetchResponseData.OffsetFetchResponseGroup group = groupAnswer(groupId, null, r);
                group.topics().removeIf(t -> !mayDescribe.test(t.name()));
                return group;
            });
        }
        List<Map.Entry<String, List<Integer>>> refused = topics.stream()
                .filter(t -> !mayDescribe.test(t.getKey())).toList();
        List<TopicPartition> wanted = partitions(topics.stream().filter(t -> mayDescribe.test(t.getKey())).toList());
        return offsets.fetch(groupId, wanted, requireStable, memberId, memberEpoch).thenApply(r -> {
            OffsetFetchResponseData.OffsetFetchResponseGroup group = groupAnswer(groupId, wanted, r);
            if (group.errorCode() == Errors.NONE.code()) {
                for (Map.Entry<String, List<Integer>> t : refused) {
                    OffsetFetchResponseData.OffsetFetchResponseTopics topic =
                            new OffsetFetchResponseData.OffsetFetchResponseTopics().setName(t.getKey());
                    t.getValue().forEach(p -> topic.partitions().add(
                            new OffsetFetchResponseData.OffsetFetchResponsePartitions().setPartitionIndex(p)
                                    .setCommittedOffset(-1).setCommittedLeaderEpoch(-1).setMetadata("")
                                    .setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code())));
                    group.topics().add(topic);
                }
            }
            return group;
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
        Session session = request.session();
        if (!session.allowed(AclOperation.DELETE, ResourceType.GROUP, data.groupId())) {
            return CompletableFuture.completedFuture(KafkaWire.errorResponse(request, Errors.GROUP_AUTHORIZATION_FAILED));
        }
        Predicate<String> mayRead = session.allowedNames(AclOperation.READ, ResourceType.TOPIC, Authorizer.Audit.EXPLICIT);
        List<TopicPartition> partitions = new ArrayList<>();
        for (OffsetDeleteRequestData.OffsetDeleteRequestTopic t : data.topics()) {
            if (!mayRead.test(t.name())) {
                continue;
            }
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
                    if (!mayRead.test(t.name())) {
                        topic.partitions().add(new OffsetDeleteResponseData.OffsetDeleteResponsePartition()
                                .setPartitionIndex(p.partitionIndex())
                                .setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code()));
                        continue;
                    }
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
