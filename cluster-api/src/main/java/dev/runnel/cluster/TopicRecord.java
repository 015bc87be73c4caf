package dev.runnel.cluster;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A topic as stored in ZooKeeper at {@link ZkPaths#topic(String)}.
 *
 * @param topicId  the stable topic id, never reused by a topic of the same name
 * @param replicas the replica assignment: element {@code p} lists partition {@code p}'s replicas, the
 *                 preferred leader first
 * @param configs  the topic's configuration overrides, by Kafka name
 */
public record TopicRecord(UUID topicId, List<List<Integer>> replicas, Map<String, String> configs) {

    public TopicRecord {
        replicas = replicas.stream().map(List::copyOf).toList();
        configs = Map.copyOf(configs);
    }

    public int partitionCount() {
        return replicas.size();
    }

    public TopicRecord withReplicas(List<List<Integer>> newReplicas) {
        return new TopicRecord(topicId, newReplicas, configs);
    }

    public TopicRecord withConfigs(Map<String, String> newConfigs) {
        return new TopicRecord(topicId, replicas, newConfigs);
    }
}
