package dev.runnel.gateway.routing;

import org.apache.curator.framework.CuratorFramework;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.cloud.client.discovery.DiscoveryClient;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.runnel.cluster.InternalHttp;

/**
 * Wires where admin calls go: the controllers as ZooKeeper and Spring Cloud Zookeeper discovery
 * know them. Without either, admin routing answers 503.
 */
@Configuration(proxyBeanMethods = false)
class AdminRoutingConfiguration {

    @Bean
    ControllerLocator controllerLocator(ObjectProvider<CuratorFramework> curator,
            ObjectProvider<DiscoveryClient> discovery, @Value("${runnel.cluster.namespace:runnel}") String namespace,
            InternalHttp internalHttp) {
        CuratorFramework zk = curator.getIfAvailable();
        return new ControllerLocator(zk == null ? null : zk.usingNamespace(namespace), discovery.getIfAvailable(),
                internalHttp);
    }
}
