package dev.runnel.broker.group;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;

import org.apache.kafka.common.protocol.Errors;

import dev.runnel.common.concurrent.SerialQueue;
import dev.runnel.common.time.Scheduler;

/**
 * The classic group membership protocol: JoinGroup, SyncGroup, Heartbeat and LeaveGroup, with the
 * timers that drive rebalances (join phase, sync phase, session expiry).
 *
 * <p>A rebalance: a join or a departure moves the group to PreparingRebalance; every member must
 * join again within the rebalance timeout (a new dynamic member first gets its id with
 * MEMBER_ID_REQUIRED); those that do not are removed; the next generation is formed, the leader
 * gets every member's metadata and sends back the assignment in its SyncGroup; once that
 * assignment is written to the ISR, every member gets its part and the group is Stable. The first
 * rebalance of an empty group waits {@code group.initial.rebalance.delay.ms} (extended while
 * members keep arriving) so a starting fleet forms one generation, not one per member.
 *
 * <p>This class checks that this broker serves the group and hands each request to the group's
 * queue; the protocol itself is {@link JoinGroups}, {@link SyncGroups}, {@link Rebalancer} and
 * {@link MemberSessions}, and LeaveGroup is here. Everything about one group runs on that group's
 * {@link SerialQueue}, timers included; time comes from the injected clock and scheduler.
 */
public final class GroupCoordinator {

    private final GroupMetadataManager groups;
    private final Clock clock;
    private final GroupSettings settings;
    private final MemberSessions sessions;
    private final Rebalancer rebalancer;
    private final JoinGroups joins;
    private final SyncGroups syncs;
    /** Serves classic members of consumer groups (online migration); null until the consumer protocol is set up. */
    private volatile ConsumerGroupCoordinator consumerProtocol;

    public GroupCoordinator(GroupMetadataManager groups, Clock clock, Scheduler scheduler) {
        this.groups = groups;
        this.clock = clock;
        this.settings = groups.settings();
        this.sessions = new MemberSessions(groups, clock, scheduler, this::sessionExpired);
        this.rebalancer = new Rebalancer(groups, clock, scheduler, sessions);
        this.joins = new JoinGroups(groups, scheduler, rebalancer, sessions);
        this.syncs = new SyncGroups(groups, rebalancer, sessions);
        groups.onLoaded(sessions::startAll);
        groups.onUnloaded(this::onUnloaded);
    }

    public GroupMetadataManager metadata() {
        return groups;
    }

    /** Classic requests to consumer groups go to {@code coordinator} (Kafka's online migration). */
    void serveClassicMembersWith(ConsumerGroupCoordinator coordinator) {
        this.consumerProtocol = coordinator;
    }

    /** Whether a classic request to {@code g} goes to the consumer group protocol: a consumer group that serves them. */
    private boolean toConsumerGroup(ClassicGroup g) {
        ConsumerGroupCoordinator c = consumerProtocol;
        return g.isConsumerGroup() && c != null && c.servesClassicMembers();
    }

    /**
     * {@code g} has just become a classic group again (a downgrade, replayed): its members' sessions
     * start, and it rebalances, so every member rejoins with the classic protocol.
     */
    void downgraded(ClassicGroup g) {
        sessions.startAll(g);
        rebalancer.prepareRebalance(g, "the group was downgraded from a consumer group");
    }

    /** Rebalances started since this broker began (a metric). */
    public long rebalances() {
        return rebalancer.rebalances();
    }

    public CompletableFuture<JoinResult> join(JoinRequest r) {
        Errors error = groups.coordinatorError(r.groupId());
        if (error == Errors.NONE && (r.sessionTimeoutMs() < settings.minSessionTimeoutMs()
                || r.sessionTimeoutMs() > settings.maxSessionTimeoutMs())) {
            error = Errors.INVALID_SESSION_TIMEOUT;
        }
        if (error == Errors.NONE && (r.protocolType() == null || r.protocolType().isEmpty() || r.protocols().isEmpty())) {
            error = Errors.INCONSISTENT_GROUP_PROTOCOL;
        }
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(JoinResult.error(r.memberId(), error));
        }
        boolean newMember = r.memberId() == null || r.memberId().isEmpty();
        ClassicGroup group = newMember ? groups.getOrCreate(r.groupId()) : groups.group(r.groupId());
        if (group == null) {
            return CompletableFuture.completedFuture(JoinResult.error(r.memberId(), Errors.UNKNOWN_MEMBER_ID));
        }
        return onQueueAfterConversions(group, e -> JoinResult.error(r.memberId(), e), (g, respond) -> {
            if (g.isShareGroup()) {
                // Kafka's answer to a classic member of a share group.
                respond.accept(JoinResult.error(r.memberId(), Errors.INCONSISTENT_GROUP_PROTOCOL));
                return;
            }
            if (toConsumerGroup(g) && !g.consumer().isEmpty()) {
                consumerProtocol.classicJoin(g, r, respond);
                return;
            }
            if (g.isConsumerGroup()) {
                convertThenJoin(g, r, newMember, respond);
                return;
            }
            joins.join(g, r, newMember, respond);
        });
    }

    /**
     * A JoinGroup to a consumer group (KIP-848): a non-empty one takes no classic member
     * (INCONSISTENT_GROUP_PROTOCOL, Kafka's answer when classic members are not allowed in it); an
     * empty one becomes a classic group with its offsets, as in Kafka, once the tombstones of its
     * consumer group records are written and replayed, and the member joins it. Consumer heartbeats
     * arriving meanwhile wait for the conversion.
     */
    private void convertThenJoin(ClassicGroup g, JoinRequest r, boolean newMember, Consumer<JoinResult> respond) {
        if (!g.consumer().isEmpty() || g.writes().isWriting()) {
            respond.accept(JoinResult.error(r.memberId(), Errors.INCONSISTENT_GROUP_PROTOCOL));
            return;
        }
        List<GroupRecord> conversion = List.of(new GroupRecord.TargetAssignmentMetadata(g.groupId, null),
                new GroupRecord.ConsumerGroupMetadata(g.groupId, null));
        g.writes().started();
        groups.writeMetadata(g, conversion).whenComplete((error, failure) -> {
            g.writes().finished();
            try {
                if (failure != null || error != Errors.NONE) {
                    respond.accept(JoinResult.error(r.memberId(), failure != null ? Errors.UNKNOWN_SERVER_ERROR : error));
                } else if (groups.group(g.groupId) != g || g.is(GroupState.DEAD)) {
                    respond.accept(JoinResult.error(r.memberId(), Errors.NOT_COORDINATOR));
                } else {
                    groups.replay(g, conversion);
                    joins.join(g, r, newMember, respond);
                }
            } finally {
                g.writes().runWaiting();
            }
        });
    }

    public CompletableFuture<SyncResult> sync(String groupId, int generationId, String memberId, String instanceId,
            String protocolType, String protocolName, Map<String, byte[]> assignments) {
        Errors error = groups.coordinatorError(groupId);
        ClassicGroup group = error == Errors.NONE ? groups.group(groupId) : null;
        if (error == Errors.NONE && group == null) {
            error = Errors.UNKNOWN_MEMBER_ID;
        }
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(SyncResult.error(error));
        }
        return onQueueAfterConversions(group, SyncResult::error, (g, respond) -> {
            if (toConsumerGroup(g)) {
                consumerProtocol.classicSync(g, generationId, memberId, instanceId, protocolType, protocolName, respond);
            } else {
                syncs.sync(g, generationId, memberId, instanceId, protocolType, protocolName, assignments, respond);
            }
        });
    }

    public CompletableFuture<Errors> heartbeat(String groupId, int generationId, String memberId, String instanceId) {
        Errors error = groups.coordinatorError(groupId);
        ClassicGroup group = error == Errors.NONE ? groups.group(groupId) : null;
        if (error == Errors.NONE && group == null) {
            error = Errors.UNKNOWN_MEMBER_ID;
        }
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(error);
        }
        return onQueueAfterConversions(group, e -> e, (g, respond) -> {
            if (toConsumerGroup(g)) {
                consumerProtocol.classicHeartbeat(g, generationId, memberId, instanceId, respond);
            } else {
                respond.accept(sessions.heartbeat(g, generationId, memberId, instanceId));
            }
        });
    }

    // ---------------------------------------------------------------- LeaveGroup

    /** A member leaving: its id, or (static) its instance id with or without the member id. */
    public record LeavingMember(String memberId, String groupInstanceId) {
    }

    /** Each leaving member's outcome, in request order; the whole request's error first. */
    public record LeaveResult(Errors error, List<Errors> members) {
    }

    public CompletableFuture<LeaveResult> leave(String groupId, List<LeavingMember> leaving, String reason) {
        Errors error = groups.coordinatorError(groupId);
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(new LeaveResult(error, List.of()));
        }
        ClassicGroup group = groups.group(groupId);
        if (group == null) {
            return CompletableFuture.completedFuture(new LeaveResult(Errors.NONE,
                    leaving.stream().map(m -> Errors.UNKNOWN_MEMBER_ID).toList()));
        }
        return onQueueAfterConversions(group, e -> new LeaveResult(e, List.of()), (g, respond) -> {
            if (toConsumerGroup(g)) {
                consumerProtocol.classicLeave(g, leaving, respond);
                return;
            }
            List<Errors> outcomes = new ArrayList<>();
            for (LeavingMember m : leaving) {
                outcomes.add(leaveOne(g, m, reason));
            }
            respond.accept(new LeaveResult(Errors.NONE, outcomes));
        });
    }

    private Errors leaveOne(ClassicGroup g, LeavingMember m, String reason) {
        String why = reason == null || reason.isEmpty() ? "the member left" : reason;
        if (m.groupInstanceId() != null) {
            String current = g.staticMemberId(m.groupInstanceId());
            if (current == null) {
                return Errors.UNKNOWN_MEMBER_ID;
            }
            if (m.memberId() != null && !m.memberId().isEmpty() && !m.memberId().equals(current)) {
                return Errors.FENCED_INSTANCE_ID;
            }
            rebalancer.removeMember(g, g.member(current), "static member " + m.groupInstanceId() + " left: " + why);
            return Errors.NONE;
        }
        if (g.removePending(m.memberId())) {
            rebalancer.maybeCompleteJoin(g);
            return Errors.NONE;
        }
        if (!g.has(m.memberId())) {
            return Errors.UNKNOWN_MEMBER_ID;
        }
        rebalancer.removeMember(g, g.member(m.memberId()), "member " + m.memberId() + " left: " + why);
        return Errors.NONE;
    }

    // ---------------------------------------------------------------- sessions, loading and unloading

    /** Restarts the member's session: it is removed if nothing is heard from it for its session timeout. */
    void heartbeat(ClassicGroup g, GroupMember member) {
        sessions.restart(g, member);
    }

    private void sessionExpired(ClassicGroup g, GroupMember member) {
        rebalancer.removeMember(g, member, "member " + member.memberId + " has not sent a heartbeat for "
                + member.sessionTimeoutMs + " ms");
    }

    private void onUnloaded(ClassicGroup g) {
        g.rebalance().cancelTimers();
        for (GroupMember m : g.members()) {
            m.cancelHeartbeat();
            m.completeJoin(JoinResult.error(m.memberId, Errors.NOT_COORDINATOR));
            m.completeSync(SyncResult.error(Errors.NOT_COORDINATOR));
        }
        g.transitionTo(GroupState.DEAD, clock.millis());
    }

    // ---------------------------------------------------------------- helpers

    /** NONE if {@code memberId} (and, for a static member, its instance id) is the group's member. */
    static Errors validateMember(ClassicGroup g, String memberId, String instanceId) {
        if (instanceId != null) {
            String current = g.staticMemberId(instanceId);
            if (current == null) {
                return Errors.UNKNOWN_MEMBER_ID;
            }
            if (!current.equals(memberId)) {
                return Errors.FENCED_INSTANCE_ID;
            }
        }
        return g.has(memberId) ? Errors.NONE : Errors.UNKNOWN_MEMBER_ID;
    }

    /**
     * As {@link #onQueue}, but while classic members are served in consumer groups, only once no
     * consumer group write of the group is in flight: one may be upgrading or downgrading it, and a
     * classic request is served by the protocol the group has after it.
     */
    private <T> CompletableFuture<T> onQueueAfterConversions(ClassicGroup group, Function<Errors, T> failed,
            BiConsumer<ClassicGroup, Consumer<T>> action) {
        return onQueue(group, failed, (g, respond) -> {
            ConsumerGroupCoordinator c = consumerProtocol;
            if (!g.writes().isWriting() || c == null || !c.servesClassicMembers()) {
                action.accept(g, respond);
                return;
            }
            g.writes().waitFor(() -> {
                if (groups.group(g.groupId) != g || g.is(GroupState.DEAD)) {
                    respond.accept(failed.apply(Errors.COORDINATOR_NOT_AVAILABLE));
                } else {
                    action.accept(g, respond);
                }
            });
        });
    }

    /**
     * Runs {@code action} on the group's queue, once this broker still coordinates the group and the
     * group is still the one it looked up (not deleted or reloaded meanwhile).
     */
    <T> CompletableFuture<T> onQueue(ClassicGroup group, Function<Errors, T> failed,
            BiConsumer<ClassicGroup, Consumer<T>> action) {
        CompletableFuture<T> answer = new CompletableFuture<>();
        group.queue.execute(() -> {
            Errors error = groups.coordinatorError(group.groupId);
            if (error == Errors.NONE && (groups.group(group.groupId) != group || group.is(GroupState.DEAD))) {
                error = Errors.COORDINATOR_NOT_AVAILABLE;
            }
            if (error != Errors.NONE) {
                answer.complete(failed.apply(error));
                return;
            }
            action.accept(group, answer::complete);
        });
        return answer;
    }
}
