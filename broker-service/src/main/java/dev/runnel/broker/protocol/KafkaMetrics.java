package dev.runnel.broker.protocol;

import java.util.EnumMap;
import java.util.Map;

import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

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
    private final Counter idleClosed;
    private final Counter authenticationTimedOut;
    private final MeterRegistry registry;

    KafkaMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (ApiKeys key : ApiVersionTable.served().keySet()) {
            requests.put(key, Counter.builder("runnel.broker.requests").tag("api", key.name)
                    .description("Kafka requests received, by API").register(registry));
        }
        bytesIn = Counter.builder("runnel.broker.bytes.in").baseUnit("bytes")
                .description("Bytes of Kafka requests received").register(registry);
        bytesOut = Counter.builder("runnel.broker.bytes.out").baseUnit("bytes")
                .description("Bytes of Kafka responses sent, record bytes included").register(registry);
        idleClosed = Counter.builder("runnel.broker.connections.idle.closed")
                .description("Client connections closed after connections.max.idle.ms without traffic")
                .register(registry);
        authenticationTimedOut = Counter.builder("runnel.broker.connections.authentication.timeout")
                .description("SASL listener connections closed for not authenticating in time").register(registry);
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

    /**
     * A request the broker itself answered with {@code error} as a whole: not served, not
     * readable, or failed in its handler or serialiser ({@code runnel_broker_request_errors_total}).
     */
    void requestError(ApiKeys key, short version, Errors error) {
        // Only versions that exist become tags: a client's made-up version must not mint a counter each.
        String versionTag = key.isVersionSupported(version) ? Short.toString(version) : "unknown";
        Counter.builder("runnel.broker.request.errors").tag("api", key.name).tag("version", versionTag)
                .tag("error", error.name())
                .description("Requests the broker answered with an error of its own, by API, version and error")
                .register(registry).increment();
    }

    void idleClosed() {
        idleClosed.increment();
    }

    void authenticationTimedOut() {
        authenticationTimedOut.increment();
    }
}
