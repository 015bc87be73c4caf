package dev.runnel.controller.metadata;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.PartitionReassignments;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.TopicInfo;

/**
 * An immutable snapshot of the active controller's model, published after every event so that
 * reads (the admin API, metrics) never wait for the event loop.
 *
 * @param controllerId    this controller
 * @param controllerEpoch the epoch it leads with
 * @param brokers         the live brokers by id
 * @param topics          every topic with all its partitions, by name
 */
public record ClusterView(int controllerId, int controllerEpoch, Map<Integer, BrokerInfo> brokers,
        Map<String, TopicInfo> topics) {

    public ClusterView {
        brokers = Map.copyOf(brokers);
        topics = Map.copyOf(topics);
    }

    public Optional<TopicInfo> topic(String name) {
        return Optional.ofNullable(topics.get(name));
    }

    public int partitionCount() {
        return topics.values().stream().mapToInt(t -> t.partitions().size()).sum();
    }

    /** Partitions without a leader. */
    public int offlinePartitionCount() {
        return (int) partitions().stream().filter(p -> !p.state().online()).count();
    }

    /**
     * Partitions whose ISR is smaller than their replica set; a replica a reassignment is adding does
     * not count until it has joined (Kafka's replication factor of a moving partition).
     */
    public int underReplicatedPartitionCount() {
        return (int) partitions().stream()
                .filter(p -> p.state().isr().size() < p.replicas().size() - p.addingReplicas().size()).count();
    }

    /** Partitions led by someone other than their preferred (first) replica. */
    public int preferredReplicaImbalanceCount() {
        return (int) partitions().stream()
                .filter(p -> p.state().leader() != p.replicas().get(0)).count();
    }

    private List<PartitionInfo> partitions() {
        List<PartitionInfo> all = new ArrayList<>();
        topics.values().forEach(t -> all.addAll(t.partitions()));
        return all;
    }

    /** Where every ongoing partition reassignment stands, topic by topic in name order. */
    public List<PartitionReassignments.Progress> reassignments() {
        List<PartitionReassignments.Progress> ongoing = new ArrayList<>();
        topics.values().stream().sorted(Comparator.comparing(TopicInfo::name)).forEach(t -> t.partitions().stream()
                .filter(PartitionInfo::reassigning)
                .forEach(p -> ongoing.add(new PartitionReassignments.Progress(t.name(), p.partition(), p.replicas(),
                        p.addingReplicas(), p.removingReplicas()))));
        return ongoing;
    }

    /** The state of one partition, if the topic and partition exist. */
    public Optional<PartitionState> state(String topic, int partition) {
        return topic(topic).flatMap(t -> {
            List<PartitionInfo> partitions = t.partitions();
            if (partition >= 0 && partition < partitions.size() && partitions.get(partition).partition() == partition) {
                return Optional.of(partitions.get(partition)); // the usual order: partition p at index p
            }
            return partitions.stream().filter(p -> p.partition() == partition).findFirst();
        }).map(PartitionInfo::state);
    }
}
