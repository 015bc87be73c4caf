package dev.runnel.controller.metadata;

import java.util.List;
import java.util.Map;

import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.ProducerIdBlock;
import dev.runnel.cluster.TopicRecord;

/**
 * The cluster metadata as read from ZooKeeper by a controller taking over.
 *
 * @param brokers the registered brokers, with their epochs
 * @param topics  topics by name
 * @param states  partition states by topic, then partition
 * @param lastProducerIds the last block of producer ids handed out, or null if none ever was
 */
public record LoadedMetadata(List<BrokerInfo> brokers, Map<String, TopicRecord> topics,
        Map<String, Map<Integer, PartitionState>> states, ProducerIdBlock lastProducerIds) {

    public static final LoadedMetadata EMPTY = new LoadedMetadata(List.of(), Map.of(), Map.of(), null);

    /** Metadata without any producer id handed out yet. */
    public LoadedMetadata(List<BrokerInfo> brokers, Map<String, TopicRecord> topics,
            Map<String, Map<Integer, PartitionState>> states) {
        this(brokers, topics, states, null);
    }
}
