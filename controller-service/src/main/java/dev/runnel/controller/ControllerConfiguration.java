package dev.runnel.controller;

import java.security.SecureRandom;
import java.time.Clock;

import org.apache.curator.framework.CuratorFramework;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;

import dev.runnel.cluster.ClusterSettings;
import dev.runnel.cluster.InternalHttp;
import dev.runnel.cluster.process.ProcessConfiguration;
import dev.runnel.cluster.security.ClusterHttpSecurityConfiguration;
import dev.runnel.cluster.web.AdvertisedHost;
import dev.runnel.cluster.web.ClusterWebConfiguration;
import dev.runnel.cluster.web.HostCheckConfiguration;
import dev.runnel.cluster.zookeeper.NamespaceAclRepair;
import dev.runnel.cluster.zookeeper.NamespaceAcls;
import dev.runnel.cluster.zookeeper.ZooKeeperAuthConfiguration;
import dev.runnel.common.time.ExecutorScheduler;
import dev.runnel.common.time.Scheduler;
import dev.runnel.common.time.Ticker;
import dev.runnel.controller.election.ActiveController;
import dev.runnel.controller.election.ControllerElection;

/**
 * Wires the controller: its scheduler, the active controller and the election, in the cluster's
 * ZooKeeper namespace, and ZooKeeper authentication. The HTTP side (the API and its standby
 * forwarding) is wired in {@code api}; who may call it, in cluster-api's {@link
 * ClusterHttpSecurityConfiguration}.
 */
@Configuration(proxyBeanMethods = false)
@Import({ClusterWebConfiguration.class, HostCheckConfiguration.class, ClusterHttpSecurityConfiguration.class,
        ProcessConfiguration.class, ZooKeeperAuthConfiguration.class})
class ControllerConfiguration {

    @Bean(destroyMethod = "close")
    Scheduler controllerScheduler() {
        return new ExecutorScheduler("controller-scheduler-", 1);
    }

    /** The name others reach this controller at, which its HTTP server answers to. */
    @Bean
    AdvertisedHost controllerHost(ControllerProperties properties) {
        return new AdvertisedHost(properties.getHost());
    }

    /** The controller's one wall clock. */
    @Bean
    Clock controllerClock() {
        return Clock.systemUTC();
    }

    /** The controller's one monotonic time, for deadlines and back-offs. */
    @Bean
    Ticker controllerTicker() {
        return Ticker.SYSTEM;
    }

    /**
     * With ZooKeeper authentication on, puts the cluster's ACLs on the nodes made before it was:
     * while the context is built, so before the election (a lifecycle) starts.
     */
    @Bean
    InitializingBean namespaceAclRepair(CuratorFramework curator, ObjectProvider<NamespaceAcls> acls) {
        return () -> {
            NamespaceAcls namespaceAcls = acls.getIfAvailable();
            if (namespaceAcls != null) {
                NamespaceAclRepair.run(curator, namespaceAcls);
            }
        };
    }

    @Bean
    ActiveController activeController(CuratorFramework curator, ClusterSettings cluster,
            ControllerProperties properties, Scheduler controllerScheduler, Clock controllerClock,
            Ticker controllerTicker, InternalHttp internalHttp) {
        ActiveController.Settings settings = new ActiveController.Settings(properties.getId(),
                properties.getLeaderRebalance().isEnabled(), properties.getLeaderRebalance().getInterval(),
                properties.getLeaderRebalance().getImbalancePerBrokerPercentage());
        return new ActiveController(curator.usingNamespace(cluster.getNamespace()), settings, cluster.httpClient(internalHttp),
                controllerScheduler, controllerClock, controllerTicker, new SecureRandom());
    }

    @Bean
    ControllerElection controllerElection(CuratorFramework curator, ClusterSettings cluster,
            ActiveController activeController, ControllerProperties properties, Environment environment,
            Ticker controllerTicker, InternalHttp internalHttp) {
        return new ControllerElection(curator.usingNamespace(cluster.getNamespace()), activeController,
                () -> internalHttp.baseUrl(properties.getHost(),
                        environment.getRequiredProperty("local.server.port", Integer.class)),
                controllerTicker);
    }
}
