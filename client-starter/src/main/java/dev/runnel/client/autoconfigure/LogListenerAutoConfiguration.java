package dev.runnel.client.autoconfigure;

import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
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
import org.springframework.kafka.annotation.EnableKafka;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.config.KafkaListenerConfigUtils;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.CommonErrorHandler;
import org.springframework.kafka.listener.ContainerPausingBackOffHandler;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.DefaultAfterRollbackProcessor;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.listener.ListenerContainerPauseService;
import org.springframework.kafka.support.converter.BatchMessagingMessageConverter;
import org.springframework.kafka.support.ExponentialBackOffWithMaxRetries;
import org.springframework.kafka.transaction.KafkaAwareTransactionManager;
import org.springframework.scheduling.concurrent.ThreadPoolTaskScheduler;
import org.springframework.util.backoff.FixedBackOff;

import dev.runnel.client.listener.DeadLetterTopics;
import dev.runnel.client.listener.ListenerObserver;
import dev.runnel.client.listener.LogListenerAnnotationBeanPostProcessor;
import dev.runnel.client.listener.LogListenerEndpointRegistry;
import dev.runnel.client.listener.LogMessageConverter;
import dev.runnel.client.support.PayloadCodec;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * {@code @LogListener} and {@code @KafkaListener} support on Spring Kafka: Spring Kafka's
 * annotation processing and endpoint registry ({@code @EnableKafka}, so {@code @KafkaListener},
 * {@code @RetryableTopic}, {@code @DltHandler} and {@code @SendTo} work), the consumer factory,
 * and two container factories on it: {@code logListenerContainerFactory} with the starter's
 * defaults for {@code @LogListener} (the {@code runnel.client.listener.*} settings, retries that
 * pause only the failing partition, then the dead-letter topic), and, unless the application
 * has one, {@code kafkaListenerContainerFactory} for {@code @KafkaListener} with Spring Kafka's
 * own defaults. Both convert payloads by the starter's rules and reply with the
 * {@code KafkaTemplate}, and both run each delivery in a Kafka transaction when there is a
 * transaction manager ({@code runnel.client.producer.transaction-id-prefix}). No {@code @Enable...}
 * annotation is needed in the application.
 */
@AutoConfiguration(after = RunnelClientAutoConfiguration.class,
        beforeName = "org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration")
@ConditionalOnClass(EnableKafka.class)
public final class LogListenerAutoConfiguration {

    /** The bean name of the default error handler of {@code @LogListener}s. */
    public static final String DEFAULT_ERROR_HANDLER = "logErrorHandler";

    /** The bean name of the scheduler that resumes partitions after their back-off. */
    public static final String TASK_SCHEDULER = "runnelListenerTaskScheduler";

    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    @ConditionalOnMissingBean
    static LogListenerAnnotationBeanPostProcessor logListenerAnnotationBeanPostProcessor() {
        return new LogListenerAnnotationBeanPostProcessor();
    }

    @Bean
    @ConditionalOnMissingBean
    LogListenerEndpointRegistry logListenerEndpointRegistry(KafkaListenerEndpointRegistry registry,
            ObjectProvider<ListenerObserver> observers) {
        List<ListenerObserver> all = observers.orderedStream().toList();
        return new LogListenerEndpointRegistry(registry, all.isEmpty() ? ListenerObserver.NONE
                : ListenerObserver.composite(all));
    }

    @Bean
    @ConditionalOnMissingBean(ConsumerFactory.class)
    DefaultKafkaConsumerFactory<byte[], byte[]> kafkaConsumerFactory(RunnelClientProperties properties) {
        return new DefaultKafkaConsumerFactory<>(properties.buildConsumerProperties());
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBooleanProperty(name = "runnel.client.listener.dead-letter.enabled", matchIfMissing = true)
    DeadLetterTopics deadLetterTopics(RunnelClientProperties properties) {
        return new DeadLetterTopics(properties.buildCommonProperties(),
                properties.getListener().getDeadLetter().getSuffix());
    }

    @Bean(name = TASK_SCHEDULER)
    @ConditionalOnMissingBean(name = TASK_SCHEDULER)
    ThreadPoolTaskScheduler runnelListenerTaskScheduler() {
        ThreadPoolTaskScheduler scheduler = new ThreadPoolTaskScheduler();
        scheduler.setThreadNamePrefix("runnel-listener-backoff-");
        return scheduler;
    }

    /**
     * The error handler of every {@code @LogListener} that names none: Spring Kafka's {@link
     * DefaultErrorHandler}, retrying with exponential back-off during which only the failing
     * partition is paused, then publishing to the dead-letter topic (or, with dead letters off,
     * logging and skipping). Exceptions Spring Kafka deems not retryable (a payload that cannot be
     * converted, among them) and those of {@code runnel.client.listener.retry.not-retryable} skip
     * the retries. Only a bean of this name replaces it.
     */
    @Bean(DEFAULT_ERROR_HANDLER)
    @ConditionalOnMissingBean(name = DEFAULT_ERROR_HANDLER)
    DefaultErrorHandler logErrorHandler(RunnelClientProperties properties, ObjectProvider<DeadLetterTopics> deadLetters,
            KafkaTemplate<Object, Object> template, @Qualifier(TASK_SCHEDULER) ThreadPoolTaskScheduler scheduler) {
        RetryProperties retry = properties.getListener().getRetry();
        ExponentialBackOffWithMaxRetries backOff = new ExponentialBackOffWithMaxRetries(retry.getMaxAttempts() - 1);
        backOff.setInitialInterval(retry.getInitialInterval().toMillis());
        backOff.setMultiplier(retry.getMultiplier());
        backOff.setMaxInterval(retry.getMaxInterval().toMillis());
        DeadLetterTopics topics = deadLetters.getIfAvailable();
        DefaultErrorHandler handler = new DefaultErrorHandler(topics == null ? null : topics.recoverer(template), backOff,
                new ContainerPausingBackOffHandler(new ListenerContainerPauseService(null, scheduler)));
        retry.getNotRetryable().forEach(handler::addNotRetryableExceptions);
        return handler;
    }

    @Bean(LogListenerAnnotationBeanPostProcessor.DEFAULT_CONTAINER_FACTORY)
    @ConditionalOnMissingBean(name = LogListenerAnnotationBeanPostProcessor.DEFAULT_CONTAINER_FACTORY)
    ConcurrentKafkaListenerContainerFactory<byte[], byte[]> logListenerContainerFactory(RunnelClientProperties properties,
            ConsumerFactory<byte[], byte[]> consumerFactory, PayloadCodec codec, KafkaTemplate<Object, Object> template,
            @Qualifier(DEFAULT_ERROR_HANDLER) CommonErrorHandler errorHandler,
            ObjectProvider<ConsumerRebalanceListener> rebalanceListeners,
            ObjectProvider<KafkaAwareTransactionManager<?, ?>> transactions) {
        ConcurrentKafkaListenerContainerFactory<byte[], byte[]> factory = baseFactory(consumerFactory, codec, template,
                rebalanceListeners, transactions);
        ListenerProperties listener = properties.getListener();
        if (transactions.getIfAvailable() != null) {
            // The listener's own failures are retried and dead-lettered by the error handler, inside the
            // transaction. What else rolls a transaction back (a commit that failed: a broker down, a coordinator
            // moving, a fenced producer) is no fault of the record: it is delivered again, never skipped, as
            // Spring Kafka's default after-rollback processor would after ten failures, losing it.
            long interval = listener.getRetry().getInitialInterval().toMillis();
            factory.setAfterRollbackProcessor(new DefaultAfterRollbackProcessor<>(
                    new FixedBackOff(interval, FixedBackOff.UNLIMITED_ATTEMPTS)));
        }
        factory.setConcurrency(listener.getConcurrency());
        factory.setAutoStartup(listener.isAutoStartup());
        factory.setCommonErrorHandler(errorHandler);
        ContainerProperties container = factory.getContainerProperties();
        container.setAckMode(listener.getAckMode());
        container.setPollTimeout(listener.getPollTimeout().toMillis());
        container.setShutdownTimeout(listener.getShutdownTimeout().toMillis());
        return factory;
    }

    /** For {@code @KafkaListener} (and retry topics): Spring Kafka's defaults, the starter's conversion. */
    @Bean
    @ConditionalOnMissingBean(name = "kafkaListenerContainerFactory")
    ConcurrentKafkaListenerContainerFactory<byte[], byte[]> kafkaListenerContainerFactory(
            ConsumerFactory<byte[], byte[]> consumerFactory, PayloadCodec codec, KafkaTemplate<Object, Object> template,
            ObjectProvider<ConsumerRebalanceListener> rebalanceListeners,
            ObjectProvider<KafkaAwareTransactionManager<?, ?>> transactions) {
        return baseFactory(consumerFactory, codec, template, rebalanceListeners, transactions);
    }

    /**
     * What both factories share. With a Kafka transaction manager (the starter makes one with {@code
     * runnel.client.producer.transaction-id-prefix}), each delivery runs in a Kafka transaction that
     * holds the listener's sends and the consumed offsets; a failure aborts it, the error handler
     * seeks back and the record comes again.
     */
    private static ConcurrentKafkaListenerContainerFactory<byte[], byte[]> baseFactory(
            ConsumerFactory<byte[], byte[]> consumerFactory, PayloadCodec codec, KafkaTemplate<Object, Object> template,
            ObjectProvider<ConsumerRebalanceListener> rebalanceListeners,
            ObjectProvider<KafkaAwareTransactionManager<?, ?>> transactions) {
        ConcurrentKafkaListenerContainerFactory<byte[], byte[]> factory = new ConcurrentKafkaListenerContainerFactory<>();
        factory.setConsumerFactory(consumerFactory);
        LogMessageConverter converter = new LogMessageConverter(codec);
        factory.setRecordMessageConverter(converter);
        BatchMessagingMessageConverter batchConverter = new BatchMessagingMessageConverter(converter);
        batchConverter.setRawRecordHeader(true);
        factory.setBatchMessageConverter(batchConverter);
        factory.setReplyTemplate(template);
        List<ConsumerRebalanceListener> all = rebalanceListeners.orderedStream().toList();
        if (!all.isEmpty()) {
            factory.getContainerProperties().setConsumerRebalanceListener(new CompositeRebalanceListener(all));
        }
        transactions.ifAvailable(factory.getContainerProperties()::setKafkaAwareTransactionManager);
        return factory;
    }

    /** Spring Kafka's annotation processing and registry, unless the application enabled them itself. */
    @Configuration(proxyBeanMethods = false)
    @EnableKafka
    @ConditionalOnMissingBean(name = KafkaListenerConfigUtils.KAFKA_LISTENER_ANNOTATION_PROCESSOR_BEAN_NAME)
    static class EnableKafkaConfiguration {
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
