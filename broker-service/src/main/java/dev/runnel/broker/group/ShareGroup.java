package dev.runnel.broker.group;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

import dev.runnel.common.concurrent.SerialQueue;
import dev.runnel.common.time.Scheduler;

/**
 * A share group's state (KIP-932): the group epoch, the target assignment and its epoch, each
 * member's metadata and current assignment, and the share partitions whose state the group has
 * initialized. Pure bookkeeping; the protocol lives in {@link ShareGroupCoordinator}. Touched only
 * on the group's {@link SerialQueue}.
 *
 * <p>What {@code __consumer_offsets} stores changes only through the {@code replay*} methods, live
 * and on load alike. The sessions live only here: a coordinator that takes over starts them afresh.
 *
 * <p>Unlike a consumer group's, a share group's partitions are not owned: several members may
 * hold one, and a member gets its target at its next heartbeat, with no revocation first. So its
 * state is Empty without members and Stable with them.
 */
final class ShareGroup {

    /** A member: its metadata and current assignment. */
    static final class Member {
        final String memberId;
        GroupRecord.StoredShareMember metadata;
        GroupRecord.StoredShareAssignment assignment = JOINING;
        /** When the session ends unless a heartbeat comes; null after a load until sessions start. */
        Scheduler.ScheduledTask session;
        long lastHeartbeatMs;

        Member(String memberId) {
            this.memberId = memberId;
        }

        int memberEpoch() {
            return assignment.memberEpoch();
        }

        void cancelSession() {
            if (session != null) {
                session.cancel();
                session = null;
            }
        }
    }

    /** A member's assignment before it has one: epoch 0, nothing assigned. */
    static final GroupRecord.StoredShareAssignment JOINING = new GroupRecord.StoredShareAssignment(0, 0,
            PartitionSet.EMPTY);

    private int groupEpoch;
    private long metadataHash;
    private int assignmentEpoch;
    private final Map<String, Member> members = new LinkedHashMap<>();
    private final Map<String, PartitionSet> targets = new HashMap<>();
    /** Whether the state of its initializing partitions is being initialized ({@link ShareStateInitializer}). */
    boolean initializationInFlight;
    /** The record of share partitions as last replayed; empty lists before one is. */
    private GroupRecord.StoredShareStatePartitions statePartitions = NO_STATE_PARTITIONS;

    static final GroupRecord.StoredShareStatePartitions NO_STATE_PARTITIONS =
            new GroupRecord.StoredShareStatePartitions(List.of(), List.of(), List.of());

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

    PartitionSet target(String memberId) {
        return targets.getOrDefault(memberId, PartitionSet.EMPTY);
    }

    Map<String, PartitionSet> targets() {
        return Map.copyOf(targets);
    }

    /** Kafka's share group states: Empty without members, else Stable. */
    String stateName() {
        return members.isEmpty() ? "Empty" : "Stable";
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

    GroupRecord.StoredShareStatePartitions statePartitions() {
        return statePartitions;
    }

    /** The share partitions whose state the group has initialized (or is initializing), by topic id. */
    Map<UUID, GroupRecord.ShareTopicPartitions> initialized() {
        Map<UUID, GroupRecord.ShareTopicPartitions> byTopic = new TreeMap<>();
        List<GroupRecord.ShareTopicPartitions> all = new ArrayList<>(statePartitions.initialized());
        all.addAll(statePartitions.initializing());
        for (GroupRecord.ShareTopicPartitions t : all) {
            byTopic.merge(t.topicId(), t, (a, b) -> {
                TreeSet<Integer> partitions = new TreeSet<>(a.partitions());
                partitions.addAll(b.partitions());
                return new GroupRecord.ShareTopicPartitions(a.topicId(), a.topicName(), List.copyOf(partitions));
            });
        }
        return byTopic;
    }

    /**
     * The records deleting the group: its members', its target's and its state partitions'
     * tombstones, a classic group tombstone (which leaves the group Dead on replay, as a consumer
     * group's deletion does), and its own last.
     */
    List<GroupRecord> deletionRecords(String groupId) {
        List<GroupRecord> records = new ArrayList<>();
        for (Member m : members.values()) {
            records.add(new GroupRecord.ShareCurrentAssignment(groupId, m.memberId, null));
            records.add(new GroupRecord.ShareTargetMember(groupId, m.memberId, null));
            records.add(new GroupRecord.ShareMemberMetadata(groupId, m.memberId, null));
        }
        records.add(new GroupRecord.ShareTargetMetadata(groupId, null));
        records.add(new GroupRecord.ShareStatePartitions(groupId, null));
        records.add(GroupRecord.groupTombstone(groupId));
        records.add(new GroupRecord.ShareGroupMetadata(groupId, null));
        return records;
    }

    // ---------------------------------------------------------------- replay

    void replayGroup(GroupRecord.StoredShareGroup stored) {
        groupEpoch = stored.epoch();
        metadataHash = stored.metadataHash();
    }

    void replayMemberMetadata(String memberId, GroupRecord.StoredShareMember stored) {
        if (stored == null) {
            Member gone = members.remove(memberId);
            if (gone != null) {
                gone.cancelSession();
            }
            return;
        }
        members.computeIfAbsent(memberId, Member::new).metadata = stored;
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

    void replayCurrentAssignment(String memberId, GroupRecord.StoredShareAssignment value) {
        Member member = members.get(memberId);
        if (member == null) {
            if (value == null) {
                return;
            }
            // The assignment before the metadata: a member's records come in this order only after compaction.
            member = new Member(memberId);
            members.put(memberId, member);
        }
        member.assignment = value == null ? JOINING : value;
    }

    void replayStatePartitions(GroupRecord.StoredShareStatePartitions value) {
        statePartitions = value == null ? NO_STATE_PARTITIONS : value;
    }

    /** Cancels every session (the group is unloaded or deleted). */
    void cancelTimers() {
        members.values().forEach(Member::cancelSession);
    }

    @Override
    public String toString() {
        return "share group (epoch " + groupEpoch + ", assignment epoch " + assignmentEpoch + ", "
                + members.size() + " members)";
    }
}
