package dev.runnel.client.autoconfigure;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The producer's settings checked at startup: transactions' needs in the starter's property names,
 * then Kafka's own check, whose ConfigException names the bad Kafka setting.
 */
final class ProducerConfigCheck {

    private ProducerConfigCheck() {
    }

    /** @param transactionIdPrefix {@code runnel.client.producer.transaction-id-prefix}, or null */
    static void check(Map<String, Object> config, String transactionIdPrefix) {
        Map<String, Object> checked = new HashMap<>(config);
        if (transactionIdPrefix != null) {
            Object acks = config.get(ProducerConfig.ACKS_CONFIG);
            Object idempotence = config.get(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG);
            if (acks != null && !List.of("all", "-1").contains(String.valueOf(acks).trim())) {
                throw new IllegalArgumentException("runnel.client.producer.transaction-id-prefix needs"
                        + " runnel.client.producer.acks=all, not " + acks);
            }
            if (idempotence != null && !Boolean.parseBoolean(String.valueOf(idempotence).trim())) {
                throw new IllegalArgumentException("runnel.client.producer.transaction-id-prefix needs the idempotent"
                        + " producer: runnel.client.producer.idempotence must not be false");
            }
            checked.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionIdPrefix + "0");
        }
        checked.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        checked.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        new ProducerConfig(checked);
    }
}
