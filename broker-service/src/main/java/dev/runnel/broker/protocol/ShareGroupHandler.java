package dev.runnel.broker.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.message.ShareGroupDescribeRequestData;
import org.apache.kafka.common.message.ShareGroupDescribeResponseData;
import org.apache.kafka.common.message.ShareGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ShareGroupHeartbeatResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.group.PartitionSet;
import dev.runnel.broker.group.ShareGroupCoordinator;
import dev.runnel.broker.group.ShareHeartbeat;
import dev.runnel.broker.group.ShareHeartbeatResult;
import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.broker.security.Session;
import dev.runnel.cluster.TopicInfo;

/**
 * Share groups (KIP-932): ShareGroupHeartbeat v1 and ShareGroupDescribe v1, translated to and
 * from the {@link ShareGroupCoordinator}.
 *
 * <p>Authorization, as Kafka's: a heartbeat needs READ on the group (else
 * GROUP_AUTHORIZATION_FAILED) and DESCRIBE on every topic it subscribes to (else
 * TOPIC_AUTHORIZATION_FAILED), and a refused heartbeat changes nothing; describing a group needs
 * DESCRIBE on it, and a group whose members subscribe to or are assigned a topic the connection
 * may not describe is answered TOPIC_AUTHORIZATION_FAILED.
 */
final class ShareGroupHandler implements ApiHandler {

    private final ShareGroupCoordinator coordinator;
    private final MetadataCache metadata;

    ShareGroupHandler(ShareGroupCoordinator coordinator, MetadataCache metadata) {
        this.coordinator = coordinator;
        this.metadata = metadata;
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        return switch (request.apiKey()) {
            case SHARE_GROUP_HEARTBEAT -> heartbeat(request);
            case SHARE_GROUP_DESCRIBE -> describe(request);
            default -> throw new IllegalArgumentException("not a share group API: " + request.apiKey());
        };
    }

    private CompletableFuture<ApiMessage> heartbeat(KafkaWire.Request request) {
        ShareGroupHeartbeatRequestData data = (ShareGroupHeartbeatRequestData) request.body();
        Session session = request.session();
        if (!session.allowed(AclOperation.READ, ResourceType.GROUP, data.groupId())) {
            return CompletableFuture.completedFuture(heartbeatError(Errors.GROUP_AUTHORIZATION_FAILED, null));
        }
        if (data.subscribedTopicNames() != null) {
            List<String> refused = data.subscribedTopicNames().stream()
                    .filter(t -> !session.allowed(AclOperation.DESCRIBE, ResourceType.TOPIC, t)).sorted().toList();
            if (!refused.isEmpty()) {
                return CompletableFuture.completedFuture(heartbeatError(Errors.TOPIC_AUTHORIZATION_FAILED,
                        "Unauthorized topics: " + String.join(", ", refused)));
            }
        }
        ShareHeartbeat heartbeat = new ShareHeartbeat(data.groupId(), data.memberId(), data.memberEpoch(),
                data.rackId(), data.subscribedTopicNames(), request.clientId(), request.clientHost());
        return coordinator.heartbeat(heartbeat).thenApply(ShareGroupHandler::heartbeatResponse);
    }

    private static ApiMessage heartbeatResponse(ShareHeartbeatResult r) {
        if (r.error() != Errors.NONE) {
            return heartbeatError(r.error(), r.errorMessage());
        }
        ShareGroupHeartbeatResponseData response = new ShareGroupHeartbeatResponseData().setMemberId(r.memberId())
                .setMemberEpoch(r.memberEpoch()).setHeartbeatIntervalMs(r.heartbeatIntervalMs());
        if (r.assignment() != null) {
            ShareGroupHeartbeatResponseData.Assignment assignment = new ShareGroupHeartbeatResponseData.Assignment();
            r.assignment().asMap().forEach((topic, partitions) -> assignment.topicPartitions().add(
                    new ShareGroupHeartbeatResponseData.TopicPartitions().setTopicId(TopicIds.toWire(topic))
                            .setPartitions(new ArrayList<>(partitions))));
            response.setAssignment(assignment);
        }
        return response;
    }

    private static ApiMessage heartbeatError(Errors error, String message) {
        return new ShareGroupHeartbeatResponseData().setErrorCode(error.code())
                .setErrorMessage(message != null ? message : error.message());
    }

    private CompletableFuture<ApiMessage> describe(KafkaWire.Request request) {
        ShareGroupDescribeRequestData data = (ShareGroupDescribeRequestData) request.body();
        Session session = request.session();
        List<CompletableFuture<ShareGroupDescribeResponseData.DescribedGroup>> each = new ArrayList<>();
        for (String groupId : data.groupIds()) {
            if (!session.allowed(AclOperation.DESCRIBE, ResourceType.GROUP, groupId)) {
                each.add(CompletableFuture.completedFuture(describeError(groupId, Errors.GROUP_AUTHORIZATION_FAILED,
                        null)));
                continue;
            }
            each.add(coordinator.describe(groupId).thenApply(d -> described(d, data.includeAuthorizedOperations(),
                    session)));
        }
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).thenApply(v -> {
            ShareGroupDescribeResponseData response = new ShareGroupDescribeResponseData();
            each.forEach(g -> response.groups().add(g.join()));
            return response;
        });
    }

    private ShareGroupDescribeResponseData.DescribedGroup described(ShareGroupCoordinator.Description d,
            boolean includeOperations, Session session) {
        if (d.error() != Errors.NONE) {
            return describeError(d.groupId(), d.error(), d.errorMessage());
        }
        ShareGroupDescribeResponseData.DescribedGroup group = new ShareGroupDescribeResponseData.DescribedGroup()
                .setGroupId(d.groupId()).setGroupState(d.state()).setGroupEpoch(d.groupEpoch())
                .setAssignmentEpoch(d.assignmentEpoch()).setAssignorName(d.assignorName())
                .setAuthorizedOperations(includeOperations
                        ? MetadataHandler.authorizedOperations(session, ResourceType.GROUP, d.groupId())
                        : Integer.MIN_VALUE);
        for (ShareGroupCoordinator.MemberDescription m : d.members()) {
            boolean mayDescribe = m.subscribedTopicNames().stream()
                    .allMatch(t -> session.allowed(AclOperation.DESCRIBE, ResourceType.TOPIC, t))
                    && m.assignment().topics().stream().map(id -> metadata.topicById(id).map(TopicInfo::name))
                            .allMatch(name -> name.isEmpty()
                                    || session.allowed(AclOperation.DESCRIBE, ResourceType.TOPIC, name.get()));
            if (!mayDescribe) {
                return describeError(d.groupId(), Errors.TOPIC_AUTHORIZATION_FAILED, null);
            }
            group.members().add(new ShareGroupDescribeResponseData.Member().setMemberId(m.memberId())
                    .setRackId(m.rackId()).setMemberEpoch(m.memberEpoch()).setClientId(m.clientId())
                    .setClientHost(m.clientHost()).setSubscribedTopicNames(new ArrayList<>(m.subscribedTopicNames()))
                    .setAssignment(assignment(m.assignment())));
        }
        return group;
    }

    private ShareGroupDescribeResponseData.Assignment assignment(PartitionSet partitions) {
        ShareGroupDescribeResponseData.Assignment assignment = new ShareGroupDescribeResponseData.Assignment();
        for (Map.Entry<UUID, SortedSet<Integer>> e : partitions.asMap().entrySet()) {
            assignment.topicPartitions().add(new ShareGroupDescribeResponseData.TopicPartitions()
                    .setTopicId(TopicIds.toWire(e.getKey()))
                    .setTopicName(metadata.topicById(e.getKey()).map(TopicInfo::name).orElse(""))
                    .setPartitions(new ArrayList<>(e.getValue())));
        }
        return assignment;
    }

    private static ShareGroupDescribeResponseData.DescribedGroup describeError(String groupId, Errors error,
            String message) {
        return new ShareGroupDescribeResponseData.DescribedGroup().setGroupId(groupId).setErrorCode(error.code())
                .setErrorMessage(message != null ? message : error.message()).setGroupState("").setAssignorName("");
    }
}
