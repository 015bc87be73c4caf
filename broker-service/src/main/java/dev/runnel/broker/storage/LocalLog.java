package dev.runnel.broker.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.common.TopicPartition;
import dev.runnel.common.time.Scheduler;

/**
 * The segments of one partition log on local disk, as Kafka's {@code LocalLog} is to its
 * {@code UnifiedLog}: it appends to the active segment, rolls, reads, truncates, removes segments
 * and flushes. It owns the offsets that bound its files: the log start (below it nothing is
 * readable), the log end and the recovery point. What else the offsets mean to clients (high
 * watermark, leader epochs, producer state) belongs to the {@link PartitionLog} that owns this one.
 *
 * <pre>
 *  logStartOffset
 *       v
 *  [00..00000 .log/.index/.timeindex][00..01042 ...]...[00..93810 (active)          ]
 *                ^ recoveryPoint: below it, fsynced                  ^ end: next offset and the
 *                                                                      active segment's size
 * </pre>
 *
 * <p>Locking. This class takes no lock for what changes the segments or the log start (append,
 * roll, truncation, removal, config, close, delete): its owners ({@link PartitionLog},
 * {@link LogAppender}, {@link LogTruncation}, {@link LogRetention}) call all of those holding the
 * {@link PartitionLog} lock, which serialises them. Reads take no lock: a read captures {@link #end()} (the next offset
 * and the active segment's size, published together after the bytes are written) and never reads
 * past it; a removed segment's files stay for {@code file.delete.delay.ms}, so a read that captured
 * one can still send it. Flushes serialise on this class's flush lock, which is taken after the
 * PartitionLog lock (an append may flush) and never before it; a flush runs with or without the
 * PartitionLog lock.
 */
final class LocalLog {

    private static final Logger log = LoggerFactory.getLogger(LocalLog.class);

    /** The end of the log as readers see it: the next offset and where the active segment ends. */
    record LogEnd(long nextOffset, long segmentBase, int segmentSize) {
    }

    private final Path dir;
    private final TopicPartition topicPartition;
    private final Clock clock;
    private final LogSegments segments;
    /** Serialises flushes; taken after the PartitionLog lock, never before it. */
    private final Object flushLock = new Object();

    private volatile LogConfig config;
    private volatile long logStartOffset;
    private volatile LogEnd end;
    private volatile long recoveryPoint;
    /** Written under the PartitionLog lock by appends, reset by flushes; a lost increment only delays a flush. */
    private volatile long unflushedRecords;
    private volatile long lastFlushMs;
    private volatile boolean closed;

    /**
     * A log of the segments {@link LogRecovery} loaded (by base offset, the last one active), which
     * is readable from {@code logStartOffset}, whose next offset is {@code logEndOffset} and which is
     * fsynced below {@code recoveryPoint}.
     */
    LocalLog(Path dir, TopicPartition topicPartition, LogConfig config, Clock clock, Scheduler scheduler,
            NavigableMap<Long, LogSegment> loaded, long logStartOffset, long logEndOffset, long recoveryPoint) {
        this.dir = dir;
        this.topicPartition = topicPartition;
        this.config = config;
        this.clock = clock;
        this.segments = new LogSegments(topicPartition.toString(), scheduler);
        loaded.values().forEach(segments::add);
        LogSegment active = loaded.lastEntry().getValue();
        this.logStartOffset = logStartOffset;
        this.end = new LogEnd(logEndOffset, active.baseOffset(), active.size());
        this.recoveryPoint = recoveryPoint;
        this.lastFlushMs = clock.millis();
    }

    Path dir() {
        return dir;
    }

    TopicPartition topicPartition() {
        return topicPartition;
    }

    LogConfig config() {
        return config;
    }

    /** The segments, for retention's walk and the owner's size and count queries. */
    LogSegments segments() {
        return segments;
    }

    long logStartOffset() {
        return logStartOffset;
    }

    /** Sets the log start offset, which the caller has checked against the segments. Caller holds the PartitionLog lock. */
    void updateLogStartOffset(long offset) {
        logStartOffset = offset;
    }

    LogEnd end() {
        return end;
    }

    long logEndOffset() {
        return end.nextOffset();
    }

    long recoveryPoint() {
        return recoveryPoint;
    }

    /** Sets the recovery point (after a truncation). Caller holds the PartitionLog lock. */
    void updateRecoveryPoint(long offset) {
        recoveryPoint = offset;
    }

    boolean isClosed() {
        return closed;
    }

    long unflushedRecords() {
        return unflushedRecords;
    }

    /** Applies new settings, to every segment too. Caller holds the PartitionLog lock. */
    void updateConfig(LogConfig newConfig) {
        this.config = newConfig;
        for (LogSegment segment : segments.all()) {
            segment.updateConfig(newConfig);
        }
    }

    // ---- appending and rolling --------------------------------------------------------------

    /** Whether {@code info}'s batches must go to a new segment (see {@link LogSegment#shouldRoll}). */
    boolean shouldRoll(AppendInfo info) {
        return segments.active().shouldRoll(info.sizeInBytes(), info.maxTimestamp(), info.lastOffset(), clock.millis());
    }

    /**
     * Writes validated batches to the active segment; readers see them only after
     * {@link #updateLogEnd}. Caller holds the PartitionLog lock.
     */
    void append(ByteBuffer records, AppendInfo info) throws IOException {
        segments.active().append(records, info);
    }

    /** Publishes {@code nextOffset} as the log end, with the active segment's size. Caller holds the PartitionLog lock. */
    void updateLogEnd(long nextOffset) {
        LogSegment active = segments.active();
        end = new LogEnd(nextOffset, active.baseOffset(), active.size());
    }

    /** Counts records appended since the last flush. Caller holds the PartitionLog lock. */
    void addUnflushed(int records) {
        unflushedRecords += records;
    }

    /**
     * Starts a new active segment at {@code baseOffset}. An empty active segment is reused when it
     * has that base offset (and returned: nothing rolled) and dropped otherwise. Caller holds the
     * PartitionLog lock.
     *
     * @return the active segment after the roll
     */
    LogSegment roll(long baseOffset) throws IOException {
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
        return next;
    }

    // ---- reading ----------------------------------------------------------------------------

    /**
     * Reads batches starting with the one holding {@code startOffset}, as {@link PartitionLog#read}
     * describes, from the log as it was at {@code snapshot} (a value of {@link #end()}).
     *
     * @return the slice, or {@code null} if no batch below the bound holds {@code startOffset} or a later one
     * @throws LogException OFFSET_OUT_OF_RANGE if {@code startOffset} is below {@code logStartOffset} or past the end
     */
    FileSlice read(long startOffset, int maxBytes, long maxOffset, boolean minOneMessage, long logStartOffset,
            LogEnd snapshot) {
        if (startOffset < logStartOffset || startOffset > snapshot.nextOffset()) {
            throw new LogException(LogError.OFFSET_OUT_OF_RANGE, "offset " + startOffset + " is outside "
                    + topicPartition + " [" + logStartOffset + ", " + snapshot.nextOffset() + "]");
        }
        long bound = Math.min(maxOffset, snapshot.nextOffset());
        try {
            LogSegment segment = segments.floor(startOffset);
            while (segment != null && startOffset < bound) {
                LogSegment next = segments.next(segment);
                int maxPosition = maxPosition(segment, next, bound, snapshot);
                FileSlice slice = segment.read(startOffset, maxBytes, maxPosition, minOneMessage);
                if (slice != null) {
                    return slice;
                }
                segment = next;
            }
        } catch (IOException | IllegalStateException e) {
            // IllegalStateException: the segment's index closed under us (deleted long after this read began).
            throw new LogException(LogError.STORAGE_ERROR, "read of " + topicPartition + " failed", e);
        }
        return null;
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

    /** See {@link PartitionLog#offsetForTimestamp}; records below {@code startOffset} do not count. */
    TimestampOffset offsetForTimestamp(long timestamp, long startOffset) {
        try {
            for (LogSegment segment : segments.all()) {
                if (segment.maxTimestamp() < timestamp || segment.size() == 0) {
                    continue;
                }
                TimestampOffset found = segment.findOffsetByTimestamp(timestamp, startOffset);
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
    long maxTimestamp() {
        long max = -1;
        for (LogSegment segment : segments.all()) {
            max = Math.max(max, segment.maxTimestamp());
        }
        return max;
    }

    // ---- truncation and removal -------------------------------------------------------------

    /**
     * Removes every batch at or above {@code offset}, which must lie in the log, and publishes the
     * new end. Caller holds the PartitionLog lock.
     *
     * @return the new log end offset
     */
    long truncateTo(long offset) throws IOException {
        // Newest first: a crash part way leaves a shorter log, never one with a hole.
        for (LogSegment segment : segments.after(offset)) {
            removeSegment(segment);
        }
        LogSegment active = segments.active();
        active.truncateTo(offset);
        active.onBecomeActive();
        long newEnd = active.readNextOffset();
        end = new LogEnd(newEnd, active.baseOffset(), active.size());
        return newEnd;
    }

    /**
     * Removes every segment and starts one, empty, at {@code offset}; the recovery point is the
     * owner's to move. Caller holds the PartitionLog lock.
     */
    void truncateFullyAndStartAt(long offset) throws IOException {
        for (LogSegment segment : segments.newestFirst()) {
            removeSegment(segment);
        }
        segments.add(LogSegment.open(dir, offset, config, clock.millis()));
        end = new LogEnd(offset, offset, 0);
    }

    /**
     * Puts the cleaner's {@code cleaned} segment (its files named {@code .cleaned}, written and
     * fsynced) in place of {@code sources}, in an order a crash at any step recovers from
     * ({@link LogRecovery} finishes or undoes it):
     *
     * <ol>
     *   <li>{@code .cleaned} renamed {@code .swap}: from here recovery completes the swap;</li>
     *   <li>the cleaned segment enters the map (at its base offset, replacing the first source), so
     *       reads see it before any source leaves and never find a hole;</li>
     *   <li>each source leaves the map and is renamed {@code .deleted}; its files go after
     *       {@code file.delete.delay.ms}, so a read that took a slice of it can still send it;</li>
     *   <li>{@code .swap} renamed to the final names, then the directory fsynced.</li>
     * </ol>
     *
     * Caller holds the PartitionLog lock and has checked that the sources are in the log.
     */
    void replaceSegments(List<LogSegment> sources, LogSegment cleaned) throws IOException {
        swapSteps.accept("cleaned-written");
        cleaned.changeSuffix(LogRecovery.CLEANED_SUFFIX, LogRecovery.SWAP_SUFFIX);
        // The .swap name must be durable before any source is renamed: recovery completes a swap
        // only from it, and would otherwise find retired sources and no replacement.
        CheckpointFile.fsyncDirectory(dir);
        swapSteps.accept("swap-named");
        try {
            segments.replace(sources, cleaned, Duration.ofMillis(config.fileDeleteDelayMs()));
            swapSteps.accept("sources-retired");
            cleaned.changeSuffix(LogRecovery.SWAP_SUFFIX, "");
            swapSteps.accept("final-named");
            CheckpointFile.fsyncDirectory(dir);
        } catch (IOException | RuntimeException e) {
            throw new SwapIncompleteException("the swap of " + cleaned + " into " + topicPartition + " stopped part way;"
                    + " the cleaned segment serves reads and recovery completes the swap at the next start", e);
        }
    }

    /**
     * A swap failed after the cleaned segment entered the log: it must not be deleted (it holds the
     * data now), and the files are left for {@link LogRecovery} to complete.
     */
    static final class SwapIncompleteException extends IOException {
        SwapIncompleteException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Told of each step of every swap ({@code cleaned-written}, {@code swap-named},
     * {@code sources-retired}, {@code final-named}); nothing by default. The kill -9 tests of the cleaner set it in their
     * child process to report the steps and linger at them, so that kills land mid-swap.
     */
    static volatile Consumer<String> swapSteps = step -> { };

    /** Takes a segment out of the log; its files go after {@code file.delete.delay.ms}. Caller holds the PartitionLog lock. */
    void removeSegment(LogSegment segment) throws IOException {
        segments.remove(segment, Duration.ofMillis(config.fileDeleteDelayMs()));
    }

    // ---- flushing and closing ---------------------------------------------------------------

    /** Fsyncs the segments holding offsets below {@code offset} and moves the recovery point there. */
    void flush(long offset) {
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

    /** Flushes everything if {@code flush.ms} has passed since the last flush. */
    void flushIfDue() {
        if (clock.millis() - lastFlushMs >= config.flushMs() && end.nextOffset() > recoveryPoint) {
            flush(end.nextOffset());
        }
    }

    /** Closes every segment (flush first); the log takes no more operations. Caller holds the PartitionLog lock. */
    void close() {
        closed = true;
        for (LogSegment segment : segments.all()) {
            try {
                segment.close();
            } catch (IOException e) {
                log.warn("Closing {} of {} failed", segment, topicPartition, e);
            }
        }
    }

    /** Closes the log and removes its directory. Caller holds the PartitionLog lock. */
    void delete() throws IOException {
        closed = true;
        segments.deleteAll();
        try (var files = Files.list(dir)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(file);
            }
        }
        Files.deleteIfExists(dir);
    }

    /**
     * The aborted transactions that may concern a read from {@code fetchOffset} that returned
     * {@code slice} (see {@link PartitionLog#abortedTransactions}): found through the {@code .txnindex}
     * of the segments from the one holding the fetch offset on, up to the first offset-index entry
     * past the bytes read (else the next segment's base, else {@code logEndOffset}). No lock: the
     * indexes tolerate concurrent appends.
     */
    List<AbortedTransaction> abortedTransactions(long fetchOffset, FileSlice slice, long logEndOffset) {
        LogSegment holding = segments.floor(slice.firstOffset());
        if (holding == null) {
            return List.of();
        }
        long upperBound = holding.fetchUpperBoundOffset((int) slice.position(), slice.size());
        if (upperBound < 0) {
            LogSegment next = segments.next(holding);
            upperBound = next != null ? next.baseOffset() : logEndOffset;
        }
        List<AbortedTransaction> aborted = new ArrayList<>();
        LogSegment segment = segments.floor(fetchOffset);
        if (segment == null) {
            segment = segments.oldest();
        }
        for (; segment != null; segment = segments.next(segment)) {
            TransactionIndex.SearchResult found = segment.collectAbortedTxns(fetchOffset, upperBound);
            for (TransactionIndex.AbortedTxn txn : found.aborted()) {
                aborted.add(new AbortedTransaction(txn.producerId(), txn.firstOffset()));
            }
            if (found.complete()) {
                break;
            }
        }
        return aborted;
    }
}
