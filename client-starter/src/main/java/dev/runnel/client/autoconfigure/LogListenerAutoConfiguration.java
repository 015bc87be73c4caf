package dev.runnel.client.autoconfigure;

import java.time.Clock;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Role;

import dev.runnel.client.core.LogProducerFactory;
import dev.runnel.client.listener.BackOff;
import dev.runnel.client.listener.ContainerSettings;
import dev.runnel.client.listener.DeadLetterPublisher;
import dev.runnel.client.listener.DefaultLogErrorHandler;
import dev.runnel.client.listener.ListenerObserver;
import dev.runnel.client.listener.LogErrorHandler;
import dev.runnel.client.listener.LogListenerAnnotationBeanPostProcessor;
import dev.runnel.client.listener.LogListenerContainerFactory;
import dev.runnel.client.listener.LogListenerEndpointRegistry;
import dev.runnel.client.support.PayloadCodec;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * {@code @LogListener} support: the annotation processing, the registry of containers, the
 * default container factory and the default error handler (retry with back-off, then the
 * dead-letter topic). No {@code @Enable...} annotation is needed.
 */
@AutoConfiguration(after = RunnelClientAutoConfiguration.class)
@ConditionalOnClass(KafkaConsumer.class)
public final class LogListenerAutoConfiguration {

    /** The bean name of the default error handler. */
    public static final String DEFAULT_ERROR_HANDLER = "logErrorHandler";

    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    @ConditionalOnMissingBean
    static LogListenerAnnotationBeanPostProcessor logListenerAnnotationBeanPostProcessor() {
        return new LogListenerAnnotationBeanPostProcessor();
    }

    @Bean
    @ConditionalOnMissingBean
    LogListenerEndpointRegistry logListenerEndpointRegistry() {
        return new LogListenerEndpointRegistry();
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBooleanProperty(name = "runnel.client.listener.dead-letter.enabled", matchIfMissing = true)
    DeadLetterPublisher deadLetterPublisher(LogProducerFactory producers, RunnelClientProperties properties) {
        return new DeadLetterPublisher(producers, properties.buildCommonProperties(),
                properties.getListener().getDeadLetter().getSuffix());
    }

    /**
     * The error handler of every listener that names none. Only a bean of this name replaces it:
     * other {@link LogErrorHandler} beans are for the listeners that name them.
     */
    @Bean(DEFAULT_ERROR_HANDLER)
    @ConditionalOnMissingBean(name = DEFAULT_ERROR_HANDLER)
    LogErrorHandler logErrorHandler(RunnelClientProperties properties, ObjectProvider<DeadLetterPublisher> deadLetters) {
        RetryProperties retry = properties.getListener().getRetry();
        return new DefaultLogErrorHandler(new BackOff(retry.getMaxAttempts(), retry.getInitialInterval(),
                retry.getMultiplier(), retry.getMaxInterval()), deadLetters.getIfAvailable());
    }

    @Bean(LogListenerAnnotationBeanPostProcessor.DEFAULT_CONTAINER_FACTORY)
    @ConditionalOnMissingBean(name = LogListenerAnnotationBeanPostProcessor.DEFAULT_CONTAINER_FACTORY)
    LogListenerContainerFactory logListenerContainerFactory(RunnelClientProperties properties, PayloadCodec codec,
            @Qualifier(DEFAULT_ERROR_HANDLER) LogErrorHandler errorHandler, ObjectProvider<ListenerObserver> observers,
            ObjectProvider<ConsumerRebalanceListener> rebalanceListeners, Clock clock) {
        ListenerProperties listener = properties.getListener();
        LogListenerContainerFactory factory = new LogListenerContainerFactory(properties.buildConsumerProperties(),
                new ContainerSettings(listener.getConcurrency(), listener.getAckMode(), listener.getPollTimeout(),
                        listener.isAutoStartup(), listener.getShutdownTimeout()), codec, errorHandler);
        factory.setClock(clock);
        List<ListenerObserver> allObservers = observers.orderedStream().toList();
        if (!allObservers.isEmpty()) {
            factory.setObserver(ListenerObserver.composite(allObservers));
        }
        List<ConsumerRebalanceListener> allRebalanceListeners = rebalanceListeners.orderedStream().toList();
        if (!allRebalanceListeners.isEmpty()) {
            factory.setRebalanceListener(new CompositeRebalanceListener(allRebalanceListeners));
        }
        return factory;
    }

    /** The {@code runnel} health indicator, when Spring Boot's health support is there. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(HealthIndicator.class)
    static class HealthCheck {

        @Bean
        @ConditionalOnMissingBean(name = "runnelHealthIndicator")
        HealthIndicator runnelHealthIndicator(RunnelClientProperties properties,
                ObjectProvider<LogListenerEndpointRegistry> registries) {
            return new RunnelHealthIndicator(properties.buildCommonProperties(), registries);
        }
    }

    /** Listener timers and lag gauges, when Micrometer is there. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(MeterRegistry.class)
    static class Metrics {

        @Bean
        @ConditionalOnMissingBean(name = "logListenerMetrics")
        ListenerObserver logListenerMetrics(ObjectProvider<MeterRegistry> registries) {
            return new LogListenerMetrics(registries);
        }
    }
}
