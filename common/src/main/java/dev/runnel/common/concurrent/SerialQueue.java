package dev.runnel.common.concurrent;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one owner's tasks one at a time, in submission order, on a shared executor: a coordinator
 * gives each of its units (a consumer group, a {@code __transaction_state} partition) one, so
 * requests, timers and the completions of log writes for that unit never run concurrently and its
 * state needs no locks. A task submitted from a running task runs after it. A task that throws is
 * logged and the next one runs.
 */
public final class SerialQueue implements Executor {

    private static final Logger log = LoggerFactory.getLogger(SerialQueue.class);

    private final Executor executor;
    private final String owner;
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private boolean draining;

    /** @param owner names the queue's owner in the log when one of its tasks fails */
    public SerialQueue(Executor executor, String owner) {
        this.executor = executor;
        this.owner = owner;
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
                log.error("A task of {} failed", owner, e);
            }
        }
    }
}
