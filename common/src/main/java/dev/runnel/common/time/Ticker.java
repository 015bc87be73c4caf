package dev.runnel.common.time;

import java.time.Duration;

/**
 * Monotonic time, for what measures how long something took or waits a while on the calling
 * thread: deadlines of a request, back-offs between attempts. Like Kafka's {@code Time} without
 * the wall clock, which is a {@link java.time.Clock}. Production code takes a {@code Ticker}
 * instead of calling {@link System#nanoTime()} or {@link Thread#sleep(long)}, so a test can hand
 * it one whose time it moves (the test fixtures' {@code ManualClock} is both).
 *
 * <p>Where a task should run later without holding a thread, use a {@link Scheduler} instead.
 */
public interface Ticker {

    /** The real one: {@link System#nanoTime()} and {@link Thread#sleep(long)}. */
    Ticker SYSTEM = new Ticker() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public void sleep(Duration duration) throws InterruptedException {
            Thread.sleep(duration.toMillis());
        }
    };

    /** Nanoseconds since some fixed but arbitrary origin: only differences mean anything. */
    long nanoTime();

    /** Waits {@code duration} on the calling thread. */
    void sleep(Duration duration) throws InterruptedException;
}
