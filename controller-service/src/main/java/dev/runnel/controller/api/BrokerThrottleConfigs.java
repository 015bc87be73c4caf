package dev.runnel.controller.api;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

import dev.runnel.cluster.ClusterJson;
import dev.runnel.cluster.ZkPaths;

/**
 * The replication throttle rates of brokers, written by the controller into the dynamic broker
 * config nodes the brokers watch ({@code /config/brokers/<id>}, {@code {"version":1,"config":{...}}}),
 * as {@code kafka-reassign-partitions --throttle} sets them through AlterConfigs. Each write is a
 * compare-and-set that keeps the node's other configs; a node left empty is deleted.
 */
final class BrokerThrottleConfigs {

    static final String LEADER_RATE = "leader.replication.throttled.rate";
    static final String FOLLOWER_RATE = "follower.replication.throttled.rate";
    private static final int MAX_ATTEMPTS = 50;

    /** The JSON of one node, as the brokers read it. */
    record Node(int version, Map<String, String> config) {
    }

    private final CuratorFramework zk;

    /** @param zk a client rooted at the cluster's namespace */
    BrokerThrottleConfigs(CuratorFramework zk) {
        this.zk = zk;
    }

    /** Sets both rates to {@code bytesPerSecond} on each of {@code brokers}. */
    void set(Collection<Integer> brokers, long bytesPerSecond) throws Exception {
        for (int broker : brokers) {
            update(broker, config -> {
                config.put(LEADER_RATE, Long.toString(bytesPerSecond));
                config.put(FOLLOWER_RATE, Long.toString(bytesPerSecond));
            });
        }
    }

    /** Removes both rates from each of {@code brokers}. */
    void clear(Collection<Integer> brokers) throws Exception {
        for (int broker : brokers) {
            update(broker, config -> {
                config.remove(LEADER_RATE);
                config.remove(FOLLOWER_RATE);
            });
        }
    }

    private interface Change {
        void apply(Map<String, String> config);
    }

    private void update(int broker, Change change) throws Exception {
        String path = ZkPaths.brokerConfig(Integer.toString(broker));
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            Stat stat = new Stat();
            Map<String, String> config = new TreeMap<>();
            boolean exists;
            try {
                Node node = ClusterJson.read(zk.getData().storingStatIn(stat).forPath(path), Node.class, path);
                if (node.config() != null) {
                    config.putAll(node.config());
                }
                exists = true;
            } catch (KeeperException.NoNodeException e) {
                exists = false;
            }
            Map<String, String> before = new LinkedHashMap<>(config);
            change.apply(config);
            if (config.equals(before) && exists) {
                return;
            }
            try {
                if (!exists) {
                    if (config.isEmpty()) {
                        return;
                    }
                    zk.create().creatingParentsIfNeeded().forPath(path, ClusterJson.write(new Node(1, config)));
                } else if (config.isEmpty()) {
                    zk.delete().withVersion(stat.getVersion()).forPath(path);
                } else {
                    zk.setData().withVersion(stat.getVersion()).forPath(path, ClusterJson.write(new Node(1, config)));
                }
                return;
            } catch (KeeperException.BadVersionException | KeeperException.NodeExistsException
                    | KeeperException.NoNodeException e) {
                // changed meanwhile: read again
            }
        }
        throw new IllegalStateException("The configs of broker " + broker + " kept changing; gave up after "
                + MAX_ATTEMPTS + " attempts");
    }
}
