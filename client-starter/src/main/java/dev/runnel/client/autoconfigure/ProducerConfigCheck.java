package dev.runnel.client.autoconfigure;

import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Kafka's own check of the producer's settings, at startup: its ConfigException names the bad one. */
final class ProducerConfigCheck {

    private ProducerConfigCheck() {
    }

    static void check(Map<String, Object> config) {
        Map<String, Object> checked = new HashMap<>(config);
        checked.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        checked.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        new ProducerConfig(checked);
    }
}
