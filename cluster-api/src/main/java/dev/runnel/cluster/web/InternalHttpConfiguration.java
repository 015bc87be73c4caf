package dev.runnel.cluster.web;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.ssl.SslBundles;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

import dev.runnel.cluster.InternalHttp;

/**
 * The {@link InternalHttp} a service calls other Runnel services with, from {@code
 * runnel.cluster.ssl-bundle}. Imported by the controller, the broker and the gateway.
 */
@Configuration(proxyBeanMethods = false)
public class InternalHttpConfiguration {

    /** The setting naming the Spring SSL bundle of the internal HTTP API; unset for plain HTTP. */
    public static final String SSL_BUNDLE = "runnel.cluster.ssl-bundle";

    @Bean
    InternalHttp internalHttp(Environment environment, ObjectProvider<SslBundles> bundles) {
        String bundle = environment.getProperty(SSL_BUNDLE, "").strip();
        if (bundle.isEmpty()) {
            return InternalHttp.plain();
        }
        SslBundles available = bundles.getIfAvailable();
        if (available == null) {
            throw new IllegalStateException(SSL_BUNDLE + "=" + bundle + " but this service has no Spring SSL bundles");
        }
        return InternalHttp.tls(bundle, available);
    }
}
