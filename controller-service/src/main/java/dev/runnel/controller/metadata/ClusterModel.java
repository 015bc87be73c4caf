package dev.runnel.controller.metadata;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.PartitionRef;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.ProducerIdBlock;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.cluster.TopicRecord;

/**
 * The active controller's model of the cluster: live brokers, topics and partition states, as
 * loaded from ZooKeeper and changed by committed decisions. Not thread-safe: owned by the event
 * loop.
 *
 * <p>With 50,000 partitions, nothing done once per event or once per broker may cost a pass over
 * every partition: the {@link TopicInfo} of each topic is kept until the topic or one of its
 * states changes, so the view published after each event and the full metadata sent to each
 * broker share them, and the partitions of each broker are indexed until a topic changes.
 */
final class ClusterModel {

    private final int controllerId;
    private final int controllerEpoch;
    private final Map<Integer, BrokerInfo> live = new TreeMap<>();
    private final Set<Integer> shuttingDown = new TreeSet<>();
    private final Map<String, TopicRecord> topics = new TreeMap<>();
    private final Map<String, Map<Integer, PartitionState>> states = new HashMap<>();
    /** The info of each topic built since it last changed (immutable, so views may share it). */
    private final Map<String, TopicInfo> infos = new HashMap<>();
    /** The partitions with an ongoing reassignment, so that no event needs a pass over every partition to find them. */
    private final Set<PartitionRef> reassigning = new TreeSet<>(PARTITION_ORDER);
    /** The partitions of each broker, built on demand; null after any change of replicas. */
    private Map<Integer, List<PartitionRef>> partitionsByBroker;
    private ProducerIdBlock lastProducerIds;
    /** The version of the last metadata view sent to brokers in this controller epoch. */
    private long metadataVersion;

    /** Topic by name, then partition: the order partitions are visited in. */
    static final Comparator<PartitionRef> PARTITION_ORDER =
            Comparator.comparing(PartitionRef::topic).thenComparingInt(PartitionRef::partition);

    ClusterModel(int controllerId, int controllerEpoch, LoadedMetadata loaded) {
        this.controllerId = controllerId;
        this.controllerEpoch = controllerEpoch;
        loaded.brokers().forEach(b -> live.put(b.id(), b));
        topics.putAll(loaded.topics());
        topics.forEach(this::indexReassignments);
        loaded.states().forEach((topic, byPartition) -> states.put(topic, new TreeMap<>(byPartition)));
        lastProducerIds = loaded.lastProducerIds();
    }

    /** The last block of producer ids handed out, or null. */
    ProducerIdBlock lastProducerIds() {
        return lastProducerIds;
    }

    void lastProducerIds(ProducerIdBlock block) {
        lastProducerIds = block;
    }

    int controllerId() {
        return controllerId;
    }

    int controllerEpoch() {
        return controllerEpoch;
    }

    /**
     * The version for the view a decision sends to brokers: one more than the last one, so brokers
     * can order the views of this controller epoch and ignore late duplicates of older ones.
     */
    long nextMetadataVersion() {
        return ++metadataVersion;
    }

    boolean isLive(int brokerId) {
        return live.containsKey(brokerId);
    }

    /** Alive and not shutting down: may lead or join an ISR. */
    boolean isUsable(int brokerId) {
        return live.containsKey(brokerId) && !shuttingDown.contains(brokerId);
    }

    BrokerInfo broker(int id) {
        return live.get(id);
    }

    List<BrokerInfo> liveBrokers() {
        return List.copyOf(live.values());
    }

    void brokerUp(BrokerInfo broker) {
        live.put(broker.id(), broker);
        shuttingDown.remove(broker.id());
    }

    void brokerDown(int id) {
        live.remove(id);
        shuttingDown.remove(id);
    }

    void shuttingDown(int id) {
        shuttingDown.add(id);
    }

    List<BrokerInfo> usableBrokers() {
        return live.values().stream().filter(b -> !shuttingDown.contains(b.id())).toList();
    }

    boolean hasTopic(String name) {
        return topics.containsKey(name);
    }

    TopicRecord topic(String name) {
        return topics.get(name);
    }

    Set<String> topicNames() {
        return topics.keySet();
    }

    void putTopic(String name, TopicRecord topic, Map<Integer, PartitionState> newStates) {
        topics.put(name, topic);
        reassigning.removeIf(tp -> tp.topic().equals(name));
        indexReassignments(name, topic);
        states.computeIfAbsent(name, n -> new TreeMap<>()).putAll(newStates);
        infos.remove(name);
        partitionsByBroker = null;
    }

    /**
     * Gives one partition new replicas and reassignment (null: none), without a pass over the
     * topic's other partitions' reassignments: a move of thousands of partitions costs one such
     * change each.
     */
    void setAssignment(PartitionRef tp, List<Integer> replicas, TopicRecord.Reassignment reassignment) {
        topics.put(tp.topic(), topics.get(tp.topic()).withPartition(tp.partition(), replicas, reassignment));
        if (reassignment == null) {
            reassigning.remove(tp);
        } else {
            reassigning.add(tp);
        }
        infos.remove(tp.topic());
        partitionsByBroker = null;
    }

    void removeTopic(String name) {
        topics.remove(name);
        reassigning.removeIf(tp -> tp.topic().equals(name));
        states.remove(name);
        infos.remove(name);
        partitionsByBroker = null;
    }

    PartitionState state(PartitionRef tp) {
        Map<Integer, PartitionState> byPartition = states.get(tp.topic());
        return byPartition == null ? null : byPartition.get(tp.partition());
    }

    void setState(PartitionRef tp, PartitionState state) {
        states.get(tp.topic()).put(tp.partition(), state);
        infos.remove(tp.topic());
    }

    List<Integer> replicas(PartitionRef tp) {
        return topics.get(tp.topic()).replicas().get(tp.partition());
    }

    /** Every partition, topic by topic in name order. */
    List<PartitionRef> allPartitions() {
        List<PartitionRef> all = new ArrayList<>();
        topics.forEach((name, topic) -> {
            for (int p = 0; p < topic.partitionCount(); p++) {
                all.add(new PartitionRef(name, p));
            }
        });
        return all;
    }

    /** The partitions {@code brokerId} is a replica of, topic by topic in name order. */
    List<PartitionRef> partitionsOf(int brokerId) {
        if (partitionsByBroker == null) {
            partitionsByBroker = new HashMap<>();
            for (PartitionRef tp : allPartitions()) {
                for (int replica : replicas(tp)) {
                    partitionsByBroker.computeIfAbsent(replica, b -> new ArrayList<>()).add(tp);
                }
            }
        }
        return Collections.unmodifiableList(partitionsByBroker.getOrDefault(brokerId, List.of()));
    }

    /** The ongoing reassignment of {@code tp}, or null. */
    TopicRecord.Reassignment reassignment(PartitionRef tp) {
        return topics.get(tp.topic()).reassignment(tp.partition());
    }

    /** The partitions with an ongoing reassignment, topic by topic in name order (a copy). */
    List<PartitionRef> reassigningPartitions() {
        return List.copyOf(reassigning);
    }

    private void indexReassignments(String name, TopicRecord topic) {
        topic.reassignments().keySet().forEach(p -> reassigning.add(new PartitionRef(name, p)));
    }

    PartitionInfo partitionInfo(PartitionRef tp) {
        TopicRecord.Reassignment reassignment = reassignment(tp);
        return reassignment == null ? new PartitionInfo(tp.partition(), replicas(tp), state(tp))
                : new PartitionInfo(tp.partition(), replicas(tp), state(tp), reassignment.adding(),
                        reassignment.removing());
    }

    /** The topic with every partition; the same instance until the topic or a state of it changes. */
    TopicInfo topicInfo(String name) {
        TopicInfo info = infos.get(name);
        if (info == null) {
            info = buildTopicInfo(name);
            infos.put(name, info);
        }
        return info;
    }

    private TopicInfo buildTopicInfo(String name) {
        TopicRecord topic = topics.get(name);
        List<PartitionInfo> partitions = new ArrayList<>();
        for (int p = 0; p < topic.partitionCount(); p++) {
            partitions.add(partitionInfo(new PartitionRef(name, p)));
        }
        return new TopicInfo(name, topic.topicId(), topic.configs(), partitions);
    }

    List<TopicInfo> allTopicInfos() {
        return topics.keySet().stream().map(this::topicInfo).toList();
    }

    ClusterView view() {
        Map<String, TopicInfo> infos = new TreeMap<>();
        topics.keySet().forEach(name -> infos.put(name, topicInfo(name)));
        return new ClusterView(controllerId, controllerEpoch, live, infos);
    }
}
