package dev.runnel.cluster;

import java.util.List;

/**
 * Controller to broker: the cluster view. A full update replaces the broker's view; an incremental one
 * replaces the topics it lists and removes {@code deletedTopics}. The live brokers are always complete.
 *
 * <p>Views are ordered by {@code (controllerEpoch, metadataVersion)}: a broker applies an update only
 * if it is newer than the view it holds, so a late duplicate (an HTTP retry whose first attempt
 * arrived after all, a command still in flight on a channel the controller replaced) never takes the
 * broker back to an older view. A broker serves clients only once it has applied a full update meant
 * for its current registration ({@code brokerEpoch}).
 *
 * @param controllerId    the sending controller
 * @param controllerEpoch the sender's epoch
 * @param brokerEpoch     the registration of the target broker this is meant for
 * @param metadataVersion the sender's metadata version: grows with every decision that changes the view,
 *                        within one controller epoch (a new epoch starts again from 1)
 * @param full            whether this replaces the whole view
 * @param liveBrokers     every live broker
 * @param topics          topics with all their partitions
 * @param deletedTopics   names of topics removed since the last update
 */
public record UpdateMetadataRequest(int controllerId, int controllerEpoch, long brokerEpoch, long metadataVersion,
        boolean full, List<BrokerInfo> liveBrokers, List<TopicInfo> topics, List<String> deletedTopics) {

    public UpdateMetadataRequest {
        liveBrokers = List.copyOf(liveBrokers);
        topics = List.copyOf(topics);
        deletedTopics = List.copyOf(deletedTopics);
    }
}
