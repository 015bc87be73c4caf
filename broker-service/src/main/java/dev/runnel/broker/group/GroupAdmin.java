package dev.runnel.broker.group;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.protocol.Errors;

import dev.runnel.common.TopicPartition;

/** ListGroups, DescribeGroups and DeleteGroups over the groups this broker coordinates. */
public final class GroupAdmin {

    private final GroupCoordinator coordinator;
    private final GroupMetadataManager groups;

    /** A deletion is applied, and timed, by replaying its records in {@link GroupMetadataManager}. */
    public GroupAdmin(GroupCoordinator coordinator) {
        this.coordinator = coordinator;
        this.groups = coordinator.metadata();
    }

    /**
     * A group as ListGroups shows it: its type ({@code classic} or {@code consumer}) and its state
     * as Kafka names it for that type.
     */
    public record Listing(String groupId, String protocolType, String state, String type) {
    }

    public static final String CLASSIC = "classic";
    public static final String CONSUMER = "consumer";

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

    /** Deletes an empty group and its offsets: GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, or a write's error. */
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
            if (!g.is(GroupState.EMPTY) || (g.isConsumerGroup() && (!g.consumer().isEmpty() || g.consumerWriteInFlight))) {
                respond.accept(Errors.NON_EMPTY_GROUP);
                return;
            }
            groups.deleteGroup(g).thenAccept(respond);
        });
    }
}
