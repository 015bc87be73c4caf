package dev.runnel.broker.share;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.common.Uuid;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.config.ShareGroupConfigs;
import dev.runnel.broker.replication.Partition;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.sharestate.ShareStatePersister;
import dev.runnel.broker.storage.PartitionLog;
import dev.runnel.common.TopicPartition;
import dev.runnel.common.time.Scheduler;

/**
 * The share partitions this broker serves as partition leader (Kafka's
 * {@code SharePartitionManager}, without the fetch path, which is {@link ShareFetcher}'s): each is
 * loaded from the {@link ShareStatePersister} the first time it is used at the partition's current
 * leader epoch, and dropped when the partition's leadership changes or a write of its state fails.
 *
 * <p>Loading: the persister's state taken over at the leader epoch; without one (never
 * initialized, or initialized without a start offset) the start offset comes from the group's
 * {@code share.auto.offset.reset} (latest: the high watermark, or the last stable offset for
 * read_committed; earliest: the log start offset) and is written before the partition serves.
 *
 * <p>Thread-safe.
 */
public final class SharePartitionManager {

    private static final Logger log = LoggerFactory.getLogger(SharePartitionManager.class);

    private record Hosted(TopicPartition tp, CompletableFuture<SharePartition> partition) {
    }

    private final ReplicaManager replicas;
    private final ShareStatePersister persister;
    private final ShareGroupConfigs configs;
    private final Scheduler scheduler;
    private final int maxRecordLocks;
    private final Map<ShareStatePersister.Key, Hosted> partitions = new ConcurrentHashMap<>();

    /**
     * @param maxRecordLocks {@code group.share.partition.max.record.locks}: the most records in flight
     *                       per share partition before fetches acquire no new ones
     */
    public SharePartitionManager(ReplicaManager replicas, ShareStatePersister persister, ShareGroupConfigs configs,
            Scheduler scheduler, int maxRecordLocks) {
        if (maxRecordLocks < 1) {
            throw new IllegalArgumentException("max record locks must be positive: " + maxRecordLocks);
        }
        this.replicas = replicas;
        this.persister = persister;
        this.configs = configs;
        this.scheduler = scheduler;
        this.maxRecordLocks = maxRecordLocks;
        replicas.onStateChange(this::partitionChanged);
    }

    public ShareGroupConfigs configs() {
        return configs;
    }

    /**
     * The share partition of {@code groupId} on {@code tp} (topic {@code topicId}), loaded at the
     * partition's current leader epoch. Fails with the replica manager's exception if this broker
     * does not lead {@code tp}, or with the persister's if its state cannot be read or initialized.
     */
    public CompletableFuture<SharePartition> partition(String groupId, Uuid topicId, TopicPartition tp) {
        Partition leader;
        try {
            leader = replicas.leaderPartition(tp);
        } catch (RuntimeException notLeader) {
            return CompletableFuture.failedFuture(notLeader);
        }
        ShareStatePersister.Key key = new ShareStatePersister.Key(groupId, topicId, tp.partition());
        while (true) {
            Hosted existing = partitions.get(key);
            if (existing != null && current(existing, leader.leaderEpoch())) {
                return existing.partition();
            }
            Hosted created = new Hosted(tp, new CompletableFuture<>());
            boolean installed = existing == null ? partitions.putIfAbsent(key, created) == null
                    : partitions.replace(key, existing, created);
            if (!installed) {
                continue;
            }
            if (existing != null) {
                existing.partition().thenAccept(SharePartition::close);
            }
            load(key, tp, leader, created.partition());
            created.partition().whenComplete((loaded, failure) -> {
                if (failure != null) {
                    partitions.remove(key, created);
                }
            });
            return created.partition();
        }
    }

    /** Whether a hosted share partition may serve at {@code leaderEpoch}: loading, or loaded at it and working. */
    private static boolean current(Hosted hosted, int leaderEpoch) {
        CompletableFuture<SharePartition> future = hosted.partition();
        if (!future.isDone()) {
            return true;
        }
        if (future.isCompletedExceptionally()) {
            return false;
        }
        SharePartition partition = future.join();
        return partition.leaderEpoch() == leaderEpoch && !partition.failed();
    }

    private void load(ShareStatePersister.Key key, TopicPartition tp, Partition leader,
            CompletableFuture<SharePartition> loaded) {
        int leaderEpoch = leader.leaderEpoch();
        persister.read(key, leaderEpoch).thenCompose(state -> {
            if (state.isPresent() && state.get().startOffset() >= 0) {
                return CompletableFuture.completedFuture(create(key, tp, leaderEpoch, state.get().stateEpoch(),
                        InFlightRecords.restore(state.get())));
            }
            long start = resetOffset(key.groupId(), leader.log());
            int stateEpoch = state.map(ShareStatePersister.ShareState::stateEpoch).orElse(0);
            ShareStatePersister.ShareState initial = new ShareStatePersister.ShareState(stateEpoch, leaderEpoch, start,
                    0, List.of());
            return persister.write(key, initial).thenApply(written -> create(key, tp, leaderEpoch, stateEpoch,
                    new InFlightRecords(start)));
        }).whenComplete((partition, failure) -> {
            if (failure != null) {
                log.info("Share partition {} of group {} could not be loaded: {}", tp, key.groupId(),
                        failure.getMessage());
                loaded.completeExceptionally(failure);
            } else {
                log.debug("Share partition {} of group {} loaded at leader epoch {}: start offset {}, end offset {}",
                        tp, key.groupId(), leaderEpoch, partition.startOffset(), partition.endOffset());
                loaded.complete(partition);
            }
        });
    }

    private SharePartition create(ShareStatePersister.Key key, TopicPartition tp, int leaderEpoch, int stateEpoch,
            InFlightRecords records) {
        SharePartition[] created = new SharePartition[1];
        created[0] = new SharePartition(key, tp, leaderEpoch, stateEpoch, records, persister, configs, scheduler,
                maxRecordLocks, () -> drop(key, created[0]));
        return created[0];
    }

    /** Where a share partition without state starts: {@code share.auto.offset.reset}. */
    private long resetOffset(String groupId, PartitionLog log) {
        ShareGroupConfigs.Settings settings = configs.settings(groupId);
        if (settings.autoOffsetReset() == ShareGroupConfigs.AutoOffsetReset.EARLIEST) {
            return log.logStartOffset();
        }
        return settings.readCommitted() ? log.lastStableOffset() : log.highWatermark();
    }

    /** Stops serving {@code partition} if it is still the one hosted under {@code key}. */
    private void drop(ShareStatePersister.Key key, SharePartition partition) {
        partitions.computeIfPresent(key, (k, hosted) -> hosted.partition().isDone()
                && !hosted.partition().isCompletedExceptionally() && hosted.partition().join() == partition
                ? null : hosted);
        partition.close();
    }

    /**
     * A partition's leadership or ISR changed: share partitions on it no longer led here, or led at
     * another epoch, are dropped (a new leader reads the persisted state again).
     */
    private void partitionChanged(TopicPartition tp) {
        Optional<Partition> hosted = replicas.partition(tp);
        boolean leads = hosted.isPresent() && hosted.get().isLeader();
        int epoch = leads ? hosted.get().leaderEpoch() : -1;
        partitions.forEach((key, entry) -> {
            if (!entry.tp().equals(tp)) {
                return;
            }
            CompletableFuture<SharePartition> future = entry.partition();
            boolean stale = !leads || future.isDone() && !future.isCompletedExceptionally()
                    && future.join().leaderEpoch() != epoch;
            if (stale && partitions.remove(key, entry)) {
                log.debug("Share partition {} of group {} dropped: leadership changed", tp, key.groupId());
                future.thenAccept(SharePartition::close);
            }
        });
    }

    /** Releases what {@code memberId} of {@code groupId} holds on every share partition loaded here. */
    public CompletableFuture<Void> releaseMember(String groupId, String memberId) {
        List<CompletableFuture<Void>> releases = partitions.entrySet().stream()
                .filter(e -> e.getKey().groupId().equals(groupId))
                .map(e -> e.getValue().partition())
                .filter(f -> f.isDone() && !f.isCompletedExceptionally())
                .map(f -> f.join().releaseMember(memberId))
                .toList();
        return CompletableFuture.allOf(releases.toArray(CompletableFuture[]::new));
    }

    /**
     * Stops serving every share partition of {@code groupId} here, so none writes its state again
     * (the group's share state is being deleted or reset); the next request loads what is persisted then.
     */
    public void dropGroup(String groupId) {
        partitions.forEach((key, entry) -> {
            if (key.groupId().equals(groupId) && partitions.remove(key, entry)) {
                entry.partition().thenAccept(SharePartition::close);
            }
        });
    }

    /**
     * A member's share session ends (epoch -1, or the member left its group: the group
     * coordinator's call): its session here closes and what it holds is released.
     */
    public CompletableFuture<Void> memberLeft(ShareSessionCache sessions, String groupId, String memberId) {
        sessions.close(new ShareSessionCache.SessionKey(groupId, memberId));
        return releaseMember(groupId, memberId).whenComplete((done, failure) -> dropIfUnused(sessions, groupId));
    }

    /**
     * Once no member of {@code groupId} has a session here, its share partitions are dropped (their
     * state is persisted): what an admin changes while the group is empty (an offsets reset, a
     * deletion) is what the next member reads, as Kafka's share partitions leave the cache when their
     * group empties.
     */
    private void dropIfUnused(ShareSessionCache sessions, String groupId) {
        if (!sessions.hasSessions(groupId)) {
            log.debug("Share partitions of group {} dropped: no member has a share session here", groupId);
            dropGroup(groupId);
        }
    }

    /**
     * Closes the share sessions of {@code sessions} idle past their group's session timeout and
     * releases what their members hold here; returns how many closed. Run periodically.
     */
    public int expireIdleSessions(ShareSessionCache sessions) {
        List<ShareSessionCache.SessionKey> idle = sessions.expireIdle();
        for (ShareSessionCache.SessionKey key : idle) {
            log.debug("Share session of member {} of group {} expired: idle past the session timeout",
                    key.memberId(), key.groupId());
            releaseMember(key.groupId(), key.memberId())
                    .whenComplete((done, failure) -> dropIfUnused(sessions, key.groupId()));
        }
        return idle.size();
    }

    /** The share partitions hosted (loaded or loading), for metrics and tests. */
    public int hosted() {
        return partitions.size();
    }
}
