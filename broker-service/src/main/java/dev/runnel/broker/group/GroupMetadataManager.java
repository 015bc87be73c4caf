package dev.runnel.broker.group;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.Collection;
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

/**
 * Which groups this broker coordinates, and their records in {@code __consumer_offsets}.
 *
 * <p>A group belongs to partition {@code abs(groupId.hashCode()) % partitions} of the offsets
 * topic, and to whichever broker leads that partition. When this broker becomes its leader, the
 * partition is LOADING (requests get COORDINATOR_LOAD_IN_PROGRESS) until every record is replayed;
 * when it stops leading, its groups are dropped and their waiting requests told NOT_COORDINATOR.
 *
 * <p>Operations decide the records to write ({@link CoordinatorResult}); once the ISR has them,
 * {@link #replay} applies them to the group, and loading a partition replays its records through
 * the same method, so a new coordinator rebuilds exactly the persisted state the old one had.
 */
public final class GroupMetadataManager {

    /** How long the last load of an offsets partition took, and the longest (Kafka's partition-load-time-max), in ms. */
    private volatile long lastLoadTimeMs = -1;
    private volatile long maxLoadTimeMs = -1;


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
        Map<String, ClassicGroup> loading = new LinkedHashMap<>();
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
                ClassicGroup group = loading.computeIfAbsent(record.groupId(),
                        id -> new ClassicGroup(id, partition, groupExecutor, clock.millis()));
                replay(group, record);
                if (group.is(GroupState.DEAD)) {
                    loading.remove(group.groupId);
                }
            });
        } catch (RuntimeException e) {
            log.warn("Cannot load __consumer_offsets-{}: {}", partition, e.getMessage());
            partitions.remove(partition, new Hosted(Status.LOADING, token));
            return;
        }
        List<ClassicGroup> loaded = loading.values().stream()
                .filter(group -> group.hasState() || group.generationId() > 0).toList();
        if (!partitions.replace(partition, new Hosted(Status.LOADING, token), new Hosted(Status.ACTIVE, token))) {
            log.info("Dropping the load of __consumer_offsets-{}: leadership moved while loading", partition);
            return;
        }
        for (ClassicGroup group : loaded) {
            groups.put(group.groupId, group);
            group.queue.execute(() -> onLoaded.accept(group));
        }
        long took = clock.millis() - started;
        lastLoadTimeMs = took;
        maxLoadTimeMs = Math.max(maxLoadTimeMs, took);
        if (!loaded.isEmpty() || skipped[0] > 0) {
            log.info("Loaded {} groups of __consumer_offsets-{} in {} ms{}", loaded.size(), partition,
                    took, skipped[0] == 0 ? "" : "; skipped " + skipped[0] + " unreadable records");
        }
    }

    /**
     * Applies written records to {@code group}: the one path by which a group's persisted state
     * changes, whether the records were just written by this coordinator or are being loaded. A
     * group whose deletion is replayed is forgotten.
     */
    void replay(ClassicGroup group, List<GroupRecord> records) {
        records.forEach(record -> replay(group, record));
        if (group.is(GroupState.DEAD)) {
            removeGroup(group);
        }
    }

    private void replay(ClassicGroup group, GroupRecord record) {
        if (record instanceof GroupRecord.OffsetCommit commit) {
            group.replayOffset(commit.partition(), commit.value());
        } else if (record instanceof GroupRecord.GroupMetadata metadata) {
            if (metadata.value() == null) {
                group.replayDeletion(clock.millis());
            } else {
                group.replayMetadata(metadata.value(), clock.millis());
            }
        }
    }

    /**
     * Writes group metadata records. Completes on the group's queue with NONE once the ISR has
     * them, or the error JoinGroup, SyncGroup and DeleteGroups answer; applies nothing (the caller
     * replays the records if the group still holds what they describe).
     */
    CompletableFuture<Errors> writeMetadata(ClassicGroup group, List<GroupRecord> records) {
        return write(group, records).thenApply(GroupMetadataManager::groupError);
    }

    /** Writes offset records, as {@link #writeMetadata} does, completing with the error OffsetCommit answers. */
    CompletableFuture<Errors> writeOffsets(ClassicGroup group, List<GroupRecord> records) {
        return write(group, records).thenApply(GroupMetadataManager::offsetError);
    }

    /** Deletes the group and all its offsets; on success the group is Dead and forgotten. */
    CompletableFuture<Errors> deleteGroup(ClassicGroup group) {
        List<GroupRecord> deletion = group.deletionRecords();
        return writeMetadata(group, deletion).thenApply(error -> {
            if (error == Errors.NONE) {
                replay(group, deletion);
            }
            return error;
        });
    }

    /** Appends, and hands the outcome back on the group's queue. */
    private CompletableFuture<Errors> write(ClassicGroup group, List<GroupRecord> records) {
        CompletableFuture<Void> appended;
        try {
            appended = groupLog.append(group.offsetsPartition, records.stream().map(GroupRecordCodec::encode).toList());
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

    /** How long the last load of an offsets partition took here, in ms (-1: none yet). */
    public long lastPartitionLoadTimeMs() {
        return lastLoadTimeMs;
    }

    /** The longest load of an offsets partition here, in ms (-1: none yet): Kafka's {@code partition-load-time-max}. */
    public long maxPartitionLoadTimeMs() {
        return maxLoadTimeMs;
    }
}
