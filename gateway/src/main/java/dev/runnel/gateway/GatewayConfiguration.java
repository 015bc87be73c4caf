package dev.runnel.gateway;

import java.time.Clock;

import org.apache.curator.framework.CuratorFramework;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.runnel.common.time.Ticker;

/**
 * Wires the gateway's time (one {@link Clock}, one {@link Ticker}), its own Kafka clients and the
 * brokers they start from, found through ZooKeeper. Without ZooKeeper
 * ({@code spring.cloud.zookeeper.enabled=false}) the brokers must be configured (and admin
 * routing, wired in {@code routing}, answers 503).
 */
@Configuration(proxyBeanMethods = false)
class GatewayConfiguration {

    /** The gateway's one wall clock. */
    @Bean
    Clock gatewayClock() {
        return Clock.systemUTC();
    }

    /** The gateway's one monotonic time, for request deadlines and back-offs. */
    @Bean
    Ticker gatewayTicker() {
        return Ticker.SYSTEM;
    }

    @Bean
    ClusterDirectory clusterDirectory(GatewayProperties properties, ObjectProvider<CuratorFramework> curator,
            @Value("${runnel.cluster.namespace:runnel}") String namespace) {
        CuratorFramework zk = curator.getIfAvailable();
        return new ClusterDirectory(properties, zk == null ? null : zk.usingNamespace(namespace));
    }

    @Bean
    GatewayClients gatewayClients(GatewayProperties properties, ClusterDirectory directory) {
        return new GatewayClients(properties, directory);
    }
}
