package dev.runnel.common.time;

import java.time.Duration;

/**
 * Runs background tasks after a delay or periodically. Production code takes a {@code Scheduler}
 * (with a {@link java.time.Clock}) wherever time matters, so tests can drive both by hand.
 *
 * <p>A task that throws is logged and, if periodic, keeps its schedule: one bad run must never
 * silently stop retention or flushing.
 */
public interface Scheduler extends AutoCloseable {

    /** Runs {@code task} once, {@code delay} from now. */
    ScheduledTask schedule(String name, Runnable task, Duration delay);

    /** Runs {@code task} every {@code period}, the first time {@code initialDelay} from now. */
    ScheduledTask schedulePeriodically(String name, Runnable task, Duration initialDelay, Duration period);

    /** Stops running tasks; a task that is running finishes first. */
    @Override
    void close();

    /** A handle on a scheduled task. */
    interface ScheduledTask {

        /** Stops future runs; a run in progress finishes. */
        void cancel();
    }
}
