package dev.runnel.broker.group;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.common.time.Scheduler;

/**
 * The consumer group protocol (KIP-848, {@code group.protocol=consumer}): ConsumerGroupHeartbeat
 * and ConsumerGroupDescribe, with the timers that remove silent members and fence members that do
 * not revoke in time.
 *
 * <p>The group has an epoch, bumped when its members or their subscriptions change, or when the
 * subscribed topics' metadata does (partitions added, a topic created or deleted). When the group
 * epoch passes the target assignment's epoch, the server-side assignor ({@code uniform} or
 * {@code range}) computes a new target. Each member then reconciles towards its part of the
 * target one heartbeat at a time ({@link MemberReconciler}): it first revokes what it must give up,
 * staying at its epoch; a partition is handed to its new owner only once its previous owner's
 * heartbeat shows it no longer owns it. A member not heard from for
 * {@code group.consumer.session.timeout.ms} is removed, and one that does not revoke within its
 * rebalance timeout is fenced; either way its partitions move. A static member
 * ({@code group.instance.id}) leaving with epoch -2 keeps its partitions until it comes back with
 * a new member id and takes its place, or its session expires.
 *
 * <p>Every operation that changes the group decides its records and answer first, without changing
 * anything ({@link CoordinatorResult}); once {@code __consumer_offsets} has them, they are replayed
 * ({@link GroupMetadataManager#replay}) and the answer goes out. One operation of a group writes at
 * a time: the next decides on the state the last one left (the rest wait on the group's queue).
 */
public final class ConsumerGroupCoordinator {

    private static final Logger log = LoggerFactory.getLogger(ConsumerGroupCoordinator.class);

    private final GroupMetadataManager groups;
    private final GroupCoordinator classic;
    private final Clock clock;
    private final Scheduler scheduler;
    private final TopicsView topics;
    private final GroupSettings.ConsumerProtocol settings;
    private final Map<String, PartitionAssignor> assignors = new LinkedHashMap<>();
    private final Patterns patterns = new Patterns();

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

    public ConsumerGroupCoordinator(GroupCoordinator classic, Clock clock, Scheduler scheduler, TopicsView topics) {
        this.classic = classic;
        this.groups = classic.metadata();
        this.clock = clock;
        this.scheduler = scheduler;
        this.topics = topics;
        this.settings = groups.settings().consumer();
        settings.assignors().forEach(name -> assignors.put(name, PartitionAssignor.named(name)));
        groups.onLoaded(this::startTimers);
        groups.onUnloaded(g -> {
            if (g.consumer() != null) {
                g.consumer().cancelTimers();
            }
        });
    }

    // ---------------------------------------------------------------- ConsumerGroupHeartbeat

    public CompletableFuture<ConsumerHeartbeatResult> heartbeat(ConsumerHeartbeat r) {
        String invalid = invalidRequest(r);
        if (invalid != null) {
            return CompletableFuture.completedFuture(ConsumerHeartbeatResult.error(Errors.INVALID_REQUEST, invalid));
        }
        if (r.serverAssignor() != null && !assignors.containsKey(r.serverAssignor())) {
            return CompletableFuture.completedFuture(ConsumerHeartbeatResult.error(Errors.UNSUPPORTED_ASSIGNOR,
                    "ServerAssignor " + r.serverAssignor() + " is not supported; supported assignors: "
                            + String.join(", ", assignors.keySet())));
        }
        if (r.subscribedTopicRegex() != null && !r.subscribedTopicRegex().isEmpty()) {
            try {
                patterns.compile(r.subscribedTopicRegex());
            } catch (PatternSyntaxException e) {
                return CompletableFuture.completedFuture(ConsumerHeartbeatResult.error(Errors.INVALID_REGULAR_EXPRESSION,
                        "SubscribedTopicRegex `" + r.subscribedTopicRegex() + "` is not a valid regular expression: "
                                + e.getMessage() + "."));
            }
        }
        Errors error = groups.coordinatorError(r.groupId());
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(ConsumerHeartbeatResult.error(error, null));
        }
        ClassicGroup group = r.memberEpoch() == ConsumerHeartbeat.JOIN ? groups.getOrCreate(r.groupId())
                : groups.group(r.groupId());
        if (group == null) {
            return CompletableFuture.completedFuture(ConsumerHeartbeatResult.error(Errors.UNKNOWN_MEMBER_ID,
                    "Member " + r.memberId() + " is not a member of group " + r.groupId() + "."));
        }
        return serialized(group, e -> ConsumerHeartbeatResult.error(e, null), g -> decideHeartbeat(g, r),
                (g, answer) -> {
                    if (answer.error() == Errors.NONE) {
                        heard(g, r.memberId());
                    }
                });
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

    private CoordinatorResult<ConsumerHeartbeatResult> decideHeartbeat(ClassicGroup g, ConsumerHeartbeat r) {
        if (!g.isConsumerGroup() && !g.isEmpty()) {
            return refuse(Errors.GROUP_ID_NOT_FOUND, "Group " + g.groupId + " is not a consumer group.");
        }
        ConsumerGroup cg = g.isConsumerGroup() ? g.consumer() : new ConsumerGroup(clock.millis());
        if (r.memberEpoch() == ConsumerHeartbeat.LEAVE || r.memberEpoch() == ConsumerHeartbeat.STATIC_LEAVE) {
            return decideLeave(g, cg, r);
        }
        List<GroupRecord> records = new ArrayList<>();
        ConsumerGroup.Member member = cg.member(r.memberId());
        MemberAssignment current;
        GroupRecord.StoredConsumerMember previousMetadata = member == null ? null : member.metadata;
        PartitionSet replacedTarget = null;
        String replacedId = null;
        if (r.memberEpoch() == ConsumerHeartbeat.JOIN) {
            String replaced = cg.staticMemberId(r.instanceId());
            if (member == null && replaced != null) {
                ConsumerGroup.Member old = cg.member(replaced);
                if (old.assignment.memberEpoch() != ConsumerHeartbeat.STATIC_LEAVE) {
                    return refuse(Errors.UNRELEASED_INSTANCE_ID, "Static member " + replaced + " with instance id "
                            + r.instanceId() + " is still active in group " + g.groupId + ".");
                }
                // A static member back with a new member id: it takes the old one's place, assignment
                // and epoch, with no rebalance.
                records.addAll(memberTombstones(g.groupId, replaced));
                replacedId = replaced;
                previousMetadata = old.metadata;
                replacedTarget = cg.target(replaced);
                MemberAssignment away = old.assignment;
                current = new MemberAssignment(away.previousMemberEpoch(), away.previousMemberEpoch(),
                        MemberState.STABLE, away.assigned(), PartitionSet.EMPTY, away.assignedAt());
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
        GroupRecord.StoredConsumerMember metadata = updatedMetadata(previousMetadata, r);
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
            ConsumerHeartbeat r) {
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
                r.serverAssignor() != null ? r.serverAssignor() : p.serverAssignor());
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

    /** The records removing a member: its assignment, target and metadata, a new group epoch and target. */
    private List<GroupRecord> removal(ClassicGroup g, ConsumerGroup cg, String memberId) {
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
        long hash = 1125899906842597L;
        for (String name : new TreeSet<>(names)) {
            Optional<TopicsView.Topic> topic = topics.byName(name);
            hash = 31 * hash + name.hashCode();
            if (topic.isPresent()) {
                hash = 31 * hash + topic.get().id().hashCode();
                hash = 31 * hash + topic.get().partitions();
            } else {
                hash = 31 * hash - 1;
            }
        }
        return hash;
    }

    private static CoordinatorResult<ConsumerHeartbeatResult> refuse(Errors error, String message) {
        return new CoordinatorResult<>(List.of(), ConsumerHeartbeatResult.error(error, message));
    }

    // ---------------------------------------------------------------- timers

    /** After a heartbeat of {@code memberId}: its session restarts; revocation deadlines follow the states. */
    private void heard(ClassicGroup g, String memberId) {
        ConsumerGroup cg = g.consumer();
        if (cg == null) {
            return;
        }
        ConsumerGroup.Member member = cg.member(memberId);
        if (member != null) {
            restartSession(g, member);
        }
        updateRevocationDeadlines(g);
    }

    private void restartSession(ClassicGroup g, ConsumerGroup.Member member) {
        if (member.session != null) {
            member.session.cancel();
        }
        member.lastHeartbeatMs = clock.millis();
        member.session = scheduler.schedule("consumer-group-session", () -> g.queue.execute(() -> {
            ConsumerGroup cg = g.consumer();
            if (cg == null || cg.member(member.memberId) != member || groups.group(g.groupId) != g
                    || clock.millis() - member.lastHeartbeatMs < settings.sessionTimeoutMs()) {
                return;
            }
            remove(g, member, "member " + member.memberId + " has not sent a heartbeat for "
                    + settings.sessionTimeoutMs() + " ms");
        }), Duration.ofMillis(settings.sessionTimeoutMs()));
    }

    /** Members revoking partitions must do so within their rebalance timeout, else they are fenced. */
    private void updateRevocationDeadlines(ClassicGroup g) {
        for (ConsumerGroup.Member m : g.consumer().members()) {
            MemberAssignment a = m.assignment;
            boolean revoking = a.state() == MemberState.UNREVOKED_PARTITIONS;
            if (!revoking && m.revocation != null) {
                m.revocation.cancel();
                m.revocation = null;
            } else if (revoking && (m.revocation == null || m.revocationEpoch != a.memberEpoch())) {
                if (m.revocation != null) {
                    m.revocation.cancel();
                }
                int epoch = a.memberEpoch();
                m.revocationEpoch = epoch;
                int timeout = m.metadata == null ? settings.sessionTimeoutMs() : m.metadata.rebalanceTimeoutMs();
                m.revocation = scheduler.schedule("consumer-group-revocation", () -> g.queue.execute(() -> {
                    ConsumerGroup cg = g.consumer();
                    if (cg == null || cg.member(m.memberId) != m || groups.group(g.groupId) != g
                            || m.assignment.state() != MemberState.UNREVOKED_PARTITIONS
                            || m.assignment.memberEpoch() != epoch) {
                        return;
                    }
                    remove(g, m, "member " + m.memberId + " did not revoke " + m.assignment.pendingRevocation()
                            + " within its rebalance timeout of " + timeout + " ms");
                }), Duration.ofMillis(Math.max(0, timeout)));
            }
        }
    }

    /** Removes a member the coordinator gave up on (session expired, revocation overdue). */
    private void remove(ClassicGroup g, ConsumerGroup.Member member, String why) {
        serialized(g, e -> e, group -> {
            ConsumerGroup cg = group.consumer();
            if (cg == null || cg.member(member.memberId) != member) {
                return new CoordinatorResult<>(List.of(), Errors.NONE);
            }
            log.info("Removing {} from group {}: {}", member.memberId, g.groupId, why);
            return new CoordinatorResult<>(removal(group, cg, member.memberId), Errors.NONE);
        }, (group, e) -> {
            if (group.consumer() != null) {
                updateRevocationDeadlines(group);
            }
        });
    }

    /** A group just loaded: its members' sessions and deadlines run from now. */
    private void startTimers(ClassicGroup g) {
        ConsumerGroup cg = g.consumer();
        if (cg == null) {
            return;
        }
        for (ConsumerGroup.Member m : List.copyOf(cg.members())) {
            restartSession(g, m);
        }
        updateRevocationDeadlines(g);
    }

    // ---------------------------------------------------------------- ConsumerGroupDescribe

    /** A member as ConsumerGroupDescribe shows it. */
    public record MemberDescription(String memberId, String instanceId, String rackId, int memberEpoch,
            String clientId, String clientHost, List<String> subscribedTopicNames, String subscribedTopicRegex,
            PartitionSet assignment, PartitionSet targetAssignment) {
    }

    /** A group as ConsumerGroupDescribe shows it. */
    public record Description(Errors error, String errorMessage, String groupId, String state, int groupEpoch,
            int assignmentEpoch, String assignorName, List<MemberDescription> members) {

        static Description error(String groupId, Errors error, String message) {
            return new Description(error, message, groupId, "Dead", -1, -1, "", List.of());
        }
    }

    public CompletableFuture<Description> describe(String groupId) {
        Errors error = groups.coordinatorError(groupId);
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(Description.error(groupId, error, null));
        }
        ClassicGroup group = groups.group(groupId);
        if (group == null) {
            return CompletableFuture.completedFuture(Description.error(groupId, Errors.GROUP_ID_NOT_FOUND,
                    "Group " + groupId + " not found."));
        }
        return classic.<Description>onQueue(group, e -> Description.error(groupId,
                e == Errors.COORDINATOR_NOT_AVAILABLE ? Errors.GROUP_ID_NOT_FOUND : e, null), (g, respond) -> {
            ConsumerGroup cg = g.consumer();
            if (cg == null) {
                respond.accept(Description.error(groupId, Errors.GROUP_ID_NOT_FOUND,
                        "Group " + groupId + " is not a consumer group."));
                return;
            }
            List<MemberDescription> members = new ArrayList<>();
            for (ConsumerGroup.Member m : cg.members()) {
                GroupRecord.StoredConsumerMember md = m.metadata;
                if (md == null) {
                    continue;
                }
                members.add(new MemberDescription(m.memberId, md.instanceId(), md.rackId(), m.assignment.memberEpoch(),
                        md.clientId(), md.clientHost(), md.subscribedTopicNames(), md.subscribedTopicRegex(),
                        m.assignment.assigned(), cg.target(m.memberId)));
            }
            respond.accept(new Description(Errors.NONE, null, groupId, cg.stateName(), cg.groupEpoch(),
                    cg.assignmentEpoch(), assignorName(cg), members));
        });
    }

    // ---------------------------------------------------------------- one write at a time

    /** What to do once an operation's records are replayed (or it wrote none), before it answers. */
    @FunctionalInterface
    private interface AfterReplay<T> {
        void accept(ClassicGroup g, T answer);
    }

    /**
     * Runs {@code decide} on the group's queue once no other operation of the group is writing;
     * writes its records, replays them, runs {@code after}, and answers. A failed write answers
     * with its error and changes nothing.
     */
    private <T> CompletableFuture<T> serialized(ClassicGroup group, Function<Errors, T> failed,
            Function<ClassicGroup, CoordinatorResult<T>> decide, AfterReplay<T> after) {
        return classic.onQueue(group, failed, (g, respond) -> runOrWait(g, () -> run(g, failed, decide, after, respond)));
    }

    private static void runOrWait(ClassicGroup g, Runnable operation) {
        if (g.consumerWriteInFlight) {
            g.consumerWaiting.add(operation);
        } else {
            operation.run();
        }
    }

    private <T> void run(ClassicGroup g, Function<Errors, T> failed, Function<ClassicGroup, CoordinatorResult<T>> decide,
            AfterReplay<T> after, Consumer<T> respond) {
        if (groups.group(g.groupId) != g || g.is(GroupState.DEAD)) {
            respond.accept(failed.apply(Errors.COORDINATOR_NOT_AVAILABLE));
            return;
        }
        CoordinatorResult<T> result;
        try {
            result = decide.apply(g);
        } catch (RuntimeException e) {
            log.warn("A consumer group operation of {} failed", g, e);
            respond.accept(failed.apply(Errors.UNKNOWN_SERVER_ERROR));
            return;
        }
        if (result.records().isEmpty()) {
            after.accept(g, result.response());
            respond.accept(result.response());
            return;
        }
        g.consumerWriteInFlight = true;
        groups.writeMetadata(g, result.records()).whenComplete((error, e) -> {
            g.consumerWriteInFlight = false;
            try {
                if (e != null || error != Errors.NONE) {
                    respond.accept(failed.apply(e != null ? Errors.UNKNOWN_SERVER_ERROR : error));
                } else if (groups.group(g.groupId) != g) {
                    respond.accept(failed.apply(Errors.NOT_COORDINATOR));
                } else {
                    groups.replay(g, result.records());
                    after.accept(g, result.response());
                    respond.accept(result.response());
                }
            } finally {
                while (!g.consumerWriteInFlight && !g.consumerWaiting.isEmpty()) {
                    g.consumerWaiting.poll().run();
                }
            }
        });
    }
}
