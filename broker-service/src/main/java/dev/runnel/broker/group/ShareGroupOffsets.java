package dev.runnel.broker.group;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.sharestate.ShareStatePersister;

/**
 * A share group's offsets for admins (KIP-932): DescribeShareGroupOffsets (each share
 * partition's start offset, leader epoch and lag), AlterShareGroupOffsets and
 * DeleteShareGroupOffsets (only while the group is empty), and the deletion of a share group's
 * state when the group is deleted. The state lives in the share coordinator, reached through the
 * {@link ShareStatePersister}; the group records which share partitions it has state for (its
 * state partitions, Kafka's ShareGroupStatePartitionMetadata), and that record is what "all the
 * group's offsets" means.
 *
 * <p>The persister is called off the group's queue; the record is then written as any other
 * share group write ({@link GroupWrites}). A member joining while an alteration or deletion is
 * under way is not refused: the empty-group check is made before the persister calls, as Kafka
 * makes it before its share coordinator calls.
 */
public final class ShareGroupOffsets {

    /** The high watermark of a topic partition, from its leader; -1 when it cannot be had. */
    @FunctionalInterface
    public interface HighWatermarks {
        CompletableFuture<Long> highWatermark(String topic, int partition);
    }

    /** One share partition's offsets; {@code lag} -1 when unknown. */
    public record PartitionOffsets(int partition, long startOffset, int leaderEpoch, long lag, Errors error,
            String errorMessage) {

        static PartitionOffsets failed(int partition, Errors error, String message) {
            return new PartitionOffsets(partition, -1, -1, -1, error, message);
        }
    }

    /** A topic's share partitions ({@code topicId} null if the topic does not exist). */
    public record TopicOffsets(String topic, UUID topicId, List<PartitionOffsets> partitions) {
    }

    /** One group's answer to DescribeShareGroupOffsets. */
    public record GroupOffsets(String groupId, Errors error, String errorMessage, List<TopicOffsets> topics) {
    }

    /** A partition's outcome of an alteration. */
    public record PartitionResult(int partition, Errors error, String errorMessage) {
    }

    /** A topic's outcome of an alteration or a deletion ({@code partitions} empty for a deletion). */
    public record TopicResult(String topic, UUID topicId, Errors error, String errorMessage,
            List<PartitionResult> partitions) {
    }

    /** The answer to AlterShareGroupOffsets or DeleteShareGroupOffsets. */
    public record Result(Errors error, String errorMessage, List<TopicResult> topics) {

        static Result failed(Errors error, String message) {
            return new Result(error, message, List.of());
        }
    }

    private final GroupCoordinator classic;
    private final GroupMetadataManager groups;
    private final TopicsView topics;
    private final Supplier<ShareStatePersister> persister;
    private final HighWatermarks highWatermarks;
    private final GroupWrites writes;

    /**
     * @param persister the share coordinator's persister, looked up at each call: until there is
     *                  one, the admin APIs answer COORDINATOR_NOT_AVAILABLE
     */
    public ShareGroupOffsets(GroupCoordinator classic, TopicsView topics, Supplier<ShareStatePersister> persister,
            HighWatermarks highWatermarks) {
        this.classic = classic;
        this.groups = classic.metadata();
        this.topics = topics;
        this.persister = persister;
        this.highWatermarks = highWatermarks;
        this.writes = new GroupWrites(classic);
    }

    // ---------------------------------------------------------------- describe

    /**
     * The start offsets of the group's share partitions: of {@code requested} (topic name to
     * partitions), or of every partition the group has state for if it is null.
     */
    public CompletableFuture<GroupOffsets> describe(String groupId, Map<String, List<Integer>> requested) {
        return describe(groupId, requested, topic -> true);
    }

    /**
     * As {@link #describe(String, Map)}, every partition the group has state for being only those of
     * the topics {@code visible} accepts (those the caller may describe).
     */
    public CompletableFuture<GroupOffsets> describe(String groupId, Map<String, List<Integer>> requested,
            Predicate<String> visible) {
        return shareGroup(groupId, false, error -> new GroupOffsets(groupId, error.error(), error.errorMessage(),
                List.of())).thenCompose(found -> {
                    if (found.failure != null) {
                        return CompletableFuture.completedFuture(found.failure);
                    }
                    Map<String, List<Integer>> wanted = requested != null ? requested : allPartitions(found.state);
                    if (requested == null) {
                        wanted.keySet().removeIf(visible.negate());
                    }
                    List<CompletableFuture<TopicOffsets>> each = new ArrayList<>();
                    wanted.forEach((topic, partitions) -> each.add(describeTopic(found.persister, groupId, topic, partitions)));
                    return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).thenApply(v ->
                            new GroupOffsets(groupId, Errors.NONE, null,
                                    each.stream().map(CompletableFuture::join).toList()));
                });
    }

    private Map<String, List<Integer>> allPartitions(Map<UUID, GroupRecord.ShareTopicPartitions> state) {
        Map<String, List<Integer>> all = new TreeMap<>();
        state.forEach((id, t) -> topics.byId(id).ifPresent(topic -> all.put(topic.name(), t.partitions())));
        return all;
    }

    private CompletableFuture<TopicOffsets> describeTopic(ShareStatePersister persister, String groupId, String name, List<Integer> partitions) {
        Optional<TopicsView.Topic> topic = topics.byName(name);
        if (topic.isEmpty()) {
            return CompletableFuture.completedFuture(new TopicOffsets(name, null, partitions.stream()
                    .map(p -> PartitionOffsets.failed(p, Errors.UNKNOWN_TOPIC_OR_PARTITION, null)).toList()));
        }
        UUID id = topic.get().id();
        List<CompletableFuture<PartitionOffsets>> each = new ArrayList<>();
        for (int p : partitions) {
            if (p < 0 || p >= topic.get().partitions()) {
                each.add(CompletableFuture.completedFuture(PartitionOffsets.failed(p, Errors.UNKNOWN_TOPIC_OR_PARTITION,
                        null)));
                continue;
            }
            each.add(persister.readSummary(key(groupId, id, p)).handle((summary, e) -> {
                if (e != null) {
                    return CompletableFuture.completedFuture(PartitionOffsets.failed(p, error(e), message(e)));
                }
                if (summary.isEmpty()) {
                    return CompletableFuture.completedFuture(new PartitionOffsets(p, -1, -1, -1, Errors.NONE, null));
                }
                ShareStatePersister.Summary s = summary.get();
                if (s.startOffset() < 0) {
                    return CompletableFuture.completedFuture(new PartitionOffsets(p, s.startOffset(), s.leaderEpoch(),
                            -1, Errors.NONE, null));
                }
                return highWatermarks.highWatermark(name, p).exceptionally(failure -> -1L).thenApply(hw ->
                        new PartitionOffsets(p, s.startOffset(), s.leaderEpoch(),
                                hw < 0 ? -1 : Math.max(0, hw - s.startOffset() - s.deliveryCompleteCount()),
                                Errors.NONE, null));
            }).thenCompose(offsets -> offsets));
        }
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
                .thenApply(v -> new TopicOffsets(name, id, each.stream().map(CompletableFuture::join).toList()));
    }

    // ---------------------------------------------------------------- alter

    /**
     * Sets the start offsets of an empty share group's partitions ({@code offsets}: topic name to
     * partition to start offset): each share partition's state is initialized afresh at the next
     * state epoch, and the partitions join the group's state partitions.
     */
    public CompletableFuture<Result> alter(String groupId, Map<String, Map<Integer, Long>> offsets) {
        return shareGroup(groupId, true, e -> e).thenCompose(found -> {
            if (found.failure != null) {
                return CompletableFuture.completedFuture(found.failure);
            }
            List<CompletableFuture<TopicResult>> each = new ArrayList<>();
            offsets.forEach((name, byPartition) -> each.add(alterTopic(found.persister, groupId, name, byPartition)));
            return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).thenCompose(v -> {
                List<TopicResult> results = each.stream().map(CompletableFuture::join).toList();
                Map<UUID, GroupRecord.ShareTopicPartitions> done = new TreeMap<>();
                for (TopicResult t : results) {
                    List<Integer> ok = t.partitions().stream().filter(p -> p.error() == Errors.NONE)
                            .map(PartitionResult::partition).toList();
                    if (t.topicId() != null && !ok.isEmpty()) {
                        done.put(t.topicId(), new GroupRecord.ShareTopicPartitions(t.topicId(), t.topic(), ok));
                    }
                }
                return updateStatePartitions(groupId, sp -> added(sp, done)).thenApply(error -> error == Errors.NONE
                        ? new Result(Errors.NONE, null, results) : Result.failed(error, null));
            });
        });
    }

    private CompletableFuture<TopicResult> alterTopic(ShareStatePersister persister, String groupId, String name, Map<Integer, Long> offsets) {
        Optional<TopicsView.Topic> topic = topics.byName(name);
        if (topic.isEmpty()) {
            return CompletableFuture.completedFuture(new TopicResult(name, null, Errors.NONE, null, offsets.keySet()
                    .stream().map(p -> new PartitionResult(p, Errors.UNKNOWN_TOPIC_OR_PARTITION, null)).toList()));
        }
        UUID id = topic.get().id();
        List<CompletableFuture<PartitionResult>> each = new ArrayList<>();
        new TreeMap<>(offsets).forEach((p, offset) -> {
            if (p < 0 || p >= topic.get().partitions()) {
                each.add(CompletableFuture.completedFuture(new PartitionResult(p, Errors.UNKNOWN_TOPIC_OR_PARTITION,
                        null)));
            } else if (offset < 0) {
                each.add(CompletableFuture.completedFuture(new PartitionResult(p, Errors.INVALID_REQUEST,
                        "The start offset " + offset + " is negative.")));
            } else {
                ShareStatePersister.Key key = key(groupId, id, p);
                each.add(persister.readSummary(key)
                        .thenCompose(summary -> persister.initialize(key, summary.map(s -> s.stateEpoch() + 1).orElse(1),
                                offset))
                        .handle((v, e) -> e == null ? new PartitionResult(p, Errors.NONE, null)
                                : new PartitionResult(p, error(e), message(e))));
            }
        });
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).thenApply(v -> new TopicResult(name, id,
                Errors.NONE, null, each.stream().map(CompletableFuture::join).toList()));
    }

    // ---------------------------------------------------------------- delete

    /**
     * Deletes the state of an empty share group's partitions of {@code topicNames}; a topic the
     * group has no state for is UNKNOWN_TOPIC_OR_PARTITION.
     */
    public CompletableFuture<Result> delete(String groupId, List<String> topicNames) {
        return shareGroup(groupId, true, e -> e).thenCompose(found -> {
            if (found.failure != null) {
                return CompletableFuture.completedFuture(found.failure);
            }
            List<CompletableFuture<TopicResult>> each = new ArrayList<>();
            for (String name : new TreeSet<>(topicNames)) {
                Optional<TopicsView.Topic> topic = topics.byName(name);
                GroupRecord.ShareTopicPartitions state = topic.map(t -> found.state.get(t.id())).orElse(null);
                if (state == null) {
                    each.add(CompletableFuture.completedFuture(new TopicResult(name, topic.map(TopicsView.Topic::id)
                            .orElse(null), Errors.UNKNOWN_TOPIC_OR_PARTITION, topic.isEmpty() ? null
                            : "The share group has no offsets of topic " + name + ".", List.of())));
                    continue;
                }
                each.add(deleteState(found.persister, groupId, state).thenApply(error -> new TopicResult(name, state.topicId(),
                        error == null ? Errors.NONE : error(error), error == null ? null : message(error), List.of())));
            }
            return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).thenCompose(v -> {
                List<TopicResult> results = each.stream().map(CompletableFuture::join).toList();
                List<UUID> deleted = results.stream().filter(t -> t.error() == Errors.NONE).map(TopicResult::topicId)
                        .toList();
                return updateStatePartitions(groupId, sp -> removed(sp, deleted)).thenApply(error ->
                        error == Errors.NONE ? new Result(Errors.NONE, null, results) : Result.failed(error, null));
            });
        });
    }

    /**
     * Deletes every share partition's state the group has (DeleteGroups of a share group):
     * completes with NONE, or the first failure's error.
     */
    CompletableFuture<Errors> deleteAllState(String groupId, Map<UUID, GroupRecord.ShareTopicPartitions> state) {
        ShareStatePersister persister = this.persister.get();
        if (persister == null) {
            return CompletableFuture.completedFuture(Errors.COORDINATOR_NOT_AVAILABLE);
        }
        List<CompletableFuture<Throwable>> each = state.values().stream().map(t -> deleteState(persister, groupId, t))
                .toList();
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).thenApply(v -> each.stream()
                .map(CompletableFuture::join).filter(e -> e != null).findFirst().map(ShareGroupOffsets::error)
                .orElse(Errors.NONE));
    }

    /** Deletes the state of a topic's share partitions; completes with the first failure, or null. */
    private CompletableFuture<Throwable> deleteState(ShareStatePersister persister, String groupId, GroupRecord.ShareTopicPartitions topic) {
        List<CompletableFuture<Void>> each = topic.partitions().stream()
                .map(p -> persister.delete(key(groupId, topic.topicId(), p))).toList();
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).handle((v, e) -> e);
    }

    // ---------------------------------------------------------------- the group and its record

    /** The group's state partitions, looked up on its queue, or the answer to give instead. */
    private record Found<T>(Map<UUID, GroupRecord.ShareTopicPartitions> state, ShareStatePersister persister,
            T failure) {
    }

    private <T> CompletableFuture<Found<T>> shareGroup(String groupId, boolean mustBeEmpty, Function<Result, T> failed) {
        Errors error = groups.coordinatorError(groupId);
        if (error != Errors.NONE) {
            return CompletableFuture.completedFuture(new Found<>(null, null, failed.apply(Result.failed(error, null))));
        }
        ShareStatePersister persister = this.persister.get();
        if (persister == null) {
            return CompletableFuture.completedFuture(new Found<>(null, null, failed.apply(Result.failed(
                    Errors.COORDINATOR_NOT_AVAILABLE, "The share coordinator is not available."))));
        }
        ClassicGroup group = groups.group(groupId);
        if (group == null) {
            return CompletableFuture.completedFuture(new Found<>(null, null, failed.apply(Result.failed(
                    Errors.GROUP_ID_NOT_FOUND, "Group " + groupId + " not found."))));
        }
        return classic.onQueue(group, e -> new Found<>(null, null, failed.apply(Result.failed(
                e == Errors.COORDINATOR_NOT_AVAILABLE ? Errors.GROUP_ID_NOT_FOUND : e, null))), (g, respond) -> {
            if (!g.isShareGroup()) {
                respond.accept(new Found<>(null, null, failed.apply(Result.failed(Errors.GROUP_ID_NOT_FOUND,
                        ShareHeartbeats.isOtherType(g) ? "Group " + groupId + " is not a share group."
                                : "Group " + groupId + " not found."))));
            } else if (mustBeEmpty && (!g.share().isEmpty() || g.writes().isWriting())) {
                respond.accept(new Found<>(null, null, failed.apply(Result.failed(Errors.NON_EMPTY_GROUP,
                        "The group " + groupId + " is not empty."))));
            } else {
                respond.accept(new Found<>(g.share().initialized(), persister, null));
            }
        });
    }

    /** Writes the group's state partitions as {@code change} makes them, if it changes them. */
    private CompletableFuture<Errors> updateStatePartitions(String groupId,
            Function<GroupRecord.StoredShareStatePartitions, GroupRecord.StoredShareStatePartitions> change) {
        ClassicGroup group = groups.group(groupId);
        if (group == null) {
            return CompletableFuture.completedFuture(Errors.GROUP_ID_NOT_FOUND);
        }
        return writes.serialized(group, e -> e, g -> {
            if (!g.isShareGroup()) {
                return new CoordinatorResult<>(List.of(), Errors.GROUP_ID_NOT_FOUND);
            }
            GroupRecord.StoredShareStatePartitions before = g.share().statePartitions();
            GroupRecord.StoredShareStatePartitions after = change.apply(before);
            return new CoordinatorResult<>(after.equals(before) ? List.of()
                    : List.of(new GroupRecord.ShareStatePartitions(g.groupId, after)), Errors.NONE);
        }, (g, e) -> { });
    }

    private static GroupRecord.StoredShareStatePartitions added(GroupRecord.StoredShareStatePartitions sp,
            Map<UUID, GroupRecord.ShareTopicPartitions> topics) {
        Map<UUID, GroupRecord.ShareTopicPartitions> initialized = new LinkedHashMap<>();
        sp.initialized().forEach(t -> initialized.put(t.topicId(), t));
        topics.forEach((id, t) -> initialized.merge(id, t, (a, b) -> {
            TreeSet<Integer> partitions = new TreeSet<>(a.partitions());
            partitions.addAll(b.partitions());
            return new GroupRecord.ShareTopicPartitions(id, b.topicName(), List.copyOf(partitions));
        }));
        List<GroupRecord.ShareTopicPartitions> initializing = new ArrayList<>();
        for (GroupRecord.ShareTopicPartitions t : sp.initializing()) {
            GroupRecord.ShareTopicPartitions set = topics.get(t.topicId());
            List<Integer> still = set == null ? t.partitions()
                    : t.partitions().stream().filter(p -> !set.partitions().contains(p)).toList();
            if (!still.isEmpty()) {
                initializing.add(new GroupRecord.ShareTopicPartitions(t.topicId(), t.topicName(), still));
            }
        }
        return new GroupRecord.StoredShareStatePartitions(initializing, List.copyOf(initialized.values()),
                sp.deleting().stream().filter(t -> !topics.containsKey(t.topicId())).toList());
    }

    private static GroupRecord.StoredShareStatePartitions removed(GroupRecord.StoredShareStatePartitions sp,
            List<UUID> topics) {
        return new GroupRecord.StoredShareStatePartitions(
                sp.initializing().stream().filter(t -> !topics.contains(t.topicId())).toList(),
                sp.initialized().stream().filter(t -> !topics.contains(t.topicId())).toList(), sp.deleting());
    }

    /** The persister's key of a share partition (Kafka's topic id type). */
    static ShareStatePersister.Key key(String groupId, UUID topic, int partition) {
        return new ShareStatePersister.Key(groupId, new Uuid(topic.getMostSignificantBits(),
                topic.getLeastSignificantBits()), partition);
    }

    private static Errors error(Throwable e) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        return cause instanceof ShareStatePersister.ShareStateException s ? s.error() : Errors.UNKNOWN_SERVER_ERROR;
    }

    private static String message(Throwable e) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        return cause.getMessage();
    }
}
