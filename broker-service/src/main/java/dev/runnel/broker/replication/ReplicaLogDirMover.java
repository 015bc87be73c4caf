package dev.runnel.broker.replication;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.storage.LeaderEpochCache;
import dev.runnel.broker.storage.LogError;
import dev.runnel.broker.storage.LogException;
import dev.runnel.broker.storage.LogManager;
import dev.runnel.broker.storage.PartitionLog;
import dev.runnel.broker.storage.PartitionMetadataFile;
import dev.runnel.common.TopicPartition;

/**
 * Moves replicas between this broker's log directories (AlterReplicaLogDirs), as Kafka's
 * {@code ReplicaAlterLogDirsThread}: a move has a future log in the destination directory, which
 * each {@link #runOnce pass} fills from the partition's current log, up to
 * {@link #BYTES_PER_PASS} per partition, while the current log keeps serving. A future log that
 * has caught up is swapped in by {@link ReplicaManager#completeMove} under the partition's lock.
 *
 * <pre>
 *  COPYING: future end &lt; current end   read the current log from the future's end, append as follower
 *           the current log was truncated (a follower's new leader) -&gt; cut the future at the
 *           offset where their leader epochs part, as a follower does with its leader
 *  caught up -&gt; SWAP (ReplicaManager, partition write lock, fetching stopped) -&gt; done
 * </pre>
 *
 * The moves outlive a restart: the future logs on disk are picked up again at construction.
 * Passes run one at a time ({@code synchronized}); the moves map is thread-safe.
 */
public final class ReplicaLogDirMover {

    private static final Logger log = LoggerFactory.getLogger(ReplicaLogDirMover.class);

    /** The most bytes one pass copies for one partition. */
    static final int BYTES_PER_PASS = 8 * 1024 * 1024;
    private static final int READ_BYTES = 1024 * 1024;

    private final ReplicaManager replicas;
    private final HostedLogs logs;
    /** Partitions moving, and their destination directory. */
    private final Map<TopicPartition, LogManager> moves = new ConcurrentHashMap<>();

    ReplicaLogDirMover(ReplicaManager replicas, HostedLogs logs) {
        this.replicas = replicas;
        this.logs = logs;
        for (LogManager dir : logs.dirs()) {
            dir.futureLogs().keySet().forEach(tp -> moves.put(tp, dir));
        }
        if (!moves.isEmpty()) {
            log.info("Resuming the moves of {} replicas between log directories: {}", moves.size(), moves.keySet());
        }
    }

    /**
     * Starts moving {@code tp}'s replica to the directory named {@code path} (see
     * {@link ReplicaManager#alterReplicaLogDirs}); {@code partition} is null when it is not hosted.
     * Runs under the replica manager's lock.
     */
    LogDirMoveError alter(TopicPartition tp, String path, Partition partition, BooleanSupplier known) {
        Optional<LogManager> destination = logs.dir(path);
        if (destination.isEmpty()) {
            return LogDirMoveError.LOG_DIR_NOT_FOUND;
        }
        if (destination.get().isOffline()) {
            return LogDirMoveError.KAFKA_STORAGE_ERROR;
        }
        if (partition == null) {
            if (!known.getAsBoolean()) {
                return LogDirMoveError.UNKNOWN_TOPIC_OR_PARTITION;
            }
            logs.prefer(tp, destination.get());
            return LogDirMoveError.REPLICA_NOT_AVAILABLE;
        }
        Optional<LogManager> moving = logs.holdingFuture(tp);
        try {
            if (moving.isPresent() && moving.get() != destination.get()) {
                cancel(tp);
                moving.get().deleteFutureLog(tp);
            }
            if (logs.holding(tp).orElse(null) == destination.get()) {
                return LogDirMoveError.NONE;
            }
            PartitionLog current = partition.log();
            PartitionLog future = destination.get().createFutureLog(tp, current.config());
            Optional<UUID> topicId = PartitionMetadataFile.read(current.dir());
            if (topicId.isPresent()) {
                PartitionMetadataFile.write(future.dir(), topicId.get());
            }
            moves.put(tp, destination.get());
            log.info("Moving the replica of {} from {} to {}", tp, current.dir().getParent(), destination.get().logDir());
            return LogDirMoveError.NONE;
        } catch (IOException | LogException e) {
            log.error("Cannot start moving {} to {}", tp, path, e);
            destination.get().failed(e);
            return LogDirMoveError.KAFKA_STORAGE_ERROR;
        }
    }

    /**
     * Swaps the future log of {@code partition} in {@code destination} in for its current log if it
     * has caught up: under the partition's write lock (no append), the future takes the newest
     * leader epochs, the high watermark and the log start, the current log is renamed away and the
     * future takes the partition's directory name. The replica manager has stopped fetching.
     */
    void swap(Partition partition, LogManager destination) {
        TopicPartition tp = partition.topicPartition();
        LogManager source = logs.holding(tp).orElse(null);
        PartitionLog future = destination.getFutureLog(tp).orElse(null);
        if (source == null || future == null || source == destination) {
            return;
        }
        boolean swapped = partition.replaceLog(current -> {
            if (current.logEndOffset() != future.logEndOffset()) {
                return null; // appended meanwhile: the next pass copies the rest
            }
            // A leadership that has not appended yet is in the current log's epochs only.
            int copiedEpoch = future.leaderEpochs().latest().map(LeaderEpochCache.EpochEntry::epoch).orElse(-1);
            for (LeaderEpochCache.EpochEntry epoch : current.leaderEpochs().entries()) {
                if (epoch.epoch() > copiedEpoch) {
                    future.leaderEpochs().assign(epoch.epoch(), epoch.startOffset());
                }
            }
            future.maybeIncrementHighWatermark(current.highWatermark());
            if (current.logStartOffset() > future.logStartOffset()) {
                future.advanceLogStartOffset(current.logStartOffset());
            }
            try {
                source.removeReplaced(tp);
            } catch (IOException e) {
                source.failed(e);
                throw new LogException(LogError.STORAGE_ERROR, "removing the replaced log of " + tp + " failed", e);
            }
            try {
                return destination.promoteFuture(tp);
            } catch (IOException | LogException e) {
                destination.failed(e);
                throw new LogException(LogError.STORAGE_ERROR, "swapping in the moved log of " + tp + " failed", e);
            }
        });
        if (swapped) {
            cancel(tp);
            log.info("The replica of {} moved from {} to {}", tp, source.logDir(), destination.logDir());
        }
    }

    void cancel(TopicPartition tp) {
        moves.remove(tp);
    }

    /** Cancels {@code tp}'s move and removes its future log: the current log's directory failed. */
    void abandon(TopicPartition tp) {
        cancel(tp);
        logs.holdingFuture(tp).ifPresent(d -> {
            try {
                d.deleteFutureLog(tp);
            } catch (IOException e) {
                log.warn("Cannot remove the future log of {} in {}", tp, d.logDir(), e);
            }
        });
    }

    /** The destination of {@code tp}'s move, if it is moving. */
    Optional<LogManager> destination(TopicPartition tp) {
        return Optional.ofNullable(moves.get(tp));
    }

    /** How many moves are under way. */
    public int moving() {
        return moves.size();
    }

    /** One pass over the moves: copy a step of each, swap in those that caught up. */
    public synchronized void runOnce() {
        for (Map.Entry<TopicPartition, LogManager> move : moves.entrySet()) {
            TopicPartition tp = move.getKey();
            LogManager destination = move.getValue();
            Optional<PartitionLog> future = destination.getFutureLog(tp);
            if (future.isEmpty() || destination.isOffline()) {
                moves.remove(tp, destination);
                continue;
            }
            Optional<Partition> partition = replicas.partition(tp);
            if (partition.isEmpty()) {
                continue; // not hosted (yet, after a restart): the move waits for LeaderAndIsr
            }
            boolean caughtUp;
            try {
                caughtUp = copy(partition.get().log(), future.get());
            } catch (LogException e) {
                // Every write here is the future log's: its directory failed.
                if (e.error() == LogError.STORAGE_ERROR && destination.getFutureLog(tp).isPresent()) {
                    destination.failed(e);
                } else {
                    log.warn("Moving {} to {}: {}; trying again", tp, destination.logDir(), e.getMessage());
                }
                continue;
            } catch (RuntimeException e) {
                log.warn("Moving {} to {}: {}; trying again", tp, destination.logDir(), e.getMessage());
                continue;
            }
            if (caughtUp) {
                try {
                    replicas.completeMove(tp, destination);
                } catch (RuntimeException e) {
                    log.error("Swapping in the moved replica of {} failed", tp, e);
                }
            }
        }
    }

    /**
     * Copies one step from {@code current} into {@code future}.
     *
     * @return whether the future has caught up with the current log's end
     */
    static boolean copy(PartitionLog current, PartitionLog future) {
        reconcile(current, future);
        int copied = 0;
        while (copied < BYTES_PER_PASS && future.logEndOffset() < current.logEndOffset()) {
            ByteBuffer batches = wholeBatches(readCurrent(current, future.logEndOffset()));
            if (!batches.hasRemaining()) {
                break;
            }
            copied += batches.remaining();
            future.appendAsFollower(batches);
        }
        future.maybeIncrementHighWatermark(Math.min(current.highWatermark(), future.logEndOffset()));
        return future.logEndOffset() == current.logEndOffset();
    }

    /**
     * Cuts what the future log has that the current one no longer has, as a follower truncates to
     * its leader (the current log of a follower replica may have been truncated meanwhile), and
     * starts it at the current log start if that moved past it.
     */
    static void reconcile(PartitionLog current, PartitionLog future) {
        Optional<LeaderEpochCache.EpochEntry> latest = future.leaderEpochs().latest();
        if (latest.isPresent()) {
            Optional<LeaderEpochCache.EpochEntry> end = current.leaderEpochs()
                    .endOffsetFor(latest.get().epoch(), current.logEndOffset());
            if (end.isEmpty()) {
                future.truncateFullyAndStartAt(current.logStartOffset());
            } else if (end.get().epoch() == latest.get().epoch()) {
                // endOffsetFor answers (epoch, where it ended) in an EpochEntry: startOffset() is the end.
                if (end.get().startOffset() < future.logEndOffset()) {
                    future.truncateTo(end.get().startOffset());
                }
            } else {
                future.truncateTo(Math.min(end.get().startOffset(), latest.get().startOffset()));
            }
        }
        if (future.logEndOffset() > current.logEndOffset()) {
            future.truncateTo(current.logEndOffset());
        }
        if (future.logEndOffset() < current.logStartOffset() || future.logEndOffset() == 0 && current.logStartOffset() > 0) {
            future.truncateFullyAndStartAt(current.logStartOffset());
        }
    }

    /**
     * The batches of {@code current} from {@code offset}. A failure here is the current log's (closed
     * by a StopReplica meanwhile, or its own directory failing, which its own operations report),
     * never the destination's: it comes out as an {@link UncheckedIOException}, and the move tries again.
     */
    private static ByteBuffer readCurrent(PartitionLog current, long offset) {
        try {
            PartitionLog.ReadResult read = current.read(offset, READ_BYTES, current.logEndOffset(), true);
            return read.isEmpty() ? ByteBuffer.allocate(0) : read.slice().readFully();
        } catch (IOException | LogException e) {
            throw new UncheckedIOException(new IOException("reading the current log of " + current.topicPartition()
                    + " failed: " + e.getMessage(), e));
        }
    }

    /** {@code bytes} without a trailing partial batch (a read's byte limit may cut one). */
    private static ByteBuffer wholeBatches(ByteBuffer bytes) {
        int end = 0;
        while (bytes.limit() - end >= 12) {
            int batchLength = bytes.getInt(end + 8) + 12;
            if (batchLength <= 12 || end + batchLength > bytes.limit()) {
                break;
            }
            end += batchLength;
        }
        return bytes.limit(end);
    }
}
