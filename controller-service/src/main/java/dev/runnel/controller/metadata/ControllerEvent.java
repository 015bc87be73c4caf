package dev.runnel.controller.metadata;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.runnel.cluster.AllocateProducerIdsRequest;
import dev.runnel.cluster.AlterPartitionRequest;
import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.ControlledShutdownRequest;
import dev.runnel.cluster.LeaderElections;
import dev.runnel.cluster.PartitionReassignments;
import dev.runnel.cluster.ReplicasOfflineRequest;

/**
 * What the controller state machine reacts to. Admin events carry a request already parsed from
 * the REST API; cluster events come from ZooKeeper watches, brokers and timers.
 */
public sealed interface ControllerEvent {

    /** A broker registered (or re-registered with a new epoch). */
    record BrokerUp(BrokerInfo broker) implements ControllerEvent {
    }

    /** A broker's registration disappeared. */
    record BrokerDown(int brokerId) implements ControllerEvent {
    }

    /**
     * Create a topic; with {@code validateOnly}, only check that it could be created. With
     * {@code assignments} (replica lists by partition, the first replica preferred as leader) the
     * operator places the replicas, and the counts follow from them.
     */
    record CreateTopic(String name, int partitions, int replicationFactor, Map<String, String> configs,
            boolean validateOnly, List<List<Integer>> assignments) implements ControllerEvent {

        public CreateTopic {
            configs = configs == null ? Map.of() : Map.copyOf(configs);
            assignments = copy(assignments);
        }

        public CreateTopic(String name, int partitions, int replicationFactor, Map<String, String> configs,
                boolean validateOnly) {
            this(name, partitions, replicationFactor, configs, validateOnly, null);
        }

        public CreateTopic(String name, int partitions, int replicationFactor, Map<String, String> configs) {
            this(name, partitions, replicationFactor, configs, false, null);
        }
    }

    record DeleteTopic(String name) implements ControllerEvent {
    }

    /**
     * Grow the topic to {@code totalCount} partitions, placing the new ones as given or by the placement
     * rules; with {@code validateOnly}, only check that it could be done (Kafka's validate_only).
     */
    record CreatePartitions(String name, int totalCount, List<List<Integer>> assignments, boolean validateOnly)
            implements ControllerEvent {

        public CreatePartitions {
            assignments = copy(assignments);
        }

        public CreatePartitions(String name, int totalCount, List<List<Integer>> assignments) {
            this(name, totalCount, assignments, false);
        }

        public CreatePartitions(String name, int totalCount) {
            this(name, totalCount, null, false);
        }
    }

    /** Set some configs and remove others, as Kafka's IncrementalAlterConfigs does. */
    record AlterConfigs(String name, Map<String, String> set, Set<String> remove) implements ControllerEvent {

        public AlterConfigs {
            set = set == null ? Map.of() : Map.copyOf(set);
            remove = remove == null ? Set.of() : Set.copyOf(remove);
        }
    }

    record AlterPartition(AlterPartitionRequest request) implements ControllerEvent {
    }

    record ControlledShutdown(ControlledShutdownRequest request) implements ControllerEvent {
    }

    record AllocateProducerIds(AllocateProducerIdsRequest request) implements ControllerEvent {
    }

    /** A broker's log directory failed: its replicas of these partitions are offline ({@link OfflineReplicas}). */
    record ReplicasOffline(ReplicasOfflineRequest request) implements ControllerEvent {
    }

    /**
     * Move each partition named to its target replicas, or cancel its ongoing reassignment (target
     * null), as Kafka's AlterPartitionReassignments; all or none are accepted.
     */
    record ReassignPartitions(List<PartitionReassignments.Target> targets) implements ControllerEvent {

        public ReassignPartitions {
            targets = targets == null ? null : Collections.unmodifiableList(new ArrayList<>(targets));
        }
    }

    /**
     * The periodic check that moves leadership back to preferred replicas of each broker whose
     * share of preferred partitions led elsewhere is above {@code imbalancePercentage} percent
     * (Kafka's {@code leader.imbalance.per.broker.percentage}).
     */
    record PreferredLeaderCheck(int imbalancePercentage) implements ControllerEvent {

        /** Kafka's default threshold, 10 %. */
        public static final int DEFAULT_IMBALANCE_PERCENTAGE = 10;

        public PreferredLeaderCheck() {
            this(DEFAULT_IMBALANCE_PERCENTAGE);
        }
    }

    /**
     * Elect leaders of the partitions named (null: every partition) by {@code type}, as Kafka's
     * ElectLeaders; each partition gets its own outcome.
     */
    record ElectLeaders(LeaderElections.Type type, List<LeaderElections.Partition> partitions)
            implements ControllerEvent {

        public ElectLeaders {
            partitions = partitions == null ? null : Collections.unmodifiableList(new ArrayList<>(partitions));
        }
    }

    /** A copy that keeps nulls, for the state machine to refuse with a message rather than a crash. */
    private static List<List<Integer>> copy(List<List<Integer>> lists) {
        if (lists == null) {
            return null;
        }
        List<List<Integer>> copy = new ArrayList<>();
        for (List<Integer> list : lists) {
            copy.add(list == null ? null : Collections.unmodifiableList(new ArrayList<>(list)));
        }
        return Collections.unmodifiableList(copy);
    }
}
