package dev.runnel.controller;

import java.security.SecureRandom;

import org.apache.curator.framework.CuratorFramework;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;

import dev.runnel.cluster.ClusterSettings;
import dev.runnel.cluster.process.ProcessConfiguration;
import dev.runnel.cluster.web.ClusterWebConfiguration;
import dev.runnel.common.time.ExecutorScheduler;
import dev.runnel.common.time.Scheduler;
import dev.runnel.controller.election.ActiveController;
import dev.runnel.controller.election.ControllerElection;

/**
 * Wires the controller: its scheduler, the active controller and the election, in the cluster's
 * ZooKeeper namespace. The HTTP side (the API and its standby forwarding) is wired in {@code api}.
 */
@Configuration(proxyBeanMethods = false)
@Import({ClusterWebConfiguration.class, ProcessConfiguration.class})
class ControllerConfiguration {

    @Bean(destroyMethod = "close")
    Scheduler controllerScheduler() {
        return new ExecutorScheduler("controller-scheduler-", 1);
    }

    @Bean
    ActiveController activeController(CuratorFramework curator, ClusterSettings cluster,
            ControllerProperties properties, Scheduler controllerScheduler) {
        ActiveController.Settings settings = new ActiveController.Settings(properties.getId(),
                properties.getLeaderRebalance().isEnabled(), properties.getLeaderRebalance().getInterval());
        return new ActiveController(curator.usingNamespace(cluster.getNamespace()), settings, cluster.httpClient(),
                controllerScheduler, new SecureRandom());
    }

    @Bean
    ControllerElection controllerElection(CuratorFramework curator, ClusterSettings cluster,
            ActiveController activeController, ControllerProperties properties, Environment environment) {
        return new ControllerElection(curator.usingNamespace(cluster.getNamespace()), activeController,
                () -> "http://" + properties.getHost() + ":" + environment.getRequiredProperty("local.server.port"));
    }
}
