package dev.runnel.client.autoconfigure;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.runnel.client.core.LogAdmin;
import dev.runnel.client.core.LogProducerFactory;
import dev.runnel.client.core.LogTemplate;
import dev.runnel.client.core.SendObserver;
import dev.runnel.client.support.PayloadCodec;
import io.micrometer.core.instrument.MeterRegistry;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Runnel client for a Spring Boot application: the shared producer, {@link LogTemplate}, the
 * payload conversion and the creation of declared {@link NewTopic}s, each backing off when the
 * application defines its own.
 */
@AutoConfiguration
@ConditionalOnClass(KafkaProducer.class)
@EnableConfigurationProperties(RunnelClientProperties.class)
public final class RunnelClientAutoConfiguration {

    /** The application's clock, unless it has one: what the client's timings and back-offs are measured on. */
    @Bean
    @ConditionalOnMissingBean
    Clock runnelClock() {
        return Clock.systemUTC();
    }

    @Bean
    @ConditionalOnMissingBean
    PayloadCodec runnelPayloadCodec(ObjectProvider<JsonMapper> mappers) {
        return new PayloadCodec(mappers.getIfAvailable(JsonMapper::new));
    }

    @Bean
    @ConditionalOnMissingBean
    LogProducerFactory logProducerFactory(RunnelClientProperties properties,
            ObjectProvider<LogProducerCustomizer> customizers) {
        Map<String, Object> config = properties.buildProducerProperties();
        customizers.orderedStream().forEach(c -> c.customize(config));
        return new LogProducerFactory(config);
    }

    @Bean
    @ConditionalOnMissingBean
    LogTemplate logTemplate(LogProducerFactory producers, PayloadCodec codec, RunnelClientProperties properties,
            ObjectProvider<SendObserver> observers, Clock clock) {
        List<SendObserver> all = observers.orderedStream().toList();
        SendObserver observer = all.isEmpty() ? SendObserver.NONE
                : (topic, nanos, error) -> all.forEach(o -> o.sent(topic, nanos, error));
        return new LogTemplate(producers, codec, properties.getTemplate().getDefaultTopic(), observer, clock);
    }

    @Bean
    @ConditionalOnMissingBean
    LogAdmin logAdmin(RunnelClientProperties properties) {
        return new LogAdmin(properties.buildCommonProperties(), Duration.ofSeconds(30));
    }

    /** Creates the application's {@link NewTopic} beans that do not exist yet, once every bean is made. */
    @Bean
    static SmartInitializingSingleton logTopicDeclarations(ObjectProvider<LogAdmin> admin,
            ObjectProvider<NewTopic> topics) {
        return () -> {
            List<NewTopic> declared = topics.orderedStream().toList();
            if (!declared.isEmpty()) {
                admin.getObject().createMissing(declared);
            }
        };
    }

    /** Send timers, when Micrometer is there. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(MeterRegistry.class)
    static class Metrics {

        @Bean
        @ConditionalOnMissingBean(name = "logTemplateMetrics")
        SendObserver logTemplateMetrics(ObjectProvider<MeterRegistry> registries) {
            return new LogTemplateMetrics(registries);
        }
    }
}
