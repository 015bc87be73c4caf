package dev.runnel.broker.replication;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

import dev.runnel.common.TopicPartition;
import dev.runnel.common.time.SampledRate;

/**
 * One side's replication throttle, as Kafka's {@code ReplicationQuotaManager}: a bound in bytes
 * per second (a dynamic broker config, read on every check so a change applies at once), the
 * partitions it applies to (the topics' {@code *.replication.throttled.replicas} naming this
 * broker), and the rate of the throttled bytes so far over sampled windows ({@link SampledRate}).
 *
 * <ul>
 *   <li>The leader leaves a throttled partition out of a follower's fetch answer while
 *       {@link #isQuotaExceeded()} and that follower is not in the ISR, and records the bytes it
 *       sends for throttled partitions.</li>
 *   <li>The follower leaves a throttled partition out of its fetches while the quota is exceeded
 *       and it is not caught up, and records the bytes it receives for them.</li>
 * </ul>
 *
 * Replicas in sync are never throttled, so a throttle slows a moving replica's catch-up and never
 * the ISR's acks. Thread-safe.
 */
public final class ReplicationQuota {

    /** Kafka's {@code replication.quota.window.num}. */
    public static final int SAMPLES = 11;
    /** Kafka's {@code replication.quota.window.size.seconds}. */
    public static final Duration WINDOW = Duration.ofSeconds(1);

    private static final ReplicationQuota UNLIMITED = new ReplicationQuota(Clock.fixed(Instant.EPOCH, ZoneOffset.UTC), () -> Long.MAX_VALUE,
            tp -> false, SAMPLES, WINDOW);

    private final Clock clock;
    private final LongSupplier bound;
    private final Predicate<TopicPartition> throttled;
    private final SampledRate rate;

    /**
     * @param bound     the bytes per second allowed now; {@link Long#MAX_VALUE} for no limit
     * @param throttled whether a partition's replication on this side is throttled
     */
    public ReplicationQuota(Clock clock, LongSupplier bound, Predicate<TopicPartition> throttled, int samples,
            Duration window) {
        this.clock = clock;
        this.bound = bound;
        this.throttled = throttled;
        this.rate = new SampledRate(samples, window.toMillis());
    }

    /** A quota that throttles nothing (its clock is never read: nothing is throttled, nothing recorded). */
    public static ReplicationQuota unlimited() {
        return UNLIMITED;
    }

    /** Whether replication of {@code tp} on this side is throttled. */
    public boolean isThrottled(TopicPartition tp) {
        return throttled.test(tp);
    }

    /** Whether a bound is set now: without one nothing is held back, and nothing needs counting. */
    public boolean isBounded() {
        return bound.getAsLong() != Long.MAX_VALUE;
    }

    /** Whether the throttled bytes have gone faster than the bound (never without a bound). */
    public boolean isQuotaExceeded() {
        long limit = bound.getAsLong();
        return limit != Long.MAX_VALUE && rate.measure(clock.millis()) > limit;
    }

    /** Counts {@code bytes} of throttled replication. */
    public void record(long bytes) {
        if (bytes > 0 && this != UNLIMITED) {
            rate.record(bytes, clock.millis());
        }
    }

    /** The throttled bytes per second now. */
    public double rate() {
        return rate.measure(clock.millis());
    }

    /** The bound now, bytes per second; {@link Long#MAX_VALUE} for none. */
    public long bound() {
        return bound.getAsLong();
    }

    /**
     * Whether a replica of a throttled partition is held back now: it is not in sync and the
     * quota is exceeded (Kafka's {@code shouldLeaderThrottle} and {@code shouldFollowerThrottle}).
     */
    public boolean holdsBack(TopicPartition tp, boolean inSync) {
        return !inSync && isThrottled(tp) && isQuotaExceeded();
    }
}
