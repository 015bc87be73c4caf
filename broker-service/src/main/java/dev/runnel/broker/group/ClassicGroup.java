package dev.runnel.broker.group;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

import dev.runnel.common.TopicPartition;
import dev.runnel.common.concurrent.SerialQueue;

/**
 * A group id's state: its committed offsets, and the state of the protocol the group uses. A
 * classic group's state machine, generation, chosen protocol, leader and rebalance in progress
 * ({@link RebalancePhase}) are here, changed only through its methods, and its members in its
 * {@link MemberRegistry}, which it keeps in step with the leader and the rebalance; a consumer group's
 * (KIP-848, {@code group.protocol=consumer}) are in its {@link ConsumerGroup} ({@link #consumer()},
 * non-null once a consumer group record has been replayed), a share group's (KIP-932) in its
 * {@link ShareGroup} ({@link #share()}). A group is of one type only.
 * Pure bookkeeping with checked state transitions; the protocols live in {@link GroupCoordinator}
 * and {@link ConsumerGroupCoordinator}. Touched only on the group's {@link SerialQueue}.
 *
 * <p>Two kinds of state. What {@code __consumer_offsets} stores (the committed offsets and those
 * pending in open transactions, and the generation with its members and their assignments) changes
 * only through the {@code replay*} methods, which apply a written record or transaction marker, live
 * and on load alike. The rest is the rebalance in
 * progress (members joining, timers, parked requests): it lives only here, and a coordinator that
 * takes over starts it afresh.
 */
final class ClassicGroup {

    final String groupId;
    /** The offsets partition the group's records go to. */
    final int offsetsPartition;
    final SerialQueue queue;
    private volatile GroupState state;
    private long stateTimestampMs;
    private int generationId;
    private String protocolType;
    private String protocolName;
    private String leaderId;
    private final MemberRegistry members = new MemberRegistry();
    private final OffsetStore offsets = new OffsetStore();
    /** Commits whose records are being written, so a concurrent deletion cannot lose them. */
    private int pendingOffsetWrites;
    private final RebalancePhase rebalance = new RebalancePhase();
    /** The consumer protocol's state; null for a classic group. */
    private ConsumerGroup consumer;
    /** The share group's state; null unless this is a share group. */
    private ShareGroup share;
    /** A consumer or share group's operations, which write one at a time. */
    private final WriteTurn writes = new WriteTurn();

    ClassicGroup(String groupId, int offsetsPartition, Executor executor, long nowMs) {
        this.groupId = groupId;
        this.offsetsPartition = offsetsPartition;
        this.queue = new SerialQueue(executor, "group " + groupId);
        this.state = GroupState.EMPTY;
        this.stateTimestampMs = nowMs;
    }

    GroupState state() {
        return state;
    }

    boolean is(GroupState s) {
        return state == s;
    }

    long stateTimestampMs() {
        return stateTimestampMs;
    }

    /**
     * Moves to {@code next}.
     *
     * @throws IllegalStateException if the classic protocol does not allow it from the current state
     */
    void transitionTo(GroupState next, long nowMs) {
        if (!next.canFollow(state)) {
            throw new IllegalStateException("group " + groupId + " cannot go from " + state.kafkaName() + " to "
                    + next.kafkaName());
        }
        state = next;
        stateTimestampMs = nowMs;
    }


    int generationId() {
        return generationId;
    }

    String protocolType() {
        return protocolType;
    }

    String protocolName() {
        return protocolName;
    }

    String leaderId() {
        return leaderId;
    }

    boolean isLeader(String memberId) {
        return memberId.equals(leaderId);
    }

    boolean has(String memberId) {
        return members.has(memberId);
    }

    GroupMember member(String memberId) {
        return members.get(memberId);
    }

    Collection<GroupMember> members() {
        return members.all();
    }

    int size() {
        return members.size();
    }

    boolean isEmpty() {
        return members.isEmpty();
    }

    /** Adds {@code member}: the first member sets the group's protocol type, and leads if no one does. */
    void add(GroupMember member) {
        if (members.isEmpty()) {
            protocolType = member.protocolType;
        }
        members.add(member);
        if (leaderId == null) {
            leaderId = member.memberId;
        }
    }

    /** Removes the member: it has nothing left to sync, and if it led, the first member left leads. */
    void remove(String memberId) {
        if (members.remove(memberId) == null) {
            return;
        }
        rebalance.synced(memberId);
        if (memberId.equals(leaderId)) {
            leaderId = members.first();
        }
    }

    /** A static member that joined again with a new member id takes the old one's place. */
    GroupMember replaceStatic(String instanceId, String oldMemberId, String newMemberId) {
        GroupMember replacement = members.replaceStatic(instanceId, oldMemberId, newMemberId);
        rebalance.memberReplaced(oldMemberId, newMemberId);
        if (oldMemberId.equals(leaderId)) {
            leaderId = newMemberId;
        }
        return replacement;
    }

    /** The member id the static member {@code instanceId} holds, or null. */
    String staticMemberId(String instanceId) {
        return members.staticMemberId(instanceId);
    }

    /** A new member told MEMBER_ID_REQUIRED, expected back with its id. */
    void addPending(String memberId) {
        members.addPending(memberId);
    }

    boolean removePending(String memberId) {
        return members.removePending(memberId);
    }

    boolean isPending(String memberId) {
        return members.isPending(memberId);
    }

    /** Every member has rejoined, and no new member is still to come back with its id. */
    boolean allMembersJoined() {
        return members.allJoined();
    }

    List<GroupMember> notYetRejoined() {
        return members.notYetRejoined();
    }

    /** The longest rebalance timeout among the members: how long a join phase may last. */
    int rebalanceTimeoutMs() {
        return members.rebalanceTimeoutMs();
    }

    /** Whether a member offering {@code type} and {@code names} may join. */
    boolean supportsProtocols(String type, Collection<String> names) {
        return members.supportsProtocols(protocolType, type, names);
    }

    /** Starts the next generation: with members, choose a protocol; without, the group becomes Empty. */
    void initNextGeneration(long nowMs) {
        generationId++;
        if (!members.isEmpty()) {
            protocolName = members.selectProtocol();
            transitionTo(GroupState.COMPLETING_REBALANCE, nowMs);
        } else {
            protocolName = null;
            transitionTo(GroupState.EMPTY, nowMs);
        }
    }

    // ---------------------------------------------------------------- rebalance bookkeeping

    /**
     * Moves to PreparingRebalance and starts a rebalance's join phase (an initial one from Empty,
     * which waits for more members before it completes).
     *
     * @return the rebalance's number, which its timers check with {@link RebalancePhase#isCurrent}
     */
    long beginRebalance(long nowMs) {
        boolean initial = state == GroupState.EMPTY;
        transitionTo(GroupState.PREPARING_REBALANCE, nowMs);
        return rebalance.begin(initial);
    }

    /** The rebalance in progress, or the last one: its timers and who has yet to sync. */
    RebalancePhase rebalance() {
        return rebalance;
    }

    /** A member joined: an initial rebalance that is waiting waits once more. */
    void memberArrived() {
        if (state == GroupState.PREPARING_REBALANCE) {
            rebalance.memberArrived();
        }
    }

    /** Starts the sync phase of the generation just formed; returns the rebalance's number, for its timer. */
    long beginSyncPhase() {
        return rebalance.beginSyncPhase(members.ids());
    }

    /** A commit's records are being written. */
    void offsetWriteStarted() {
        pendingOffsetWrites++;
    }

    /** A commit's write has completed, successfully or not. */
    void offsetWriteFinished() {
        pendingOffsetWrites--;
    }

    /** Whether commits are being written, which an expiry must not race. */
    boolean hasOffsetWritesInFlight() {
        return pendingOffsetWrites > 0;
    }

    /** Each member's metadata for the group's protocol, as the leader's JoinGroup answer carries them. */
    List<JoinResult.MemberMetadata> memberMetadata() {
        return members.metadata(protocolName);
    }

    /** The committed offsets, read-only: they change by replaying offset records and transaction markers. */
    Map<TopicPartition, OffsetAndMetadata> offsets() {
        return offsets.committed();
    }

    /** The committed offsets and those pending in open transactions, read-only but for replaying. */
    OffsetStore offsetStore() {
        return offsets;
    }

    // ---------------------------------------------------------------- records: what is written, and replaying it

    /**
     * The metadata record of the generation as it stands, with {@code assignments} by member id
     * (members without one keep the assignment they have).
     */
    GroupRecord.GroupMetadata metadataRecord(Map<String, byte[]> assignments) {
        return new GroupRecord.GroupMetadata(groupId, new GroupRecord.StoredGroup(protocolType, generationId,
                protocolName, leaderId, stateTimestampMs, members.stored(protocolName, assignments)));
    }

    /**
     * The records deleting the group: a tombstone per partition with a committed offset or one
     * pending in an open transaction, then the group's (a consumer group's records too).
     */
    List<GroupRecord> deletionRecords() {
        List<GroupRecord> records = new ArrayList<>();
        offsets.committed().keySet().forEach(tp -> records.add(GroupRecord.offsetTombstone(groupId, tp)));
        offsets.pendingPartitions().stream().filter(tp -> !offsets.committed().containsKey(tp))
                .forEach(tp -> records.add(GroupRecord.offsetTombstone(groupId, tp)));
        if (consumer != null) {
            records.addAll(consumer.deletionRecords(groupId));
            return records;
        }
        if (share != null) {
            records.addAll(share.deletionRecords(groupId));
            return records;
        }
        records.add(GroupRecord.groupTombstone(groupId));
        return records;
    }

    /**
     * Whether the group still holds the generation {@code record} stores, with the same members:
     * then replaying it applies only what the write added (assignments, the end of a rebalance).
     * A live group that moved on since writing a record does not replay it.
     */
    boolean holds(GroupRecord.GroupMetadata record) {
        GroupRecord.StoredGroup stored = record.value();
        return stored != null && state != GroupState.PREPARING_REBALANCE && state != GroupState.DEAD
                && generationId == stored.generationId()
                && members.ids().equals(stored.members().stream().map(GroupRecord.StoredMember::memberId).toList());
    }

    /**
     * Applies an offset record: a plain one ({@code producerId} {@link GroupLog#NO_PRODUCER_ID})
     * makes {@code value} the partition's offset, a transactional one holds it pending until the
     * producer's marker, and a null value deletes the partition's committed and pending offsets.
     */
    void replayOffset(long producerId, TopicPartition partition, OffsetAndMetadata value) {
        offsets.replay(producerId, partition, value);
    }

    /** Applies the marker ending {@code producerId}'s transaction (see {@link OffsetStore}). */
    void replayTransactionEnd(long producerId, boolean commit) {
        offsets.replayTransactionEnd(producerId, commit);
    }

    /** Applies the group's tombstone: its offsets (pending ones too) go and it is Dead, to be forgotten. */
    void replayDeletion(long nowMs) {
        offsets.clear();
        if (consumer != null) {
            consumer.cancelTimers();
        }
        if (share != null) {
            share.cancelTimers();
        }
        transitionTo(GroupState.DEAD, nowMs);
    }

    /**
     * Applies a group metadata record: the group holds the record's generation, protocol, leader
     * and members in the record's order, each with its stored assignment.
     *
     * <p>A member the group holds already keeps its object, with its session and parked requests
     * (the live group replaying the record it wrote); one it does not hold is made from the record
     * (a group being loaded). A group completing its rebalance is then Stable; otherwise the group is
     * in the state the record implies (Stable with members, Empty without) since the record's time.
     *
     * @throws IllegalStateException if the group is preparing a rebalance, is Dead, or is completing
     *                               the rebalance of another generation: a live group replays a
     *                               record only while it still holds the record's generation
     */
    void replayMetadata(GroupRecord.StoredGroup stored, long nowMs) {
        if (state == GroupState.PREPARING_REBALANCE || state == GroupState.DEAD
                || (state == GroupState.COMPLETING_REBALANCE && generationId != stored.generationId())) {
            throw new IllegalStateException("a metadata record cannot replay into " + this);
        }
        for (GroupMember gone : members.replay(stored)) {
            rebalance.synced(gone.memberId);
        }
        generationId = stored.generationId();
        protocolType = stored.protocolType();
        protocolName = stored.protocolName();
        leaderId = stored.leaderId();
        GroupState implied = members.isEmpty() ? GroupState.EMPTY : GroupState.STABLE;
        if (state == GroupState.COMPLETING_REBALANCE && implied == GroupState.STABLE) {
            transitionTo(GroupState.STABLE, nowMs);
        } else if (state == GroupState.COMPLETING_REBALANCE) {
            throw new IllegalStateException("a record without members cannot complete the rebalance of " + this);
        } else {
            state = implied;
            stateTimestampMs = stored.stateTimestampMs();
        }
    }

    /** Whether the group holds anything worth keeping: members, consumer or share group state, offsets. */
    boolean hasState() {
        return !members.isEmpty() || !offsets.isEmpty() || consumer != null || share != null;
    }

    /** The share group's state, or null if this is not a share group. */
    ShareGroup share() {
        return share;
    }

    boolean isShareGroup() {
        return share != null;
    }

    /** The share group's state, made when a share group record is replayed into a group without it. */
    ShareGroup replayShare() {
        if (share == null) {
            share = new ShareGroup();
        }
        return share;
    }

    /** Applies a share group's metadata tombstone: the group is no longer a share group. */
    void replayShareDeletion() {
        if (share != null) {
            share.cancelTimers();
            share = null;
        }
    }

    /** Whether a consumer or share group operation's records are being written, and what waits for them. */
    WriteTurn writes() {
        return writes;
    }

    /** The consumer protocol's state, or null if this is not a consumer group. */
    ConsumerGroup consumer() {
        return consumer;
    }

    boolean isConsumerGroup() {
        return consumer != null;
    }

    /** The consumer protocol's state, made when a consumer group record is replayed into a group without it. */
    ConsumerGroup replayConsumer(long nowMs) {
        if (consumer == null) {
            consumer = new ConsumerGroup(nowMs);
        }
        return consumer;
    }

    /**
     * Applies a consumer group's metadata tombstone: the group is no longer a consumer group. Its
     * offsets stay (a deletion writes theirs first): an empty consumer group that a classic member
     * joins becomes a classic group with them, as in Kafka.
     */
    void replayConsumerDeletion() {
        if (consumer != null) {
            consumer.cancelTimers();
            consumer = null;
        }
    }

    /** Since when the group has been empty, for its offsets' expiry: a classic group's state time, or a consumer group's. */
    long emptySinceMs() {
        return consumer != null ? consumer.emptySinceMs() : stateTimestampMs;
    }

    @Override
    public String toString() {
        return consumer != null || share != null ? "group " + groupId + ", a " + (consumer != null ? consumer : share)
                : "group " + groupId + " (" + state.kafkaName() + ", generation " + generationId + ", "
                + members.size() + " members)";
    }
}
