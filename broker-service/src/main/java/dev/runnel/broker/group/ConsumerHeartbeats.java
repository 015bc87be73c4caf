package dev.runnel.broker.group;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import org.apache.kafka.common.protocol.Errors;

/**
 * What a ConsumerGroupHeartbeat decides (the consumer group protocol, KIP-848), without changing
 * the group: the records to write and the answer ({@link CoordinatorResult}). A join, a changed
 * subscription or a leave changes the members; with the subscribed topics' metadata hash, that
 * bumps the group epoch, and a group epoch past the target's makes the assignor compute the next
 * target; then the member's next assignment comes from {@link MemberReconciler}. Used by
 * {@link ConsumerGroupCoordinator} on the group's queue, on the state the previous operation's
 * replayed records left.
 */
final class ConsumerHeartbeats {

    private final GroupMetadataManager groups;
    private final Clock clock;
    private final TopicsView topics;
    private final GroupSettings.ConsumerProtocol settings;
    private final Map<String, PartitionAssignor> assignors = new LinkedHashMap<>();
    private final Patterns patterns = new Patterns();
    private final GroupMigration migration;

    /** Compiled regular expressions of subscriptions, kept while they are used (a bounded cache). */
    private static final class Patterns {
        private static final int MAX = 1_000;
        private final Map<String, Pattern> compiled = new ConcurrentHashMap<>();

        Pattern compile(String regex) {
            Pattern p = compiled.get(regex);
            if (p == null) {
                p = Pattern.compile(regex);
                if (compiled.size() >= MAX) {
                    compiled.clear();
                }
                compiled.put(regex, p);
            }
            return p;
        }
    }

    ConsumerHeartbeats(GroupMetadataManager groups, Clock clock, TopicsView topics, ClassicConsumerProtocol protocol) {
        this.groups = groups;
        this.clock = clock;
        this.topics = topics;
        this.settings = groups.settings().consumer();
        settings.assignors().forEach(name -> assignors.put(name, PartitionAssignor.named(name)));
        this.migration = new GroupMigration(groups.settings(), protocol);
    }

    GroupMigration migration() {
        return migration;
    }

    /**
     * The answer to a malformed heartbeat (INVALID_REQUEST), one asking for an assignor not
     * configured (UNSUPPORTED_ASSIGNOR) or with a regex that is not RE2 (INVALID_REGULAR_EXPRESSION);
     * null if it is well-formed.
     */
    ConsumerHeartbeatResult validate(ConsumerHeartbeat r) {
        String invalid = invalidRequest(r);
        if (invalid != null) {
            return ConsumerHeartbeatResult.error(Errors.INVALID_REQUEST, invalid);
        }
        if (r.serverAssignor() != null && !assignors.containsKey(r.serverAssignor())) {
            return ConsumerHeartbeatResult.error(Errors.UNSUPPORTED_ASSIGNOR, "ServerAssignor " + r.serverAssignor()
                    + " is not supported; supported assignors: " + String.join(", ", assignors.keySet()));
        }
        if (r.subscribedTopicRegex() != null && !r.subscribedTopicRegex().isEmpty()) {
            try {
                patterns.compile(r.subscribedTopicRegex());
            } catch (PatternSyntaxException e) {
                return ConsumerHeartbeatResult.error(Errors.INVALID_REGULAR_EXPRESSION, "SubscribedTopicRegex `"
                        + r.subscribedTopicRegex() + "` is not a valid regular expression: " + e.getMessage() + ".");
            }
        }
        return null;
    }

    /** Why the request is malformed, as Kafka words it, or null. */
    private static String invalidRequest(ConsumerHeartbeat r) {
        if (r.groupId() == null || r.groupId().isEmpty()) {
            return "GroupId can't be empty.";
        }
        if (r.memberId() == null || r.memberId().isEmpty()) {
            return "MemberId can't be empty.";
        }
        if (r.instanceId() != null && r.instanceId().isEmpty()) {
            return "InstanceId can't be empty.";
        }
        if (r.rackId() != null && r.rackId().isEmpty()) {
            return "RackId can't be empty.";
        }
        int epoch = r.memberEpoch();
        if (epoch == ConsumerHeartbeat.JOIN) {
            if (r.rebalanceTimeoutMs() == -1) {
                return "RebalanceTimeoutMs must be provided in first request.";
            }
            if (r.ownedPartitions() == null || !r.ownedPartitions().isEmpty()) {
                return "TopicPartitions must be empty when (re-)joining.";
            }
            if (r.subscribedTopicNames() == null && r.subscribedTopicRegex() == null) {
                return "SubscribedTopicNames or SubscribedTopicRegex must be set in first request.";
            }
        } else if (epoch == ConsumerHeartbeat.STATIC_LEAVE) {
            if (r.instanceId() == null) {
                return "InstanceId can't be null.";
            }
        } else if (epoch < ConsumerHeartbeat.STATIC_LEAVE) {
            return "MemberEpoch is invalid.";
        }
        return null;
    }

    /** The records and answer of a heartbeat (joins, leaves and ordinary heartbeats). */
    CoordinatorResult<ConsumerHeartbeatResult> decide(ClassicGroup g, ConsumerHeartbeat r) {
        return decide(g, r, null);
    }

    /**
     * The records and answer of a heartbeat, or of a classic member's JoinGroup put as one
     * ({@code classic}: its classic metadata, which its member metadata record keeps; null for a
     * consumer-protocol member). A join to a classic group with members upgrades it first, if
     * {@link GroupMigration} allows: its records come first, and the heartbeat is decided on the
     * consumer group they describe.
     */
    CoordinatorResult<ConsumerHeartbeatResult> decide(ClassicGroup g, ConsumerHeartbeat r,
            GroupRecord.ClassicMetadata classic) {
        if (g.isShareGroup()) {
            return refuse(Errors.GROUP_ID_NOT_FOUND, "Group " + g.groupId + " is not a consumer group.");
        }
        List<GroupRecord> records = new ArrayList<>();
        ConsumerGroup cg;
        if (g.isConsumerGroup()) {
            cg = g.consumer();
        } else if (g.isEmpty()) {
            cg = new ConsumerGroup(clock.millis());
        } else {
            String refusal = migration.upgradeRefusal(g, r);
            if (refusal != null) {
                return refuse(Errors.GROUP_ID_NOT_FOUND, refusal);
            }
            try {
                records.addAll(migration.upgradeRecords(g, this::metadataHash));
            } catch (IllegalArgumentException e) {
                return refuse(Errors.GROUP_ID_NOT_FOUND, "Cannot upgrade the classic group " + g.groupId
                        + " to a consumer group because the embedded consumer protocol is malformed: "
                        + e.getMessage());
            }
            cg = GroupMigration.replayed(records, clock.millis());
        }
        if (r.memberEpoch() == ConsumerHeartbeat.LEAVE || r.memberEpoch() == ConsumerHeartbeat.STATIC_LEAVE) {
            return decideLeave(g, cg, r);
        }
        ConsumerGroup.Member member = cg.member(r.memberId());
        MemberAssignment current;
        GroupRecord.StoredConsumerMember previousMetadata = member == null ? null : member.metadata;
        PartitionSet replacedTarget = null;
        String replacedId = null;
        if (r.memberEpoch() == ConsumerHeartbeat.JOIN) {
            String replaced = cg.staticMemberId(r.instanceId());
            if (member == null && replaced != null) {
                ConsumerGroup.Member old = cg.member(replaced);
                boolean away = old.assignment.memberEpoch() == ConsumerHeartbeat.STATIC_LEAVE;
                boolean classicReplacing = classic != null || (old.metadata != null && old.metadata.isClassic());
                if (!away && !classicReplacing) {
                    return refuse(Errors.UNRELEASED_INSTANCE_ID, "Static member " + replaced + " with instance id "
                            + r.instanceId() + " is still active in group " + g.groupId + ".");
                }
                // A static member back with a new member id: it takes the old one's place, assignment
                // and epoch, with no rebalance. Where the classic protocol is involved, as in Kafka, it
                // need not have left first: the new instance fences the old one.
                records.addAll(memberTombstones(g.groupId, replaced));
                replacedId = replaced;
                previousMetadata = old.metadata;
                replacedTarget = cg.target(replaced);
                MemberAssignment before = old.assignment;
                int epoch = away ? before.previousMemberEpoch() : before.memberEpoch();
                current = new MemberAssignment(epoch, epoch, MemberState.STABLE, before.assigned(), PartitionSet.EMPTY,
                        before.assignedAt());
            } else {
                if (member == null && cg.members().size() >= groups.settings().maxGroupSize()) {
                    return refuse(Errors.GROUP_MAX_SIZE_REACHED, "The consumer group has reached its maximum size.");
                }
                // A new member, or one rejoining after it was fenced: it owns nothing now.
                current = MemberAssignment.JOINING;
            }
        } else {
            if (member == null) {
                return refuse(Errors.UNKNOWN_MEMBER_ID, "Member " + r.memberId() + " is not a member of group "
                        + g.groupId + ".");
            }
            if (r.instanceId() != null && !r.instanceId().equals(member.metadata.instanceId())) {
                return refuse(Errors.FENCED_INSTANCE_ID, "Member " + r.memberId() + " is not the static member "
                        + r.instanceId() + ".");
            }
            current = member.assignment;
            Errors fenced = checkEpoch(current, r);
            if (fenced != Errors.NONE) {
                return refuse(fenced, "The consumer group member has a " + (r.memberEpoch() > current.memberEpoch()
                        ? "greater" : "smaller") + " member epoch (" + r.memberEpoch() + ") than the one known by the "
                        + "group coordinator (" + current.memberEpoch() + "). The member must abandon all its partitions"
                        + " and rejoin.");
            }
        }
        GroupRecord.StoredConsumerMember metadata = updatedMetadata(previousMetadata, r, classic);
        if (!metadata.equals(member == null ? null : member.metadata)) {
            records.add(new GroupRecord.ConsumerMemberMetadata(g.groupId, r.memberId(), metadata));
        }
        boolean subscriptionChanged = previousMetadata == null
                || !new TreeSet<>(previousMetadata.subscribedTopicNames()).equals(new TreeSet<>(metadata.subscribedTopicNames()))
                || !Objects.equals(previousMetadata.subscribedTopicRegex(), metadata.subscribedTopicRegex())
                || !Objects.equals(previousMetadata.serverAssignor(), metadata.serverAssignor());

        Map<String, GroupRecord.StoredConsumerMember> view = subscriptions(cg);
        Map<String, PartitionSet> targets = new HashMap<>(cg.targets());
        if (replacedId != null) {
            view.remove(replacedId);
            targets.remove(replacedId);
            targets.put(r.memberId(), replacedTarget);
            records.add(new GroupRecord.TargetAssignmentMember(g.groupId, r.memberId(), replacedTarget));
        }
        view.put(r.memberId(), metadata);
        int targetEpoch = newEpochAndTarget(g, cg, view, targets, subscriptionChanged, records);

        String previousOwner = replacedId;
        MemberAssignment next = MemberReconciler.next(r.memberId(), current, targetEpoch,
                targets.getOrDefault(r.memberId(), PartitionSet.EMPTY), r.ownedPartitions(),
                (t, p) -> {
                    String owner = cg.owner(t, p);
                    return owner != null && owner.equals(previousOwner) ? r.memberId() : owner;
                });
        if (member == null || !next.equals(member.assignment)) {
            records.add(new GroupRecord.CurrentMemberAssignment(g.groupId, r.memberId(), next));
        }
        boolean tell = r.memberEpoch() == ConsumerHeartbeat.JOIN || member == null || !next.equals(current)
                || (r.ownedPartitions() != null && !r.ownedPartitions().equals(next.assigned()));
        return new CoordinatorResult<>(records, new ConsumerHeartbeatResult(Errors.NONE, null, r.memberId(),
                next.memberEpoch(), settings.heartbeatIntervalMs(), tell ? next.assigned() : null));
    }

    /**
     * NONE if the member may heartbeat with the request's epoch: its current one, or the previous
     * one if the answer that bumped it was lost (then it owns no partition it no longer has).
     */
    private static Errors checkEpoch(MemberAssignment current, ConsumerHeartbeat r) {
        if (r.memberEpoch() == current.memberEpoch()) {
            return Errors.NONE;
        }
        if (r.memberEpoch() < current.memberEpoch() && r.memberEpoch() == current.previousMemberEpoch()
                && r.ownedPartitions() != null && current.assigned().containsAll(r.ownedPartitions())) {
            return Errors.NONE;
        }
        return Errors.FENCED_MEMBER_EPOCH;
    }

    private static GroupRecord.StoredConsumerMember updatedMetadata(GroupRecord.StoredConsumerMember previous,
            ConsumerHeartbeat r, GroupRecord.ClassicMetadata classic) {
        GroupRecord.StoredConsumerMember p = previous != null ? previous
                : new GroupRecord.StoredConsumerMember(null, null, "", "", List.of(), null, 45_000, null);
        return new GroupRecord.StoredConsumerMember(
                r.instanceId() != null ? r.instanceId() : p.instanceId(),
                r.rackId() != null ? r.rackId() : p.rackId(),
                r.clientId() == null ? "" : r.clientId(),
                r.clientHost() == null ? "" : r.clientHost(),
                r.subscribedTopicNames() != null ? r.subscribedTopicNames() : p.subscribedTopicNames(),
                r.subscribedTopicRegex() == null ? p.subscribedTopicRegex()
                        : r.subscribedTopicRegex().isEmpty() ? null : r.subscribedTopicRegex(),
                r.rebalanceTimeoutMs() != -1 ? r.rebalanceTimeoutMs() : p.rebalanceTimeoutMs(),
                r.serverAssignor() != null ? r.serverAssignor() : p.serverAssignor(), classic);
    }

    private CoordinatorResult<ConsumerHeartbeatResult> decideLeave(ClassicGroup g, ConsumerGroup cg,
            ConsumerHeartbeat r) {
        ConsumerGroup.Member member = cg.member(r.memberId());
        if (member == null && r.instanceId() != null) {
            String current = cg.staticMemberId(r.instanceId());
            if (current != null) {
                return refuse(Errors.FENCED_INSTANCE_ID, "Static member " + r.instanceId() + " is held by member "
                        + current + ".");
            }
        }
        if (member == null) {
            return refuse(Errors.UNKNOWN_MEMBER_ID, "Member " + r.memberId() + " is not a member of group "
                    + g.groupId + ".");
        }
        ConsumerHeartbeatResult left = new ConsumerHeartbeatResult(Errors.NONE, null, r.memberId(), r.memberEpoch(),
                0, null);
        if (r.memberEpoch() == ConsumerHeartbeat.STATIC_LEAVE && member.metadata.instanceId() != null) {
            // Away for a restart: it keeps its partitions, which nobody else gets until it is back or expires.
            MemberAssignment a = member.assignment;
            MemberAssignment away = new MemberAssignment(ConsumerHeartbeat.STATIC_LEAVE,
                    a.memberEpoch() == ConsumerHeartbeat.STATIC_LEAVE ? a.previousMemberEpoch() : a.memberEpoch(),
                    MemberState.STABLE, a.assigned(), PartitionSet.EMPTY, a.assignedAt());
            return new CoordinatorResult<>(List.of(new GroupRecord.CurrentMemberAssignment(g.groupId, r.memberId(),
                    away)), left);
        }
        return new CoordinatorResult<>(removal(g, cg, r.memberId()), left);
    }

    /**
     * The records removing a member: its assignment, target and metadata, a new group epoch and
     * target; or, if it is the last consumer-protocol member among classic ones, those making the
     * group a classic group ({@link GroupMigration}).
     */
    List<GroupRecord> removal(ClassicGroup g, ConsumerGroup cg, String memberId) {
        List<GroupRecord> downgrade = migration.downgradeRecords(g, cg, memberId, clock.millis());
        if (downgrade != null) {
            return downgrade;
        }
        List<GroupRecord> records = new ArrayList<>(memberTombstones(g.groupId, memberId));
        Map<String, GroupRecord.StoredConsumerMember> view = subscriptions(cg);
        view.remove(memberId);
        Map<String, PartitionSet> targets = new HashMap<>(cg.targets());
        targets.remove(memberId);
        newEpochAndTarget(g, cg, view, targets, true, records);
        return records;
    }

    private static List<GroupRecord> memberTombstones(String groupId, String memberId) {
        return List.of(new GroupRecord.CurrentMemberAssignment(groupId, memberId, null),
                new GroupRecord.TargetAssignmentMember(groupId, memberId, null),
                new GroupRecord.ConsumerMemberMetadata(groupId, memberId, null));
    }

    private static Map<String, GroupRecord.StoredConsumerMember> subscriptions(ConsumerGroup cg) {
        Map<String, GroupRecord.StoredConsumerMember> view = new TreeMap<>();
        cg.members().stream().filter(m -> m.metadata != null).forEach(m -> view.put(m.memberId, m.metadata));
        return view;
    }

    /**
     * Bumps the group epoch if {@code membersChanged} or the subscribed topics' metadata changed,
     * and computes a new target if the target lags the group epoch; adds the records to
     * {@code records} and the new target to {@code targets}.
     *
     * @return the target assignment's epoch after these records
     */
    private int newEpochAndTarget(ClassicGroup g, ConsumerGroup cg, Map<String, GroupRecord.StoredConsumerMember> view,
            Map<String, PartitionSet> targets, boolean membersChanged, List<GroupRecord> records) {
        TreeSet<String> subscribed = new TreeSet<>();
        view.values().forEach(m -> subscribed.addAll(subscribedTopics(m)));
        long hash = metadataHash(subscribed);
        int groupEpoch = cg.groupEpoch();
        if (membersChanged || hash != cg.metadataHash() || !g.isConsumerGroup()) {
            groupEpoch++;
            records.add(new GroupRecord.ConsumerGroupMetadata(g.groupId,
                    new GroupRecord.StoredConsumerGroup(groupEpoch, hash)));
        }
        if (groupEpoch <= cg.assignmentEpoch()) {
            return cg.assignmentEpoch();
        }
        SortedMap<String, Set<UUID>> byId = new TreeMap<>();
        Map<UUID, Integer> counts = new HashMap<>();
        view.forEach((memberId, m) -> {
            Set<UUID> ids = new TreeSet<>();
            for (String name : subscribedTopics(m)) {
                topics.byName(name).ifPresent(t -> {
                    ids.add(t.id());
                    counts.put(t.id(), t.partitions());
                });
            }
            byId.put(memberId, ids);
        });
        Map<String, PartitionSet> next = assignor(view).assign(byId, targets, counts);
        for (String memberId : view.keySet()) {
            PartitionSet assigned = next.getOrDefault(memberId, PartitionSet.EMPTY);
            if (!assigned.equals(targets.get(memberId))) {
                records.add(new GroupRecord.TargetAssignmentMember(g.groupId, memberId, assigned));
            }
            targets.put(memberId, assigned);
        }
        records.add(new GroupRecord.TargetAssignmentMetadata(g.groupId, groupEpoch));
        return groupEpoch;
    }

    /**
     * The topics a member subscribes to: those it names, and the topics (internal ones aside) that
     * its regular expression matches in full, in RE2 syntax as Kafka's (linear time, whatever the
     * expression). Matches are resolved at each heartbeat of the group, so a topic created later
     * joins the subscription (the metadata hash changes and the group epoch with it).
     */
    private Set<String> subscribedTopics(GroupRecord.StoredConsumerMember m) {
        if (m.subscribedTopicRegex() == null) {
            return new TreeSet<>(m.subscribedTopicNames());
        }
        Set<String> names = new TreeSet<>(m.subscribedTopicNames());
        Pattern pattern;
        try {
            pattern = patterns.compile(m.subscribedTopicRegex());
        } catch (PatternSyntaxException e) {
            return names; // checked when it was subscribed; a stored one that does not compile matches nothing
        }
        for (String topic : topics.names()) {
            if (pattern.matches(topic)) {
                names.add(topic);
            }
        }
        return names;
    }

    /** The assignor most members ask for, else the first configured. */
    private PartitionAssignor assignor(Map<String, GroupRecord.StoredConsumerMember> view) {
        Map<String, Integer> votes = new TreeMap<>();
        view.values().stream().map(GroupRecord.StoredConsumerMember::serverAssignor).filter(Objects::nonNull)
                .filter(assignors::containsKey).forEach(name -> votes.merge(name, 1, Integer::sum));
        return votes.entrySet().stream().max(Map.Entry.comparingByValue()).map(e -> assignors.get(e.getKey()))
                .orElse(assignors.values().iterator().next());
    }

    /** The name of the assignor the group uses now. */
    String assignorName(ConsumerGroup cg) {
        return assignor(subscriptions(cg)).name();
    }

    /**
     * A hash of the subscribed topics' names, ids and partition counts: when it changes (partitions
     * added, a topic created, deleted or recreated), the group epoch is bumped and the target recomputed.
     */
    long metadataHash(Set<String> names) {
        return topics.metadataHash(names);
    }

    private static CoordinatorResult<ConsumerHeartbeatResult> refuse(Errors error, String message) {
        return new CoordinatorResult<>(List.of(), ConsumerHeartbeatResult.error(error, message));
    }
}
