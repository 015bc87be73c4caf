package dev.runnel.broker;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;

/**
 * A coordinator's threads: a small pool where its serial queues run (one per group, one per
 * {@code __transaction_state} partition) and one thread where partitions are loaded, so a load
 * never holds up requests. Daemon threads, stopped with the broker.
 */
final class CoordinatorThreads implements AutoCloseable {

    final ExecutorService queues;
    final ExecutorService loader;

    /** @param name the threads' name, and {@code <name>-loader} the loader's */
    CoordinatorThreads(String name, int threads) {
        this.queues = Executors.newFixedThreadPool(threads, daemon(name));
        this.loader = Executors.newSingleThreadExecutor(daemon(name + "-loader"));
    }

    @Override
    public void close() {
        loader.shutdownNow();
        queues.shutdownNow();
    }

    private static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
