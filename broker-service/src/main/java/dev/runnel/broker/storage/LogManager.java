package dev.runnel.broker.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToLongFunction;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.common.TopicPartition;
import dev.runnel.common.time.Scheduler;
import dev.runnel.common.time.Ticker;

/**
 * Owns every partition log in one log directory, and the directory-wide files:
 *
 * <pre>
 *  &lt;log.dir&gt;/
 *    .lock                               held while a broker uses the directory
 *    .runnel-clean-shutdown              present only between a clean close and the next open
 *    recovery-point-offset-checkpoint    topic-partition -&gt; offset below which all is fsynced
 *    replication-offset-checkpoint       topic-partition -&gt; high watermark
 *    log-start-offset-checkpoint         topic-partition -&gt; log start offset
 *    cleaner-offset-checkpoint           topic-partition -&gt; first offset the {@link LogCleaner} has not cleaned
 *    &lt;topic&gt;-&lt;partition&gt;/            one {@link PartitionLog} each
 *    &lt;topic&gt;-&lt;partition&gt;.&lt;id&gt;-future/  a replica being moved here from another directory
 *    &lt;topic&gt;-&lt;partition&gt;.&lt;id&gt;-delete/  a log replaced by its moved copy, removed at once
 * </pre>
 *
 * <p>A replica moves between directories (AlterReplicaLogDirs) as in Kafka: a future log is
 * created in the destination ({@link #createFutureLog}), filled from the current one while that
 * keeps serving, then swapped in: the future is flushed and closed, the current log is renamed to
 * {@code -delete} ({@link #removeReplaced}), and the future renamed to the partition's name and
 * opened again ({@link #promoteFuture}). A crash between the renames leaves a future with no
 * current log anywhere, which the replica layer promotes at the next start; {@code -delete}
 * directories are removed when the directory loads.
 *
 * <p>An I/O failure of a background task goes to the {@link LogDirFailureChannel}; once the
 * directory is {@link #markOffline offline} it writes nothing more, not even at close.
 *
 * <p>This class is the registry of the directory's logs and writes its checkpoints. The directory
 * lock is a {@link LogDirLock}; opening the logs found is {@link LogDirLoader}'s; future logs are
 * held by {@link FutureLogs}. Checkpoints are per directory, not per partition, so that one fsync
 * covers thousands of partitions. Compacted logs are cleaned by this directory's
 * {@link LogCleaner} threads; other background work (retention, time-based rolls,
 * {@code flush.ms}, checkpoints) is {@link LogDirTasks}', on the injected {@link Scheduler}.
 * Thread-safe.
 */
public final class LogManager implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LogManager.class);

    static final String CLEAN_SHUTDOWN_FILE = ".runnel-clean-shutdown";
    static final String LOCK_FILE = ".lock";
    static final String RECOVERY_POINT_CHECKPOINT = "recovery-point-offset-checkpoint";
    static final String HIGH_WATERMARK_CHECKPOINT = "replication-offset-checkpoint";
    static final String LOG_START_OFFSET_CHECKPOINT = "log-start-offset-checkpoint";

    /**
     * Intervals of the background tasks.
     *
     * @param retentionCheckInterval  {@code log.retention.check.interval.ms}
     * @param flushCheckInterval      how often {@code flush.ms} and {@code segment.ms} are checked
     * @param recoveryPointCheckpointInterval {@code log.flush.offset.checkpoint.interval.ms}
     * @param highWatermarkCheckpointInterval {@code replica.high.watermark.checkpoint.interval.ms}
     */
    public record Settings(Duration retentionCheckInterval, Duration flushCheckInterval,
            Duration recoveryPointCheckpointInterval, Duration highWatermarkCheckpointInterval,
            LogCleaner.Settings cleaner) {
        public static final Settings DEFAULTS = new Settings(Duration.ofMinutes(5), Duration.ofSeconds(1),
                Duration.ofMinutes(1), Duration.ofSeconds(5));

        /** The intervals with the default cleaner settings. */
        public Settings(Duration retentionCheckInterval, Duration flushCheckInterval,
                Duration recoveryPointCheckpointInterval, Duration highWatermarkCheckpointInterval) {
            this(retentionCheckInterval, flushCheckInterval, recoveryPointCheckpointInterval,
                    highWatermarkCheckpointInterval, LogCleaner.Settings.DEFAULTS);
        }

        public Settings withCleaner(LogCleaner.Settings v) {
            return new Settings(retentionCheckInterval, flushCheckInterval, recoveryPointCheckpointInterval,
                    highWatermarkCheckpointInterval, v);
        }
    }

    private final Path logDir;
    private final LogConfig defaultConfig;
    private final Clock clock;
    private final Scheduler scheduler;
    private final LogDirLock dirLock;
    private final Map<TopicPartition, PartitionLog> logs = new ConcurrentHashMap<>();
    /** Replicas being moved into this directory. */
    private final FutureLogs futureLogs;
    private volatile LogDirFailureChannel failures = new LogDirFailureChannel();
    private volatile boolean offline;
    private final CheckpointFile<Map.Entry<TopicPartition, Long>> recoveryPoints;
    private final CheckpointFile<Map.Entry<TopicPartition, Long>> highWatermarks;
    private final CheckpointFile<Map.Entry<TopicPartition, Long>> logStartOffsets;
    private final LogDirTasks tasks;
    private LogCleaner cleaner;
    private volatile boolean closed;
    /** Held while a checkpoint is gathered and written, so close's final write is the last one. */
    private final Object checkpointLock = new Object();

    private LogManager(Path logDir, LogConfig defaultConfig, Clock clock, Scheduler scheduler, LogDirLock dirLock) {
        this.logDir = logDir;
        this.defaultConfig = defaultConfig;
        this.clock = clock;
        this.scheduler = scheduler;
        this.dirLock = dirLock;
        var format = CheckpointFile.keyedOffsets(TopicPartition::directoryName, TopicPartition::fromDirectoryName);
        this.recoveryPoints = new CheckpointFile<>(logDir.resolve(RECOVERY_POINT_CHECKPOINT), format);
        this.highWatermarks = new CheckpointFile<>(logDir.resolve(HIGH_WATERMARK_CHECKPOINT), format);
        this.logStartOffsets = new CheckpointFile<>(logDir.resolve(LOG_START_OFFSET_CHECKPOINT), format);
        this.futureLogs = new FutureLogs(logDir, clock, scheduler);
        this.tasks = new LogDirTasks(this, scheduler, logs);
    }

    /**
     * Locks {@code logDir}, opens every partition log in it (recovering them unless the last
     * close was clean) and starts the background tasks.
     *
     * @throws IllegalStateException if another process holds the directory
     */
    public static LogManager open(Path logDir, LogConfig defaultConfig, Clock clock, Scheduler scheduler,
            Settings settings) throws IOException {
        return open(logDir, defaultConfig, clock, Ticker.SYSTEM, scheduler, settings);
    }

    /**
     * As {@link #open(Path, LogConfig, Clock, Scheduler, Settings)}, with the {@link Ticker} the
     * log cleaner measures and throttles with.
     */
    public static LogManager open(Path logDir, LogConfig defaultConfig, Clock clock, Ticker ticker,
            Scheduler scheduler, Settings settings) throws IOException {
        Files.createDirectories(logDir);
        LogDirLock lock = LogDirLock.acquire(logDir);
        try {
            LogManager manager = new LogManager(logDir, defaultConfig, clock, scheduler, lock);
            manager.loadLogs();
            manager.cleaner = new LogCleaner(logDir, manager.logs::values, settings.cleaner(), clock, ticker);
            manager.tasks.start(settings);
            manager.cleaner.start();
            return manager;
        } catch (IOException | RuntimeException e) {
            lock.releaseAfterFailedOpen();
            throw e;
        }
    }

    private void loadLogs() throws IOException {
        Path marker = logDir.resolve(CLEAN_SHUTDOWN_FILE);
        boolean clean = Files.exists(marker);
        LogDirLoader.Loaded loaded = LogDirLoader.load(logDir, clean, defaultConfig, clock, scheduler,
                LogDirLoader.readOrEmpty(recoveryPoints), LogDirLoader.readOrEmpty(logStartOffsets),
                LogDirLoader.readOrEmpty(highWatermarks));
        loaded.logs().forEach(l -> logs.put(l.topicPartition(), l));
        loaded.futures().forEach(futureLogs::loaded);
        // The marker describes the previous run only; from now on a crash must trigger recovery.
        Files.deleteIfExists(marker);
        CheckpointFile.fsyncDirectory(logDir);
        log.info("Loaded {} partition logs and {} future logs from {} ({} shutdown)", logs.size(), futureLogs.live().size(),
                logDir, clean ? "clean" : "unclean");
    }

    /** Reports an I/O failure of this directory to its {@link LogDirFailureChannel}. */
    public void failed(Throwable cause) {
        failures.fail(logDir, cause.getMessage(), cause);
    }

    /** Where this directory reports its I/O failures (the replica manager's channel). */
    public void reportFailuresTo(LogDirFailureChannel channel) {
        this.failures = channel;
    }

    /** Whether the directory failed and was {@link #markOffline taken offline}. */
    public boolean isOffline() {
        return offline;
    }

    /**
     * Takes the failed directory out of service: background work stops, every log (and future log)
     * is closed as far as the disk still allows and forgotten, and nothing is written to the
     * directory again, not even at {@link #close}. The directory lock is released.
     *
     * @return the partitions whose logs (current or future) were here
     */
    public Set<TopicPartition> markOffline() {
        Set<TopicPartition> held = new HashSet<>(logs.keySet());
        synchronized (checkpointLock) {
            if (offline || closed) {
                return held;
            }
            offline = true;
        }
        held.addAll(futureLogs.live().keySet());
        tasks.cancel();
        cleaner.close();
        for (PartitionLog partitionLog : concat(logs.values(), futureLogs.live().values())) {
            try {
                partitionLog.close();
            } catch (RuntimeException e) {
                log.warn("Closing {} on failed directory {}: {}", partitionLog.topicPartition(), logDir, e.getMessage());
            }
        }
        logs.clear();
        futureLogs.live().clear();
        dirLock.release();
        return held;
    }

    private static List<PartitionLog> concat(Collection<PartitionLog> a, Collection<PartitionLog> b) {
        List<PartitionLog> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** The log of {@code tp}, created empty with {@code config} if absent. */
    public PartitionLog getOrCreateLog(TopicPartition tp, LogConfig config) {
        ensureOpen();
        return logs.computeIfAbsent(tp, key -> {
            try {
                return PartitionLog.open(logDir.resolve(key.directoryName()), key, config, clock, scheduler,
                        LogRecovery.LoadParams.FRESH, 0);
            } catch (IOException e) {
                throw new LogException(LogError.STORAGE_ERROR, "cannot create the log of " + key, e);
            }
        });
    }

    public Optional<PartitionLog> getLog(TopicPartition tp) {
        return Optional.ofNullable(logs.get(tp));
    }

    // ---- moving replicas between directories -------------------------------------------------

    /** A new, empty future log of {@code tp} here, the destination of a move; an existing one as it is. */
    public PartitionLog createFutureLog(TopicPartition tp, LogConfig config) {
        ensureOpen();
        return futureLogs.create(tp, config);
    }

    public Optional<PartitionLog> getFutureLog(TopicPartition tp) {
        return futureLogs.get(tp);
    }

    /** A copy of the future logs held. */
    public Map<TopicPartition, PartitionLog> futureLogs() {
        return futureLogs.copy();
    }

    /** Closes and removes the future log of {@code tp}, if any: its move was cancelled. */
    public void deleteFutureLog(TopicPartition tp) throws IOException {
        futureLogs.delete(tp);
    }

    /**
     * Makes the future log of {@code tp} this directory's log of it, renamed and opened again. Call
     * only once the log it replaces is gone ({@link #removeReplaced}).
     */
    public PartitionLog promoteFuture(TopicPartition tp) throws IOException {
        ensureOpen();
        PartitionLog promoted = futureLogs.promote(tp);
        logs.put(tp, promoted);
        return promoted;
    }

    /**
     * Takes the log of {@code tp} out of this directory because its moved copy replaces it: closes
     * it, renames it to {@code -delete} (the point after which a restart promotes the copy) and
     * removes it.
     */
    public void removeReplaced(TopicPartition tp) throws IOException {
        PartitionLog current = logs.remove(tp);
        if (current == null) {
            return;
        }
        cleaner.abortCleaning(tp);
        current.close();
        FutureLogs.discard(current, logDir);
        checkpointRecoveryPointsAndStarts();
        checkpointHighWatermarks();
    }

    /** A copy of every log held: linear in the logs, so call it once per pass, never per log. */
    public Map<TopicPartition, PartitionLog> logs() {
        return Map.copyOf(logs);
    }

    /** How many logs this directory holds, without copying them. */
    public int logCount() {
        return logs.size();
    }

    /**
     * Closes the log of {@code tp} and removes its directory. The checkpoints are rewritten at
     * once, so a partition created again under the same name never inherits the old one's
     * offsets after a crash.
     */
    public void deleteLog(TopicPartition tp) throws IOException {
        deleteLogs(List.of(tp));
    }

    /**
     * Closes and removes the logs of {@code partitions} (those this directory holds), then rewrites
     * the checkpoints once: deleting a topic of many partitions costs one checkpoint, not one each.
     *
     * @throws IOException the first failure; the logs before it are gone, the checkpoints rewritten
     */
    public void deleteLogs(Collection<TopicPartition> partitions) throws IOException {
        boolean removedAny = false;
        try {
            for (TopicPartition tp : partitions) {
                deleteFutureLog(tp);
                PartitionLog removed = logs.remove(tp);
                if (removed != null) {
                    removedAny = true;
                    cleaner.abortCleaning(tp);
                    removed.delete();
                }
            }
        } finally {
            if (removedAny) {
                checkpointRecoveryPointsAndStarts();
                checkpointHighWatermarks();
            }
        }
    }

    public Path logDir() {
        return logDir;
    }

    /** This directory's log cleaner. */
    public LogCleaner cleaner() {
        return cleaner;
    }

    /** One retention pass over every log: time-based rolls of quiet logs, then segment deletion. */
    public void applyRetention() {
        tasks.applyRetention();
    }

    /** Writes the recovery-point and log-start-offset checkpoints. */
    public void checkpointRecoveryPointsAndStarts() {
        write(recoveryPoints, PartitionLog::recoveryPoint);
        write(logStartOffsets, PartitionLog::logStartOffset);
    }

    /** Writes the high-watermark checkpoint. */
    public void checkpointHighWatermarks() {
        write(highWatermarks, PartitionLog::highWatermark);
    }

    /**
     * Stops background work, flushes and closes every log, writes the checkpoints and then the
     * clean-shutdown marker, and releases the directory.
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        if (offline) {
            closed = true;
            return;
        }
        tasks.cancel();
        cleaner.close();
        synchronized (checkpointLock) {
            for (PartitionLog partitionLog : concat(logs.values(), futureLogs.live().values())) {
                partitionLog.close();
            }
            checkpointRecoveryPointsAndStarts();
            checkpointHighWatermarks();
            closed = true;
        }
        Files.createFile(logDir.resolve(CLEAN_SHUTDOWN_FILE));
        CheckpointFile.fsyncDirectory(logDir);
        dirLock.release();
        log.info("Closed {} partition logs in {} cleanly", logs.size(), logDir);
    }

    private void write(CheckpointFile<Map.Entry<TopicPartition, Long>> file, ToLongFunction<PartitionLog> value) {
        synchronized (checkpointLock) {
            if (closed || offline) {
                return;
            }
            List<Map.Entry<TopicPartition, Long>> entries = new ArrayList<>();
            logs.forEach((tp, partitionLog) -> entries.add(Map.entry(tp, value.applyAsLong(partitionLog))));
            // A future log is the only log of its partition in this directory: its offsets spare
            // the copy a full recovery after a crash.
            futureLogs.live().forEach((tp, partitionLog) -> {
                if (!logs.containsKey(tp)) {
                    entries.add(Map.entry(tp, value.applyAsLong(partitionLog)));
                }
            });
            try {
                file.write(entries);
            } catch (IOException e) {
                throw new LogException(LogError.STORAGE_ERROR, "cannot write " + file.file(), e);
            }
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("log manager for " + logDir + " is closed");
        }
    }
}
