package dev.runnel.broker.storage;

import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;

import dev.runnel.broker.storage.ProducerStateManager.CompletedTxn;
import dev.runnel.broker.storage.ProducerStateManager.TxnMetadata;

/**
 * The transactions of a partition that are not yet stable, which hold read_committed consumers
 * back: the <em>ongoing</em> ones (no marker yet) and the <em>unreplicated</em> ones (marker
 * written, not yet below the high watermark), both by first offset. Part of the producer state
 * ({@link ProducerStateManager#transactions()}): the same lock guards it, and it is rebuilt with
 * the producers' entries.
 */
public final class UnstableTransactions {

    private final NavigableMap<Long, TxnMetadata> ongoing = new TreeMap<>();
    private final NavigableMap<Long, TxnMetadata> unreplicated = new TreeMap<>();
    /** The first unstable offset as last {@link #publish published}, or -1: read without the lock. */
    private volatile long published = -1;

    UnstableTransactions() {
    }

    /** A producer's transaction opened at {@code firstOffset}. */
    void open(long producerId, long firstOffset, long startedMs) {
        ongoing.put(firstOffset, new TxnMetadata(producerId, firstOffset, startedMs, -1));
    }

    void clear() {
        ongoing.clear();
        unreplicated.clear();
    }

    /**
     * The last stable offset right after {@code txn} completes, which an aborted transaction's
     * index entry records: the first offset of the oldest transaction still open by another
     * producer, else the offset after the marker.
     */
    public long lastStableOffset(CompletedTxn txn) {
        for (TxnMetadata open : ongoing.values()) {
            if (open.producerId() != txn.producerId()) {
                return open.firstOffset();
            }
        }
        return txn.lastOffset() + 1;
    }

    /**
     * Moves a transaction {@link ProducerStateManager#update} returned from ongoing to
     * unreplicated: its marker is in the log.
     */
    public void complete(CompletedTxn txn) {
        TxnMetadata open = ongoing.remove(txn.firstOffset());
        if (open == null || open.producerId() != txn.producerId()) {
            throw new IllegalStateException("completed transaction " + txn + " was not ongoing (found " + open + ")");
        }
        unreplicated.put(txn.firstOffset(),
                new TxnMetadata(txn.producerId(), txn.firstOffset(), open.startedMs(), txn.lastOffset()));
    }

    /**
     * The first offset of the oldest transaction that is open or whose marker is not yet below the
     * high watermark, or -1 if there is none: no record at or past it is stable.
     */
    public long firstUnstableOffset() {
        long first = ongoing.isEmpty() ? Long.MAX_VALUE : ongoing.firstKey();
        if (!unreplicated.isEmpty()) {
            first = Math.min(first, unreplicated.firstKey());
        }
        return first == Long.MAX_VALUE ? -1 : first;
    }

    /** The high watermark reached {@code highWatermark}: completed transactions whose marker lies below it are stable. */
    public void onHighWatermarkUpdated(long highWatermark) {
        unreplicated.values().removeIf(txn -> txn.lastOffset() < highWatermark);
    }

    /** The log start moved to {@code logStartOffset}: completed transactions wholly below it are gone. */
    void onLogStartOffsetIncremented(long logStartOffset) {
        unreplicated.values().removeIf(txn -> txn.lastOffset() < logStartOffset);
    }

    /**
     * Publishes the first unstable offset after the high watermark, the log start or a transaction
     * moved: completed transactions whose marker is now below {@code highWatermark} become stable
     * first; never below {@code logStartOffset}. Caller holds the partition's lock.
     */
    void publish(long highWatermark, long logStartOffset) {
        onHighWatermarkUpdated(highWatermark);
        long first = firstUnstableOffset();
        published = first < 0 ? -1 : Math.max(first, logStartOffset);
    }

    /** The first unstable offset last published, or -1; no lock needed. */
    long publishedFirstUnstableOffset() {
        return published;
    }

    /**
     * The last stable offset for the high watermark {@code highWatermark}, which the caller read
     * before calling (a newer high watermark is published after the transactions it makes stable);
     * no lock needed.
     */
    long lastStableOffset(long highWatermark) {
        long first = published;
        return first >= 0 ? Math.min(first, highWatermark) : highWatermark;
    }

    /** The open transactions, oldest first (a copy, for metrics and DescribeProducers). */
    public List<TxnMetadata> ongoing() {
        return List.copyOf(ongoing.values());
    }
}
