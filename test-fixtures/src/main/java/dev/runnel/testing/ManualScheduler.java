package dev.runnel.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

import dev.runnel.common.time.Scheduler;

/**
 * A {@link Scheduler} whose tasks run on the test's thread when the test advances its
 * {@link ManualClock}. Tasks due at the same time run in the order they were scheduled. A task
 * that throws is rethrown to the test: in tests a failing background task is a failure.
 * Thread-safe for scheduling; {@link #advance} runs tasks on the calling thread.
 */
public final class ManualScheduler implements Scheduler {

    private final ManualClock clock;
    private final PriorityQueue<Task> queue =
            new PriorityQueue<>(Comparator.comparingLong((Task t) -> t.dueMillis).thenComparingLong(t -> t.sequence));
    private long sequence;
    private boolean closed;

    public ManualScheduler(ManualClock clock) {
        this.clock = clock;
    }

    public ManualClock clock() {
        return clock;
    }

    @Override
    public synchronized ScheduledTask schedule(String name, Runnable task, Duration delay) {
        return enqueue(name, task, clock.millis() + delay.toMillis(), 0);
    }

    @Override
    public synchronized ScheduledTask schedulePeriodically(String name, Runnable task, Duration initialDelay,
            Duration period) {
        if (period.isZero() || period.isNegative()) {
            throw new IllegalArgumentException("period must be positive: " + period);
        }
        return enqueue(name, task, clock.millis() + initialDelay.toMillis(), period.toMillis());
    }

    /** Moves the clock forward by {@code duration}, running every task that falls due on the way, in time order. */
    public void advance(Duration duration) {
        long target = clock.millis() + duration.toMillis();
        while (true) {
            Task next;
            long due;
            synchronized (this) {
                next = queue.peek();
                if (closed || next == null || next.dueMillis > target) {
                    break;
                }
                queue.poll();
                due = next.dueMillis;
                if (next.periodMillis > 0) {
                    next.dueMillis += next.periodMillis;
                    next.sequence = sequence++;
                    queue.add(next);
                }
            }
            clock.advance(Duration.ofMillis(Math.max(0, due - clock.millis())));
            next.runnable.run();
        }
        clock.advance(Duration.ofMillis(Math.max(0, target - clock.millis())));
    }

    /** Runs the tasks that are due now without moving the clock. */
    public void runDueTasks() {
        advance(Duration.ZERO);
    }

    /** Names of the tasks still scheduled, for assertions. */
    public synchronized List<String> pendingTaskNames() {
        List<String> names = new ArrayList<>();
        for (Task task : queue) {
            names.add(task.name);
        }
        return names;
    }

    @Override
    public synchronized void close() {
        closed = true;
        queue.clear();
    }

    private ScheduledTask enqueue(String name, Runnable runnable, long dueMillis, long periodMillis) {
        if (closed) {
            throw new IllegalStateException("scheduler is closed");
        }
        Task task = new Task(name, runnable, dueMillis, periodMillis, sequence++);
        queue.add(task);
        return () -> {
            synchronized (ManualScheduler.this) {
                queue.remove(task);
            }
        };
    }

    private static final class Task {
        final String name;
        final Runnable runnable;
        final long periodMillis;
        long dueMillis;
        long sequence;

        Task(String name, Runnable runnable, long dueMillis, long periodMillis, long sequence) {
            this.name = name;
            this.runnable = runnable;
            this.dueMillis = dueMillis;
            this.periodMillis = periodMillis;
            this.sequence = sequence;
        }
    }
}
