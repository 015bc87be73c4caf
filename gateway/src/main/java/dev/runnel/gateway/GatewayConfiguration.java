package dev.runnel.gateway;

import org.apache.curator.framework.CuratorFramework;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Wires the gateway's own Kafka clients and the brokers they start from, found through ZooKeeper.
 * Without ZooKeeper ({@code spring.cloud.zookeeper.enabled=false}) the brokers must be configured
 * (and admin routing, wired in {@code routing}, answers 503).
 */
@Configuration(proxyBeanMethods = false)
class GatewayConfiguration {

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
