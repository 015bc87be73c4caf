package dev.runnel.broker.storage;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import dev.runnel.common.TopicPartition;
import dev.runnel.common.time.Scheduler;

/**
 * The future logs of one log directory, the destinations of replicas moving in (for
 * {@link LogManager}), and the names a move gives partition directories, as Kafka names them:
 * {@code <topic>-<partition>.<uniqueId>-future} for the copy being made in the destination,
 * {@code <topic>-<partition>.<uniqueId>-delete} for the replaced log on its way out. Thread-safe.
 */
final class FutureLogs {

    static final String FUTURE_SUFFIX = "-future";
    static final String DELETE_SUFFIX = "-delete";

    private final Path logDir;
    private final Clock clock;
    private final Scheduler scheduler;
    private final Map<TopicPartition, PartitionLog> logs = new ConcurrentHashMap<>();

    FutureLogs(Path logDir, Clock clock, Scheduler scheduler) {
        this.logDir = logDir;
        this.clock = clock;
        this.scheduler = scheduler;
    }

    /** Holds a future log found when the directory loaded. */
    void loaded(PartitionLog future) {
        logs.put(future.topicPartition(), future);
    }

    /** A new, empty future log of {@code tp}; an existing one is returned as it is. */
    PartitionLog create(TopicPartition tp, LogConfig config) {
        return logs.computeIfAbsent(tp, key -> {
            try {
                return PartitionLog.open(logDir.resolve(futureName(key)), key, config, clock, scheduler,
                        LogRecovery.LoadParams.FRESH, 0);
            } catch (IOException e) {
                throw new LogException(LogError.STORAGE_ERROR, "cannot create the future log of " + key, e);
            }
        });
    }

    Optional<PartitionLog> get(TopicPartition tp) {
        return Optional.ofNullable(logs.get(tp));
    }

    Map<TopicPartition, PartitionLog> copy() {
        return Map.copyOf(logs);
    }

    Map<TopicPartition, PartitionLog> live() {
        return logs;
    }

    /** Closes and removes the future log of {@code tp}, if any. */
    void delete(TopicPartition tp) throws IOException {
        PartitionLog removed = logs.remove(tp);
        if (removed != null) {
            removed.delete();
        }
    }

    /**
     * Flushes and closes the future log of {@code tp}, renames its directory to the partition's name
     * and opens it there again (a clean load from its recovery point); it is no longer a future log.
     */
    PartitionLog promote(TopicPartition tp) throws IOException {
        PartitionLog future = logs.get(tp);
        if (future == null) {
            throw new IllegalStateException(logDir + " holds no future log of " + tp);
        }
        long highWatermark = future.highWatermark();
        future.flush();
        var params = new LogRecovery.LoadParams(true, future.logEndOffset(), future.logStartOffset());
        future.close();
        Path to = logDir.resolve(tp.directoryName());
        Files.move(future.dir(), to, StandardCopyOption.ATOMIC_MOVE);
        CheckpointFile.fsyncDirectory(logDir);
        PartitionLog promoted = PartitionLog.open(to, tp, future.config(), clock, scheduler, params, highWatermark);
        logs.remove(tp);
        return promoted;
    }

    /** Renames a replaced (closed) log to {@code -delete}, the point after which a restart promotes its copy, and removes it. */
    static void discard(PartitionLog replaced, Path logDir) throws IOException {
        Path deleted = logDir.resolve(deleteName(replaced.topicPartition()));
        Files.move(replaced.dir(), deleted, StandardCopyOption.ATOMIC_MOVE);
        CheckpointFile.fsyncDirectory(logDir);
        deleteTree(deleted);
    }

    static String futureName(TopicPartition tp) {
        return tp.directoryName() + "." + uniqueId() + FUTURE_SUFFIX;
    }

    static String deleteName(TopicPartition tp) {
        return tp.directoryName() + "." + uniqueId() + DELETE_SUFFIX;
    }

    /** The partition of a future directory's name, or empty if {@code name} is not one. */
    static Optional<TopicPartition> futurePartition(String name) {
        if (!name.endsWith(FUTURE_SUFFIX)) {
            return Optional.empty();
        }
        String base = name.substring(0, name.length() - FUTURE_SUFFIX.length());
        int dot = base.lastIndexOf('.');
        if (dot <= 0) {
            return Optional.empty();
        }
        try {
            return Optional.of(TopicPartition.fromDirectoryName(base.substring(0, dot)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    static boolean isDeleted(String name) {
        return name.endsWith(DELETE_SUFFIX) && name.indexOf('.') > 0;
    }

    /** Removes {@code dir} and everything under it, if it exists. */
    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                Files.deleteIfExists(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static String uniqueId() {
        return UUID.randomUUID().toString().replace("-", "");
    }
}
