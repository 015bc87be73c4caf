package dev.runnel.broker.replication;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.storage.LogConfig;
import dev.runnel.cluster.ClusterError;
import dev.runnel.cluster.CommandResponse;
import dev.runnel.cluster.CommandResponse.PartitionError;
import dev.runnel.cluster.LeaderAndIsrRequest;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.PartitionRef;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.StopReplicaRequest;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.cluster.UpdateMetadataRequest;
import dev.runnel.common.TopicPartition;

/**
 * The leadership-change half of the {@link ReplicaManager} (Kafka's {@code becomeLeaderOrFollower},
 * {@code stopReplicas} and metadata cache update): applies the controller's LeaderAndIsr,
 * UpdateMetadata and StopReplica to the partitions this broker hosts, and owns their fencing.
 *
 * <p>Fencing: a command whose controller epoch is lower than the highest seen comes from a deposed
 * controller and is refused whole (STALE_CONTROLLER_EPOCH); one meant for an earlier registration of
 * this broker is refused (STALE_BROKER_EPOCH); a partition whose leader epoch is lower than the one
 * held is refused (STALE_LEADER_EPOCH, {@link PartitionTransitions}). Every command is idempotent.
 *
 * <p>Not thread-safe: the replica manager calls it under its lock, so commands are applied one at
 * a time and never while a replica is swapped between log directories or taken offline.
 */
final class ControllerCommandHandler implements AutoCloseable {

    /** The replica manager's: operators follow partition state changes under that name. */
    private static final Logger log = LoggerFactory.getLogger(ReplicaManager.class);

    private final HostedLogs logs;
    private final MetadataCache metadata;
    private final LongSupplier brokerEpoch;
    private final Map<TopicPartition, Partition> hosted;
    private final PartitionTransitions transitions;
    /** Stops fetching for a partition before it takes a new leader or leader epoch. */
    private final Consumer<TopicPartition> beforeLeadershipChange;
    /** Wakes the requests waiting on a partition whose state changed and tells the listeners. */
    private final Consumer<TopicPartition> stateChanged;
    private int highestControllerEpoch;

    ControllerCommandHandler(HostedLogs logs, MetadataCache metadata, LongSupplier brokerEpoch,
            Map<TopicPartition, Partition> hosted, PartitionTransitions transitions,
            Consumer<TopicPartition> beforeLeadershipChange, Consumer<TopicPartition> stateChanged) {
        this.logs = logs;
        this.metadata = metadata;
        this.brokerEpoch = brokerEpoch;
        this.hosted = hosted;
        this.transitions = transitions;
        this.beforeLeadershipChange = beforeLeadershipChange;
        this.stateChanged = stateChanged;
    }

    CommandResponse leaderAndIsr(LeaderAndIsrRequest request) {
        CommandResponse refused = fence(request.controllerEpoch(), request.brokerEpoch());
        if (refused != null) {
            return refused;
        }
        // Phase one, in parallel: open or create each partition's log (a new log costs a few fsyncs,
        // which overlap when several are in flight). Phase two: hosted partitions take their new
        // states, in parallel; then, in order, new partitions become visible and listeners hear.
        List<PartitionTransitions.Transition> transitions = this.transitions.prepare(request);
        // Stop fetching first: an answer of a fetch in flight must not cut or extend the log once
        // its new epoch has begun (Kafka removes fetchers before makeLeader too).
        this.transitions.update(transitions, beforeLeadershipChange);
        List<PartitionError> errors = new ArrayList<>();
        for (PartitionTransitions.Transition transition : transitions) {
            if (transition.error() != null) {
                errors.add(transition.error());
            } else if (transition.next() != null) {
                install(transition);
            }
        }
        return CommandResponse.ok(errors);
    }

    /** Makes a new partition visible (an existing one has its new state already) and tells the listeners. */
    private void install(PartitionTransitions.Transition t) {
        if (t.created() != null) {
            hosted.put(t.tp(), t.created());
        }
        if (!t.next().equals(t.current())) {
            stateChanged.accept(t.tp());
            PartitionState state = t.next().state();
            log.info("Partition {}: {} at leader epoch {}, ISR {}", t.tp(), t.next().leader() ? "leader"
                    : "follower of " + state.leader(), state.leaderEpoch(), state.isr());
        }
    }

    /**
     * Applies a metadata view if it is newer than the one held; an older or repeated one (a late
     * retry) is acknowledged and ignored, so the view clients see never goes back.
     */
    CommandResponse updateMetadata(UpdateMetadataRequest request) {
        CommandResponse refused = fence(request.controllerEpoch(), request.brokerEpoch());
        if (refused != null) {
            return refused;
        }
        Optional<MetadataCache.Snapshot> view = metadata.apply(request);
        if (view.isEmpty()) {
            return new CommandResponse(ClusterError.NONE, "ignored: version " + request.metadataVersion()
                    + " is not newer than the view held", List.of());
        }
        if (request.full()) {
            // Once per full view (registration or controller), on the thread applying the commands.
            logs.deleteStray(view.get(), hosted::remove);
        }
        request.topics().forEach(this::applyConfigs);
        return CommandResponse.ok(List.of());
    }

    CommandResponse stopReplica(StopReplicaRequest request) {
        CommandResponse refused = fence(request.controllerEpoch(), request.brokerEpoch());
        if (refused != null) {
            return refused;
        }
        List<TopicPartition> stopped = new ArrayList<>();
        for (PartitionRef ref : request.partitions()) {
            TopicPartition tp = new TopicPartition(ref.topic(), ref.partition());
            stopped.add(tp);
            if (hosted.remove(tp) != null) {
                stateChanged.accept(tp);
            }
        }
        if (!request.deletePartitions()) {
            return CommandResponse.ok(List.of());
        }
        try {
            logs.delete(stopped);
            return CommandResponse.ok(List.of());
        } catch (IOException batchFailed) {
            // Say which partitions failed: retry them one by one.
            List<PartitionError> errors = new ArrayList<>();
            for (TopicPartition tp : stopped) {
                try {
                    logs.delete(tp);
                } catch (IOException e) {
                    errors.add(new PartitionError(tp.topic(), tp.partition(), ClusterError.KAFKA_STORAGE_ERROR,
                            e.getMessage()));
                }
            }
            return CommandResponse.ok(errors);
        }
    }

    int highestControllerEpoch() {
        return highestControllerEpoch;
    }

    /** Null when the command may proceed, else the refusal. */
    private CommandResponse fence(int controllerEpoch, long targetBrokerEpoch) {
        if (controllerEpoch < highestControllerEpoch) {
            return CommandResponse.refused(ClusterError.STALE_CONTROLLER_EPOCH, "controller epoch "
                    + controllerEpoch + " is older than " + highestControllerEpoch + ", the highest this broker has seen");
        }
        if (targetBrokerEpoch != brokerEpoch.getAsLong()) {
            return CommandResponse.refused(ClusterError.STALE_BROKER_EPOCH, "the command is for broker epoch "
                    + targetBrokerEpoch + ", this broker's is " + brokerEpoch.getAsLong());
        }
        highestControllerEpoch = controllerEpoch;
        return null;
    }

    /** Gives the hosted logs of {@code topic} its current storage configs (after AlterConfigs). */
    private void applyConfigs(TopicInfo topic) {
        LogConfig config;
        try {
            config = HostedLogs.storageConfig(topic.configs());
        } catch (IllegalArgumentException e) {
            log.error("Topic {} has storage configs this broker cannot apply: {}", topic.name(), e.getMessage());
            return;
        }
        int minIsr = HostedLogs.minInsyncReplicas(topic.configs());
        for (PartitionInfo partition : topic.partitions()) {
            TopicPartition tp = new TopicPartition(topic.name(), partition.partition());
            logs.existing(tp).filter(l -> !l.config().equals(config)).ifPresent(l -> l.updateConfig(config));
            Partition hostedPartition = hosted.get(tp);
            if (hostedPartition != null) {
                hostedPartition.minInsyncReplicas(minIsr);
            }
        }
    }

    /** Stops the threads that open logs for LeaderAndIsr. */
    @Override
    public void close() {
        transitions.close();
    }
}
