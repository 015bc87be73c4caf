package dev.runnel.client.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.mock.MockProducerFactory;
import org.springframework.kafka.transaction.KafkaTransactionManager;

import dev.runnel.client.core.LogTemplate;
import dev.runnel.client.core.SendObserver;
import dev.runnel.client.support.PayloadCodec;
import dev.runnel.client.support.KeptOpenProducer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import tools.jackson.databind.json.JsonMapper;

class RunnelClientAutoConfigurationTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(RunnelClientAutoConfiguration.class));

    @Test
    void theStarterAloneGivesATemplateOnTheLocalClusterWithSafeDefaults() {
        runner.run(context -> {
            assertThat(context).hasSingleBean(LogTemplate.class).hasSingleBean(ProducerFactory.class)
                    .hasSingleBean(PayloadCodec.class);
            Map<String, Object> config = context.getBean(ProducerFactory.class).getConfigurationProperties();
            assertThat(config).containsEntry("bootstrap.servers", "127.0.0.1:9092").containsEntry("acks", "all")
                    .containsEntry("linger.ms", 5).containsEntry("compression.type", "none")
                    .containsEntry("max.block.ms", 10_000L)
                    .as("idempotence as Kafka decides it: on with acks=all").doesNotContainKey("enable.idempotence");
            assertThat(context).hasSingleBean(KafkaTemplate.class);
            assertThat(context.getBean(LogTemplate.class).kafkaTemplate()).as("a facade over Spring Kafka's template")
                    .isSameAs(context.getBean(KafkaTemplate.class));
            assertThat(context.getBean(LogTemplate.class).defaultTopic()).isNull();
        });
    }

    @Test
    void theClientHasAClockOfItsOwnUnlessTheApplicationHasOne() {
        runner.run(context -> assertThat(context).hasSingleBean(Clock.class));
        Clock own = Clock.fixed(Instant.EPOCH, ZoneOffset.UTC);
        runner.withBean(Clock.class, () -> own)
                .run(context -> assertThat(context).getBean(Clock.class).isSameAs(own));
    }

    @Test
    void propertiesBindToTheProducerAndTheTemplate() {
        runner.withPropertyValues("runnel.client.bootstrap-servers=127.0.0.1:19092,127.0.0.2:19093",
                "runnel.client.client-id=orders-app", "runnel.client.properties.security.protocol=PLAINTEXT",
                "runnel.client.producer.acks=1", "runnel.client.producer.idempotence=false",
                "runnel.client.producer.linger=20ms", "runnel.client.producer.batch-size=64KB",
                "runnel.client.producer.compression=zstd", "runnel.client.producer.delivery-timeout=30s",
                "runnel.client.producer.max-block=2s",
                "runnel.client.producer.properties.max.request.size=2097152",
                "runnel.client.producer.properties.linger.ms=999", "runnel.client.template.default-topic=orders")
                .run(context -> {
                    Map<String, Object> config = context.getBean(ProducerFactory.class).getConfigurationProperties();
                    assertThat(config).containsEntry("bootstrap.servers", "127.0.0.1:19092,127.0.0.2:19093")
                            .containsEntry("client.id", "orders-app").containsEntry("security.protocol", "PLAINTEXT")
                            .containsEntry("acks", "1").containsEntry("enable.idempotence", false)
                            .containsEntry("linger.ms", 20).containsEntry("batch.size", 65_536)
                            .containsEntry("compression.type", "zstd").containsEntry("delivery.timeout.ms", 30_000)
                            .containsEntry("max.block.ms", 2_000L)
                            .containsEntry("max.request.size", "2097152");
                    assertThat(context.getBean(LogTemplate.class).defaultTopic()).isEqualTo("orders");
                });
    }

    @Test
    void invalidPropertiesStopTheApplicationWithTheSettingInTheMessage() {
        assertStartupFails("runnel.client.producer.acks must be all, 1 or 0, not '2'", "runnel.client.producer.acks=2");
        assertStartupFails("'localhost' is not host:port", "runnel.client.bootstrap-servers=localhost");
        assertStartupFails("runnel.client.producer.linger must be between 0", "runnel.client.producer.linger=-1s");
        assertStartupFails("Failed to bind properties under 'runnel.client.producer.compression'",
                "runnel.client.producer.compression=brotli");
        assertStartupFails("Invalid value lots for configuration max.request.size",
                "runnel.client.producer.properties.max.request.size=lots");
        assertStartupFails("Must set acks to all in order to use the idempotent producer",
                "runnel.client.producer.acks=1", "runnel.client.producer.idempotence=true");
    }

    @Test
    void aTransactionIdPrefixMakesTheProducerTransactionalWithAKafkaTransactionManager() {
        runner.run(context -> assertThat(context).doesNotHaveBean(KafkaTransactionManager.class)
                .getBean(KafkaTemplate.class).extracting(KafkaTemplate::isTransactional).isEqualTo(false));
        runner.withPropertyValues("runnel.client.producer.transaction-id-prefix= orders-1- ").run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(KafkaTransactionManager.class);
            DefaultKafkaProducerFactory<?, ?> factory = context.getBean(DefaultKafkaProducerFactory.class);
            assertThat(factory.transactionCapable()).isTrue();
            assertThat(factory.getTransactionIdPrefix()).isEqualTo("orders-1-");
            assertThat(context.getBean(KafkaTransactionManager.class).getProducerFactory()).isSameAs(factory);
            assertThat(context.getBean(KafkaTemplate.class).isTransactional()).isTrue();
        });
    }

    @Test
    void transactionsWithoutAcksAllOrIdempotenceStopTheApplicationNamingTheProperties() {
        assertStartupFails("runnel.client.producer.transaction-id-prefix needs runnel.client.producer.acks=all, not 1",
                "runnel.client.producer.transaction-id-prefix=tx-", "runnel.client.producer.acks=1");
        assertStartupFails("runnel.client.producer.idempotence must not be false",
                "runnel.client.producer.transaction-id-prefix=tx-", "runnel.client.producer.idempotence=false");
        assertStartupFails("runnel.client.producer.transaction-id-prefix must not be blank",
                "runnel.client.producer.transaction-id-prefix= ");
        assertStartupFails("runnel.client.producer.idempotence must not be false",
                "runnel.client.producer.transaction-id-prefix=tx-",
                "runnel.client.producer.properties.enable.idempotence=false");
    }

    /** The context does not start, and somewhere in the chain of causes {@code message} says why. */
    private void assertStartupFails(String message, String... properties) {
        runner.withPropertyValues(properties).run(context -> {
            assertThat(context).hasFailed();
            List<String> messages = new ArrayList<>();
            for (Throwable t = context.getStartupFailure(); t != null; t = t.getCause()) {
                messages.add(String.valueOf(t.getMessage()));
            }
            assertThat(messages).as(String.join(" ", properties)).anyMatch(m -> m.contains(message));
        });
    }

    @Test
    void acksOfOneAloneTurnsIdempotenceOffAsInKafka() {
        runner.withPropertyValues("runnel.client.producer.acks=1").run(context -> assertThat(context)
                .hasNotFailed().getBean(ProducerFactory.class).extracting(ProducerFactory::getConfigurationProperties)
                .asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP).containsEntry("acks", "1"));
    }

    @Test
    void customizersChangeTheProducerPropertiesLast() {
        runner.withPropertyValues("runnel.client.producer.linger=20ms")
                .withBean(LogProducerCustomizer.class, () -> config -> config.put("linger.ms", 50))
                .run(context -> assertThat(context.getBean(ProducerFactory.class).getConfigurationProperties())
                        .containsEntry("linger.ms", 50));
    }

    @Test
    void theApplicationsOwnBeansWin() {
        runner.withUserConfiguration(OwnBeans.class).run(context -> {
            assertThat(context).hasSingleBean(LogTemplate.class).hasSingleBean(ProducerFactory.class)
                    .hasSingleBean(PayloadCodec.class);
            assertThat(context.getBean(LogTemplate.class)).isSameAs(context.getBean(OwnBeans.class).template);
            assertThat(context.getBean(ProducerFactory.class).getConfigurationProperties()).containsEntry("bootstrap.servers", "own:1");
        });
    }

    @Test
    void theApplicationsJsonMapperWritesThePayloads() {
        JsonMapper mapper = new JsonMapper();
        runner.withBean(JsonMapper.class, () -> mapper).run(context -> assertThat(context.getBean(PayloadCodec.class))
                .extracting("mapper").isSameAs(mapper));
    }

    @Test
    void theApplicationsOwnSendObserversAreToldToo() {
        PayloadCodec codec = new PayloadCodec(new JsonMapper());
        KeptOpenProducer producer = new KeptOpenProducer(true, codec);
        List<String> told = new java.util.concurrent.CopyOnWriteArrayList<>();
        runner.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
                .withBean("auditSends", SendObserver.class, () -> (topic, nanos, error) -> told.add(topic))
                .withBean(ProducerFactory.class, () -> new MockProducerFactory<>(() -> producer))
                .run(context -> {
                    context.getBean(LogTemplate.class).send("orders", "one").get(5, TimeUnit.SECONDS);
                    assertThat(told).containsExactly("orders");
                    assertThat(context.getBean(MeterRegistry.class).get("runnel.client.sends").timer().count())
                            .as("the metrics stay").isEqualTo(1);
                });
    }

    @Test
    void everySendIsTimedByTopicAndOutcome() {
        PayloadCodec codec = new PayloadCodec(new JsonMapper());
        KeptOpenProducer producer = new KeptOpenProducer(true, codec);
        runner.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
                .withBean(ProducerFactory.class, () -> new MockProducerFactory<>(() -> producer))
                .run(context -> {
                    context.getBean(LogTemplate.class).send("orders", "one").get(5, TimeUnit.SECONDS);
                    context.getBean(LogTemplate.class).send("orders", "two").get(5, TimeUnit.SECONDS);
                    assertThat(context.getBean(MeterRegistry.class).get("runnel.client.sends").tag("topic", "orders")
                            .tag("outcome", "success").timer().count()).isEqualTo(2);
                    assertThat(context).hasSingleBean(SendObserver.class);
                });
    }

    /** A loopback port nothing listens on. */
    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Test
    void withFailFastTheApplicationDoesNotStartWhenTheClusterDoesNotAnswer() throws Exception {
        int port = closedPort();
        assertStartupFails("runnel.client.fail-fast: the cluster at [127.0.0.1:" + port + "] did not answer within PT1S",
                "runnel.client.bootstrap-servers=127.0.0.1:" + port, "runnel.client.fail-fast=true",
                "runnel.client.fail-fast-timeout=1s");
    }

    @Test
    void withoutFailFastTheApplicationStartsWithTheClusterDown() throws Exception {
        runner.withPropertyValues("runnel.client.bootstrap-servers=127.0.0.1:" + closedPort())
                .run(context -> assertThat(context).hasNotFailed().hasSingleBean(LogTemplate.class));
    }

    @Test
    void aSendWithTheClusterDownFailsAfterMaxBlockInsteadOfHanging() throws Exception {
        runner.withPropertyValues("runnel.client.bootstrap-servers=127.0.0.1:" + closedPort(),
                "runnel.client.producer.max-block=300ms").run(context -> {
                    CompletableFuture<?> sent = context.getBean(LogTemplate.class).send("orders", "lost");
                    assertThatThrownBy(() -> sent.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                            .cause().isInstanceOf(TimeoutException.class)
                            .hasMessageContaining("after 300 ms");
                });
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnBeans {

        final DefaultKafkaProducerFactory<Object, Object> factory = new DefaultKafkaProducerFactory<>(
                Map.of("bootstrap.servers", "own:1"));
        final LogTemplate template = new LogTemplate(new KafkaTemplate<>(factory), "mine", SendObserver.NONE,
                Clock.systemUTC());

        @Bean
        ProducerFactory<Object, Object> ownFactory() {
            return factory;
        }

        @Bean
        LogTemplate ownTemplate() {
            return template;
        }

        @Bean
        PayloadCodec ownCodec() {
            return new PayloadCodec(new JsonMapper());
        }
    }
}
