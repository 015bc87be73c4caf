package dev.runnel.gateway;

import org.apache.curator.framework.CuratorFramework;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.cloud.client.discovery.DiscoveryClient;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.runnel.gateway.routing.ControllerLocator;

/**
 * Wires what the gateway finds through ZooKeeper: the brokers its clients start from and the
 * controllers its admin calls go to. Without ZooKeeper ({@code spring.cloud.zookeeper.enabled=false})
 * the brokers must be configured and admin routing answers 503.
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

    @Bean
    ControllerLocator controllerLocator(ObjectProvider<CuratorFramework> curator,
            ObjectProvider<DiscoveryClient> discovery, @Value("${runnel.cluster.namespace:runnel}") String namespace) {
        CuratorFramework zk = curator.getIfAvailable();
        return new ControllerLocator(zk == null ? null : zk.usingNamespace(namespace), discovery.getIfAvailable());
    }
}
