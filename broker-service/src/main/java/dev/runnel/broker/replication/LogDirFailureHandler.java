package dev.runnel.broker.replication;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.storage.LogDirFailureChannel;
import dev.runnel.broker.storage.LogManager;
import dev.runnel.common.TopicPartition;
import dev.runnel.common.time.Scheduler;

/**
 * What this broker does when a log directory fails (Kafka's {@code LogDirFailureHandler}): on its
 * own thread, it takes the directory's partitions offline in the {@link ReplicaManager} (they stop
 * being served and answer KAFKA_STORAGE_ERROR), then tells the controller those replicas are
 * offline, so that their leadership moves to other replicas and they leave the ISR. The report is
 * retried every {@link #RETRY} until the controller takes it. The broker keeps running, serving
 * the partitions of its other directories.
 */
public final class LogDirFailureHandler implements AutoCloseable {

    /** The controller call that reports offline replicas; stands in for it in tests. */
    @FunctionalInterface
    public interface Reporter {
        /** @return whether the controller took the report (false: try again later) */
        boolean report(List<TopicPartition> offline) throws IOException;
    }

    private static final Logger log = LoggerFactory.getLogger(LogDirFailureHandler.class);

    static final Duration RETRY = Duration.ofSeconds(1);

    private final ReplicaManager replicas;
    private final Scheduler scheduler;
    private volatile Reporter reporter = offline -> true;
    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "log-dir-failure-handler");
        t.setDaemon(true);
        return t;
    });

    LogDirFailureHandler(ReplicaManager replicas, LogDirFailureChannel channel, Scheduler scheduler) {
        this.replicas = replicas;
        this.scheduler = scheduler;
        channel.onFailure(dir -> submit(() -> handle(dir)));
    }

    /** Sends the offline replicas to the controller with {@code reporter}. */
    public void reportTo(Reporter reporter) {
        this.reporter = reporter;
    }

    private void handle(Path failed) {
        LogManager dir = replicas.logDirectories().stream()
                .filter(d -> d.logDir().toAbsolutePath().normalize().equals(failed)).findFirst().orElse(null);
        if (dir == null) {
            return;
        }
        Set<TopicPartition> offline = replicas.takeOffline(dir);
        log.error("Log directory {} is offline: {} partitions offline on this broker: {}", failed, offline.size(), offline);
        if (!offline.isEmpty()) {
            report(List.copyOf(offline));
        }
    }

    private void report(List<TopicPartition> offline) {
        boolean taken;
        try {
            taken = reporter.report(offline);
        } catch (IOException | RuntimeException e) {
            log.warn("Cannot report {} offline replicas to the controller: {}; retrying", offline.size(), e.getMessage());
            taken = false;
        }
        if (!taken) {
            scheduler.schedule("offline-replicas-report", () -> submit(() -> report(offline)), RETRY);
        }
    }

    private void submit(Runnable task) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            log.debug("Shutting down: {} not run", task);
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
