package dev.runnel.controller.metadata;

import java.util.Map;
import java.util.Set;

import dev.runnel.cluster.AllocateProducerIdsRequest;
import dev.runnel.cluster.AlterPartitionRequest;
import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.ControlledShutdownRequest;

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

    /** Create a topic; with {@code validateOnly}, only check that it could be created. */
    record CreateTopic(String name, int partitions, int replicationFactor, Map<String, String> configs,
            boolean validateOnly) implements ControllerEvent {

        public CreateTopic {
            configs = configs == null ? Map.of() : Map.copyOf(configs);
        }

        public CreateTopic(String name, int partitions, int replicationFactor, Map<String, String> configs) {
            this(name, partitions, replicationFactor, configs, false);
        }
    }

    record DeleteTopic(String name) implements ControllerEvent {
    }

    /** Grow the topic to {@code totalCount} partitions. */
    record CreatePartitions(String name, int totalCount) implements ControllerEvent {
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

    /** The periodic check that moves leadership back to preferred replicas. */
    record PreferredLeaderCheck() implements ControllerEvent {
    }
}
