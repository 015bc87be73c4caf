package dev.runnel.broker.protocol;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.AlterShareGroupOffsetsRequestData;
import org.apache.kafka.common.message.AlterShareGroupOffsetsResponseData;
import org.apache.kafka.common.message.DeleteShareGroupOffsetsRequestData;
import org.apache.kafka.common.message.DeleteShareGroupOffsetsResponseData;
import org.apache.kafka.common.message.DescribeShareGroupOffsetsRequestData;
import org.apache.kafka.common.message.DescribeShareGroupOffsetsResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.group.ShareGroupOffsets;
import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.broker.security.Session;

/**
 * A share group's offsets (KIP-932): DescribeShareGroupOffsets 0-1 (v1 adds each partition's lag),
 * AlterShareGroupOffsets 0 and DeleteShareGroupOffsets 0, translated to and from
 * {@link ShareGroupOffsets}.
 *
 * <p>Authorization, as Kafka's: describing needs DESCRIBE on the group (else the group is
 * GROUP_AUTHORIZATION_FAILED) and DESCRIBE on each topic (else its partitions are
 * TOPIC_AUTHORIZATION_FAILED; when no topics are named, topics the connection may not describe are
 * left out); altering needs READ on the group and READ on each topic (partitions
 * TOPIC_AUTHORIZATION_FAILED); deleting DELETE on the group and READ on each topic (the topic
 * TOPIC_AUTHORIZATION_FAILED). What is refused is left as it is.
 */
final class ShareGroupOffsetsHandler implements ApiHandler {

    private final ShareGroupOffsets offsets;

    ShareGroupOffsetsHandler(ShareGroupOffsets offsets) {
        this.offsets = offsets;
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        return switch (request.apiKey()) {
            case DESCRIBE_SHARE_GROUP_OFFSETS -> describe(request);
            case ALTER_SHARE_GROUP_OFFSETS -> alter(request);
            case DELETE_SHARE_GROUP_OFFSETS -> delete(request);
            default -> throw new IllegalArgumentException("not a share group offsets API: " + request.apiKey());
        };
    }

    // ---------------------------------------------------------------- DescribeShareGroupOffsets

    private CompletableFuture<ApiMessage> describe(KafkaWire.Request request) {
        DescribeShareGroupOffsetsRequestData data = (DescribeShareGroupOffsetsRequestData) request.body();
        Session session = request.session();
        boolean withLag = request.version() >= 1;
        List<CompletableFuture<DescribeShareGroupOffsetsResponseData.DescribeShareGroupOffsetsResponseGroup>> each =
                new ArrayList<>();
        for (DescribeShareGroupOffsetsRequestData.DescribeShareGroupOffsetsRequestGroup g : data.groups()) {
            if (!session.allowed(AclOperation.DESCRIBE, ResourceType.GROUP, g.groupId())) {
                each.add(CompletableFuture.completedFuture(describedGroup(g.groupId(),
                        Errors.GROUP_AUTHORIZATION_FAILED, null)));
                continue;
            }
            Map<String, List<Integer>> requested = null;
            List<DescribeShareGroupOffsetsResponseData.DescribeShareGroupOffsetsResponseTopic> refused = new ArrayList<>();
            if (g.topics() != null) {
                requested = new LinkedHashMap<>();
                for (DescribeShareGroupOffsetsRequestData.DescribeShareGroupOffsetsRequestTopic t : g.topics()) {
                    if (session.allowed(AclOperation.DESCRIBE, ResourceType.TOPIC, t.topicName())) {
                        requested.merge(t.topicName(), new ArrayList<>(t.partitions()), (a, b) -> {
                            a.addAll(b);
                            return a;
                        });
                    } else {
                        refused.add(describedTopic(t.topicName(), null, t.partitions().stream().map(p ->
                                describedPartition(new ShareGroupOffsets.PartitionOffsets(p, -1, -1, -1,
                                        Errors.TOPIC_AUTHORIZATION_FAILED, null), withLag)).toList()));
                    }
                }
            }
            each.add(offsets.describe(g.groupId(), requested,
                    topic -> session.allowed(AclOperation.DESCRIBE, ResourceType.TOPIC, topic)).thenApply(o -> {
                if (o.error() != Errors.NONE) {
                    return describedGroup(o.groupId(), o.error(), o.errorMessage());
                }
                var group = describedGroup(o.groupId(), Errors.NONE, null);
                for (ShareGroupOffsets.TopicOffsets t : o.topics()) {
                    group.topics().add(describedTopic(t.topic(), t.topicId(), t.partitions().stream()
                            .map(p -> describedPartition(p, withLag)).toList()));
                }
                group.topics().addAll(refused);
                return group;
            }));
        }
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).thenApply(v -> {
            DescribeShareGroupOffsetsResponseData response = new DescribeShareGroupOffsetsResponseData();
            each.forEach(g -> response.groups().add(g.join()));
            return response;
        });
    }

    private static DescribeShareGroupOffsetsResponseData.DescribeShareGroupOffsetsResponseGroup describedGroup(
            String groupId, Errors error, String message) {
        return new DescribeShareGroupOffsetsResponseData.DescribeShareGroupOffsetsResponseGroup().setGroupId(groupId)
                .setErrorCode(error.code()).setErrorMessage(error == Errors.NONE ? null
                        : message != null ? message : error.message());
    }

    private static DescribeShareGroupOffsetsResponseData.DescribeShareGroupOffsetsResponseTopic describedTopic(
            String name, UUID id, List<DescribeShareGroupOffsetsResponseData.DescribeShareGroupOffsetsResponsePartition>
                    partitions) {
        return new DescribeShareGroupOffsetsResponseData.DescribeShareGroupOffsetsResponseTopic().setTopicName(name)
                .setTopicId(id == null ? Uuid.ZERO_UUID : TopicIds.toWire(id)).setPartitions(new ArrayList<>(partitions));
    }

    private static DescribeShareGroupOffsetsResponseData.DescribeShareGroupOffsetsResponsePartition describedPartition(
            ShareGroupOffsets.PartitionOffsets p, boolean withLag) {
        var partition = new DescribeShareGroupOffsetsResponseData.DescribeShareGroupOffsetsResponsePartition()
                .setPartitionIndex(p.partition()).setStartOffset(p.startOffset()).setLeaderEpoch(p.leaderEpoch())
                .setErrorCode(p.error().code()).setErrorMessage(p.error() == Errors.NONE ? null
                        : p.errorMessage() != null ? p.errorMessage() : p.error().message());
        if (withLag) {
            partition.setLag(p.lag());
        }
        return partition;
    }

    // ---------------------------------------------------------------- AlterShareGroupOffsets

    private CompletableFuture<ApiMessage> alter(KafkaWire.Request request) {
        AlterShareGroupOffsetsRequestData data = (AlterShareGroupOffsetsRequestData) request.body();
        Session session = request.session();
        if (!session.allowed(AclOperation.READ, ResourceType.GROUP, data.groupId())) {
            return CompletableFuture.completedFuture(new AlterShareGroupOffsetsResponseData()
                    .setErrorCode(Errors.GROUP_AUTHORIZATION_FAILED.code())
                    .setErrorMessage(Errors.GROUP_AUTHORIZATION_FAILED.message()));
        }
        Map<String, Map<Integer, Long>> wanted = new LinkedHashMap<>();
        List<ShareGroupOffsets.TopicResult> refused = new ArrayList<>();
        for (AlterShareGroupOffsetsRequestData.AlterShareGroupOffsetsRequestTopic t : data.topics()) {
            if (session.allowed(AclOperation.READ, ResourceType.TOPIC, t.topicName())) {
                Map<Integer, Long> byPartition = wanted.computeIfAbsent(t.topicName(), n -> new TreeMap<>());
                t.partitions().forEach(p -> byPartition.put(p.partitionIndex(), p.startOffset()));
            } else {
                refused.add(new ShareGroupOffsets.TopicResult(t.topicName(), null, Errors.NONE, null, t.partitions()
                        .stream().map(p -> new ShareGroupOffsets.PartitionResult(p.partitionIndex(),
                                Errors.TOPIC_AUTHORIZATION_FAILED, null)).toList()));
            }
        }
        return offsets.alter(data.groupId(), wanted).thenApply(r -> {
            AlterShareGroupOffsetsResponseData response = new AlterShareGroupOffsetsResponseData()
                    .setErrorCode(r.error().code()).setErrorMessage(r.error() == Errors.NONE ? null
                            : r.errorMessage() != null ? r.errorMessage() : r.error().message());
            if (r.error() != Errors.NONE) {
                return response;
            }
            List<ShareGroupOffsets.TopicResult> topics = new ArrayList<>(r.topics());
            topics.addAll(refused);
            for (ShareGroupOffsets.TopicResult t : topics) {
                AlterShareGroupOffsetsResponseData.AlterShareGroupOffsetsResponseTopic topic =
                        new AlterShareGroupOffsetsResponseData.AlterShareGroupOffsetsResponseTopic()
                                .setTopicName(t.topic())
                                .setTopicId(t.topicId() == null ? Uuid.ZERO_UUID : TopicIds.toWire(t.topicId()));
                t.partitions().forEach(p -> topic.partitions().add(
                        new AlterShareGroupOffsetsResponseData.AlterShareGroupOffsetsResponsePartition()
                                .setPartitionIndex(p.partition()).setErrorCode(p.error().code())
                                .setErrorMessage(p.error() == Errors.NONE ? null
                                        : p.errorMessage() != null ? p.errorMessage() : p.error().message())));
                response.responses().add(topic);
            }
            return response;
        });
    }

    // ---------------------------------------------------------------- DeleteShareGroupOffsets

    private CompletableFuture<ApiMessage> delete(KafkaWire.Request request) {
        DeleteShareGroupOffsetsRequestData data = (DeleteShareGroupOffsetsRequestData) request.body();
        Session session = request.session();
        if (!session.allowed(AclOperation.DELETE, ResourceType.GROUP, data.groupId())) {
            return CompletableFuture.completedFuture(new DeleteShareGroupOffsetsResponseData()
                    .setErrorCode(Errors.GROUP_AUTHORIZATION_FAILED.code())
                    .setErrorMessage(Errors.GROUP_AUTHORIZATION_FAILED.message()));
        }
        List<String> wanted = new ArrayList<>();
        List<ShareGroupOffsets.TopicResult> refused = new ArrayList<>();
        for (DeleteShareGroupOffsetsRequestData.DeleteShareGroupOffsetsRequestTopic t : data.topics()) {
            if (session.allowed(AclOperation.READ, ResourceType.TOPIC, t.topicName())) {
                wanted.add(t.topicName());
            } else {
                refused.add(new ShareGroupOffsets.TopicResult(t.topicName(), null, Errors.TOPIC_AUTHORIZATION_FAILED,
                        null, List.of()));
            }
        }
        return offsets.delete(data.groupId(), wanted).thenApply(r -> {
            DeleteShareGroupOffsetsResponseData response = new DeleteShareGroupOffsetsResponseData()
                    .setErrorCode(r.error().code()).setErrorMessage(r.error() == Errors.NONE ? null
                            : r.errorMessage() != null ? r.errorMessage() : r.error().message());
            if (r.error() != Errors.NONE) {
                return response;
            }
            List<ShareGroupOffsets.TopicResult> topics = new ArrayList<>(r.topics());
            topics.addAll(refused);
            for (ShareGroupOffsets.TopicResult t : topics) {
                response.responses().add(new DeleteShareGroupOffsetsResponseData.DeleteShareGroupOffsetsResponseTopic()
                        .setTopicName(t.topic())
                        .setTopicId(t.topicId() == null ? Uuid.ZERO_UUID : TopicIds.toWire(t.topicId()))
                        .setErrorCode(t.error().code()).setErrorMessage(t.error() == Errors.NONE ? null
                                : t.errorMessage() != null ? t.errorMessage() : t.error().message()));
            }
            return response;
        });
    }
}
