package dev.runnel.broker.storage;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.common.TopicPartition;
import dev.runnel.common.time.Scheduler;

/**
 * Opens the logs of one log directory when its {@link LogManager} opens, in passes:
 * <ol>
 *   <li>{@code -delete} directories (logs replaced by a moved replica) are removed;</li>
 *   <li>{@code -future} directories (replicas moving in) and {@code <topic>-<partition>}
 *       directories are opened, recovering each unless the last close was clean, in parallel as
 *       Kafka's recovery threads do (the fsyncs of recovered logs overlap); anything else is
 *       ignored with a warning.</li>
 * </ol>
 * Stateless.
 */
final class LogDirLoader {

    private static final Logger log = LoggerFactory.getLogger(LogDirLoader.class);

    /** Logs opened at once when the directory is loaded. */
    private static final int LOAD_THREADS = 8;

    record Loaded(List<PartitionLog> logs, List<PartitionLog> futures) {
    }

    private LogDirLoader() {
    }

    static Loaded load(Path logDir, boolean clean, LogConfig defaultConfig, Clock clock, Scheduler scheduler,
            Map<TopicPartition, Long> recovery, Map<TopicPartition, Long> starts, Map<TopicPartition, Long> hws)
            throws IOException {
        List<Callable<PartitionLog>> opens = new ArrayList<>();
        List<Callable<PartitionLog>> futureOpens = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(logDir, Files::isDirectory)) {
            for (Path dir : dirs) {
                String name = dir.getFileName().toString();
                if (FutureLogs.isDeleted(name)) {
                    log.info("Removing {}, a log replaced by a moved replica", dir);
                    FutureLogs.deleteTree(dir);
                    continue;
                }
                Optional<TopicPartition> future = FutureLogs.futurePartition(name);
                if (future.isPresent()) {
                    TopicPartition ftp = future.get();
                    var params = new LogRecovery.LoadParams(clean, recovery.getOrDefault(ftp, 0L), starts.getOrDefault(ftp, 0L));
                    futureOpens.add(() -> PartitionLog.open(dir, ftp, defaultConfig, clock, scheduler, params, 0));
                    continue;
                }
                TopicPartition tp;
                try {
                    tp = TopicPartition.fromDirectoryName(name);
                } catch (IllegalArgumentException e) {
                    log.warn("Ignoring {}: not a partition directory ({})", dir, e.getMessage());
                    continue;
                }
                var params = new LogRecovery.LoadParams(clean, recovery.getOrDefault(tp, 0L), starts.getOrDefault(tp, 0L));
                opens.add(() -> PartitionLog.open(dir, tp, defaultConfig, clock, scheduler, params,
                        hws.getOrDefault(tp, 0L)));
            }
        }
        ExecutorService loaders = Executors.newFixedThreadPool(LOAD_THREADS, r -> {
            Thread t = new Thread(r, "log-loader");
            t.setDaemon(true);
            return t;
        });
        try {
            return new Loaded(openAll(loaders, opens), openAll(loaders, futureOpens));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while loading the logs of " + logDir, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IOException("cannot load the logs of " + logDir, e.getCause());
        } finally {
            loaders.shutdownNow();
        }
    }

    private static List<PartitionLog> openAll(ExecutorService loaders, List<Callable<PartitionLog>> opens)
            throws InterruptedException, ExecutionException {
        List<PartitionLog> opened = new ArrayList<>();
        for (Future<PartitionLog> done : loaders.invokeAll(opens)) {
            opened.add(done.get());
        }
        return opened;
    }

    /** A checkpoint's entries; a corrupt one counts as empty. */
    static Map<TopicPartition, Long> readOrEmpty(CheckpointFile<Map.Entry<TopicPartition, Long>> file)
            throws IOException {
        Map<TopicPartition, Long> map = new HashMap<>();
        try {
            for (Map.Entry<TopicPartition, Long> e : file.read()) {
                map.put(e.getKey(), e.getValue());
            }
        } catch (CheckpointFile.CorruptCheckpointException e) {
            // Losing a checkpoint costs work, not data: recovery scans from offset 0 and the HW
            // is re-learned from the leader.
            log.warn("{}; treating every partition as unrecorded", e.getMessage());
        }
        return map;
    }
}
