package dev.runnel.controller.metadata;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.LeaderAndIsrRequest;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.PartitionRef;
import dev.runnel.cluster.StopReplicaRequest;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.cluster.TopicRecord;
import dev.runnel.cluster.UpdateMetadataRequest;

/**
 * Collects what one event changed and turns it into the commands for each broker, in the order each
 * broker must apply them: a full metadata view for a broker that just joined, then LeaderAndIsr
 * for the partitions it replicates, then the incremental metadata, then StopReplica. The metadata
 * updates of one plan share one new metadata version.
 */
final class CommandPlan {

    private final ClusterModel model;
    private final Set<Integer> joined = new TreeSet<>();
    private final Map<Integer, Set<PartitionRef>> leaderAndIsr = new TreeMap<>();
    private final Set<String> changedTopics = new TreeSet<>();
    private final Set<String> deletedTopics = new TreeSet<>();
    private final Map<Integer, List<PartitionRef>> stopAndDelete = new TreeMap<>();
    private boolean brokersChanged;

    CommandPlan(ClusterModel model) {
        this.model = model;
    }

    /** A broker joined: it gets the full view and the state of every partition it replicates. */
    void brokerJoined(int brokerId) {
        joined.add(brokerId);
        brokersChanged = true;
        model.partitionsOf(brokerId).forEach(tp -> leaderAndIsr.computeIfAbsent(brokerId, b -> new LinkedHashSet<>()).add(tp));
    }

    void brokersChanged() {
        brokersChanged = true;
    }

    /** A partition's leadership or ISR changed: its live replicas and every broker's metadata hear of it. */
    void partitionChanged(PartitionRef tp) {
        for (int replica : model.replicas(tp)) {
            if (model.isLive(replica)) {
                leaderAndIsr.computeIfAbsent(replica, b -> new LinkedHashSet<>()).add(tp);
            }
        }
        changedTopics.add(tp.topic());
    }

    /** Only the metadata changed (configs, or an ISR the leader already knows). */
    void topicMetadataChanged(String topic) {
        changedTopics.add(topic);
    }

    /** Replicas left a partition's assignment (a reassignment ended): the live ones stop and delete their logs. */
    void replicasRemoved(PartitionRef tp, List<Integer> removed) {
        for (int broker : removed) {
            if (model.isLive(broker)) {
                stopAndDelete.computeIfAbsent(broker, b -> new ArrayList<>()).add(tp);
            }
        }
    }

    void topicDeleted(String topic, Map<Integer, List<PartitionRef>> replicasByBroker) {
        deletedTopics.add(topic);
        changedTopics.remove(topic);
        replicasByBroker.forEach((broker, tps) -> {
            if (model.isLive(broker)) {
                stopAndDelete.computeIfAbsent(broker, b -> new ArrayList<>()).addAll(tps);
            }
        });
    }

    List<BrokerCommand> commands() {
        List<BrokerCommand> commands = new ArrayList<>();
        List<BrokerInfo> live = model.liveBrokers();
        boolean metadataChanged = brokersChanged || !changedTopics.isEmpty() || !deletedTopics.isEmpty();
        // One version per decision: every broker's view of it is the same view.
        long version = metadataChanged || !joined.isEmpty() ? model.nextMetadataVersion() : 0;
        // Built once for every broker: with thousands of partitions, not a pass over them per broker.
        List<TopicInfo> allTopics = joined.isEmpty() ? List.of() : model.allTopicInfos();
        List<TopicInfo> changed = changedTopics.stream().filter(model::hasTopic).map(model::topicInfo).toList();
        for (BrokerInfo broker : live) {
            int id = broker.id();
            if (joined.contains(id)) {
                commands.add(new BrokerCommand.UpdateMetadata(id, new UpdateMetadataRequest(model.controllerId(),
                        model.controllerEpoch(), broker.epoch(), version, true, live, allTopics, List.of())));
            }
            Set<PartitionRef> partitions = leaderAndIsr.get(id);
            if (partitions != null && !partitions.isEmpty()) {
                commands.add(new BrokerCommand.LeaderAndIsr(id, leaderAndIsr(broker, partitions)));
            }
            if (metadataChanged && !joined.contains(id)) {
                commands.add(new BrokerCommand.UpdateMetadata(id, new UpdateMetadataRequest(model.controllerId(),
                        model.controllerEpoch(), broker.epoch(), version, false, live, changed, List.copyOf(deletedTopics))));
            }
            List<PartitionRef> stop = stopAndDelete.get(id);
            if (stop != null) {
                commands.add(new BrokerCommand.StopReplica(id, new StopReplicaRequest(model.controllerId(),
                        model.controllerEpoch(), broker.epoch(), true, stop)));
            }
        }
        return commands;
    }

    private LeaderAndIsrRequest leaderAndIsr(BrokerInfo broker, Set<PartitionRef> partitions) {
        Map<String, List<PartitionInfo>> byTopic = new LinkedHashMap<>();
        Set<Integer> leaders = new TreeSet<>();
        for (PartitionRef tp : partitions) {
            if (!model.hasTopic(tp.topic())) {
                continue;
            }
            PartitionInfo info = model.partitionInfo(tp);
            byTopic.computeIfAbsent(tp.topic(), t -> new ArrayList<>()).add(info);
            if (info.state().online()) {
                leaders.add(info.state().leader());
            }
        }
        List<TopicInfo> topics = new ArrayList<>();
        byTopic.forEach((name, infos) -> {
            TopicRecord topic = model.topic(name);
            topics.add(new TopicInfo(name, topic.topicId(), topic.configs(), infos));
        });
        List<BrokerInfo> liveLeaders = leaders.stream().filter(model::isLive).map(model::broker).toList();
        return new LeaderAndIsrRequest(model.controllerId(), model.controllerEpoch(), broker.epoch(), topics,
                liveLeaders);
    }
}
