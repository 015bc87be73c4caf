package dev.runnel.broker.replication;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import dev.runnel.broker.cluster.HostedPartition;
import dev.runnel.broker.storage.AppendInfo;
import dev.runnel.broker.storage.LeaderEpochCache;
import dev.runnel.broker.storage.PartitionLog;
import dev.runnel.broker.storage.TimestampOffset;
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

    private final TopicPartition topicPartition;
    private final int localBrokerId;
    private final PartitionLog log;
    private final ReentrantReadWriteLock leaderIsrLock = new ReentrantReadWriteLock();
    /** Followers' log end offsets as their fetches report them; only meaningful while leading. */
    private final Map<Integer, Long> followerEndOffsets = new ConcurrentHashMap<>();
    private volatile HostedPartition state;
    private volatile int minInsyncReplicas;

    public Partition(TopicPartition topicPartition, int localBrokerId, PartitionLog log, HostedPartition state,
            int minInsyncReplicas) {
        this.topicPartition = topicPartition;
        this.localBrokerId = localBrokerId;
        this.log = log;
        this.state = state;
        this.minInsyncReplicas = minInsyncReplicas;
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
            if (!next.leader() || !previous.leader() || next.state().leaderEpoch() != previous.state().leaderEpoch()) {
                followerEndOffsets.clear();
            }
            state = next;
            minInsyncReplicas = minIsr;
            return maybeIncrementHighWatermark();
        } finally {
            leaderIsrLock.writeLock().unlock();
        }
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
        long candidate = log.logEndOffset();
        for (int replica : current.state().isr()) {
            if (replica != localBrokerId) {
                candidate = Math.min(candidate, followerEndOffsets.getOrDefault(replica, log.highWatermark()));
            }
        }
        long before = log.highWatermark();
        return candidate > before && log.updateHighWatermark(candidate) > before;
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
