package dev.runnel.cluster;

import java.util.List;

/**
 * Controller to broker: the cluster view. A full update replaces the broker's view; an incremental one
 * replaces the topics it lists and removes {@code deletedTopics}. The live brokers are always complete.
 *
 * @param controllerId    the sending controller
 * @param controllerEpoch the sender's epoch
 * @param full            whether this replaces the whole view
 * @param liveBrokers     every live broker
 * @param topics          topics with all their partitions
 * @param deletedTopics   names of topics removed since the last update
 */
public record UpdateMetadataRequest(int controllerId, int controllerEpoch, boolean full, List<BrokerInfo> liveBrokers,
        List<TopicInfo> topics, List<String> deletedTopics) {

    public UpdateMetadataRequest {
        liveBrokers = List.copyOf(liveBrokers);
        topics = List.copyOf(topics);
        deletedTopics = List.copyOf(deletedTopics);
    }
}
