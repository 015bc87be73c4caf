package dev.runnel.controller.api;

import org.apache.curator.framework.CuratorFramework;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.runnel.cluster.ClusterSettings;
import dev.runnel.cluster.web.ClusterWebConfiguration;
import dev.runnel.controller.election.ActiveController;

/** Registers the {@link StandbyForwardingFilter}, right after the cluster-secret filter. */
@Configuration(proxyBeanMethods = false)
class StandbyForwardingConfiguration {

    @Bean
    FilterRegistrationBean<StandbyForwardingFilter> standbyForwardingFilter(CuratorFramework curator,
            ClusterSettings cluster, ActiveController activeController) {
        FilterRegistrationBean<StandbyForwardingFilter> registration = new FilterRegistrationBean<>(
                new StandbyForwardingFilter(curator.usingNamespace(cluster.getNamespace()), activeController,
                        cluster.getRequestTimeout()));
        registration.setOrder(ClusterWebConfiguration.SECRET_FILTER_ORDER + 10);
        return registration;
    }
}
