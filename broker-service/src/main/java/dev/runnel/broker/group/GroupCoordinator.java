package dev.runnel.broker.group;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;

import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * <p>Everything about one group runs on that group's {@link SerialQueue}, timers included; time
 * comes from the injected clock and scheduler.
 */
public final class GroupCoordinator {

    private static final Logger log = LoggerFactory.getLogger(GroupCoordinator.class);

    private final GroupMetadataManager groups;
    private final Clock clock;
    private final Scheduler scheduler;
    private final GroupSettings settings;
    private final LongAdder rebalances = new LongAdder();

    public GroupCoordinator(GroupMetadataManager groups, Clock clock, Scheduler scheduler) {
        this.groups = groups;
        this.clock = clock;
        this.scheduler = scheduler;
        this.settings = groups.settings();
        groups.onLoaded(this::onLoaded);
        groups.onUnloaded(this::onUnloaded);
    }

    public GroupMetadataManager metadata() {
        return groups;
    }

    /** Rebalances started since this broker began (a metric). */
    public long rebalances() {
        return rebalances.sum();
    }

    // ---------------------------------------------------------------- JoinGroup

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
        return onQueue(group, e -> JoinResult.error(r.memberId(), e), (g, respond) -> {
            boolean arriving = newMember || g.isPending(r.memberId());
            if (arriving && g.size() >= settings.maxGroupSize()) {
                respond.accept(JoinResult.error(r.memberId(), Errors.GROUP_MAX_SIZE_REACHED));
            } else if (!g.supportsProtocols(r.protocolType(), r.protocols().stream().map(MemberProtocol::name).toList())) {
                respond.accept(JoinResult.error(r.memberId(), Errors.INCONSISTENT_GROUP_PROTOCOL));
            } else if (newMember) {
                joinNewMember(g, r, respond);
            } else {
                joinKnownMember(g, r, respond);
            }
        });
    }

    private void joinNewMember(ClassicGroup g, JoinRequest r, Consumer<JoinResult> respond) {
        String memberId = (r.groupInstanceId() != null ? r.groupInstanceId() : r.clientId()) + "-" + UUID.randomUUID();
        if (r.groupInstanceId() != null) {
            String existing = g.staticMemberId(r.groupInstanceId());
            if (existing != null) {
                replaceStaticMember(g, existing, memberId, r, respond);
            } else {
                addMemberAndRebalance(g, memberId, r, respond);
            }
        } else if (r.requireKnownMemberId()) {
            // The client must come back with this id; until it does, a rebalance waits for it.
            g.addPending(memberId);
            scheduler.schedule("group-pending-member", () -> g.queue.execute(() -> {
                if (g.removePending(memberId)) {
                    maybeCompleteJoin(g);
                }
            }), Duration.ofMillis(r.sessionTimeoutMs()));
            respond.accept(JoinResult.error(memberId, Errors.MEMBER_ID_REQUIRED));
        } else {
            addMemberAndRebalance(g, memberId, r, respond);
        }
    }

    private void joinKnownMember(ClassicGroup g, JoinRequest r, Consumer<JoinResult> respond) {
        String memberId = r.memberId();
        if (g.isPending(memberId)) {
            addMemberAndRebalance(g, memberId, r, respond);
            return;
        }
        Errors invalid = validateMember(g, memberId, r.groupInstanceId());
        if (invalid != Errors.NONE) {
            respond.accept(JoinResult.error(memberId, invalid));
            return;
        }
        GroupMember member = g.member(memberId);
        boolean unchanged = member.sameProtocols(r.protocols());
        switch (g.state()) {
            case PREPARING_REBALANCE -> updateMemberAndRebalance(g, member, r, respond, "member " + memberId + " rejoined");
            case COMPLETING_REBALANCE -> {
                if (unchanged) {
                    heartbeat(g, member);
                    respond.accept(currentGeneration(g, member));
                } else {
                    updateMemberAndRebalance(g, member, r, respond, "member " + memberId + " changed its protocols");
                }
            }
            case STABLE -> {
                if (unchanged && !g.isLeader(memberId)) {
                    heartbeat(g, member);
                    respond.accept(currentGeneration(g, member));
                } else {
                    updateMemberAndRebalance(g, member, r, respond, g.isLeader(memberId)
                            ? "the leader rejoined" : "member " + memberId + " changed its protocols");
                }
            }
            default -> respond.accept(JoinResult.error(memberId, Errors.UNKNOWN_MEMBER_ID));
        }
    }

    private static JoinResult currentGeneration(ClassicGroup g, GroupMember member) {
        boolean leader = g.isLeader(member.memberId);
        return new JoinResult(Errors.NONE, member.memberId, g.generationId(), g.protocolType(), g.protocolName(),
                g.leaderId(), false, leader ? g.memberMetadata() : List.of());
    }

    private void addMemberAndRebalance(ClassicGroup g, String memberId, JoinRequest r, Consumer<JoinResult> respond) {
        GroupMember member = new GroupMember(memberId, r.groupInstanceId(), r.clientId(), r.clientHost(),
                r.rebalanceTimeoutMs(), r.sessionTimeoutMs(), r.protocolType(), r.protocols());
        member.awaitingJoin = respond;
        g.memberArrived();
        g.add(member);
        heartbeat(g, member);
        maybePrepareRebalance(g, "member " + memberId + " joined");
    }

    private void updateMemberAndRebalance(ClassicGroup g, GroupMember member, JoinRequest r,
            Consumer<JoinResult> respond, String reason) {
        member.protocols = List.copyOf(r.protocols());
        member.rebalanceTimeoutMs = r.rebalanceTimeoutMs();
        member.sessionTimeoutMs = r.sessionTimeoutMs();
        member.clientId = r.clientId();
        member.clientHost = r.clientHost();
        // A second JoinGroup from the same member replaces its first, which is answered now.
        member.completeJoin(JoinResult.error(member.memberId, Errors.REBALANCE_IN_PROGRESS));
        member.awaitingJoin = respond;
        heartbeat(g, member);
        maybePrepareRebalance(g, reason);
    }

    /**
     * A static member joined again under a new member id (its process restarted): the new id takes
     * over the old one's place and assignment, and the old id is fenced. With unchanged protocols
     * in a Stable group there is no rebalance.
     */
    private void replaceStaticMember(ClassicGroup g, String oldId, String newId, JoinRequest r,
            Consumer<JoinResult> respond) {
        GroupMember old = g.member(oldId);
        boolean unchanged = old.sameProtocols(r.protocols());
        old.completeJoin(JoinResult.error(oldId, Errors.FENCED_INSTANCE_ID));
        old.completeSync(SyncResult.error(Errors.FENCED_INSTANCE_ID));
        GroupMember member = g.replaceStatic(r.groupInstanceId(), oldId, newId);
        member.protocols = List.copyOf(r.protocols());
        member.rebalanceTimeoutMs = r.rebalanceTimeoutMs();
        member.sessionTimeoutMs = r.sessionTimeoutMs();
        member.clientId = r.clientId();
        member.clientHost = r.clientHost();
        heartbeat(g, member);
        if (g.is(GroupState.STABLE) && unchanged) {
            // The swap is already made (the old id is fenced at once, as in Kafka) and undone if the
            // record cannot be written; the record replays only into a group that still holds it.
            int generation = g.generationId();
            GroupRecord.GroupMetadata record = g.metadataRecord(Map.of());
            groups.writeMetadata(g, List.of(record)).thenAccept(error -> {
                if (error != Errors.NONE) {
                    // Not written: the old id stays the member, and the new process must try again.
                    if (g.has(newId)) {
                        g.replaceStatic(r.groupInstanceId(), newId, oldId);
                    }
                    respond.accept(JoinResult.error(newId, error));
                } else if (g.generationId() != generation || !g.has(newId)) {
                    respond.accept(JoinResult.error(newId, Errors.REBALANCE_IN_PROGRESS));
                } else {
                    if (g.holds(record)) {
                        groups.replay(g, List.of(record));
                    }
                    // Nothing to reassign: a leader that restarted is told to skip the assignment (KIP-814).
                    GroupMember current = g.member(newId);
                    heartbeat(g, current);
                    JoinResult join = currentGeneration(g, current);
                    respond.accept(new JoinResult(join.error(), join.memberId(), join.generationId(), join.protocolType(),
                            join.protocolName(), join.leaderId(), g.isLeader(newId), join.members()));
                }
            });
            return;
        }
        member.awaitingJoin = respond;
        maybePrepareRebalance(g, "static member " + r.groupInstanceId() + " rejoined with new protocols");
    }

    // ---------------------------------------------------------------- SyncGroup

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
        return onQueue(group, SyncResult::error, (g, respond) -> {
            Errors invalid = validateMember(g, memberId, instanceId);
            if (invalid == Errors.NONE && generationId != g.generationId()) {
                invalid = Errors.ILLEGAL_GENERATION;
            }
            if (invalid == Errors.NONE && ((protocolType != null && !protocolType.equals(g.protocolType()))
                    || (protocolName != null && !protocolName.equals(g.protocolName())))) {
                invalid = Errors.INCONSISTENT_GROUP_PROTOCOL;
            }
            if (invalid != Errors.NONE) {
                respond.accept(SyncResult.error(invalid));
                return;
            }
            GroupMember member = g.member(memberId);
            switch (g.state()) {
                case PREPARING_REBALANCE -> respond.accept(SyncResult.error(Errors.REBALANCE_IN_PROGRESS));
                case STABLE -> {
                    g.rebalance().synced(memberId);
                    heartbeat(g, member);
                    respond.accept(new SyncResult(Errors.NONE, g.protocolType(), g.protocolName(), member.assignment));
                }
                case COMPLETING_REBALANCE -> {
                    member.completeSync(SyncResult.error(Errors.REBALANCE_IN_PROGRESS));
                    member.awaitingSync = respond;
                    g.rebalance().synced(memberId);
                    heartbeat(g, member);
                    if (g.isLeader(memberId)) {
                        storeAssignment(g, assignments);
                    }
                }
                default -> respond.accept(SyncResult.error(Errors.UNKNOWN_MEMBER_ID));
            }
        });
    }

    /**
     * Writes the leader's assignment; once the ISR has it, replaying it gives every member its part
     * and makes the group Stable, and every member's SyncGroup is answered.
     */
    private void storeAssignment(ClassicGroup g, Map<String, byte[]> leaderAssignment) {
        CoordinatorResult<Map<String, SyncResult>> stored = assignmentRecords(g, leaderAssignment);
        int generation = g.generationId();
        groups.writeMetadata(g, stored.records()).thenAccept(error -> {
            if (!g.is(GroupState.COMPLETING_REBALANCE) || g.generationId() != generation) {
                return;
            }
            if (error != Errors.NONE) {
                log.warn("Cannot store the assignment of {}: {}", g, error);
                resetAssignments(g, error);
                prepareRebalance(g, "storing the assignment failed with " + error);
                return;
            }
            groups.replay(g, stored.records());
            for (GroupMember m : g.members()) {
                m.completeSync(stored.response().get(m.memberId));
            }
            log.info("Group {} is stable at generation {} with {} members", g.groupId, generation, g.size());
        });
    }

    /** The metadata record of the generation with the leader's assignment, and each member's SyncGroup answer. */
    private static CoordinatorResult<Map<String, SyncResult>> assignmentRecords(ClassicGroup g,
            Map<String, byte[]> leaderAssignment) {
        Map<String, byte[]> assignment = new HashMap<>();
        Map<String, SyncResult> answers = new HashMap<>();
        for (GroupMember m : g.members()) {
            byte[] part = leaderAssignment.getOrDefault(m.memberId, new byte[0]);
            assignment.put(m.memberId, part);
            answers.put(m.memberId, new SyncResult(Errors.NONE, g.protocolType(), g.protocolName(), part));
        }
        return new CoordinatorResult<>(List.of(g.metadataRecord(assignment)), answers);
    }

    private static void resetAssignments(ClassicGroup g, Errors error) {
        for (GroupMember m : g.members()) {
            m.assignment = new byte[0];
            m.completeSync(SyncResult.error(error));
        }
    }

    // ---------------------------------------------------------------- Heartbeat and LeaveGroup

    public CompletableFuture<Errors> heartbeat(String groupId, int generationId, String memberId, String instanceId) {
        Errors error = groups.coordinatorError(groupId);
        ClassicGroup group = error == Errors.NONE ? groups.group(groupId) : null;
        if (error == Errors.NONE && group == null) {
            error = Errors.UNKNOWN_MEMBER_ID;
        }
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(error);
        }
        return onQueue(group, e -> e, (g, respond) -> {
            Errors invalid = g.is(GroupState.EMPTY) ? Errors.UNKNOWN_MEMBER_ID : validateMember(g, memberId, instanceId);
            if (invalid == Errors.NONE && generationId != g.generationId()) {
                invalid = Errors.ILLEGAL_GENERATION;
            }
            if (invalid != Errors.NONE) {
                respond.accept(invalid);
                return;
            }
            heartbeat(g, g.member(memberId));
            respond.accept(g.is(GroupState.PREPARING_REBALANCE) ? Errors.REBALANCE_IN_PROGRESS : Errors.NONE);
        });
    }

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
        return onQueue(group, e -> new LeaveResult(e, List.of()), (g, respond) -> {
            List<Errors> outcomes = new java.util.ArrayList<>();
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
            removeMemberAndUpdateGroup(g, g.member(current), "static member " + m.groupInstanceId() + " left: " + why);
            return Errors.NONE;
        }
        if (g.removePending(m.memberId())) {
            maybeCompleteJoin(g);
            return Errors.NONE;
        }
        if (!g.has(m.memberId())) {
            return Errors.UNKNOWN_MEMBER_ID;
        }
        removeMemberAndUpdateGroup(g, g.member(m.memberId()), "member " + m.memberId() + " left: " + why);
        return Errors.NONE;
    }

    // ---------------------------------------------------------------- rebalancing

    private void removeMemberAndUpdateGroup(ClassicGroup g, GroupMember member, String reason) {
        member.completeJoin(JoinResult.error(member.memberId, Errors.UNKNOWN_MEMBER_ID));
        member.completeSync(SyncResult.error(Errors.UNKNOWN_MEMBER_ID));
        g.remove(member.memberId);
        switch (g.state()) {
            case STABLE, COMPLETING_REBALANCE -> prepareRebalance(g, reason);
            case PREPARING_REBALANCE -> maybeCompleteJoin(g);
            default -> { }
        }
    }

    private void maybePrepareRebalance(ClassicGroup g, String reason) {
        if (g.is(GroupState.PREPARING_REBALANCE)) {
            maybeCompleteJoin(g);
        } else if (g.is(GroupState.STABLE) || g.is(GroupState.COMPLETING_REBALANCE) || g.is(GroupState.EMPTY)) {
            prepareRebalance(g, reason);
        }
    }

    private void prepareRebalance(ClassicGroup g, String reason) {
        if (g.is(GroupState.COMPLETING_REBALANCE)) {
            resetAssignments(g, Errors.REBALANCE_IN_PROGRESS);
        }
        long seq = g.beginRebalance(clock.millis());
        rebalances.increment();
        log.info("Group {} is rebalancing after generation {}: {}", g.groupId, g.generationId(), reason);
        if (g.rebalance().isInitial()) {
            long rebalanceTimeout = g.rebalanceTimeoutMs();
            long delay = Math.min(settings.initialRebalanceDelay().toMillis(), rebalanceTimeout);
            scheduleInitialJoin(g, seq, delay, rebalanceTimeout - delay);
        } else {
            g.rebalance().joinPhaseEndsWith(scheduler.schedule("group-join", () -> g.queue.execute(() -> {
                if (g.rebalance().isCurrent(seq) && g.is(GroupState.PREPARING_REBALANCE)) {
                    completeJoin(g);
                }
            }), Duration.ofMillis(g.rebalanceTimeoutMs())));
            maybeCompleteJoin(g);
        }
    }

    /** The first rebalance of an empty group: wait, and wait again while new members keep arriving. */
    private void scheduleInitialJoin(ClassicGroup g, long seq, long delay, long remaining) {
        g.rebalance().joinPhaseEndsWith(scheduler.schedule("group-initial-join", () -> g.queue.execute(() -> {
            if (!g.rebalance().isCurrent(seq) || !g.is(GroupState.PREPARING_REBALANCE)) {
                return;
            }
            if (g.rebalance().takeArrivals() && remaining > 0) {
                long next = Math.min(settings.initialRebalanceDelay().toMillis(), remaining);
                scheduleInitialJoin(g, seq, next, remaining - next);
            } else {
                completeJoin(g);
            }
        }), Duration.ofMillis(delay)));
    }

    private void maybeCompleteJoin(ClassicGroup g) {
        if (g.is(GroupState.PREPARING_REBALANCE) && !g.rebalance().isInitial() && g.allMembersJoined()) {
            completeJoin(g);
        }
    }

    /** The join phase is over: drop members that did not rejoin, start the next generation, answer every join. */
    private void completeJoin(ClassicGroup g) {
        g.rebalance().endJoinPhase();
        for (GroupMember m : g.notYetRejoined()) {
            log.info("Removing member {} from group {}: it did not rejoin within the rebalance timeout", m.memberId,
                    g.groupId);
            g.remove(m.memberId);
        }
        g.initNextGeneration(clock.millis());
        if (g.is(GroupState.EMPTY)) {
            log.info("Group {} is empty at generation {}", g.groupId, g.generationId());
            GroupRecord.GroupMetadata record = g.metadataRecord(Map.of());
            groups.writeMetadata(g, List.of(record)).thenAccept(error -> {
                if (error != Errors.NONE) {
                    log.warn("Cannot store the empty {}: {}", g, error);
                } else if (g.holds(record)) {
                    groups.replay(g, List.of(record));
                }
            });
            return;
        }
        log.info("Group {} formed generation {} with {} members, protocol {}", g.groupId, g.generationId(), g.size(),
                g.protocolName());
        long seq = g.beginSyncPhase();
        for (GroupMember m : g.members()) {
            m.completeJoin(currentGeneration(g, m));
            heartbeat(g, m);
        }
        int generation = g.generationId();
        g.rebalance().syncPhaseEndsWith(scheduler.schedule("group-sync", () -> g.queue.execute(() -> expireSync(g, seq, generation)),
                Duration.ofMillis(g.rebalanceTimeoutMs())));
    }

    /** Members that never sent SyncGroup in this generation are gone; the others rebalance without them. */
    private void expireSync(ClassicGroup g, long seq, int generation) {
        List<String> missing = g.rebalance().notYetSynced();
        if (!g.rebalance().isCurrent(seq) || g.generationId() != generation || missing.isEmpty()
                || !(g.is(GroupState.COMPLETING_REBALANCE) || g.is(GroupState.STABLE))) {
            return;
        }
        for (String id : missing) {
            GroupMember m = g.member(id);
            if (m != null) {
                m.completeSync(SyncResult.error(Errors.UNKNOWN_MEMBER_ID));
                g.remove(id);
            }
        }
        prepareRebalance(g, "members " + missing + " did not sync within the rebalance timeout");
    }

    // ---------------------------------------------------------------- sessions

    /** Restarts the member's session: it is removed if nothing is heard from it for its session timeout. */
    void heartbeat(ClassicGroup g, GroupMember member) {
        member.cancelHeartbeat();
        member.lastHeartbeatMs = clock.millis();
        member.heartbeatExpiry = scheduler.schedule("group-session", () -> g.queue.execute(() -> expireSession(g, member)),
                Duration.ofMillis(member.sessionTimeoutMs));
    }

    private void expireSession(ClassicGroup g, GroupMember member) {
        if (g.member(member.memberId) != member || groups.group(g.groupId) != g) {
            return;
        }
        if (clock.millis() - member.lastHeartbeatMs < member.sessionTimeoutMs) {
            return;
        }
        if (member.isAwaitingJoin() || member.isAwaitingSync()) {
            // Parked in a rebalance: the join or sync timeout decides about it.
            heartbeat(g, member);
            return;
        }
        removeMemberAndUpdateGroup(g, member, "member " + member.memberId + " has not sent a heartbeat for "
                + member.sessionTimeoutMs + " ms");
    }

    private void onLoaded(ClassicGroup g) {
        for (GroupMember m : g.members()) {
            heartbeat(g, m);
        }
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
