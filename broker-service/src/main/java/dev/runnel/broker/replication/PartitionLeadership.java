package dev.runnel.broker.replication;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.Supplier;

import dev.runnel.broker.storage.LogError;
import dev.runnel.broker.storage.LogException;
import dev.runnel.broker.storage.PartitionLog;
import dev.runnel.cluster.PartitionState;
import dev.runnel.common.TopicPartition;

/**
 * One partition's place in its replication as this broker holds it (the leadership and ISR half of
 * Kafka's {@code Partition}): leader or follower at which leader epoch, the ISR with at most one
 * change in flight to the controller ({@link IsrState}, KIP-497), what the leader knows of its
 * followers from their fetches ({@link Followers}), and the high watermark they decide. The
 * {@link Partition} it belongs to appends and reads through it.
 *
 * <p>The high watermark is the smallest log end offset among the maximal ISR: the leader's own,
 * and for each follower the end offset its last fetch reported. Records below it are on every ISR
 * member, and only they are readable by consumers and count as acknowledged for {@code acks=all}.
 *
 * <p>A follower joins the ISR only once its log end has reached both the high watermark and the
 * start of the leader's current epoch (KAFKA-7128): a new leader may hold a stale high watermark
 * while records acknowledged by the previous leader lie beyond it, and a follower that joined
 * below them and was then elected would lose them.
 *
 * <p>Thread-safety: the replication state is one immutable {@link IsrState}, replaced only under
 * the write side of {@link #lock()} (leadership changes, ISR proposals, committed ISRs), so at most
 * one ISR change is in flight. High watermark computations, and the partition's appends, hold the
 * read side, so no append is stamped with an epoch the partition no longer leads in and no high
 * watermark is computed from an ISR that is changing; the high watermark only moves up within a
 * leadership.
 */
final class PartitionLeadership {

    private static final long PROPOSAL_BACKOFF_MS = 1_000;

    private final TopicPartition topicPartition;
    private final int localBrokerId;
    /** The partition's current log (it may be swapped for one in another log directory). */
    private final Supplier<PartitionLog> log;
    private final Clock clock;
    /** Sends a proposed ISR to the controller; the answer comes back through {@link #applyCommittedState}. */
    private final Consumer<List<Integer>> proposer;
    private final ReentrantReadWriteLock leaderIsrLock = new ReentrantReadWriteLock();
    /** Followers' fetch state; only meaningful while leading, reset at every new leadership. */
    private final Followers followers = new Followers();
    /** Replaced only under the write lock. */
    private volatile IsrState isr;
    private volatile int minInsyncReplicas;
    /** Where this broker's current leadership started in its log; -1 while following. */
    private volatile long leaderEpochStartOffset = -1;
    private volatile long nextProposalAtMs;

    PartitionLeadership(TopicPartition topicPartition, int localBrokerId, HostedPartition state, int minInsyncReplicas,
            Clock clock, Supplier<PartitionLog> log, Consumer<List<Integer>> proposer) {
        this.topicPartition = topicPartition;
        this.localBrokerId = localBrokerId;
        this.log = log;
        this.isr = IsrState.committed(state);
        this.minInsyncReplicas = minInsyncReplicas;
        this.clock = clock;
        this.proposer = proposer;
        resetFollowers();
        if (state.leader()) {
            leaderEpochStartOffset = log.get().logEndOffset();
            log.get().leaderEpochs().assign(state.state().leaderEpoch(), leaderEpochStartOffset);
        }
        maybeIncrementHighWatermark();
    }

    /** The state the controller committed, as this broker last took it. */
    HostedPartition hosted() {
        return isr.hosted();
    }

    /** Guards the replication state: written on changes, read by appends and high watermark moves. */
    ReentrantReadWriteLock lock() {
        return leaderIsrLock;
    }

    long leaderEpochStartOffset() {
        return leaderEpochStartOffset;
    }

    int minInsyncReplicas() {
        return minInsyncReplicas;
    }

    void minInsyncReplicas(int minIsr) {
        this.minInsyncReplicas = minIsr;
    }

    /**
     * Takes a new state from the controller (LeaderAndIsr). A new leadership starts with no
     * knowledge of the followers' positions.
     *
     * @return whether the high watermark moved
     */
    boolean update(HostedPartition next, int minIsr) {
        leaderIsrLock.writeLock().lock();
        try {
            HostedPartition previous = isr.hosted();
            boolean newLeadership = next.leader()
                    && (!previous.leader() || next.state().leaderEpoch() != previous.state().leaderEpoch());
            // The controller's state supersedes any ISR change in flight (a late answer still counts if newer).
            isr = IsrState.committed(next);
            minInsyncReplicas = minIsr;
            if (newLeadership || !next.leader()) {
                resetFollowers();
            } else if (!next.replicas().equals(previous.replicas())) {
                // A reassignment added or removed replicas within this leadership (KIP-455): a new
                // replica may fetch and catch up, a removed one no longer counts; the others keep
                // what their fetches told.
                followers.retain(next.replicas(), localBrokerId, clock.millis());
            }
            if (newLeadership) {
                // The new epoch starts at the log end now, not at the first append, so
                // OffsetForLeaderEpoch tells a follower exactly where the previous epoch ended here.
                PartitionLog current = log.get();
                leaderEpochStartOffset = current.logEndOffset();
                current.leaderEpochs().assign(next.state().leaderEpoch(), leaderEpochStartOffset);
            } else if (!next.leader()) {
                leaderEpochStartOffset = -1;
            }
            return maybeIncrementHighWatermark();
        } finally {
            leaderIsrLock.writeLock().unlock();
        }
    }

    /** Stops leading or following: the log's directory failed. */
    void takeOffline() {
        leaderIsrLock.writeLock().lock();
        try {
            HostedPartition current = isr.hosted();
            isr = IsrState.committed(new HostedPartition(current.topicId(), current.replicas(), current.state(), false));
            leaderEpochStartOffset = -1;
        } finally {
            leaderIsrLock.writeLock().unlock();
        }
    }

    /** Led here with fewer in-sync replicas than assigned ones. */
    boolean isUnderReplicated() {
        HostedPartition current = isr.hosted();
        return current.leader() && current.state().isr().size() < current.replicas().size();
    }

    /** Led here with fewer in-sync replicas than {@code min.insync.replicas}: acks=all is refused. */
    boolean isUnderMinIsr() {
        HostedPartition current = isr.hosted();
        return current.leader() && current.state().isr().size() < minInsyncReplicas;
    }

    /** How long the ISR follower longest without catching up has been behind, in ms (0 if none). */
    long maxFollowerLagMs() {
        HostedPartition current = isr.hosted();
        return current.leader() ? followers.maxLagMs(current.state().isr(), clock.millis()) : 0;
    }

    /** Messages the slowest ISR follower is behind the leader's log end (0 when none is behind). */
    long maxFollowerLag() {
        return followers.maxLagMessages(isr.committedIsr(), log.get().logEndOffset());
    }

    /**
     * Moves the high watermark to the smallest log end offset in the maximal ISR, if that is
     * higher. Computed under the read lock, so from an ISR that cannot change meanwhile, and
     * stored only upwards, so concurrent callers never move it back.
     *
     * @return whether it moved
     */
    boolean maybeIncrementHighWatermark() {
        leaderIsrLock.readLock().lock();
        try {
            IsrState current = isr;
            if (!current.hosted().leader()) {
                return false;
            }
            PartitionLog partitionLog = log.get();
            long before = partitionLog.highWatermark();
            long candidate = partitionLog.logEndOffset();
            for (int replica : current.maximalIsr()) {
                if (replica != localBrokerId) {
                    Followers.State follower = followers.get(replica);
                    long end = follower == null || follower.endOffset < 0 ? before : follower.endOffset;
                    candidate = Math.min(candidate, end);
                }
            }
            return partitionLog.maybeIncrementHighWatermark(candidate);
        } finally {
            leaderIsrLock.readLock().unlock();
        }
    }

    private void resetFollowers() {
        followers.reset(isr.hosted().replicas(), localBrokerId, clock.millis());
    }

    // ---- the leader's view of its followers, and the ISR changes it proposes --------------

    /**
     * Records a follower's fetch from {@code fetchOffset} (its log end): moves the high watermark
     * if it can, and proposes adding the follower to the ISR once it has caught up (see the class
     * comment).
     *
     * @return whether the high watermark moved
     * @throws ReplicaException NOT_LEADER_OR_FOLLOWER if this broker does not lead, or the
     *                          fetching broker is not a replica
     * @throws LogException OFFSET_OUT_OF_RANGE if the follower claims more than the leader has
     */
    boolean updateFollowerFetchState(int replicaId, long fetchOffset) {
        HostedPartition current = isr.hosted();
        Followers.State follower = followers.get(replicaId);
        if (!current.leader() || follower == null) {
            throw new ReplicaException(ReplicaError.NOT_LEADER_OR_FOLLOWER, "broker " + replicaId
                    + " fetching " + topicPartition + " is not a follower of broker " + localBrokerId);
        }
        long now = clock.millis();
        long leaderEnd = log.get().logEndOffset();
        if (fetchOffset > leaderEnd) {
            // A follower ahead of its leader has not truncated yet: it must not count, nor join the ISR.
            throw new LogException(LogError.OFFSET_OUT_OF_RANGE, "broker " + replicaId + " fetches " + topicPartition
                    + " from " + fetchOffset + ", past the leader's log end " + leaderEnd);
        }
        follower.fetched(fetchOffset, leaderEnd, now);
        boolean moved = maybeIncrementHighWatermark();
        if (canJoinIsr(isr, replicaId, fetchOffset)) {
            leaderIsrLock.writeLock().lock();
            try {
                // Again under the write lock: another fetch or the shrink check may have proposed meanwhile.
                IsrState locked = isr;
                if (locked.hosted() == current && canJoinIsr(locked, replicaId, fetchOffset)) {
                    List<Integer> expanded = new ArrayList<>(locked.committedIsr());
                    expanded.add(replicaId);
                    propose(locked, expanded);
                }
            } finally {
                leaderIsrLock.writeLock().unlock();
            }
        }
        return moved;
    }

    private boolean canJoinIsr(IsrState state, int replicaId, long followerEnd) {
        return state.hosted().leader() && !state.changeInFlight() && !state.committedIsr().contains(replicaId)
                && followerEnd >= log.get().highWatermark() && leaderEpochStartOffset >= 0
                && followerEnd >= leaderEpochStartOffset;
    }

    /**
     * Proposes removing the ISR members that have not caught up for {@code lagMs}
     * ({@code replica.lag.time.max.ms}); called periodically on the leader.
     */
    void maybeShrinkIsr(long lagMs) {
        if (laggingIsr(isr, lagMs) == null) {
            return;
        }
        leaderIsrLock.writeLock().lock();
        try {
            IsrState locked = isr;
            List<Integer> keep = laggingIsr(locked, lagMs);
            if (keep != null) {
                propose(locked, keep);
            }
        } finally {
            leaderIsrLock.writeLock().unlock();
        }
    }

    /** The ISR without the members behind for {@code lagMs}, or null if none is or a change is in flight. */
    private List<Integer> laggingIsr(IsrState state, long lagMs) {
        if (!state.hosted().leader() || state.changeInFlight()) {
            return null;
        }
        long now = clock.millis();
        List<Integer> keep = new ArrayList<>();
        for (int replica : state.committedIsr()) {
            Followers.State follower = followers.get(replica);
            if (replica == localBrokerId || follower == null || now - follower.lastCaughtUpMs <= lagMs) {
                keep.add(replica);
            }
        }
        return keep.size() < state.committedIsr().size() ? keep : null;
    }

    /** Sends {@code newIsr} to the controller; the caller holds the write lock. */
    private void propose(IsrState from, List<Integer> newIsr) {
        if (clock.millis() < nextProposalAtMs) {
            return;
        }
        isr = from.withProposal(newIsr);
        proposer.accept(isr.proposed());
    }

    /**
     * Takes the state the controller committed for a proposed ISR. A state from another
     * leadership, or older than the one held, is ignored; {@code null} (a refused or failed
     * proposal) clears the pending change, so the next check proposes again.
     *
     * @return whether the high watermark moved
     */
    boolean applyCommittedState(PartitionState committed) {
        leaderIsrLock.writeLock().lock();
        try {
            IsrState current = isr;
            HostedPartition hosted = current.hosted();
            if (committed == null) {
                // Refused or unanswered: propose again, but not on every fetch while the controller is away.
                isr = IsrState.committed(hosted);
                nextProposalAtMs = clock.millis() + PROPOSAL_BACKOFF_MS;
                return false;
            }
            if (hosted.leader() && current.changeInFlight() && committed.leaderEpoch() > hosted.state().leaderEpoch()) {
                // The controller committed the change and moved on to a newer leadership (a
                // reassignment completing at a new leader epoch) that this broker has not heard of
                // yet: the replicas the change adds may be in that ISR and be elected, so they keep
                // counting for the high watermark until the LeaderAndIsr arrives (Kafka keeps its
                // pending state on such an answer too).
                return false;
            }
            if (!hosted.leader() || committed.leaderEpoch() != hosted.state().leaderEpoch()
                    || committed.partitionEpoch() <= hosted.state().partitionEpoch()) {
                isr = IsrState.committed(hosted);
                return false;
            }
            isr = IsrState.committed(new HostedPartition(hosted.topicId(), hosted.replicas(), committed, true));
            return maybeIncrementHighWatermark();
        } finally {
            leaderIsrLock.writeLock().unlock();
        }
    }

    /** The proposed ISR awaiting the controller, if any. */
    List<Integer> pendingIsr() {
        return isr.proposed();
    }
}
