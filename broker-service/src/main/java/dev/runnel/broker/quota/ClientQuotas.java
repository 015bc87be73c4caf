package dev.runnel.broker.quota;

import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.common.time.Scheduler;

/**
 * The client quotas this broker enforces: one {@link ClientQuotaManager} per enforced
 * {@link QuotaKey}, fed with every change of the quotas in ZooKeeper ({@link #apply}).
 *
 * <p>The request path asks {@link #enabled()} first: a single volatile read, false while no
 * entity has an enforced quota, so a broker without quotas measures nothing. The produce and
 * fetch quotas count bytes (produce request bytes, fetch response record bytes); the request
 * quota counts handler time as a percentage of one thread per second ({@code request_percentage}),
 * and its throttle is capped at one window, as in Kafka. Rates nobody recorded into for an hour are
 * dropped. Thread-safe.
 */
public final class ClientQuotas implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClientQuotas.class);

    /** Kafka drops a client's sensors after an hour without use. */
    static final Duration INACTIVE_EXPIRY = Duration.ofHours(1);

    private final Clock clock;
    private final Map<QuotaKey, ClientQuotaManager> managers = new EnumMap<>(QuotaKey.class);
    private final Scheduler.ScheduledTask expiry;
    private volatile boolean enabled;

    /**
     * @param samples {@code quota.window.num}
     * @param window  {@code quota.window.size.seconds}
     */
    public ClientQuotas(int samples, Duration window, Clock clock, Scheduler scheduler) {
        if (samples < 2 || window.toMillis() < 1) {
            throw new IllegalArgumentException("quota.window.num must be at least 2 and quota.window.size at least "
                    + "1 ms, not " + samples + " and " + window);
        }
        this.clock = clock;
        long windowMs = window.toMillis();
        managers.put(QuotaKey.PRODUCER_BYTE_RATE, new ClientQuotaManager(QuotaKey.PRODUCER_BYTE_RATE, samples, windowMs,
                Long.MAX_VALUE));
        managers.put(QuotaKey.CONSUMER_BYTE_RATE, new ClientQuotaManager(QuotaKey.CONSUMER_BYTE_RATE, samples, windowMs,
                Long.MAX_VALUE));
        managers.put(QuotaKey.REQUEST_PERCENTAGE, new ClientQuotaManager(QuotaKey.REQUEST_PERCENTAGE, samples, windowMs,
                windowMs));
        this.expiry = scheduler.schedulePeriodically("client-quota-expiry", () -> {
            long idleSince = clock.millis() - INACTIVE_EXPIRY.toMillis();
            managers.values().forEach(manager -> manager.expireIdle(idleSince));
        }, Duration.ofMinutes(1), Duration.ofMinutes(1));
    }

    /** Whether any entity has an enforced quota: when not, requests are not measured at all. */
    public boolean enabled() {
        return enabled;
    }

    /** Takes every entity's quotas (the store's whole set, after each change). */
    public void apply(Map<QuotaEntity, Map<QuotaKey, Double>> quotas) {
        boolean any = false;
        for (ClientQuotaManager manager : managers.values()) {
            Map<QuotaEntity, Double> ofKey = new HashMap<>();
            quotas.forEach((entity, values) -> {
                Double value = values.get(manager.key());
                if (value != null) {
                    ofKey.put(entity, value);
                }
            });
            manager.update(ofKey);
            any |= !ofKey.isEmpty();
        }
        if (any != enabled) {
            LOG.info("Client quotas are now {}", any ? "enforced" : "off (no entity has one)");
        }
        enabled = any;
    }

    /** The manager of an enforced quota. */
    public ClientQuotaManager manager(QuotaKey key) {
        ClientQuotaManager manager = managers.get(key);
        if (manager == null) {
            throw new IllegalArgumentException(key.config() + " is not enforced");
        }
        return manager;
    }

    /** A produce request of {@code bytes}: how long its client is throttled for its byte rate. */
    public long recordProduce(String user, String clientId, long bytes) {
        return manager(QuotaKey.PRODUCER_BYTE_RATE).recordAndGetThrottleTimeMs(user, clientId, bytes, clock.millis());
    }

    /** A fetch response of {@code bytes}: how long its client is throttled for its byte rate. */
    public long recordFetch(String user, String clientId, long bytes) {
        return manager(QuotaKey.CONSUMER_BYTE_RATE).recordAndGetThrottleTimeMs(user, clientId, bytes, clock.millis());
    }

    /** {@code handlerNanos} of request-handler time: how long its client is throttled for it. */
    public long recordRequestTime(String user, String clientId, long handlerNanos) {
        double percent = handlerNanos * 100.0 / Duration.ofSeconds(1).toNanos();
        return manager(QuotaKey.REQUEST_PERCENTAGE).recordAndGetThrottleTimeMs(user, clientId, percent,
                clock.millis());
    }

    @Override
    public void close() {
        expiry.cancel();
    }
}
