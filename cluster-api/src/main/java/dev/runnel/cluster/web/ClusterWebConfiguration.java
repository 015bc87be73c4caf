package dev.runnel.cluster.web;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.boot.web.server.AbstractConfigurableWebServerFactory;
import org.springframework.boot.web.server.ConfigurableWebServerFactory;
import org.springframework.boot.web.server.Ssl;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.Ordered;

import dev.runnel.cluster.ClusterSettings;
import dev.runnel.cluster.InternalHttp;

/**
 * What every Runnel service that joins a cluster shares: {@code runnel.cluster.*} settings and the
 * cluster-secret check on the internal API, and TLS on the service's HTTP server and on its calls
 * to the others when {@code runnel.cluster.ssl-bundle} is set. Imported by the controller and the
 * broker.
 */
@Configuration(proxyBeanMethods = false)
@Import(InternalHttpConfiguration.class)
public class ClusterWebConfiguration {

    /** The order of the secret check: before any filter that reads or forwards a request. */
    public static final int SECRET_FILTER_ORDER = Ordered.HIGHEST_PRECEDENCE + 10;

    @Bean
    @ConfigurationProperties("runnel.cluster")
    ClusterSettings clusterSettings() {
        return new ClusterSettings();
    }

    /**
     * With {@code runnel.cluster.ssl-bundle} set, the service's HTTP server serves HTTPS only, with
     * that bundle's key (reloaded when the bundle is). An {@code server.ssl.*} of its own wins.
     */
    @Bean
    WebServerFactoryCustomizer<ConfigurableWebServerFactory> internalTls(InternalHttp http,
            ObjectProvider<SslBundles> bundles) {
        return factory -> {
            if (!http.tls() || (factory instanceof AbstractConfigurableWebServerFactory configured
                    && Ssl.isEnabled(configured.getSsl()))) {
                return;
            }
            factory.setSsl(Ssl.forBundle(http.bundleName()));
            factory.setSslBundles(bundles.getObject());
        };
    }

    @Bean
    FilterRegistrationBean<ClusterSecretFilter> clusterSecretFilter(ClusterSettings cluster) {
        FilterRegistrationBean<ClusterSecretFilter> registration =
                new FilterRegistrationBean<>(new ClusterSecretFilter(cluster.getSecret()));
        registration.setOrder(SECRET_FILTER_ORDER);
        return registration;
    }
}
