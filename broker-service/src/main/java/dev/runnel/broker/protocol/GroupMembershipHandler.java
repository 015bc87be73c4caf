package dev.runnel.broker.protocol;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.group.GroupCoordinator;
import dev.runnel.broker.group.JoinRequest;
import dev.runnel.broker.group.JoinResult;
import dev.runnel.broker.group.MemberProtocol;
import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.ResourceType;

/**
 * The classic group membership APIs: JoinGroup 0-9, SyncGroup 0-5, Heartbeat 0-4 and LeaveGroup
 * 0-5, translated to and from the {@link GroupCoordinator}. JoinGroup and SyncGroup answers may be
 * parked for a whole rebalance; the connection keeps later answers in order behind them. Each
 * needs READ on the group, else it is answered GROUP_AUTHORIZATION_FAILED and the group is left
 * as it was, as in Kafka.
 */
final class GroupMembershipHandler implements ApiHandler {

    private final GroupCoordinator coordinator;

    GroupMembershipHandler(GroupCoordinator coordinator) {
        this.coordinator = coordinator;
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        if (!request.session().allowed(AclOperation.READ, ResourceType.GROUP, groupId(request))) {
            return CompletableFuture.completedFuture(KafkaWire.errorResponse(request, Errors.GROUP_AUTHORIZATION_FAILED));
        }
        return switch (request.apiKey()) {
            case JOIN_GROUP -> join(request);
            case SYNC_GROUP -> sync(request);
            case HEARTBEAT -> heartbeat(request);
            case LEAVE_GROUP -> leave(request);
            default -> throw new IllegalArgumentException("not a membership API: " + request.apiKey());
        };
    }

    private static String groupId(KafkaWire.Request request) {
        return switch (request.apiKey()) {
            case JOIN_GROUP -> ((JoinGroupRequestData) request.body()).groupId();
            case SYNC_GROUP -> ((SyncGroupRequestData) request.body()).groupId();
            case HEARTBEAT -> ((HeartbeatRequestData) request.body()).groupId();
            case LEAVE_GROUP -> ((LeaveGroupRequestData) request.body()).groupId();
            default -> throw new IllegalArgumentException("not a membership API: " + request.apiKey());
        };
    }

    private CompletableFuture<ApiMessage> join(KafkaWire.Request request) {
        JoinGroupRequestData data = (JoinGroupRequestData) request.body();
        short version = request.version();
        List<MemberProtocol> protocols = new ArrayList<>();
        for (JoinGroupRequestData.JoinGroupRequestProtocol p : data.protocols()) {
            protocols.add(new MemberProtocol(p.name(), p.metadata()));
        }
        int rebalanceTimeout = version >= 1 ? data.rebalanceTimeoutMs() : data.sessionTimeoutMs();
        String instanceId = version >= 5 ? data.groupInstanceId() : null;
        JoinRequest join = new JoinRequest(data.groupId(), data.memberId(), instanceId, request.clientId(),
                request.clientHost(), data.sessionTimeoutMs(), rebalanceTimeout, data.protocolType(), protocols,
                version >= 4, version >= 8 ? data.reason() : null);
        return coordinator.join(join).thenApply(r -> joinResponse(r, version));
    }

    private static ApiMessage joinResponse(JoinResult r, short version) {
        JoinGroupResponseData response = new JoinGroupResponseData().setErrorCode(r.error().code())
                .setGenerationId(r.generationId())
                .setMemberId(r.memberId() == null ? "" : r.memberId())
                .setLeader(r.leaderId() == null ? "" : r.leaderId())
                .setSkipAssignment(r.skipAssignment());
        if (version >= 7) {
            response.setProtocolType(r.protocolType()).setProtocolName(r.protocolName());
        } else {
            response.setProtocolName(r.protocolName() == null ? "" : r.protocolName());
        }
        for (JoinResult.MemberMetadata m : r.members()) {
            response.members().add(new JoinGroupResponseData.JoinGroupResponseMember().setMemberId(m.memberId())
                    .setGroupInstanceId(version >= 5 ? m.groupInstanceId() : null).setMetadata(m.metadata()));
        }
        return response;
    }

    private CompletableFuture<ApiMessage> sync(KafkaWire.Request request) {
        SyncGroupRequestData data = (SyncGroupRequestData) request.body();
        short version = request.version();
        Map<String, byte[]> assignments = new HashMap<>();
        for (SyncGroupRequestData.SyncGroupRequestAssignment a : data.assignments()) {
            assignments.put(a.memberId(), a.assignment());
        }
        return coordinator.sync(data.groupId(), data.generationId(), data.memberId(),
                version >= 3 ? data.groupInstanceId() : null, version >= 5 ? data.protocolType() : null,
                version >= 5 ? data.protocolName() : null, assignments).thenApply(r -> {
                    SyncGroupResponseData response = new SyncGroupResponseData().setErrorCode(r.error().code())
                            .setAssignment(r.assignment());
                    if (version >= 5) {
                        response.setProtocolType(r.protocolType()).setProtocolName(r.protocolName());
                    }
                    return response;
                });
    }

    private CompletableFuture<ApiMessage> heartbeat(KafkaWire.Request request) {
        HeartbeatRequestData data = (HeartbeatRequestData) request.body();
        return coordinator.heartbeat(data.groupId(), data.generationId(), data.memberId(),
                request.version() >= 3 ? data.groupInstanceId() : null)
                .thenApply(error -> new HeartbeatResponseData().setErrorCode(error.code()));
    }

    private CompletableFuture<ApiMessage> leave(KafkaWire.Request request) {
        LeaveGroupRequestData data = (LeaveGroupRequestData) request.body();
        short version = request.version();
        List<GroupCoordinator.LeavingMember> leaving = new ArrayList<>();
        String reason = null;
        if (version >= 3) {
            for (LeaveGroupRequestData.MemberIdentity m : data.members()) {
                leaving.add(new GroupCoordinator.LeavingMember(m.memberId(), m.groupInstanceId()));
                reason = version >= 5 && m.reason() != null ? m.reason() : reason;
            }
        } else {
            leaving.add(new GroupCoordinator.LeavingMember(data.memberId(), null));
        }
        return coordinator.leave(data.groupId(), leaving, reason).thenApply(result -> {
            LeaveGroupResponseData response = new LeaveGroupResponseData();
            if (version < 3) {
                Errors error = result.error() != Errors.NONE ? result.error() : result.members().get(0);
                return response.setErrorCode(error.code());
            }
            response.setErrorCode(result.error().code());
            for (int i = 0; i < result.members().size(); i++) {
                response.members().add(new LeaveGroupResponseData.MemberResponse()
                        .setMemberId(leaving.get(i).memberId()).setGroupInstanceId(leaving.get(i).groupInstanceId())
                        .setErrorCode(result.members().get(i).code()));
            }
            return response;
        });
    }
}
