package dev.runnel.cluster.process;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The {@code runnel.process.*} settings of every service, each in effect only when set: the port
 * file (a bean that writes it once the service is ready) and the parent watchdog (started before
 * the context by {@link ParentWatchdogListener}, so not a bean). Imported by the controller, the
 * broker and the gateway.
 */
@Configuration(proxyBeanMethods = false)
public class ProcessConfiguration {

    @Bean
    @ConfigurationProperties("runnel.process")
    ProcessSettings processSettings() {
        return new ProcessSettings();
    }

    @Bean
    @ConditionalOnProperty("runnel.process.port-file")
    PortFileWriter portFileWriter(ProcessSettings settings, ObjectProvider<ListenerPort> listeners,
            ObjectProvider<ListenerPorts> namedListeners) {
        return new PortFileWriter(settings.getPortFile(), listeners, namedListeners);
    }
}
