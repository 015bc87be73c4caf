package dev.runnel.client.autoconfigure;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.kafka.autoconfigure.KafkaConnectionDetails;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.transaction.KafkaAwareTransactionManager;
import org.springframework.kafka.transaction.KafkaTransactionManager;

import dev.runnel.client.core.LogAdmin;
import dev.runnel.client.core.LogTemplate;
import dev.runnel.client.core.SendObserver;
import dev.runnel.client.support.PayloadCodec;
import dev.runnel.client.support.PayloadSerializer;
import io.micrometer.core.instrument.MeterRegistry;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Runnel client for a Spring Boot application, on Spring Kafka: the one producer factory
 * (keys and payloads by {@link PayloadSerializer}), Spring Kafka's {@link KafkaTemplate} on it,
 * {@link LogTemplate} as a facade over that template, Spring Kafka's {@link KafkaAdmin} (which
 * creates the declared {@link NewTopic}s, retry topics among them) and {@link LogAdmin}; with
 * {@code runnel.client.producer.transaction-id-prefix}, a transactional producer factory and Spring
 * Kafka's {@link KafkaTransactionManager} on it. Each
 * backs off when the application defines its own. Runs before Spring Boot's own Kafka
 * auto-configuration, so with {@code spring-boot-kafka} on the class path too, Boot's backs off
 * for the beans defined here.
 */
@AutoConfiguration(beforeName = "org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration")
@ConditionalOnClass(KafkaTemplate.class)
@EnableConfigurationProperties(RunnelClientProperties.class)
public final class RunnelClientAutoConfiguration {

    /** The application's clock, unless it has one: what the client's timings are measured on. */
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

    /** Its settings are checked here, so a bad one fails the application at startup, naming itself. */
    @Bean
    @ConditionalOnMissingBean(ProducerFactory.class)
    DefaultKafkaProducerFactory<?, ?> kafkaProducerFactory(RunnelClientProperties properties,
            ObjectProvider<LogProducerCustomizer> customizers, PayloadCodec codec) {
        Map<String, Object> config = properties.buildProducerProperties();
        customizers.orderedStream().forEach(c -> c.customize(config));
        String transactionIdPrefix = properties.getProducer().getTransactionIdPrefix();
        ProducerConfigCheck.check(config, transactionIdPrefix);
        DefaultKafkaProducerFactory<Object, Object> factory = new DefaultKafkaProducerFactory<>(config);
        if (transactionIdPrefix != null) {
            factory.setTransactionIdPrefix(transactionIdPrefix);
            Duration patience = Duration.ofMillis(Long.parseLong(String.valueOf(config.getOrDefault(
                    ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 60_000))));
            factory.addPostProcessor(producer -> new CommitRetryingProducer<>(producer, patience));
        }
        factory.setKeySerializer(new PayloadSerializer(codec, true));
        factory.setValueSerializer(new PayloadSerializer(codec, false));
        factory.setPhysicalCloseTimeout(30); // bounded: a cluster that is gone must not hold the shutdown
        return factory;
    }

    /** Spring Kafka's template, also what {@code @RetryableTopic}, {@code @SendTo} and the dead letters send with. */
    @Bean
    @ConditionalOnMissingBean(KafkaTemplate.class)
    KafkaTemplate<?, ?> kafkaTemplate(ProducerFactory<Object, Object> producerFactory,
            RunnelClientProperties properties) {
        KafkaTemplate<Object, Object> template = new KafkaTemplate<>(producerFactory);
        if (properties.getTemplate().getDefaultTopic() != null) {
            template.setDefaultTopic(properties.getTemplate().getDefaultTopic());
        }
        return template;
    }

    /**
     * With {@code runnel.client.producer.transaction-id-prefix}: Spring Kafka's transaction manager on
     * the producer factory, which the listener containers run each delivery in (offsets included).
     */
    @Bean
    @ConditionalOnProperty(name = "runnel.client.producer.transaction-id-prefix")
    @ConditionalOnMissingBean(KafkaAwareTransactionManager.class)
    KafkaTransactionManager<?, ?> kafkaTransactionManager(ProducerFactory<Object, Object> producerFactory) {
        return new KafkaTransactionManager<>(producerFactory);
    }

    @Bean
    @ConditionalOnMissingBean
    LogTemplate logTemplate(KafkaTemplate<Object, Object> kafkaTemplate, RunnelClientProperties properties,
            ObjectProvider<SendObserver> observers, Clock clock) {
        List<SendObserver> all = observers.orderedStream().toList();
        SendObserver observer = all.isEmpty() ? SendObserver.NONE
                : (topic, nanos, error) -> all.forEach(o -> o.sent(topic, nanos, error));
        return new LogTemplate(kafkaTemplate, properties.getTemplate().getDefaultTopic(), observer, clock);
    }

    @Bean
    @ConditionalOnMissingBean
    LogAdmin logAdmin(RunnelClientProperties properties) {
        return new LogAdmin(properties.buildCommonProperties(), Duration.ofSeconds(30));
    }

    /**
     * Creates the application's {@link NewTopic} beans that do not exist yet, at startup. With
     * {@code fail-fast}, a cluster that does not answer within {@code fail-fast-timeout} stops the
     * application; without, it is logged and the application starts.
     */
    @Bean
    @ConditionalOnMissingBean
    KafkaAdmin kafkaAdmin(RunnelClientProperties properties) {
        KafkaAdmin admin = new KafkaAdmin(properties.buildCommonProperties());
        admin.setFatalIfBrokerNotAvailable(properties.isFailFast());
        admin.setOperationTimeout((int) Math.max(1, properties.getFailFastTimeout().toSeconds()));
        return admin;
    }

    /** With {@code fail-fast}: startup fails unless the cluster answers, naming the bootstrap servers. */
    @Bean
    static ClusterCheck runnelClusterCheck(ObjectProvider<RunnelClientProperties> properties) {
        return new ClusterCheck(properties);
    }

    /**
     * A service connection's Kafka details ({@code @ServiceConnection}, Docker Compose) win over
     * {@code runnel.client.bootstrap-servers}, when Spring Boot's Kafka support is there.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.kafka.autoconfigure.KafkaConnectionDetails")
    static class ConnectionDetailsConfiguration {

        @Bean
        static KafkaConnectionDetailsBinder runnelKafkaConnectionDetailsBinder(
                ObjectProvider<KafkaConnectionDetails> details) {
            return new KafkaConnectionDetailsBinder(details);
        }
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
