package dev.runnel.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

import dev.runnel.common.time.Ticker;

/**
 * A {@link Clock} that moves only when the test says so. Pair it with {@link ManualScheduler},
 * whose {@link ManualScheduler#advance(Duration)} moves this clock and runs what fell due.
 * It is also a {@link Ticker} on the same time: {@link #sleep(Duration)} returns at once, having
 * moved the clock (as Kafka's {@code MockTime} does). Thread-safe.
 */
public final class ManualClock extends Clock implements Ticker {

    private final AtomicLong millis;

    public ManualClock() {
        this(1_700_000_000_000L);
    }

    public ManualClock(long startMillis) {
        this.millis = new AtomicLong(startMillis);
    }

    /** Moves time forward. Prefer {@link ManualScheduler#advance(Duration)}, which also runs due tasks. */
    public void advance(Duration duration) {
        if (duration.isNegative()) {
            throw new IllegalArgumentException("time only moves forward: " + duration);
        }
        millis.addAndGet(duration.toMillis());
    }

    /** Moves time forward by {@code duration} instead of waiting. */
    @Override
    public void sleep(Duration duration) {
        advance(duration);
    }

    @Override
    public long nanoTime() {
        return Duration.ofMillis(millis.get()).toNanos();
    }

    @Override
    public long millis() {
        return millis.get();
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis.get());
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("ManualClock is always UTC");
    }
}
