package dev.runnel.client.core;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.KafkaException;
import org.springframework.kafka.core.KafkaTemplate;

/**
 * A thin facade over Spring Kafka's {@link KafkaTemplate}, kept for the applications written
 * against it: every send is asynchronous and answers with a future of where the record landed.
 * Keys and payloads are converted by the template's serializers, which the starter sets to
 * {@code PayloadSerializer}: strings and bytes as they are, other objects as JSON with a type
 * header. New code may use the {@code KafkaTemplate} bean directly; both send through the one
 * producer.
 *
 * <p>A send never throws: a record that cannot be converted or handed to the producer (or a
 * {@code sendDefault} without a default topic) fails its future instead. It never waits longer
 * than the producer's {@code max.block.ms} ({@code runnel.client.producer.max-block}) for the
 * cluster's metadata or buffer space.
 */
public class LogTemplate {

    private static final Logger log = LoggerFactory.getLogger(LogTemplate.class);

    private final KafkaTemplate<Object, Object> template;
    private final String defaultTopic;
    private final SendObserver observer;
    private final Clock clock;

    /**
     * @param defaultTopic the topic of {@link #sendDefault(Object)}, or null
     * @param observer     told of every send and how long it took
     * @param clock        the time of those measurements
     */
    public LogTemplate(KafkaTemplate<Object, Object> template, String defaultTopic, SendObserver observer, Clock clock) {
        this.template = template;
        this.defaultTopic = defaultTopic;
        this.observer = observer;
        this.clock = clock;
    }

    /** The topic of {@link #sendDefault(Object)}, or null. */
    public String defaultTopic() {
        return defaultTopic;
    }

    /** The {@code KafkaTemplate} it sends through. */
    public KafkaTemplate<Object, Object> kafkaTemplate() {
        return template;
    }

    public CompletableFuture<SendResult> send(String topic, Object payload) {
        return send(topic, null, null, null, payload, Map.of());
    }

    public CompletableFuture<SendResult> send(String topic, Object key, Object payload) {
        return send(topic, null, null, key, payload, Map.of());
    }

    /**
     * The full form.
     *
     * @param partition the partition, or null to let the key (or, without one, the producer) choose
     * @param timestamp the record's timestamp in epoch ms, or null for the producer's clock
     * @param headers   header values as byte arrays or strings (sent as UTF-8)
     */
    public CompletableFuture<SendResult> send(String topic, Integer partition, Long timestamp, Object key, Object payload,
            Map<String, ?> headers) {
        ProducerRecord<Object, Object> record;
        try {
            record = toRecord(topic, partition, timestamp, key, payload, headers);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return sendRecord(record);
    }

    /** A record already in bytes, with its own headers. */
    public CompletableFuture<SendResult> send(ProducerRecord<byte[], byte[]> record) {
        return sendRecord(new ProducerRecord<>(record.topic(), record.partition(), record.timestamp(), record.key(),
                record.value(), record.headers()));
    }

    private CompletableFuture<SendResult> sendRecord(ProducerRecord<Object, Object> record) {
        CompletableFuture<SendResult> result = new CompletableFuture<>();
        Instant started = clock.instant();
        try {
            template.send(record).whenComplete((sent, error) -> {
                long nanos = nanosSince(started);
                if (error != null) {
                    result.completeExceptionally(unwrap(error));
                } else {
                    RecordMetadata metadata = sent.getRecordMetadata();
                    result.complete(new SendResult(metadata.topic(), metadata.partition(), metadata.offset(),
                            metadata.timestamp()));
                }
                observe(record.topic(), nanos, error == null ? null : unwrap(error));
            });
        } catch (RuntimeException e) {
            Throwable cause = unwrap(e);
            result.completeExceptionally(cause);
            observe(record.topic(), nanosSince(started), cause);
        }
        return result;
    }

    /** What the producer said, not Spring Kafka's wrapper of it. */
    private static Throwable unwrap(Throwable error) {
        Throwable t = error;
        while ((t instanceof CompletionException || t instanceof KafkaException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private long nanosSince(Instant started) {
        return Duration.between(started, clock.instant()).toNanos();
    }

    /** After the future is settled, so an observer that throws cannot leave a send unanswered. */
    private void observe(String topic, long nanos, Throwable error) {
        try {
            observer.sent(topic, nanos, error);
        } catch (RuntimeException e) {
            log.warn("The send observer threw {}", e.toString());
        }
    }

    public CompletableFuture<SendResult> sendDefault(Object payload) {
        return sendDefault(null, payload);
    }

    public CompletableFuture<SendResult> sendDefault(Object key, Object payload) {
        if (defaultTopic == null) {
            return CompletableFuture.failedFuture(
                    new IllegalStateException("no default topic: set runnel.client.template.default-topic"));
        }
        return send(defaultTopic, null, null, key, payload, Map.of());
    }

    /** Sends every record handed over so far and waits until each is answered. */
    public void flush() {
        template.flush();
    }

    private static ProducerRecord<Object, Object> toRecord(String topic, Integer partition, Long timestamp, Object key,
            Object payload, Map<String, ?> headers) {
        if (topic == null || topic.isEmpty()) {
            throw new IllegalArgumentException("a record needs a topic");
        }
        RecordHeaders recordHeaders = new RecordHeaders();
        headers.forEach((name, value) -> recordHeaders.add(name, headerBytes(name, value)));
        return new ProducerRecord<>(topic, partition, timestamp, key, payload, recordHeaders);
    }

    private static byte[] headerBytes(String name, Object value) {
        if (value == null || value instanceof byte[]) {
            return (byte[]) value;
        }
        if (value instanceof String text) {
            return text.getBytes(StandardCharsets.UTF_8);
        }
        throw new IllegalArgumentException("header " + name + " must be a byte[] or a String, not a "
                + value.getClass().getName());
    }
}
