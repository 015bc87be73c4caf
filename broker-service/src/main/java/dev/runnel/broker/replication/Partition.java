package dev.runnel.broker.replication;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.UnaryOperator;

import dev.runnel.broker.storage.AppendInfo;
import dev.runnel.broker.storage.AppendOrigin;
import dev.runnel.broker.storage.LeaderEpochCache;
import dev.runnel.broker.storage.LogError;
import dev.runnel.broker.storage.LogException;
import dev.runnel.broker.storage.PartitionLog;
import dev.runnel.broker.storage.ProducerStateManager;
import dev.runnel.broker.storage.TimestampOffset;
import dev.runnel.cluster.PartitionState;
import dev.runnel.common.TopicPartition;

/**
 * One partition replica on this broker: its log and its place in the partition's replication
 * (leader or follower, leader epoch, ISR), and on the leader the high watermark.
 *
 * <p>The high watermark is the smallest log end offset among the ISR: the leader's own, and for
 * each follower the end offset its last fetch reported. Records below it are on every ISR member,
 * and only they are readable by consumers and count as acknowledged for {@code acks=all}.
 *
 * <p>A follower joins the ISR only once its log end has reached both the high watermark and the
 * start of the leader's current epoch (KAFKA-7128): a new leader may hold a stale high watermark
 * while records acknowledged by the previous leader lie beyond it, and a follower that joined
 * below them and was then elected would lose them.
 *
 * <p>Thread-safety: the replication state is one immutable {@link IsrState}, replaced only under
 * the write side of the partition lock (leadership changes, ISR proposals, committed ISRs), so at
 * most one ISR change is in flight. Appends and high watermark computations hold the read side,
 * so no append is stamped with an epoch the partition no longer leads in and no high watermark is
 * computed from an ISR that is changing; the high watermark only moves up within a leadership.
 * Reads take no lock.
 */
public final class Partition {

    /**
     * How far a fetch may read: read_uncommitted consumers to the high watermark, read_committed ones
     * to the last stable offset, followers to the log end.
     */
    public enum ReadBound {
        HIGH_WATERMARK, LAST_STABLE, LOG_END
    }

    /** Asks the controller for a new ISR; the answer comes back through {@link #applyCommittedState}. */
    @FunctionalInterface
    public interface IsrProposer {
        void propose(Partition partition, List<Integer> newIsr);
    }

    private static final long PROPOSAL_BACKOFF_MS = 1_000;

    private final TopicPartition topicPartition;
    private final int localBrokerId;
    /** Replaced only under the write lock, when a replica moved to another log directory swaps in. */
    private volatile PartitionLog log;
    private final Clock clock;
    private final IsrProposer isrProposer;
    private final ReentrantReadWriteLock leaderIsrLock = new ReentrantReadWriteLock();
    /** Followers' fetch state; only meaningful while leading, reset at every new leadership. */
    private final Followers followers = new Followers();
    /** Replaced only under the write lock. */
    private volatile IsrState isr;
    private volatile int minInsyncReplicas;
    /** Where this broker's current leadership started in its log; -1 while following. */
    private volatile long leaderEpochStartOffset = -1;
    private volatile long nextProposalAtMs;

    public Partition(TopicPartition topicPartition, int localBrokerId, PartitionLog log, HostedPartition state,
            int minInsyncReplicas, Clock clock, IsrProposer isrProposer) {
        this.topicPartition = topicPartition;
        this.localBrokerId = localBrokerId;
        this.log = log;
        this.isr = IsrState.committed(state);
        this.minInsyncReplicas = minInsyncReplicas;
        this.clock = clock;
        this.isrProposer = isrProposer;
        resetFollowers();
        if (state.leader()) {
            leaderEpochStartOffset = log.logEndOffset();
            log.leaderEpochs().assign(state.state().leaderEpoch(), leaderEpochStartOffset);
        }
        maybeIncrementHighWatermark();
    }

    public TopicPartition topicPartition() {
        return topicPartition;
    }

    public HostedPartition state() {
        return isr.hosted();
    }

    public PartitionLog log() {
        return log;
    }

    public boolean isLeader() {
        return isr.hosted().leader();
    }

    public int leaderEpoch() {
        return isr.hosted().state().leaderEpoch();
    }

    /** Where this broker's current leadership started in its log; -1 while following. */
    public long leaderEpochStartOffset() {
        return leaderEpochStartOffset;
    }

    /**
     * Takes a new state from the controller (LeaderAndIsr). A new leadership starts with no
     * knowledge of the followers' positions.
     *
     * @return whether the high watermark moved
     */
    public boolean update(HostedPartition next, int minIsr) {
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
                leaderEpochStartOffset = log.logEndOffset();
                log.leaderEpochs().assign(next.state().leaderEpoch(), leaderEpochStartOffset);
            } else if (!next.leader()) {
                leaderEpochStartOffset = -1;
            }
            return maybeIncrementHighWatermark();
        } finally {
            leaderIsrLock.writeLock().unlock();
        }
    }

    public int minInsyncReplicas() {
        return minInsyncReplicas;
    }

    /**
     * Stops leading or following because the log's directory failed: requests still waiting on the
     * partition (acks=all appends) learn it is no longer led here instead of timing out.
     */
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

    /**
     * Replaces the log with the one {@code swap} returns for the current log (a replica moved to
     * another log directory), under the write lock: no append runs meanwhile. {@code swap} may
     * return null to keep the current log. The caller has stopped fetching for a follower.
     *
     * @return whether the log was replaced
     */
    boolean replaceLog(UnaryOperator<PartitionLog> swap) {
        leaderIsrLock.writeLock().lock();
        try {
            PartitionLog next = swap.apply(log);
            if (next == null) {
                return false;
            }
            log = next;
            return true;
        } finally {
            leaderIsrLock.writeLock().unlock();
        }
    }

    /** Led here with fewer in-sync replicas than assigned ones. */
    public boolean isUnderReplicated() {
        HostedPartition current = isr.hosted();
        return current.leader() && current.state().isr().size() < current.replicas().size();
    }

    /** Led here with fewer in-sync replicas than {@code min.insync.replicas}: acks=all is refused. */
    public boolean isUnderMinIsr() {
        HostedPartition current = isr.hosted();
        return current.leader() && current.state().isr().size() < minInsyncReplicas;
    }

    /** How long the ISR follower longest without catching up has been behind, in ms (0 if none). */
    public long maxFollowerLagMs() {
        HostedPartition current = isr.hosted();
        return current.leader() ? followers.maxLagMs(current.state().isr(), clock.millis()) : 0;
    }

    public void minInsyncReplicas(int minIsr) {
        this.minInsyncReplicas = minIsr;
    }

    /**
     * Appends a producer's batches as leader.
     *
     * @param requiredAcks the request's acks; with -1 the ISR must have {@code min.insync.replicas} members
     * @throws ReplicaException NOT_LEADER_OR_FOLLOWER or NOT_ENOUGH_REPLICAS; nothing appended
     * @throws dev.runnel.broker.storage.LogException if the log refused the batches
     */
    public AppendInfo appendAsLeader(ByteBuffer records, short requiredAcks) {
        return appendAsLeader(records, requiredAcks, AppendOrigin.CLIENT);
    }

    /**
     * Appends batches as leader for {@code origin} (a coordinator may write transaction markers).
     *
     * @see #appendAsLeader(ByteBuffer, short)
     */
    public AppendInfo appendAsLeader(ByteBuffer records, short requiredAcks, AppendOrigin origin) {
        return appendAsLeader(records, requiredAcks, origin, null);
    }

    /**
     * Appends batches as leader for {@code origin}, a client's transactional batch that opens a
     * transaction carrying the {@code guard} of its verification ({@link #maybeStartTransactionVerification}).
     *
     * @see #appendAsLeader(ByteBuffer, short)
     */
    public AppendInfo appendAsLeader(ByteBuffer records, short requiredAcks, AppendOrigin origin,
            ProducerStateManager.VerificationGuard guard) {
        return appendAsLeader(records, requiredAcks, origin, guard, -1);
    }

    /**
     * Appends as {@link #appendAsLeader(ByteBuffer, short, AppendOrigin, ProducerStateManager.VerificationGuard)}
     * does, only while this broker leads at {@code requiredLeaderEpoch} (-1: any epoch): a
     * coordinator that loaded the partition at one epoch must not write after a newer leadership.
     *
     * @throws ReplicaException FENCED_LEADER_EPOCH if the partition is led at another epoch
     */
    public AppendInfo appendAsLeader(ByteBuffer records, short requiredAcks, AppendOrigin origin,
            ProducerStateManager.VerificationGuard guard, int requiredLeaderEpoch) {
        leaderIsrLock.readLock().lock();
        try {
            HostedPartition current = isr.hosted();
            if (!current.leader()) {
                throw notLeader();
            }
            if (requiredLeaderEpoch >= 0 && current.state().leaderEpoch() != requiredLeaderEpoch) {
                throw new ReplicaException(ReplicaError.FENCED_LEADER_EPOCH, topicPartition + " is led at epoch "
                        + current.state().leaderEpoch() + ", not " + requiredLeaderEpoch);
            }
            int members = current.state().isr().size();
            if (requiredAcks == -1 && members < minInsyncReplicas) {
                throw new ReplicaException(ReplicaError.NOT_ENOUGH_REPLICAS, "the ISR of " + topicPartition
                        + " has " + members + " members; min.insync.replicas is " + minInsyncReplicas);
            }
            AppendInfo info = log.appendAsLeader(records, current.state().leaderEpoch(), origin, guard);
            maybeIncrementHighWatermark();
            return info;
        } finally {
            leaderIsrLock.readLock().unlock();
        }
    }

    /**
     * Starts verifying a transactional producer's first batch here (KIP-890 part 1): the guard to
     * append it with once the coordinator confirmed the partition is in the transaction, or null if
     * the producer's transaction is already open here.
     *
     * @throws ReplicaException NOT_LEADER_OR_FOLLOWER if this broker does not lead the partition
     */
    public ProducerStateManager.VerificationGuard maybeStartTransactionVerification(long producerId, short epoch) {
        if (!isLeader()) {
            throw notLeader();
        }
        return log.maybeStartTransactionVerification(producerId, epoch);
    }

    /**
     * Whether every ISR member has the records below {@code requiredOffset}, for a waiting acks=all
     * produce.
     *
     * @throws ReplicaException if they never will be acknowledged here: leadership moved, or the
     *                          ISR shrank below {@code min.insync.replicas} meanwhile
     */
    public boolean isReplicatedTo(long requiredOffset) {
        HostedPartition current = isr.hosted();
        if (!current.leader()) {
            throw notLeader();
        }
        if (log.highWatermark() < requiredOffset) {
            return false;
        }
        int members = current.state().isr().size();
        if (members < minInsyncReplicas) {
            throw new ReplicaException(ReplicaError.NOT_ENOUGH_REPLICAS_AFTER_APPEND, "the ISR of " + topicPartition
                    + " shrank to " + members + " members, below min.insync.replicas " + minInsyncReplicas);
        }
        return true;
    }

    /**
     * Moves the high watermark to the smallest log end offset in the maximal ISR, if that is
     * higher. Computed under the read lock, so from an ISR that cannot change meanwhile, and
     * stored only upwards, so concurrent callers never move it back.
     *
     * @return whether it moved
     */
    public boolean maybeIncrementHighWatermark() {
        leaderIsrLock.readLock().lock();
        try {
            IsrState current = isr;
            if (!current.hosted().leader()) {
                return false;
            }
            long before = log.highWatermark();
            long candidate = log.logEndOffset();
            for (int replica : current.maximalIsr()) {
                if (replica != localBrokerId) {
                    Followers.State follower = followers.get(replica);
                    long end = follower == null || follower.endOffset < 0 ? before : follower.endOffset;
                    candidate = Math.min(candidate, end);
                }
            }
            return log.maybeIncrementHighWatermark(candidate);
        } finally {
            leaderIsrLock.readLock().unlock();
        }
    }

    private void resetFollowers() {
        followers.reset(isr.hosted().replicas(), localBrokerId, clock.millis());
    }

    // ---- the leader's view of its followers ------------------------------------------------

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
    public boolean updateFollowerFetchState(int replicaId, long fetchOffset) {
        HostedPartition current = isr.hosted();
        Followers.State follower = followers.get(replicaId);
        if (!current.leader() || follower == null) {
            throw new ReplicaException(ReplicaError.NOT_LEADER_OR_FOLLOWER, "broker " + replicaId
                    + " fetching " + topicPartition + " is not a follower of broker " + localBrokerId);
        }
        long now = clock.millis();
        long leaderEnd = log.logEndOffset();
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
                && followerEnd >= log.highWatermark() && leaderEpochStartOffset >= 0
                && followerEnd >= leaderEpochStartOffset;
    }

    /**
     * Proposes removing the ISR members that have not caught up for {@code lagMs}
     * ({@code replica.lag.time.max.ms}); called periodically on the leader.
     */
    public void maybeShrinkIsr(long lagMs) {
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
        isrProposer.propose(this, isr.proposed());
    }

    /**
     * Takes the state the controller committed for a proposed ISR. A state from another
     * leadership, or older than the one held, is ignored; {@code null} (a refused or failed
     * proposal) clears the pending change, so the next check proposes again.
     *
     * @return whether the high watermark moved
     */
    public boolean applyCommittedState(PartitionState committed) {
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

    /** The proposed ISR awaiting the controller, if any (tests, metrics). */
    public List<Integer> pendingIsr() {
        return isr.proposed();
    }

    /** Messages the slowest ISR follower is behind the leader's log end (0 when none is behind). */
    public long maxFollowerLag() {
        return followers.maxLagMessages(isr.committedIsr(), log.logEndOffset());
    }

    // ---- the follower side -----------------------------------------------------------------

    /**
     * Appends a leader's batches as follower, then takes the leader's high watermark up to what
     * this replica has, and its log start if the leader's moved (DeleteRecords, retention).
     */
    public void appendAsFollower(ByteBuffer records, long leaderHighWatermark, long leaderLogStartOffset) {
        if (records.hasRemaining()) {
            log.appendAsFollower(records);
        }
        if (leaderLogStartOffset > log.logStartOffset() && leaderLogStartOffset <= log.highWatermark()) {
            log.advanceLogStartOffset(leaderLogStartOffset);
        }
        // Only upwards, as Kafka: a new leader may still report a high watermark older than ours.
        log.maybeIncrementHighWatermark(Math.min(leaderHighWatermark, log.logEndOffset()));
    }

    /**
     * Checks a request's view of the leader epoch against the partition's.
     *
     * @param currentLeaderEpoch the epoch the client believes current, or empty when it sent none
     * @param requireLeader      whether only the leader may answer
     */
    public void checkEpoch(OptionalInt currentLeaderEpoch, boolean requireLeader) {
        HostedPartition current = isr.hosted();
        if (currentLeaderEpoch.isPresent()) {
            int ours = current.state().leaderEpoch();
            if (currentLeaderEpoch.getAsInt() < ours) {
                throw new ReplicaException(ReplicaError.FENCED_LEADER_EPOCH, "leader epoch "
                        + currentLeaderEpoch.getAsInt() + " of the request is older than " + ours + " of " + topicPartition);
            }
            if (currentLeaderEpoch.getAsInt() > ours) {
                throw new ReplicaException(ReplicaError.UNKNOWN_LEADER_EPOCH, "leader epoch "
                        + currentLeaderEpoch.getAsInt() + " of the request is newer than " + ours + " of " + topicPartition);
            }
        }
        if (requireLeader && !current.leader()) {
            throw notLeader();
        }
    }

    /** Reads for a fetch; the bound decides who may see what. */
    public PartitionLog.ReadResult read(long fetchOffset, int maxBytes, boolean minOneMessage, ReadBound bound) {
        long maxOffset = switch (bound) {
            case HIGH_WATERMARK -> log.highWatermark();
            case LAST_STABLE -> log.lastStableOffset();
            case LOG_END -> log.logEndOffset();
        };
        return log.read(fetchOffset, maxBytes, maxOffset, minOneMessage);
    }

    /**
     * The first offset whose record is at least {@code timestamp} old, below the last stable offset
     * if {@code readCommitted}, else below the high watermark.
     */
    public Optional<TimestampOffset> offsetForTimestamp(long timestamp, boolean readCommitted) {
        TimestampOffset found = log.offsetForTimestamp(timestamp);
        long bound = readCommitted ? log.lastStableOffset() : log.highWatermark();
        if (found == null || found.offset() >= bound) {
            return Optional.empty();
        }
        return Optional.of(found);
    }

    /** The first record with the log's largest timestamp, below the fetchable bound of the isolation level. */
    public Optional<TimestampOffset> maxTimestampOffset(boolean readCommitted) {
        long max = log.maxTimestamp();
        return max < 0 ? Optional.empty() : offsetForTimestamp(max, readCommitted);
    }

    /** The epoch the batch holding {@code offset} was written in, if the epoch cache knows. */
    public OptionalInt epochForOffset(long offset) {
        return log.leaderEpochs().epochOf(offset);
    }

    /** The largest epoch at most {@code epoch} and where it ended (OffsetForLeaderEpoch). */
    public Optional<LeaderEpochCache.EpochEntry> endOffsetForEpoch(int epoch) {
        return log.leaderEpochs().endOffsetFor(epoch, log.logEndOffset());
    }

    /**
     * Moves the log start offset (DeleteRecords); {@code -1} means the high watermark.
     *
     * @return the log start offset after the call
     */
    public long deleteRecordsBefore(long offset) {
        if (!isLeader()) {
            throw notLeader();
        }
        if (!log.config().cleanup().delete()) {
            throw new ReplicaException(ReplicaError.POLICY_VIOLATION, "records of " + topicPartition
                    + " cannot be deleted: its cleanup.policy does not include delete");
        }
        log.advanceLogStartOffset(offset == -1 ? log.highWatermark() : offset);
        return log.logStartOffset();
    }

    private ReplicaException notLeader() {
        return new ReplicaException(ReplicaError.NOT_LEADER_OR_FOLLOWER,
                "broker " + localBrokerId + " does not lead " + topicPartition + " (leader " + isr.hosted().state().leader() + ")");
    }

    @Override
    public String toString() {
        return "Partition(" + topicPartition + ", " + isr.hosted() + ")";
    }
}
