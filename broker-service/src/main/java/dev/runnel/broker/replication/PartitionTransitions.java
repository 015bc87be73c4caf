package dev.runnel.broker.replication;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.storage.LogConfig;
import dev.runnel.broker.storage.LogException;
import dev.runnel.broker.storage.PartitionLog;
import dev.runnel.broker.storage.PartitionMetadataFile;
import dev.runnel.cluster.ClusterError;
import dev.runnel.cluster.CommandResponse.PartitionError;
import dev.runnel.cluster.LeaderAndIsrRequest;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.common.TopicPartition;

/**
 * How {@link ReplicaManager} applies one LeaderAndIsr, in two parallel phases: {@link #prepare}
 * opens or creates each named partition's log and decides its {@link Transition} (a refusal,
 * nothing to do, or a new state and perhaps a new {@link Partition}); {@link #update} gives the
 * partitions hosted already their new states. The replica manager then makes new partitions
 * visible and tells its listeners, in order. Runs under the replica manager's lock.
 */
final class PartitionTransitions implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PartitionTransitions.class);

    private static final int LOG_OPENERS = 8;

    private final int brokerId;
    private final HostedLogs logs;
    private final Map<TopicPartition, Partition> hosted;
    /** Partitions whose log directory failed: refused with KAFKA_STORAGE_ERROR until a restart. */
    private final Set<TopicPartition> offline;
    private final Clock clock;
    private final Partition.IsrProposer isrProposer;
    /** Opens and creates the logs of one LeaderAndIsr in parallel (their fsyncs overlap). */
    private final ExecutorService logOpeners = Executors.newFixedThreadPool(LOG_OPENERS, r -> {
        Thread t = new Thread(r, "log-opener");
        t.setDaemon(true);
        return t;
    });

    PartitionTransitions(int brokerId, HostedLogs logs, Map<TopicPartition, Partition> hosted,
            Set<TopicPartition> offline, Clock clock, Partition.IsrProposer isrProposer) {
        this.brokerId = brokerId;
        this.logs = logs;
        this.hosted = hosted;
        this.offline = offline;
        this.clock = clock;
        this.isrProposer = isrProposer;
    }

    /** Phase one: every named partition's transition, in the request's order. */
    List<Transition> prepare(LeaderAndIsrRequest request) {
        Map<TopicPartition, Callable<Transition>> work = new LinkedHashMap<>();
        for (TopicInfo topic : request.topics()) {
            for (PartitionInfo partition : topic.partitions()) {
                work.put(new TopicPartition(topic.name(), partition.partition()), () -> prepare(topic, partition));
            }
        }
        return runAll(work.values());
    }

    /**
     * Phase two: a partition hosted already takes its new state, in parallel too (a new leadership
     * records its leader epoch, one fsync each: a broker that leaves hands thousands to the others);
     * {@code beforeLeadershipChange} hears of each new leader or leader epoch first.
     */
    void update(List<Transition> transitions, Consumer<TopicPartition> beforeLeadershipChange) {
        List<Callable<Transition>> updates = new ArrayList<>();
        for (Transition t : transitions) {
            if (t.error() == null && t.next() != null && t.created() == null && !t.next().equals(t.current())) {
                updates.add(() -> {
                    if (leadershipChanges(t.current(), t.next())) {
                        beforeLeadershipChange.accept(t.tp());
                    }
                    t.existing().update(t.next(), t.minIsr());
                    return t;
                });
            }
        }
        runAll(updates);
    }

    /**
     * What phase one decided for one partition: an error, nothing to do ({@code next} null), or the
     * new state with its log and, when this broker did not host the partition on that log yet, the
     * new {@link Partition} (which already recorded a new leader epoch).
     */
    record Transition(TopicPartition tp, PartitionError error, HostedPartition current, HostedPartition next,
            int minIsr, Partition existing, Partition created) {

        static Transition failed(TopicPartition tp, ClusterError error, String message) {
            return new Transition(tp, new PartitionError(tp.topic(), tp.partition(), error, message), null, null, 0,
                    null, null);
        }
    }

    private List<Transition> runAll(Collection<Callable<Transition>> tasks) {
        List<Transition> results = new ArrayList<>(tasks.size());
        if (tasks.size() <= 1) {
            for (Callable<Transition> task : tasks) {
                results.add(call(task));
            }
            return results;
        }
        try {
            for (Future<Transition> done : logOpeners.invokeAll(tasks)) {
                results.add(done.get());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while opening partition logs", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("opening partition logs failed", e.getCause());
        }
        return results;
    }

    private static Transition call(Callable<Transition> task) {
        try {
            return task.call();
        } catch (Exception e) {
            throw new IllegalStateException("opening a partition log failed", e);
        }
    }

    private Transition prepare(TopicInfo topic, PartitionInfo partition) {
        TopicPartition tp = new TopicPartition(topic.name(), partition.partition());
        if (!partition.replicas().contains(brokerId)) {
            return Transition.failed(tp, ClusterError.INVALID_REQUEST, "broker " + brokerId + " is not a replica of " + tp);
        }
        if (offline.contains(tp)) {
            return Transition.failed(tp, ClusterError.KAFKA_STORAGE_ERROR, "the log directory of " + tp
                    + " on broker " + brokerId + " is offline");
        }
        Partition existing = hosted.get(tp);
        HostedPartition current = existing == null ? null : existing.state();
        PartitionLog partitionLog;
        try {
            partitionLog = logs.existing(tp).orElse(null);
            Optional<UUID> onDisk = partitionLog == null ? Optional.empty() : PartitionMetadataFile.read(partitionLog.dir());
            boolean recreated = (current != null && !current.topicId().equals(topic.topicId()))
                    || (onDisk.isPresent() && !onDisk.get().equals(topic.topicId()));
            if (recreated) {
                // The topic was deleted and created again while this broker missed the deletion:
                // the old log goes, and the new topic's leader epochs start again from zero.
                log.info("Partition {} belongs to a new topic id {}; deleting the old log", tp, topic.topicId());
                hosted.remove(tp);
                logs.delete(tp);
                current = null;
                partitionLog = null;
            }
            if (current != null && partition.state().leaderEpoch() < current.state().leaderEpoch()) {
                return Transition.failed(tp, ClusterError.STALE_LEADER_EPOCH, "leader epoch "
                        + partition.state().leaderEpoch() + " is older than the held " + current.state().leaderEpoch());
            }
            if (current != null && partition.state().leaderEpoch() == current.state().leaderEpoch()
                    && partition.state().partitionEpoch() < current.state().partitionEpoch()) {
                // An older ISR of the same leadership, overtaken by the AlterPartition answer: keep ours.
                return new Transition(tp, null, current, null, 0, null, null);
            }
            LogConfig config = HostedLogs.storageConfig(topic.configs());
            if (partitionLog == null) {
                partitionLog = logs.create(tp, config);
            } else if (!partitionLog.config().equals(config)) {
                partitionLog.updateConfig(config);
            }
            if (onDisk.isEmpty() || recreated) {
                PartitionMetadataFile.write(partitionLog.dir(), topic.topicId());
            }
        } catch (LogException | IOException | IllegalArgumentException e) {
            log.error("Cannot open the log of {}", tp, e);
            return Transition.failed(tp, ClusterError.KAFKA_STORAGE_ERROR, e.getMessage());
        }
        boolean leader = partition.state().leader() == brokerId;
        HostedPartition next = new HostedPartition(topic.topicId(), partition.replicas(), partition.state(), leader);
        int minIsr = HostedLogs.minInsyncReplicas(topic.configs());
        Partition hostedNow = hosted.get(tp);
        Partition created = hostedNow == null || hostedNow.log() != partitionLog
                ? new Partition(tp, brokerId, partitionLog, next, minIsr, clock, isrProposer)
                : null;
        return new Transition(tp, null, current, next, minIsr, hostedNow, created);
    }

    private static boolean leadershipChanges(HostedPartition current, HostedPartition next) {
        return current == null || current.leader() != next.leader()
                || current.state().leader() != next.state().leader()
                || current.state().leaderEpoch() != next.state().leaderEpoch();
    }

    /** Stops the log-opener threads (the broker is shutting down). */
    @Override
    public void close() {
        logOpeners.shutdownNow();
    }
}
