package dev.runnel.cluster.web;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

import dev.runnel.cluster.ClusterSettings;

/**
 * What every Runnel service that joins a cluster shares: {@code runnel.cluster.*} settings and the
 * cluster-secret check on the internal API. Imported by the controller and the broker.
 */
@Configuration(proxyBeanMethods = false)
public class ClusterWebConfiguration {

    /** The order of the secret check: before any filter that reads or forwards a request. */
    public static final int SECRET_FILTER_ORDER = Ordered.HIGHEST_PRECEDENCE + 10;

    @Bean
    @ConfigurationProperties("runnel.cluster")
    ClusterSettings clusterSettings() {
        return new ClusterSettings();
    }

    @Bean
    FilterRegistrationBean<ClusterSecretFilter> clusterSecretFilter(ClusterSettings cluster) {
        FilterRegistrationBean<ClusterSecretFilter> registration =
                new FilterRegistrationBean<>(new ClusterSecretFilter(cluster.getSecret()));
        registration.setOrder(SECRET_FILTER_ORDER);
        return registration;
    }
}
