package dev.runnel.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A topic as stored in ZooKeeper at {@link ZkPaths#topic(String)}.
 *
 * <p>A partition being reassigned (KIP-455) lists in {@code replicas} its target replicas first,
 * then the current ones that are not targets, and has an entry in {@code reassignments} naming the
 * replicas being added and those to be removed; its target is its replicas without the removing
 * ones, and its original assignment its replicas without the adding ones. The entry is gone once
 * the reassignment completed or was cancelled. Kept in the topic node with the replicas, as Kafka's
 * ZooKeeper controller kept {@code adding_replicas} and {@code removing_replicas}, so a new
 * controller loads the move with the assignment it belongs to.
 *
 * @param topicId       the stable topic id, never reused by a topic of the same name
 * @param replicas      the replica assignment: element {@code p} lists partition {@code p}'s replicas, the
 *                      preferred leader first
 * @param configs       the topic's configuration overrides, by Kafka name
 * @param reassignments the ongoing reassignments by partition; omitted from the JSON when none is
 */
public record TopicRecord(UUID topicId, List<List<Integer>> replicas, Map<String, String> configs,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<Integer, Reassignment> reassignments) {

    /**
     * The replicas an ongoing reassignment of one partition adds and removes.
     *
     * @param adding   target replicas that were not replicas before: they must join the ISR
     * @param removing replicas that are not targets: they go when the reassignment completes
     */
    public record Reassignment(List<Integer> adding, List<Integer> removing) {

        public Reassignment {
            adding = adding == null ? List.of() : List.copyOf(adding);
            removing = removing == null ? List.of() : List.copyOf(removing);
        }
    }

    public TopicRecord {
        replicas = replicas.stream().map(List::copyOf).toList();
        configs = Map.copyOf(configs);
        reassignments = reassignments == null ? Map.of() : Map.copyOf(reassignments);
    }

    /** A topic without an ongoing reassignment. */
    public TopicRecord(UUID topicId, List<List<Integer>> replicas, Map<String, String> configs) {
        this(topicId, replicas, configs, Map.of());
    }

    public int partitionCount() {
        return replicas.size();
    }

    /** The ongoing reassignment of {@code partition}, or null. */
    public Reassignment reassignment(int partition) {
        return reassignments.get(partition);
    }

    public TopicRecord withReplicas(List<List<Integer>> newReplicas) {
        return new TopicRecord(topicId, newReplicas, configs, reassignments);
    }

    public TopicRecord withConfigs(Map<String, String> newConfigs) {
        return new TopicRecord(topicId, replicas, newConfigs, reassignments);
    }

    /** This topic with {@code partition} on {@code newReplicas}, reassigned as given (null: not reassigned). */
    public TopicRecord withPartition(int partition, List<Integer> newReplicas, Reassignment reassignment) {
        List<List<Integer>> all = new ArrayList<>(replicas);
        all.set(partition, newReplicas);
        Map<Integer, Reassignment> ongoing = new TreeMap<>(reassignments);
        if (reassignment == null) {
            ongoing.remove(partition);
        } else {
            ongoing.put(partition, reassignment);
        }
        return new TopicRecord(topicId, all, configs, ongoing);
    }
}
