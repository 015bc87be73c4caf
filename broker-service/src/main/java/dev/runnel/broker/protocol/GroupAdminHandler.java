package dev.runnel.broker.protocol;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import org.apache.kafka.common.message.DeleteGroupsRequestData;
import org.apache.kafka.common.message.DeleteGroupsResponseData;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.ListGroupsRequestData;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.group.GroupAdmin;
import dev.runnel.broker.group.GroupState;
import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.Authorizer;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.broker.security.Session;

/**
 * ListGroups 0-5, DescribeGroups 0-6 and DeleteGroups 0-2 over the groups this broker
 * coordinates; admin clients ask every broker and merge. ListGroups v5 tells each group's type
 * ({@code classic}, {@code consumer} (KIP-848) or {@code share} (KIP-932)) and filters by it;
 * DescribeGroups describes classic groups only and answers a consumer or share group
 * GROUP_ID_NOT_FOUND, as Kafka does (the admin client describes those with ConsumerGroupDescribe
 * and ShareGroupDescribe). DeleteGroups deletes an empty share group with its share partitions'
 * state.
 *
 * <p>Authorization, as Kafka's: ListGroups lists every group to a connection that may DESCRIBE
 * the cluster and otherwise only the groups it may DESCRIBE (no denial is logged);
 * DescribeGroups needs DESCRIBE on each group and DeleteGroups DELETE on each, else that group is
 * GROUP_AUTHORIZATION_FAILED and left as it is. DescribeGroups v3+ fills in a described group's
 * authorized operations when asked.
 */
final class GroupAdminHandler implements ApiHandler {

    private final GroupAdmin admin;

    GroupAdminHandler(GroupAdmin admin) {
        this.admin = admin;
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        return switch (request.apiKey()) {
            case LIST_GROUPS -> list(request);
            case DESCRIBE_GROUPS -> describe(request);
            case DELETE_GROUPS -> delete(request);
            default -> throw new IllegalArgumentException("not a group admin API: " + request.apiKey());
        };
    }

    private CompletableFuture<ApiMessage> list(KafkaWire.Request request) {
        ListGroupsRequestData data = (ListGroupsRequestData) request.body();
        short version = request.version();
        Set<String> states = version >= 4 ? lower(data.statesFilter()) : Set.of();
        Set<String> types = version >= 5 ? lower(data.typesFilter()) : Set.of();
        Session session = request.session();
        boolean describesCluster = session.allowed(AclOperation.DESCRIBE, ResourceType.CLUSTER,
                ResourceType.CLUSTER_NAME, Authorizer.Audit.FILTER);
        return admin.list().thenApply(groups -> {
            ListGroupsResponseData response = new ListGroupsResponseData();
            for (GroupAdmin.Listing g : groups) {
                if (!describesCluster && !session.allowed(AclOperation.DESCRIBE, ResourceType.GROUP, g.groupId(),
                        Authorizer.Audit.FILTER)) {
                    continue;
                }
                if ((!states.isEmpty() && !states.contains(g.state().toLowerCase(Locale.ROOT)))
                        || (!types.isEmpty() && !types.contains(g.type()))) {
                    continue;
                }
                ListGroupsResponseData.ListedGroup listed = new ListGroupsResponseData.ListedGroup()
                        .setGroupId(g.groupId()).setProtocolType(g.protocolType());
                if (version >= 4) {
                    listed.setGroupState(g.state());
                }
                if (version >= 5) {
                    listed.setGroupType(g.type());
                }
                response.groups().add(listed);
            }
            return response;
        });
    }

    private static Set<String> lower(List<String> values) {
        return values == null ? Set.of() : values.stream().map(v -> v.toLowerCase(Locale.ROOT)).collect(Collectors.toSet());
    }

    private CompletableFuture<ApiMessage> describe(KafkaWire.Request request) {
        DescribeGroupsRequestData data = (DescribeGroupsRequestData) request.body();
        short version = request.version();
        Session session = request.session();
        List<CompletableFuture<DescribeGroupsResponseData.DescribedGroup>> each = new ArrayList<>();
        for (String groupId : data.groups()) {
            if (!session.allowed(AclOperation.DESCRIBE, ResourceType.GROUP, groupId)) {
                each.add(CompletableFuture.completedFuture(refused(groupId)));
                continue;
            }
            // Kafka's answer: DescribeGroups describes classic groups only (ConsumerGroupDescribe the others).
            each.add(admin.describe(groupId).thenApply(d -> described(d.isConsumerGroup() || d.isShareGroup()
                    ? new GroupAdmin.Description(Errors.GROUP_ID_NOT_FOUND, groupId, GroupState.DEAD, "", "", -1,
                            List.of(), Map.of()) : d, version, data.includeAuthorizedOperations(), session)));
        }
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).thenApply(v -> {
            DescribeGroupsResponseData response = new DescribeGroupsResponseData();
            each.forEach(g -> response.groups().add(g.join()));
            return response;
        });
    }

    /**
     * A group the connection may not describe: its id and the error, nothing of its state, its
     * authorized operations left at the default (Kafka's answer).
     */
    private static DescribeGroupsResponseData.DescribedGroup refused(String groupId) {
        return new DescribeGroupsResponseData.DescribedGroup().setGroupId(groupId)
                .setErrorCode(Errors.GROUP_AUTHORIZATION_FAILED.code()).setGroupState("").setProtocolType("")
                .setProtocolData("");
    }

    private static DescribeGroupsResponseData.DescribedGroup described(GroupAdmin.Description d, short version,
            boolean includeOperations, Session session) {
        Errors error = d.error();
        if (error == Errors.GROUP_ID_NOT_FOUND && version < 6) {
            // Before v6 an unknown group is described as Dead with no error.
            error = Errors.NONE;
        }
        DescribeGroupsResponseData.DescribedGroup group = new DescribeGroupsResponseData.DescribedGroup()
                .setGroupId(d.groupId()).setErrorCode(error.code()).setGroupState(d.state().kafkaName())
                .setProtocolType(d.protocolType()).setProtocolData(d.protocolName());
        if (version >= 6 && error != Errors.NONE) {
            group.setErrorMessage(d.error() == Errors.GROUP_ID_NOT_FOUND ? "Group " + d.groupId() + " not found."
                    : error.message());
        }
        if (version >= 3) {
            // Only a group described without an error has its operations told, as in Kafka.
            group.setAuthorizedOperations(includeOperations && error == Errors.NONE
                    ? MetadataHandler.authorizedOperations(session, ResourceType.GROUP, d.groupId()) : Integer.MIN_VALUE);
        }
        for (GroupAdmin.MemberDescription m : d.members()) {
            group.members().add(new DescribeGroupsResponseData.DescribedGroupMember().setMemberId(m.memberId())
                    .setGroupInstanceId(version >= 4 ? m.groupInstanceId() : null).setClientId(m.clientId())
                    .setClientHost(m.clientHost()).setMemberMetadata(m.metadata()).setMemberAssignment(m.assignment()));
        }
        return group;
    }

    private CompletableFuture<ApiMessage> delete(KafkaWire.Request request) {
        DeleteGroupsRequestData data = (DeleteGroupsRequestData) request.body();
        List<String> ids = data.groupsNames();
        Predicate<String> mayDelete = request.session().allowedNames(AclOperation.DELETE, ResourceType.GROUP,
                Authorizer.Audit.EXPLICIT);
        List<CompletableFuture<Errors>> each = ids.stream().map(id -> mayDelete.test(id) ? admin.delete(id)
                : CompletableFuture.completedFuture(Errors.GROUP_AUTHORIZATION_FAILED)).toList();
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).thenApply(v -> {
            DeleteGroupsResponseData response = new DeleteGroupsResponseData();
            for (int i = 0; i < ids.size(); i++) {
                response.results().add(new DeleteGroupsResponseData.DeletableGroupResult().setGroupId(ids.get(i))
                        .setErrorCode(each.get(i).join().code()));
            }
            return response;
        });
    }
}
