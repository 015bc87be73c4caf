package dev.runnel.cluster.web;

import java.util.ArrayList;
import java.util.List;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * The {@code Host} check of every Runnel HTTP server ({@link HostHeaderFilter}): the service answers
 * to localhost, its {@link AdvertisedHost} beans, {@code server.address} and {@code
 * runnel.http.allowed-hosts}, and to any IP address. Imported by the controller, the broker and the
 * gateway.
 */
@Configuration(proxyBeanMethods = false)
public class HostCheckConfiguration {

    static final String SETTING = "runnel.http.allowed-hosts";

    @Bean
    @ConfigurationProperties("runnel.http")
    HttpSettings httpSettings() {
        return new HttpSettings();
    }

    @Bean
    FilterRegistrationBean<HostHeaderFilter> hostHeaderFilter(HttpSettings settings,
            ObjectProvider<AdvertisedHost> advertised, Environment environment) {
        List<String> names = new ArrayList<>(settings.getAllowedHosts());
        advertised.orderedStream().map(AdvertisedHost::name).forEach(names::add);
        names.add(environment.getProperty("server.address"));
        FilterRegistrationBean<HostHeaderFilter> registration = new FilterRegistrationBean<>(
                new HostHeaderFilter(AllowedHosts.of(names), SETTING));
        registration.setOrder(HostHeaderFilter.ORDER);
        return registration;
    }
}
