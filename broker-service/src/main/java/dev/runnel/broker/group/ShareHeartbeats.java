package dev.runnel.broker.group;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.config.ShareGroupConfigs;

/**
 * What a ShareGroupHeartbeat decides (KIP-932), without changing the group: the records to write
 * and the answer ({@link CoordinatorResult}). A join, a changed subscription, a leave or a change
 * of the subscribed topics' metadata bumps the group epoch; a group epoch past the target's makes
 * {@link SimpleAssignor} compute the next target; and the member takes its part of the target at
 * once, at the target's epoch (share members own nothing, so nothing is revoked first). Subscribed
 * partitions the group has no share-partition state for join the group's state partitions (Kafka's
 * ShareGroupStatePartitionMetadata) as initializing; only initialized ones are assigned, as in
 * Kafka ({@link ShareStateInitializer} bumps the group epoch once it has initialized some). Used
 * by {@link ShareGroupCoordinator} on the group's queue, on the state the previous operation's
 * replayed records left.
 */
final class ShareHeartbeats {

    private final TopicsView topics;
    private final ShareGroupConfigs configs;
    private final int maxGroupSize;

    ShareHeartbeats(TopicsView topics, ShareGroupConfigs configs, int maxGroupSize) {
        this.topics = topics;
        this.configs = configs;
        this.maxGroupSize = maxGroupSize;
    }

    /** The answer to a malformed heartbeat (INVALID_REQUEST, with Kafka's words), or null. */
    static ShareHeartbeatResult validate(ShareHeartbeat r) {
        String invalid = null;
        if (r.groupId() == null || r.groupId().isEmpty()) {
            invalid = "GroupId can't be empty.";
        } else if (r.memberId() == null || r.memberId().isEmpty()) {
            invalid = "MemberId can't be empty.";
        } else if (r.rackId() != null && r.rackId().isEmpty()) {
            invalid = "RackId can't be empty.";
        } else if (r.memberEpoch() == ShareHeartbeat.JOIN
                && (r.subscribedTopicNames() == null || r.subscribedTopicNames().isEmpty())) {
            invalid = "SubscribedTopicNames must be set in first request.";
        } else if (r.memberEpoch() < ShareHeartbeat.LEAVE) {
            invalid = "MemberEpoch is invalid.";
        }
        return invalid == null ? null : ShareHeartbeatResult.error(Errors.INVALID_REQUEST, invalid);
    }

    /** Whether {@code g} is of another type than share: a classic group (offsets included) or a consumer group. */
    static boolean isOtherType(ClassicGroup g) {
        return !g.isShareGroup() && (g.hasState() || g.generationId() > 0);
    }

    /** The records and answer of a heartbeat (joins, leaves and ordinary heartbeats). */
    CoordinatorResult<ShareHeartbeatResult> decide(ClassicGroup g, ShareHeartbeat r) {
        if (isOtherType(g)) {
            return refuse(Errors.GROUP_ID_NOT_FOUND, "Group " + g.groupId + " is not a share group.");
        }
        ShareGroup sg = g.isShareGroup() ? g.share() : new ShareGroup();
        ShareGroup.Member member = sg.member(r.memberId());
        if (r.memberEpoch() == ShareHeartbeat.LEAVE) {
            if (member == null) {
                return unknownMember(g, r);
            }
            return new CoordinatorResult<>(removal(g, sg, r.memberId()), new ShareHeartbeatResult(Errors.NONE, null,
                    r.memberId(), ShareHeartbeat.LEAVE, 0, null));
        }
        GroupRecord.StoredShareAssignment current;
        if (r.memberEpoch() == ShareHeartbeat.JOIN) {
            if (member == null && sg.members().size() >= maxGroupSize) {
                return refuse(Errors.GROUP_MAX_SIZE_REACHED, "The share group has reached its maximum capacity of "
                        + maxGroupSize + " members.");
            }
            // A new member, or one joining again with its id (it lost its answers, or was told it was
            // fenced): either way it gets its whole assignment.
            current = member == null ? ShareGroup.JOINING : member.assignment;
        } else {
            if (member == null) {
                return unknownMember(g, r);
            }
            current = member.assignment;
            if (r.memberEpoch() > current.memberEpoch()
                    || (r.memberEpoch() < current.memberEpoch() && r.memberEpoch() != current.previousMemberEpoch())) {
                return refuse(Errors.FENCED_MEMBER_EPOCH, "The share group member has a " + (r.memberEpoch()
                        > current.memberEpoch() ? "greater" : "smaller") + " member epoch (" + r.memberEpoch()
                        + ") than the one known by the group coordinator (" + current.memberEpoch()
                        + "). The member must abandon all its partitions and rejoin.");
            }
        }
        List<GroupRecord> records = new ArrayList<>();
        GroupRecord.StoredShareMember previous = member == null ? null : member.metadata;
        GroupRecord.StoredShareMember metadata = new GroupRecord.StoredShareMember(
                r.rackId() != null ? r.rackId() : previous == null ? null : previous.rackId(),
                r.clientId() == null ? "" : r.clientId(), r.clientHost() == null ? "" : r.clientHost(),
                r.subscribedTopicNames() != null ? r.subscribedTopicNames()
                        : previous == null ? List.of() : previous.subscribedTopicNames());
        if (!metadata.equals(previous)) {
            records.add(new GroupRecord.ShareMemberMetadata(g.groupId, r.memberId(), metadata));
        }
        boolean subscriptionChanged = previous == null || !new TreeSet<>(previous.subscribedTopicNames())
                .equals(new TreeSet<>(metadata.subscribedTopicNames()));
        Map<String, GroupRecord.StoredShareMember> view = subscriptions(sg);
        view.put(r.memberId(), metadata);
        Map<String, PartitionSet> targets = new HashMap<>(sg.targets());
        int targetEpoch = newEpochAndTarget(g, sg, view, targets, subscriptionChanged, records);

        GroupRecord.StoredShareAssignment next = new GroupRecord.StoredShareAssignment(targetEpoch,
                current.memberEpoch() == targetEpoch ? current.previousMemberEpoch() : current.memberEpoch(),
                targets.getOrDefault(r.memberId(), PartitionSet.EMPTY));
        if (member == null || !next.equals(member.assignment)) {
            records.add(new GroupRecord.ShareCurrentAssignment(g.groupId, r.memberId(), next));
        }
        boolean tell = r.memberEpoch() == ShareHeartbeat.JOIN || !next.assigned().equals(current.assigned());
        int interval = (int) Math.min(Integer.MAX_VALUE, configs.settings(g.groupId).heartbeatInterval().toMillis());
        return new CoordinatorResult<>(records, new ShareHeartbeatResult(Errors.NONE, null, r.memberId(),
                next.memberEpoch(), interval, tell ? next.assigned() : null));
    }

    /** The records removing a member: its assignment, target and metadata, a new group epoch and target. */
    List<GroupRecord> removal(ClassicGroup g, ShareGroup sg, String memberId) {
        List<GroupRecord> records = new ArrayList<>(List.of(
                new GroupRecord.ShareCurrentAssignment(g.groupId, memberId, null),
                new GroupRecord.ShareTargetMember(g.groupId, memberId, null),
                new GroupRecord.ShareMemberMetadata(g.groupId, memberId, null)));
        Map<String, GroupRecord.StoredShareMember> view = subscriptions(sg);
        view.remove(memberId);
        Map<String, PartitionSet> targets = new HashMap<>(sg.targets());
        targets.remove(memberId);
        newEpochAndTarget(g, sg, view, targets, true, records);
        return records;
    }

    private static Map<String, GroupRecord.StoredShareMember> subscriptions(ShareGroup sg) {
        Map<String, GroupRecord.StoredShareMember> view = new TreeMap<>();
        sg.members().stream().filter(m -> m.metadata != null).forEach(m -> view.put(m.memberId, m.metadata));
        return view;
    }

    /**
     * Bumps the group epoch if {@code membersChanged} or the subscribed topics' metadata changed,
     * and computes a new target if the target lags the group epoch; adds the records to
     * {@code records} (with the state partitions the new target adds) and the new target to
     * {@code targets}.
     *
     * @return the target assignment's epoch after these records
     */
    private int newEpochAndTarget(ClassicGroup g, ShareGroup sg, Map<String, GroupRecord.StoredShareMember> view,
            Map<String, PartitionSet> targets, boolean membersChanged, List<GroupRecord> records) {
        TreeSet<String> subscribed = new TreeSet<>();
        view.values().forEach(m -> subscribed.addAll(m.subscribedTopicNames()));
        long hash = topics.metadataHash(subscribed);
        int groupEpoch = sg.groupEpoch();
        if (membersChanged || hash != sg.metadataHash() || !g.isShareGroup()) {
            groupEpoch++;
            records.add(new GroupRecord.ShareGroupMetadata(g.groupId, new GroupRecord.StoredShareGroup(groupEpoch, hash)));
        }
        if (groupEpoch <= sg.assignmentEpoch()) {
            return sg.assignmentEpoch();
        }
        Map<String, Set<UUID>> byId = new TreeMap<>();
        Map<UUID, List<Integer>> assignable = new HashMap<>();
        Map<UUID, GroupRecord.ShareTopicPartitions> initialized = new HashMap<>();
        sg.statePartitions().initialized().forEach(t -> initialized.put(t.topicId(), t));
        PartitionSet.Builder subscribedPartitions = new PartitionSet.Builder();
        view.forEach((memberId, m) -> {
            Set<UUID> ids = new TreeSet<>();
            for (String name : m.subscribedTopicNames()) {
                topics.byName(name).ifPresent(t -> {
                    ids.add(t.id());
                    GroupRecord.ShareTopicPartitions ready = initialized.get(t.id());
                    assignable.put(t.id(), ready == null ? List.of()
                            : ready.partitions().stream().filter(p -> p < t.partitions()).sorted().toList());
                    for (int p = 0; p < t.partitions(); p++) {
                        subscribedPartitions.add(t.id(), p);
                    }
                });
            }
            byId.put(memberId, ids);
        });
        Map<String, PartitionSet> next = SimpleAssignor.assign(byId, assignable);
        for (String memberId : view.keySet()) {
            PartitionSet assigned = next.getOrDefault(memberId, PartitionSet.EMPTY);
            if (!assigned.equals(targets.get(memberId))) {
                records.add(new GroupRecord.ShareTargetMember(g.groupId, memberId, assigned));
            }
            targets.put(memberId, assigned);
        }
        records.add(new GroupRecord.ShareTargetMetadata(g.groupId, groupEpoch));
        GroupRecord.StoredShareStatePartitions state = withPartitions(sg, subscribedPartitions.build());
        if (state != null) {
            records.add(new GroupRecord.ShareStatePartitions(g.groupId, state));
        }
        return groupEpoch;
    }

    /**
     * The group's state partitions with the partitions of {@code subscribed} it has no state for
     * yet added as initializing ({@link ShareStateInitializer} initializes them once written), or
     * null if none is new.
     */
    private GroupRecord.StoredShareStatePartitions withPartitions(ShareGroup sg, PartitionSet subscribed) {
        Map<UUID, GroupRecord.ShareTopicPartitions> known = sg.initialized();
        boolean added = false;
        Map<UUID, GroupRecord.ShareTopicPartitions> initializing = new TreeMap<>();
        sg.statePartitions().initializing().forEach(t -> initializing.put(t.topicId(), t));
        for (UUID topic : subscribed.topics()) {
            GroupRecord.ShareTopicPartitions had = known.get(topic);
            TreeSet<Integer> partitions = new TreeSet<>(subscribed.partitions(topic));
            if (had != null) {
                partitions.removeAll(had.partitions());
            }
            if (partitions.isEmpty()) {
                continue;
            }
            added = true;
            GroupRecord.ShareTopicPartitions before = initializing.get(topic);
            if (before != null) {
                partitions.addAll(before.partitions());
            }
            String name = topics.byId(topic).map(TopicsView.Topic::name)
                    .orElse(before == null ? "" : before.topicName());
            initializing.put(topic, new GroupRecord.ShareTopicPartitions(topic, name, List.copyOf(partitions)));
        }
        if (!added) {
            return null;
        }
        GroupRecord.StoredShareStatePartitions old = sg.statePartitions();
        return new GroupRecord.StoredShareStatePartitions(List.copyOf(initializing.values()), old.initialized(),
                old.deleting().stream().filter(t -> !subscribed.topics().contains(t.topicId())).toList());
    }

    private static CoordinatorResult<ShareHeartbeatResult> unknownMember(ClassicGroup g, ShareHeartbeat r) {
        return refuse(Errors.UNKNOWN_MEMBER_ID, "Member " + r.memberId() + " is not a member of group "
                + g.groupId + ".");
    }

    private static CoordinatorResult<ShareHeartbeatResult> refuse(Errors error, String message) {
        return new CoordinatorResult<>(List.of(), ShareHeartbeatResult.error(error, message));
    }
}
