package dev.runnel.broker.purgatory;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.runnel.common.time.Scheduler;

/**
 * A request that waits for a condition (fetch {@code min.bytes}, {@code acks=all}) or its timeout,
 * whichever comes first, in a {@link DelayedOperationPurgatory}.
 *
 * <p>Subclasses say when the condition holds ({@link #tryComplete}, which calls
 * {@link #forceComplete} if so) and how to answer ({@link #onComplete}, run exactly once, on
 * whichever thread completes the operation: an appender's or the purgatory's timer).
 * {@link #tryComplete} never runs concurrently with itself on one operation.
 */
public abstract class DelayedOperation {

    private final Duration delay;
    private final AtomicBoolean completed = new AtomicBoolean();
    private volatile Scheduler.ScheduledTask timer;
    private volatile Runnable onDone = () -> { };

    protected DelayedOperation(Duration delay) {
        this.delay = delay;
    }

    /** Checks the condition and, if it holds, calls {@link #forceComplete}; returns whether it did. */
    public abstract boolean tryComplete();

    /** Answers the request; runs once, after the condition held or the timeout passed. */
    protected abstract void onComplete();

    /** Called after {@link #onComplete} when the timeout completed the operation. */
    protected void onExpiration() {
    }

    /** Completes the operation unless something else already has; returns whether this call did. */
    public final boolean forceComplete() {
        if (!completed.compareAndSet(false, true)) {
            return false;
        }
        Scheduler.ScheduledTask armed = timer;
        if (armed != null) {
            armed.cancel();
        }
        try {
            onComplete();
        } finally {
            onDone.run();
        }
        return true;
    }

    public final boolean isCompleted() {
        return completed.get();
    }

    public final Duration delay() {
        return delay;
    }

    /** {@link #tryComplete} unless completed, one caller at a time. */
    final synchronized boolean maybeTryComplete() {
        return !isCompleted() && tryComplete();
    }

    final void arm(Scheduler scheduler, String name, Runnable unwatch) {
        this.onDone = unwatch;
        this.timer = scheduler.schedule(name, this::expire, delay);
        if (isCompleted()) {
            timer.cancel();
            unwatch.run();
        }
    }

    private void expire() {
        boolean expired;
        // Under the lock tryComplete holds, so the answer is not built while a try is half done.
        synchronized (this) {
            expired = forceComplete();
        }
        if (expired) {
            onExpiration();
        }
    }
}
