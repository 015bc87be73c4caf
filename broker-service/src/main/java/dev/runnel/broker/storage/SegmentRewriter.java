package dev.runnel.broker.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import dev.runnel.broker.record.CompactionRecords;
import dev.runnel.common.TopicPartition;

/**
 * The second half of a {@link Cleaner} round (Kafka's {@code cleanSegments}, {@code cleanInto} and
 * {@code groupSegmentsBySize}): copies the segments below the offset map's end, keeping what the
 * round's rules keep, and swaps each rewritten group in. The offset map, built by the first half,
 * is only read here.
 *
 * <p>What stays (Kafka's rules): a record past the map's latest offset; a keyed record whose offset
 * is at least the map's latest for its key, unless it is a tombstone whose batch's delete horizon
 * has passed; a keyless record never (a compacted topic refuses them on produce). The batch that
 * ends each active producer's appends stays, emptied if need be, so the producer's last sequence
 * survives (for a producer whose last entry is a marker, its markers at its current epoch stay, so
 * the epoch survives), and so does the batch that ends the round's range. Offsets never change.
 * An aborted transaction's data goes whatever its keys; which markers go is
 * {@link CleanedTransactions}'s call, and a marker that may go first gets a delete horizon
 * ({@code delete.retention.ms}, as a tombstone does) and goes in a round after that horizon.
 *
 * <p>Segments are rewritten in groups whose sizes and index sizes fit one segment
 * ({@link #groupBySize}), each into a {@code .cleaned} segment that is fsynced and swapped in under
 * the log's lock (see {@link LocalLog#replaceSegments}); the copying itself takes no lock. If the
 * log changed under the round (truncation, retention), the swap is refused and the rewrite stops.
 *
 * <p>Not thread-safe: each {@link Cleaner} has its own, with its write buffer.
 */
final class SegmentRewriter {

    /**
     * What a rewrite did: whether every group was swapped in (false: a swap was refused, the
     * rewrite stopped there), the bytes read and written, records read and kept, segments written.
     */
    record Rewritten(boolean complete, long bytesRead, long bytesWritten, long recordsRead, long recordsWritten,
            int segmentsWritten) {
    }

    private final OffsetMap map;
    private final int ioBufferBytes;
    private final Throttler throttler;
    private final Predicate<TopicPartition> stopping;
    private ByteBuffer writeBuffer;

    /** Reads {@code map} as the round's first half left it; see {@link Cleaner} for the other arguments. */
    SegmentRewriter(OffsetMap map, int ioBufferBytes, Throttler throttler, Predicate<TopicPartition> stopping) {
        this.map = map;
        this.ioBufferBytes = ioBufferBytes;
        this.throttler = throttler;
        this.stopping = stopping;
        this.writeBuffer = ByteBuffer.allocate(ioBufferBytes);
    }

    /**
     * Rewrites {@code toClean}, consecutive segments of {@code segments} (the log's segments when
     * the round began) below the active one, group by group.
     *
     * @param truncationsSeen the log's truncation count when the round's range was taken: a swap
     *                        is refused if it changed
     */
    Rewritten rewrite(PartitionLog log, List<LogSegment> segments, List<LogSegment> toClean, LogConfig config,
            long firstUncleanableOffset, long truncationsSeen, long nowMs) throws IOException, InterruptedException {
        long rewrittenEnd = Cleaner.endOf(segments, toClean.get(toClean.size() - 1));
        CleanedTransactions txns = CleanedTransactions.over(segments, toClean.get(0).baseOffset(), rewrittenEnd);
        Rules rules = new Rules(map, lastEntriesOfActiveProducers(log), txns, firstUncleanableOffset, nowMs);
        long[] read = {0};
        long[] counts = new long[3];
        int written = 0;
        for (List<LogSegment> group : groupBySize(toClean, segments, config.segmentBytes(),
                config.segmentIndexBytes(), firstUncleanableOffset)) {
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
                return new Rewritten(false, read[0], counts[0], counts[1], counts[2], written);
            }
            written++;
        }
        return new Rewritten(true, read[0], counts[0], counts[1], counts[2], written);
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

    /**
     * Writes the kept batches of {@code group} into one new {@code .cleaned} segment at the group's
     * first base offset, fsynced, with the last source's modification time.
     *
     * @param read   bytes read, added to
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
                    Cleaner.checkStopping(stopping, log);
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
                long nextEnd = Math.min(Cleaner.endOf(all, next), firstUncleanableOffset);
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
}
