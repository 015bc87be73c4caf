package dev.runnel.broker.zookeeper;

import java.time.Duration;
import java.util.Map;
import java.util.function.UnaryOperator;

import org.apache.curator.framework.CuratorFramework;

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

    private final ConfigOverrides overrides;

    /** The JSON of one node, Kafka's layout. */
    record BrokerConfigJson(int version, Map<String, String> config) {
        static final int VERSION = 1;
    }

    /**
     * @param zk             a client rooted at the cluster's namespace
     * @param visibilityWait how long an alteration waits for this broker's own copy to show it
     */
    public BrokerConfigStore(CuratorFramework zk, Duration visibilityWait) {
        this.overrides = new ConfigOverrides(zk, new ConfigOverrides.Kind("broker entity", ZkPaths.BROKER_CONFIGS,
                segment -> segment, ZkPaths::brokerConfig, ConfigOverrides.mapCodec(
                        (data, path) -> ClusterJson.read(data, BrokerConfigJson.class, path).config(),
                        configs -> ClusterJson.write(new BrokerConfigJson(BrokerConfigJson.VERSION, configs))),
                DynamicBrokerConfigs::validate), visibilityWait);
    }

    /** Starts watching {@code /config/brokers}. */
    public void start() throws Exception {
        overrides.start();
    }

    /** Waits until the configs have been read once; false if {@code timeout} passed first. */
    public boolean awaitInitialized(Duration timeout) throws InterruptedException {
        return overrides.awaitInitialized(timeout);
    }

    /** Broker {@code brokerId}'s own overrides as this broker last saw them. */
    public Map<String, String> overrides(int brokerId) {
        return overrides.overrides(Integer.toString(brokerId));
    }

    /** The cluster's default overrides ({@code <default>}) as this broker last saw them. */
    public Map<String, String> defaults() {
        return overrides.overrides(ZkPaths.DEFAULT_BROKER_ENTITY);
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
        overrides.alter(entity, change, validateOnly);
    }

    @Override
    public void close() {
        overrides.close();
    }
}
