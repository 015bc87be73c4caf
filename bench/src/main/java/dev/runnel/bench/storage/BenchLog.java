package dev.runnel.bench.storage;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;

import dev.runnel.broker.storage.LogConfig;
import dev.runnel.broker.storage.LogManager;
import dev.runnel.broker.storage.PartitionLog;
import dev.runnel.common.TopicPartition;
import dev.runnel.common.time.ExecutorScheduler;
import dev.runnel.testing.TempLogDirs;

/**
 * One partition log in a fresh temporary log directory, opened as the broker opens it: through
 * {@link LogManager} with the production scheduler and clock. {@link #close()} removes it all.
 */
final class BenchLog implements AutoCloseable {

    /** Kafka's defaults (1 GiB segments, no fsync per append) with room for 1 MiB batches. */
    static final LogConfig CONFIG = LogConfig.DEFAULTS.withMaxMessageBytes(2 * 1024 * 1024);

    private static final TopicPartition TP = new TopicPartition("bench", 0);

    private final Path dir;
    private final ExecutorScheduler scheduler;
    private final LogManager manager;
    private final PartitionLog log;

    private BenchLog(Path dir, ExecutorScheduler scheduler, LogManager manager, PartitionLog log) {
        this.dir = dir;
        this.scheduler = scheduler;
        this.manager = manager;
        this.log = log;
    }

    static BenchLog create() throws IOException {
        Path dir = TempLogDirs.create("runnel-bench-log-");
        ExecutorScheduler scheduler = new ExecutorScheduler("bench-log", 1);
        LogManager manager = LogManager.open(dir, CONFIG, Clock.systemUTC(), scheduler, LogManager.Settings.DEFAULTS);
        return new BenchLog(dir, scheduler, manager, manager.getOrCreateLog(TP, CONFIG));
    }

    PartitionLog log() {
        return log;
    }

    /**
     * Waits for background work (the fsync of a rolled segment) to finish, then deletes the log
     * without flushing it (its bytes are not worth an fsync) and the directory.
     */
    @Override
    public void close() throws IOException {
        scheduler.close();
        try {
            manager.deleteLog(TP);
            manager.close();
        } finally {
            TempLogDirs.deleteRecursively(dir);
        }
    }
}
