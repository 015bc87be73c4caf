package dev.runnel.broker.replication;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.purgatory.DelayedOperationPurgatory;
import dev.runnel.broker.storage.AppendInfo;
import dev.runnel.broker.storage.AppendOrigin;
import dev.runnel.broker.storage.LogDirFailureChannel;
import dev.runnel.broker.storage.LogError;
import dev.runnel.broker.storage.LogException;
import dev.runnel.broker.storage.LogManager;
import dev.runnel.broker.storage.PartitionLog;
import dev.runnel.broker.storage.ProducerStateManager;
import dev.runnel.cluster.CommandResponse;
import dev.runnel.cluster.InternalTopics;
import dev.runnel.cluster.LeaderAndIsrRequest;
import dev.runnel.cluster.StopReplicaRequest;
import dev.runnel.cluster.UpdateMetadataRequest;
import dev.runnel.common.TopicPartition;
import dev.runnel.common.time.Scheduler;

/**
 * The partitions this broker hosts, backed by logs in the log directories, and the one way records
 * are appended to them ({@link #appendRecords}) and read from them ({@link #fetchMessages}), with
 * the produce and fetch purgatories where those requests wait; moves between log directories and
 * their failures.
 *
 * <p>Which partitions it hosts, in which role and at which leader epoch, the controller's commands
 * decide: {@link ControllerCommandHandler} applies them (with their fencing) under this manager's
 * lock, so commands are applied one at a time, and never during a log directory swap or failure.
 */
public final class ReplicaManager implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ReplicaManager.class);

    private final int brokerId;
    private final HostedLogs logs;
    private final List<LogManager> logDirectories;
    private final MetadataCache metadata;
    private final LongSupplier brokerEpoch;
    private final ControllerCommandHandler commands;
    private final DelayedOperationPurgatory<TopicPartition> producePurgatory;
    private final DelayedOperationPurgatory<TopicPartition> fetchPurgatory;
    private final Map<TopicPartition, Partition> hosted = new ConcurrentHashMap<>();
    /** Partitions whose log directory failed: served by no one here until a restart. */
    private final Set<TopicPartition> offline = ConcurrentHashMap.newKeySet();
    private final LogDirFailureChannel failures = new LogDirFailureChannel();
    private final LogDirFailureHandler failureHandler;
    private final ReplicaLogDirMover mover;
    private final List<Consumer<TopicPartition>> stateListeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<TopicPartition>> leadershipChangeListeners = new CopyOnWriteArrayList<>();
    /** The leader's replication throttle (Kafka's leader ReplicationQuotaManager). */
    private volatile ReplicationQuota leaderQuota = ReplicationQuota.unlimited();

    /**
     * @param purgatoryTimer times out parked requests (acks=all appends, long-poll fetches); keep it
     *                       apart from work that may block on the disk
     */
    public ReplicaManager(int brokerId, List<LogManager> logDirs, MetadataCache metadata, LongSupplier brokerEpoch,
            Clock clock, Partition.IsrProposer isrProposer, Scheduler purgatoryTimer) {
        this.brokerId = brokerId;
        this.logs = new HostedLogs(brokerId, logDirs);
        this.logDirectories = List.copyOf(logDirs);
        this.producePurgatory = new DelayedOperationPurgatory<>("produce", purgatoryTimer);
        this.fetchPurgatory = new DelayedOperationPurgatory<>("fetch", purgatoryTimer);
        this.metadata = metadata;
        this.brokerEpoch = brokerEpoch;
        this.commands = new ControllerCommandHandler(logs, metadata, brokerEpoch, hosted,
                new PartitionTransitions(brokerId, logs, hosted, offline, clock, isrProposer),
                tp -> leadershipChangeListeners.forEach(l -> l.accept(tp)), this::stateChanged);
        logDirs.forEach(dir -> dir.reportFailuresTo(failures));
        this.failureHandler = new LogDirFailureHandler(this, failures, purgatoryTimer);
        this.mover = new ReplicaLogDirMover(this, logs);
    }

    /**
     * Throttles what this broker, as leader, sends to followers outside the ISR of the partitions
     * {@code quota} names, from now on.
     */
    public void leaderReplicationQuota(ReplicationQuota quota) {
        this.leaderQuota = quota;
    }

    /** Applies LeaderAndIsr (fenced; see {@link ControllerCommandHandler}). */
    public synchronized CommandResponse leaderAndIsr(LeaderAndIsrRequest request) {
        return commands.leaderAndIsr(request);
    }

    /**
     * Applies a metadata view if it is newer than the one held; an older or repeated one (a late
     * retry) is acknowledged and ignored, so the view clients see never goes back.
     */
    public synchronized CommandResponse updateMetadata(UpdateMetadataRequest request) {
        return commands.updateMetadata(request);
    }

    /**
     * Whether this broker may answer clients: it is registered and has applied a full metadata view
     * meant for this registration, so no Metadata answer can omit a topic that exists. Like a Kafka
     * broker that does not serve requests before it has caught up with the metadata log.
     */
    public boolean servesClients() {
        return metadata.hasFullViewFor(brokerEpoch.getAsLong());
    }

    /** Stops hosting the named partitions, deleting their logs if asked (fenced like LeaderAndIsr). */
    public synchronized CommandResponse stopReplica(StopReplicaRequest request) {
        return commands.stopReplica(request);
    }

    /**
     * The one way records are appended as leader, for producers and coordinators alike (Kafka's
     * {@code ReplicaManager.appendRecords}). Each partition is appended on its own: a refusal changes
     * that partition only. With {@code acks=all} the future completes once the ISR has every
     * appended batch (at once when the ISR is the leader alone), or with REQUEST_TIMED_OUT for those
     * it has not after {@code timeout}; otherwise once the leader has appended. Every new append
     * wakes the fetches waiting on its partition.
     *
     * @param records each partition's record batches, in the order they are appended
     * @param acks    0, 1 or -1 (all); with -1 the ISR must have {@code min.insync.replicas} members
     */
    public CompletableFuture<Map<TopicPartition, AppendResult>> appendRecords(Map<TopicPartition, ByteBuffer> records,
            short acks, Duration timeout, AppendOrigin origin) {
        return appendRecords(records, acks, timeout, origin, Map.of(), -1);
    }

    /**
     * {@link #appendRecords(Map, short, Duration, AppendOrigin)}, with the guards of the transactional
     * batches verified with their coordinator (KIP-890) and, for a coordinator's write, the leader
     * epoch each partition must still be led at ({@code requiredLeaderEpoch}, -1 for any).
     */
    public CompletableFuture<Map<TopicPartition, AppendResult>> appendRecords(Map<TopicPartition, ByteBuffer> records,
            short acks, Duration timeout, AppendOrigin origin,
            Map<TopicPartition, ProducerStateManager.VerificationGuard> guards, int requiredLeaderEpoch) {
        Map<TopicPartition, AppendResult> results = new LinkedHashMap<>();
        Map<TopicPartition, DelayedProduce.Pending> waiting = new LinkedHashMap<>();
        records.forEach((tp, batches) -> {
            try {
                if (origin == AppendOrigin.CLIENT && InternalTopics.isInternal(tp.topic())) {
                    throw new ReplicaException(ReplicaError.INVALID_TOPIC, "Cannot append to internal topic " + tp.topic());
                }
                Partition partition = leaderPartition(tp);
                AppendInfo info = partition.appendAsLeader(batches, acks, origin, guards.get(tp), requiredLeaderEpoch);
                if (!info.duplicate()) {
                    fetchPurgatory.checkAndComplete(tp);
                }
                AppendResult appended = AppendResult.appended(info, partition.log().logStartOffset());
                results.put(tp, appended);
                if (acks == -1) {
                    waiting.put(tp, new DelayedProduce.Pending(partition, appended));
                }
            } catch (ReplicaException | LogException e) {
                log.debug("Append to {} refused: {}", tp, e.getMessage());
                storageFailed(tp, e);
                results.put(tp, AppendResult.refused(e));
            } catch (IllegalArgumentException e) {
                results.put(tp, AppendResult.refused(new LogException(LogError.CORRUPT_RECORD, e.getMessage())));
            }
        });
        if (waiting.isEmpty()) {
            return CompletableFuture.completedFuture(results);
        }
        CompletableFuture<Map<TopicPartition, AppendResult>> answer = new CompletableFuture<>();
        producePurgatory.tryCompleteElseWatch(new DelayedProduce(timeout, waiting, done -> {
            done.forEach((tp, pending) -> results.put(tp, pending.result));
            answer.complete(results);
        }), waiting.keySet());
        return answer;
    }

    /**
     * The one way records are read from leaders, for consumers, followers and coordinators loading
     * their state (Kafka's {@code ReplicaManager.fetchMessages}). Reads every partition within the
     * byte limits; answers at once with {@code minBytes} or more, an error on any partition, or no
     * wait; else waits up to {@code maxWait} for appends. A follower's fetch offset is its log end:
     * recording it may move the high watermark and add the follower to the ISR.
     */
    public CompletableFuture<List<FetchResult>> fetchMessages(FetchParams params,
            List<FetchParams.PartitionRequest> partitions) {
        List<FetchResult> first = readFromLeaders(params, partitions);
        if (params.maxWait().isZero() || params.maxWait().isNegative() || partitions.isEmpty()
                || DelayedFetch.satisfies(params, first)) {
            return CompletableFuture.completedFuture(recordThrottled(params, first));
        }
        CompletableFuture<List<FetchResult>> answer = new CompletableFuture<>();
        fetchPurgatory.tryCompleteElseWatch(new DelayedFetch(params, () -> readFromLeaders(params, partitions), answer),
                partitions.stream().map(FetchParams.PartitionRequest::tp).toList());
        return params.isFromFollower() ? answer.thenApply(results -> recordThrottled(params, results)) : answer;
    }

    /** Counts the bytes a follower's answer carries for throttled partitions against the leader's quota. */
    private List<FetchResult> recordThrottled(FetchParams params, List<FetchResult> results) {
        ReplicationQuota quota = leaderQuota;
        if (params.isFromFollower() && quota.isBounded()) {
            long bytes = 0;
            for (FetchResult result : results) {
                if (!result.failed() && result.bytes() > 0 && quota.isThrottled(result.tp())) {
                    bytes += result.bytes();
                }
            }
            quota.record(bytes);
        }
        return results;
    }

    private List<FetchResult> readFromLeaders(FetchParams params, List<FetchParams.PartitionRequest> partitions) {
        List<FetchResult> results = new ArrayList<>(partitions.size());
        int bytes = 0;
        for (FetchParams.PartitionRequest wanted : partitions) {
            TopicPartition tp = wanted.tp();
            try {
                Partition partition = leaderPartition(tp);
                partition.checkEpoch(wanted.currentLeaderEpoch(), true);
                if (params.isFromFollower() && partition.updateFollowerFetchState(params.replicaId(), wanted.fetchOffset())) {
                    highWatermarkMoved(tp);
                }
                int limit = Math.min(wanted.maxBytes(), Math.max(0, params.maxBytes() - bytes));
                PartitionLog.ReadResult read = params.isFromFollower() && leaderQuota.holdsBack(tp,
                        partition.state().state().isr().contains(params.replicaId()))
                                // throttled: no records, the offsets as usual (Kafka answers so too)
                                ? partition.log().read(wanted.fetchOffset(), 0, wanted.fetchOffset(), false)
                                : partition.read(wanted.fetchOffset(), limit, bytes == 0, params.bound());
                FetchResult result = new FetchResult(tp, read, params.readCommitted()
                        ? partition.log().abortedTransactions(wanted.fetchOffset(), read) : null, null);
                bytes += result.bytes();
                results.add(result);
            } catch (ReplicaException | LogException e) {
                results.add(new FetchResult(tp, null, e));
            }
        }
        return results;
    }

    /**
     * Moves {@code tp}'s log start offset up to {@code offset} (-1: the high watermark) as its leader
     * (DeleteRecords); returns the new log start offset. Waiting fetches of the partition wake.
     */
    public long deleteRecords(TopicPartition tp, long offset) {
        long start = leaderPartition(tp).deleteRecordsBefore(offset);
        fetchPurgatory.checkAndComplete(tp);
        return start;
    }

    /** The broker's log directories, each with its log manager (and cleaner). */
    public List<LogManager> logDirectories() {
        return logDirectories;
    }

    /** What each hosted partition's last accepted LeaderAndIsr said. */
    public Map<TopicPartition, HostedPartition> hostedPartitions() {
        Map<TopicPartition, HostedPartition> states = new HashMap<>();
        hosted.forEach((tp, p) -> states.put(tp, p.state()));
        return Map.copyOf(states);
    }

    /** The partition if this broker hosts it (as leader or follower). */
    public Optional<Partition> partition(TopicPartition tp) {
        return Optional.ofNullable(hosted.get(tp));
    }

    /**
     * The partition for a request only its leader may serve.
     *
     * @throws ReplicaException NOT_LEADER_OR_FOLLOWER if this broker does not lead it,
     *                          UNKNOWN_TOPIC_OR_PARTITION if the cluster has no such partition
     */
    public Partition leaderPartition(TopicPartition tp) {
        Partition partition = hosted.get(tp);
        if (partition != null && partition.isLeader()) {
            return partition;
        }
        if (offline.contains(tp)) {
            throw new LogException(LogError.STORAGE_ERROR, "the log directory of " + tp + " on broker " + brokerId
                    + " is offline");
        }
        if (partition == null && !metadataKnows(tp)) {
            throw new ReplicaException(ReplicaError.UNKNOWN_TOPIC_OR_PARTITION,
                    "this cluster has no partition " + tp);
        }
        throw new ReplicaException(ReplicaError.NOT_LEADER_OR_FOLLOWER, "broker " + brokerId + " does not lead " + tp);
    }

    private boolean metadataKnows(TopicPartition tp) {
        return metadata.snapshot().topic(tp.topic())
                .map(t -> t.partitions().stream().anyMatch(p -> p.partition() == tp.partition()))
                .orElse(false);
    }

    /**
     * {@code tp}'s high watermark moved outside an append (a follower's fetch, a committed ISR):
     * acks=all appends and consumers' fetches waiting on it may go on.
     */
    public void highWatermarkMoved(TopicPartition tp) {
        producePurgatory.checkAndComplete(tp);
        fetchPurgatory.checkAndComplete(tp);
    }

    /** A leadership or ISR change may decide what waiting requests wait for; then the listeners hear. */
    private void stateChanged(TopicPartition tp) {
        producePurgatory.checkAndComplete(tp);
        fetchPurgatory.checkAndComplete(tp);
        stateListeners.forEach(l -> l.accept(tp));
    }

    /** Proposes dropping, on every partition this broker leads, the followers behind for {@code lagMs}. */
    public void shrinkIsrs(long lagMs) {
        for (Partition partition : hosted.values()) {
            if (partition.isLeader()) {
                partition.maybeShrinkIsr(lagMs);
            }
        }
    }

    /** Every hosted partition (metrics). */
    public Collection<Partition> partitions() {
        return Collections.unmodifiableCollection(hosted.values());
    }

    /** Calls {@code listener} with each partition whose leadership or ISR this broker's view changed. */
    public void onStateChange(Consumer<TopicPartition> listener) {
        stateListeners.add(listener);
    }

    /**
     * Called before a hosted partition takes a new leader or leader epoch, on the thread applying
     * it: fetching for it must stop before the listener returns (the state listeners then start it
     * again for a follower).
     */
    public void beforeLeadershipChange(Consumer<TopicPartition> listener) {
        leadershipChangeListeners.add(listener);
    }

    public synchronized int highestControllerEpoch() {
        return commands.highestControllerEpoch();
    }

    /** Requests waiting in the produce purgatory, per watched partition (a gauge). */
    public int waitingAppends() {
        return producePurgatory.watched();
    }

    /** Requests waiting in the fetch purgatory, per watched partition (a gauge). */
    public int waitingFetches() {
        return fetchPurgatory.watched();
    }

    /** Answers every waiting request with what it has, at shutdown, rather than dropping it. */
    public void completeWaitingRequests() {
        producePurgatory.completeAll();
        fetchPurgatory.completeAll();
    }

    // ---- log directories: moves between them and failures ---------------------------------

    /**
     * Moves each named partition's replica to the log directory named for it (AlterReplicaLogDirs),
     * as Kafka does: a partition not hosted here yet gets the directory for when it is created
     * (and REPLICA_NOT_AVAILABLE); one already there needs nothing (a move elsewhere is cancelled);
     * otherwise a future log is created in the destination and {@link #moveReplicas} fills it.
     */
    public synchronized Map<TopicPartition, LogDirMoveError> alterReplicaLogDirs(Map<TopicPartition, String> dirs) {
        Map<TopicPartition, LogDirMoveError> results = new LinkedHashMap<>();
        dirs.forEach((tp, path) -> results.put(tp, offline.contains(tp) ? LogDirMoveError.KAFKA_STORAGE_ERROR
                : mover.alter(tp, path, hosted.get(tp), () -> metadataKnows(tp))));
        return results;
    }

    /** One pass of the moves between log directories: copies a step of each, swaps in the caught up. */
    public void moveReplicas() {
        mover.runOnce();
    }

    /** The moves between log directories (tests, metrics). */
    public ReplicaLogDirMover logDirMover() {
        return mover;
    }

    /**
     * Swaps {@code tp}'s future log in {@code destination} in for its current log, if it has caught
     * up: fetching stops first (a follower's), then under the partition's write lock (no append) the
     * future takes the high watermark and log start, the current log is renamed away and the future
     * takes the partition's directory name; fetching starts again on the new log.
     */
    synchronized void completeMove(TopicPartition tp, LogManager destination) {
        Partition partition = hosted.get(tp);
        if (partition == null) {
            return;
        }
        leadershipChangeListeners.forEach(l -> l.accept(tp));
        try {
            mover.swap(partition, destination);
        } finally {
            stateChanged(tp);
        }
    }

    /** Reports a storage failure of an operation on {@code tp} as its log directory's. */
    private void storageFailed(TopicPartition tp, RuntimeException e) {
        if (e instanceof LogException logException && logException.error() == LogError.STORAGE_ERROR
                && !offline.contains(tp)) {
            logs.holding(tp).ifPresent(dir -> dir.failed(e));
        }
    }

    /**
     * Takes the failed directory {@code dir} offline with every partition whose log was in it: they
     * stop being hosted (waiting requests and the fetchers hear) and answer KAFKA_STORAGE_ERROR from
     * now on; moves into or out of the directory are abandoned.
     *
     * @return the partitions whose current replica went offline
     */
    synchronized Set<TopicPartition> takeOffline(LogManager dir) {
        Set<TopicPartition> current = dir.logs().keySet();
        Set<TopicPartition> futures = dir.futureLogs().keySet();
        dir.markOffline();
        futures.forEach(mover::cancel);
        for (TopicPartition tp : current) {
            mover.abandon(tp);
            offline.add(tp);
            leadershipChangeListeners.forEach(l -> l.accept(tp));
            Partition gone = hosted.remove(tp);
            if (gone != null) {
                gone.takeOffline();
                stateChanged(tp);
            }
        }
        return current;
    }

    /** The partitions taken offline with their failed log directory. */
    public Set<TopicPartition> offlinePartitions() {
        return Set.copyOf(offline);
    }

    /** Handles failed log directories; where its controller report goes is set at wiring. */
    public LogDirFailureHandler logDirFailureHandler() {
        return failureHandler;
    }

    /** Where the log directories report I/O failures (tests inject through the storage layer). */
    public LogDirFailureChannel logDirFailureChannel() {
        return failures;
    }

    /** Stops the threads that open logs for the controller's commands (at shutdown, after the listener). */
    @Override
    public void close() {
        commands.close();
        failureHandler.close();
    }
}
