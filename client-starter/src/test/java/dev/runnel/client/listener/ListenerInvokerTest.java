package dev.runnel.client.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

import dev.runnel.client.support.PayloadCodec;
import tools.jackson.databind.json.JsonMapper;

class ListenerInvokerTest {

    record Order(String id, int quantity) {
    }

    static class Listeners {
        final List<Object> calls = new ArrayList<>();

        void everything(Order order, @LogKey String key, @LogHeader("source") String source, @LogPartition int partition,
                @LogOffset long offset, Headers headers, ConsumerRecord<byte[], byte[]> record) {
            calls.addAll(Arrays.asList(order, key, source, partition, offset, headers.lastHeader("source") != null,
                    record.offset()));
        }

        void generic(Map<String, List<Integer>> payload) {
            calls.add(payload);
        }

        void batch(List<Order> orders, @LogKey List<String> keys, List<ConsumerRecord<byte[], byte[]>> records) {
            calls.add(orders);
            calls.add(keys);
            calls.add(records.size());
        }

        void fails(String value) {
            throw new IllegalArgumentException("no " + value);
        }

        void twoPayloads(String a, String b) {
        }

        void batchWithPartition(List<String> values, @LogPartition int partition) {
        }

        void batchWithoutList(String value) {
        }

        void acknowledging(String value, Acknowledgment ack) {
        }

        void intOffset(String value, @LogOffset int offset) {
        }

        void primitivePayload(long value) {
        }

        void consumerRecords(org.apache.kafka.clients.consumer.ConsumerRecords<byte[], byte[]> records) {
        }
    }

    final Listeners bean = new Listeners();
    final PayloadCodec codec = new PayloadCodec(new JsonMapper());

    ListenerInvoker invoker(String name, boolean batch) {
        Method method = Arrays.stream(Listeners.class.getDeclaredMethods()).filter(m -> m.getName().equals(name))
                .findFirst().orElseThrow();
        return new ListenerInvoker(bean, method, batch, codec);
    }

    static ConsumerRecord<byte[], byte[]> record(long offset, String key, String value) {
        RecordHeaders headers = new RecordHeaders();
        headers.add("source", "web".getBytes(StandardCharsets.UTF_8));
        return new ConsumerRecord<>("orders", 2, offset, 0L, TimestampType.CREATE_TIME, 0, 0,
                key == null ? null : key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8),
                headers, Optional.empty());
    }

    @Test
    void eachParameterGetsItsPartOfTheRecord() {
        invoker("everything", false).invoke(record(7, "k1", "{\"id\":\"o-1\",\"quantity\":3}"), null, null);

        assertThat(bean.calls).containsExactly(new Order("o-1", 3), "k1", "web", 2, 7L, true, 7L);
    }

    @Test
    void genericPayloadsKeepTheirTypeArguments() {
        invoker("generic", false).invoke(record(0, null, "{\"a\":[1,2]}"), null, null);

        assertThat(bean.calls).containsExactly(Map.of("a", List.of(1, 2)));
    }

    @Test
    void aBatchListenerGetsListsInRecordOrder() {
        invoker("batch", true).invokeBatch(List.of(record(0, "k0", "{\"id\":\"a\",\"quantity\":1}"),
                record(1, "k1", "{\"id\":\"b\",\"quantity\":2}")), null, null);

        assertThat(bean.calls).containsExactly(List.of(new Order("a", 1), new Order("b", 2)), List.of("k0", "k1"), 2);
    }

    @Test
    void aPayloadThatCannotBeConvertedIsAConversionFailureNamingTheRecord() {
        ConsumerRecord<byte[], byte[]> poison = record(9, "k", "{not json");

        assertThatThrownBy(() -> invoker("everything", false).invoke(poison, null, null))
                .isInstanceOf(ConversionFailedException.class).hasMessageContaining("orders-2@9")
                .satisfies(e -> assertThat(((ConversionFailedException) e).record()).isSameAs(poison));
        assertThat(bean.calls).isEmpty();
    }

    @Test
    void whatTheListenerThrowsComesBackAsTheCause() {
        assertThatThrownBy(() -> invoker("fails", false).invoke(record(0, null, "x"), null, null))
                .isInstanceOf(ListenerInvocationException.class).cause().isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no x");
    }

    @Test
    void methodsTheStarterCannotCallAreRefusedWhenTheContainerIsMade() {
        assertThatThrownBy(() -> invoker("twoPayloads", false)).hasMessageContaining("2 parameters that would be the payload");
        assertThatThrownBy(() -> invoker("batchWithPartition", true)).hasMessageContaining("a batch listener gets lists");
        assertThatThrownBy(() -> invoker("batchWithoutList", true)).hasMessageContaining("must be a List<...>");
        assertThat(invoker("acknowledging", false).acknowledges()).isTrue();
        assertThatThrownBy(() -> invoker("intOffset", false)).hasMessageContaining("@LogOffset offset must be a long");
        assertThatThrownBy(() -> invoker("primitivePayload", false)).hasMessageContaining("use its wrapper class");
        assertThatThrownBy(() -> invoker("consumerRecords", false)).hasMessageContaining("ConsumerRecords is not supported");
        assertThat(invoker("fails", false).acknowledges()).isFalse();
    }
}
