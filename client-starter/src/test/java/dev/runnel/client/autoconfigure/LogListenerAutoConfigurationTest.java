package dev.runnel.client.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.listener.CommonErrorHandler;
import org.springframework.kafka.listener.ContainerProperties.AckMode;
import org.springframework.kafka.listener.DefaultAfterRollbackProcessor;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.transaction.KafkaTransactionManager;
import org.springframework.util.backoff.FixedBackOff;

import dev.runnel.client.listener.Acknowledgment;
import dev.runnel.client.listener.DeadLetterTopics;
import dev.runnel.client.listener.LogListener;
import dev.runnel.client.listener.LogListenerContainer;
import dev.runnel.client.listener.LogListenerEndpointRegistry;

/**
 * The listener auto-configuration without a cluster: every listener here has autoStartup false,
 * so its container is made (and checked) but no consumer connects anywhere.
 */
class LogListenerAutoConfigurationTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(RunnelClientAutoConfiguration.class,
                    LogListenerAutoConfiguration.class))
            .withPropertyValues("runnel.client.listener.auto-startup=false");

    static class Listeners {
        @LogListener(id = "orders", topics = {"${it.topic}", "audit"}, groupId = "#{'g-' + '${it.suffix}'}",
                concurrency = "${it.concurrency}", properties = "max.poll.records=7")
        void orders(String value) {
        }

        @LogListener(topicPattern = "events-.*", groupId = "events", batch = "true")
        void events(List<String> values) {
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class ListenersConfig {
        @Bean
        Listeners listeners() {
            return new Listeners();
        }
    }

    @Test
    void listenersAreFoundWithTheirAttributesResolvedAndContainersMade() {
        runner.withUserConfiguration(ListenersConfig.class)
                .withPropertyValues("it.topic=orders", "it.suffix=x", "it.concurrency=3")
                .run(context -> {
                    LogListenerEndpointRegistry registry = context.getBean(LogListenerEndpointRegistry.class);
                    assertThat(registry.getListenerContainers()).hasSize(2);
                    LogListenerContainer orders = registry.getListenerContainer("orders");
                    assertThat(orders.endpoint().getTopics()).containsExactly("orders", "audit");
                    assertThat(orders.endpoint().getGroupId()).isEqualTo("g-x");
                    assertThat(orders.concurrency()).isEqualTo(3);
                    assertThat(orders.endpoint().getConsumerProperties()).containsEntry("max.poll.records", "7");
                    assertThat(orders.isAutoStartup()).isFalse();
                    assertThat(orders.isRunning()).isFalse();
                    LogListenerContainer events = registry.getListenerContainers().stream()
                            .filter(c -> Boolean.TRUE.equals(c.endpoint().getBatchListener())).findFirst().orElseThrow();
                    assertThat(events.endpoint().getTopicPattern().pattern()).isEqualTo("events-.*");
                    assertThat(events.id()).startsWith("Listeners.events#");
                    assertThat(context.getBean(KafkaListenerEndpointRegistry.class).getListenerContainer("orders"))
                            .as("a Spring Kafka container in Spring Kafka's registry").isSameAs(orders.container());
                });
    }

    @Test
    void theDefaultsRetryThenPublishDeadLettersAndBindFromProperties() {
        runner.withPropertyValues("runnel.client.listener.concurrency=2", "runnel.client.listener.ack-mode=record",
                "runnel.client.listener.poll-timeout=250ms", "runnel.client.consumer.group-id=app",
                "runnel.client.consumer.max-poll-records=50", "runnel.client.consumer.session-timeout=20s")
                .run(context -> {
                    assertThat(context).hasSingleBean(DeadLetterTopics.class).hasSingleBean(CommonErrorHandler.class);
                    ConcurrentKafkaListenerContainerFactory<?, ?> factory = context.getBean("logListenerContainerFactory",
                            ConcurrentKafkaListenerContainerFactory.class);
                    assertThat(factory).extracting("concurrency").isEqualTo(2);
                    assertThat(factory.getContainerProperties().getAckMode()).isEqualTo(AckMode.RECORD);
                    assertThat(factory.getContainerProperties().getPollTimeout()).isEqualTo(250);
                    assertThat(factory).extracting("commonErrorHandler").isSameAs(context.getBean("logErrorHandler"));
                    assertThat(context.getBean(ConsumerFactory.class).getConfigurationProperties())
                            .containsEntry("group.id", "app").containsEntry("max.poll.records", 50)
                            .containsEntry("session.timeout.ms", 20_000).containsEntry("enable.auto.commit", false)
                            .as("new groups read from the start").containsEntry("auto.offset.reset", "earliest");
                    assertThat(context.getBean(DeadLetterTopics.class).deadLetterTopic("orders")).isEqualTo("orders.DLT");
                    assertThat(context.getBean("kafkaListenerContainerFactory")).as("for @KafkaListener")
                            .isNotSameAs(factory);
                });
    }

    @Test
    void withATransactionIdPrefixEveryContainerRunsInKafkaTransactionsAndReadsCommitted() {
        runner.run(context -> {
            assertThat(context.getBean("logListenerContainerFactory", ConcurrentKafkaListenerContainerFactory.class)
                    .getContainerProperties().getKafkaAwareTransactionManager()).isNull();
            assertThat(context.getBean(ConsumerFactory.class).getConfigurationProperties())
                    .doesNotContainKey("isolation.level");
            assertThat(context.getBean("logListenerContainerFactory")).extracting("afterRollbackProcessor").isNull();
        });
        runner.withPropertyValues("runnel.client.producer.transaction-id-prefix=tx-").run(context -> {
            KafkaTransactionManager<?, ?> transactions = context.getBean(KafkaTransactionManager.class);
            for (String name : List.of("logListenerContainerFactory", "kafkaListenerContainerFactory")) {
                assertThat(context.getBean(name, ConcurrentKafkaListenerContainerFactory.class).getContainerProperties()
                        .getKafkaAwareTransactionManager()).as(name).isSameAs(transactions);
            }
            assertThat(context.getBean(ConsumerFactory.class).getConfigurationProperties())
                    .containsEntry("isolation.level", "read_committed");
            assertThat(context.getBean("logListenerContainerFactory")).extracting("afterRollbackProcessor")
                    .as("a rolled-back delivery comes again, never skipped").isInstanceOf(DefaultAfterRollbackProcessor.class)
                    .extracting("backOff").asInstanceOf(InstanceOfAssertFactories.type(FixedBackOff.class))
                    .satisfies(backOff -> {
                        assertThat(backOff.getMaxAttempts()).isEqualTo(FixedBackOff.UNLIMITED_ATTEMPTS);
                        assertThat(backOff.getInterval()).as("retry.initial-interval").isEqualTo(1_000);
                    });
        });
        runner.withPropertyValues("runnel.client.producer.transaction-id-prefix=tx-",
                "runnel.client.consumer.properties.isolation.level=read_uncommitted").run(context -> assertThat(
                context.getBean(ConsumerFactory.class).getConfigurationProperties())
                .as("a raw setting wins").containsEntry("isolation.level", "read_uncommitted"));
    }

    @Test
    void withoutDeadLettersFailedRecordsAreLoggedAndSkipped() {
        runner.withPropertyValues("runnel.client.listener.dead-letter.enabled=false").run(context -> {
            assertThat(context).doesNotHaveBean(DeadLetterTopics.class).hasSingleBean(DefaultErrorHandler.class);
        });
    }

    static class Acknowledging {
        @LogListener(topics = "t", groupId = "g")
        void on(String value, Acknowledgment ack) {
        }
    }

    static class Groupless {
        @LogListener(topics = "t")
        void on(String value) {
        }
    }

    static class BadConcurrency {
        @LogListener(topics = "t", groupId = "g", concurrency = "many")
        void on(String value) {
        }
    }

    static class NoTopics {
        @LogListener(groupId = "g")
        void on(String value) {
        }
    }

    static class BadProperty {
        @LogListener(topics = "t", groupId = "g", properties = "max.poll.records=lots")
        void on(String value) {
        }
    }

    @Test
    void listenersThatCannotBeServedStopTheApplicationWithAClearMessage() {
        assertStartupFails(Acknowledging.class, "takes an Acknowledgment, but the ack mode is BATCH");
        assertStartupFails(Groupless.class, "has no consumer group");
        assertStartupFails(BadConcurrency.class, "concurrency must be a number, not 'many'");
        assertStartupFails(NoTopics.class, "needs either topics or a topicPattern");
        assertStartupFails(BadProperty.class, "Invalid value lots for configuration max.poll.records");
    }

    private void assertStartupFails(Class<?> listener, String message) {
        runner.withBean(listener).run(context -> {
            assertThat(context).hasFailed();
            List<String> messages = new ArrayList<>();
            for (Throwable t = context.getStartupFailure(); t != null; t = t.getCause()) {
                messages.add(String.valueOf(t.getMessage()));
            }
            assertThat(messages).as(listener.getSimpleName()).anyMatch(m -> m.contains(message));
        });
    }

    static class Named {
        @LogListener(topics = "t", groupId = "g", containerFactory = "otherFactory", errorHandler = "quietHandler")
        void on(String value) {
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class NamedConfig {
        @Bean
        Named named() {
            return new Named();
        }

        @Bean
        CommonErrorHandler quietHandler() {
            return new CommonErrorHandler() {
            };
        }

        @Bean
        ConcurrentKafkaListenerContainerFactory<byte[], byte[]> otherFactory(ConsumerFactory<byte[], byte[]> consumers) {
            ConcurrentKafkaListenerContainerFactory<byte[], byte[]> factory = new ConcurrentKafkaListenerContainerFactory<>();
            factory.setConsumerFactory(consumers);
            factory.setConcurrency(4);
            factory.setAutoStartup(false);
            return factory;
        }
    }

    @Test
    void aListenerMayNameItsFactoryAndItsErrorHandler() {
        runner.withUserConfiguration(NamedConfig.class).run(context -> {
            LogListenerContainer container = context.getBean(LogListenerEndpointRegistry.class).getListenerContainers()
                    .iterator().next();
            assertThat(container.concurrency()).as("the other factory's default").isEqualTo(4);
            assertThat(container.endpoint().errorHandler()).isSameAs(context.getBean("quietHandler"));
            assertThat(container.container()).extracting("commonErrorHandler").isSameAs(context.getBean("quietHandler"));
            assertThat(context.getBeansOfType(CommonErrorHandler.class)).as("the default stays for the others")
                    .containsOnlyKeys("quietHandler", "logErrorHandler");
        });
    }
}
