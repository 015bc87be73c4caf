package dev.runnel.broker.metadata;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.cluster.UpdateMetadataRequest;

/**
 * The broker's view of the cluster, as the controller last sent it with UpdateMetadata: live
 * brokers and every topic's partitions, leaders and ISR. Readers get an immutable snapshot; updates
 * are applied by one caller at a time.
 *
 * <p>The view only moves forward: an update is applied only if its {@code (controllerEpoch,
 * metadataVersion)} is newer than the held view's, so a late or duplicated update never takes the
 * broker back to an older view (what clients see in Metadata is monotonic). The cache also remembers
 * for which registration of this broker (broker epoch) it last applied a full view: until it has one
 * for the current registration, the broker does not serve clients (see {@code ReplicaManager.servesClients()}).
 */
public final class MetadataCache {

    private static final Logger log = LoggerFactory.getLogger(MetadataCache.class);

    /** One consistent view. */
    public record Snapshot(int controllerId, int controllerEpoch, long metadataVersion, Map<Integer, BrokerInfo> brokers,
            Map<String, TopicInfo> topics) {

        public static final Snapshot EMPTY = new Snapshot(-1, 0, 0, Map.of(), Map.of());

        public Snapshot {
            brokers = Map.copyOf(brokers);
            topics = Map.copyOf(topics);
        }

        public Optional<TopicInfo> topic(String name) {
            return Optional.ofNullable(topics.get(name));
        }

        /** Whether {@code partition} has a leader that is a live broker of this view (what clients can use). */
        public boolean hasLiveLeader(PartitionInfo partition) {
            return partition.state().online() && brokers.containsKey(partition.state().leader());
        }

        /** Whether {@code update} comes after this view: a newer controller epoch, or a newer version in this one. */
        boolean isOlderThan(UpdateMetadataRequest update) {
            return update.controllerEpoch() > controllerEpoch
                    || (update.controllerEpoch() == controllerEpoch && update.metadataVersion() > metadataVersion);
        }
    }

    private final List<Consumer<Snapshot>> listeners = new CopyOnWriteArrayList<>();
    private volatile Snapshot snapshot = Snapshot.EMPTY;
    private volatile Map<UUID, TopicInfo> topicsById = Map.of();
    private volatile String clusterId;
    /** The broker epoch of the last full view applied; -1 before the first. */
    private volatile long fullViewBrokerEpoch = -1;

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

    /**
     * Applies a full or incremental update (the caller has checked its controller and broker epochs)
     * if it is newer than the held view, then tells the listeners.
     *
     * @return the new view, or empty when the update was not newer and changed nothing
     */
    public Optional<Snapshot> apply(UpdateMetadataRequest update) {
        Snapshot next;
        synchronized (this) {
            Snapshot current = snapshot;
            if (!current.isOlderThan(update)) {
                log.info("Ignoring UpdateMetadata of controller epoch {} version {}: the view held is of epoch {} "
                        + "version {}", update.controllerEpoch(), update.metadataVersion(), current.controllerEpoch(),
                        current.metadataVersion());
                return Optional.empty();
            }
            Map<Integer, BrokerInfo> brokers = new TreeMap<>();
            update.liveBrokers().forEach(b -> brokers.put(b.id(), b));
            Map<String, TopicInfo> topics = new TreeMap<>(update.full() ? Map.of() : current.topics());
            update.deletedTopics().forEach(topics::remove);
            for (TopicInfo topic : update.topics()) {
                topics.put(topic.name(), topic);
            }
            next = new Snapshot(update.controllerId(), update.controllerEpoch(), update.metadataVersion(), brokers,
                    topics);
            Map<UUID, TopicInfo> byId = new HashMap<>();
            next.topics().values().forEach(t -> byId.put(t.topicId(), t));
            topicsById = Map.copyOf(byId);
            snapshot = next;
            if (update.full()) {
                fullViewBrokerEpoch = update.brokerEpoch();
            }
        }
        listeners.forEach(l -> l.accept(next));
        return Optional.of(next);
    }

    /** Whether a full view meant for the registration {@code brokerEpoch} has been applied. */
    public boolean hasFullViewFor(long brokerEpoch) {
        return brokerEpoch >= 0 && fullViewBrokerEpoch == brokerEpoch;
    }

    /**
     * Calls {@code listener} with every view applied from now on, on the thread that applied it
     * (the controller's command); it must not block.
     */
    public void onUpdate(Consumer<Snapshot> listener) {
        listeners.add(listener);
    }

    /** The topic with id {@code id}, if the last update named it. */
    public Optional<TopicInfo> topicById(UUID id) {
        return Optional.ofNullable(topicsById.get(id));
    }

    public List<BrokerInfo> liveBrokers() {
        return List.copyOf(snapshot.brokers().values());
    }
}
