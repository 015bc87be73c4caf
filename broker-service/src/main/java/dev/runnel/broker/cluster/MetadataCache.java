package dev.runnel.broker.cluster;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.cluster.UpdateMetadataRequest;

/**
 * The broker's view of the cluster, as the controller last sent it with UpdateMetadata: live
 * brokers and every topic's partitions, leaders and ISR. Readers get an immutable snapshot; updates
 * are applied by one caller at a time.
 */
public final class MetadataCache {

    /** One consistent view. */
    public record Snapshot(int controllerId, int controllerEpoch, Map<Integer, BrokerInfo> brokers,
            Map<String, TopicInfo> topics) {

        public static final Snapshot EMPTY = new Snapshot(-1, 0, Map.of(), Map.of());

        public Snapshot {
            brokers = Map.copyOf(brokers);
            topics = Map.copyOf(topics);
        }

        public Optional<TopicInfo> topic(String name) {
            return Optional.ofNullable(topics.get(name));
        }
    }

    private volatile Snapshot snapshot = Snapshot.EMPTY;
    private volatile Map<UUID, TopicInfo> topicsById = Map.of();
    private volatile String clusterId;

    /** The cluster id, once the broker has read it from ZooKeeper; null before. */
    public String clusterId() {
        return clusterId;
    }

    public void clusterId(String id) {
        this.clusterId = id;
    }

    public Snapshot snapshot() {
        return snapshot;
    }

    /** Applies a full or incremental update (the caller has checked its controller epoch). */
    public synchronized Snapshot apply(UpdateMetadataRequest update) {
        Map<Integer, BrokerInfo> brokers = new TreeMap<>();
        update.liveBrokers().forEach(b -> brokers.put(b.id(), b));
        Map<String, TopicInfo> topics = new TreeMap<>(update.full() ? Map.of() : snapshot.topics());
        update.deletedTopics().forEach(topics::remove);
        for (TopicInfo topic : update.topics()) {
            topics.put(topic.name(), topic);
        }
        Snapshot next = new Snapshot(update.controllerId(), update.controllerEpoch(), brokers, topics);
        Map<UUID, TopicInfo> byId = new HashMap<>();
        next.topics().values().forEach(t -> byId.put(t.topicId(), t));
        topicsById = Map.copyOf(byId);
        snapshot = next;
        return next;
    }

    /** The topic with id {@code id}, if the last update named it. */
    public Optional<TopicInfo> topicById(UUID id) {
        return Optional.ofNullable(topicsById.get(id));
    }

    public List<BrokerInfo> liveBrokers() {
        return List.copyOf(snapshot.brokers().values());
    }
}
