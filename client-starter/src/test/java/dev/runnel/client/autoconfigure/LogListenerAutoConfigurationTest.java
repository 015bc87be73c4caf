package dev.runnel.client.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.runnel.client.listener.AckMode;
import dev.runnel.client.listener.Acknowledgment;
import dev.runnel.client.listener.DeadLetterPublisher;
import dev.runnel.client.listener.DefaultLogErrorHandler;
import dev.runnel.client.listener.LogErrorHandler;
import dev.runnel.client.listener.LogListener;
import dev.runnel.client.listener.LogListenerContainer;
import dev.runnel.client.listener.LogListenerContainerFactory;
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
                    assertThat(orders.endpoint().topics()).containsExactly("orders", "audit");
                    assertThat(orders.endpoint().groupId()).isEqualTo("g-x");
                    assertThat(orders.concurrency()).isEqualTo(3);
                    assertThat(orders.endpoint().properties()).containsEntry("max.poll.records", "7");
                    assertThat(orders.isAutoStartup()).isFalse();
                    assertThat(orders.isRunning()).isFalse();
                    LogListenerContainer events = registry.getListenerContainers().stream()
                            .filter(c -> c.endpoint().batch()).findFirst().orElseThrow();
                    assertThat(events.endpoint().topicPattern().pattern()).isEqualTo("events-.*");
                    assertThat(events.id()).startsWith("Listeners.events#");
                });
    }

    @Test
    void theDefaultsRetryThenPublishDeadLettersAndBindFromProperties() {
        runner.withPropertyValues("runnel.client.listener.concurrency=2", "runnel.client.listener.ack-mode=record",
                "runnel.client.listener.poll-timeout=250ms", "runnel.client.consumer.group-id=app",
                "runnel.client.consumer.max-poll-records=50", "runnel.client.consumer.session-timeout=20s")
                .run(context -> {
                    assertThat(context).hasSingleBean(DeadLetterPublisher.class).hasSingleBean(LogErrorHandler.class)
                            .hasSingleBean(LogListenerContainerFactory.class);
                    LogListenerContainerFactory factory = context.getBean(LogListenerContainerFactory.class);
                    assertThat(factory.settings().concurrency()).isEqualTo(2);
                    assertThat(factory.settings().ackMode()).isEqualTo(AckMode.RECORD);
                    assertThat(factory.settings().pollTimeout()).isEqualTo(Duration.ofMillis(250));
                    assertThat(factory.consumerProperties()).containsEntry("group.id", "app")
                            .containsEntry("max.poll.records", 50).containsEntry("session.timeout.ms", 20_000)
                            .containsEntry("enable.auto.commit", false).containsEntry("auto.offset.reset", "latest");
                    assertThat(context.getBean(DeadLetterPublisher.class).deadLetterTopic("orders")).isEqualTo("orders.DLT");
                });
    }

    @Test
    void withoutDeadLettersFailedRecordsAreLoggedAndSkipped() {
        runner.withPropertyValues("runnel.client.listener.dead-letter.enabled=false").run(context -> {
            assertThat(context).doesNotHaveBean(DeadLetterPublisher.class).hasSingleBean(DefaultLogErrorHandler.class);
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
        LogErrorHandler quietHandler() {
            return new LogErrorHandler() {
                @Override
                public Duration retryAfter(List<ConsumerRecord<byte[], byte[]>> records, Exception error, int attempt) {
                    return null;
                }

                @Override
                public void recover(List<ConsumerRecord<byte[], byte[]>> records, Exception error) {
                }
            };
        }

        @Bean
        LogListenerContainerFactory otherFactory(LogListenerContainerFactory logListenerContainerFactory) {
            return new LogListenerContainerFactory(logListenerContainerFactory.consumerProperties(),
                    new dev.runnel.client.listener.ContainerSettings(4, AckMode.BATCH, Duration.ofSeconds(1), false,
                            Duration.ofSeconds(5)), null, null);
        }
    }

    @Test
    void aListenerMayNameItsFactoryAndItsErrorHandler() {
        runner.withUserConfiguration(NamedConfig.class).run(context -> {
            LogListenerContainer container = context.getBean(LogListenerEndpointRegistry.class).getListenerContainers()
                    .iterator().next();
            assertThat(container.concurrency()).as("the other factory's default").isEqualTo(4);
            assertThat(container.endpoint().errorHandler()).isSameAs(context.getBean("quietHandler"));
            assertThat(context.getBeansOfType(LogErrorHandler.class)).as("the default stays for the others")
                    .containsOnlyKeys("quietHandler", "logErrorHandler");
        });
    }
}
