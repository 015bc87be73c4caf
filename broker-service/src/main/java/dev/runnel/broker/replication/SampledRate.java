package dev.runnel.broker.replication;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A rate in units per second over sampled windows, measured as Kafka's {@code Rate} over a
 * {@code SampledStat}: {@code samples} windows of {@code windowMs} each; a record adds to the
 * newest window, or opens a new one when that window has ended; windows older than
 * {@code samples × windowMs} are dropped.
 *
 * <pre>
 *   rate = (sum of the live windows) / max(now - start of the oldest window, (samples - 1) × windowMs)
 * </pre>
 *
 * The floor of {@code samples - 1} windows on the elapsed time keeps a short burst after a quiet
 * spell from reading as a huge rate, so a throttle lets a fresh transfer start at full speed until
 * about {@code (samples - 1) × windowMs × bound} bytes have gone (Kafka behaves the same). Time is
 * the caller's clock reading; the class is thread-safe.
 */
final class SampledRate {

    private final int samples;
    private final long windowMs;
    /** Oldest first: each window's start and what was recorded in it. */
    private final Deque<long[]> windows = new ArrayDeque<>();

    /**
     * @param samples  how many windows count, at least 2
     * @param windowMs each window's length, at least 1
     */
    SampledRate(int samples, long windowMs) {
        if (samples < 2 || windowMs < 1) {
            throw new IllegalArgumentException("a sampled rate needs at least 2 windows of at least 1 ms, not "
                    + samples + " of " + windowMs + " ms");
        }
        this.samples = samples;
        this.windowMs = windowMs;
    }

    /** Adds {@code value} at time {@code nowMs}. */
    synchronized void record(long value, long nowMs) {
        purge(nowMs);
        long[] newest = windows.peekLast();
        if (newest == null || nowMs >= newest[0] + windowMs) {
            newest = new long[] {nowMs, 0};
            windows.addLast(newest);
            while (windows.size() > samples) {
                windows.removeFirst();
            }
        }
        newest[1] += value;
    }

    /** The rate per second at time {@code nowMs}; 0 before anything was recorded. */
    synchronized double measure(long nowMs) {
        purge(nowMs);
        if (windows.isEmpty()) {
            return 0;
        }
        long total = 0;
        for (long[] window : windows) {
            total += window[1];
        }
        long elapsedMs = Math.max(0, nowMs - windows.peekFirst()[0]);
        long minElapsedMs = (samples - 1) * windowMs;
        if (elapsedMs / windowMs < samples - 1) {
            // Kafka adds the missing full windows to what has elapsed
            elapsedMs += minElapsedMs - (elapsedMs / windowMs) * windowMs;
        }
        return total * 1000.0 / Math.max(1, elapsedMs);
    }

    private void purge(long nowMs) {
        while (!windows.isEmpty() && nowMs - windows.peekFirst()[0] >= samples * windowMs) {
            windows.removeFirst();
        }
    }
}
