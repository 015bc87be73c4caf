package dev.runnel.broker.replication;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import dev.runnel.broker.cluster.HostedPartition;
import dev.runnel.broker.storage.AppendInfo;
import dev.runnel.broker.storage.LeaderEpochCache;
import dev.runnel.broker.storage.LogError;
import dev.runnel.broker.storage.LogException;
import dev.runnel.broker.storage.PartitionLog;
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
 * <p>Thread-safety: appends hold the read side of a lock whose write side a leadership change
 * takes, so no append is stamped with an epoch the partition no longer leads in; reads take no
 * lock.
 */
public final class Partition {

    /** How far a fetch may read: consumers to the high watermark, followers to the log end. */
    public enum ReadBound {
        HIGH_WATERMARK, LOG_END
    }

    /** Asks the controller for a new ISR; the answer comes back through {@link #applyCommittedState}. */
    @FunctionalInterface
    public interface IsrProposer {
        void propose(Partition partition, List<Integer> newIsr);
    }

    /** What the leader knows of one follower, from its fetches. */
    private static final class FollowerState {
        /** The follower's log end offset as its last fetch reported it; -1 until it fetches. */
        volatile long endOffset = -1;
        /** The last time the follower had everything the leader had (Kafka's lastCaughtUpTimeMs). */
        volatile long lastCaughtUpMs;
        volatile long lastFetchMs;
        volatile long lastFetchLeaderEndOffset = -1;

        FollowerState(long nowMs) {
            this.lastCaughtUpMs = nowMs;
            this.lastFetchMs = nowMs;
        }
    }

    private static final long PROPOSAL_BACKOFF_MS = 1_000;

    private final TopicPartition topicPartition;
    private final int localBrokerId;
    private final PartitionLog log;
    private final Clock clock;
    private final IsrProposer isrProposer;
    private final ReentrantReadWriteLock leaderIsrLock = new ReentrantReadWriteLock();
    /** Followers' fetch state; only meaningful while leading, reset at every new leadership. */
    private final Map<Integer, FollowerState> followers = new ConcurrentHashMap<>();
    private volatile HostedPartition state;
    private volatile int minInsyncReplicas;
    /** An ISR sent to the controller and not yet answered; null when none is in flight. */
    private volatile List<Integer> pendingIsr;
    private volatile long nextProposalAtMs;

    public Partition(TopicPartition topicPartition, int localBrokerId, PartitionLog log, HostedPartition state,
            int minInsyncReplicas) {
        this(topicPartition, localBrokerId, log, state, minInsyncReplicas, Clock.systemUTC(), (p, isr) -> { });
    }

    public Partition(TopicPartition topicPartition, int localBrokerId, PartitionLog log, HostedPartition state,
            int minInsyncReplicas, Clock clock, IsrProposer isrProposer) {
        this.topicPartition = topicPartition;
        this.localBrokerId = localBrokerId;
        this.log = log;
        this.state = state;
        this.minInsyncReplicas = minInsyncReplicas;
        this.clock = clock;
        this.isrProposer = isrProposer;
        resetFollowers();
        if (state.leader()) {
            log.leaderEpochs().assign(state.state().leaderEpoch(), log.logEndOffset());
        }
        maybeIncrementHighWatermark();
    }

    public TopicPartition topicPartition() {
        return topicPartition;
    }

    public HostedPartition state() {
        return state;
    }

    public PartitionLog log() {
        return log;
    }

    public boolean isLeader() {
        return state.leader();
    }

    public int leaderEpoch() {
        return state.state().leaderEpoch();
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
            HostedPartition previous = state;
            boolean newLeadership = next.leader()
                    && (!previous.leader() || next.state().leaderEpoch() != previous.state().leaderEpoch());
            state = next;
            minInsyncReplicas = minIsr;
            pendingIsr = null;
            if (newLeadership || !next.leader()) {
                resetFollowers();
            }
            if (newLeadership) {
                // The new epoch starts at the log end now, not at the first append, so
                // OffsetForLeaderEpoch tells a follower exactly where the previous epoch ended here.
                log.leaderEpochs().assign(next.state().leaderEpoch(), log.logEndOffset());
            }
            return maybeIncrementHighWatermark();
        } finally {
            leaderIsrLock.writeLock().unlock();
        }
    }

    public int minInsyncReplicas() {
        return minInsyncReplicas;
    }

    /** Led here with fewer in-sync replicas than assigned ones. */
    public boolean isUnderReplicated() {
        HostedPartition current = state;
        return current.leader() && current.state().isr().size() < current.replicas().size();
    }

    /** Led here with fewer in-sync replicas than {@code min.insync.replicas}: acks=all is refused. */
    public boolean isUnderMinIsr() {
        HostedPartition current = state;
        return current.leader() && current.state().isr().size() < minInsyncReplicas;
    }

    /** How long the ISR follower longest without catching up has been behind, in ms (0 if none). */
    public long maxFollowerLagMs() {
        HostedPartition current = state;
        if (!current.leader()) {
            return 0;
        }
        long now = clock.millis();
        long lag = 0;
        for (Map.Entry<Integer, FollowerState> f : followers.entrySet()) {
            if (current.state().isr().contains(f.getKey())) {
                lag = Math.max(lag, now - f.getValue().lastCaughtUpMs);
            }
        }
        return lag;
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
        leaderIsrLock.readLock().lock();
        try {
            HostedPartition current = state;
            if (!current.leader()) {
                throw notLeader();
            }
            int isr = current.state().isr().size();
            if (requiredAcks == -1 && isr < minInsyncReplicas) {
                throw new ReplicaException(ReplicaError.NOT_ENOUGH_REPLICAS, "the ISR of " + topicPartition
                        + " has " + isr + " members; min.insync.replicas is " + minInsyncReplicas);
            }
            AppendInfo info = log.appendAsLeader(records, current.state().leaderEpoch());
            maybeIncrementHighWatermark();
            return info;
        } finally {
            leaderIsrLock.readLock().unlock();
        }
    }

    /**
     * Whether every ISR member has the records below {@code requiredOffset}, for a waiting acks=all
     * produce.
     *
     * @throws ReplicaException if they never will be acknowledged here: leadership moved, or the
     *                          ISR shrank below {@code min.insync.replicas} meanwhile
     */
    public boolean isReplicatedTo(long requiredOffset) {
        HostedPartition current = state;
        if (!current.leader()) {
            throw notLeader();
        }
        if (log.highWatermark() < requiredOffset) {
            return false;
        }
        int isr = current.state().isr().size();
        if (isr < minInsyncReplicas) {
            throw new ReplicaException(ReplicaError.NOT_ENOUGH_REPLICAS_AFTER_APPEND, "the ISR of " + topicPartition
                    + " shrank to " + isr + " members, below min.insync.replicas " + minInsyncReplicas);
        }
        return true;
    }

    /**
     * Moves the high watermark to the smallest log end offset in the ISR, if that is higher.
     *
     * @return whether it moved
     */
    public boolean maybeIncrementHighWatermark() {
        HostedPartition current = state;
        if (!current.leader()) {
            return false;
        }
        long before = log.highWatermark();
        long candidate = log.logEndOffset();
        for (int replica : maximalIsr(current)) {
            if (replica != localBrokerId) {
                FollowerState follower = followers.get(replica);
                long end = follower == null || follower.endOffset < 0 ? before : follower.endOffset;
                candidate = Math.min(candidate, end);
            }
        }
        return candidate > before && log.updateHighWatermark(candidate) > before;
    }

    /**
     * The committed ISR and any replica a pending change would add: a record counts as
     * replicated only once every replica that may be in the ISR has it, so an acknowledgement
     * never rests on an ISR the controller has not committed.
     */
    private List<Integer> maximalIsr(HostedPartition current) {
        List<Integer> pending = pendingIsr;
        if (pending == null) {
            return current.state().isr();
        }
        List<Integer> union = new java.util.ArrayList<>(current.state().isr());
        pending.stream().filter(r -> !union.contains(r)).forEach(union::add);
        return union;
    }

    private void resetFollowers() {
        followers.clear();
        long now = clock.millis();
        for (int replica : state.replicas()) {
            if (replica != localBrokerId) {
                followers.put(replica, new FollowerState(now));
            }
        }
    }

    // ---- the leader's view of its followers ------------------------------------------------

    /**
     * Records a follower's fetch from {@code fetchOffset} (its log end): moves the high watermark
     * if it can, and proposes adding the follower to the ISR once it has reached the high watermark.
     *
     * @return whether the high watermark moved
     * @throws ReplicaException NOT_LEADER_OR_FOLLOWER if this broker does not lead, or the
     *                          fetching broker is not a replica
     * @throws LogException OFFSET_OUT_OF_RANGE if the follower claims more than the leader has
     */
    public boolean updateFollowerFetchState(int replicaId, long fetchOffset) {
        HostedPartition current = state;
        FollowerState follower = followers.get(replicaId);
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
        if (fetchOffset >= leaderEnd) {
            follower.lastCaughtUpMs = Math.max(follower.lastCaughtUpMs, now);
        } else if (fetchOffset >= follower.lastFetchLeaderEndOffset) {
            follower.lastCaughtUpMs = Math.max(follower.lastCaughtUpMs, follower.lastFetchMs);
        }
        follower.lastFetchLeaderEndOffset = leaderEnd;
        follower.lastFetchMs = now;
        follower.endOffset = fetchOffset;
        boolean moved = maybeIncrementHighWatermark();
        if (!current.state().isr().contains(replicaId) && pendingIsr == null
                && fetchOffset >= log.highWatermark()) {
            List<Integer> expanded = new java.util.ArrayList<>(current.state().isr());
            expanded.add(replicaId);
            propose(expanded);
        }
        return moved;
    }

    /**
     * Proposes removing the ISR members that have not caught up for {@code lagMs}
     * ({@code replica.lag.time.max.ms}); called periodically on the leader.
     */
    public void maybeShrinkIsr(long lagMs) {
        HostedPartition current = state;
        if (!current.leader() || pendingIsr != null) {
            return;
        }
        long now = clock.millis();
        List<Integer> keep = new java.util.ArrayList<>();
        for (int replica : current.state().isr()) {
            FollowerState follower = followers.get(replica);
            if (replica == localBrokerId || follower == null || now - follower.lastCaughtUpMs <= lagMs) {
                keep.add(replica);
            }
        }
        if (keep.size() < current.state().isr().size()) {
            propose(keep);
        }
    }

    private void propose(List<Integer> newIsr) {
        if (clock.millis() < nextProposalAtMs) {
            return;
        }
        pendingIsr = List.copyOf(newIsr);
        isrProposer.propose(this, pendingIsr);
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
            pendingIsr = null;
            if (committed == null) {
                // Refused or unanswered: propose again, but not on every fetch while the controller is away.
                nextProposalAtMs = clock.millis() + PROPOSAL_BACKOFF_MS;
                return false;
            }
            HostedPartition current = state;
            if (!current.leader() || committed.leaderEpoch() != current.state().leaderEpoch()
                    || committed.partitionEpoch() <= current.state().partitionEpoch()) {
                return false;
            }
            state = new HostedPartition(current.topicId(), current.replicas(), committed, true);
            return maybeIncrementHighWatermark();
        } finally {
            leaderIsrLock.writeLock().unlock();
        }
    }

    /** The proposed ISR awaiting the controller, if any (tests, metrics). */
    public List<Integer> pendingIsr() {
        return pendingIsr;
    }

    /** Messages the slowest ISR follower is behind the leader's log end (0 when none is behind). */
    public long maxFollowerLag() {
        long end = log.logEndOffset();
        long lag = 0;
        for (Map.Entry<Integer, FollowerState> f : followers.entrySet()) {
            if (state.state().isr().contains(f.getKey()) && f.getValue().endOffset >= 0) {
                lag = Math.max(lag, end - f.getValue().endOffset);
            }
        }
        return lag;
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
        log.updateHighWatermark(Math.min(leaderHighWatermark, log.logEndOffset()));
    }

    /**
     * Checks a request's view of the leader epoch against the partition's.
     *
     * @param currentLeaderEpoch the epoch the client believes current, or empty when it sent none
     * @param requireLeader      whether only the leader may answer
     */
    public void checkEpoch(OptionalInt currentLeaderEpoch, boolean requireLeader) {
        HostedPartition current = state;
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
        long maxOffset = bound == ReadBound.HIGH_WATERMARK ? log.highWatermark() : log.logEndOffset();
        return log.read(fetchOffset, maxBytes, maxOffset, minOneMessage);
    }

    /** The first offset whose record is at least {@code timestamp} old, below the high watermark. */
    public Optional<TimestampOffset> offsetForTimestamp(long timestamp) {
        TimestampOffset found = log.offsetForTimestamp(timestamp);
        if (found == null || found.offset() >= log.highWatermark()) {
            return Optional.empty();
        }
        return Optional.of(found);
    }

    /** The first record with the log's largest timestamp, below the high watermark (ListOffsets -3). */
    public Optional<TimestampOffset> maxTimestampOffset() {
        long max = log.maxTimestamp();
        return max < 0 ? Optional.empty() : offsetForTimestamp(max);
    }

    /** The epoch the batch holding {@code offset} was written in, if the epoch cache knows. */
    public OptionalInt epochForOffset(long offset) {
        List<LeaderEpochCache.EpochEntry> entries = log.leaderEpochs().entries();
        for (int i = entries.size() - 1; i >= 0; i--) {
            if (entries.get(i).startOffset() <= offset) {
                return OptionalInt.of(entries.get(i).epoch());
            }
        }
        return OptionalInt.empty();
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
        if (!state.leader()) {
            throw notLeader();
        }
        log.advanceLogStartOffset(offset == -1 ? log.highWatermark() : offset);
        return log.logStartOffset();
    }

    private ReplicaException notLeader() {
        return new ReplicaException(ReplicaError.NOT_LEADER_OR_FOLLOWER,
                "broker " + localBrokerId + " does not lead " + topicPartition + " (leader " + state.state().leader() + ")");
    }

    @Override
    public String toString() {
        return "Partition(" + topicPartition + ", " + state + ")";
    }
}
