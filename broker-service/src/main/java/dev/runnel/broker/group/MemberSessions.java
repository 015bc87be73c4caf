package dev.runnel.broker.group;

import java.time.Clock;
import java.time.Duration;
import java.util.function.BiConsumer;

import org.apache.kafka.common.protocol.Errors;

import dev.runnel.common.time.Scheduler;

/**
 * Members' sessions: a member is removed if nothing is heard from it for its session timeout,
 * unless it is parked in a rebalance (the join or sync timeout decides about it then). Heartbeat
 * requests, commits and rebalance steps restart a session; an expired one is handed to
 * {@code expired}, which removes the member and rebalances.
 *
 * <p>Runs on the group's queue; time comes from the injected clock and scheduler.
 */
final class MemberSessions {

    private final GroupMetadataManager groups;
    private final Clock clock;
    private final Scheduler scheduler;
    private final BiConsumer<ClassicGroup, GroupMember> expired;

    MemberSessions(GroupMetadataManager groups, Clock clock, Scheduler scheduler,
            BiConsumer<ClassicGroup, GroupMember> expired) {
        this.groups = groups;
        this.clock = clock;
        this.scheduler = scheduler;
        this.expired = expired;
    }

    /** Restarts the member's session: it is removed if nothing is heard from it for its session timeout. */
    void restart(ClassicGroup g, GroupMember member) {
        member.restartSession(clock.millis(), scheduler.schedule("group-session",
                () -> g.queue.execute(() -> expire(g, member)), Duration.ofMillis(member.sessionTimeoutMs)));
    }

    /** A Heartbeat from a member of {@code g}: its session restarts, and it learns whether to rejoin. */
    Errors heartbeat(ClassicGroup g, int generationId, String memberId, String instanceId) {
        Errors invalid = g.is(GroupState.EMPTY) ? Errors.UNKNOWN_MEMBER_ID
                : GroupCoordinator.validateMember(g, memberId, instanceId);
        if (invalid == Errors.NONE && generationId != g.generationId()) {
            invalid = Errors.ILLEGAL_GENERATION;
        }
        if (invalid != Errors.NONE) {
            return invalid;
        }
        restart(g, g.member(memberId));
        return g.is(GroupState.PREPARING_REBALANCE) ? Errors.REBALANCE_IN_PROGRESS : Errors.NONE;
    }

    /** Restarts the sessions of a group just loaded: they run from the load. */
    void startAll(ClassicGroup g) {
        for (GroupMember m : g.members()) {
            restart(g, m);
        }
    }

    private void expire(ClassicGroup g, GroupMember member) {
        if (g.member(member.memberId) != member || groups.group(g.groupId) != g) {
            return;
        }
        if (clock.millis() - member.lastHeartbeatMs() < member.sessionTimeoutMs) {
            return;
        }
        if (member.isAwaitingJoin() || member.isAwaitingSync()) {
            // Parked in a rebalance: the join or sync timeout decides about it.
            restart(g, member);
            return;
        }
        expired.accept(g, member);
    }
}
