package dev.runnel.broker.group;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Function;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.common.TopicPartition;

/**
 * Committed offsets: OffsetCommit, OffsetFetch and OffsetDelete, and the expiry of an empty
 * group's offsets after {@code offsets.retention.minutes}.
 *
 * <p>Members commit within their generation (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION and
 * FENCED_INSTANCE_ID otherwise; REBALANCE_IN_PROGRESS while the generation is being formed). A
 * commit with generation -1 to an empty or unknown group is a simple consumer's: it needs no
 * membership. A commit is acknowledged only once its records are on the ISR. A share group has no
 * committed offsets: OffsetCommit, OffsetFetch and OffsetDelete of one are GROUP_ID_NOT_FOUND, as
 * in Kafka (its share partitions' state is the share coordinator's: {@link ShareGroupOffsets}).
 */
public final class GroupOffsets {

    private static final Logger log = LoggerFactory.getLogger(GroupOffsets.class);

    private final GroupCoordinator coordinator;
    private final GroupMetadataManager groups;
    private final Clock clock;
    private final Function<byte[], Set<String>> subscribedTopics;
    private final Function<String, UUID> topicIds;
    private final LongAdder commits = new LongAdder();

    /**
     * @param subscribedTopics the topics a consumer member's subscription metadata names (for
     *                         OffsetDelete, which must not delete what a member consumes)
     */
    public GroupOffsets(GroupCoordinator coordinator, Clock clock, Function<byte[], Set<String>> subscribedTopics) {
        this(coordinator, clock, subscribedTopics, name -> null);
    }

    /**
     * @param topicIds a topic's id by name, or null (to check a consumer group member's commit
     *                 against the epochs its partitions were assigned at)
     */
    public GroupOffsets(GroupCoordinator coordinator, Clock clock, Function<byte[], Set<String>> subscribedTopics,
            Function<String, UUID> topicIds) {
        this.coordinator = coordinator;
        this.groups = coordinator.metadata();
        this.clock = clock;
        this.subscribedTopics = subscribedTopics;
        this.topicIds = topicIds;
    }

    /** Offsets committed since this broker began (a metric). */
    public long commits() {
        return commits.sum();
    }

    /** An offset to commit as the request gives it; the coordinator stamps the time. */
    public record Commit(long offset, int leaderEpoch, String metadata, long retentionMs) {
    }

    /** Each partition's outcome, or the whole request's error. */
    public record CommitResult(Errors error, Map<TopicPartition, Errors> partitions) {
    }

    public CompletableFuture<CommitResult> commit(String groupId, int generationId, String memberId, String instanceId,
            Map<TopicPartition, Commit> offsets) {
        Errors error = groups.coordinatorError(groupId);
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(new CommitResult(error, Map.of()));
        }
        ClassicGroup group = groups.group(groupId);
        if (group == null && generationId >= 0) {
            return CompletableFuture.completedFuture(new CommitResult(Errors.ILLEGAL_GENERATION, Map.of()));
        }
        if (group == null) {
            group = groups.getOrCreate(groupId);
        }
        return coordinator.<CommitResult>onQueue(group, e -> new CommitResult(e, Map.of()), (g, respond) -> {
            if (g.isShareGroup()) {
                respond.accept(new CommitResult(Errors.GROUP_ID_NOT_FOUND, Map.of()));
                return;
            }
            Errors invalid = Errors.NONE;
            boolean simple = generationId < 0 && g.is(GroupState.EMPTY)
                    && (!g.isConsumerGroup() || g.consumer().isEmpty());
            if (g.isConsumerGroup() && !simple) {
                // A consumer group's member commits with its member epoch (KIP-848).
                ConsumerGroup.Member member = g.consumer().member(memberId);
                // A classic member's generation is its member epoch; a stale one is ILLEGAL_GENERATION to it.
                invalid = member == null ? Errors.UNKNOWN_MEMBER_ID
                        : commitEpochIsValid(member.assignment, generationId, offsets.keySet()) ? Errors.NONE
                        : member.metadata != null && member.metadata.isClassic() ? Errors.ILLEGAL_GENERATION
                        : Errors.STALE_MEMBER_EPOCH;
                respondOrCommit(g, invalid, offsets, respond);
                return;
            }
            if (!simple) {
                if (g.is(GroupState.COMPLETING_REBALANCE)) {
                    invalid = Errors.REBALANCE_IN_PROGRESS;
                } else {
                    invalid = GroupCoordinator.validateMember(g, memberId, instanceId);
                    if (invalid == Errors.NONE && generationId != g.generationId()) {
                        invalid = Errors.ILLEGAL_GENERATION;
                    }
                }
            }
            if (invalid == Errors.NONE && !simple) {
                coordinator.heartbeat(g, g.member(memberId));
            }
            respondOrCommit(g, invalid, offsets, respond);
        });
    }

    /**
     * Whether a consumer group member may commit {@code partitions} with {@code epoch}: its current
     * epoch, or (KIP-1251) an older one if it has owned each partition since that epoch, so a
     * commit sent just before a heartbeat bumped its epoch still counts. Partitions are matched by
     * topic name through the ids the assignment knows.
     */
    private boolean commitEpochIsValid(MemberAssignment a, int epoch, Collection<TopicPartition> partitions) {
        if (epoch == a.memberEpoch()) {
            return true;
        }
        if (epoch > a.memberEpoch() || epoch < 0) {
            return false;
        }
        for (TopicPartition tp : partitions) {
            UUID topic = topicIds.apply(tp.topic());
            int assignedAt = topic == null ? -1 : a.assignedAt(topic, tp.partition());
            if (assignedAt < 0 || assignedAt > epoch) {
                return false;
            }
        }
        return true;
    }

    /** Answers {@code invalid}, or commits the offsets and answers each partition's outcome. */
    private void respondOrCommit(ClassicGroup g, Errors invalid, Map<TopicPartition, Commit> offsets,
            Consumer<CommitResult> respond) {
        if (invalid != Errors.NONE) {
            respond.accept(new CommitResult(invalid, Map.of()));
            return;
        }
        long now = clock.millis();
        Map<TopicPartition, OffsetAndMetadata> stamped = new LinkedHashMap<>();
        offsets.forEach((tp, c) -> stamped.put(tp, new OffsetAndMetadata(c.offset(), c.leaderEpoch(), c.metadata(),
                now, c.retentionMs() >= 0 ? now + c.retentionMs() : -1)));
        commitOffsets(g, stamped).thenAccept(results -> {
            commits.add(results.values().stream().filter(e -> e == Errors.NONE).count());
            respond.accept(new CommitResult(Errors.NONE, results));
        });
    }

    /** The records of a commit, and each partition's outcome if they are written. */
    private CoordinatorResult<Map<TopicPartition, Errors>> commitRecords(ClassicGroup g,
            Map<TopicPartition, OffsetAndMetadata> commits) {
        Map<TopicPartition, Errors> results = new LinkedHashMap<>();
        List<GroupRecord> records = new ArrayList<>();
        commits.forEach((tp, o) -> {
            if (o.metadata().length() > groups.settings().maxMetadataBytes()) {
                results.put(tp, Errors.OFFSET_METADATA_TOO_LARGE);
            } else {
                results.put(tp, Errors.NONE);
                records.add(GroupRecord.offsetCommit(g.groupId, tp, o));
            }
        });
        return new CoordinatorResult<>(records, results);
    }

    /**
     * Writes committed offsets and replays them into the group once the ISR has them (unless the
     * group died meanwhile: NOT_COORDINATOR). Completes on the group's queue with each partition's error.
     */
    private CompletableFuture<Map<TopicPartition, Errors>> commitOffsets(ClassicGroup g,
            Map<TopicPartition, OffsetAndMetadata> commits) {
        CoordinatorResult<Map<TopicPartition, Errors>> commit = commitRecords(g, commits);
        if (commit.records().isEmpty()) {
            return CompletableFuture.completedFuture(commit.response());
        }
        g.offsetWriteStarted();
        return groups.writeOffsets(g, commit.records()).thenApply(w -> {
            g.offsetWriteFinished();
            boolean dead = g.is(GroupState.DEAD);
            if (w.error() == Errors.NONE && !dead) {
                groups.replay(g, commit.records(), w.baseOffset(), GroupLog.NO_PRODUCER_ID);
            }
            Errors written = w.error() == Errors.NONE && dead ? Errors.NOT_COORDINATOR : w.error();
            Map<TopicPartition, Errors> results = new LinkedHashMap<>(commit.response());
            commit.records().forEach(r -> results.put(((GroupRecord.OffsetCommit) r).partition(), written));
            return results;
        });
    }

    /**
     * Deletes offsets (OffsetDelete, expiry), committed and pending in open transactions alike, and
     * replays the deletion once the ISR has it.
     */
    private CompletableFuture<Errors> deleteOffsets(ClassicGroup g, Collection<TopicPartition> partitions) {
        List<GroupRecord> tombstones = partitions.stream().map(tp -> GroupRecord.offsetTombstone(g.groupId, tp)).toList();
        if (tombstones.isEmpty()) {
            return CompletableFuture.completedFuture(Errors.NONE);
        }
        return groups.writeOffsets(g, tombstones).thenApply(w -> {
            if (w.error() == Errors.NONE) {
                groups.replay(g, tombstones);
            }
            return w.error();
        });
    }

    /**
     * A group's committed offsets (only those asked for, or all), or why they cannot be read here;
     * {@code unstable}: the partitions asked for whose offset an open transaction may still change
     * (only when stable offsets were required: OffsetFetch answers UNSTABLE_OFFSET_COMMIT for them).
     */
    public record FetchResult(Errors error, Map<TopicPartition, OffsetAndMetadata> offsets,
            Set<TopicPartition> unstable) {

        public FetchResult {
            unstable = Set.copyOf(unstable);
        }

        public FetchResult(Errors error, Map<TopicPartition, OffsetAndMetadata> offsets) {
            this(error, offsets, Set.of());
        }
    }

    /** The committed offsets of {@code partitions} (null for all of them); a partition without one is absent. */
    public CompletableFuture<FetchResult> fetch(String groupId, Collection<TopicPartition> partitions) {
        return fetch(groupId, partitions, false);
    }

    /**
     * {@link #fetch(String, Collection)}, and with {@code requireStable} (OffsetFetch v7+ RequireStable,
     * read_committed consumers) the partitions an open transaction holds an offset for are unstable:
     * among those asked for, or among the committed ones when all are asked for, as Kafka does.
     */
    public CompletableFuture<FetchResult> fetch(String groupId, Collection<TopicPartition> partitions,
            boolean requireStable) {
        return fetch(groupId, partitions, requireStable, null, -1);
    }

    /**
     * {@link #fetch(String, Collection, boolean)} for a member of a consumer group (OffsetFetch v9,
     * KIP-848): with a member epoch other than -1, the member must be the group's
     * (UNKNOWN_MEMBER_ID) at that epoch (STALE_MEMBER_EPOCH), as Kafka checks; epoch -1 (the admin
     * client, a consumer using {@code assign()}) reads without membership.
     */
    public CompletableFuture<FetchResult> fetch(String groupId, Collection<TopicPartition> partitions,
            boolean requireStable, String memberId, int memberEpoch) {
        Errors error = groups.coordinatorError(groupId);
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(new FetchResult(error, Map.of()));
        }
        ClassicGroup group = groups.group(groupId);
        if (group == null) {
            return CompletableFuture.completedFuture(new FetchResult(Errors.NONE, Map.of()));
        }
        return coordinator.<FetchResult>onQueue(group, e -> e == Errors.COORDINATOR_NOT_AVAILABLE
                ? new FetchResult(Errors.NONE, Map.of()) : new FetchResult(e, Map.of()), (g, respond) -> {
            if (g.isShareGroup()) {
                respond.accept(new FetchResult(Errors.GROUP_ID_NOT_FOUND, Map.of()));
                return;
            }
            if (g.isConsumerGroup() && memberEpoch != -1) {
                ConsumerGroup.Member member = g.consumer().member(memberId);
                Errors invalid = member == null ? Errors.UNKNOWN_MEMBER_ID
                        : memberEpoch != member.assignment.memberEpoch() ? Errors.STALE_MEMBER_EPOCH : Errors.NONE;
                if (invalid != Errors.NONE) {
                    respond.accept(new FetchResult(invalid, Map.of()));
                    return;
                }
            }
            Map<TopicPartition, OffsetAndMetadata> found = new LinkedHashMap<>();
            if (partitions == null) {
                found.putAll(g.offsets());
            } else {
                for (TopicPartition tp : partitions) {
                    OffsetAndMetadata o = g.offsets().get(tp);
                    if (o != null) {
                        found.put(tp, o);
                    }
                }
            }
            Set<TopicPartition> unstable = new HashSet<>();
            if (requireStable && g.offsetStore().hasPending()) {
                (partitions == null ? found.keySet() : partitions).stream()
                        .filter(tp -> g.offsetStore().isPending(tp)).forEach(unstable::add);
            }
            respond.accept(new FetchResult(Errors.NONE, found, unstable));
        });
    }

    /**
     * Deletes committed offsets of topics no member of the group consumes
     * (GROUP_SUBSCRIBED_TO_TOPIC for the others).
     */
    public CompletableFuture<CommitResult> delete(String groupId, Collection<TopicPartition> partitions) {
        Errors error = groups.coordinatorError(groupId);
        ClassicGroup group = error == Errors.NONE ? groups.group(groupId) : null;
        if (error == Errors.NONE && group == null) {
            error = Errors.GROUP_ID_NOT_FOUND;
        }
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(new CommitResult(error, Map.of()));
        }
        return coordinator.<CommitResult>onQueue(group, e -> new CommitResult(e, Map.of()), (g, respond) -> {
            if (g.isShareGroup()) {
                respond.accept(new CommitResult(Errors.GROUP_ID_NOT_FOUND, Map.of()));
                return;
            }
            Set<String> subscribed = subscribedTopics(g);
            List<Pattern> patterns = subscribedPatterns(g);
            Map<TopicPartition, Errors> results = new LinkedHashMap<>();
            List<TopicPartition> deletable = new ArrayList<>();
            for (TopicPartition tp : partitions) {
                if (subscribed.contains(tp.topic()) || patterns.stream().anyMatch(p -> p.matches(tp.topic()))) {
                    results.put(tp, Errors.GROUP_SUBSCRIBED_TO_TOPIC);
                } else {
                    results.put(tp, Errors.NONE);
                    if (g.offsets().containsKey(tp) || g.offsetStore().isPending(tp)) {
                        deletable.add(tp);
                    }
                }
            }
            deleteOffsets(g, deletable).thenAccept(written -> {
                if (written != Errors.NONE) {
                    deletable.forEach(tp -> results.put(tp, written));
                }
                respond.accept(new CommitResult(Errors.NONE, results));
            });
        });
    }

    /** The regular expressions a consumer group's members subscribe to (RE2 syntax, matched in full). */
    private static List<Pattern> subscribedPatterns(ClassicGroup g) {
        if (!g.isConsumerGroup()) {
            return List.of();
        }
        List<Pattern> patterns = new ArrayList<>();
        for (ConsumerGroup.Member m : g.consumer().members()) {
            if (m.metadata != null && m.metadata.subscribedTopicRegex() != null) {
                try {
                    patterns.add(Pattern.compile(m.metadata.subscribedTopicRegex()));
                } catch (PatternSyntaxException e) {
                    // checked when subscribed: a stored one that does not compile matches nothing
                }
            }
        }
        return patterns;
    }

    private Set<String> subscribedTopics(ClassicGroup g) {
        Set<String> topics = new HashSet<>();
        if (g.isConsumerGroup()) {
            g.consumer().members().stream().filter(m -> m.metadata != null)
                    .forEach(m -> topics.addAll(m.metadata.subscribedTopicNames()));
            return topics;
        }
        if (g.isEmpty() || !"consumer".equals(g.protocolType()) || g.protocolName() == null) {
            return topics;
        }
        for (GroupMember m : g.members()) {
            try {
                topics.addAll(subscribedTopics.apply(m.metadata(g.protocolName())));
            } catch (RuntimeException e) {
                log.debug("Cannot read the subscription of {} in {}: {}", m.memberId, g.groupId, e.getMessage());
            }
        }
        return topics;
    }

    /**
     * Expires the offsets of empty groups older than {@code offsets.retention.minutes} (counted from
     * when the group became empty, or from a v2-v4 commit's own expiry time), and forgets empty
     * groups that have nothing left. An offset an open transaction may still replace stays, and so
     * does a group with offsets in open transactions, until the transactions end.
     */
    public void expireOffsets() {
        long retention = groups.settings().offsetsRetention().toMillis();
        for (ClassicGroup group : List.copyOf(groups.groups())) {
            group.queue.execute(() -> {
                if (groups.group(group.groupId) != group || !group.is(GroupState.EMPTY) || group.hasOffsetWritesInFlight()
                        || (group.isConsumerGroup() && !group.consumer().isEmpty()) || group.isShareGroup()) {
                    // A share group has no offsets to expire, and stays until DeleteGroups, as in Kafka.
                    return;
                }
                long now = clock.millis();
                Map<TopicPartition, OffsetAndMetadata> expired = new HashMap<>();
                group.offsets().forEach((tp, o) -> {
                    long expiresAt = o.expireTimestamp() >= 0 ? o.expireTimestamp()
                            : Math.max(o.commitTimestamp(), group.emptySinceMs()) + retention;
                    if (now >= expiresAt && !group.offsetStore().isPending(tp)) {
                        expired.put(tp, o);
                    }
                });
                if (expired.isEmpty() && !group.offsetStore().isEmpty()) {
                    return;
                }
                CompletableFuture<Errors> deleted = deleteOffsets(group, expired.keySet());
                deleted.thenAccept(error -> {
                    if (error != Errors.NONE) {
                        log.warn("Cannot expire the offsets of {}: {}", group, error);
                        return;
                    }
                    if (!expired.isEmpty()) {
                        log.info("Expired {} offsets of group {}", expired.size(), group.groupId);
                    }
                    if (group.is(GroupState.EMPTY) && group.offsetStore().isEmpty() && !group.hasOffsetWritesInFlight()
                            && (!group.isConsumerGroup() || (group.consumer().isEmpty() && !group.writes().isWriting()))) {
                        groups.deleteGroup(group).thenAccept(e -> {
                            if (e == Errors.NONE) {
                                log.info("Removed the empty group {}: it has no offsets left", group.groupId);
                            }
                        });
                    }
                });
            });
        }
    }
}
