package dev.runnel.broker.zookeeper;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

import org.apache.curator.framework.CuratorFramework;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.config.GroupConfigDefinitions;
import dev.runnel.cluster.ClusterJson;
import dev.runnel.cluster.ZkPaths;

/**
 * The groups' config overrides (Kafka's GROUP config resources) in ZooKeeper, shared by every
 * broker: one node per group that has any, {@code /config/groups/<encoded group id>}, holding the
 * overrides only; a group without overrides has no node and the broker defaults apply. Brokers
 * write these nodes themselves (IncrementalAlterConfigs through any broker), as they do ACLs: Kafka
 * keeps group configs in its metadata log, and the controller of Runnel has no part in groups.
 *
 * <pre>
 * {"version":1,"configs":{"share.auto.offset.reset":"earliest","share.record.lock.duration.ms":"15000"}}
 * </pre>
 *
 * <p>An alteration is a compare-and-set on the node; its result is validated as a whole against
 * {@link GroupConfigDefinitions} before it is written, so no node ever holds a bad config. It
 * returns once ZooKeeper has it and, up to {@code visibilityWait}, once this broker's copy has it;
 * other brokers see it moments later. A node that does not parse is logged and ignored (its group
 * has the defaults). Thread-safe.
 */
public final class GroupConfigStore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GroupConfigStore.class);

    private final CuratorFramework zk;
    private final GroupConfigDefinitions definitions;
    private final Duration visibilityWait;
    private final WatchedNodes<GroupNode> watch;
    private volatile Map<String, Map<String, String>> overrides = Map.of();

    private record GroupNode(String groupId, Map<String, String> configs) {
    }

    /** The JSON of one node. */
    record GroupConfigJson(int version, Map<String, String> configs) {
        static final int VERSION = 1;
    }

    private static final CasUpdate.Codec<Map<String, String>> CODEC = new CasUpdate.Codec<>() {
        @Override
        public Map<String, String> empty() {
            return new TreeMap<>();
        }

        @Override
        public boolean isEmpty(Map<String, String> value) {
            return value.isEmpty();
        }

        @Override
        public Map<String, String> decode(byte[] data, String path) {
            GroupConfigJson node = ClusterJson.read(data, GroupConfigJson.class, path);
            return node.configs() == null ? new TreeMap<>() : new TreeMap<>(node.configs());
        }

        @Override
        public byte[] encode(Map<String, String> value) {
            return ClusterJson.write(new GroupConfigJson(GroupConfigJson.VERSION, new TreeMap<>(value)));
        }
    };

    /**
     * @param zk             a client rooted at the cluster's namespace
     * @param visibilityWait how long an alteration waits for this broker's own copy to show it
     */
    public GroupConfigStore(CuratorFramework zk, GroupConfigDefinitions definitions, Duration visibilityWait) {
        this.zk = zk;
        this.definitions = definitions;
        this.visibilityWait = visibilityWait;
        this.watch = new WatchedNodes<>(zk, ZkPaths.GROUP_CONFIGS, 1, this::parse, this::publish);
    }

    /** Starts watching {@code /config/groups}. */
    public void start() throws Exception {
        watch.start();
    }

    /** Waits until the overrides have been read once; false if {@code timeout} passed first. */
    public boolean awaitInitialized(Duration timeout) throws InterruptedException {
        return watch.awaitInitialized(timeout);
    }

    public GroupConfigDefinitions definitions() {
        return definitions;
    }

    /** {@code groupId}'s overrides as this broker last saw them; empty if it has none. */
    public Map<String, String> overrides(String groupId) {
        return overrides.getOrDefault(groupId, Map.of());
    }

    /**
     * Replaces {@code groupId}'s overrides with {@code change} applied to the current ones, after
     * validating the result; {@code validateOnly} checks without writing.
     *
     * @throws IllegalArgumentException if the result is not a valid set of group configs
     * @throws Exception                as ZooKeeper fails
     */
    public void alter(String groupId, UnaryOperator<Map<String, String>> change, boolean validateOnly)
            throws Exception {
        if (groupId.isEmpty()) {
            throw new IllegalArgumentException("A group config needs a group id");
        }
        if (validateOnly) {
            definitions.validate(change.apply(new TreeMap<>(overrides(groupId))));
            return;
        }
        Optional<CasUpdate.Outcome> outcome = CasUpdate.update(zk, ZkPaths.groupConfig(groupId), CODEC, current -> {
            Map<String, String> next = new TreeMap<>(change.apply(new TreeMap<>(current)));
            definitions.validate(next);
            return next;
        });
        if (outcome.isPresent() && !watch.awaitReflected(List.of(outcome.get()), visibilityWait)) {
            LOG.info("The configs of group {} are in ZooKeeper but not yet in this broker's copy after {}", groupId,
                    visibilityWait);
        }
    }

    private GroupNode parse(String path, byte[] data) {
        String groupId = ZkPaths.decodeName(path.substring(ZkPaths.GROUP_CONFIGS.length() + 1));
        Map<String, String> configs = CODEC.decode(data, path);
        try {
            definitions.validate(configs);
        } catch (IllegalArgumentException e) {
            LOG.warn("Ignoring the configs of group {} in {}: {}", groupId, path, e.getMessage());
            return null;
        }
        return new GroupNode(groupId, Map.copyOf(configs));
    }

    private void publish(Collection<GroupNode> nodes) {
        Map<String, Map<String, String>> next = new HashMap<>();
        nodes.forEach(node -> next.put(node.groupId(), node.configs()));
        overrides = Map.copyOf(next);
    }

    @Override
    public void close() {
        watch.close();
    }
}
