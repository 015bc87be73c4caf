package dev.runnel.broker.storage;

import java.time.Duration;
import java.util.function.BooleanSupplier;

import dev.runnel.common.time.Ticker;

/**
 * Keeps the bytes the cleaner threads read and write under a rate (Kafka's {@code Throttler} for
 * {@code log.cleaner.io.max.bytes.per.second}): every check interval (or sooner, once the
 * interval's allowance is spent) it compares the bytes counted since the last check with the rate
 * and, if they are over, sleeps until the average is back on it. Shared by the cleaner threads,
 * which all wait while one sleeps. Thread-safe.
 */
final class Throttler {

    private static final long CHECK_INTERVAL_NANOS = Duration.ofMillis(300).toNanos();

    private static final Duration SLEEP_SLICE = Duration.ofMillis(100);

    private final double bytesPerSecond;
    private final Ticker ticker;
    private final BooleanSupplier stopping;
    private long periodStartNanos;
    private long bytesInPeriod;
    private long totalSleptNanos;

    /**
     * A throttler at {@code bytesPerSecond}; {@link Double#MAX_VALUE} (or any infinite rate) never
     * sleeps. A sleep ends early once {@code stopping} says so.
     */
    Throttler(double bytesPerSecond, Ticker ticker, BooleanSupplier stopping) {
        if (!(bytesPerSecond > 0)) {
            throw new IllegalArgumentException("log.cleaner.io.max.bytes.per.second must be positive, not "
                    + bytesPerSecond);
        }
        this.bytesPerSecond = bytesPerSecond;
        this.ticker = ticker;
        this.stopping = stopping;
        this.periodStartNanos = ticker.nanoTime();
    }

    boolean unlimited() {
        return bytesPerSecond >= Double.MAX_VALUE || Double.isInfinite(bytesPerSecond);
    }

    /** Counts {@code bytes} and sleeps if the rate is exceeded. */
    void maybeThrottle(long bytes) throws InterruptedException {
        maybeThrottle(bytes, () -> false);
    }

    /**
     * Counts {@code bytes} and sleeps if the rate is exceeded, until the cleaner stops or
     * {@code abandon} says the caller's round is to stop (its partition is being deleted).
     */
    synchronized void maybeThrottle(long bytes, BooleanSupplier abandon) throws InterruptedException {
        if (unlimited()) {
            return;
        }
        bytesInPeriod += bytes;
        long now = ticker.nanoTime();
        long elapsed = now - periodStartNanos;
        // Checked every interval, and sooner when the interval's allowance is already spent (a burst).
        if (elapsed < CHECK_INTERVAL_NANOS && bytesInPeriod <= bytesPerSecond * CHECK_INTERVAL_NANOS / 1e9) {
            return;
        }
        double allowedNanos = bytesInPeriod / bytesPerSecond * 1e9;
        long sleepNanos = (long) (allowedNanos - elapsed);
        // In slices, so that a closing cleaner is not held up by a long wait.
        for (long left = sleepNanos; left > 0 && !stopping.getAsBoolean() && !abandon.getAsBoolean();
                left -= SLEEP_SLICE.toNanos()) {
            Duration slice = Duration.ofNanos(Math.min(left, SLEEP_SLICE.toNanos()));
            ticker.sleep(slice);
            totalSleptNanos += slice.toNanos();
        }
        periodStartNanos = ticker.nanoTime();
        bytesInPeriod = 0;
    }

    /** Time spent sleeping so far. */
    synchronized Duration slept() {
        return Duration.ofNanos(totalSleptNanos);
    }
}
