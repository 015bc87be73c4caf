package dev.runnel.cluster.process;

import java.time.Duration;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.runnel.common.process.ParentWatchdog;

/**
 * The {@code runnel.process.*} settings of every service: a port file and a parent watchdog,
 * each only when its property is set. Imported by the controller, the broker and the gateway.
 */
@Configuration(proxyBeanMethods = false)
public class ProcessConfiguration {

    @Bean
    @ConfigurationProperties("runnel.process")
    ProcessSettings processSettings() {
        return new ProcessSettings();
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnProperty("runnel.process.parent-pid")
    ParentWatchdog parentWatchdog(ProcessSettings settings) {
        return ParentWatchdog.start(settings.getParentPid(), Duration.ofSeconds(1));
    }

    @Bean
    @ConditionalOnProperty("runnel.process.port-file")
    PortFileWriter portFileWriter(ProcessSettings settings, ObjectProvider<ListenerPort> listeners) {
        return new PortFileWriter(settings.getPortFile(), listeners);
    }
}
