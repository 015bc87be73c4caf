package dev.runnel.client.core;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.client.support.PayloadCodec;

/**
 * Sends records to a Runnel (or any Kafka) cluster through the application's shared producer.
 * Every send is asynchronous and answers with a future of where the record landed; call
 * {@code get()} on it to send synchronously. Keys and payloads are converted by
 * {@link PayloadCodec}: strings and bytes as they are, other objects as JSON with a type header.
 *
 * <p>A send never throws: a record that cannot be converted or handed to the producer (or a
 * {@code sendDefault} without a default topic) fails its future instead.
 */
public class LogTemplate {

    private static final Logger log = LoggerFactory.getLogger(LogTemplate.class);

    private final LogProducerFactory producers;
    private final PayloadCodec codec;
    private final String defaultTopic;
    private final SendObserver observer;
    private final Clock clock;

    /**
     * @param defaultTopic the topic of {@link #sendDefault(Object)}, or null
     * @param observer     told of every send and how long it took
     * @param clock        the time of those measurements
     */
    public LogTemplate(LogProducerFactory producers, PayloadCodec codec, String defaultTopic, SendObserver observer,
            Clock clock) {
        this.producers = producers;
        this.codec = codec;
        this.defaultTopic = defaultTopic;
        this.observer = observer;
        this.clock = clock;
    }

    /** The topic of {@link #sendDefault(Object)}, or null. */
    public String defaultTopic() {
        return defaultTopic;
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
        ProducerRecord<byte[], byte[]> record;
        try {
            record = toRecord(topic, partition, timestamp, key, payload, headers);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return send(record);
    }

    /** A record already in bytes, with its own headers. */
    public CompletableFuture<SendResult> send(ProducerRecord<byte[], byte[]> record) {
        CompletableFuture<SendResult> result = new CompletableFuture<>();
        Instant started = clock.instant();
        try {
            producers.producer().send(record, (metadata, error) -> {
                long nanos = nanosSince(started);
                if (error != null) {
                    result.completeExceptionally(error);
                } else {
                    result.complete(new SendResult(metadata.topic(), metadata.partition(), metadata.offset(),
                            metadata.timestamp()));
                }
                observe(record.topic(), nanos, error);
            });
        } catch (RuntimeException e) {
            result.completeExceptionally(e);
            observe(record.topic(), nanosSince(started), e);
        }
        return result;
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
        producers.producer().flush();
    }

    private ProducerRecord<byte[], byte[]> toRecord(String topic, Integer partition, Long timestamp, Object key,
            Object payload, Map<String, ?> headers) {
        if (topic == null || topic.isEmpty()) {
            throw new IllegalArgumentException("a record needs a topic");
        }
        RecordHeaders recordHeaders = new RecordHeaders();
        headers.forEach((name, value) -> recordHeaders.add(name, headerBytes(name, value)));
        PayloadCodec.Encoded k = codec.encode(key);
        PayloadCodec.Encoded v = codec.encode(payload);
        if (k.type() != null) {
            recordHeaders.add(PayloadCodec.KEY_TYPE_HEADER, k.type().getBytes(StandardCharsets.UTF_8));
        }
        if (v.type() != null) {
            recordHeaders.add(PayloadCodec.TYPE_HEADER, v.type().getBytes(StandardCharsets.UTF_8));
        }
        return new ProducerRecord<>(topic, partition, timestamp, k.bytes(), v.bytes(), recordHeaders);
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
