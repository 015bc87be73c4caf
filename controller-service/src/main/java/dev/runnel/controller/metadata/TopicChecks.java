package dev.runnel.controller.metadata;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.runnel.cluster.ClusterJson;
import dev.runnel.cluster.TopicConfigs;
import dev.runnel.cluster.TopicRecord;
import dev.runnel.common.TopicPartition;
import dev.runnel.controller.metadata.AdminException.Reason;

/**
 * The checks of a topic's name, partition count, record size and configs for the state machine,
 * each refusing with an {@link AdminException}.
 */
final class TopicChecks {

    private TopicChecks() {
    }

    static void name(String name) {
        try {
            TopicPartition.validateTopicName(name);
        } catch (IllegalArgumentException e) {
            throw new AdminException(Reason.INVALID_TOPIC, e.getMessage());
        }
    }

    static void partitionCount(int partitions) {
        if (partitions < 1 || partitions > ControllerStateMachine.MAX_PARTITIONS) {
            throw new AdminException(Reason.INVALID_PARTITIONS,
                    "The number of partitions must be from 1 to " + ControllerStateMachine.MAX_PARTITIONS + ", not "
                            + partitions);
        }
    }

    static void recordSize(String name, TopicRecord topic) {
        int bytes = ClusterJson.write(topic).length;
        if (bytes > ControllerStateMachine.MAX_TOPIC_RECORD_BYTES) {
            throw new AdminException(Reason.INVALID_PARTITIONS, "Topic '" + name + "' would have "
                    + topic.partitionCount() + " partitions of " + topic.replicas().get(0).size()
                    + " replicas, a replica assignment of " + bytes + " bytes; at most "
                    + ControllerStateMachine.MAX_TOPIC_RECORD_BYTES                    + " fit in ZooKeeper: use fewer partitions or replicas");
        }
    }

    static void configs(Map<String, String> configs) {
        try {
            TopicConfigs.validate(new LinkedHashMap<>(configs));
        } catch (IllegalArgumentException e) {
            throw new AdminException(Reason.INVALID_CONFIG, e.getMessage());
        }
    }
}
