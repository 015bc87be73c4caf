package dev.runnel.broker.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.common.TopicPartition;
import dev.runnel.common.time.Scheduler;

/**
 * The log of one partition: a directory of {@link LogSegment}s, the newest of which (the active
 * segment) takes appends, plus the {@link LeaderEpochCache}.
 *
 * <pre>
 *  logStartOffset       segments (by base offset)                       logEndOffset
 *       v                                                                     v
 *  [00..00000 .log/.index/.timeindex][00..01042 ...]...[00..93810 (active)   ]
 *                      ^ recoveryPoint: below it, fsynced     ^ highWatermark: below it, readable by consumers
 * </pre>
 *
 * <p>Thread-safety: appends, truncation, rolls and retention are serialised on one lock; reads
 * take no lock. A read captures the published end of the log ({@link #logEndOffset()} and the
 * active segment's size, published together after the bytes are written) and never reads past it.
 * Deleted segments' files stay for {@code file.delete.delay.ms}, so a read that captured one can
 * still send it.
 */
public final class PartitionLog implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PartitionLog.class);

    /** Kafka's {@code producer.id.expiration.ms} default: producers silent this long are forgotten. */
    static final long PRODUCER_ID_EXPIRATION_MS = 24L * 3600 * 1000;
    private static final int REPLAY_CHUNK_BYTES = 1024 * 1024;

    private final Path dir;
    private final TopicPartition topicPartition;
    private final Clock clock;
    private final Scheduler scheduler;
    private final LogSegments segments;
    private final LeaderEpochCache epochs;
    private final ProducerStateManager producerState;
    private final Object lock = new Object();
    /** Serialises flushes; taken after {@code lock} (an append may flush), never before it. */
    private final Object flushLock = new Object();

    private volatile LogConfig config;
    private volatile LogEnd end;
    private volatile long logStartOffset;
    private volatile long recoveryPoint;
    private volatile long highWatermark;
    /** Written under {@code lock} by appends, reset by flushes; a lost increment only delays a flush. */
    private volatile long unflushedRecords;
    private volatile long lastFlushMs;
    private volatile boolean closed;

    /** The end of the log as readers see it: the next offset and where the active segment ends. */
    private record LogEnd(long nextOffset, long segmentBase, int segmentSize) {
    }

    /** A read's answer: the bytes (possibly none) and the log's offsets when it was read. */
    public record ReadResult(FileSlice slice, long logStartOffset, long logEndOffset, long highWatermark) {
        public boolean isEmpty() {
            return slice == null || slice.size() == 0;
        }
    }

    private PartitionLog(Path dir, TopicPartition topicPartition, LogConfig config, Clock clock, Scheduler scheduler,
            LeaderEpochCache epochs, ProducerStateManager producerState) {
        this.dir = dir;
        this.producerState = producerState;
        this.topicPartition = topicPartition;
        this.config = config;
        this.clock = clock;
        this.scheduler = scheduler;
        this.epochs = epochs;
        this.segments = new LogSegments(topicPartition.toString(), scheduler);
    }

    /**
     * Opens the log in {@code dir} (creating the directory if needed), recovering it as
     * {@link LogRecovery} describes.
     *
     * @param highWatermark the checkpointed high watermark, clamped into the recovered log
     */
    static PartitionLog open(Path dir, TopicPartition topicPartition, LogConfig config, Clock clock,
            Scheduler scheduler, LogRecovery.LoadParams params, long highWatermark) throws IOException {
        Files.createDirectories(dir);
        LogRecovery.Loaded loaded = LogRecovery.load(dir, config, params, clock.millis());
        LeaderEpochCache epochs = LeaderEpochCache.open(dir);
        epochs.truncateFromEnd(loaded.logEndOffset());
        epochs.truncateFromStart(loaded.logStartOffset());
        ProducerStateManager producerState = ProducerStateManager.open(dir, PRODUCER_ID_EXPIRATION_MS);
        PartitionLog partitionLog = new PartitionLog(dir, topicPartition, config, clock, scheduler, epochs, producerState);
        loaded.segments().values().forEach(partitionLog.segments::add);
        LogSegment active = loaded.segments().lastEntry().getValue();
        partitionLog.end = new LogEnd(loaded.logEndOffset(), active.baseOffset(), active.size());
        partitionLog.logStartOffset = loaded.logStartOffset();
        partitionLog.recoveryPoint = loaded.recoveryPoint();
        partitionLog.highWatermark = Math.min(Math.max(highWatermark, loaded.logStartOffset()), loaded.logEndOffset());
        partitionLog.lastFlushMs = clock.millis();
        partitionLog.rebuildProducerState();
        if (epochs.wasCorrupt()) {
            partitionLog.rebuildLeaderEpochs();
        }
        return partitionLog;
    }

    /**
     * Loads the newest producer snapshot within the log and replays the batches after it, so the
     * idempotent producers' state matches the log again (after opening or truncating it).
     */
    private void rebuildProducerState() throws IOException {
        long logEnd = end.nextOffset();
        producerState.truncateAndReload(logStartOffset, logEnd, clock.millis());
        replayBatches(Math.max(producerState.mapEndOffset(), logStartOffset), logEnd, "producer state", (bytes, at, size) ->
                // Live appends count expiry from the broker's clock, which a replay cannot know: a record
                // timestamp may be days old (CreateTime), so count from now at the latest, and never
                // forget a producer sooner than a broker that had not crashed would.
                producerState.update(bytes.duplicate().position(at).limit(at + size).slice(),
                        Math.max(RecordBatchHeader.maxTimestamp(bytes, at), clock.millis())));
        log.debug("Producer state of {} rebuilt: {} producers", topicPartition, producerState.activeProducers().size());
    }

    /**
     * Rebuilds the leader epoch cache from the leader epoch every batch carries, after its
     * checkpoint was found corrupt (Kafka's recovery assigns epochs from batches the same way).
     */
    private void rebuildLeaderEpochs() throws IOException {
        replayBatches(logStartOffset, end.nextOffset(), "leader epochs", (bytes, at, size) ->
                epochs.assign(RecordBatchHeader.partitionLeaderEpoch(bytes, at), RecordBatchHeader.baseOffset(bytes, at)));
        log.warn("Leader epochs of {} rebuilt from its batches: {}", topicPartition, epochs.entries());
    }

    /** One batch of a replay: {@code size} bytes at {@code at} in {@code bytes}. */
    @FunctionalInterface
    private interface BatchVisitor {
        void visit(ByteBuffer bytes, int at, int size);
    }

    /** Reads the batches in [{@code from}, {@code to}) in chunks and hands each to {@code visitor}. */
    private void replayBatches(long from, long to, String what, BatchVisitor visitor) throws IOException {
        long next = from;
        while (next < to) {
            ReadResult chunk = read(next, REPLAY_CHUNK_BYTES, to, true);
            if (chunk.isEmpty()) {
                break;
            }
            ByteBuffer bytes = chunk.slice().readFully();
            int at = 0;
            while (at + RecordBatchHeader.HEADER_SIZE <= bytes.limit()
                    && at + RecordBatchHeader.sizeInBytes(bytes, at) <= bytes.limit()) {
                int size = RecordBatchHeader.sizeInBytes(bytes, at);
                visitor.visit(bytes, at, size);
                next = RecordBatchHeader.lastOffset(bytes, at) + 1;
                at += size;
            }
            if (at == 0) {
                throw new LogException(LogError.CORRUPT_RECORD, "cannot replay the " + what + " of " + topicPartition
                        + " at offset " + next);
            }
        }
    }

    // ---- appending --------------------------------------------------------------------------

    /**
     * Appends a producer's batches as leader: validates them, assigns offsets from the log end
     * and stamps {@code leaderEpoch}. A refused append throws {@link LogException} and changes nothing.
     */
    public AppendInfo appendAsLeader(ByteBuffer records, int leaderEpoch) {
        return append(records, true, leaderEpoch);
    }

    /** Appends a leader's batches as follower, keeping their offsets and epochs. */
    public AppendInfo appendAsFollower(ByteBuffer records) {
        return append(records, false, -1);
    }

    private AppendInfo append(ByteBuffer records, boolean asLeader, int leaderEpoch) {
        // The byte-level checks need no lock (see BatchValidator); only placing the batches does.
        LogConfig cfg = config;
        if (records.remaining() > cfg.segmentBytes()) {
            throw new LogException(LogError.RECORD_BATCH_TOO_LARGE, "append of " + records.remaining()
                    + " bytes is larger than segment.bytes " + cfg.segmentBytes());
        }
        long now = clock.millis();
        BatchValidator.Checked checked = asLeader
                ? BatchValidator.checkFromClient(records, cfg, now)
                : BatchValidator.checkFromLeader(records, cfg.maxMessageBytes());
        synchronized (lock) {
            ensureOpen();
            long nextOffset = end.nextOffset();
            if (asLeader) {
                ProducerStateManager.DuplicateBatch duplicate = producerState.checkLeaderAppend(records);
                if (duplicate != null) {
                    return new AppendInfo(duplicate.firstOffset(), duplicate.lastOffset(), duplicate.maxTimestamp(),
                            duplicate.lastOffset(), 1, 0, 0, leaderEpoch, -1, true);
                }
            }
            AppendInfo info = asLeader
                    ? BatchValidator.assignOffsets(records, checked, nextOffset, leaderEpoch, cfg.logAppendTime() ? now : -1)
                    : BatchValidator.checkOffsets(records, checked, nextOffset);
            try {
                LogSegment segment = maybeRoll(info);
                segment.append(records, info);
                if (asLeader) {
                    epochs.assign(leaderEpoch, info.firstOffset());
                } else {
                    assignFollowerEpochs(records);
                }
                end = new LogEnd(info.nextOffset(), segment.baseOffset(), segment.size());
                producerState.update(records, clock.millis());
                unflushedRecords += info.recordCount();
            } catch (IOException | RuntimeException e) {
                if (e instanceof LogException logException) {
                    throw logException;
                }
                throw new LogException(LogError.STORAGE_ERROR, "append to " + topicPartition + " failed", e);
            }
            if (unflushedRecords >= cfg.flushMessages()) {
                flush();
            }
            return info;
        }
    }

    private void assignFollowerEpochs(ByteBuffer records) {
        for (int at = records.position(); at < records.limit(); at += RecordBatchHeader.sizeInBytes(records, at)) {
            epochs.assign(RecordBatchHeader.partitionLeaderEpoch(records, at), RecordBatchHeader.baseOffset(records, at));
        }
    }

    private LogSegment maybeRoll(AppendInfo info) throws IOException {
        LogSegment active = segments.active();
        if (active.shouldRoll(info.sizeInBytes(), info.maxTimestamp(), info.lastOffset(), clock.millis())) {
            return roll(Math.max(info.firstOffset(), end.nextOffset()));
        }
        return active;
    }

    /** Starts a new active segment at {@code baseOffset} (an empty active segment is reused). Caller holds the lock. */
    private LogSegment roll(long baseOffset) throws IOException {
        LogSegment previous = segments.active();
        if (previous.size() == 0) {
            if (previous.baseOffset() == baseOffset) {
                return previous;
            }
            segments.removeEmpty(previous);
        } else {
            previous.onBecomeInactive();
        }
        LogSegment next = LogSegment.open(dir, baseOffset, config, clock.millis());
        segments.add(next);
        end = new LogEnd(end.nextOffset(), baseOffset, 0);
        // Recovery replays producer state from the newest snapshot: one per segment bounds the replay.
        producerState.takeSnapshot();
        // The rolled segment is complete: fsync it off the append path and move the recovery point.
        scheduler.schedule("flush-" + topicPartition, () -> flush(baseOffset), Duration.ZERO);
        log.debug("Rolled {} to a new segment at {}", topicPartition, baseOffset);
        return next;
    }

    /** Rolls now if the active segment has records (a quiet log's time-based roll, or an operator's). */
    public void roll() {
        synchronized (lock) {
            ensureOpen();
            if (segments.active().size() > 0) {
                try {
                    roll(end.nextOffset());
                } catch (IOException e) {
                    throw new LogException(LogError.STORAGE_ERROR, "roll of " + topicPartition + " failed", e);
                }
            }
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
        LogEnd snapshot = end;
        long start = logStartOffset;
        if (startOffset < start || startOffset > snapshot.nextOffset()) {
            throw new LogException(LogError.OFFSET_OUT_OF_RANGE, "offset " + startOffset + " is outside "
                    + topicPartition + " [" + start + ", " + snapshot.nextOffset() + "]");
        }
        long bound = Math.min(maxOffset, snapshot.nextOffset());
        try {
            LogSegment segment = segments.floor(startOffset);
            while (segment != null && startOffset < bound) {
                LogSegment next = segments.next(segment);
                int maxPosition = maxPosition(segment, next, bound, snapshot);
                FileSlice slice = segment.read(startOffset, maxBytes, maxPosition, minOneMessage);
                if (slice != null) {
                    return new ReadResult(slice, start, snapshot.nextOffset(), highWatermark);
                }
                segment = next;
            }
        } catch (IOException | IllegalStateException e) {
            // IllegalStateException: the segment's index closed under us (deleted long after this read began).
            throw new LogException(LogError.STORAGE_ERROR, "read of " + topicPartition + " failed", e);
        }
        return new ReadResult(null, start, snapshot.nextOffset(), highWatermark);
    }

    /**
     * The file position in {@code segment} that reads must stop at so as not to pass {@code bound}.
     * Only the segment holding the bound needs a lookup; a catch-up read of an older segment must
     * not pay for one.
     */
    private static int maxPosition(LogSegment segment, LogSegment next, long bound, LogEnd snapshot)
            throws IOException {
        int size = segment.baseOffset() == snapshot.segmentBase() ? snapshot.segmentSize() : segment.size();
        if (bound >= snapshot.nextOffset() || (next != null && next.baseOffset() <= bound)) {
            return size;
        }
        LogFile.BatchPosition at = segment.locate(bound);
        return at == null ? size : Math.min(size, at.position());
    }

    /**
     * The first offset at or after the log start whose record timestamp is at least
     * {@code timestamp}, with that timestamp; {@code null} if no record is that new.
     */
    public TimestampOffset offsetForTimestamp(long timestamp) {
        long start = logStartOffset;
        try {
            for (LogSegment segment : segments.all()) {
                if (segment.maxTimestamp() < timestamp || segment.size() == 0) {
                    continue;
                }
                TimestampOffset found = segment.findOffsetByTimestamp(timestamp, start);
                if (found != null) {
                    return found;
                }
            }
        } catch (IOException e) {
            throw new LogException(LogError.STORAGE_ERROR, "timestamp lookup in " + topicPartition + " failed", e);
        }
        return null;
    }

    /** The largest record timestamp in the log, or -1 if it has none. */
    public long maxTimestamp() {
        long max = -1;
        for (LogSegment segment : segments.all()) {
            max = Math.max(max, segment.maxTimestamp());
        }
        return max;
    }

    // ---- offsets ----------------------------------------------------------------------------

    public TopicPartition topicPartition() {
        return topicPartition;
    }

    public Path dir() {
        return dir;
    }

    public LogConfig config() {
        return config;
    }

    /** Applies new settings, to the active segment too; they take effect from the next append, roll or retention run. */
    public void updateConfig(LogConfig newConfig) {
        synchronized (lock) {
            this.config = newConfig;
            for (LogSegment segment : segments.all()) {
                segment.updateConfig(newConfig);
            }
        }
    }

    public long logStartOffset() {
        return logStartOffset;
    }

    public long logEndOffset() {
        return end.nextOffset();
    }

    public long recoveryPoint() {
        return recoveryPoint;
    }

    public long highWatermark() {
        return highWatermark;
    }

    /**
     * Moves the high watermark up to {@code offset} (clamped to the log end), never down: concurrent
     * callers each propose what they computed and the largest wins.
     *
     * @return whether it moved
     */
    public boolean maybeIncrementHighWatermark(long offset) {
        synchronized (lock) {
            long next = Math.min(Math.max(offset, logStartOffset), end.nextOffset());
            if (next <= highWatermark) {
                return false;
            }
            highWatermark = next;
            return true;
        }
    }

    /** Sets the high watermark, clamped to [log start, log end]; returns the value set. */
    public long updateHighWatermark(long offset) {
        synchronized (lock) {
            highWatermark = Math.min(Math.max(offset, logStartOffset), end.nextOffset());
            return highWatermark;
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
        return segments.count();
    }

    /** Base offsets of the segments, oldest first. */
    public List<Long> segmentBaseOffsets() {
        return segments.baseOffsets();
    }

    public long sizeInBytes() {
        return segments.sizeInBytes();
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
            if (offset >= end.nextOffset()) {
                return;
            }
            if (offset < logStartOffset) {
                truncateFullyAndStartAt(offset);
                return;
            }
            try {
                // Newest first: a crash part way leaves a shorter log, never one with a hole.
                for (LogSegment segment : segments.after(offset)) {
                    removeSegment(segment);
                }
                LogSegment active = segments.active();
                active.truncateTo(offset);
                active.onBecomeActive();
                long newEnd = active.readNextOffset();
                end = new LogEnd(newEnd, active.baseOffset(), active.size());
                afterTruncation(newEnd);
                rebuildProducerState();
            } catch (IOException e) {
                throw new LogException(LogError.STORAGE_ERROR, "truncation of " + topicPartition + " failed", e);
            }
            log.info("Truncated {} to offset {}", topicPartition, end.nextOffset());
        }
    }

    /** Deletes every segment and restarts the log empty at {@code offset}. */
    public void truncateFullyAndStartAt(long offset) {
        synchronized (lock) {
            ensureOpen();
            try {
                for (LogSegment segment : segments.newestFirst()) {
                    removeSegment(segment);
                }
                segments.add(LogSegment.open(dir, offset, config, clock.millis()));
                end = new LogEnd(offset, offset, 0);
                logStartOffset = offset;
                highWatermark = offset;
                recoveryPoint = offset;
                epochs.clear();
                producerState.truncateFullyAndStartAt(offset);
            } catch (IOException e) {
                throw new LogException(LogError.STORAGE_ERROR, "truncation of " + topicPartition + " failed", e);
            }
        }
    }

    private void afterTruncation(long newEnd) {
        epochs.truncateFromEnd(newEnd);
        recoveryPoint = Math.min(recoveryPoint, newEnd);
        highWatermark = Math.min(highWatermark, newEnd);
        logStartOffset = Math.min(logStartOffset, newEnd);
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
            if (offset > highWatermark) {
                throw new LogException(LogError.OFFSET_OUT_OF_RANGE, "cannot delete records of " + topicPartition
                        + " up to " + offset + ": the high watermark is " + highWatermark);
            }
            if (offset <= logStartOffset) {
                return false;
            }
            logStartOffset = offset;
            epochs.truncateFromStart(offset);
            deleteSegmentsWhile((segment, next) -> next != null && next.baseOffset() <= logStartOffset, "log start offset");
            return true;
        }
    }

    /**
     * Applies retention: deletes the oldest segments while they are past {@code retention.ms},
     * while the log is over {@code retention.bytes}, or while they lie wholly below the log start.
     * Never deletes the last segment; an expired active segment is rolled first so it can go.
     *
     * @return the number of segments deleted
     */
    public int deleteOldSegments() {
        synchronized (lock) {
            if (closed) {
                return 0;
            }
            LogConfig cfg = config;
            long now = clock.millis();
            int deleted = 0;
            if (cfg.retentionMs() >= 0) {
                LogSegment active = segments.active();
                if (active.size() > 0 && now - active.largestTimestampForRetention() > cfg.retentionMs()
                        && end.nextOffset() <= highWatermark) {
                    roll();
                }
                deleted += deleteSegmentsWhile((s, next) -> now - s.largestTimestampForRetention() > cfg.retentionMs(),
                        "retention.ms");
            }
            if (cfg.retentionBytes() >= 0) {
                long[] excess = {sizeInBytes() - cfg.retentionBytes()};
                deleted += deleteSegmentsWhile((s, next) -> {
                    if (excess[0] >= s.size()) {
                        excess[0] -= s.size();
                        return true;
                    }
                    return false;
                }, "retention.bytes");
            }
            deleted += deleteSegmentsWhile((s, next) -> next != null && next.baseOffset() <= logStartOffset,
                    "log start offset");
            producerState.removeExpiredProducers(now);
            return deleted;
        }
    }

    /** Rolls the active segment if {@code segment.ms} has passed, for logs that no append rolls. */
    public void rollIfExpired() {
        synchronized (lock) {
            if (!closed && segments.active().isOlderThanSegmentMs(clock.millis())) {
                roll();
            }
        }
    }

    @FunctionalInterface
    private interface SegmentTest {
        boolean test(LogSegment segment, LogSegment next);
    }

    /**
     * Deletes segments from the oldest while {@code test} holds, never the active one and never
     * one holding records at or above the high watermark (uncommitted records are not expired).
     * Caller holds the lock.
     */
    private int deleteSegmentsWhile(SegmentTest test, String reason) {
        int deleted = 0;
        try {
            while (segments.count() > 1) {
                LogSegment oldest = segments.oldest();
                LogSegment next = segments.next(oldest);
                if (next.baseOffset() > highWatermark || !test.test(oldest, next)) {
                    break;
                }
                removeSegment(oldest);
                logStartOffset = Math.max(logStartOffset, next.baseOffset());
                deleted++;
                log.info("Deleted segment {} of {} ({})", oldest.baseOffset(), topicPartition, reason);
            }
        } catch (IOException e) {
            throw new LogException(LogError.STORAGE_ERROR, "deleting segments of " + topicPartition + " failed", e);
        }
        if (deleted > 0) {
            epochs.truncateFromStart(logStartOffset);
            try {
                producerState.deleteSnapshotsBelow(segments.oldest().baseOffset());
            } catch (IOException e) {
                log.warn("Cannot delete old producer snapshots of {}", topicPartition, e);
            }
        }
        return deleted;
    }

    /** Takes a segment out of the log; its files go after {@code file.delete.delay.ms}. Caller holds the lock. */
    private void removeSegment(LogSegment segment) throws IOException {
        segments.remove(segment, Duration.ofMillis(config.fileDeleteDelayMs()));
    }

    // ---- flushing and closing ---------------------------------------------------------------

    /** Fsyncs everything appended so far and moves the recovery point to the log end. */
    public void flush() {
        flush(end.nextOffset());
    }

    /** Fsyncs the segments holding offsets below {@code offset} and moves the recovery point there. */
    public void flush(long offset) {
        synchronized (flushLock) {
            long target = Math.min(offset, end.nextOffset());
            if (target <= recoveryPoint || closed) {
                return;
            }
            try {
                for (LogSegment segment : segments.holding(recoveryPoint, target)) {
                    segment.flush();
                }
            } catch (IOException e) {
                throw new LogException(LogError.STORAGE_ERROR, "flush of " + topicPartition + " failed", e);
            }
            // A truncation racing this flush may have moved the end below target.
            recoveryPoint = Math.min(Math.max(recoveryPoint, target), end.nextOffset());
            lastFlushMs = clock.millis();
            unflushedRecords = 0;
        }
    }

    /** Flushes if {@code flush.ms} has passed since the last flush. */
    public void flushIfDue() {
        if (clock.millis() - lastFlushMs >= config.flushMs() && end.nextOffset() > recoveryPoint) {
            flush();
        }
    }

    /** Flushes and closes every segment; the log takes no more operations. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            flush();
            try {
                producerState.takeSnapshot();
            } catch (IOException e) {
                log.warn("Cannot snapshot the producer state of {}; it will be rebuilt from the log", topicPartition, e);
            }
            closed = true;
            for (LogSegment segment : segments.all()) {
                try {
                    segment.close();
                } catch (IOException e) {
                    log.warn("Closing {} of {} failed", segment, topicPartition, e);
                }
            }
        }
    }

    /** Closes the log and removes its directory. */
    void delete() throws IOException {
        synchronized (lock) {
            closed = true;
            segments.deleteAll();
            try (var files = Files.list(dir)) {
                for (Path file : (Iterable<Path>) files::iterator) {
                    Files.deleteIfExists(file);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new LogException(LogError.STORAGE_ERROR, "log of " + topicPartition + " is closed");
        }
    }

    @Override
    public String toString() {
        return "PartitionLog(" + topicPartition + ", start=" + logStartOffset + ", end=" + end.nextOffset() + ")";
    }
}
