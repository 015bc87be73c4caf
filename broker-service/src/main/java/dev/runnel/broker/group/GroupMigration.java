package dev.runnel.broker.group;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.ToLongFunction;

import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka's online migration between the classic and the consumer group protocols (KIP-848's upgrade
 * and downgrade, {@code group.consumer.migration.policy}): the records that turn a classic group
 * into a consumer group and back, decided without changing the group and applied by replaying
 * them like every other record.
 *
 * <p><b>Upgrade.</b> A consumer-protocol member joining a classic group whose members use the
 * "consumer" protocol type: each classic member becomes a consumer group member with its ids, its
 * subscription and the assignment the classic leader gave it (read from the embedded consumer
 * protocol), its epoch the classic generation, and its {@code ClassicMemberMetadata} (session
 * timeout, supported protocols), so it goes on being served by JoinGroup, SyncGroup and Heartbeat.
 * The group's epoch and its target's are the generation, the target the current assignment. The
 * records, in one write: the consumer group's, then the classic group's tombstone, which, replayed
 * into a group that is now a consumer group, ends only its classic membership (parked JoinGroups
 * and SyncGroups are told REBALANCE_IN_PROGRESS and come back as the consumer group's members);
 * the offsets stay. Then the committed offsets, written again: a compacted log may keep no
 * consumer group record ahead of the tombstone, which a load then replays as the group's deletion,
 * and the offsets after it rebuild what it removed. The joining member's own records follow in the
 * same write.
 *
 * <p><b>Downgrade.</b> The last consumer-protocol member leaving (or removed) while every other
 * member is classic: the consumer group's records are all tombstoned and a classic group metadata
 * record written in their place, its generation the group epoch, its protocol the one the members
 * vote for, each member's assignment its target encoded in the consumer protocol. Once replayed,
 * the classic group rebalances ({@link GroupCoordinator}), so every member rejoins as a classic
 * member.
 */
final class GroupMigration {

    private static final Logger log = LoggerFactory.getLogger(GroupMigration.class);

    private final GroupSettings settings;
    private final ClassicConsumerProtocol protocol;

    GroupMigration(GroupSettings settings, ClassicConsumerProtocol protocol) {
        this.settings = settings;
        this.protocol = protocol;
    }

    GroupSettings.MigrationPolicy policy() {
        return settings.consumer().migrationPolicy();
    }

    /** Whether classic members are served inside consumer groups (any policy but {@code disabled}). */
    boolean servesClassicMembers() {
        return policy() != GroupSettings.MigrationPolicy.DISABLED;
    }

    // ---------------------------------------------------------------- upgrade

    /** Why the classic group {@code g} cannot become a consumer group now, or null if it can. */
    String upgradeRefusal(ClassicGroup g, ConsumerHeartbeat r) {
        if (r.memberEpoch() != ConsumerHeartbeat.JOIN) {
            return "Group " + g.groupId + " is not a consumer group.";
        }
        if (!policy().upgrades()) {
            return "Group " + g.groupId + " is not a consumer group (group.consumer.migration.policy "
                    + policy().name().toLowerCase() + " does not upgrade classic groups).";
        }
        if (!ClassicConsumerProtocol.PROTOCOL_TYPE.equals(g.protocolType())) {
            return "Group " + g.groupId + " is not a consumer group: its members' protocol type is "
                    + g.protocolType() + ", not consumer.";
        }
        if (g.size() > settings.maxGroupSize()) {
            return "Group " + g.groupId + " cannot become a consumer group: it has " + g.size()
                    + " members, group.max.size is " + settings.maxGroupSize() + ".";
        }
        return null;
    }

    /**
     * The records making the classic group {@code g} a consumer group (its members, epoch, target
     * and current assignments), the classic group's tombstone last.
     *
     * @param metadataHash the hash of the subscribed topics' metadata, as the group epoch stores it
     * @throws IllegalArgumentException if a member's subscription or assignment is not the consumer protocol's
     */
    List<GroupRecord> upgradeRecords(ClassicGroup g, ToLongFunction<Set<String>> metadataHash) {
        int epoch = g.generationId();
        List<GroupRecord> members = new ArrayList<>();
        List<GroupRecord> targets = new ArrayList<>();
        List<GroupRecord> current = new ArrayList<>();
        Set<String> subscribed = new TreeSet<>();
        for (GroupMember m : g.members()) {
            byte[] metadata = g.protocolName() != null && m.protocolMap().containsKey(g.protocolName())
                    ? m.metadata(g.protocolName()) : m.protocols.get(0).metadata();
            ClassicConsumerProtocol.Subscription s = protocol.subscription(metadata);
            PartitionSet assigned = protocol.assignment(m.assignment);
            subscribed.addAll(s.topics());
            members.add(new GroupRecord.ConsumerMemberMetadata(g.groupId, m.memberId, new GroupRecord.StoredConsumerMember(
                    m.groupInstanceId, s.rackId(), m.clientId, m.clientHost, s.topics(), null, m.rebalanceTimeoutMs,
                    null, new GroupRecord.ClassicMetadata(m.sessionTimeoutMs, m.protocols))));
            targets.add(new GroupRecord.TargetAssignmentMember(g.groupId, m.memberId, assigned));
            current.add(new GroupRecord.CurrentMemberAssignment(g.groupId, m.memberId,
                    new MemberAssignment(epoch, epoch, MemberState.STABLE, assigned, PartitionSet.EMPTY,
                            MemberAssignment.JOINING.epochsFor(assigned, epoch))));
        }
        List<GroupRecord> records = new ArrayList<>(members);
        records.add(new GroupRecord.ConsumerGroupMetadata(g.groupId,
                new GroupRecord.StoredConsumerGroup(epoch, metadataHash.applyAsLong(subscribed))));
        records.addAll(targets);
        records.add(new GroupRecord.TargetAssignmentMetadata(g.groupId, epoch));
        records.addAll(current);
        records.add(GroupRecord.groupTombstone(g.groupId));
        // The committed offsets again, after the tombstone: once compaction has removed every consumer
        // group record before it, a load replays the tombstone as a deletion, and these bring them back.
        // (Those pending in open transactions are left alone: their markers decide.)
        g.offsets().forEach((tp, offset) -> {
            if (!g.offsetStore().isPending(tp)) {
                records.add(GroupRecord.offsetCommit(g.groupId, tp, offset));
            }
        });
        log.info("Upgrading classic group {} at generation {} with {} members to a consumer group", g.groupId, epoch,
                g.size());
        return records;
    }

    /** The consumer group the upgrade records describe, as replaying them would leave it: to decide on. */
    static ConsumerGroup replayed(List<GroupRecord> records, long nowMs) {
        ConsumerGroup cg = new ConsumerGroup(nowMs);
        for (GroupRecord record : records) {
            if (record instanceof GroupRecord.ConsumerMemberMetadata m) {
                cg.replayMemberMetadata(m.memberId(), m.value(), nowMs);
            } else if (record instanceof GroupRecord.ConsumerGroupMetadata m) {
                cg.replayGroup(m.value());
            } else if (record instanceof GroupRecord.TargetAssignmentMember t) {
                cg.replayTarget(t.memberId(), t.partitions());
            } else if (record instanceof GroupRecord.TargetAssignmentMetadata t) {
                cg.replayTargetEpoch(t.assignmentEpoch());
            } else if (record instanceof GroupRecord.CurrentMemberAssignment c) {
                cg.replayCurrentAssignment(c.memberId(), c.value());
            }
        }
        return cg;
    }

    /**
     * Replays a classic group's tombstone into a group that has become a consumer group: its
     * classic membership ends (parked requests are told REBALANCE_IN_PROGRESS, sessions and
     * rebalance timers stop, the classic state is Empty); offsets and consumer group state stay.
     */
    static void replayClassicEnd(ClassicGroup g, long nowMs) {
        for (GroupMember m : List.copyOf(g.members())) {
            m.completeJoin(JoinResult.error(m.memberId, Errors.REBALANCE_IN_PROGRESS));
            m.completeSync(SyncResult.error(Errors.REBALANCE_IN_PROGRESS));
            g.remove(m.memberId);
        }
        g.rebalance().cancelTimers();
        if (g.is(GroupState.STABLE) || g.is(GroupState.COMPLETING_REBALANCE)) {
            g.transitionTo(GroupState.PREPARING_REBALANCE, nowMs);
        }
        if (g.is(GroupState.PREPARING_REBALANCE)) {
            g.transitionTo(GroupState.EMPTY, nowMs);
        }
    }

    // ---------------------------------------------------------------- downgrade

    /**
     * The records making the consumer group a classic group as {@code leaving} goes, or null if it
     * stays a consumer group: the policy must allow it, {@code leaving} must be the last member not
     * using the classic protocol, and classic members must remain, no more than group.max.size.
     */
    List<GroupRecord> downgradeRecords(ClassicGroup g, ConsumerGroup cg, String leaving, long nowMs) {
        List<ConsumerGroup.Member> remaining = new ArrayList<>();
        for (ConsumerGroup.Member m : cg.members()) {
            if (m.memberId.equals(leaving)) {
                continue;
            }
            if (m.metadata == null || !m.metadata.isClassic()) {
                return null;
            }
            remaining.add(m);
        }
        if (remaining.isEmpty() || !policy().downgrades() || remaining.size() > settings.maxGroupSize()) {
            return null;
        }
        String chosen = selectProtocol(remaining);
        if (chosen == null) {
            log.info("Not downgrading consumer group {}: its classic members share no protocol", g.groupId);
            return null;
        }
        List<GroupRecord> records = new ArrayList<>();
        for (ConsumerGroup.Member m : cg.members()) {
            records.add(new GroupRecord.CurrentMemberAssignment(g.groupId, m.memberId, null));
            records.add(new GroupRecord.TargetAssignmentMember(g.groupId, m.memberId, null));
            records.add(new GroupRecord.ConsumerMemberMetadata(g.groupId, m.memberId, null));
        }
        records.add(new GroupRecord.TargetAssignmentMetadata(g.groupId, null));
        records.add(new GroupRecord.ConsumerGroupMetadata(g.groupId, null));
        List<GroupRecord.StoredMember> members = new ArrayList<>();
        for (ConsumerGroup.Member m : remaining) {
            GroupRecord.StoredConsumerMember md = m.metadata;
            byte[] subscription = md.classic().protocols().stream().filter(p -> p.name().equals(chosen))
                    .findFirst().orElseThrow().metadata();
            byte[] assignment = protocol.assignmentBytes(cg.target(m.memberId), subscription);
            members.add(new GroupRecord.StoredMember(m.memberId, md.instanceId(), md.clientId(), md.clientHost(),
                    md.rebalanceTimeoutMs(), md.classic().sessionTimeoutMs(), subscription, assignment));
        }
        records.add(new GroupRecord.GroupMetadata(g.groupId, new GroupRecord.StoredGroup(
                ClassicConsumerProtocol.PROTOCOL_TYPE, cg.groupEpoch(), chosen, remaining.get(0).memberId, nowMs,
                members)));
        log.info("Downgrading consumer group {} at epoch {} to a classic group with {} members: {} left",
                g.groupId, cg.groupEpoch(), remaining.size(), leaving);
        return records;
    }

    /** The protocol every member supports that most prefer (ties: the first counted), or null. */
    private static String selectProtocol(List<ConsumerGroup.Member> members) {
        Set<String> common = null;
        for (ConsumerGroup.Member m : members) {
            Set<String> names = new HashSet<>();
            m.metadata.classic().protocols().forEach(p -> names.add(p.name()));
            if (common == null) {
                common = names;
            } else {
                common.retainAll(names);
            }
        }
        if (common == null || common.isEmpty()) {
            return null;
        }
        Map<String, Integer> votes = new LinkedHashMap<>();
        for (ConsumerGroup.Member m : members) {
            for (MemberProtocol p : m.metadata.classic().protocols()) {
                if (common.contains(p.name())) {
                    votes.merge(p.name(), 1, Integer::sum);
                    break;
                }
            }
        }
        return votes.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
    }
}
