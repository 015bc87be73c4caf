package dev.runnel.client.core;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.springframework.beans.factory.DisposableBean;

/**
 * The one shared producer of an application (a {@link KafkaProducer} is thread-safe and batches
 * best when shared). Its settings are checked when the factory is made, so a bad one fails the
 * application at startup; the producer itself starts on first use and closes with the context.
 */
public class LogProducerFactory implements DisposableBean {

    private final Map<String, Object> config;
    private final Function<Map<String, Object>, Producer<byte[], byte[]>> creator;
    private Producer<byte[], byte[]> producer;
    private boolean closed;

    public LogProducerFactory(Map<String, Object> config) {
        this(config, c -> new KafkaProducer<>(c, new ByteArraySerializer(), new ByteArraySerializer()));
    }

    /** With another way to make the producer, such as a {@code MockProducer} in tests. */
    public LogProducerFactory(Map<String, Object> config, Function<Map<String, Object>, Producer<byte[], byte[]>> creator) {
        Map<String, Object> checked = new HashMap<>(config);
        checked.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        checked.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        new ProducerConfig(checked); // throws ConfigException naming the bad setting
        this.config = Map.copyOf(config);
        this.creator = creator;
    }

    /** The settings the producer is made with. */
    public Map<String, Object> config() {
        return config;
    }

    /** The shared producer, made on first call. */
    public synchronized Producer<byte[], byte[]> producer() {
        if (closed) {
            throw new IllegalStateException("the producer factory is closed");
        }
        if (producer == null) {
            producer = creator.apply(new HashMap<>(config));
        }
        return producer;
    }

    /** Closes the producer, sending what it holds first. */
    @Override
    public synchronized void destroy() {
        closed = true;
        if (producer != null) {
            producer.close(Duration.ofSeconds(30)); // bounded: a cluster that is gone must not hold the shutdown
            producer = null;
        }
    }
}
