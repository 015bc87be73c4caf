package dev.runnel.broker.group;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;

import dev.runnel.common.TopicPartition;
import dev.runnel.common.concurrent.SerialQueue;

/**
 * A group id's state: its committed offsets, and the state of the protocol the group uses. A
 * classic group's members, generation, chosen protocol and leader are here; a consumer group's
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
    private final Map<String, GroupMember> members = new LinkedHashMap<>();
    /** Members told MEMBER_ID_REQUIRED that have not joined again yet. */
    private final Set<String> pendingMembers = new HashSet<>();
    private final Map<String, String> staticMembers = new HashMap<>();
    private final OffsetStore offsets = new OffsetStore();
    /** Commits whose records are being written, so a concurrent deletion cannot lose them. */
    private int pendingOffsetWrites;
    private final RebalancePhase rebalance = new RebalancePhase();
    /** The consumer protocol's state; null for a classic group. */
    private ConsumerGroup consumer;
    /** The share group's state; null unless this is a share group. */
    private ShareGroup share;
    /** Whether a consumer-protocol or share group operation's records are being written. */
    boolean consumerWriteInFlight;
    /** Consumer-protocol operations waiting for that write: each decides on the state the last one left. */
    final ArrayDeque<Runnable> consumerWaiting = new ArrayDeque<>();

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
        return members.containsKey(memberId);
    }

    GroupMember member(String memberId) {
        return members.get(memberId);
    }

    Collection<GroupMember> members() {
        return members.values();
    }

    int size() {
        return members.size();
    }

    boolean isEmpty() {
        return members.isEmpty();
    }

    void add(GroupMember member) {
        if (members.isEmpty()) {
            protocolType = member.protocolType;
        }
        members.put(member.memberId, member);
        if (member.isStatic()) {
            staticMembers.put(member.groupInstanceId, member.memberId);
        }
        if (leaderId == null) {
            leaderId = member.memberId;
        }
        pendingMembers.remove(member.memberId);
    }

    void remove(String memberId) {
        GroupMember removed = members.remove(memberId);
        if (removed == null) {
            return;
        }
        removed.cancelHeartbeat();
        rebalance.synced(memberId);
        if (removed.isStatic() && memberId.equals(staticMembers.get(removed.groupInstanceId))) {
            staticMembers.remove(removed.groupInstanceId);
        }
        if (memberId.equals(leaderId)) {
            leaderId = members.isEmpty() ? null : members.keySet().iterator().next();
        }
    }

    /** A static member that joined again with a new member id takes the old one's place. */
    GroupMember replaceStatic(String instanceId, String oldMemberId, String newMemberId) {
        GroupMember old = members.remove(oldMemberId);
        old.cancelHeartbeat();
        GroupMember replacement = new GroupMember(newMemberId, instanceId, old.clientId, old.clientHost,
                old.rebalanceTimeoutMs, old.sessionTimeoutMs, old.protocolType, old.protocols);
        replacement.assignment = old.assignment;
        members.put(newMemberId, replacement);
        staticMembers.put(instanceId, newMemberId);
        rebalance.memberReplaced(oldMemberId, newMemberId);
        if (oldMemberId.equals(leaderId)) {
            leaderId = newMemberId;
        }
        return replacement;
    }

    /** The member id the static member {@code instanceId} holds, or null. */
    String staticMemberId(String instanceId) {
        return instanceId == null ? null : staticMembers.get(instanceId);
    }

    void addPending(String memberId) {
        pendingMembers.add(memberId);
    }

    boolean removePending(String memberId) {
        return pendingMembers.remove(memberId);
    }

    boolean isPending(String memberId) {
        return pendingMembers.contains(memberId);
    }

    boolean hasPendingMembers() {
        return !pendingMembers.isEmpty();
    }

    /** Every member has rejoined, and no new member is still to come back with its id. */
    boolean allMembersJoined() {
        return pendingMembers.isEmpty() && members.values().stream().allMatch(GroupMember::isAwaitingJoin);
    }

    List<GroupMember> notYetRejoined() {
        return members.values().stream().filter(m -> !m.isAwaitingJoin()).toList();
    }

    /** The longest rebalance timeout among the members: how long a join phase may last. */
    int rebalanceTimeoutMs() {
        return members.values().stream().mapToInt(m -> m.rebalanceTimeoutMs).max().orElse(0);
    }

    /** Whether a member offering {@code type} and {@code names} may join. */
    boolean supportsProtocols(String type, Collection<String> names) {
        if (members.isEmpty()) {
            return type != null && !type.isEmpty() && !names.isEmpty();
        }
        if (!type.equals(protocolType)) {
            return false;
        }
        Set<String> common = candidateProtocols();
        return names.stream().anyMatch(common::contains);
    }

    /** The protocols every member offers. */
    Set<String> candidateProtocols() {
        Set<String> common = null;
        for (GroupMember m : members.values()) {
            Set<String> names = new HashSet<>(m.protocolMap().keySet());
            if (common == null) {
                common = names;
            } else {
                common.retainAll(names);
            }
        }
        return common == null ? Set.of() : common;
    }

    /** The protocol most members prefer among those all offer (ties go to the first counted). */
    String selectProtocol() {
        Set<String> candidates = candidateProtocols();
        Map<String, Integer> votes = new LinkedHashMap<>();
        for (GroupMember m : members.values()) {
            votes.merge(m.vote(candidates), 1, Integer::sum);
        }
        return votes.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
    }

    /** Starts the next generation: with members, choose a protocol; without, the group becomes Empty. */
    void initNextGeneration(long nowMs) {
        generationId++;
        if (!members.isEmpty()) {
            protocolName = selectProtocol();
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
        return rebalance.beginSyncPhase(members.keySet());
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

    List<JoinResult.MemberMetadata> memberMetadata() {
        List<JoinResult.MemberMetadata> list = new ArrayList<>();
        for (GroupMember m : members.values()) {
            list.add(new JoinResult.MemberMetadata(m.memberId, m.groupInstanceId, m.metadata(protocolName)));
        }
        return list;
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
        List<GroupRecord.StoredMember> stored = new ArrayList<>();
        for (GroupMember m : members.values()) {
            stored.add(new GroupRecord.StoredMember(m.memberId, m.groupInstanceId, m.clientId, m.clientHost,
                    m.rebalanceTimeoutMs, m.sessionTimeoutMs, protocolName == null ? new byte[0] : m.metadata(protocolName),
                    assignments.getOrDefault(m.memberId, m.assignment)));
        }
        return new GroupRecord.GroupMetadata(groupId, new GroupRecord.StoredGroup(protocolType, generationId,
                protocolName, leaderId, stateTimestampMs, stored));
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
            // A consumer group: its members' records, the target's, its own, then the classic tombstone,
            // which, replayed once the group is no longer a consumer group, leaves it Dead.
            for (ConsumerGroup.Member m : consumer.members()) {
                records.add(new GroupRecord.CurrentMemberAssignment(groupId, m.memberId, null));
                records.add(new GroupRecord.TargetAssignmentMember(groupId, m.memberId, null));
                records.add(new GroupRecord.ConsumerMemberMetadata(groupId, m.memberId, null));
            }
            records.add(new GroupRecord.TargetAssignmentMetadata(groupId, null));
            records.add(new GroupRecord.ConsumerGroupMetadata(groupId, null));
            records.add(GroupRecord.groupTombstone(groupId));
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
                && List.copyOf(members.keySet()).equals(stored.members().stream().map(GroupRecord.StoredMember::memberId).toList());
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
        Map<String, GroupMember> previous = new LinkedHashMap<>(members);
        members.clear();
        staticMembers.clear();
        for (GroupRecord.StoredMember s : stored.members()) {
            GroupMember member = previous.remove(s.memberId());
            if (member == null || !Objects.equals(member.groupInstanceId, s.groupInstanceId())) {
                member = GroupMember.fromRecord(s, stored.protocolType(), stored.protocolName());
            } else {
                member.replay(s, stored.protocolType(), stored.protocolName());
            }
            members.put(member.memberId, member);
            if (member.isStatic()) {
                staticMembers.put(member.groupInstanceId, member.memberId);
            }
        }
        for (GroupMember gone : previous.values()) {
            gone.cancelHeartbeat();
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
