package dev.runnel.broker.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.common.TopicPartition;
import dev.runnel.common.time.Scheduler;

/**
 * The log of one partition, as the rest of the broker sees it (Kafka's {@code UnifiedLog}): the
 * segments on disk ({@link LocalLog}), the {@link LeaderEpochCache} and the idempotent producers'
 * state ({@link ProducerStateManager}), with the offsets that give them meaning to clients.
 *
 * <pre>
 *  logStartOffset       segments (by base offset)                       logEndOffset
 *       v                                                                     v
 *  [00..00000 .log/.index/.timeindex][00..01042 ...]...[00..93810 (active)   ]
 *                      ^ recoveryPoint: below it, fsynced     ^ highWatermark: below it, readable by consumers
 * </pre>
 *
 * <p>This class holds the lock, validates appends ({@link BatchValidator}) and answers reads and
 * offset queries. The work is done by the classes it owns: {@link LogAppender} places checked
 * batches (offsets, epochs, producer state) and rolls; {@link LogTruncation} cuts the log from its
 * end and brings the state beside it back in line; {@link HighWatermark} keeps the high watermark
 * and publishes the first unstable offset; {@link LogRetention} picks the old segments to delete
 * and moves the log start for DeleteRecords; {@link LocalLog} does the segment work (append, roll,
 * read, truncate, remove, flush) and owns the log start, log end and recovery point;
 * {@link LogLoader} opens the log and replays batches to rebuild producer state and leader epochs.
 *
 * <p>Thread-safety: one lock, this class's {@code lock}, serialises every change to the log
 * (appends, rolls, truncation, DeleteRecords, retention, config and high watermark updates, close,
 * delete) and every use of the producer state; the changing methods of the classes it owns run
 * only under it. Reads take no lock: a read captures the published end of the log
 * ({@link #logEndOffset()} and the active segment's size, published together after the bytes are
 * written) and never reads past it; deleted segments' files stay for
 * {@code file.delete.delay.ms}, so a read that captured one can still send it. Flushes serialise
 * on {@link LocalLog}'s flush lock, taken after {@code lock}, never before it.
 */
public final class PartitionLog implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PartitionLog.class);

    /** Kafka's {@code producer.id.expiration.ms} default: producers silent this long are forgotten. */
    static final long PRODUCER_ID_EXPIRATION_MS = 24L * 3600 * 1000;

    private final TopicPartition topicPartition;
    private final Clock clock;
    private final LocalLog local;
    private final LeaderEpochCache epochs;
    private final ProducerStateManager producerState;
    private final HighWatermark highWatermark;
    private final LogAppender appender;
    private final LogTruncation truncation;
    private final LogRetention retention;
    /** Serialises every change to the log (see the class comment). */
    private final Object lock = new Object();

    /** A read's answer: the bytes (possibly none) and the log's offsets when it was read. */
    public record ReadResult(FileSlice slice, long logStartOffset, long logEndOffset, long highWatermark,
            long lastStableOffset) {
        public boolean isEmpty() {
            return slice == null || slice.size() == 0;
        }
    }

    private PartitionLog(TopicPartition topicPartition, Clock clock, Scheduler scheduler, LogLoader.Loaded loaded) {
        this.topicPartition = topicPartition;
        this.clock = clock;
        this.local = loaded.local();
        this.epochs = loaded.epochs();
        this.producerState = loaded.producerState();
        this.highWatermark = new HighWatermark(local, producerState.transactions(), loaded.highWatermark());
        this.appender = new LogAppender(topicPartition, clock, scheduler, local, epochs, producerState, highWatermark);
        this.truncation = new LogTruncation(topicPartition, clock, local, epochs, producerState, highWatermark);
        this.retention = new LogRetention(local, epochs, producerState);
        highWatermark.publishFirstUnstableOffset();
    }

    /**
     * Opens the log in {@code dir} (creating the directory if needed), recovering it as
     * {@link LogLoader} and {@link LogRecovery} describe.
     *
     * @param highWatermark the checkpointed high watermark, clamped into the recovered log
     */
    static PartitionLog open(Path dir, TopicPartition topicPartition, LogConfig config, Clock clock,
            Scheduler scheduler, LogRecovery.LoadParams params, long highWatermark) throws IOException {
        LogLoader.Loaded loaded = LogLoader.load(dir, topicPartition, config, clock, scheduler, params, highWatermark);
        return new PartitionLog(topicPartition, clock, scheduler, loaded);
    }

    // ---- appending --------------------------------------------------------------------------

    /**
     * Appends a producer's batches as leader: validates them, assigns offsets from the log end
     * and stamps {@code leaderEpoch}. A refused append throws {@link LogException} and changes nothing.
     */
    public AppendInfo appendAsLeader(ByteBuffer records, int leaderEpoch) {
        return appendAsLeader(records, leaderEpoch, AppendOrigin.CLIENT, null);
    }

    /**
     * Appends batches as leader for {@code origin}: a coordinator may write transaction markers
     * (control batches) and batches without sequences, whose producer epochs are still checked. A
     * transactional batch that opens a transaction here must carry the {@code guard} of its
     * verification with the transaction coordinator ({@link #maybeStartTransactionVerification}),
     * or is refused with INVALID_TXN_STATE.
     */
    public AppendInfo appendAsLeader(ByteBuffer records, int leaderEpoch, AppendOrigin origin,
            ProducerStateManager.VerificationGuard guard) {
        return append(records, true, leaderEpoch, origin, guard);
    }

    /** Appends a leader's batches as follower, keeping their offsets and epochs. */
    public AppendInfo appendAsFollower(ByteBuffer records) {
        return append(records, false, -1, null, null);
    }

    /**
     * Starts verifying a transactional producer's first batch on this partition (KIP-890 part 1):
     * the guard its append must carry once the coordinator confirmed the partition is in the
     * producer's transaction, or {@code null} if the producer's transaction is already open here.
     */
    public ProducerStateManager.VerificationGuard maybeStartTransactionVerification(long producerId, short epoch) {
        synchronized (lock) {
            ensureOpen();
            return producerState.maybeStartVerification(producerId, epoch, clock.millis());
        }
    }

    private AppendInfo append(ByteBuffer records, boolean asLeader, int leaderEpoch, AppendOrigin origin,
            ProducerStateManager.VerificationGuard guard) {
        // The byte-level checks need no lock (see BatchValidator); only placing the batches does.
        LogConfig cfg = local.config();
        long now = clock.millis();
        BatchValidator.Checked checked = BatchValidator.checkAppend(records, asLeader, origin, cfg, now);
        synchronized (lock) {
            ensureOpen();
            return appender.append(records, checked, cfg, now, asLeader, leaderEpoch, origin, guard);
        }
    }

    /** Rolls now if the active segment has records (a quiet log's time-based roll, or an operator's). */
    public void roll() {
        synchronized (lock) {
            ensureOpen();
            appender.rollIfNotEmpty();
        }
    }

    // ---- reading ----------------------------------------------------------------------------

    /**
     * Reads batches starting with the one holding {@code startOffset}: at most {@code maxBytes}
     * (or the whole first batch with {@code minOneMessage}) and only batches below {@code maxOffset}
     * (the high watermark for consumers, the log end for followers).
     *
     * @throws LogException OFFSET_OUT_OF_RANGE if {@code startOffset} is below the log start or past the log end
     */
    public ReadResult read(long startOffset, int maxBytes, long maxOffset, boolean minOneMessage) {
        long hw = highWatermark.value();
        long lso = producerState.transactions().lastStableOffset(hw);
        LocalLog.LogEnd snapshot = local.end();
        long start = local.logStartOffset();
        FileSlice slice = local.read(startOffset, maxBytes, maxOffset, minOneMessage, start, snapshot);
        return new ReadResult(slice, start, snapshot.nextOffset(), hw, lso);
    }

    /**
     * The aborted transactions a read_committed consumer needs to drop what it must not see in
     * {@code result}, a read from {@code fetchOffset}: those whose data starts below the first
     * batch past the bytes read and whose marker lies at or past the fetch offset. More than needed
     * is harmless (the consumer matches them by producer and offset), fewer is not.
     */
    public List<AbortedTransaction> abortedTransactions(long fetchOffset, ReadResult result) {
        if (result.isEmpty()) {
            return List.of();
        }
        return local.abortedTransactions(fetchOffset, result.slice(), result.logEndOffset());
    }

    /**
     * The first offset at or after the log start whose record timestamp is at least
     * {@code timestamp}, with that timestamp; {@code null} if no record is that new.
     */
    public TimestampOffset offsetForTimestamp(long timestamp) {
        return local.offsetForTimestamp(timestamp, local.logStartOffset());
    }

    /** The largest record timestamp in the log, or -1 if it has none. */
    public long maxTimestamp() {
        return local.maxTimestamp();
    }

    // ---- offsets ----------------------------------------------------------------------------

    public TopicPartition topicPartition() {
        return topicPartition;
    }

    public Path dir() {
        return local.dir();
    }

    public LogConfig config() {
        return local.config();
    }

    /** Applies new settings, to the active segment too; they take effect from the next append, roll or retention run. */
    public void updateConfig(LogConfig newConfig) {
        synchronized (lock) {
            local.updateConfig(newConfig);
        }
    }

    public long logStartOffset() {
        return local.logStartOffset();
    }

    public long logEndOffset() {
        return local.logEndOffset();
    }

    public long recoveryPoint() {
        return local.recoveryPoint();
    }

    public long highWatermark() {
        return highWatermark.value();
    }

    /**
     * The last stable offset (LSO): the high watermark, or the first offset of the oldest
     * transaction not yet stable if that is lower. read_committed consumers read below it.
     */
    public long lastStableOffset() {
        return highWatermark.lastStableOffset();
    }

    /** The first offset of the oldest transaction not yet stable, or -1 if every record is stable. */
    public long firstUnstableOffset() {
        return producerState.transactions().publishedFirstUnstableOffset();
    }

    /** The transactions open on this partition, oldest first (metrics, DescribeProducers). */
    public List<ProducerStateManager.TxnMetadata> ongoingTransactions() {
        synchronized (lock) {
            return producerState.transactions().ongoing();
        }
    }

    /**
     * Moves the high watermark up to {@code offset} (clamped to the log end), never down: concurrent
     * callers each propose what they computed and the largest wins.
     *
     * @return whether it moved
     */
    public boolean maybeIncrementHighWatermark(long offset) {
        synchronized (lock) {
            return highWatermark.maybeIncrement(offset);
        }
    }

    /** Sets the high watermark, clamped to [log start, log end]; returns the value set. */
    public long updateHighWatermark(long offset) {
        synchronized (lock) {
            return highWatermark.update(offset);
        }
    }

    /** The idempotent producers' state (read it under no expectation of consistency: tests and metrics). */
    public Map<Long, ProducerStateEntry> activeProducers() {
        synchronized (lock) {
            return producerState.activeProducers();
        }
    }

    public LeaderEpochCache leaderEpochs() {
        return epochs;
    }

    public int numberOfSegments() {
        return local.segments().count();
    }

    /** Base offsets of the segments, oldest first. */
    public List<Long> segmentBaseOffsets() {
        return local.segments().baseOffsets();
    }

    public long sizeInBytes() {
        return local.segments().sizeInBytes();
    }

    // ---- truncation, DeleteRecords, retention -----------------------------------------------

    /**
     * Removes every batch at or above {@code offset} (a follower discarding a divergent suffix).
     * An offset inside a batch removes the whole batch. An offset below the log start empties the
     * log and restarts it there.
     */
    public void truncateTo(long offset) {
        synchronized (lock) {
            ensureOpen();
            truncation.truncateTo(offset);
        }
    }

    /** Deletes every segment and restarts the log empty at {@code offset}. */
    public void truncateFullyAndStartAt(long offset) {
        synchronized (lock) {
            ensureOpen();
            truncation.truncateFullyAndStartAt(offset);
        }
    }

    /**
     * Moves the log start offset up to {@code offset} (DeleteRecords): records below it are no
     * longer readable and whole segments below it are deleted.
     *
     * @return whether the start moved
     * @throws LogException OFFSET_OUT_OF_RANGE if {@code offset} is above the high watermark
     */
    public boolean advanceLogStartOffset(long offset) {
        synchronized (lock) {
            ensureOpen();
            return retention.advanceLogStartOffset(offset, highWatermark);
        }
    }

    /**
     * Applies retention (see {@link LogRetention}): deletes the oldest segments while they are past
     * {@code retention.ms}, while the log is over {@code retention.bytes}, or while they lie wholly
     * below the log start. Never deletes the last segment; an expired active segment is rolled
     * first so it can go.
     *
     * @return the number of segments deleted
     */
    public int deleteOldSegments() {
        synchronized (lock) {
            if (local.isClosed()) {
                return 0;
            }
            LogConfig cfg = local.config();
            long now = clock.millis();
            if (retention.activeSegmentExpired(cfg, now, highWatermark.value())) {
                roll();
            }
            int deleted = retention.deleteOldSegments(cfg, now, highWatermark.value());
            if (deleted > 0) {
                producerState.onLogStartOffsetIncremented(local.logStartOffset());
                highWatermark.publishFirstUnstableOffset();
            }
            return deleted;
        }
    }

    /** Rolls the active segment if {@code segment.ms} has passed, for logs that no append rolls. */
    public void rollIfExpired() {
        synchronized (lock) {
            if (!local.isClosed() && local.segments().active().isOlderThanSegmentMs(clock.millis())) {
                roll();
            }
        }
    }

    // ---- what the cleaner needs -------------------------------------------------------------

    /** The segments, oldest first, the last one active: the cleaner reads them without the lock. */
    List<LogSegment> segments() {
        return List.copyOf(local.segments().all());
    }

    boolean isClosed() {
        return local.isClosed();
    }

    /** How many truncations the log has had since it opened. */
    long truncationCount() {
        return truncation.count();
    }

    /** The lowest offset truncated to since the last call (the cleaner lowers its checkpoint there), or -1. */
    long takeLowestTruncation() {
        synchronized (lock) {
            return truncation.takeLowest();
        }
    }

    /**
     * Puts {@code cleaned} (written and fsynced with the {@code .cleaned} suffix) in place of
     * {@code sources}, as {@link LocalLog#replaceSegments} describes, if the log is still as the
     * cleaning saw it: open, no truncation since {@code truncationsSeen}, and every source still in
     * the log and not active (retention or a truncation may have removed one meanwhile).
     *
     * @return whether the swap happened; if not, the caller deletes {@code cleaned}
     */
    boolean replaceSegments(List<LogSegment> sources, LogSegment cleaned, long truncationsSeen) throws IOException {
        synchronized (lock) {
            if (local.isClosed() || truncation.count() != truncationsSeen) {
                return false;
            }
            LogSegment active = local.segments().active();
            for (LogSegment source : sources) {
                if (source == active || local.segments().floor(source.baseOffset()) != source) {
                    return false;
                }
            }
            local.replaceSegments(sources, cleaned);
            return true;
        }
    }

    // ---- flushing and closing ---------------------------------------------------------------

    /** Fsyncs everything appended so far and moves the recovery point to the log end. */
    public void flush() {
        flush(local.logEndOffset());
    }

    /** Fsyncs the segments holding offsets below {@code offset} and moves the recovery point there. */
    public void flush(long offset) {
        local.flush(offset);
    }

    /** Flushes if {@code flush.ms} has passed since the last flush. */
    public void flushIfDue() {
        local.flushIfDue();
    }

    /** Flushes and closes every segment; the log takes no more operations. */
    @Override
    public void close() {
        synchronized (lock) {
            if (local.isClosed()) {
                return;
            }
            flush();
            try {
                producerState.takeSnapshot();
            } catch (IOException e) {
                log.warn("Cannot snapshot the producer state of {}; it will be rebuilt from the log", topicPartition, e);
            }
            local.close();
        }
    }

    /** Closes the log and removes its directory. */
    void delete() throws IOException {
        synchronized (lock) {
            local.delete();
        }
    }

    private void ensureOpen() {
        if (local.isClosed()) {
            throw new LogException(LogError.STORAGE_ERROR, "log of " + topicPartition + " is closed");
        }
    }

    @Override
    public String toString() {
        return "PartitionLog(" + topicPartition + ", start=" + local.logStartOffset() + ", end=" + local.logEndOffset()
                + ")";
    }
}
