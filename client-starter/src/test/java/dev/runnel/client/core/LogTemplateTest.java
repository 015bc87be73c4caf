package dev.runnel.client.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.junit.jupiter.api.Test;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.mock.MockProducerFactory;

import dev.runnel.client.support.PayloadCodec;
import dev.runnel.client.support.KeptOpenProducer;
import tools.jackson.databind.json.JsonMapper;

class LogTemplateTest {

    record Order(String id, int quantity) {
    }

    /** Jackson cannot write it: its only property throws. */
    static class Unwritable {
        public String getValue() {
            throw new IllegalStateException("not today");
        }
    }

    final PayloadCodec codec = new PayloadCodec(new JsonMapper());
    final KeptOpenProducer producer = new KeptOpenProducer(false, codec);
    final KafkaTemplate<Object, Object> kafkaTemplate = new KafkaTemplate<>(new MockProducerFactory<>(() -> producer));
    final List<String> observed = new java.util.concurrent.CopyOnWriteArrayList<>();
    final LogTemplate template = new LogTemplate(kafkaTemplate, "orders",
            (topic, nanos, error) -> observed.add(topic + ":" + (error == null ? "ok" : error.getClass().getSimpleName())),
            Clock.systemUTC());

    /** The mock producer keeps what was sent as objects: this is what its serializer wrote of one. */
    String text(Object value) {
        return new String(codec.encode(value).bytes(), StandardCharsets.UTF_8);
    }

    @Test
    void aSendCompletesWithWhereTheRecordLandedOnceTheBrokerAnswers() throws Exception {
        CompletableFuture<SendResult> sent = template.send("orders", "user-1", "hello");
        assertThat(sent).isNotDone();

        producer.completeNext();

        SendResult result = sent.get(5, TimeUnit.SECONDS);
        assertThat(result.topic()).isEqualTo("orders");
        assertThat(result.offset()).isZero();
        ProducerRecord<Object, Object> record = producer.history().get(0);
        assertThat(text(record.key())).isEqualTo("user-1");
        assertThat(text(record.value())).isEqualTo("hello");
        assertThat(record.headers().toArray()).as("strings need no type header").isEmpty();
        assertThat(observed).containsExactly("orders:ok");
    }

    @Test
    void objectsGoAsJsonWithTheirTypeAndBytesAsTheyAre() {
        template.send("orders", 3, 1_700_000_000_000L, new Order("k", 1), new Order("o-1", 2),
                Map.of("source", "web", "raw", new byte[] {1, 2}));
        template.send("orders", new byte[] {7, 8, 9});

        ProducerRecord<Object, Object> json = producer.history().get(0);
        assertThat(json.partition()).isEqualTo(3);
        assertThat(json.timestamp()).isEqualTo(1_700_000_000_000L);
        assertThat(text(json.value())).isEqualTo("{\"id\":\"o-1\",\"quantity\":2}");
        // The type headers are the serializer's (PayloadSerializerTest); the mock producer keeps the record as given.
        assertThat(PayloadCodec.header(json.headers(), "source")).isEqualTo("web");
        assertThat(json.headers().lastHeader("raw").value()).containsExactly(1, 2);
        assertThat(codec.decode(codec.encode(json.value()).bytes(), Order.class)).isEqualTo(new Order("o-1", 2));

        ProducerRecord<Object, Object> bytes = producer.history().get(1);
        assertThat(codec.encode(bytes.value()).bytes()).containsExactly(7, 8, 9);
        assertThat(bytes.key()).isNull();
    }

    @Test
    void aFailedSendFailsItsFutureAndIsObserved() {
        CompletableFuture<SendResult> sent = template.send("orders", "too big");
        producer.errorNext(new RecordTooLargeException("too large"));

        assertThat(sent).isCompletedExceptionally();
        assertThat(catchCause(sent)).isInstanceOf(RecordTooLargeException.class);
        assertThat(observed).containsExactly("orders:RecordTooLargeException");
    }

    @Test
    void recordsThatCannotBeMadeFailTheirFutureWithoutThrowing() {
        assertThat(catchCause(template.send("", "x"))).hasMessageContaining("needs a topic");
        assertThat(catchCause(template.send("orders", null, null, null, "x", Map.of("bad", 42))))
                .hasMessageContaining("header bad must be a byte[] or a String");
        assertThat(catchCause(template.send("orders", new Unwritable())))
                .isInstanceOf(PayloadCodec.PayloadException.class).hasMessageContaining(Unwritable.class.getName());
        LogTemplate noDefault = new LogTemplate(kafkaTemplate, null, SendObserver.NONE, Clock.systemUTC());
        assertThat(catchCause(noDefault.sendDefault("x"))).hasMessageContaining("runnel.client.template.default-topic");
        assertThat(producer.history()).isEmpty();
    }

    @Test
    void sendDefaultUsesTheDefaultTopicAndFlushSendsEverything() throws Exception {
        CompletableFuture<SendResult> a = template.sendDefault("a");
        CompletableFuture<SendResult> b = template.sendDefault("key", "b");

        template.flush();

        assertThat(a.get(5, TimeUnit.SECONDS).topic()).isEqualTo("orders");
        assertThat(b.get(5, TimeUnit.SECONDS).topic()).isEqualTo("orders");
    }

    @Test
    void aClosedProducerFailsSends() {
        producer.shut();
        assertThat(catchCause(template.send("orders", "late"))).hasMessageContaining("closed");
    }

    private static Throwable catchCause(CompletableFuture<?> future) {
        try {
            future.get(5, TimeUnit.SECONDS);
            throw new AssertionError("the send succeeded");
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError(e);
        }
    }
}
