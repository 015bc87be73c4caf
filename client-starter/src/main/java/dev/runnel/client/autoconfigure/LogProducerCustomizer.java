package dev.runnel.client.autoconfigure;

import java.util.Map;

/** Changes the producer's Kafka properties after {@code runnel.client.*} has set them; applied in bean order. */
@FunctionalInterface
public interface LogProducerCustomizer {

    void customize(Map<String, Object> producerProperties);
}
