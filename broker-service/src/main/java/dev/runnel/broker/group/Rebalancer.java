package dev.runnel.broker.group;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.common.time.Scheduler;

/**
 * Drives a classic group through its rebalances: starting one when members come or go, the join
 * phase and its timers (the initial delay of an empty group, extended while members keep arriving;
 * the rebalance timeout), forming the next generation, and the sync phase's timeout.
 *
 * <pre>
 *  Empty, Stable, Completing --a member joins, changes, leaves or expires--> PreparingRebalance
 *  PreparingRebalance --all rejoined, or the join timer--> the next generation:
 *      with members: CompletingRebalance (every JoinGroup answered, the sync timer started)
 *      without:      Empty (written)
 *  CompletingRebalance --the leader's assignment written and replayed ({@link SyncGroups})--> Stable
 *  Completing, Stable --sync timer: members that never synced removed--> PreparingRebalance
 * </pre>
 *
 * <p>A generation being formed is not written: only its assignment or an empty generation is, and
 * that record is replayed into the group once the ISR has it. Runs on the group's queue.
 */
final class Rebalancer {

    private static final Logger log = LoggerFactory.getLogger(Rebalancer.class);

    private final GroupMetadataManager groups;
    private final Clock clock;
    private final Scheduler scheduler;
    private final GroupSettings settings;
    private final MemberSessions sessions;
    private final LongAdder rebalances = new LongAdder();

    Rebalancer(GroupMetadataManager groups, Clock clock, Scheduler scheduler, MemberSessions sessions) {
        this.groups = groups;
        this.clock = clock;
        this.scheduler = scheduler;
        this.settings = groups.settings();
        this.sessions = sessions;
    }

    /** Rebalances started since this broker began (a metric). */
    long rebalances() {
        return rebalances.sum();
    }

    /** {@code member} is gone (it left, or its session expired): its parked requests are answered, the group rebalances. */
    void removeMember(ClassicGroup g, GroupMember member, String reason) {
        member.completeJoin(JoinResult.error(member.memberId, Errors.UNKNOWN_MEMBER_ID));
        member.completeSync(SyncResult.error(Errors.UNKNOWN_MEMBER_ID));
        g.remove(member.memberId);
        switch (g.state()) {
            case STABLE, COMPLETING_REBALANCE -> prepareRebalance(g, reason);
            case PREPARING_REBALANCE -> maybeCompleteJoin(g);
            default -> { }
        }
    }

    /** A member joined or changed: start a rebalance, or see whether the one under way can complete. */
    void maybePrepareRebalance(ClassicGroup g, String reason) {
        if (g.is(GroupState.PREPARING_REBALANCE)) {
            maybeCompleteJoin(g);
        } else if (g.is(GroupState.STABLE) || g.is(GroupState.COMPLETING_REBALANCE) || g.is(GroupState.EMPTY)) {
            prepareRebalance(g, reason);
        }
    }

    void prepareRebalance(ClassicGroup g, String reason) {
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

    /** Answers every parked SyncGroup with {@code error}: the generation being formed has no assignment. */
    static void resetAssignments(ClassicGroup g, Errors error) {
        for (GroupMember m : g.members()) {
            m.clearAssignment();
            m.completeSync(SyncResult.error(error));
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

    /** Completes the join phase if every member has rejoined (not during an initial rebalance's wait). */
    void maybeCompleteJoin(ClassicGroup g) {
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
            storeEmptyGeneration(g);
            return;
        }
        log.info("Group {} formed generation {} with {} members, protocol {}", g.groupId, g.generationId(), g.size(),
                g.protocolName());
        long seq = g.beginSyncPhase();
        for (GroupMember m : g.members()) {
            m.completeJoin(JoinResult.currentGeneration(g, m));
            sessions.restart(g, m);
        }
        int generation = g.generationId();
        g.rebalance().syncPhaseEndsWith(scheduler.schedule("group-sync",
                () -> g.queue.execute(() -> expireSync(g, seq, generation)), Duration.ofMillis(g.rebalanceTimeoutMs())));
    }

    /** Writes the empty generation; the record replays into the group if it is still that empty generation. */
    private void storeEmptyGeneration(ClassicGroup g) {
        log.info("Group {} is empty at generation {}", g.groupId, g.generationId());
        GroupRecord.GroupMetadata record = g.metadataRecord(Map.of());
        groups.writeMetadata(g, List.of(record)).thenAccept(error -> {
            if (error != Errors.NONE) {
                log.warn("Cannot store the empty {}: {}", g, error);
            } else if (g.holds(record)) {
                groups.replay(g, List.of(record));
            }
        });
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
}
