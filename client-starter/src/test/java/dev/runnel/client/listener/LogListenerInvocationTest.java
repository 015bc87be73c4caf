package dev.runnel.client.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.kafka.listener.BatchMessageListener;
import org.springframework.kafka.listener.ListenerExecutionFailedException;
import org.springframework.kafka.listener.MessageListener;
import org.springframework.kafka.support.converter.ConversionException;

import dev.runnel.client.autoconfigure.LogListenerAutoConfiguration;
import dev.runnel.client.autoconfigure.RunnelClientAutoConfiguration;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * A {@code @LogListener} method called through the listener Spring Kafka's container would call,
 * with hand-made records and no cluster: what each parameter gets (Spring Kafka's adapter with the
 * starter's converter and argument resolvers), what a failure looks like to the error handler, and
 * what the metrics see.
 */
class LogListenerInvocationTest {

    record Order(String id, int quantity) {
    }

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(RunnelClientAutoConfiguration.class,
                    LogListenerAutoConfiguration.class))
            .withPropertyValues("runnel.client.listener.auto-startup=false")
            .withBean(MeterRegistry.class, SimpleMeterRegistry::new);

    static ConsumerRecord<byte[], byte[]> record(long offset, String key, String value, Headers headers) {
        return new ConsumerRecord<>("t", 2, offset, 1_000L, TimestampType.CREATE_TIME, -1, -1,
                key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                value == null ? null : value.getBytes(StandardCharsets.UTF_8), headers, Optional.empty());
    }

    @SuppressWarnings("unchecked")
    static MessageListener<byte[], byte[]> recordListener(ApplicationContext context, String id) {
        return (MessageListener<byte[], byte[]>) context.getBean(LogListenerEndpointRegistry.class)
                .getListenerContainer(id).container().getContainerProperties().getMessageListener();
    }

    static class Parts {
        final List<Object> got = new ArrayList<>();

        @LogListener(id = "parts", topics = "t", groupId = "g")
        void on(Order order, @LogKey String key, @LogHeader("source") String source, @LogHeader("raw") byte[] raw,
                @LogHeader("missing") String missing, @LogPartition int partition, @LogOffset long offset,
                Headers headers, ConsumerRecord<byte[], byte[]> record) {
            got.addAll(Arrays.asList(order, key, source, raw.length, missing, partition, offset,
                    headers.lastHeader("source") != null, record.offset()));
        }
    }

    @Test
    void eachParameterGetsItsPartOfTheRecord() {
        runner.withBean(Parts.class).run(context -> {
            RecordHeaders headers = new RecordHeaders();
            headers.add("source", "web".getBytes(StandardCharsets.UTF_8));
            headers.add("raw", new byte[] {1, 2, 3});
            recordListener(context, "parts").onMessage(record(7, "k-1", "{\"id\":\"o-1\",\"quantity\":2}", headers), null,
                    null);
            assertThat(context.getBean(Parts.class).got).containsExactly(new Order("o-1", 2), "k-1", "web", 3, null, 2,
                    7L, true, 7L);
        });
    }

    static class Generic {
        final List<Object> got = new ArrayList<>();

        @LogListener(id = "generic", topics = "t", groupId = "g")
        void on(List<Order> orders) {
            got.addAll(orders);
        }
    }

    @Test
    void genericPayloadsKeepTheirTypeArguments() {
        runner.withBean(Generic.class).run(context -> {
            recordListener(context, "generic").onMessage(record(0, null, "[{\"id\":\"a\",\"quantity\":1}]",
                    new RecordHeaders()), null, null);
            assertThat(context.getBean(Generic.class).got).containsExactly(new Order("a", 1));
        });
    }

    static class Batch {
        final List<Object> got = new ArrayList<>();

        @LogListener(id = "batch", topics = "t", groupId = "g", batch = "true")
        void on(List<Order> orders, @LogKey List<String> keys, List<ConsumerRecord<byte[], byte[]>> records) {
            got.add(orders);
            got.add(keys);
            got.add(records.stream().map(ConsumerRecord::offset).toList());
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void aBatchListenerGetsListsInRecordOrder() {
        runner.withBean(Batch.class).run(context -> {
            BatchMessageListener<byte[], byte[]> listener = (BatchMessageListener<byte[], byte[]>) context
                    .getBean(LogListenerEndpointRegistry.class).getListenerContainer("batch").container()
                    .getContainerProperties().getMessageListener();
            listener.onMessage(List.of(record(4, "x", "{\"id\":\"b\",\"quantity\":2}", new RecordHeaders()),
                    record(5, "y", "{\"id\":\"c\",\"quantity\":3}", new RecordHeaders())), null, null);
            assertThat(context.getBean(Batch.class).got).containsExactly(
                    List.of(new Order("b", 2), new Order("c", 3)), List.of("x", "y"), List.of(4L, 5L));
        });
    }

    static class Failing {
        final AtomicInteger calls = new AtomicInteger();

        @LogListener(id = "failing", topics = "t", groupId = "g")
        void on(Order order) {
            calls.incrementAndGet();
            throw new IllegalStateException("cannot take " + order.id());
        }
    }

    @Test
    void aPayloadThatCannotBeConvertedIsAConversionFailureNamingTheRecordAndTheListenerIsNotCalled() {
        runner.withBean(Failing.class).run(context -> {
            assertThatThrownBy(() -> recordListener(context, "failing").onMessage(
                    record(9, null, "{not json", new RecordHeaders()), null, null))
                    .satisfies(causeChainHas(ConversionException.class, "the payload of t-2@9 cannot be a "
                            + Order.class.getName()));
            assertThat(context.getBean(Failing.class).calls).hasValue(0);
        });
    }

    @Test
    void whatTheListenerThrowsComesBackAsTheCauseAndIsTimedByItsName() {
        runner.withBean(Failing.class).run(context -> {
            assertThatThrownBy(() -> recordListener(context, "failing").onMessage(
                    record(1, null, "{\"id\":\"o-9\",\"quantity\":1}", new RecordHeaders()), null, null))
                    .isInstanceOf(ListenerExecutionFailedException.class).cause()
                    .isInstanceOf(IllegalStateException.class).hasMessage("cannot take o-9");
            assertThat(context.getBean(MeterRegistry.class).get("runnel.client.listener.invocations")
                    .tag("listener", "failing").tag("outcome", "IllegalStateException").timer().count()).isEqualTo(1);
        });
    }

    static class Acknowledging {
        @LogListener(id = "acking", topics = "t", groupId = "g")
        void on(String value, Acknowledgment ack) {
            ack.acknowledge();
        }
    }

    @Test
    void theStartersAcknowledgmentAcknowledgesThroughSpringKafkas() {
        runner.withBean(Acknowledging.class).withPropertyValues("runnel.client.listener.ack-mode=MANUAL")
                .run(context -> {
                    AtomicInteger acknowledged = new AtomicInteger();
                    recordListener(context, "acking").onMessage(record(0, null, "v", new RecordHeaders()),
                            acknowledged::incrementAndGet, null);
                    assertThat(acknowledged).hasValue(1);
                });
    }

    private static Consumer<Throwable> causeChainHas(Class<? extends Throwable> type, String message) {
        return thrown -> {
            List<Throwable> chain = new ArrayList<>();
            for (Throwable t = thrown; t != null; t = t.getCause()) {
                chain.add(t);
            }
            assertThat(chain).anyMatch(t -> type.isInstance(t) && String.valueOf(t.getMessage()).contains(message));
        };
    }
}
