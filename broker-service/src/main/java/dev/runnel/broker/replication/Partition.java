package dev.runnel.broker.replication;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.UnaryOperator;

import dev.runnel.broker.storage.AppendInfo;
import dev.runnel.broker.storage.AppendOrigin;
import dev.runnel.broker.storage.LeaderEpochCache;
import dev.runnel.broker.storage.LogException;
import dev.runnel.broker.storage.PartitionLog;
import dev.runnel.broker.storage.ProducerStateManager;
import dev.runnel.broker.storage.TimestampOffset;
import dev.runnel.cluster.PartitionState;
import dev.runnel.common.TopicPartition;

/**
 * One partition replica on this broker: its log, and the paths that append to it (as leader, as
 * follower) and read from it (fetches, ListOffsets, OffsetForLeaderEpoch, DeleteRecords), each
 * checked against the partition's place in its replication. That place (leader or follower,
 * leader epoch, ISR and its changes, the followers' positions, the high watermark) is held by its
 * {@link PartitionLeadership}; the methods on it here hand over to it.
 *
 * <p>Thread-safety: appends hold the read side of the leadership's lock, so no append is stamped
 * with an epoch the partition no longer leads in; a log swap ({@link #replaceLog}) holds its write
 * side. Reads take no lock.
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

    private final TopicPartition topicPartition;
    private final int localBrokerId;
    /** Replaced only under the write lock, when a replica moved to another log directory swaps in. */
    private volatile PartitionLog log;
    private final PartitionLeadership leadership;

    public Partition(TopicPartition topicPartition, int localBrokerId, PartitionLog log, HostedPartition state,
            int minInsyncReplicas, Clock clock, IsrProposer isrProposer) {
        this.topicPartition = topicPartition;
        this.localBrokerId = localBrokerId;
        this.log = log;
        this.leadership = new PartitionLeadership(topicPartition, localBrokerId, state, minInsyncReplicas, clock,
                this::log, newIsr -> isrProposer.propose(this, newIsr));
    }

    public TopicPartition topicPartition() {
        return topicPartition;
    }

    public HostedPartition state() {
        return leadership.hosted();
    }

    public PartitionLog log() {
        return log;
    }

    public boolean isLeader() {
        return leadership.hosted().leader();
    }

    public int leaderEpoch() {
        return leadership.hosted().state().leaderEpoch();
    }

    /** Where this broker's current leadership started in its log; -1 while following. */
    public long leaderEpochStartOffset() {
        return leadership.leaderEpochStartOffset();
    }

    // ---- leadership and ISR: held by PartitionLeadership -----------------------------------

    /**
     * Takes a new state from the controller (LeaderAndIsr). A new leadership starts with no
     * knowledge of the followers' positions.
     *
     * @return whether the high watermark moved
     */
    public boolean update(HostedPartition next, int minIsr) {
        return leadership.update(next, minIsr);
    }

    public int minInsyncReplicas() {
        return leadership.minInsyncReplicas();
    }

    public void minInsyncReplicas(int minIsr) {
        leadership.minInsyncReplicas(minIsr);
    }

    /**
     * Stops leading or following because the log's directory failed: requests still waiting on the
     * partition (acks=all appends) learn it is no longer led here instead of timing out.
     */
    void takeOffline() {
        leadership.takeOffline();
    }

    /** Led here with fewer in-sync replicas than assigned ones. */
    public boolean isUnderReplicated() {
        return leadership.isUnderReplicated();
    }

    /** Led here with fewer in-sync replicas than {@code min.insync.replicas}: acks=all is refused. */
    public boolean isUnderMinIsr() {
        return leadership.isUnderMinIsr();
    }

    /** How long the ISR follower longest without catching up has been behind, in ms (0 if none). */
    public long maxFollowerLagMs() {
        return leadership.maxFollowerLagMs();
    }

    /** Messages the slowest ISR follower is behind the leader's log end (0 when none is behind). */
    public long maxFollowerLag() {
        return leadership.maxFollowerLag();
    }

    /**
     * Moves the high watermark up to what the maximal ISR has, if it can.
     *
     * @return whether it moved
     */
    public boolean maybeIncrementHighWatermark() {
        return leadership.maybeIncrementHighWatermark();
    }

    /**
     * Records a follower's fetch from {@code fetchOffset} (its log end): may move the high watermark
     * and propose adding the follower to the ISR ({@link PartitionLeadership#updateFollowerFetchState}).
     *
     * @return whether the high watermark moved
     * @throws ReplicaException NOT_LEADER_OR_FOLLOWER if this broker does not lead, or the
     *                          fetching broker is not a replica
     * @throws LogException OFFSET_OUT_OF_RANGE if the follower claims more than the leader has
     */
    public boolean updateFollowerFetchState(int replicaId, long fetchOffset) {
        return leadership.updateFollowerFetchState(replicaId, fetchOffset);
    }

    /**
     * Proposes removing the ISR members that have not caught up for {@code lagMs}
     * ({@code replica.lag.time.max.ms}); called periodically on the leader.
     */
    public void maybeShrinkIsr(long lagMs) {
        leadership.maybeShrinkIsr(lagMs);
    }

    /**
     * Takes the state the controller committed for a proposed ISR, or {@code null} for a refused or
     * failed proposal ({@link PartitionLeadership#applyCommittedState}).
     *
     * @return whether the high watermark moved
     */
    public boolean applyCommittedState(PartitionState committed) {
        return leadership.applyCommittedState(committed);
    }

    /** The proposed ISR awaiting the controller, if any (tests, metrics). */
    public List<Integer> pendingIsr() {
        return leadership.pendingIsr();
    }

    // ---- the log ---------------------------------------------------------------------------

    /**
     * Replaces the log with the one {@code swap} returns for the current log (a replica moved to
     * another log directory), under the write lock: no append runs meanwhile. {@code swap} may
     * return null to keep the current log. The caller has stopped fetching for a follower.
     *
     * @return whether the log was replaced
     */
    boolean replaceLog(UnaryOperator<PartitionLog> swap) {
        leadership.lock().writeLock().lock();
        try {
            PartitionLog next = swap.apply(log);
            if (next == null) {
                return false;
            }
            log = next;
            return true;
        } finally {
            leadership.lock().writeLock().unlock();
        }
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
        leadership.lock().readLock().lock();
        try {
            HostedPartition current = leadership.hosted();
            if (!current.leader()) {
                throw notLeader();
            }
            if (requiredLeaderEpoch >= 0 && current.state().leaderEpoch() != requiredLeaderEpoch) {
                throw new ReplicaException(ReplicaError.FENCED_LEADER_EPOCH, topicPartition + " is led at epoch "
                        + current.state().leaderEpoch() + ", not " + requiredLeaderEpoch);
            }
            int members = current.state().isr().size();
            if (requiredAcks == -1 && members < leadership.minInsyncReplicas()) {
                throw new ReplicaException(ReplicaError.NOT_ENOUGH_REPLICAS, "the ISR of " + topicPartition
                        + " has " + members + " members; min.insync.replicas is " + leadership.minInsyncReplicas());
            }
            AppendInfo info = log.appendAsLeader(records, current.state().leaderEpoch(), origin, guard);
            leadership.maybeIncrementHighWatermark();
            return info;
        } finally {
            leadership.lock().readLock().unlock();
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
        HostedPartition current = leadership.hosted();
        if (!current.leader()) {
            throw notLeader();
        }
        if (log.highWatermark() < requiredOffset) {
            return false;
        }
        int members = current.state().isr().size();
        if (members < leadership.minInsyncReplicas()) {
            throw new ReplicaException(ReplicaError.NOT_ENOUGH_REPLICAS_AFTER_APPEND, "the ISR of " + topicPartition
                    + " shrank to " + members + " members, below min.insync.replicas " + leadership.minInsyncReplicas());
        }
        return true;
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
        HostedPartition current = leadership.hosted();
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
                "broker " + localBrokerId + " does not lead " + topicPartition + " (leader " + leadership.hosted().state().leader() + ")");
    }

    @Override
    public String toString() {
        return "Partition(" + topicPartition + ", " + leadership.hosted() + ")";
    }
}
