package dev.runnel.broker.group;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import dev.runnel.common.time.Scheduler;

/**
 * The rebalance a classic group is going through: its sequence number (which tells this
 * rebalance's timers from a stale one's), the timers that end its join and sync phases, whether it
 * is an initial rebalance still waiting for members to arrive, and which members have yet to send
 * SyncGroup. Nothing here is written to {@code __consumer_offsets}: a coordinator that takes a
 * group over starts its rebalances afresh.
 *
 * <p>Owned by one {@link ClassicGroup}, which starts each rebalance ({@link ClassicGroup#beginRebalance})
 * and each sync phase; touched only on the group's queue.
 */
final class RebalancePhase {

    /** Tells a timer of the current rebalance from a stale one. */
    private long seq;
    /** When the current rebalance's join phase ends. */
    private Scheduler.ScheduledTask joinTimer;
    /** When members that have not synced in this generation are removed. */
    private Scheduler.ScheduledTask syncTimer;
    /** An initial rebalance (from Empty) that waits for more members to arrive. */
    private boolean initial;
    /** A member arrived while an initial rebalance was waiting: the wait runs again. */
    private boolean membersArrived;
    /** Members of the current generation that have not sent SyncGroup yet. */
    private final Set<String> pendingSync = new HashSet<>();

    /** Starts the next rebalance, dropping the previous one's timers and pending syncs; returns its number. */
    long begin(boolean initialRebalance) {
        cancel(syncTimer);
        cancel(joinTimer);
        pendingSync.clear();
        initial = initialRebalance;
        membersArrived = false;
        return ++seq;
    }

    /** Whether {@code rebalance} is the rebalance in progress (a timer of an earlier one is stale). */
    boolean isCurrent(long rebalance) {
        return seq == rebalance;
    }

    /** An initial rebalance still waiting for members: it completes on its timer, not when all have joined. */
    boolean isInitial() {
        return initial;
    }

    /** A member joined during an initial rebalance's wait: it waits once more. */
    void memberArrived() {
        if (initial) {
            membersArrived = true;
        }
    }

    /** Whether members arrived since the initial rebalance's current wait began; starts counting again. */
    boolean takeArrivals() {
        boolean arrived = membersArrived;
        membersArrived = false;
        return arrived;
    }

    /** The timer that ends the current join phase. */
    void joinPhaseEndsWith(Scheduler.ScheduledTask timer) {
        joinTimer = timer;
    }

    /** The join phase is over: its timer is cancelled and the rebalance is no longer an initial one. */
    void endJoinPhase() {
        cancel(joinTimer);
        initial = false;
    }

    /** The generation just formed waits for every one of {@code members} to sync; returns the rebalance's number. */
    long beginSyncPhase(Collection<String> members) {
        pendingSync.addAll(members);
        return seq;
    }

    /** The timer that removes the members that have not synced in this generation. */
    void syncPhaseEndsWith(Scheduler.ScheduledTask timer) {
        syncTimer = timer;
    }

    /** {@code memberId} sent its SyncGroup in this generation, or is no longer a member. */
    void synced(String memberId) {
        pendingSync.remove(memberId);
    }

    /** A static member's new id takes over the old one's place among those yet to sync. */
    void memberReplaced(String oldMemberId, String newMemberId) {
        if (pendingSync.remove(oldMemberId)) {
            pendingSync.add(newMemberId);
        }
    }

    /** Members of the current generation that have not sent SyncGroup yet. */
    List<String> notYetSynced() {
        return List.copyOf(pendingSync);
    }

    /** Stops the timers (the group is being dropped). */
    void cancelTimers() {
        cancel(joinTimer);
        cancel(syncTimer);
    }

    private static void cancel(Scheduler.ScheduledTask task) {
        if (task != null) {
            task.cancel();
        }
    }
}
