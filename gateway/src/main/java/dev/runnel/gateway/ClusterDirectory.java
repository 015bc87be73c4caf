package dev.runnel.gateway;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;

import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.ZkPaths;
import dev.runnel.cluster.ZkReads;

/**
 * The brokers the gateway's clients start from: the configured list, or else the brokers
 * registered in ZooKeeper (after that, the clients follow the cluster's metadata themselves).
 */
public class ClusterDirectory {

    private final GatewayProperties properties;
    private final CuratorFramework zk;

    /** @param zk the cluster's namespace in ZooKeeper, or null when ZooKeeper is not configured */
    public ClusterDirectory(GatewayProperties properties, CuratorFramework zk) {
        this.properties = properties;
        this.zk = zk;
    }

    /** The bootstrap list as Kafka's clients take it. */
    public String bootstrapServers() {
        if (!properties.getBootstrapServers().isEmpty()) {
            return String.join(",", properties.getBootstrapServers());
        }
        if (zk == null) {
            throw new IllegalStateException("Set runnel.gateway.bootstrap-servers, or configure ZooKeeper"
                    + " (spring.cloud.zookeeper.connect-string) so the gateway can find the brokers");
        }
        List<String> registered = new ArrayList<>();
        try {
            for (String id : zk.getChildren().forPath(ZkPaths.BROKER_IDS)) {
                Optional<BrokerInfo> broker = ZkReads.broker(zk, ZkPaths.BROKER_IDS + "/" + id);
                broker.ifPresent(b -> registered.add(b.host() + ":" + b.kafkaPort()));
            }
        } catch (KeeperException.NoNodeException e) {
            // no broker ever registered
        } catch (Exception e) {
            throw new IllegalStateException("Cannot read the registered brokers from ZooKeeper: " + e.getMessage(), e);
        }
        if (registered.isEmpty()) {
            throw new IllegalStateException("No broker is registered in ZooKeeper yet; retry once the brokers are up"
                    + " (or set runnel.gateway.bootstrap-servers)");
        }
        return String.join(",", registered);
    }
}
