package dev.runnel.broker.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.function.Predicate;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.record.CompactionRecords;
import dev.runnel.common.TopicPartition;

/**
 * One cleaning of one log (Kafka's {@code Cleaner}): build the key-to-latest-offset map over the
 * dirty part, then rewrite every segment from the log's start to the end of what the map covers,
 * keeping per key only the latest record, and swap the rewritten segments in.
 *
 * <pre>
 *   [ clean (cleaned before) ][ dirty: the map is built here   ][ uncleanable: above the HW, newer than
 *   ^ first segment           ^ firstDirtyOffset (checkpoint)    ^ firstUncleanableOffset   min lag, active ]
 *   |&lt;------------- rewritten this round ------------------&gt;| endOffset (map's latest + 1, if it filled)
 * </pre>
 *
 * <p>What stays (Kafka's rules): a record past the map's latest offset; a keyed record whose offset
 * is at least the map's latest for its key, unless it is a tombstone whose batch's delete horizon
 * has passed; a keyless record never (a compacted topic refuses them on produce). The batch that
 * ends each active producer's appends stays, emptied if need be, so the producer's last sequence
 * survives (for a producer whose last entry is a marker, its markers at its current epoch stay, so
 * the epoch survives), and so does the batch that ends the round's range. Offsets never change.
 *
 * <p>Transactions ({@link CleanedTransactions}, Kafka's {@code CleanedTransactionMetadata}): the
 * data of an aborted transaction, found through the {@code .txnindex} of the segments from the
 * range's start on, goes whatever its keys, and never enters the map, so an aborted write never
 * shadows a committed value. An ABORT marker stays while the round still saw a batch of its
 * transaction, and is then indexed again in the cleaned segment's {@code .txnindex}; a COMMIT
 * marker may go once a round saw no batch of its transaction, an ABORT marker once a round saw
 * none of its. A marker that may go first gets a delete horizon ({@code delete.retention.ms}, as a
 * tombstone does), so consumers that read its transaction still find it, and goes in a round
 * after that horizon. An emptied control batch may always go.
 *
 * <p>Segments are rewritten in groups whose sizes and index sizes fit one segment, each into a
 * {@code .cleaned} segment that is fsynced and swapped in under the log's lock (see
 * {@link LocalLog#replaceSegments}); the copying itself takes no lock. If the log changed under the
 * round (truncation, retention), the swap is refused and the round ends without a new checkpoint.
 *
 * <p>Not thread-safe: each cleaner thread has its own, with its own {@link OffsetMap}.
 */
final class Cleaner {

    private static final Logger log = LoggerFactory.getLogger(Cleaner.class);

    /** The part of a log that can be cleaned now, and how dirty it is. */
    record Range(long firstDirtyOffset, long firstUncleanableOffset, long cleanBytes, long cleanableBytes,
            long compactionDelayMs) {

        /** Dirty bytes over all bytes up to the uncleanable part. */
        double dirtyRatio() {
            long total = cleanBytes + cleanableBytes;
            return total == 0 ? 0 : (double) cleanableBytes / total;
        }

        /** Whether the cleaner should take this log: dirty enough, or dirty data older than max.compaction.lag.ms. */
        boolean worthCleaning(double minCleanableDirtyRatio) {
            return cleanableBytes > 0 && (dirtyRatio() > minCleanableDirtyRatio || compactionDelayMs > 0);
        }
    }

    /** What a round did. {@code endOffset} is the new first dirty offset, or -1 if the round was abandoned. */
    record Result(long endOffset, long bytesRead, long bytesWritten, long recordsRead, long recordsWritten,
            int keysMapped, double mapUtilization, int segmentsRewritten, int segmentsWritten, long logBytesCleaned) {

        boolean abandoned() {
            return endOffset < 0;
        }

        /** Written over read, as a percentage: how much of what the round read it had to copy. */
        double recopyPercent() {
            return bytesRead == 0 ? 0 : 100.0 * bytesWritten / bytesRead;
        }
    }

    /** Thrown when the cleaner is stopping: the round ends and nothing is swapped. */
    static final class CleaningAbortedException extends RuntimeException {
        CleaningAbortedException(String message) {
            super(message);
        }
    }

    private final OffsetMap map;
    private final int ioBufferBytes;
    private final Throttler throttler;
    private final Predicate<TopicPartition> stopping;
    private ByteBuffer writeBuffer;

    /**
     * @param stopping asked between chunks whether the round of a partition must stop (the cleaner
     *                 is closing, or the partition is being deleted)
     */
    Cleaner(OffsetMap map, int ioBufferBytes, Throttler throttler, Predicate<TopicPartition> stopping) {
        this.map = map;
        this.ioBufferBytes = ioBufferBytes;
        this.throttler = throttler;
        this.stopping = stopping;
        this.writeBuffer = ByteBuffer.allocate(ioBufferBytes);
    }

    /**
     * Where cleaning of {@code log} would start and stop now (Kafka's {@code cleanableOffsets} and
     * {@code LogToClean}). The first dirty offset is {@code checkpointed}, or the log start if that
     * is absent (-1) or outside the log. Nothing at or above the last stable offset, in the active
     * segment, or in a segment with a record newer than {@code min.compaction.lag.ms} is
     * cleanable; the bound is rounded down to a segment's base, since whole segments are cleaned.
     */
    static Range cleanableRange(PartitionLog log, long checkpointed, long nowMs) {
        List<LogSegment> segments = log.segments();
        LogConfig.Cleanup compaction = log.config().cleanup();
        LogSegment active = segments.get(segments.size() - 1);
        long logStart = log.logStartOffset();
        long firstDirty = checkpointed < logStart || checkpointed > log.logEndOffset() ? logStart : checkpointed;

        // The last stable offset, not the high watermark: an open transaction's records are not cleaned.
        long uncleanable = Math.min(log.lastStableOffset(), active.baseOffset());
        if (compaction.minCompactionLagMs() > 0) {
            for (LogSegment segment : segments) {
                if (segment != active && endOf(segments, segment) > firstDirty
                        && segment.largestTimestampForRetention() > nowMs - compaction.minCompactionLagMs()) {
                    uncleanable = Math.min(uncleanable, segment.baseOffset());
                    break;
                }
            }
        }
        uncleanable = Math.max(uncleanable, firstDirty);
        // Whole segments only: round down to the base of the segment holding the bound.
        long aligned = active.baseOffset();
        for (LogSegment segment : segments) {
            if (segment.baseOffset() <= uncleanable && endOf(segments, segment) > uncleanable) {
                aligned = segment.baseOffset();
                break;
            }
        }
        aligned = Math.min(aligned, uncleanable);

        long cleanBytes = 0;
        long cleanableBytes = 0;
        long earliestDirtyTimestamp = Long.MAX_VALUE;
        for (LogSegment segment : segments) {
            if (segment == active) {
                break;
            }
            long end = endOf(segments, segment);
            if (segment.baseOffset() < firstDirty) {
                cleanBytes += segment.size();
            }
            if (end > firstDirty && segment.baseOffset() < aligned) {
                cleanableBytes += segment.size();
            }
            if (end > firstDirty && segment.firstBatchTimestamp() > 0) {
                earliestDirtyTimestamp = Math.min(earliestDirtyTimestamp, segment.firstBatchTimestamp());
            }
        }
        long delay = 0;
        if (compaction.maxCompactionLagMs() < Long.MAX_VALUE && earliestDirtyTimestamp < Long.MAX_VALUE) {
            delay = Math.max(0, nowMs - compaction.maxCompactionLagMs() - earliestDirtyTimestamp);
        }
        return new Range(firstDirty, aligned, cleanBytes, cleanableBytes, delay);
    }

    /** The base offset of the segment after {@code segment}, or Long.MAX_VALUE for the last one. */
    private static long endOf(List<LogSegment> segments, LogSegment segment) {
        // The list is in base offset order: a binary search, since callers ask for every segment.
        int low = 0;
        int high = segments.size() - 1;
        while (low <= high) {
            int mid = (low + high) >>> 1;
            long base = segments.get(mid).baseOffset();
            if (base < segment.baseOffset()) {
                low = mid + 1;
            } else if (base > segment.baseOffset()) {
                high = mid - 1;
            } else {
                return mid + 1 < segments.size() ? segments.get(mid + 1).baseOffset() : Long.MAX_VALUE;
            }
        }
        throw new IllegalArgumentException(segment + " is not among the segments");
    }

    /**
     * Cleans {@code log} over {@code range} at {@code nowMs}.
     *
     * @param truncationsSeen the log's truncation count when the range was taken
     */
    Result clean(PartitionLog log, Range range, long truncationsSeen, long nowMs) throws IOException,
            InterruptedException {
        List<LogSegment> segments = log.segments();
        LogConfig config = log.config();
        long[] read = {0};
        if (log.truncationCount() != truncationsSeen) {
            return abandoned(log, 0);
        }
        LogSegment active = segments.get(segments.size() - 1);

        // 1. The map over the dirty segments, until it fills; aborted transactions' data stays out of it.
        map.clear();
        CleanedTransactions mapTxns = new CleanedTransactions(
                abortedTxns(segments, range.firstDirtyOffset(), range.firstUncleanableOffset()));
        for (LogSegment segment : segments) {
            long end = Math.min(endOf(segments, segment), range.firstUncleanableOffset());
            if (segment == active || segment.baseOffset() >= range.firstUncleanableOffset()) {
                break;
            }
            if (end <= range.firstDirtyOffset()) {
                continue;
            }
            boolean whole = segment.forEachChunk(ioBufferBytes, chunk -> {
                checkStopping(log);
                read[0] += chunk.remaining();
                throttler.maybeThrottle(chunk.remaining(), () -> stopping.test(log.topicPartition()));
                return CompactionRecords.forEachKey(chunk, range.firstDirtyOffset(), new CompactionRecords.KeyVisitor() {
                    @Override
                    public boolean batch(CompactionRecords.Batch batch) {
                        if (batch.isControl()) {
                            mapTxns.onControl(batch);
                            return false;
                        }
                        return !mapTxns.onData(batch);
                    }

                    @Override
                    public boolean record(long offset, ByteBuffer key) {
                        if (map.isFull()) {
                            return false;
                        }
                        map.put(key, offset);
                        return true;
                    }

                    @Override
                    public void batchEnd(long lastOffset) {
                        map.updateLatestOffset(lastOffset);
                    }
                });
            });
            if (!whole) {
                break;
            }
            // Offsets the segment skips (removed earlier) count as seen too.
            map.updateLatestOffset(end - 1);
        }
        long endOffset = Math.min(map.latestOffset() + 1, range.firstUncleanableOffset());
        if (endOffset <= range.firstDirtyOffset()) {
            return new Result(range.firstDirtyOffset(), read[0], 0, 0, 0, map.size(), map.utilization(), 0, 0, 0);
        }
        int keysMapped = map.size();
        double utilization = map.utilization();

        // 2. Rewrite every segment below the map's end, group by group.
        List<LogSegment> toClean = new ArrayList<>();
        long logBytes = 0;
        for (LogSegment segment : segments) {
            if (segment.baseOffset() < endOffset && segment != active) {
                toClean.add(segment);
                logBytes += segment.size();
            }
        }
        long rewrittenEnd = endOf(segments, toClean.get(toClean.size() - 1));
        CleanedTransactions txns = new CleanedTransactions(abortedTxns(segments, toClean.get(0).baseOffset(),
                rewrittenEnd));
        Rules rules = new Rules(map, lastEntriesOfActiveProducers(log), txns, range.firstUncleanableOffset(), nowMs);
        long[] counts = new long[3];
        int written = 0;
        for (List<LogSegment> group : groupBySize(toClean, segments, config.segmentBytes(),
                config.segmentIndexBytes(), range.firstUncleanableOffset())) {
            LogSegment cleaned = cleanInto(log, group, rules, config, nowMs, read, counts);
            boolean swapped;
            try {
                swapped = log.replaceSegments(group, cleaned, truncationsSeen);
            } catch (LocalLog.SwapIncompleteException e) {
                throw e; // the cleaned segment is in the log now: it stays
            } catch (IOException | RuntimeException e) {
                cleaned.delete();
                throw e;
            }
            if (!swapped) {
                cleaned.delete();
                return abandoned(log, read[0]);
            }
            written++;
        }
        if (log.truncationCount() != truncationsSeen) {
            return abandoned(log, read[0]);
        }
        return new Result(endOffset, read[0], counts[0], counts[1], counts[2], keysMapped, utilization, toClean.size(),
                written, logBytes);
    }

    /**
     * The aborted transactions with data or marker in [{@code from}, {@code upTo}), from the
     * {@code .txnindex} of the segment holding {@code from} and the ones after it (an entry lives
     * with its marker, which may lie segments after the data), stopping where the index says no
     * later entry can concern the range (Kafka's {@code collectAbortedTransactions}).
     */
    private static List<TransactionIndex.AbortedTxn> abortedTxns(List<LogSegment> segments, long from, long upTo) {
        List<TransactionIndex.AbortedTxn> found = new ArrayList<>();
        for (LogSegment segment : segments) {
            if (endOf(segments, segment) <= from) {
                continue;
            }
            TransactionIndex.SearchResult result = segment.collectAbortedTxns(from, upTo);
            found.addAll(result.aborted());
            if (result.complete()) {
                break;
            }
        }
        return found;
    }

    /**
     * What keeps an active producer's state in the log (Kafka's {@code LastRecord}): the offset
     * ending its last data batch, or -1 if the producer state keeps none (a marker moved it to a
     * new epoch), and its epoch.
     */
    private record LastEntry(long lastDataOffset, short producerEpoch) {
    }

    private static Map<Long, LastEntry> lastEntriesOfActiveProducers(PartitionLog log) {
        Map<Long, LastEntry> last = new HashMap<>();
        log.activeProducers().forEach((id, entry) -> last.put(id, new LastEntry(
                entry.batches().isEmpty() ? -1 : entry.lastBatch().lastOffset(), entry.producerEpoch())));
        return last;
    }

    private static Result abandoned(PartitionLog log, long bytesRead) {
        Cleaner.log.info("Cleaning of {} abandoned: the log changed under it", log.topicPartition());
        return new Result(-1, bytesRead, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    /**
     * Writes the kept batches of {@code group} into one new {@code .cleaned} segment at the group's
     * first base offset, fsynced, with the last source's modification time.
     *
     * @param counts bytes written, records read and records written, added to
     */
    private LogSegment cleanInto(PartitionLog log, List<LogSegment> group, Rules rules, LogConfig config, long nowMs,
            long[] read, long[] counts) throws IOException, InterruptedException {
        long base = group.get(0).baseOffset();
        for (String suffix : new String[] {LogSegment.LOG_SUFFIX, LogSegment.INDEX_SUFFIX,
                LogSegment.TIME_INDEX_SUFFIX, TransactionIndex.SUFFIX}) {
            Files.deleteIfExists(log.dir().resolve(LogSegment.fileName(base, suffix) + LogRecovery.CLEANED_SUFFIX));
        }
        LogSegment cleaned = LogSegment.open(log.dir(), base, config, nowMs, LogRecovery.CLEANED_SUFFIX);
        try {
            for (LogSegment source : group) {
                source.forEachChunk(ioBufferBytes, chunk -> {
                    checkStopping(log);
                    read[0] += chunk.remaining();
                    throttler.maybeThrottle(chunk.remaining(), () -> stopping.test(log.topicPartition()));
                    writeBuffer.clear();
                    CompactionRecords.Filtered filtered = CompactionRecords.filter(chunk, writeBuffer, nowMs,
                            config.cleanup().deleteRetentionMs(), rules);
                    if (filtered.output().capacity() > writeBuffer.capacity()) {
                        writeBuffer = ByteBuffer.allocate(ioBufferBytes); // a large batch grew it: do not keep that
                    }
                    counts[1] += filtered.recordsRead();
                    counts[2] += filtered.recordsRetained();
                    ByteBuffer kept = filtered.output();
                    if (kept.hasRemaining()) {
                        counts[0] += kept.remaining();
                        throttler.maybeThrottle(kept.remaining(), () -> stopping.test(log.topicPartition()));
                        cleaned.appendCleaned(kept);
                    }
                    return true;
                });
            }
            // The aborts whose markers this group kept because the round still saw their data, in marker order.
            for (TransactionIndex.AbortedTxn txn : rules.transactions().takeKeptAborts()) {
                cleaned.appendAbortedTxn(txn);
            }
            cleaned.onBecomeInactive();
            cleaned.flush();
            cleaned.setLastModifiedMs(group.get(group.size() - 1).lastModifiedMs());
            return cleaned;
        } catch (IOException | InterruptedException | RuntimeException e) {
            cleaned.delete();
            throw e;
        }
    }

    private void checkStopping(PartitionLog log) {
        if (stopping.test(log.topicPartition())) {
            throw new CleaningAbortedException("cleaning of " + log.topicPartition() + " stopped: the cleaner is closing"
                    + " or the partition is going");
        }
    }

    /**
     * Splits {@code toClean} into runs of consecutive segments that fit one segment together (Kafka's
     * {@code groupSegmentsBySize}): log bytes within {@code segment.bytes}, each index's bytes
     * within {@code segment.index.bytes}, and offsets within 2^31 of the group's base (the indexes
     * store 32-bit relative offsets).
     */
    static List<List<LogSegment>> groupBySize(List<LogSegment> toClean, List<LogSegment> all, int maxSize,
            int maxIndexSize, long firstUncleanableOffset) {
        List<List<LogSegment>> groups = new ArrayList<>();
        int i = 0;
        while (i < toClean.size()) {
            List<LogSegment> group = new ArrayList<>();
            LogSegment first = toClean.get(i);
            group.add(first);
            long logSize = first.size();
            long offsetIndexSize = first.offsetIndexBytes();
            long timeIndexSize = first.timeIndexBytes();
            i++;
            while (i < toClean.size()) {
                LogSegment next = toClean.get(i);
                long nextEnd = Math.min(endOf(all, next), firstUncleanableOffset);
                if (logSize + next.size() > maxSize
                        || offsetIndexSize + next.offsetIndexBytes() > maxIndexSize
                        || timeIndexSize + next.timeIndexBytes() > maxIndexSize
                        || (next.size() > 0 && nextEnd - 1 - first.baseOffset() > Integer.MAX_VALUE)) {
                    break;
                }
                group.add(next);
                logSize += next.size();
                offsetIndexSize += next.offsetIndexBytes();
                timeIndexSize += next.timeIndexBytes();
                i++;
            }
            groups.add(group);
        }
        return groups;
    }

    /** The retention rules of one round (see the class comment). */
    private static final class Rules implements CompactionRecords.Rules {

        private final OffsetMap map;
        private final Map<Long, LastEntry> producers;
        private final CleanedTransactions txns;
        private final long firstUncleanableOffset;
        private final long nowMs;

        Rules(OffsetMap map, Map<Long, LastEntry> producers, CleanedTransactions txns, long firstUncleanableOffset,
                long nowMs) {
            this.map = map;
            this.producers = producers;
            this.txns = txns;
            this.firstUncleanableOffset = firstUncleanableOffset;
            this.nowMs = nowMs;
        }

        CleanedTransactions transactions() {
            return txns;
        }

        @Override
        public CompactionRecords.BatchDecision batch(CompactionRecords.Batch batch) {
            // Aborted data may go at once; a marker that may go first waits out its delete horizon.
            boolean discardable = batch.isControl() ? txns.onControl(batch) : txns.onData(batch);
            boolean dropRecords = discardable && (!batch.isControl() || (batch.deleteHorizonMs().isPresent()
                    && batch.deleteHorizonMs().getAsLong() <= nowMs));
            CompactionRecords.BatchRetention retention;
            if (endsItsProducer(batch) || batch.lastOffset() + 1 == firstUncleanableOffset) {
                retention = CompactionRecords.BatchRetention.RETAIN_EMPTY;
            } else if (dropRecords) {
                retention = CompactionRecords.BatchRetention.DELETE;
            } else {
                retention = CompactionRecords.BatchRetention.DELETE_EMPTY;
            }
            return new CompactionRecords.BatchDecision(retention, dropRecords, discardable && batch.isControl());
        }

        /**
         * Whether {@code batch} keeps an active producer's state: its last data batch (its last
         * sequence), or, if the producer state keeps none, a marker at its current epoch (the
         * epoch fences zombies). Kafka keeps every such marker, not only the last: the state keeps
         * no batch only between a marker at a new epoch and the producer's next write.
         */
        private boolean endsItsProducer(CompactionRecords.Batch batch) {
            LastEntry last = batch.producerId() < 0 ? null : producers.get(batch.producerId());
            if (last == null) {
                return false;
            }
            return last.lastDataOffset() >= 0 ? batch.lastOffset() == last.lastDataOffset()
                    : batch.isControl() && batch.producerEpoch() == last.producerEpoch();
        }

        @Override
        public boolean retain(CompactionRecords.Batch batch, long offset, ByteBuffer key, boolean tombstone) {
            if (batch.isControl() || offset > map.latestOffset()) {
                return true;
            }
            if (key == null) {
                return false;
            }
            if (offset < map.get(key)) {
                return false;
            }
            return !tombstone || batch.deleteHorizonMs().isEmpty() || nowMs < batch.deleteHorizonMs().getAsLong();
        }
    }

    /**
     * The transactions a walk over the log meets, in offset order (Kafka's
     * {@code CleanedTransactionMetadata}): which batches are an aborted transaction's data, and which
     * markers may go. Aborted transactions come from the {@code .txnindex}; one starts at its first
     * offset and ends at its ABORT marker. A marker may go if the walk saw no batch of its
     * transaction: for an ABORT, none since the transaction started; for a COMMIT, none of the
     * producer's transactional data since its previous marker. An emptied control batch may go.
     *
     * <p>Not thread-safe: one per walk.
     */
    static final class CleanedTransactions {

        /** An aborted transaction the walk is inside of, and whether it saw a batch of it. */
        private static final class Aborted {
            final TransactionIndex.AbortedTxn txn;
            boolean batchSeen;

            Aborted(TransactionIndex.AbortedTxn txn) {
                this.txn = txn;
            }
        }

        private final PriorityQueue<TransactionIndex.AbortedTxn> notStarted =
                new PriorityQueue<>(Comparator.comparingLong(TransactionIndex.AbortedTxn::firstOffset));
        private final Map<Long, Aborted> ongoingAborted = new HashMap<>();
        private final Set<Long> ongoingCommitted = new HashSet<>();
        private final List<TransactionIndex.AbortedTxn> keptAborts = new ArrayList<>();

        CleanedTransactions(Collection<TransactionIndex.AbortedTxn> aborted) {
            notStarted.addAll(aborted);
        }

        /** A data batch: whether it belongs to an aborted transaction (and so may go). */
        boolean onData(CompactionRecords.Batch batch) {
            startAbortedUpTo(batch.lastOffset());
            if (!batch.transactional()) {
                return false;
            }
            Aborted aborted = ongoingAborted.get(batch.producerId());
            if (aborted != null) {
                aborted.batchSeen = true;
                return true;
            }
            ongoingCommitted.add(batch.producerId());
            return false;
        }

        /** A control batch: whether it may go. An ABORT marker that stays is noted for the cleaned index. */
        boolean onControl(CompactionRecords.Batch batch) {
            startAbortedUpTo(batch.lastOffset());
            switch (batch.control()) {
                case ABORT -> {
                    Aborted aborted = ongoingAborted.remove(batch.producerId());
                    if (aborted != null && aborted.batchSeen) {
                        keptAborts.add(aborted.txn);
                        return false;
                    }
                    return true;
                }
                case COMMIT -> {
                    return !ongoingCommitted.remove(batch.producerId());
                }
                case EMPTY -> {
                    return true;
                }
                default -> {
                    return false;
                }
            }
        }

        /** The aborted transactions whose ABORT markers stayed since the last call, in marker order. */
        List<TransactionIndex.AbortedTxn> takeKeptAborts() {
            List<TransactionIndex.AbortedTxn> kept = List.copyOf(keptAborts);
            keptAborts.clear();
            return kept;
        }

        private void startAbortedUpTo(long offset) {
            while (!notStarted.isEmpty() && notStarted.peek().firstOffset() <= offset) {
                TransactionIndex.AbortedTxn txn = notStarted.poll();
                ongoingAborted.putIfAbsent(txn.producerId(), new Aborted(txn));
            }
        }
    }
}
