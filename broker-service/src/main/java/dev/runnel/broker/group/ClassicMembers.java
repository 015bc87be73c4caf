package dev.runnel.broker.group;

import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.apache.kafka.common.protocol.Errors;

/**
 * What JoinGroup, SyncGroup, Heartbeat and LeaveGroup from classic consumers decide in a consumer
 * group (Kafka's {@code classicGroup*ToConsumerGroup}), without changing the group. A classic
 * member is a consumer group member like any other, with its classic metadata (session timeout,
 * protocols) kept in its member record: the server-side assignor computes its target, and it
 * reconciles towards it on its JoinGroups, which are decided as heartbeats ({@link ConsumerHeartbeats})
 * with the subscription and owned partitions its consumer protocol metadata carries.
 *
 * <ul>
 * <li>JoinGroup: a new member gets an id first (MEMBER_ID_REQUIRED, JoinGroup v4+), then joins;
 *     the answer's generation is its member epoch, with no leader, so the member does not assign.</li>
 * <li>SyncGroup: its current assignment, in the consumer protocol at its metadata's version;
 *     REBALANCE_IN_PROGRESS if the group epoch has moved past it and it has nothing to revoke.</li>
 * <li>Heartbeat: REBALANCE_IN_PROGRESS when it must rejoin: the group epoch is past its epoch, it
 *     must revoke partitions, or partitions it waits for have been released.</li>
 * <li>LeaveGroup: removes it (the group epoch is bumped, the target recomputed).</li>
 * </ul>
 *
 * <p>The generation a classic member sees is its member epoch, and it commits offsets with it.
 */
final class ClassicMembers {

    private final GroupSettings settings;
    private final ClassicConsumerProtocol protocol;
    private final ConsumerHeartbeats decisions;

    ClassicMembers(GroupSettings settings, ClassicConsumerProtocol protocol, ConsumerHeartbeats decisions) {
        this.settings = settings;
        this.protocol = protocol;
        this.decisions = decisions;
    }

    /** A JoinGroup's records and answer; {@code memberId} is the id it joins with (made up for a new member). */
    CoordinatorResult<JoinResult> join(ClassicGroup g, JoinRequest r, String memberId) {
        if (!g.isConsumerGroup()) {
            return refuseJoin(r.memberId(), Errors.REBALANCE_IN_PROGRESS); // it became a classic group meanwhile
        }
        ConsumerGroup cg = g.consumer();
        if (!supportsProtocols(cg, r)) {
            return refuseJoin(r.memberId(), Errors.INCONSISTENT_GROUP_PROTOCOL);
        }
        ConsumerGroup.Member member = cg.member(memberId);
        boolean unknownId = r.memberId() == null || r.memberId().isEmpty();
        if (member == null && cg.staticMemberId(r.groupInstanceId()) == null
                && cg.members().size() >= settings.maxGroupSize()) {
            return refuseJoin(r.memberId(), Errors.GROUP_MAX_SIZE_REACHED);
        }
        if (unknownId && r.groupInstanceId() == null && r.requireKnownMemberId()) {
            return refuseJoin(memberId, Errors.MEMBER_ID_REQUIRED);
        }
        if (member != null && (member.metadata == null || !member.metadata.isClassic())) {
            return refuseJoin(memberId, Errors.UNKNOWN_MEMBER_ID); // a consumer-protocol member's id
        }
        if (!unknownId && r.groupInstanceId() != null) {
            // A static member joining with a member id must still be the one holding its instance id.
            String current = cg.staticMemberId(r.groupInstanceId());
            if (current == null) {
                return refuseJoin(memberId, Errors.UNKNOWN_MEMBER_ID);
            }
            if (!current.equals(memberId)) {
                return refuseJoin(memberId, Errors.FENCED_INSTANCE_ID);
            }
        }
        ClassicConsumerProtocol.Subscription subscription;
        try {
            subscription = protocol.subscription(r.protocols().get(0).metadata());
        } catch (IllegalArgumentException e) {
            return refuseJoin(memberId, Errors.INCONSISTENT_GROUP_PROTOCOL);
        }
        // A member rejoining is a heartbeat at its epoch saying what it owns; a new one joins with epoch 0.
        int epoch = member == null ? ConsumerHeartbeat.JOIN : member.assignment.memberEpoch();
        PartitionSet owned = member == null ? PartitionSet.EMPTY : subscription.ownedPartitions();
        ConsumerHeartbeat heartbeat = new ConsumerHeartbeat(g.groupId, memberId, epoch, r.groupInstanceId(),
                subscription.rackId(), r.rebalanceTimeoutMs(), subscription.topics(), null, null, owned, r.clientId(),
                r.clientHost());
        GroupRecord.ClassicMetadata classic = new GroupRecord.ClassicMetadata(r.sessionTimeoutMs(), r.protocols());
        CoordinatorResult<ConsumerHeartbeatResult> decided = decisions.decide(g, heartbeat, classic);
        ConsumerHeartbeatResult answer = decided.response();
        if (answer.error() != Errors.NONE) {
            return refuseJoin(memberId, answer.error());
        }
        return new CoordinatorResult<>(decided.records(), new JoinResult(Errors.NONE, memberId, answer.memberEpoch(),
                ClassicConsumerProtocol.PROTOCOL_TYPE, classic.protocolName(), "", false, List.of()));
    }

    /**
     * The id a JoinGroup joins with: its own, or for a member without one a new random id written
     * as Kafka writes its Uuids (URL-safe base64, no padding), as Kafka makes it.
     */
    static String memberIdFor(JoinRequest r) {
        if (r.memberId() != null && !r.memberId().isEmpty()) {
            return r.memberId();
        }
        UUID id = UUID.randomUUID();
        ByteBuffer bytes = ByteBuffer.allocate(16).putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits());
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes.array());
    }

    /** A SyncGroup's answer: the member's current assignment (no records). */
    SyncResult sync(ClassicGroup g, int generationId, String memberId, String instanceId, String protocolType,
            String protocolName) {
        if (!g.isConsumerGroup()) {
            return SyncResult.error(Errors.REBALANCE_IN_PROGRESS);
        }
        ConsumerGroup cg = g.consumer();
        ConsumerGroup.Member member = cg.member(memberId);
        Errors invalid = validate(cg, member, memberId, instanceId);
        if (invalid == Errors.NONE && generationId != member.assignment.memberEpoch()) {
            invalid = Errors.ILLEGAL_GENERATION;
        }
        if (invalid == Errors.NONE && ((protocolType != null && !protocolType.equals(ClassicConsumerProtocol.PROTOCOL_TYPE))
                || (protocolName != null && !protocolName.equals(member.metadata.classic().protocolName())))) {
            invalid = Errors.INCONSISTENT_GROUP_PROTOCOL;
        }
        if (invalid == Errors.NONE && cg.groupEpoch() > member.assignment.memberEpoch()
                && member.assignment.state() != MemberState.UNREVOKED_PARTITIONS) {
            invalid = Errors.REBALANCE_IN_PROGRESS;
        }
        if (invalid != Errors.NONE) {
            return SyncResult.error(invalid);
        }
        GroupRecord.ClassicMetadata classic = member.metadata.classic();
        return new SyncResult(Errors.NONE, ClassicConsumerProtocol.PROTOCOL_TYPE, classic.protocolName(),
                protocol.assignmentBytes(member.assignment.assigned(), classic.protocols().get(0).metadata()));
    }

    /** A Heartbeat's answer: NONE, REBALANCE_IN_PROGRESS when the member must rejoin, or why it is refused. */
    Errors heartbeat(ClassicGroup g, int generationId, String memberId, String instanceId) {
        if (!g.isConsumerGroup()) {
            return Errors.REBALANCE_IN_PROGRESS;
        }
        ConsumerGroup cg = g.consumer();
        ConsumerGroup.Member member = cg.member(memberId);
        Errors invalid = validate(cg, member, memberId, instanceId);
        if (invalid == Errors.NONE && generationId != member.assignment.memberEpoch()) {
            invalid = Errors.ILLEGAL_GENERATION;
        }
        if (invalid != Errors.NONE) {
            return invalid;
        }
        MemberAssignment a = member.assignment;
        boolean rejoin = a.memberEpoch() < cg.groupEpoch() || a.state() == MemberState.UNREVOKED_PARTITIONS
                || (a.state() == MemberState.UNRELEASED_PARTITIONS && !waitsForUnreleased(cg, member));
        return rejoin ? Errors.REBALANCE_IN_PROGRESS : Errors.NONE;
    }

    /** The member a LeaveGroup names (its id, or its instance id), or why it cannot leave. */
    record Leaving(Errors error, String memberId) {
    }

    Leaving leaving(ConsumerGroup cg, String memberId, String instanceId) {
        String id = memberId;
        if (instanceId != null) {
            String current = cg.staticMemberId(instanceId);
            if (current == null) {
                return new Leaving(Errors.UNKNOWN_MEMBER_ID, memberId);
            }
            if (memberId != null && !memberId.isEmpty() && !memberId.equals(current)) {
                return new Leaving(Errors.FENCED_INSTANCE_ID, memberId);
            }
            id = current;
        }
        ConsumerGroup.Member member = cg.member(id);
        if (member == null || member.metadata == null || !member.metadata.isClassic()) {
            return new Leaving(Errors.UNKNOWN_MEMBER_ID, id);
        }
        return new Leaving(Errors.NONE, id);
    }

    /** The records removing a member that left (or making the group classic again). */
    List<GroupRecord> removal(ClassicGroup g, ConsumerGroup cg, String memberId) {
        return decisions.removal(g, cg, memberId);
    }

    // ---------------------------------------------------------------- helpers

    /** NONE if {@code member} is the group's classic member {@code memberId} (and static member {@code instanceId}). */
    private static Errors validate(ConsumerGroup cg, ConsumerGroup.Member member, String memberId, String instanceId) {
        if (instanceId != null) {
            String current = cg.staticMemberId(instanceId);
            if (current == null) {
                return Errors.UNKNOWN_MEMBER_ID;
            }
            if (!current.equals(memberId)) {
                return Errors.FENCED_INSTANCE_ID;
            }
        }
        if (member == null || member.metadata == null || !member.metadata.isClassic()) {
            return Errors.UNKNOWN_MEMBER_ID;
        }
        return Errors.NONE;
    }

    /**
     * Whether a JoinGroup of protocol type "consumer" offers a protocol every classic member of the
     * group supports (any, if it has none yet).
     */
    private static boolean supportsProtocols(ConsumerGroup cg, JoinRequest r) {
        if (!ClassicConsumerProtocol.PROTOCOL_TYPE.equals(r.protocolType()) || r.protocols().isEmpty()) {
            return false;
        }
        Set<String> offered = new HashSet<>();
        r.protocols().forEach(p -> offered.add(p.name()));
        for (ConsumerGroup.Member m : cg.members()) {
            if (m.memberId.equals(r.memberId()) || m.metadata == null || !m.metadata.isClassic()) {
                continue;
            }
            if (m.metadata.classic().protocols().stream().noneMatch(p -> offered.contains(p.name()))) {
                return false;
            }
        }
        return true;
    }

    /** Whether a partition of the member's target it does not have yet is still held by another member. */
    private static boolean waitsForUnreleased(ConsumerGroup cg, ConsumerGroup.Member member) {
        PartitionSet missing = cg.target(member.memberId).minus(member.assignment.assigned());
        for (var e : missing.asMap().entrySet()) {
            for (int p : e.getValue()) {
                String owner = cg.owner(e.getKey(), p);
                if (owner != null && !owner.equals(member.memberId)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static CoordinatorResult<JoinResult> refuseJoin(String memberId, Errors error) {
        return new CoordinatorResult<>(List.of(), JoinResult.error(memberId, error));
    }
}
