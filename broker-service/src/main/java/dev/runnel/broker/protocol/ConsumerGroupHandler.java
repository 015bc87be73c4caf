package dev.runnel.broker.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.message.ConsumerGroupDescribeRequestData;
import org.apache.kafka.common.message.ConsumerGroupDescribeResponseData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.group.ConsumerGroupCoordinator;
import dev.runnel.broker.group.ConsumerHeartbeat;
import dev.runnel.broker.group.ConsumerHeartbeatResult;
import dev.runnel.broker.group.PartitionSet;
import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.broker.security.Session;
import dev.runnel.cluster.TopicInfo;

/**
 * The consumer group protocol (KIP-848): ConsumerGroupHeartbeat 0-1 and ConsumerGroupDescribe 0-1,
 * translated to and from the {@link ConsumerGroupCoordinator}.
 *
 * <p>Authorization, as Kafka's: a heartbeat needs READ on the group (else
 * GROUP_AUTHORIZATION_FAILED) and DESCRIBE on every topic it subscribes to (else
 * TOPIC_AUTHORIZATION_FAILED), and a refused heartbeat changes nothing; describing a group needs
 * DESCRIBE on it, and a group whose members subscribe to or are assigned a topic the connection
 * may not describe is answered TOPIC_AUTHORIZATION_FAILED. The topics a regular expression
 * subscription matches are not filtered by the member's DESCRIBE ACLs (Kafka's are); Fetch still
 * needs READ on each.
 */
final class ConsumerGroupHandler implements ApiHandler {

    /** ConsumerGroupDescribe v1's member type: a member of the consumer protocol. */
    private static final byte CONSUMER_MEMBER = 1;
    /** ConsumerGroupDescribe v1's MemberType of a member using the classic protocol (KIP-1099). */
    private static final byte CLASSIC_MEMBER = 0;

    private final ConsumerGroupCoordinator coordinator;
    private final MetadataCache metadata;

    ConsumerGroupHandler(ConsumerGroupCoordinator coordinator, MetadataCache metadata) {
        this.coordinator = coordinator;
        this.metadata = metadata;
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        return switch (request.apiKey()) {
            case CONSUMER_GROUP_HEARTBEAT -> heartbeat(request);
            case CONSUMER_GROUP_DESCRIBE -> describe(request);
            default -> throw new IllegalArgumentException("not a consumer group API: " + request.apiKey());
        };
    }

    private CompletableFuture<ApiMessage> heartbeat(KafkaWire.Request request) {
        ConsumerGroupHeartbeatRequestData data = (ConsumerGroupHeartbeatRequestData) request.body();
        Session session = request.session();
        if (!session.allowed(AclOperation.READ, ResourceType.GROUP, data.groupId())) {
            return CompletableFuture.completedFuture(heartbeatError(Errors.GROUP_AUTHORIZATION_FAILED, null));
        }
        if (data.subscribedTopicNames() != null) {
            for (String topic : data.subscribedTopicNames()) {
                if (!session.allowed(AclOperation.DESCRIBE, ResourceType.TOPIC, topic)) {
                    return CompletableFuture.completedFuture(heartbeatError(Errors.TOPIC_AUTHORIZATION_FAILED, null));
                }
            }
        }
        PartitionSet owned = null;
        if (data.topicPartitions() != null) {
            PartitionSet.Builder b = new PartitionSet.Builder();
            for (ConsumerGroupHeartbeatRequestData.TopicPartitions tp : data.topicPartitions()) {
                UUID topic = TopicIds.toUuid(tp.topicId());
                tp.partitions().forEach(p -> b.add(topic, p));
            }
            owned = b.build();
        }
        ConsumerHeartbeat heartbeat = new ConsumerHeartbeat(data.groupId(), data.memberId(), data.memberEpoch(),
                data.instanceId(), data.rackId(), data.rebalanceTimeoutMs(), data.subscribedTopicNames(),
                request.version() >= 1 ? data.subscribedTopicRegex() : null, data.serverAssignor(), owned,
                request.clientId(), request.clientHost());
        return coordinator.heartbeat(heartbeat).thenApply(ConsumerGroupHandler::heartbeatResponse);
    }

    private static ApiMessage heartbeatResponse(ConsumerHeartbeatResult r) {
        if (r.error() != Errors.NONE) {
            return heartbeatError(r.error(), r.errorMessage());
        }
        ConsumerGroupHeartbeatResponseData response = new ConsumerGroupHeartbeatResponseData()
                .setMemberId(r.memberId()).setMemberEpoch(r.memberEpoch())
                .setHeartbeatIntervalMs(r.heartbeatIntervalMs());
        if (r.assignment() != null) {
            ConsumerGroupHeartbeatResponseData.Assignment assignment = new ConsumerGroupHeartbeatResponseData.Assignment();
            r.assignment().asMap().forEach((topic, partitions) -> assignment.topicPartitions().add(
                    new ConsumerGroupHeartbeatResponseData.TopicPartitions().setTopicId(TopicIds.toWire(topic))
                            .setPartitions(new ArrayList<>(partitions))));
            response.setAssignment(assignment);
        }
        return response;
    }

    private static ApiMessage heartbeatError(Errors error, String message) {
        return new ConsumerGroupHeartbeatResponseData().setErrorCode(error.code())
                .setErrorMessage(message != null ? message : error.message());
    }

    private CompletableFuture<ApiMessage> describe(KafkaWire.Request request) {
        ConsumerGroupDescribeRequestData data = (ConsumerGroupDescribeRequestData) request.body();
        Session session = request.session();
        short version = request.version();
        List<CompletableFuture<ConsumerGroupDescribeResponseData.DescribedGroup>> each = new ArrayList<>();
        for (String groupId : data.groupIds()) {
            if (!session.allowed(AclOperation.DESCRIBE, ResourceType.GROUP, groupId)) {
                each.add(CompletableFuture.completedFuture(describeError(groupId, Errors.GROUP_AUTHORIZATION_FAILED,
                        null)));
                continue;
            }
            each.add(coordinator.describe(groupId).thenApply(d -> described(d, version,
                    data.includeAuthorizedOperations(), session)));
        }
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).thenApply(v -> {
            ConsumerGroupDescribeResponseData response = new ConsumerGroupDescribeResponseData();
            each.forEach(g -> response.groups().add(g.join()));
            return response;
        });
    }

    private ConsumerGroupDescribeResponseData.DescribedGroup described(ConsumerGroupCoordinator.Description d,
            short version, boolean includeOperations, Session session) {
        if (d.error() != Errors.NONE) {
            return describeError(d.groupId(), d.error(), d.errorMessage());
        }
        ConsumerGroupDescribeResponseData.DescribedGroup group = new ConsumerGroupDescribeResponseData.DescribedGroup()
                .setGroupId(d.groupId()).setGroupState(d.state()).setGroupEpoch(d.groupEpoch())
                .setAssignmentEpoch(d.assignmentEpoch()).setAssignorName(d.assignorName())
                .setAuthorizedOperations(includeOperations
                        ? MetadataHandler.authorizedOperations(session, ResourceType.GROUP, d.groupId())
                        : Integer.MIN_VALUE);
        for (ConsumerGroupCoordinator.MemberDescription m : d.members()) {
            ConsumerGroupDescribeResponseData.Member member = new ConsumerGroupDescribeResponseData.Member()
                    .setMemberId(m.memberId()).setInstanceId(m.instanceId()).setRackId(m.rackId())
                    .setMemberEpoch(m.memberEpoch()).setClientId(m.clientId()).setClientHost(m.clientHost())
                    .setSubscribedTopicNames(new ArrayList<>(m.subscribedTopicNames()))
                    .setSubscribedTopicRegex(m.subscribedTopicRegex())
                    .setAssignment(assignment(m.assignment())).setTargetAssignment(assignment(m.targetAssignment()));
            if (version >= 1) {
                member.setMemberType(m.classic() ? CLASSIC_MEMBER : CONSUMER_MEMBER);
            }
            group.members().add(member);
            boolean mayDescribe = m.subscribedTopicNames().stream()
                    .allMatch(t -> session.allowed(AclOperation.DESCRIBE, ResourceType.TOPIC, t))
                    && m.assignment().union(m.targetAssignment()).topics().stream()
                            .map(id -> metadata.topicById(id).map(TopicInfo::name))
                            .allMatch(name -> name.isEmpty()
                                    || session.allowed(AclOperation.DESCRIBE, ResourceType.TOPIC, name.get()));
            if (!mayDescribe) {
                return describeError(d.groupId(), Errors.TOPIC_AUTHORIZATION_FAILED, null);
            }
        }
        return group;
    }

    private ConsumerGroupDescribeResponseData.Assignment assignment(PartitionSet partitions) {
        ConsumerGroupDescribeResponseData.Assignment assignment = new ConsumerGroupDescribeResponseData.Assignment();
        for (Map.Entry<UUID, SortedSet<Integer>> e : partitions.asMap().entrySet()) {
            assignment.topicPartitions().add(new ConsumerGroupDescribeResponseData.TopicPartitions()
                    .setTopicId(TopicIds.toWire(e.getKey()))
                    .setTopicName(metadata.topicById(e.getKey()).map(TopicInfo::name).orElse(""))
                    .setPartitions(new ArrayList<>(e.getValue())));
        }
        return assignment;
    }

    private static ConsumerGroupDescribeResponseData.DescribedGroup describeError(String groupId, Errors error,
            String message) {
        return new ConsumerGroupDescribeResponseData.DescribedGroup().setGroupId(groupId).setErrorCode(error.code())
                .setErrorMessage(message != null ? message : error.message()).setGroupState("").setAssignorName("");
    }
}
