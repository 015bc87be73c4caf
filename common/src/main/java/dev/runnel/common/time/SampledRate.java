package dev.runnel.common.time;

/**
 * A rate per second over the last {@code samples} windows of {@code windowMs} each, as Kafka's
 * {@code Rate} over a {@code SampledStat}: each value goes into the current window; a window is
 * replaced once it is {@code windowMs} old; windows older than {@code samples * windowMs} count for
 * nothing. The rate is the sum of the windows divided by the time they cover, and that time is
 * at least {@code samples - 1} whole windows, so a new client's first burst is measured over that
 * span rather than over the moment it took.
 *
 * <pre>
 *  oldest window start                                  now
 *  |-- w0 --|-- w1 --| ... |-- w(n-1), current --|       |
 *  rate = (w0 + ... + w(n-1)) / max(now - start(oldest), (n - 1) * windowMs)
 * </pre>
 *
 * Thread-safe (its methods are synchronized). Used by the client quotas and the replication throttles.
 */
public final class SampledRate {

    private final long windowMs;
    private final double[] values;
    private final long[] starts;
    /** How many windows have been started; the window in use is {@code (started - 1) % samples}. */
    private long started;
    private long lastRecordMs;

    public SampledRate(int samples, long windowMs) {
        if (samples < 2 || windowMs < 1) {
            throw new IllegalArgumentException("a sampled rate needs at least 2 windows of at least 1 ms, not "
                    + samples + " of " + windowMs + " ms");
        }
        this.windowMs = windowMs;
        this.values = new double[samples];
        this.starts = new long[samples];
    }

    /** Adds {@code value} at {@code nowMs}. */
    public synchronized void record(double value, long nowMs) {
        int current = current(nowMs);
        values[current] += value;
        lastRecordMs = nowMs;
    }

    /** The rate per second at {@code nowMs}. */
    public synchronized double measure(long nowMs) {
        purge(nowMs);
        double total = 0;
        for (int i = 0; i < filled(); i++) {
            total += values[i];
        }
        return total / (windowSize(nowMs) / 1000.0);
    }

    /**
     * The span the rate is measured over at {@code nowMs}, in ms: from the start of the oldest
     * window, and at least {@code samples - 1} whole windows (Kafka's {@code Rate.windowSize}).
     */
    public synchronized long windowSize(long nowMs) {
        purge(nowMs);
        long oldest = nowMs;
        for (int i = 0; i < filled(); i++) {
            oldest = Math.min(oldest, starts[i]);
        }
        long elapsed = nowMs - oldest;
        long fullWindows = elapsed / windowMs;
        long minFullWindows = values.length - 1;
        if (fullWindows < minFullWindows) {
            elapsed += (minFullWindows - fullWindows) * windowMs;
        }
        return Math.max(elapsed, 1);
    }

    /** When a value was last recorded. */
    public synchronized long lastRecordMs() {
        return lastRecordMs;
    }

    private int filled() {
        return (int) Math.min(started, values.length);
    }

    /** The window values at {@code nowMs} go into, starting a new one when the current one is full. */
    private int current(long nowMs) {
        if (started == 0 || nowMs - starts[(int) ((started - 1) % values.length)] >= windowMs) {
            int next = (int) (started % values.length);
            started++;
            values[next] = 0;
            starts[next] = nowMs;
            return next;
        }
        return (int) ((started - 1) % values.length);
    }

    /** Windows that ended more than {@code samples} windows ago count for nothing (they restart empty, now). */
    private void purge(long nowMs) {
        long expireAge = (long) values.length * windowMs;
        for (int i = 0; i < filled(); i++) {
            if (nowMs - starts[i] >= expireAge) {
                values[i] = 0;
                starts[i] = nowMs;
            }
        }
    }
}
