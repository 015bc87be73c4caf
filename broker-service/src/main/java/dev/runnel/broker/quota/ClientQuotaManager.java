package dev.runnel.broker.quota;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import dev.runnel.common.time.SampledRate;

/**
 * One kind of client quota (a {@link QuotaKey}) enforced as Kafka's {@code ClientQuotaManager}
 * with its default callback: a request of {@code (user, clientId)} is measured against the most
 * specific quota that matches it, in Kafka's order
 *
 * <ol>
 *   <li>{@code /config/users/<user>/clients/<client-id>}</li>
 *   <li>{@code /config/users/<user>/clients/<default>}</li>
 *   <li>{@code /config/users/<user>}</li>
 *   <li>{@code /config/users/<default>/clients/<client-id>}</li>
 *   <li>{@code /config/users/<default>/clients/<default>}</li>
 *   <li>{@code /config/users/<default>}</li>
 *   <li>{@code /config/clients/<client-id>}</li>
 *   <li>{@code /config/clients/<default>}</li>
 * </ol>
 *
 * and the rate is kept per <em>sensor</em>: per user and client id for levels 1, 2, 4 and 5, per
 * user for 3 and 6, per client id for 7 and 8, so that all connections of one client id share its
 * client-id quota and a default quota gives each user (or client id) its own allowance.
 *
 * <p>A value over the quota is recorded anyway, and the answer is the time to wait until the
 * rate is back at the quota if nothing more came: {@code (rate - quota) / quota * window}, capped
 * at {@code maxThrottleMs} (Kafka caps only the request-time quota, at one window). With no quota
 * at all nothing is recorded. Thread-safe.
 */
public final class ClientQuotaManager {

    /** A rate kept for one user, client id or both (an empty string for the part it is not kept by). */
    private record SensorKey(String user, String clientId) {
    }

    private static final class Sensor {
        final SampledRate rate;
        volatile double bound;

        Sensor(SampledRate rate, double bound) {
            this.rate = rate;
            this.bound = bound;
        }
    }

    private final QuotaKey key;
    private final int samples;
    private final long windowMs;
    private final long maxThrottleMs;
    private volatile Map<QuotaEntity, Double> quotas = Map.of();
    private final ConcurrentHashMap<SensorKey, Sensor> sensors = new ConcurrentHashMap<>();
    private final LongAdder throttleMs = new LongAdder();
    private final LongAdder throttled = new LongAdder();

    /**
     * @param samples       {@code quota.window.num}
     * @param windowMs      {@code quota.window.size.seconds} in ms
     * @param maxThrottleMs the longest throttle answered
     */
    public ClientQuotaManager(QuotaKey key, int samples, long windowMs, long maxThrottleMs) {
        this.key = key;
        this.samples = samples;
        this.windowMs = windowMs;
        this.maxThrottleMs = maxThrottleMs;
    }

    public QuotaKey key() {
        return key;
    }

    /** Whether any entity has this quota: when not, nothing is recorded. */
    public boolean enabled() {
        return !quotas.isEmpty();
    }

    /**
     * Replaces the quotas of this kind; the rates measured so far stay, with their new bounds, and
     * the rates of entities that no longer have a quota are dropped.
     */
    public void update(Map<QuotaEntity, Double> next) {
        quotas = Map.copyOf(next);
        sensors.forEach((sensorKey, sensor) -> {
            Double bound = bound(sensorKey);
            if (bound == null) {
                sensors.remove(sensorKey, sensor);
            } else {
                sensor.bound = bound;
            }
        });
    }

    /**
     * Records {@code value} for {@code (user, clientId)} at {@code nowMs}; returns how long the
     * client is throttled, 0 if it is within its quota or has none.
     */
    public long recordAndGetThrottleTimeMs(String user, String clientId, double value, long nowMs) {
        Map<QuotaEntity, Double> current = quotas;
        if (current.isEmpty()) {
            return 0;
        }
        SensorKey sensorKey = sensorKey(current, user, clientId == null ? "" : clientId);
        if (sensorKey == null) {
            return 0;
        }
        Sensor sensor = sensors.get(sensorKey);
        if (sensor == null) {
            Double bound = bound(sensorKey);
            if (bound == null) {
                return 0; // the quota went away meanwhile
            }
            sensor = sensors.computeIfAbsent(sensorKey, k -> new Sensor(new SampledRate(samples, windowMs), bound));
        }
        long throttle;
        synchronized (sensor.rate) {
            sensor.rate.record(value, nowMs);
            throttle = throttleTimeMs(sensor.rate, sensor.bound, nowMs, maxThrottleMs);
        }
        if (throttle > 0) {
            throttleMs.add(throttle);
            throttled.increment();
        }
        return throttle;
    }

    /**
     * The time to wait at {@code nowMs} until {@code rate} is back at {@code bound} if nothing more
     * is recorded (Kafka's {@code QuotaUtils.throttleTime}), at most {@code maxThrottleMs}; 0 when
     * the rate is not above the bound.
     */
    public static long throttleTimeMs(SampledRate rate, double bound, long nowMs, long maxThrottleMs) {
        double observed = rate.measure(nowMs);
        if (observed <= bound) {
            return 0;
        }
        double throttle = (observed - bound) / bound * rate.windowSize(nowMs);
        return Math.min(Math.round(throttle), maxThrottleMs);
    }

    /** Drops the rates not recorded into since {@code idleSinceMs} (Kafka expires them after an hour). */
    public void expireIdle(long idleSinceMs) {
        sensors.entrySet().removeIf(e -> e.getValue().rate.lastRecordMs() < idleSinceMs);
    }

    /** The quota that applies to {@code (user, clientId)} now, or null (for describing and tests). */
    public Double quota(String user, String clientId) {
        SensorKey sensorKey = sensorKey(quotas, user, clientId);
        return sensorKey == null ? null : bound(sensorKey);
    }

    /** The rates kept now (one per user, client id or both measured lately). */
    public int measuredClients() {
        return sensors.size();
    }

    /** Milliseconds of throttle answered since start. */
    public long throttleTimeMsTotal() {
        return throttleMs.sum();
    }

    /** Requests throttled since start. */
    public long throttledRequests() {
        return throttled.sum();
    }

    /** The sensor {@code (user, clientId)} is measured by, following the resolution order; null if no quota matches. */
    private static SensorKey sensorKey(Map<QuotaEntity, Double> quotas, String user, String clientId) {
        if (quotas.containsKey(QuotaEntity.userClient(user, clientId))
                || quotas.containsKey(QuotaEntity.userClient(user, null))) {
            return new SensorKey(user, clientId);
        }
        if (quotas.containsKey(QuotaEntity.user(user))) {
            return new SensorKey(user, "");
        }
        if (quotas.containsKey(QuotaEntity.userClient(null, clientId))
                || quotas.containsKey(QuotaEntity.userClient(null, null))) {
            return new SensorKey(user, clientId);
        }
        if (quotas.containsKey(QuotaEntity.user(null))) {
            return new SensorKey(user, "");
        }
        if (quotas.containsKey(QuotaEntity.client(clientId)) || quotas.containsKey(QuotaEntity.client(null))) {
            return new SensorKey("", clientId);
        }
        return null;
    }

    /** The quota of a sensor: the first match of its level's entities (Kafka's {@code quotaLimit} by metric tags). */
    private Double bound(SensorKey sensorKey) {
        Map<QuotaEntity, Double> current = quotas;
        String user = sensorKey.user();
        String clientId = sensorKey.clientId();
        if (!user.isEmpty() && !clientId.isEmpty()) {
            return first(current, QuotaEntity.userClient(user, clientId), QuotaEntity.userClient(user, null),
                    QuotaEntity.userClient(null, clientId), QuotaEntity.userClient(null, null));
        }
        if (!user.isEmpty()) {
            return first(current, QuotaEntity.user(user), QuotaEntity.user(null));
        }
        if (!clientId.isEmpty()) {
            return first(current, QuotaEntity.client(clientId), QuotaEntity.client(null));
        }
        return null;
    }

    private static Double first(Map<QuotaEntity, Double> quotas, QuotaEntity... entities) {
        for (QuotaEntity entity : entities) {
            Double quota = quotas.get(entity);
            if (quota != null) {
                return quota;
            }
        }
        return null;
    }
}
