package dev.runnel.broker.group;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;

import dev.runnel.common.concurrent.SerialQueue;
import dev.runnel.common.time.Scheduler;

/**
 * The consumer group protocol's state of a group (KIP-848): the group epoch, the target
 * assignment and its epoch, and each member's metadata and current assignment. Pure bookkeeping;
 * the protocol lives in {@link ConsumerGroupCoordinator}. Touched only on the group's
 * {@link SerialQueue}.
 *
 * <p>What {@code __consumer_offsets} stores changes only through the {@code replay*} methods, live
 * and on load alike. The timers (sessions, revocation deadlines) live only here: a coordinator
 * that takes over starts them afresh.
 *
 * <p>Which member owns which partition is kept as an index over the members' current
 * assignments (assigned and pending revocation): a partition goes to a new owner only once no
 * other member holds it.
 */
final class ConsumerGroup {

    /** A member: its metadata and its current assignment (JOINING until one is replayed). */
    static final class Member {
        final String memberId;
        GroupRecord.StoredConsumerMember metadata;
        MemberAssignment assignment = MemberAssignment.JOINING;
        /** When the session ends unless a heartbeat comes; null after a load until sessions start. */
        Scheduler.ScheduledTask session;
        long lastHeartbeatMs;
        /** The deadline for revoking partitions, while UNREVOKED_PARTITIONS. */
        Scheduler.ScheduledTask revocation;
        int revocationEpoch = -1;
        /** A classic member's deadline to rejoin once told to, or to sync once joined (its rebalance timeout). */
        Scheduler.ScheduledTask classicDeadline;

        Member(String memberId) {
            this.memberId = memberId;
        }

        String instanceId() {
            return metadata.instanceId();
        }

        void cancelTimers() {
            if (session != null) {
                session.cancel();
                session = null;
            }
            if (revocation != null) {
                revocation.cancel();
                revocation = null;
            }
            if (classicDeadline != null) {
                classicDeadline.cancel();
                classicDeadline = null;
            }
        }
    }

    private int groupEpoch;
    /** Since when the group has had no members (soft state: on load, the load's time). */
    private long emptySinceMs;
    private long metadataHash;
    private int assignmentEpoch;
    private final Map<String, Member> members = new LinkedHashMap<>();
    private final Map<String, PartitionSet> targets = new HashMap<>();
    private final Map<String, String> staticMembers = new HashMap<>();
    /** topic id, partition: the member holding it now. */
    private final Map<UUID, Map<Integer, String>> owners = new HashMap<>();

    int groupEpoch() {
        return groupEpoch;
    }

    long metadataHash() {
        return metadataHash;
    }

    int assignmentEpoch() {
        return assignmentEpoch;
    }

    Member member(String memberId) {
        return members.get(memberId);
    }

    Collection<Member> members() {
        return members.values();
    }

    boolean isEmpty() {
        return members.isEmpty();
    }

    /**
     * The records deleting the consumer group: its members' records, the target's, its own, then
     * the classic tombstone, which, replayed once the group is no longer a consumer group, leaves
     * it Dead.
     */
    List<GroupRecord> deletionRecords(String groupId) {
        List<GroupRecord> records = new ArrayList<>();
        for (Member m : members.values()) {
            records.add(new GroupRecord.CurrentMemberAssignment(groupId, m.memberId, null));
            records.add(new GroupRecord.TargetAssignmentMember(groupId, m.memberId, null));
            records.add(new GroupRecord.ConsumerMemberMetadata(groupId, m.memberId, null));
        }
        records.add(new GroupRecord.TargetAssignmentMetadata(groupId, null));
        records.add(new GroupRecord.ConsumerGroupMetadata(groupId, null));
        records.add(GroupRecord.groupTombstone(groupId));
        return records;
    }

    /** The member id of the static member {@code instanceId}, or null. */
    String staticMemberId(String instanceId) {
        return instanceId == null ? null : staticMembers.get(instanceId);
    }

    PartitionSet target(String memberId) {
        return targets.getOrDefault(memberId, PartitionSet.EMPTY);
    }

    Map<String, PartitionSet> targets() {
        return Map.copyOf(targets);
    }

    /** The member holding the partition (assigned or pending revocation), or null. */
    String owner(UUID topic, int partition) {
        Map<Integer, String> byPartition = owners.get(topic);
        return byPartition == null ? null : byPartition.get(partition);
    }

    /**
     * The state Kafka's ConsumerGroupDescribe and ListGroups show: Empty without members,
     * Assigning while the target lags the group epoch, Reconciling while a member has not reached
     * the target, else Stable.
     */
    String stateName() {
        if (members.isEmpty()) {
            return "Empty";
        }
        if (assignmentEpoch < groupEpoch) {
            return "Assigning";
        }
        for (Member m : members.values()) {
            if (m.assignment.memberEpoch() != assignmentEpoch || m.assignment.state() != MemberState.STABLE) {
                return "Reconciling";
            }
        }
        return "Stable";
    }

    /** The topic names the members subscribe to, sorted. */
    TreeSet<String> subscribedTopicNames() {
        TreeSet<String> names = new TreeSet<>();
        for (Member m : members.values()) {
            if (m.metadata != null) {
                names.addAll(m.metadata.subscribedTopicNames());
            }
        }
        return names;
    }

    // ---------------------------------------------------------------- replay

    void replayGroup(GroupRecord.StoredConsumerGroup stored) {
        groupEpoch = stored.epoch();
        metadataHash = stored.metadataHash();
    }

    /** Since when the group has had no members: what an empty group's offsets expire from. */
    long emptySinceMs() {
        return emptySinceMs;
    }

    ConsumerGroup(long nowMs) {
        this.emptySinceMs = nowMs;
    }

    void replayMemberMetadata(String memberId, GroupRecord.StoredConsumerMember stored, long nowMs) {
        if (stored == null) {
            Member gone = members.remove(memberId);
            if (members.isEmpty()) {
                emptySinceMs = nowMs;
            }
            if (gone != null) {
                gone.cancelTimers();
                if (gone.metadata != null && gone.instanceId() != null
                        && memberId.equals(staticMembers.get(gone.instanceId()))) {
                    staticMembers.remove(gone.instanceId());
                }
                release(gone);
            }
            return;
        }
        Member member = members.computeIfAbsent(memberId, Member::new);
        if (member.metadata != null && member.instanceId() != null && !member.instanceId().equals(stored.instanceId())) {
            staticMembers.remove(member.instanceId(), memberId);
        }
        member.metadata = stored;
        if (stored.instanceId() != null) {
            staticMembers.put(stored.instanceId(), memberId);
        }
    }

    void replayTargetEpoch(Integer epoch) {
        assignmentEpoch = epoch == null ? 0 : epoch;
    }

    void replayTarget(String memberId, PartitionSet partitions) {
        if (partitions == null) {
            targets.remove(memberId);
        } else {
            targets.put(memberId, partitions);
        }
    }

    void replayCurrentAssignment(String memberId, MemberAssignment value) {
        Member member = members.get(memberId);
        if (member == null) {
            if (value == null) {
                return;
            }
            // The assignment before the metadata: a member's records come in this order only after compaction.
            member = new Member(memberId);
            members.put(memberId, member);
        }
        release(member);
        member.assignment = value == null ? MemberAssignment.JOINING : value;
        PartitionSet held = member.assignment.held();
        for (UUID topic : held.topics()) {
            Map<Integer, String> byPartition = owners.computeIfAbsent(topic, t -> new HashMap<>());
            held.partitions(topic).forEach(p -> byPartition.put(p, memberId));
        }
    }

    /** Forgets that {@code member} holds its partitions. */
    private void release(Member member) {
        PartitionSet held = member.assignment.held();
        for (UUID topic : held.topics()) {
            Map<Integer, String> byPartition = owners.get(topic);
            if (byPartition != null) {
                held.partitions(topic).forEach(p -> byPartition.remove(p, member.memberId));
                if (byPartition.isEmpty()) {
                    owners.remove(topic);
                }
            }
        }
    }

    /** Cancels every timer (the group is unloaded or deleted). */
    void cancelTimers() {
        members.values().forEach(Member::cancelTimers);
    }

    @Override
    public String toString() {
        return "consumer group (epoch " + groupEpoch + ", assignment epoch " + assignmentEpoch + ", "
                + members.size() + " members)";
    }
}
