package dev.runnel.broker.zookeeper;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

import org.apache.curator.framework.CuratorFramework;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.config.DynamicBrokerConfigs;
import dev.runnel.cluster.ClusterJson;
import dev.runnel.cluster.ZkPaths;

/**
 * The dynamic broker configs ({@link DynamicBrokerConfigs}) in ZooKeeper, where Kafka's ZooKeeper
 * mode keeps them: {@code /config/brokers/<id>} per broker, {@code /config/brokers/<default>} for
 * every broker, each node holding the overrides only.
 *
 * <pre>
 * {"version":1,"config":{"leader.replication.throttled.rate":"1000000","follower.replication.throttled.rate":"1000000"}}
 * </pre>
 *
 * <p>Any broker writes any entity's node (an AlterConfigs of BROKER resource {@code 2} may reach
 * broker 1), as a compare-and-set, the result validated as a whole first; every broker watches the
 * nodes and reads its own and the default. An alteration returns once ZooKeeper has it and, up to
 * {@code visibilityWait}, this broker's copy; the others follow moments later. A node that does not
 * parse or validate is logged and ignored. Thread-safe.
 */
public final class BrokerConfigStore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BrokerConfigStore.class);

    private final CuratorFramework zk;
    private final Duration visibilityWait;
    private final WatchedNodes<EntityNode> watch;
    private volatile Map<String, Map<String, String>> overrides = Map.of();

    private record EntityNode(String entity, Map<String, String> configs) {
    }

    /** The JSON of one node, Kafka's layout. */
    record BrokerConfigJson(int version, Map<String, String> config) {
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
            BrokerConfigJson node = ClusterJson.read(data, BrokerConfigJson.class, path);
            return node.config() == null ? new TreeMap<>() : new TreeMap<>(node.config());
        }

        @Override
        public byte[] encode(Map<String, String> value) {
            return ClusterJson.write(new BrokerConfigJson(BrokerConfigJson.VERSION, new TreeMap<>(value)));
        }
    };

    /**
     * @param zk             a client rooted at the cluster's namespace
     * @param visibilityWait how long an alteration waits for this broker's own copy to show it
     */
    public BrokerConfigStore(CuratorFramework zk, Duration visibilityWait) {
        this.zk = zk;
        this.visibilityWait = visibilityWait;
        this.watch = new WatchedNodes<>(zk, ZkPaths.BROKER_CONFIGS, 1, this::parse, this::publish);
    }

    /** Starts watching {@code /config/brokers}. */
    public void start() throws Exception {
        watch.start();
    }

    /** Waits until the configs have been read once; false if {@code timeout} passed first. */
    public boolean awaitInitialized(Duration timeout) throws InterruptedException {
        return watch.awaitInitialized(timeout);
    }

    /** Broker {@code brokerId}'s own overrides as this broker last saw them. */
    public Map<String, String> overrides(int brokerId) {
        return overrides.getOrDefault(Integer.toString(brokerId), Map.of());
    }

    /** The cluster's default overrides ({@code <default>}) as this broker last saw them. */
    public Map<String, String> defaults() {
        return overrides.getOrDefault(ZkPaths.DEFAULT_BROKER_ENTITY, Map.of());
    }

    /** The rate {@code name} has on broker {@code brokerId} now: its override, else the default, else unlimited. */
    public long rate(int brokerId, String name) {
        return DynamicBrokerConfigs.rate(name, overrides(brokerId), defaults());
    }

    /**
     * The entity a BROKER config resource names: a broker id, or the cluster default for the empty
     * name (as Kafka's AlterConfigs names it).
     *
     * @throws IllegalArgumentException for any other name
     */
    public static String entity(String resourceName) {
        if (resourceName == null || resourceName.isEmpty()) {
            return ZkPaths.DEFAULT_BROKER_ENTITY;
        }
        try {
            int id = Integer.parseInt(resourceName);
            if (id >= 0) {
                return Integer.toString(id);
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("Broker resource name '" + resourceName
                + "' is neither a broker id nor empty (the cluster default)");
    }

    /**
     * Replaces {@code entity}'s overrides with {@code change} applied to the current ones, after
     * validating the result; {@code validateOnly} checks without writing.
     *
     * @throws IllegalArgumentException if the result is not a valid set of dynamic broker configs
     * @throws Exception                as ZooKeeper fails
     */
    public void alter(String entity, UnaryOperator<Map<String, String>> change, boolean validateOnly) throws Exception {
        if (validateOnly) {
            DynamicBrokerConfigs.validate(change.apply(new TreeMap<>(overrides.getOrDefault(entity, Map.of()))));
            return;
        }
        Optional<CasUpdate.Outcome> outcome = CasUpdate.update(zk, ZkPaths.brokerConfig(entity), CODEC, current -> {
            Map<String, String> next = new TreeMap<>(change.apply(new TreeMap<>(current)));
            DynamicBrokerConfigs.validate(next);
            return next;
        });
        if (outcome.isPresent() && !watch.awaitReflected(List.of(outcome.get()), visibilityWait)) {
            LOG.info("The configs of broker entity {} are in ZooKeeper but not yet in this broker's copy after {}",
                    entity, visibilityWait);
        }
    }

    private EntityNode parse(String path, byte[] data) {
        String entity = path.substring(ZkPaths.BROKER_CONFIGS.length() + 1);
        Map<String, String> configs = CODEC.decode(data, path);
        try {
            DynamicBrokerConfigs.validate(configs);
        } catch (IllegalArgumentException e) {
            LOG.warn("Ignoring the dynamic configs of broker entity {} in {}: {}", entity, path, e.getMessage());
            return null;
        }
        return new EntityNode(entity, Map.copyOf(configs));
    }

    private void publish(Collection<EntityNode> nodes) {
        Map<String, Map<String, String>> next = new HashMap<>();
        nodes.forEach(node -> next.put(node.entity(), node.configs()));
        overrides = Map.copyOf(next);
    }

    @Override
    public void close() {
        watch.close();
    }
}
