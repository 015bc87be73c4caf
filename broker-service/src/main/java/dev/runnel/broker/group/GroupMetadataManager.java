package dev.runnel.broker.group;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
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
 * Writes come back in log order ({@link PartitionWrites}), so a transaction's marker is applied
 * after the offsets it completes, live as on load.
 */
public final class GroupMetadataManager {

    /** How long the last load of an offsets partition took, and the longest (Kafka's partition-load-time-max), in ms. */
    private volatile long lastLoadTimeMs = -1;
    private volatile long maxLoadTimeMs = -1;


    private static final Logger log = LoggerFactory.getLogger(GroupMetadataManager.class);

    private enum Status { LOADING, ACTIVE }

    /**
     * An offsets partition this broker leads; {@code token} tells a stale load from the current one,
     * and its writes go through {@code writes}.
     */
    private record Hosted(Status status, long token, PartitionWrites writes) {

        Hosted active() {
            return new Hosted(Status.ACTIVE, token, writes);
        }
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

    /** Adds {@code listener}, called on a group's queue once the group has been loaded. */
    void onLoaded(Consumer<ClassicGroup> listener) {
        this.onLoaded = this.onLoaded.andThen(listener);
    }

    /** Adds {@code listener}, called on a group's queue once the group has been dropped. */
    void onUnloaded(Consumer<ClassicGroup> listener) {
        this.onUnloaded = this.onUnloaded.andThen(listener);
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

    /**
     * How many groups served here are in {@code state} (a metric); a consumer or share group counts
     * as Empty without members, else Stable.
     */
    public long countInState(GroupState state) {
        return groups.values().stream().filter(g -> g.isConsumerGroup()
                ? state == (g.consumer().isEmpty() ? GroupState.EMPTY : GroupState.STABLE)
                : g.isShareGroup() ? state == (g.share().isEmpty() ? GroupState.EMPTY : GroupState.STABLE)
                : g.is(state)).count();
    }

    /** Forgets a group that was deleted or has expired. */
    void removeGroup(ClassicGroup group) {
        groups.remove(group.groupId, group);
    }

    /** This broker now leads offsets partition {@code partition}: load its groups. */
    public void becameLeader(int partition) {
        long token = tokens.incrementAndGet();
        Hosted loading = new Hosted(Status.LOADING, token, new PartitionWrites(partition, groupLog, groupExecutor));
        Hosted previous = partitions.putIfAbsent(partition, loading);
        if (previous != null) {
            return;
        }
        log.debug("Loading the groups of __consumer_offsets-{}", partition);
        loader.execute(() -> load(partition, loading));
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

    /**
     * Replays the partition's batches in log order into new groups, then publishes them: data
     * records with their batch's producer id (a transaction's offsets are pending until its marker),
     * transaction markers to the groups the producer's transaction wrote offsets of.
     */
    private void load(int partition, Hosted hosted) {
        long started = clock.millis();
        Map<String, ClassicGroup> loading = new LinkedHashMap<>();
        Map<Long, Set<ClassicGroup>> openTransactions = new HashMap<>();
        int[] skipped = {0};
        try {
            groupLog.read(partition, batch -> {
                if (batch.marker() != null) {
                    for (ClassicGroup group : openTransactions.getOrDefault(batch.producerId(), Set.of())) {
                        group.replayTransactionEnd(batch.producerId(), batch.marker() == GroupLog.Marker.COMMIT);
                    }
                    openTransactions.remove(batch.producerId());
                    return;
                }
                for (GroupLog.Logged logged : batch.records()) {
                    GroupRecord record;
                    try {
                        record = GroupRecordCodec.decode(ByteBuffer.wrap(logged.key()),
                                logged.value() == null ? null : ByteBuffer.wrap(logged.value()));
                    } catch (IllegalArgumentException | NullPointerException e) {
                        skipped[0]++;
                        continue;
                    }
                    ClassicGroup group = loading.computeIfAbsent(record.groupId(),
                            id -> new ClassicGroup(id, partition, groupExecutor, clock.millis()));
                    replay(group, record, logged.offset(), batch.producerId());
                    if (batch.isTransactional() && record instanceof GroupRecord.OffsetCommit commit
                            && commit.value() != null) {
                        openTransactions.computeIfAbsent(batch.producerId(), p -> new HashSet<>()).add(group);
                    }
                    if (group.is(GroupState.DEAD)) {
                        loading.remove(group.groupId);
                    }
                }
            });
        } catch (RuntimeException e) {
            log.warn("Cannot load __consumer_offsets-{}: {}", partition, e.getMessage());
            partitions.remove(partition, hosted);
            return;
        }
        List<ClassicGroup> loaded = loading.values().stream()
                .filter(group -> group.hasState() || group.generationId() > 0).toList();
        for (ClassicGroup group : loaded) {
            group.offsetStore().openTransactions().forEach(producerId -> hosted.writes().opened(producerId, group));
        }
        if (!partitions.replace(partition, hosted, hosted.active())) {
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
     * group whose deletion is replayed is forgotten. For records whose position does not matter
     * (group metadata, tombstones); offset commits are replayed where they were written
     * ({@link #replay(ClassicGroup, List, long, long)}).
     */
    void replay(ClassicGroup group, List<GroupRecord> records) {
        replay(group, records, -1, GroupLog.NO_PRODUCER_ID);
    }

    /**
     * Applies records written in one batch from offset {@code baseOffset}, transactional if
     * {@code producerId} is not {@link GroupLog#NO_PRODUCER_ID}.
     */
    void replay(ClassicGroup group, List<GroupRecord> records, long baseOffset, long producerId) {
        for (int i = 0; i < records.size(); i++) {
            replay(group, records.get(i), baseOffset < 0 ? -1 : baseOffset + i, producerId);
        }
        if (group.is(GroupState.DEAD)) {
            removeGroup(group);
        }
    }

    private void replay(ClassicGroup group, GroupRecord record, long recordOffset, long producerId) {
        if (record instanceof GroupRecord.OffsetCommit commit) {
            group.replayOffset(producerId, commit.partition(),
                    commit.value() == null ? null : commit.value().at(recordOffset));
        } else if (record instanceof GroupRecord.GroupMetadata metadata) {
            if (metadata.value() == null && group.isConsumerGroup()) {
                // An upgrade's tombstone: only the classic membership ends (see GroupMigration).
                GroupMigration.replayClassicEnd(group, clock.millis());
            } else if (metadata.value() == null) {
                group.replayDeletion(clock.millis());
            } else {
                group.replayMetadata(metadata.value(), clock.millis());
            }
        } else if (record instanceof GroupRecord.ConsumerGroupMetadata metadata) {
            if (metadata.value() == null) {
                group.replayConsumerDeletion();
            } else {
                group.replayConsumer(clock.millis()).replayGroup(metadata.value());
            }
        } else if (record instanceof GroupRecord.ConsumerMemberMetadata member) {
            group.replayConsumer(clock.millis()).replayMemberMetadata(member.memberId(), member.value(), clock.millis());
        } else if (record instanceof GroupRecord.TargetAssignmentMetadata target) {
            group.replayConsumer(clock.millis()).replayTargetEpoch(target.assignmentEpoch());
        } else if (record instanceof GroupRecord.TargetAssignmentMember target) {
            group.replayConsumer(clock.millis()).replayTarget(target.memberId(), target.partitions());
        } else if (record instanceof GroupRecord.CurrentMemberAssignment current) {
            group.replayConsumer(clock.millis()).replayCurrentAssignment(current.memberId(), current.value());
        } else {
            replayShare(group, record);
        }
    }

    /**
     * Applies a share group's record (KIP-932). A tombstone replayed into a group that is no share
     * group (one left in the log after the group's deletion) changes nothing.
     */
    private static void replayShare(ClassicGroup group, GroupRecord record) {
        if (!group.isShareGroup() && isShareTombstone(record)) {
            return;
        }
        if (record instanceof GroupRecord.ShareGroupMetadata metadata) {
            if (metadata.value() == null) {
                group.replayShareDeletion();
            } else {
                group.replayShare().replayGroup(metadata.value());
            }
        } else if (record instanceof GroupRecord.ShareMemberMetadata member) {
            group.replayShare().replayMemberMetadata(member.memberId(), member.value());
        } else if (record instanceof GroupRecord.ShareTargetMetadata target) {
            group.replayShare().replayTargetEpoch(target.assignmentEpoch());
        } else if (record instanceof GroupRecord.ShareTargetMember target) {
            group.replayShare().replayTarget(target.memberId(), target.partitions());
        } else if (record instanceof GroupRecord.ShareCurrentAssignment current) {
            group.replayShare().replayCurrentAssignment(current.memberId(), current.value());
        } else if (record instanceof GroupRecord.ShareStatePartitions partitions) {
            group.replayShare().replayStatePartitions(partitions.value());
        }
    }

    private static boolean isShareTombstone(GroupRecord record) {
        return record instanceof GroupRecord.ShareGroupMetadata r && r.value() == null
                || record instanceof GroupRecord.ShareMemberMetadata m && m.value() == null
                || record instanceof GroupRecord.ShareTargetMetadata t && t.assignmentEpoch() == null
                || record instanceof GroupRecord.ShareTargetMember tm && tm.partitions() == null
                || record instanceof GroupRecord.ShareCurrentAssignment c && c.value() == null
                || record instanceof GroupRecord.ShareStatePartitions p && p.value() == null;
    }

    /**
     * Writes group metadata records. Completes on the group's queue with NONE once the ISR has
     * them, or the error JoinGroup, SyncGroup and DeleteGroups answer; applies nothing (the caller
     * replays the records if the group still holds what they describe).
     */
    CompletableFuture<Errors> writeMetadata(ClassicGroup group, List<GroupRecord> records) {
        return write(group, records, GroupLog.NO_PRODUCER_ID, (short) -1, null).thenApply(w -> groupError(w.error()));
    }

    /**
     * Writes group metadata records, as {@link #writeMetadata} does, completing with the error and,
     * written, the offset of the first record (to replay offset records among them where they are).
     */
    CompletableFuture<PartitionWrites.Written> writeMetadataAt(ClassicGroup group, List<GroupRecord> records) {
        return write(group, records, GroupLog.NO_PRODUCER_ID, (short) -1, null)
                .thenApply(w -> new PartitionWrites.Written(groupError(w.error()), w.baseOffset()));
    }

    /**
     * Writes offset records, as {@link #writeMetadata} does, completing with the error OffsetCommit
     * answers and, written, the offset of the first record (to replay them where they are).
     */
    CompletableFuture<PartitionWrites.Written> writeOffsets(ClassicGroup group, List<GroupRecord> records) {
        return write(group, records, GroupLog.NO_PRODUCER_ID, (short) -1, null)
                .thenApply(w -> new PartitionWrites.Written(offsetError(w.error()), w.baseOffset()));
    }

    /**
     * Writes offset records in one transactional batch of the producer, as {@link #writeOffsets}
     * does, completing with the error TxnOffsetCommit answers (a fenced producer epoch as the log
     * refuses it: INVALID_PRODUCER_EPOCH).
     */
    CompletableFuture<PartitionWrites.Written> writeTransactionalOffsets(ClassicGroup group, List<GroupRecord> records,
            long producerId, short producerEpoch, Object verification) {
        return write(group, records, producerId, producerEpoch, verification)
                .thenApply(w -> new PartitionWrites.Written(transactionalOffsetError(w.error()), w.baseOffset()));
    }

    /**
     * Starts the KIP-890 verification of a transactional offset commit on offsets partition
     * {@code partition}: the token its write carries (see {@link GroupLog#startTransactionVerification}).
     */
    Object startTransactionVerification(int partition, long producerId, short producerEpoch) {
        return groupLog.startTransactionVerification(partition, producerId, producerEpoch);
    }

    /**
     * Writes the marker ending {@code producerId}'s transaction on offsets partition
     * {@code partition} and, once written, applies it to every group of the partition holding
     * offsets of that transaction. Completes with NONE once applied, or the write's error;
     * NOT_COORDINATOR if this broker does not lead the partition.
     */
    CompletableFuture<Errors> writeMarker(int partition, long producerId, short producerEpoch, int coordinatorEpoch,
            boolean commit) {
        Hosted hosted = partitions.get(partition);
        if (hosted == null) {
            return CompletableFuture.completedFuture(Errors.NOT_COORDINATOR);
        }
        return hosted.writes().appendMarker(producerId, producerEpoch, coordinatorEpoch, commit, group -> {
            if (!group.is(GroupState.DEAD)) {
                group.replayTransactionEnd(producerId, commit);
            }
        });
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

    /** Appends through the partition's writes; the outcome comes back on the group's queue, in log order. */
    private CompletableFuture<PartitionWrites.Written> write(ClassicGroup group, List<GroupRecord> records,
            long producerId, short producerEpoch, Object verification) {
        Hosted hosted = partitions.get(group.offsetsPartition);
        if (hosted == null) {
            return CompletableFuture.supplyAsync(() -> PartitionWrites.Written.failed(Errors.NOT_LEADER_OR_FOLLOWER),
                    group.queue);
        }
        List<GroupLog.Entry> entries;
        try {
            entries = records.stream().map(GroupRecordCodec::encode).toList();
        } catch (RuntimeException e) {
            log.warn("Cannot encode the records of {}", group, e);
            return CompletableFuture.supplyAsync(() -> PartitionWrites.Written.failed(Errors.UNKNOWN_SERVER_ERROR),
                    group.queue);
        }
        return hosted.writes().append(group, entries, producerId, producerEpoch, verification);
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

    /** A transactional write's error as TxnOffsetCommit answers it: the producer's errors pass. */
    private static Errors transactionalOffsetError(Errors error) {
        return switch (error) {
            case INVALID_PRODUCER_EPOCH, PRODUCER_FENCED, INVALID_TXN_STATE, INVALID_PRODUCER_ID_MAPPING,
                    TRANSACTION_COORDINATOR_FENCED -> error;
            default -> offsetError(error);
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
