package dev.runnel.broker.transaction;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one {@code __transaction_state} partition's tasks one at a time, in submission order, on a
 * shared executor: requests, timers and the completions of log appends and marker sends for the
 * ids of a partition never run concurrently, so their metadata needs no locks. A task submitted
 * from a running task runs after it. (The group coordinator has the same class, per group; the
 * layer rules keep the two packages apart.)
 */
final class SerialQueue implements Executor {

    private static final Logger log = LoggerFactory.getLogger(SerialQueue.class);

    private final Executor executor;
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private boolean draining;

    SerialQueue(Executor executor) {
        this.executor = executor;
    }

    @Override
    public void execute(Runnable task) {
        synchronized (this) {
            tasks.add(task);
            if (draining) {
                return;
            }
            draining = true;
        }
        executor.execute(this::drain);
    }

    private void drain() {
        while (true) {
            Runnable task;
            synchronized (this) {
                task = tasks.poll();
                if (task == null) {
                    draining = false;
                    return;
                }
            }
            try {
                task.run();
            } catch (RuntimeException e) {
                log.error("A transaction coordinator task failed", e);
            }
        }
    }
}
