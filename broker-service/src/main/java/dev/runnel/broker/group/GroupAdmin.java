package dev.runnel.broker.group;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.common.TopicPartition;

/**
 * ListGroups, DescribeGroups and DeleteGroups over the groups this broker coordinates: classic,
 * consumer (KIP-848) and share (KIP-932) groups. Deleting a share group deletes its share
 * partitions' state first ({@link ShareGroupOffsets}).
 */
public final class GroupAdmin {

    private static final Logger log = LoggerFactory.getLogger(GroupAdmin.class);

    private final GroupCoordinator coordinator;
    private final GroupMetadataManager groups;
    private final ShareGroupOffsets shareOffsets;

    /** Without share groups' state: a share group with share-partition state cannot be deleted (tests). */
    public GroupAdmin(GroupCoordinator coordinator) {
        this(coordinator, null);
    }

    /** A deletion is applied, and timed, by replaying its records in {@link GroupMetadataManager}. */
    public GroupAdmin(GroupCoordinator coordinator, ShareGroupOffsets shareOffsets) {
        this.coordinator = coordinator;
        this.groups = coordinator.metadata();
        this.shareOffsets = shareOffsets;
    }

    /**
     * A group as ListGroups shows it: its type ({@code classic}, {@code consumer} or {@code share})
     * and its state as Kafka names it for that type.
     */
    public record Listing(String groupId, String protocolType, String state, String type) {
    }

    public static final String CLASSIC = "classic";
    public static final String CONSUMER = "consumer";
    public static final String SHARE = "share";

    /** A member as DescribeGroups shows it; metadata and assignment only while the group is Stable. */
    public record MemberDescription(String memberId, String groupInstanceId, String clientId, String clientHost,
            byte[] metadata, byte[] assignment) {
    }

    /** A group as DescribeGroups shows it, with its committed offsets for operators. */
    public record Description(Errors error, String groupId, GroupState state, String protocolType, String protocolName,
            int generationId, List<MemberDescription> members, Map<TopicPartition, OffsetAndMetadata> offsets,
            String type, String stateName) {

        /**
         * A classic group's description ({@code type} classic, {@code stateName} its state's name).
         * A consumer group (type consumer) has its state's name as Kafka names it (Empty, Assigning,
         * Reconciling, Stable), {@code state} the nearest classic one (Empty or Stable), its group
         * epoch as generation and no member metadata: the operators' views show it, DescribeGroups
         * does not (Kafka answers GROUP_ID_NOT_FOUND there).
         */
        public Description(Errors error, String groupId, GroupState state, String protocolType, String protocolName,
                int generationId, List<MemberDescription> members, Map<TopicPartition, OffsetAndMetadata> offsets) {
            this(error, groupId, state, protocolType, protocolName, generationId, members, offsets, CLASSIC,
                    state.kafkaName());
        }

        public boolean isConsumerGroup() {
            return CONSUMER.equals(type);
        }

        /** Whether this is a share group (KIP-932), which DescribeGroups does not describe either. */
        public boolean isShareGroup() {
            return SHARE.equals(type);
        }
    }

    /** Every group this broker coordinates now (loaded partitions only). */
    public CompletableFuture<List<Listing>> list() {
        List<CompletableFuture<Listing>> each = new ArrayList<>();
        for (ClassicGroup group : List.copyOf(groups.groups())) {
            CompletableFuture<Listing> one = new CompletableFuture<>();
            group.queue.execute(() -> one.complete(groups.group(group.groupId) == group && !group.is(GroupState.DEAD)
                    ? listing(group) : null));
            each.add(one);
        }
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
                .thenApply(v -> each.stream().map(CompletableFuture::join).filter(Objects::nonNull).toList());
    }

    private static Listing listing(ClassicGroup g) {
        if (g.isConsumerGroup()) {
            return new Listing(g.groupId, CONSUMER, g.consumer().stateName(), CONSUMER);
        }
        if (g.isShareGroup()) {
            return new Listing(g.groupId, SHARE, g.share().stateName(), SHARE);
        }
        return new Listing(g.groupId, g.protocolType() == null ? "" : g.protocolType(), g.state().kafkaName(), CLASSIC);
    }

    public CompletableFuture<Description> describe(String groupId) {
        Errors error = groups.coordinatorError(groupId);
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(missing(groupId, error));
        }
        ClassicGroup group = groups.group(groupId);
        if (group == null) {
            return CompletableFuture.completedFuture(missing(groupId, Errors.GROUP_ID_NOT_FOUND));
        }
        return coordinator.<Description>onQueue(group, e -> missing(groupId, e == Errors.COORDINATOR_NOT_AVAILABLE
                ? Errors.GROUP_ID_NOT_FOUND : e), (g, respond) -> {
            if (g.isConsumerGroup()) {
                ConsumerGroup cg = g.consumer();
                List<MemberDescription> members = new ArrayList<>();
                cg.members().stream().filter(m -> m.metadata != null).forEach(m -> members.add(new MemberDescription(
                        m.memberId, m.instanceId(), m.metadata.clientId(), m.metadata.clientHost(), new byte[0],
                        new byte[0])));
                respond.accept(new Description(Errors.NONE, g.groupId, cg.isEmpty() ? GroupState.EMPTY
                        : GroupState.STABLE, CONSUMER, "", cg.groupEpoch(), members, Map.copyOf(g.offsets()), CONSUMER,
                        cg.stateName()));
                return;
            }
            if (g.isShareGroup()) {
                ShareGroup sg = g.share();
                List<MemberDescription> members = new ArrayList<>();
                sg.members().stream().filter(m -> m.metadata != null).forEach(m -> members.add(new MemberDescription(
                        m.memberId, null, m.metadata.clientId(), m.metadata.clientHost(), new byte[0], new byte[0])));
                respond.accept(new Description(Errors.NONE, g.groupId, sg.isEmpty() ? GroupState.EMPTY
                        : GroupState.STABLE, SHARE, "", sg.groupEpoch(), members, Map.of(), SHARE, sg.stateName()));
                return;
            }
            boolean stable = g.is(GroupState.STABLE);
            List<MemberDescription> members = new ArrayList<>();
            for (GroupMember m : g.members()) {
                members.add(new MemberDescription(m.memberId, m.groupInstanceId, m.clientId, m.clientHost,
                        stable ? m.metadata(g.protocolName()) : new byte[0], stable ? m.assignment : new byte[0]));
            }
            respond.accept(new Description(Errors.NONE, g.groupId, g.state(), g.protocolType() == null ? ""
                    : g.protocolType(), g.protocolName() == null ? "" : g.protocolName(), g.generationId(), members,
                    Map.copyOf(g.offsets())));
        });
    }

    private static Description missing(String groupId, Errors error) {
        return new Description(error, groupId, GroupState.DEAD, "", "", -1, List.of(), Map.of());
    }

    /**
     * Deletes an empty group and its offsets (a share group: its share partitions' state first):
     * GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, or a write's or the state's deletion's error.
     */
    public CompletableFuture<Errors> delete(String groupId) {
        Errors error = groups.coordinatorError(groupId);
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(error);
        }
        ClassicGroup group = groups.group(groupId);
        if (group == null) {
            return CompletableFuture.completedFuture(Errors.GROUP_ID_NOT_FOUND);
        }
        return coordinator.<Errors>onQueue(group, e -> e == Errors.COORDINATOR_NOT_AVAILABLE
                ? Errors.GROUP_ID_NOT_FOUND : e, (g, respond) -> {
            if (!g.is(GroupState.EMPTY) || (g.isConsumerGroup() && (!g.consumer().isEmpty() || g.writes().isWriting()))
                    || (g.isShareGroup() && (!g.share().isEmpty() || g.writes().isWriting()))) {
                respond.accept(Errors.NON_EMPTY_GROUP);
                return;
            }
            if (g.isShareGroup() && !g.share().initialized().isEmpty()) {
                deleteShareGroup(g, respond);
                return;
            }
            groups.deleteGroup(g).thenAccept(respond);
        });
    }

    /**
     * Deletes an empty share group's share-partition state, then (back on the group's queue, the
     * group still empty) the group.
     */
    private void deleteShareGroup(ClassicGroup g, Consumer<Errors> respond) {
        if (shareOffsets == null) {
            log.warn("Cannot delete share group {}: no share-partition state persister", g.groupId);
            respond.accept(Errors.UNKNOWN_SERVER_ERROR);
            return;
        }
        shareOffsets.deleteAllState(g.groupId, g.share().initialized()).whenComplete((error, e) -> g.queue.execute(() -> {
            if (e != null || error != Errors.NONE) {
                respond.accept(e != null ? Errors.UNKNOWN_SERVER_ERROR : error);
            } else if (groups.group(g.groupId) != g || g.is(GroupState.DEAD) || !g.isShareGroup()) {
                respond.accept(Errors.GROUP_ID_NOT_FOUND);
            } else if (!g.share().isEmpty() || g.writes().isWriting()) {
                respond.accept(Errors.NON_EMPTY_GROUP);
            } else {
                groups.deleteGroup(g).thenAccept(respond);
            }
        }));
    }
}
