package dev.runnel.broker.replication;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.storage.LeaderEpochCache;
import dev.runnel.broker.storage.LogError;
import dev.runnel.broker.storage.LogException;
import dev.runnel.broker.storage.LogManager;
import dev.runnel.broker.storage.PartitionLog;
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
    /** Partitions moving, and their destination directory. */
    private final Map<TopicPartition, LogManager> moves = new ConcurrentHashMap<>();

    ReplicaLogDirMover(ReplicaManager replicas, HostedLogs logs) {
        this.replicas = replicas;
        for (LogManager dir : logs.dirs()) {
            dir.futureLogs().keySet().forEach(tp -> moves.put(tp, dir));
        }
        if (!moves.isEmpty()) {
            log.info("Resuming the moves of {} replicas between log directories: {}", moves.size(), moves.keySet());
        }
    }

    void start(TopicPartition tp, LogManager destination) {
        moves.put(tp, destination);
    }

    void cancel(TopicPartition tp) {
        moves.remove(tp);
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
            try {
                if (copy(partition.get().log(), future.get())) {
                    replicas.completeMove(tp, destination);
                }
            } catch (LogException e) {
                if (e.error() == LogError.STORAGE_ERROR && destination.getFutureLog(tp).isPresent()) {
                    destination.failed(e);
                } else {
                    log.warn("Moving {} to {}: {}; trying again", tp, destination.logDir(), e.getMessage());
                }
            } catch (IOException | RuntimeException e) {
                log.warn("Moving {} to {}: {}; trying again", tp, destination.logDir(), e.getMessage());
            }
        }
    }

    /**
     * Copies one step from {@code current} into {@code future}.
     *
     * @return whether the future has caught up with the current log's end
     */
    static boolean copy(PartitionLog current, PartitionLog future) throws IOException {
        reconcile(current, future);
        int copied = 0;
        while (copied < BYTES_PER_PASS && future.logEndOffset() < current.logEndOffset()) {
            PartitionLog.ReadResult read = current.read(future.logEndOffset(), READ_BYTES, current.logEndOffset(), true);
            if (read.isEmpty()) {
                break;
            }
            ByteBuffer batches = wholeBatches(read.slice().readFully());
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
