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
 * registered in ZooKeeper, each at its advertised endpoint of {@code runnel.gateway.kafka.listener}
 * (the inter-broker listener's when none is named). After that, the clients follow the cluster's
 * metadata themselves, which answers with the endpoints of the listener they connected to.
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
        String listener = properties.getKafka().getListener();
        List<String> registered = new ArrayList<>();
        int brokers = 0;
        try {
            for (String id : zk.getChildren().forPath(ZkPaths.BROKER_IDS)) {
                Optional<BrokerInfo> broker = ZkReads.broker(zk, ZkPaths.BROKER_IDS + "/" + id);
                if (broker.isPresent()) {
                    brokers++;
                    address(broker.get(), listener).ifPresent(registered::add);
                }
            }
        } catch (KeeperException.NoNodeException e) {
            // no broker ever registered
        } catch (Exception e) {
            throw new IllegalStateException("Cannot read the registered brokers from ZooKeeper: " + e.getMessage(), e);
        }
        if (registered.isEmpty() && brokers > 0) {
            throw new IllegalStateException("No registered broker has the listener " + listener
                    + " (runnel.gateway.kafka.listener); check the brokers' runnel.broker.listeners");
        }
        if (registered.isEmpty()) {
            throw new IllegalStateException("No broker is registered in ZooKeeper yet; retry once the brokers are up"
                    + " (or set runnel.gateway.bootstrap-servers)");
        }
        return String.join(",", registered);
    }

    /**
     * Where the gateway reaches {@code broker}: its endpoint of {@code listener}, or its
     * inter-broker endpoint when {@code listener} is null; empty when it has no such listener (a
     * broker not yet restarted with it, skipped while others have it).
     */
    static Optional<String> address(BrokerInfo broker, String listener) {
        Optional<BrokerInfo.Endpoint> endpoint = listener == null ? Optional.of(broker.interBroker())
                : broker.endpoint(listener);
        return endpoint.map(e -> hostPort(e.host(), e.port()));
    }

    private static String hostPort(String host, int port) {
        return (host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
    }
}
