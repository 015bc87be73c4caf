package dev.runnel.broker.storage;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

import dev.runnel.broker.record.CompactionRecords;

/**
 * The transactions a cleaner's walk over the log meets, in offset order (Kafka's
 * {@code CleanedTransactionMetadata}): which batches are an aborted transaction's data, and which
 * markers may go. Both walks of a {@link Cleaner} round have one: building the offset map (aborted
 * data never enters it) and rewriting the segments ({@link SegmentRewriter}).
 *
 * <p>Aborted transactions come from the {@code .txnindex} ({@link #over}); one starts at its first
 * offset and ends at its ABORT marker. A marker may go if the walk saw no batch of its
 * transaction: for an ABORT, none since the transaction started; for a COMMIT, none of the
 * producer's transactional data since its previous marker. An emptied control batch may go. An
 * ABORT marker that stays is noted, so the cleaned segment's {@code .txnindex} indexes it again.
 *
 * <p>Not thread-safe: one per walk.
 */
final class CleanedTransactions {

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

    /**
     * The transactions of a walk over [{@code from}, {@code upTo}) of {@code segments}: the aborted
     * transactions with data or marker in that range, from the {@code .txnindex} of the segment
     * holding {@code from} and the ones after it (an entry lives with its marker, which may lie
     * segments after the data), stopping where the index says no later entry can concern the range
     * (Kafka's {@code collectAbortedTransactions}).
     */
    static CleanedTransactions over(List<LogSegment> segments, long from, long upTo) {
        List<TransactionIndex.AbortedTxn> found = new ArrayList<>();
        for (LogSegment segment : segments) {
            if (Cleaner.endOf(segments, segment) <= from) {
                continue;
            }
            TransactionIndex.SearchResult result = segment.collectAbortedTxns(from, upTo);
            found.addAll(result.aborted());
            if (result.complete()) {
                break;
            }
        }
        return new CleanedTransactions(found);
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
