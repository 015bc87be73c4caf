package dev.runnel.cluster;

import java.util.List;

/**
 * Controller to broker: become leader or follower of these partitions at the leader epochs given,
 * creating or opening their logs. Idempotent; fenced by the controller epoch and, per partition, by
 * the leader epoch.
 *
 * @param controllerId    the sending controller
 * @param controllerEpoch the sender's epoch
 * @param brokerEpoch     the registration of the target broker this is meant for
 * @param topics          the topics with the partitions the broker replicates
 * @param liveLeaders     the brokers leading these partitions (followers fetch from them)
 */
public record LeaderAndIsrRequest(int controllerId, int controllerEpoch, long brokerEpoch, List<TopicInfo> topics,
        List<BrokerInfo> liveLeaders) {

    public LeaderAndIsrRequest {
        topics = List.copyOf(topics);
        liveLeaders = List.copyOf(liveLeaders);
    }
}
