package dev.runnel.broker.zookeeper;

import java.time.Duration;
import java.util.Map;
import java.util.function.UnaryOperator;

import org.apache.curator.framework.CuratorFramework;

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

    private final GroupConfigDefinitions definitions;
    private final ConfigOverrides overrides;

    /** The JSON of one node. */
    record GroupConfigJson(int version, Map<String, String> configs) {
        static final int VERSION = 1;
    }

    /**
     * @param zk             a client rooted at the cluster's namespace
     * @param visibilityWait how long an alteration waits for this broker's own copy to show it
     */
    public GroupConfigStore(CuratorFramework zk, GroupConfigDefinitions definitions, Duration visibilityWait) {
        this.definitions = definitions;
        this.overrides = new ConfigOverrides(zk, new ConfigOverrides.Kind("group", ZkPaths.GROUP_CONFIGS,
                ZkPaths::decodeName, ZkPaths::groupConfig, ConfigOverrides.mapCodec(
                        (data, path) -> ClusterJson.read(data, GroupConfigJson.class, path).configs(),
                        configs -> ClusterJson.write(new GroupConfigJson(GroupConfigJson.VERSION, configs))),
                definitions::validate), visibilityWait);
    }

    /** Starts watching {@code /config/groups}. */
    public void start() throws Exception {
        overrides.start();
    }

    /** Waits until the overrides have been read once; false if {@code timeout} passed first. */
    public boolean awaitInitialized(Duration timeout) throws InterruptedException {
        return overrides.awaitInitialized(timeout);
    }

    public GroupConfigDefinitions definitions() {
        return definitions;
    }

    /** {@code groupId}'s overrides as this broker last saw them; empty if it has none. */
    public Map<String, String> overrides(String groupId) {
        return overrides.overrides(groupId);
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
        overrides.alter(groupId, change, validateOnly);
    }

    @Override
    public void close() {
        overrides.close();
    }
}
