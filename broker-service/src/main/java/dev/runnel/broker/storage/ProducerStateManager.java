package dev.runnel.broker.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.storage.ProducerStateEntry.BatchMetadata;

/**
 * The idempotent-producer state of one partition: per producer id, the current epoch and the last
 * {@link ProducerStateEntry#MAX_BATCHES} batches. The leader checks each produce request against it
 * ({@link #checkLeaderAppend}) so that a retried batch is answered with its first offsets instead of
 * being written twice, and a batch that skips or repeats sequences, or comes from a fenced epoch, is
 * refused. Kafka's semantics, without transactions.
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
 * <p>Not thread-safe: every method is called under the {@link PartitionLog} lock, or while the log
 * is loaded, before it is shared.
 */
public final class ProducerStateManager {

    private static final Logger log = LoggerFactory.getLogger(ProducerStateManager.class);

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

    /** How far a request's earlier batches have taken a producer, while the request is checked. */
    private record Progress(short epoch, int lastSeq) {
    }

    private final Path dir;
    private final long producerIdExpirationMs;
    private final Map<Long, ProducerStateEntry> producers = new HashMap<>();
    private final NavigableMap<Long, ProducerSnapshotFile> snapshots = new TreeMap<>();
    private long mapEndOffset;

    private ProducerStateManager(Path dir, long producerIdExpirationMs) {
        this.dir = dir;
        this.producerIdExpirationMs = producerIdExpirationMs;
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
        ProducerSnapshotFile.deleteTempFiles(dir);
        ProducerStateManager manager = new ProducerStateManager(dir, producerIdExpirationMs);
        for (ProducerSnapshotFile snapshot : ProducerSnapshotFile.listIn(dir)) {
            manager.snapshots.put(snapshot.offset(), snapshot);
        }
        return manager;
    }

    // ---- loading ----------------------------------------------------------------------------

    /**
     * Deletes the snapshots outside [{@code logStartOffset}, {@code logEndOffset}], then loads the
     * newest remaining one, skipping producers expired at {@code nowMs}. A corrupt snapshot is
     * deleted with a warning and the next older one tried; with none left the state is empty and
     * {@link #mapEndOffset()} is {@code logStartOffset}. The caller then replays the batches from
     * {@link #mapEndOffset()} to {@code logEndOffset} through {@link #update}.
     *
     * <p>Serves opening the log and truncating its end (a follower's divergence from its leader).
     */
    public void truncateAndReload(long logStartOffset, long logEndOffset, long nowMs) throws IOException {
        for (ProducerSnapshotFile snapshot : List.copyOf(snapshots.values())) {
            if (snapshot.offset() < logStartOffset || snapshot.offset() > logEndOffset) {
                deleteSnapshot(snapshot);
            }
        }
        producers.clear();
        while (!snapshots.isEmpty()) {
            ProducerSnapshotFile newest = snapshots.lastEntry().getValue();
            List<ProducerStateEntry> entries;
            try {
                entries = newest.read();
            } catch (ProducerSnapshotFile.CorruptSnapshotException | NoSuchFileException e) {
                log.warn("Deleting producer snapshot {} and trying an older one: {}", newest, e.getMessage());
                deleteSnapshot(newest);
                continue;
            }
            for (ProducerStateEntry entry : entries) {
                if (!isExpired(entry, nowMs)) {
                    producers.put(entry.producerId(), entry);
                }
            }
            mapEndOffset = newest.offset();
            return;
        }
        mapEndOffset = logStartOffset;
    }

    /** Forgets every producer and deletes every snapshot: the log was emptied and restarts at {@code offset}. */
    public void truncateFullyAndStartAt(long offset) throws IOException {
        for (ProducerSnapshotFile snapshot : List.copyOf(snapshots.values())) {
            deleteSnapshot(snapshot);
        }
        producers.clear();
        mapEndOffset = offset;
    }

    /** The log offset up to which the state reflects the log (exclusive). */
    public long mapEndOffset() {
        return mapEndOffset;
    }

    // ---- appending --------------------------------------------------------------------------

    /**
     * Checks a leader append (whole v2 batches from position to limit, offsets not yet assigned)
     * and changes nothing.
     *
     * <p>If the request is a single batch with a producer id that repeats one of the producer's
     * retained batches (same epoch, first and last sequence), returns that batch's offsets: the
     * caller answers with them and appends nothing. A duplicate among several batches is not
     * answered this way, since acknowledging it would drop the request's other batches unwritten;
     * Kafka's producers send one batch per partition anyway.
     *
     * <p>Otherwise returns {@code null} if the append may go ahead. Batches without a producer id
     * are not checked; the batches of one producer must continue its sequence and each other's.
     *
     * @throws LogException {@link LogError#INVALID_PRODUCER_EPOCH} for an epoch older than the
     *         producer's; {@link LogError#OUT_OF_ORDER_SEQUENCE} for a known producer's batch that
     *         does not follow its last sequence at the same epoch, or does not start at 0 at a
     *         newer one; {@link LogError#INVALID_RECORD} for a producer id without a sequence
     */
    public DuplicateBatch checkLeaderAppend(ByteBuffer records) {
        int[] starts = batchStarts(records);
        Map<Long, Progress> progress = new HashMap<>();
        for (int at : starts) {
            if (!RecordBatchHeader.hasProducerId(records, at) || RecordBatchHeader.isControl(records, at)) {
                continue;
            }
            long producerId = RecordBatchHeader.producerId(records, at);
            short epoch = RecordBatchHeader.producerEpoch(records, at);
            int firstSeq = RecordBatchHeader.baseSequence(records, at);
            int lastSeq = RecordBatchHeader.lastSequence(records, at);
            if (firstSeq < 0) {
                throw new LogException(LogError.INVALID_RECORD,
                        "batch of producer " + producerId + " has no sequence number (" + firstSeq + ")");
            }
            ProducerStateEntry entry = producers.get(producerId);
            if (starts.length == 1 && entry != null) {
                Optional<BatchMetadata> duplicate = entry.findDuplicate(epoch, firstSeq, lastSeq);
                if (duplicate.isPresent()) {
                    BatchMetadata b = duplicate.get();
                    return new DuplicateBatch(b.firstOffset(), b.lastOffset(), b.maxTimestamp());
                }
                if (entry.precedesRetained(epoch, firstSeq, lastSeq)) {
                    // Written before, forgotten since: a retry that waited while newer batches of the
                    // producer went to the log (a leader change with requests in flight to both leaders).
                    // OUT_OF_ORDER_SEQUENCE_NUMBER would make a Java producer bump its epoch and write
                    // it again, and librdkafka's stop; DUPLICATE_SEQUENCE_NUMBER is taken as written.
                    log.info("{}: producer {} retried sequences {}..{} at epoch {}, older than its retained batches "
                            + "(from sequence {}); answered DUPLICATE_SEQUENCE_NUMBER", dir.getFileName(), producerId,
                            firstSeq, lastSeq, epoch, entry.batches().get(0).firstSeq());
                    return DuplicateBatch.beforeRetained(entry.batches().get(0).firstOffset());
                }
            }
            Progress previous = progress.get(producerId);
            boolean firstInRequest = previous == null;
            if (previous == null && entry != null) {
                previous = new Progress(entry.producerEpoch(), entry.lastSeq());
            }
            checkEpochAndSequence(producerId, previous, epoch, firstSeq);
            if (firstInRequest && entry != null && epoch > entry.producerEpoch()) {
                log.info("{}: producer {} moves from epoch {} to {} (its last sequence was {})", dir.getFileName(),
                        producerId, entry.producerEpoch(), epoch, entry.lastSeq());
            } else if (previous == null && firstSeq != 0) {
                log.info("{}: producer {} is unknown here; its epoch {} is accepted at sequence {}", dir.getFileName(),
                        producerId, epoch, firstSeq);
            }
            progress.put(producerId, new Progress(epoch, lastSeq));
        }
        return null;
    }

    /**
     * Records appended batches, offsets assigned (a leader append after assignment, a follower
     * append, or recovery's replay), and moves {@link #mapEndOffset()} past the last one. Nothing is
     * checked: the leader checked before appending, and a follower takes what its leader wrote.
     *
     * @param appendTimeMs wall time of the append, from which the producers' expiry counts
     */
    public void update(ByteBuffer records, long appendTimeMs) {
        int[] starts = batchStarts(records);
        for (int at : starts) {
            if (!RecordBatchHeader.hasProducerId(records, at) || RecordBatchHeader.isControl(records, at)) {
                continue;
            }
            long producerId = RecordBatchHeader.producerId(records, at);
            short epoch = RecordBatchHeader.producerEpoch(records, at);
            BatchMetadata batch = new BatchMetadata(RecordBatchHeader.baseSequence(records, at),
                    RecordBatchHeader.lastSequence(records, at), RecordBatchHeader.baseOffset(records, at),
                    RecordBatchHeader.lastOffset(records, at), RecordBatchHeader.maxTimestamp(records, at));
            ProducerStateEntry entry = producers.get(producerId);
            producers.put(producerId, entry == null
                    ? ProducerStateEntry.first(producerId, epoch, batch, appendTimeMs)
                    : entry.withBatch(epoch, batch, appendTimeMs));
        }
        if (starts.length > 0) {
            mapEndOffset = RecordBatchHeader.lastOffset(records, starts[starts.length - 1]) + 1;
        }
    }

    // ---- snapshots and expiry ---------------------------------------------------------------

    /**
     * Writes the state as a snapshot at {@link #mapEndOffset()}, unless one exists at that offset
     * (the state there cannot have changed). Atomic: see {@link ProducerSnapshotFile}.
     */
    public void takeSnapshot() throws IOException {
        if (snapshots.containsKey(mapEndOffset)) {
            return;
        }
        ProducerSnapshotFile snapshot = ProducerSnapshotFile.at(dir, mapEndOffset);
        List<ProducerStateEntry> entries = new ArrayList<>(new TreeMap<>(producers).values());
        snapshot.write(entries);
        snapshots.put(mapEndOffset, snapshot);
    }

    /** Deletes the snapshots below {@code offset}: retention or DeleteRecords moved the log start there. */
    public void deleteSnapshotsBelow(long offset) throws IOException {
        for (ProducerSnapshotFile snapshot : List.copyOf(snapshots.headMap(offset, false).values())) {
            deleteSnapshot(snapshot);
        }
    }

    /**
     * Forgets the producers that have not appended for {@code producerIdExpirationMs} (Kafka's
     * {@code producer.id.expiration.ms}) as of {@code nowMs}; their next batch is accepted at any
     * sequence.
     */
    public void removeExpiredProducers(long nowMs) {
        producers.values().removeIf(entry -> isExpired(entry, nowMs));
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
        return snapshots.isEmpty() ? OptionalLong.empty() : OptionalLong.of(snapshots.lastKey());
    }

    // ---- internals --------------------------------------------------------------------------

    private static void checkEpochAndSequence(long producerId, Progress previous, short epoch, int firstSeq) {
        if (previous == null) {
            return; // unknown producer: any sequence (KIP-360)
        }
        if (epoch < previous.epoch()) {
            throw new LogException(LogError.INVALID_PRODUCER_EPOCH, "producer " + producerId + " epoch " + epoch
                    + " is older than its current epoch " + previous.epoch());
        }
        if (epoch > previous.epoch()) {
            if (firstSeq != 0) {
                throw new LogException(LogError.OUT_OF_ORDER_SEQUENCE, "producer " + producerId + " starts epoch "
                        + epoch + " at sequence " + firstSeq + ", not 0");
            }
        } else if (!inSequence(previous.lastSeq(), firstSeq)) {
            throw new LogException(LogError.OUT_OF_ORDER_SEQUENCE, "producer " + producerId + " sent sequence "
                    + firstSeq + " after " + previous.lastSeq() + " at epoch " + epoch);
        }
    }

    /** Whether {@code nextSeq} follows {@code lastSeq}; sequences wrap from {@link Integer#MAX_VALUE} to 0. */
    private static boolean inSequence(int lastSeq, int nextSeq) {
        return nextSeq == lastSeq + 1L || (nextSeq == 0 && lastSeq == Integer.MAX_VALUE);
    }

    /** Kafka's rule: expired once the time since the last append reaches the expiration. */
    private boolean isExpired(ProducerStateEntry entry, long nowMs) {
        return nowMs - entry.lastAppendTimeMs() >= producerIdExpirationMs;
    }

    private void deleteSnapshot(ProducerSnapshotFile snapshot) throws IOException {
        snapshot.delete();
        snapshots.remove(snapshot.offset());
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
