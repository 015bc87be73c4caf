package dev.runnel.controller.api;

import org.apache.curator.framework.CuratorFramework;
import org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.runnel.cluster.ClusterSettings;
import dev.runnel.cluster.InternalHttp;
import dev.runnel.controller.election.ActiveController;

/**
 * Registers the {@link StandbyForwardingFilter} right after Spring Security's filter chain (so after
 * the cluster-secret filter too): a standby forwards only what it has let in.
 */
@Configuration(proxyBeanMethods = false)
class StandbyForwardingConfiguration {

    @Bean
    FilterRegistrationBean<StandbyForwardingFilter> standbyForwardingFilter(CuratorFramework curator,
            ClusterSettings cluster, ActiveController activeController, InternalHttp http) {
        FilterRegistrationBean<StandbyForwardingFilter> registration = new FilterRegistrationBean<>(
                new StandbyForwardingFilter(curator.usingNamespace(cluster.getNamespace()), activeController,
                        cluster.getSecret(), cluster.getRequestTimeout(), http));
        registration.setOrder(SecurityFilterProperties.DEFAULT_FILTER_ORDER + 10);
        return registration;
    }
}
