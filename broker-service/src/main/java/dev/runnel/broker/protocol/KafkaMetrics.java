package dev.runnel.broker.protocol;

import java.util.EnumMap;
import java.util.Map;

import org.apache.kafka.common.protocol.ApiKeys;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * What the Kafka listener counts, under the names Kafka operators look for: requests per API,
 * bytes in (request frames) and bytes out (response frames, zero-copy record bytes included).
 */
final class KafkaMetrics {

    private final Map<ApiKeys, Counter> requests = new EnumMap<>(ApiKeys.class);
    private final Counter bytesIn;
    private final Counter bytesOut;

    KafkaMetrics(MeterRegistry registry) {
        for (ApiKeys key : ApiVersionTable.served().keySet()) {
            requests.put(key, Counter.builder("runnel.broker.requests").tag("api", key.name)
                    .description("Kafka requests received, by API").register(registry));
        }
        bytesIn = Counter.builder("runnel.broker.bytes.in").baseUnit("bytes")
                .description("Bytes of Kafka requests received").register(registry);
        bytesOut = Counter.builder("runnel.broker.bytes.out").baseUnit("bytes")
                .description("Bytes of Kafka responses sent, record bytes included").register(registry);
    }

    /** Counts into a registry nobody reads (tests of the pipeline alone). */
    static KafkaMetrics none() {
        return new KafkaMetrics(new SimpleMeterRegistry());
    }

    void received(ApiKeys key, int frameBytes) {
        Counter counter = requests.get(key);
        if (counter != null) {
            counter.increment();
        }
        bytesIn.increment(frameBytes + 4);
    }

    void sent(int frameBytes) {
        bytesOut.increment(frameBytes);
    }
}
