package dev.runnel.broker.storage;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a partition remembers of one idempotent or transactional producer: its current epoch, its
 * last few batches (oldest first), when it last appended, and for a transactional producer the
 * epoch of the coordinator that wrote its last marker and where its open transaction began. The
 * batches let a retried produce request be recognised and answered with the offsets it was first
 * given. Immutable; {@link ProducerStateManager} replaces an entry on every append.
 *
 * @param producerId the producer's id, at least 0
 * @param producerEpoch the epoch of every batch in {@code batches}
 * @param batches up to {@link #MAX_BATCHES} batches, oldest first: none after a marker moved the
 *        producer to a new epoch, or when only a coordinator wrote for it (a transactional offset
 *        commit has no sequence)
 * @param lastAppendTimeMs wall time of the producer's last append, for expiry
 * @param coordinatorEpoch the coordinator epoch of the producer's last transaction marker, or -1
 * @param currentTxnFirstOffset the first offset of the producer's open transaction, or -1 if none is open
 */
public record ProducerStateEntry(long producerId, short producerEpoch, List<BatchMetadata> batches,
        long lastAppendTimeMs, int coordinatorEpoch, long currentTxnFirstOffset) {

    /**
     * How many batches are kept per producer. A producer with idempotence enabled has at most five
     * requests in flight per partition, so a retry is always of one of its last five batches.
     */
    public static final int MAX_BATCHES = 5;

    /** Where one batch of the producer landed: its sequence range, offsets and max timestamp. */
    public record BatchMetadata(int firstSeq, int lastSeq, long firstOffset, long lastOffset, long maxTimestamp) {
    }

    public ProducerStateEntry {
        if (producerId < 0) {
            throw new IllegalArgumentException("producer id " + producerId + " is negative");
        }
        batches = List.copyOf(batches);
        if (batches.size() > MAX_BATCHES) {
            throw new IllegalArgumentException("an entry keeps at most " + MAX_BATCHES + " batches, not "
                    + batches.size());
        }
        if (currentTxnFirstOffset < -1) {
            throw new IllegalArgumentException("transaction first offset " + currentTxnFirstOffset);
        }
    }

    /** An idempotent producer's entry (no transaction state). */
    public ProducerStateEntry(long producerId, short producerEpoch, List<BatchMetadata> batches, long lastAppendTimeMs) {
        this(producerId, producerEpoch, batches, lastAppendTimeMs, -1, -1);
    }

    /** An entry for a producer seen for the first time, holding one batch. */
    static ProducerStateEntry first(long producerId, short epoch, BatchMetadata batch, long appendTimeMs) {
        return new ProducerStateEntry(producerId, epoch, List.of(batch), appendTimeMs);
    }

    /** An entry for a producer known so far only by its epoch: no batches, no transaction. */
    static ProducerStateEntry empty(long producerId, short epoch, long appendTimeMs) {
        return new ProducerStateEntry(producerId, epoch, List.of(), appendTimeMs);
    }

    /** The sequence of the last record the producer appended, or -1 if no batch is retained. */
    public int lastSeq() {
        return batches.isEmpty() ? -1 : lastBatch().lastSeq();
    }

    /** The newest retained batch; there must be one. */
    public BatchMetadata lastBatch() {
        return batches.get(batches.size() - 1);
    }

    /** Whether the producer has a transaction open on this partition. */
    public boolean hasOpenTransaction() {
        return currentTxnFirstOffset >= 0;
    }

    /** The retained batch with exactly this epoch and sequence range, if any: a retry of it is a duplicate. */
    public Optional<BatchMetadata> findDuplicate(short epoch, int firstSeq, int lastSeq) {
        if (epoch != producerEpoch) {
            return Optional.empty();
        }
        for (BatchMetadata b : batches) {
            if (b.firstSeq() == firstSeq && b.lastSeq() == lastSeq) {
                return Optional.of(b);
            }
        }
        return Optional.empty();
    }

    /**
     * Whether a batch at this entry's epoch lies wholly before the retained batches: it was written
     * (a leader takes a producer's sequences only in order) but its offsets are forgotten. Only a
     * batch less than 2^30 sequences behind the last one counts, and not while the retained
     * sequences wrap past {@link Integer#MAX_VALUE}: a batch far "behind" may be one after a wrap.
     */
    public boolean precedesRetained(short epoch, int firstSeq, int lastSeq) {
        if (batches.isEmpty()) {
            return false;
        }
        int oldest = batches.get(0).firstSeq();
        return epoch == producerEpoch && oldest <= lastSeq() && 0 <= firstSeq && firstSeq <= lastSeq
                && lastSeq < oldest && lastSeq() - firstSeq < (1 << 30);
    }

    /**
     * This entry after the producer appended {@code batch} at {@code epoch}: a different epoch
     * starts the batch list afresh, the same one drops the oldest batch beyond {@link #MAX_BATCHES}.
     */
    ProducerStateEntry withBatch(short epoch, BatchMetadata batch, long appendTimeMs) {
        List<BatchMetadata> next = new ArrayList<>(MAX_BATCHES);
        if (epoch == producerEpoch) {
            next.addAll(batches.size() == MAX_BATCHES ? batches.subList(1, MAX_BATCHES) : batches);
        }
        next.add(batch);
        return new ProducerStateEntry(producerId, epoch, next, appendTimeMs, coordinatorEpoch, currentTxnFirstOffset);
    }

    /**
     * This entry after a coordinator's write at {@code epoch} that carries no sequence (a
     * transactional offset commit): a different epoch drops the retained batches.
     */
    ProducerStateEntry withEpoch(short epoch, long appendTimeMs) {
        return new ProducerStateEntry(producerId, epoch, epoch == producerEpoch ? batches : List.of(), appendTimeMs,
                coordinatorEpoch, currentTxnFirstOffset);
    }

    /** This entry with its transaction opened at {@code firstOffset}. */
    ProducerStateEntry withTxnStartedAt(long firstOffset) {
        return new ProducerStateEntry(producerId, producerEpoch, batches, lastAppendTimeMs, coordinatorEpoch, firstOffset);
    }

    /**
     * This entry after a transaction marker at {@code epoch} from coordinator epoch
     * {@code markerCoordinatorEpoch}: no transaction open; a new epoch drops the retained batches.
     */
    ProducerStateEntry afterMarker(short epoch, int markerCoordinatorEpoch, long appendTimeMs) {
        return new ProducerStateEntry(producerId, epoch, epoch == producerEpoch ? batches : List.of(), appendTimeMs,
                markerCoordinatorEpoch, -1);
    }
}
