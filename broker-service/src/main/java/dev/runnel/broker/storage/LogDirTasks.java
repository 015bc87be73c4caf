package dev.runnel.broker.storage;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import dev.runnel.common.TopicPartition;
import dev.runnel.common.time.Scheduler;

/**
 * The periodic work of one log directory, on the injected {@link Scheduler} (the tasks Kafka's
 * {@code LogManager} schedules at startup):
 *
 * <pre>
 *  log-retention               every retention check interval: time-based rolls of quiet logs, then retention
 *  log-flush                   every flush check interval: {@code flush.ms} flushes, {@code segment.ms} rolls
 *  recovery-point-checkpoint   recovery points and log start offsets of every log
 *  high-watermark-checkpoint   high watermarks of every log
 * </pre>
 *
 * <p>A storage failure of a task is reported as the directory's ({@link LogManager#failed}) rather
 * than lost in the scheduler; once the directory is offline the tasks do nothing. A storage error
 * of a log deleted or moved away while a task worked on it is no failure of the directory. The
 * {@link LogManager} starts the tasks once, when it opens, and cancels them when it closes or goes
 * offline.
 */
final class LogDirTasks {

    private final LogManager manager;
    private final Scheduler scheduler;
    /** The manager's logs, live. */
    private final Map<TopicPartition, PartitionLog> logs;
    private final List<Scheduler.ScheduledTask> tasks = new ArrayList<>();

    LogDirTasks(LogManager manager, Scheduler scheduler, Map<TopicPartition, PartitionLog> logs) {
        this.manager = manager;
        this.scheduler = scheduler;
        this.logs = logs;
    }

    void start(LogManager.Settings settings) {
        tasks.add(scheduler.schedulePeriodically("log-retention", guarded(this::applyRetention),
                settings.retentionCheckInterval(), settings.retentionCheckInterval()));
        tasks.add(scheduler.schedulePeriodically("log-flush", guarded(this::flushDueLogs),
                settings.flushCheckInterval(), settings.flushCheckInterval()));
        tasks.add(scheduler.schedulePeriodically("recovery-point-checkpoint",
                guarded(manager::checkpointRecoveryPointsAndStarts),
                settings.recoveryPointCheckpointInterval(), settings.recoveryPointCheckpointInterval()));
        tasks.add(scheduler.schedulePeriodically("high-watermark-checkpoint", guarded(manager::checkpointHighWatermarks),
                settings.highWatermarkCheckpointInterval(), settings.highWatermarkCheckpointInterval()));
    }

    void cancel() {
        tasks.forEach(Scheduler.ScheduledTask::cancel);
    }

    /** {@code task}, with a storage failure reported as this directory's rather than lost in the scheduler. */
    private Runnable guarded(Runnable task) {
        return () -> {
            if (manager.isOffline()) {
                return;
            }
            try {
                task.run();
            } catch (LogException e) {
                if (e.error() != LogError.STORAGE_ERROR) {
                    throw e;
                }
                manager.failed(e);
            }
        };
    }

    /** One retention pass over every log: time-based rolls of quiet logs, then segment deletion. */
    void applyRetention() {
        forEachLog(partitionLog -> {
            partitionLog.rollIfExpired();
            partitionLog.deleteOldSegments();
        });
    }

    private void flushDueLogs() {
        forEachLog(partitionLog -> {
            partitionLog.flushIfDue();
            partitionLog.rollIfExpired();
        });
    }

    /**
     * Runs {@code action} on every log held. A storage error of a log deleted or moved away
     * meanwhile (closed under the task) is no failure of the directory; any other goes on.
     */
    private void forEachLog(Consumer<PartitionLog> action) {
        for (Map.Entry<TopicPartition, PartitionLog> held : logs.entrySet()) {
            try {
                action.accept(held.getValue());
            } catch (LogException e) {
                if (e.error() != LogError.STORAGE_ERROR || logs.get(held.getKey()) == held.getValue()) {
                    throw e;
                }
            }
        }
    }
}
