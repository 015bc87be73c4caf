package dev.runnel.broker.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

import dev.runnel.broker.storage.ProducerStateEntry.BatchMetadata;

/**
 * The producer state of one partition: per producer id, the current epoch and the last
 * {@link ProducerStateEntry#MAX_BATCHES} batches. The leader checks each produce request against it
 * ({@link #checkLeaderAppend}) so that a retried batch is answered with its first offsets instead of
 * being written twice, and a batch that skips or repeats sequences, or comes from a fenced epoch, is
 * refused. Kafka's semantics (its {@code ProducerStateManager} and {@code ProducerAppendInfo}).
 *
 * <p>Transactions (KIP-98): a producer's first transactional batch opens its transaction on the
 * partition ({@link ProducerStateEntry#currentTxnFirstOffset()}, and an <em>ongoing</em> entry
 * here); the COMMIT or ABORT marker the coordinator has written closes it, returned by {@link
 * #update} as a {@link CompletedTxn} that the log then indexes (an abort) and hands to {@link
 * UnstableTransactions#complete}, which keeps it <em>unreplicated</em> until the high watermark passes its marker.
 * The first unstable offset is the first offset of the oldest ongoing or unreplicated transaction:
 * read_committed consumers read only below it.
 *
 * <pre>
 *  logStartOffset     snapshots (ProducerSnapshotFile)            mapEndOffset   logEndOffset
 *       v               v                  v                          v              v
 *  [....|...............S..................S..........................|..............]
 *                                                   state reflects the log up to here;
 *                                         update(...) replays the rest before appends are checked
 * </pre>
 *
 * <p>The state is rebuilt on open from the newest usable snapshot plus a replay of the log after
 * it ({@link #truncateAndReload}). A producer unknown to the partition (new, expired, or whose
 * batches all fell below the log start) is accepted at any sequence, as KIP-360 has it.
 *
 * <p>This class owns the producers' entries and how appended batches change them ({@link #update}),
 * and the loading and expiry of that state. Its parts: {@link ProducerAppendValidator}, the
 * leader's checks before an append; {@link TransactionVerifications}, the KIP-890 guards under
 * way; {@link UnstableTransactions}, the transactions not yet stable; {@link ProducerSnapshots},
 * the snapshot files.
 *
 * <p>Not thread-safe: every method is called under the {@link PartitionLog} lock, or while the log
 * is loaded, before it is shared; its parts are guarded with it.
 */
public final class ProducerStateManager {

    /**
     * The batch a retried request duplicates, to answer the retry with: its offsets, or for a batch
     * older than the retained ones a first offset of -1 ({@link #offsetsKnown} false) and only that
     * it lies below {@code lastOffset + 1}.
     */
    public record DuplicateBatch(long firstOffset, long lastOffset, long maxTimestamp) {

        /** A retry of a batch the producer wrote before {@code retainedFrom}, the oldest retained batch's first offset. */
        static DuplicateBatch beforeRetained(long retainedFrom) {
            return new DuplicateBatch(-1, retainedFrom - 1, -1);
        }

        public boolean offsetsKnown() {
            return firstOffset >= 0;
        }

        /**
         * What the append of a retry answers: nothing appended, the original's offsets, or for a
         * forgotten batch a first offset of -1 and a last offset below which it lies (an acks=all
         * answer waits for the high watermark to pass that).
         */
        AppendInfo toAppendInfo(int leaderEpoch) {
            return new AppendInfo(firstOffset, lastOffset, maxTimestamp, offsetsKnown() ? lastOffset : -1, 1, 0, 0,
                    leaderEpoch, -1, true);
        }
    }

    /**
     * A transaction on this partition: its producer, its first offset, when its first batch was
     * appended (wall time; after a restart, the producer's last append before it) and, once a marker
     * ended it, the marker's offset ({@code lastOffset}, -1 while it is open).
     */
    public record TxnMetadata(long producerId, long firstOffset, long startedMs, long lastOffset) {
    }

    /**
     * A transaction a marker just ended: the producer, its first offset, the marker's offset and
     * whether it aborted.
     */
    public record CompletedTxn(long producerId, long firstOffset, long lastOffset, boolean aborted) {
    }

    /**
     * Proof that the first transactional batch of a producer's transaction on this partition was
     * verified with the transaction coordinator (KIP-890 part 1): the leader hands one out before
     * asking the coordinator, and takes the batch only with that same guard, so a batch of a
     * transaction that was never added here, or that ended meanwhile, cannot open a transaction
     * that no marker would ever close. Compared by identity.
     */
    public static final class VerificationGuard {
        private final long producerId;

        VerificationGuard(long producerId) {
            this.producerId = producerId;
        }

        @Override
        public String toString() {
            return "VerificationGuard(producer " + producerId + ", " + Integer.toHexString(System.identityHashCode(this)) + ")";
        }
    }

    private final long producerIdExpirationMs;
    private final Map<Long, ProducerStateEntry> producers = new HashMap<>();
    private final ProducerSnapshots snapshots;
    /** Open transactions, and completed ones whose marker is not yet below the high watermark. */
    private final UnstableTransactions transactions = new UnstableTransactions();
    /** Verifications under way (KIP-890). */
    private final TransactionVerifications verifications = new TransactionVerifications();
    private final ProducerAppendValidator validator;
    private long mapEndOffset;

    private ProducerStateManager(Path dir, long producerIdExpirationMs, ProducerSnapshots snapshots) {
        this.producerIdExpirationMs = producerIdExpirationMs;
        this.snapshots = snapshots;
        this.validator = new ProducerAppendValidator(dir.getFileName(), producers, verifications);
    }

    /**
     * Opens the state of the partition whose log directory is {@code dir}: lists its snapshot files
     * (and deletes snapshots a crash left half-written) but loads nothing until
     * {@link #truncateAndReload}.
     *
     * @param producerIdExpirationMs how long a producer that stopped appending is remembered
     *        (Kafka's {@code producer.id.expiration.ms})
     */
    public static ProducerStateManager open(Path dir, long producerIdExpirationMs) throws IOException {
        if (producerIdExpirationMs <= 0) {
            throw new IllegalArgumentException(
                    "producer id expiration " + producerIdExpirationMs + " ms is not positive");
        }
        Files.createDirectories(dir);
        return new ProducerStateManager(dir, producerIdExpirationMs, ProducerSnapshots.open(dir));
    }

    // ---- loading ----------------------------------------------------------------------------

    /**
     * Deletes the snapshots outside [{@code logStartOffset}, {@code logEndOffset}], then loads the
     * newest remaining one (its open transactions become ongoing ones; none is unreplicated), skipping producers expired at {@code nowMs}. A corrupt snapshot is
     * deleted with a warning and the next older one tried; with none left the state is empty and
     * {@link #mapEndOffset()} is {@code logStartOffset}. The caller then replays the batches from
     * {@link #mapEndOffset()} to {@code logEndOffset} through {@link #update}.
     *
     * <p>Serves opening the log and truncating its end (a follower's divergence from its leader).
     */
    public void truncateAndReload(long logStartOffset, long logEndOffset, long nowMs) throws IOException {
        snapshots.deleteOutside(logStartOffset, logEndOffset);
        producers.clear();
        transactions.clear();
        ProducerSnapshots.Loaded newest = snapshots.readNewest();
        if (newest == null) {
            mapEndOffset = logStartOffset;
            return;
        }
        for (ProducerStateEntry entry : newest.entries()) {
            if (!isExpired(entry, nowMs)) {
                producers.put(entry.producerId(), entry);
                if (entry.hasOpenTransaction()) {
                    transactions.open(entry.producerId(), entry.currentTxnFirstOffset(), entry.lastAppendTimeMs());
                }
            }
        }
        mapEndOffset = newest.offset();
    }

    /** Forgets every producer and deletes every snapshot: the log was emptied and restarts at {@code offset}. */
    public void truncateFullyAndStartAt(long offset) throws IOException {
        snapshots.deleteAll();
        producers.clear();
        transactions.clear();
        verifications.clear();
        mapEndOffset = offset;
    }

    /** The log offset up to which the state reflects the log (exclusive). */
    public long mapEndOffset() {
        return mapEndOffset;
    }

    // ---- appending --------------------------------------------------------------------------

    /** {@link #checkLeaderAppend(ByteBuffer, AppendOrigin, VerificationGuard)} for a producer's request. */
    public DuplicateBatch checkLeaderAppend(ByteBuffer records) {
        return checkLeaderAppend(records, AppendOrigin.CLIENT, null);
    }

    /** {@link #checkLeaderAppend(ByteBuffer, AppendOrigin, VerificationGuard)} without a verification. */
    public DuplicateBatch checkLeaderAppend(ByteBuffer records, AppendOrigin origin) {
        return checkLeaderAppend(records, origin, null);
    }

    /**
     * Starts the verification of a transactional producer's first batch here (KIP-890): returns
     * the guard the append must then carry, or {@code null} if the producer's transaction is
     * already open here (its batches need none). As Kafka's, one guard per producer stays until the
     * transaction opens, a marker ends it or it expires: a producer pipelines requests, and a later
     * one verified meanwhile must not make the first one's guard stale.
     */
    public VerificationGuard maybeStartVerification(long producerId, short epoch, long nowMs) {
        ProducerStateEntry entry = producers.get(producerId);
        if (entry != null && entry.hasOpenTransaction()) {
            return null;
        }
        return verifications.start(producerId, epoch, nowMs);
    }

    /** The guard of the producer's verification under way, if any (tests). */
    Optional<VerificationGuard> verificationGuard(long producerId) {
        return verifications.guard(producerId);
    }

    /**
     * Checks a leader append (whole v2 batches from position to limit, offsets not yet assigned)
     * and changes nothing.
     *
     * <p>If a client's request is a single batch with a producer id that repeats one of the
     * producer's retained batches (same epoch, first and last sequence), returns that batch's
     * offsets: the caller answers with them and appends nothing. A duplicate among several batches
     * is not answered this way, since acknowledging it would drop the request's other batches
     * unwritten; Kafka's producers send one batch per partition anyway.
     *
     * <p>Otherwise returns {@code null} if the append may go ahead. Batches without a producer id
     * are not checked; the batches of one producer must continue its sequence and each other's. A
     * coordinator's batches ({@link AppendOrigin#COORDINATOR}) have their epochs checked but not
     * their sequences: transaction markers, and transactional offset commits, which carry none.
     *
     * @throws LogException {@link LogError#INVALID_PRODUCER_EPOCH} for an epoch older than the
     *         producer's; {@link LogError#OUT_OF_ORDER_SEQUENCE} for a known producer's batch that
     *         does not follow its last sequence at the same epoch, or does not start at 0 at a
     *         newer one; {@link LogError#INVALID_TXN_STATE} for a non-transactional batch while the
     *         producer's transaction is open, or a transactional batch (a client's or a
     *         coordinator's) that would open a transaction without the {@code guard} of its verification; {@link LogError#TRANSACTION_COORDINATOR_FENCED} for a
     *         marker from an older coordinator epoch than the producer's last marker;
     *         {@link LogError#INVALID_RECORD} for a client's batch with a producer id but no
     *         sequence, or a control batch that is not a transaction marker
     */
    public DuplicateBatch checkLeaderAppend(ByteBuffer records, AppendOrigin origin, VerificationGuard guard) {
        return validator.check(records, batchStarts(records), origin, guard);
    }

    /**
     * Records appended batches, offsets assigned (a leader append after assignment, a follower
     * append, or recovery's replay), and moves {@link #mapEndOffset()} past the last one. Nothing is
     * checked: the leader checked before appending, and a follower takes what its leader wrote.
     *
     * <p>A transactional batch of a producer with no open transaction opens one. A transaction
     * marker closes the producer's open transaction, if it has one: it is returned, still ongoing;
     * the caller computes its {@link UnstableTransactions#lastStableOffset}, indexes it if it
     * aborted and then calls {@link UnstableTransactions#complete}. A marker at a new epoch drops the producer's retained
     * batches; an empty control batch (emptied by the cleaner) changes nothing.
     *
     * @param appendTimeMs wall time of the append, from which the producers' expiry counts
     * @return the transactions the batches' markers ended, in log order
     */
    public List<CompletedTxn> update(ByteBuffer records, long appendTimeMs) {
        int[] starts = batchStarts(records);
        List<CompletedTxn> completed = List.of();
        for (int at : starts) {
            if (!RecordBatchHeader.hasProducerId(records, at)) {
                continue;
            }
            long producerId = RecordBatchHeader.producerId(records, at);
            short epoch = RecordBatchHeader.producerEpoch(records, at);
            ProducerStateEntry entry = producers.get(producerId);
            if (RecordBatchHeader.isControl(records, at)) {
                TxnMarker marker = TxnMarker.read(records, at);
                if (marker == null) {
                    continue;
                }
                if (entry != null && entry.hasOpenTransaction()) {
                    if (completed.isEmpty()) {
                        completed = new ArrayList<>(1);
                    }
                    completed.add(new CompletedTxn(producerId, entry.currentTxnFirstOffset(),
                            RecordBatchHeader.lastOffset(records, at), !marker.commit()));
                }
                ProducerStateEntry base = entry == null ? ProducerStateEntry.empty(producerId, epoch, appendTimeMs) : entry;
                producers.put(producerId, base.afterMarker(epoch, marker.coordinatorEpoch(), appendTimeMs));
                verifications.remove(producerId);
                continue;
            }
            long baseOffset = RecordBatchHeader.baseOffset(records, at);
            ProducerStateEntry next;
            if (RecordBatchHeader.baseSequence(records, at) >= 0) {
                BatchMetadata batch = new BatchMetadata(RecordBatchHeader.baseSequence(records, at),
                        RecordBatchHeader.lastSequence(records, at), baseOffset,
                        RecordBatchHeader.lastOffset(records, at), RecordBatchHeader.maxTimestamp(records, at));
                next = entry == null ? ProducerStateEntry.first(producerId, epoch, batch, appendTimeMs)
                        : entry.withBatch(epoch, batch, appendTimeMs);
            } else {
                // A coordinator's write (a transactional offset commit): no sequence to remember.
                next = entry == null ? ProducerStateEntry.empty(producerId, epoch, appendTimeMs)
                        : entry.withEpoch(epoch, appendTimeMs);
            }
            if (RecordBatchHeader.isTransactional(records, at) && !next.hasOpenTransaction()) {
                next = next.withTxnStartedAt(baseOffset);
                transactions.open(producerId, baseOffset, appendTimeMs);
                verifications.remove(producerId);
            }
            producers.put(producerId, next);
        }
        if (starts.length > 0) {
            mapEndOffset = RecordBatchHeader.lastOffset(records, starts[starts.length - 1]) + 1;
        }
        return completed;
    }

    // ---- transactions -----------------------------------------------------------------------

    /** The transactions not yet stable (open, or their marker not yet below the high watermark). */
    public UnstableTransactions transactions() {
        return transactions;
    }

    /** The log start moved to {@code logStartOffset}: completed transactions wholly below it are gone. */
    public void onLogStartOffsetIncremented(long logStartOffset) {
        transactions.onLogStartOffsetIncremented(logStartOffset);
        if (mapEndOffset < logStartOffset) {
            mapEndOffset = logStartOffset;
        }
    }

    // ---- snapshots and expiry ---------------------------------------------------------------

    /**
     * Writes the state as a snapshot at {@link #mapEndOffset()}, unless one exists at that offset
     * (the state there cannot have changed). Atomic: see {@link ProducerSnapshotFile}.
     */
    public void takeSnapshot() throws IOException {
        if (snapshots.contains(mapEndOffset)) {
            return;
        }
        snapshots.write(mapEndOffset, new ArrayList<>(new TreeMap<>(producers).values()));
    }

    /** Deletes the snapshots below {@code offset}: retention or DeleteRecords moved the log start there. */
    public void deleteSnapshotsBelow(long offset) throws IOException {
        snapshots.deleteBelow(offset);
    }

    /**
     * Forgets the producers that have not appended for {@code producerIdExpirationMs} (Kafka's
     * {@code producer.id.expiration.ms}) as of {@code nowMs}; their next batch is accepted at any
     * sequence. A producer with an open transaction is never forgotten.
     */
    public void removeExpiredProducers(long nowMs) {
        producers.values().removeIf(entry -> isExpired(entry, nowMs));
        verifications.removeExpired(nowMs, producerIdExpirationMs);
    }

    // ---- views ------------------------------------------------------------------------------

    /** The producers the partition remembers, by id: a copy, for tests and metrics. */
    public Map<Long, ProducerStateEntry> activeProducers() {
        return Collections.unmodifiableMap(new TreeMap<>(producers));
    }

    public Optional<ProducerStateEntry> producer(long producerId) {
        return Optional.ofNullable(producers.get(producerId));
    }

    /** The offset of the newest snapshot file, if any. */
    public OptionalLong latestSnapshotOffset() {
        return snapshots.latestOffset();
    }

    // ---- internals --------------------------------------------------------------------------

    /** Kafka's rule: expired once the time since the last append reaches the expiration, unless a transaction is open. */
    private boolean isExpired(ProducerStateEntry entry, long nowMs) {
        return !entry.hasOpenTransaction() && nowMs - entry.lastAppendTimeMs() >= producerIdExpirationMs;
    }

    /**
     * Where each batch between position and limit starts. The batches were validated before they
     * reach here; the walk still refuses torn framing rather than reading past the buffer.
     */
    private static int[] batchStarts(ByteBuffer records) {
        int[] starts = new int[4];
        int count = 0;
        int at = records.position();
        while (at < records.limit()) {
            if (records.limit() - at < RecordBatchHeader.HEADER_SIZE) {
                throw new LogException(LogError.CORRUPT_RECORD, "partial batch header at byte " + at);
            }
            int size = RecordBatchHeader.sizeInBytes(records, at);
            if (size < RecordBatchHeader.HEADER_SIZE || size > records.limit() - at) {
                throw new LogException(LogError.CORRUPT_RECORD, "batch at byte " + at + " claims " + size + " bytes");
            }
            if (count == starts.length) {
                starts = Arrays.copyOf(starts, count * 2);
            }
            starts[count++] = at;
            at += size;
        }
        return count == starts.length ? starts : Arrays.copyOf(starts, count);
    }
}
