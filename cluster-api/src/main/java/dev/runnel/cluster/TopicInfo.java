package dev.runnel.cluster;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A topic with its partitions' replicas and leadership, as carried by controller commands.
 *
 * @param name       the topic name
 * @param topicId    the stable topic id
 * @param configs    the topic's configuration overrides
 * @param partitions the partitions concerned (all of them in metadata, a subset in LeaderAndIsr)
 */
public record TopicInfo(String name, UUID topicId, Map<String, String> configs, List<PartitionInfo> partitions) {

    public TopicInfo {
        configs = Map.copyOf(configs);
        partitions = List.copyOf(partitions);
    }
}
