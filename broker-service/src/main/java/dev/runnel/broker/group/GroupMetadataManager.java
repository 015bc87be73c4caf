package dev.runnel.broker.group;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.IntSupplier;

import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.common.TopicPartition;

/**
 * Which groups this broker coordinates, and their records in {@code __consumer_offsets}.
 *
 * <p>A group belongs to partition {@code abs(groupId.hashCode()) % partitions} of the offsets
 * topic, and to whichever broker leads that partition. When this broker becomes its leader, the
 * partition is LOADING (requests get COORDINATOR_LOAD_IN_PROGRESS) until every record is replayed;
 * when it stops leading, its groups are dropped and their waiting requests told NOT_COORDINATOR.
 * Group state changes only once its record is written to the ISR, so a replay rebuilds it.
 */
public final class GroupMetadataManager {

    private static final Logger log = LoggerFactory.getLogger(GroupMetadataManager.class);

    private enum Status { LOADING, ACTIVE }

    /** An offsets partition this broker leads; {@code token} tells a stale load from the current one. */
    private record Hosted(Status status, long token) {
    }

    private final GroupLog groupLog;
    private final Clock clock;
    private final Executor groupExecutor;
    private final Executor loader;
    private final GroupSettings settings;
    private final Map<Integer, Hosted> partitions = new ConcurrentHashMap<>();
    private final Map<String, ClassicGroup> groups = new ConcurrentHashMap<>();
    private final AtomicLong tokens = new AtomicLong();
    private final IntSupplier partitionCount;
    private volatile Consumer<ClassicGroup> onLoaded = g -> { };
    private volatile Consumer<ClassicGroup> onUnloaded = g -> { };

    /**
     * @param partitionCount the partitions of {@code __consumer_offsets} as the cluster has them once
     *                       it exists (every broker must map a group to the same partition)
     */
    public GroupMetadataManager(GroupLog groupLog, Clock clock, Executor groupExecutor, Executor loader,
            GroupSettings settings, IntSupplier partitionCount) {
        this.groupLog = groupLog;
        this.clock = clock;
        this.groupExecutor = groupExecutor;
        this.loader = loader;
        this.settings = settings;
        this.partitionCount = partitionCount;
    }

    void onLoaded(Consumer<ClassicGroup> listener) {
        this.onLoaded = listener;
    }

    void onUnloaded(Consumer<ClassicGroup> listener) {
        this.onUnloaded = listener;
    }

    GroupSettings settings() {
        return settings;
    }

    /** The offsets partition of {@code groupId}: Kafka's rule, so Kafka's tools agree. */
    public int partitionFor(String groupId) {
        int hash = groupId.hashCode();
        int partitions = Math.max(1, partitionCount.getAsInt());
        return (hash == Integer.MIN_VALUE ? 0 : Math.abs(hash)) % partitions;
    }

    /** NONE if this broker serves {@code groupId} now, else why not. */
    Errors coordinatorError(String groupId) {
        if (groupId == null || groupId.isEmpty()) {
            return Errors.INVALID_GROUP_ID;
        }
        Hosted hosted = partitions.get(partitionFor(groupId));
        if (hosted == null) {
            return Errors.NOT_COORDINATOR;
        }
        return hosted.status() == Status.LOADING ? Errors.COORDINATOR_LOAD_IN_PROGRESS : Errors.NONE;
    }

    /** Whether this broker has finished loading offsets partition {@code partition} and serves its groups. */
    public boolean isActive(int partition) {
        Hosted hosted = partitions.get(partition);
        return hosted != null && hosted.status() == Status.ACTIVE;
    }

    ClassicGroup group(String groupId) {
        return groups.get(groupId);
    }

    ClassicGroup getOrCreate(String groupId) {
        return groups.computeIfAbsent(groupId,
                id -> new ClassicGroup(id, partitionFor(id), groupExecutor, clock.millis()));
    }

    /** Every group this broker serves now. */
    Collection<ClassicGroup> groups() {
        return groups.values();
    }

    /** How many groups served here are in {@code state} (a metric). */
    public long countInState(GroupState state) {
        return groups.values().stream().filter(g -> g.is(state)).count();
    }

    /** Forgets a group that was deleted or has expired. */
    void removeGroup(ClassicGroup group) {
        groups.remove(group.groupId, group);
    }

    /** This broker now leads offsets partition {@code partition}: load its groups. */
    public void becameLeader(int partition) {
        long token = tokens.incrementAndGet();
        Hosted previous = partitions.putIfAbsent(partition, new Hosted(Status.LOADING, token));
        if (previous != null) {
            return;
        }
        log.debug("Loading the groups of __consumer_offsets-{}", partition);
        loader.execute(() -> load(partition, token));
    }

    /** This broker no longer leads offsets partition {@code partition}: drop its groups. */
    public void resigned(int partition) {
        if (partitions.remove(partition) == null) {
            return;
        }
        int dropped = 0;
        for (ClassicGroup group : List.copyOf(groups.values())) {
            if (group.offsetsPartition == partition && groups.remove(group.groupId, group)) {
                dropped++;
                group.queue.execute(() -> onUnloaded.accept(group));
            }
        }
        if (dropped > 0) {
            log.info("No longer the coordinator of __consumer_offsets-{}: dropped {} groups", partition, dropped);
        }
    }

    private void load(int partition, long token) {
        long started = clock.millis();
        Map<String, GroupRecord.StoredGroup> stored = new LinkedHashMap<>();
        Map<String, Map<TopicPartition, OffsetAndMetadata>> offsets = new LinkedHashMap<>();
        int[] skipped = {0};
        try {
            groupLog.read(partition, (key, value) -> {
                GroupRecord record;
                try {
                    record = GroupRecordCodec.decode(ByteBuffer.wrap(key), value == null ? null : ByteBuffer.wrap(value));
                } catch (IllegalArgumentException | NullPointerException e) {
                    skipped[0]++;
                    return;
                }
                replay(record, stored, offsets);
            });
        } catch (RuntimeException e) {
            log.warn("Cannot load __consumer_offsets-{}: {}", partition, e.getMessage());
            partitions.remove(partition, new Hosted(Status.LOADING, token));
            return;
        }
        List<ClassicGroup> loaded = new ArrayList<>();
        java.util.Set<String> ids = new java.util.LinkedHashSet<>(stored.keySet());
        ids.addAll(offsets.keySet());
        for (String id : ids) {
            ClassicGroup group = restore(id, partition, stored.get(id), offsets.getOrDefault(id, Map.of()));
            if (group.hasState() || group.generationId() > 0) {
                loaded.add(group);
            }
        }
        if (!partitions.replace(partition, new Hosted(Status.LOADING, token), new Hosted(Status.ACTIVE, token))) {
            log.info("Dropping the load of __consumer_offsets-{}: leadership moved while loading", partition);
            return;
        }
        for (ClassicGroup group : loaded) {
            groups.put(group.groupId, group);
            group.queue.execute(() -> onLoaded.accept(group));
        }
        if (!loaded.isEmpty() || skipped[0] > 0) {
            log.info("Loaded {} groups of __consumer_offsets-{} in {} ms{}", loaded.size(), partition,
                    clock.millis() - started, skipped[0] == 0 ? "" : "; skipped " + skipped[0] + " unreadable records");
        }
    }

    private static void replay(GroupRecord record, Map<String, GroupRecord.StoredGroup> stored,
            Map<String, Map<TopicPartition, OffsetAndMetadata>> offsets) {
        if (record instanceof GroupRecord.OffsetCommit commit) {
            if (commit.value() == null) {
                Map<TopicPartition, OffsetAndMetadata> groupOffsets = offsets.get(commit.groupId());
                if (groupOffsets != null) {
                    groupOffsets.remove(commit.partition());
                }
            } else {
                offsets.computeIfAbsent(commit.groupId(), g -> new HashMap<>()).put(commit.partition(), commit.value());
            }
        } else if (record instanceof GroupRecord.GroupMetadata metadata) {
            if (metadata.value() == null) {
                stored.remove(metadata.groupId());
            } else {
                stored.put(metadata.groupId(), metadata.value());
            }
        }
    }

    private ClassicGroup restore(String id, int partition, GroupRecord.StoredGroup stored,
            Map<TopicPartition, OffsetAndMetadata> offsets) {
        ClassicGroup group = new ClassicGroup(id, partition, groupExecutor, clock.millis());
        if (stored != null) {
            for (GroupRecord.StoredMember m : stored.members()) {
                GroupMember member = new GroupMember(m.memberId(), m.groupInstanceId(), m.clientId(), m.clientHost(),
                        m.rebalanceTimeoutMs(), m.sessionTimeoutMs(), stored.protocolType(),
                        List.of(new MemberProtocol(stored.protocolName(), m.subscription())));
                member.assignment = m.assignment();
                group.add(member);
            }
            group.restore(stored.members().isEmpty() ? GroupState.EMPTY : GroupState.STABLE, stored.generationId(),
                    stored.protocolType(), stored.protocolName(), stored.leaderId(), stored.stateTimestampMs());
        }
        group.offsets().putAll(offsets);
        return group;
    }

    /**
     * Writes the group's membership (with {@code assignments} by member id, when a generation's
     * assignment is being stored). Completes on the group's queue with NONE or the error to answer.
     */
    CompletableFuture<Errors> storeGroup(ClassicGroup group, Map<String, byte[]> assignments) {
        List<GroupRecord.StoredMember> members = new ArrayList<>();
        for (GroupMember m : group.members()) {
            members.add(new GroupRecord.StoredMember(m.memberId, m.groupInstanceId, m.clientId, m.clientHost,
                    m.rebalanceTimeoutMs, m.sessionTimeoutMs, group.protocolName() == null ? new byte[0]
                            : m.metadata(group.protocolName()), assignments.getOrDefault(m.memberId, m.assignment)));
        }
        GroupRecord.StoredGroup value = new GroupRecord.StoredGroup(group.protocolType(), group.generationId(),
                group.protocolName(), group.leaderId(), group.stateTimestampMs(), members);
        return write(group, List.of(new GroupLog.Entry(GroupRecordCodec.groupKey(group.groupId),
                GroupRecordCodec.groupValue(value)))).thenApply(GroupMetadataManager::groupError);
    }

    /**
     * Writes committed offsets, and applies them to the group once the ISR has them. Completes on
     * the group's queue with each partition's error.
     */
    CompletableFuture<Map<TopicPartition, Errors>> commitOffsets(ClassicGroup group,
            Map<TopicPartition, OffsetAndMetadata> commits) {
        Map<TopicPartition, Errors> results = new LinkedHashMap<>();
        Map<TopicPartition, OffsetAndMetadata> valid = new LinkedHashMap<>();
        List<GroupLog.Entry> entries = new ArrayList<>();
        commits.forEach((tp, o) -> {
            if (o.metadata().length() > settings.maxMetadataBytes()) {
                results.put(tp, Errors.OFFSET_METADATA_TOO_LARGE);
            } else {
                valid.put(tp, o);
                entries.add(new GroupLog.Entry(GroupRecordCodec.offsetKey(group.groupId, tp), GroupRecordCodec.offsetValue(o)));
            }
        });
        if (entries.isEmpty()) {
            return CompletableFuture.completedFuture(results);
        }
        group.offsetWriteStarted();
        return write(group, entries).thenApply(error -> {
            group.offsetWriteFinished();
            Errors mapped = offsetError(error);
            if (mapped == Errors.NONE && !group.is(GroupState.DEAD)) {
                group.offsets().putAll(valid);
            }
            valid.keySet().forEach(tp -> results.put(tp, group.is(GroupState.DEAD) && mapped == Errors.NONE
                    ? Errors.NOT_COORDINATOR : mapped));
            return results;
        });
    }

    /** Deletes committed offsets (OffsetDelete, expiry); completes on the group's queue. */
    CompletableFuture<Errors> deleteOffsets(ClassicGroup group, Collection<TopicPartition> partitions) {
        List<GroupLog.Entry> entries = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            entries.add(new GroupLog.Entry(GroupRecordCodec.offsetKey(group.groupId, tp), null));
        }
        if (entries.isEmpty()) {
            return CompletableFuture.completedFuture(Errors.NONE);
        }
        List<TopicPartition> deleted = List.copyOf(partitions);
        return write(group, entries).thenApply(error -> {
            Errors mapped = offsetError(error);
            if (mapped == Errors.NONE) {
                deleted.forEach(group.offsets()::remove);
            }
            return mapped;
        });
    }

    /** Deletes the group and all its offsets; on success the group is Dead and forgotten. */
    CompletableFuture<Errors> deleteGroup(ClassicGroup group, long nowMs) {
        List<GroupLog.Entry> entries = new ArrayList<>();
        for (TopicPartition tp : group.offsets().keySet()) {
            entries.add(new GroupLog.Entry(GroupRecordCodec.offsetKey(group.groupId, tp), null));
        }
        entries.add(new GroupLog.Entry(GroupRecordCodec.groupKey(group.groupId), null));
        return write(group, entries).thenApply(error -> {
            Errors mapped = groupError(error);
            if (mapped == Errors.NONE) {
                group.offsets().clear();
                group.transitionTo(GroupState.DEAD, nowMs);
                removeGroup(group);
            }
            return mapped;
        });
    }

    /** Appends, and hands the outcome back on the group's queue. */
    private CompletableFuture<Errors> write(ClassicGroup group, List<GroupLog.Entry> entries) {
        CompletableFuture<Void> appended;
        try {
            appended = groupLog.append(group.offsetsPartition, entries);
        } catch (RuntimeException e) {
            appended = CompletableFuture.failedFuture(e);
        }
        return appended.handleAsync((v, failure) -> failure == null ? Errors.NONE : errorOf(failure), group.queue);
    }

    private static Errors errorOf(Throwable failure) {
        Throwable cause = failure;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof GroupLog.GroupLogException e) {
            return e.error();
        }
        log.warn("Writing to __consumer_offsets failed", cause);
        return Errors.UNKNOWN_SERVER_ERROR;
    }

    /** A write's error as JoinGroup, SyncGroup and DeleteGroups answer it. */
    private static Errors groupError(Errors error) {
        return switch (error) {
            case NONE -> Errors.NONE;
            case UNKNOWN_TOPIC_OR_PARTITION, NOT_ENOUGH_REPLICAS, NOT_ENOUGH_REPLICAS_AFTER_APPEND, REQUEST_TIMED_OUT ->
                    Errors.COORDINATOR_NOT_AVAILABLE;
            case NOT_LEADER_OR_FOLLOWER, KAFKA_STORAGE_ERROR -> Errors.NOT_COORDINATOR;
            default -> Errors.UNKNOWN_SERVER_ERROR;
        };
    }

    /** A write's error as OffsetCommit answers it. */
    private static Errors offsetError(Errors error) {
        return switch (error) {
            case MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE, INVALID_FETCH_SIZE -> Errors.INVALID_COMMIT_OFFSET_SIZE;
            default -> groupError(error);
        };
    }
}
