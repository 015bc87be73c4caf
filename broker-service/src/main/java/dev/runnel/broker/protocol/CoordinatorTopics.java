package dev.runnel.broker.protocol;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.cluster.ControllerAdminClient;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.cluster.TopicInfo;

/**
 * A coordinator's topic ({@code __consumer_offsets}, {@code __transaction_state},
 * {@code __share_group_state}) as a coordinator lookup finds it: there, or asked of the controller
 * on first need. As Kafka, a topic is never created under-replicated: while fewer brokers are alive
 * than its replication factor it is not created, and the lookup says why (logged at most once a
 * minute). One creation at a time per topic; the controller answers a second one 409.
 */
public final class CoordinatorTopics {

    private static final Logger log = LoggerFactory.getLogger(CoordinatorTopics.class);
    private static final long TOO_FEW_BROKERS_WARNING_INTERVAL_MS = Duration.ofMinutes(1).toMillis();

    /** The topic, or null and why it is not there yet (the caller answers COORDINATOR_NOT_AVAILABLE). */
    public record Lookup(TopicInfo topic, String unavailable) {
    }

    private final MetadataCache metadata;
    private final ControllerAdminClient controller;
    private final Clock clock;
    private final Map<String, AtomicBoolean> creating = new ConcurrentHashMap<>();
    private volatile long lastTooFewBrokersWarning = Long.MIN_VALUE;

    public CoordinatorTopics(MetadataCache metadata, ControllerAdminClient controller, Clock clock) {
        this.metadata = metadata;
        this.controller = controller;
        this.clock = clock;
    }

    /** {@code spec}'s topic if it exists, else the creation asked for (or why not) as the reason. */
    public Lookup find(KafkaApis.CoordinatorTopic spec) {
        MetadataCache.Snapshot view = metadata.snapshot();
        TopicInfo topic = view.topic(spec.name()).orElse(null);
        if (topic != null) {
            return new Lookup(topic, null);
        }
        int live = view.brokers().size();
        if (live < spec.replicationFactor()) {
            String message = spec.name() + " needs " + spec.replicationFactor() + " live brokers ("
                    + spec.replicationFactorSetting() + "); " + live + (live == 1 ? " is" : " are") + " alive";
            warnTooFewBrokers(message);
            return new Lookup(null, message);
        }
        create(spec);
        return new Lookup(null, spec.name() + " is being created");
    }

    private void warnTooFewBrokers(String message) {
        long now = clock.millis();
        long last = lastTooFewBrokersWarning;
        if (last == Long.MIN_VALUE || now - last > TOO_FEW_BROKERS_WARNING_INTERVAL_MS) {
            lastTooFewBrokersWarning = now;
            log.warn("Cannot create a coordinator's topic: {}", message);
        }
    }

    private void create(KafkaApis.CoordinatorTopic spec) {
        AtomicBoolean flag = creating.computeIfAbsent(spec.name(), n -> new AtomicBoolean());
        if (!flag.compareAndSet(false, true)) {
            return;
        }
        Map<String, Object> body = Map.of("name", spec.name(), "partitions", spec.partitions(),
                "replicationFactor", spec.replicationFactor(), "configs", spec.configs());
        log.info("Creating {} with {} partitions and replication factor {}", spec.name(), spec.partitions(),
                spec.replicationFactor());
        controller.call("POST", "/topics", body, Duration.ofSeconds(30)).whenComplete((answer, failure) -> {
            flag.set(false);
            if (failure != null) {
                log.warn("Cannot create {}: {}", spec.name(), failure.toString());
            } else if (!answer.ok() && answer.status() != 409) {
                log.warn("Cannot create {}: {} {}", spec.name(), answer.problemType(), answer.detail());
            }
        });
    }
}
