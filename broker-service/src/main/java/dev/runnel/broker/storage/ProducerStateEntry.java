package dev.runnel.broker.storage;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a partition remembers of one idempotent producer: its current epoch, its last few batches
 * (oldest first) and when it last appended. The batches let a retried produce request be
 * recognised and answered with the offsets it was first given. Immutable; {@link
 * ProducerStateManager} replaces an entry on every append.
 *
 * @param producerId the producer's id, at least 0
 * @param producerEpoch the epoch of every batch in {@code batches}
 * @param batches one to {@link #MAX_BATCHES} batches, oldest first
 * @param lastAppendTimeMs wall time of the producer's last append, for expiry
 */
public record ProducerStateEntry(long producerId, short producerEpoch, List<BatchMetadata> batches,
        long lastAppendTimeMs) {

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
        if (batches.isEmpty() || batches.size() > MAX_BATCHES) {
            throw new IllegalArgumentException("an entry keeps 1 to " + MAX_BATCHES + " batches, not "
                    + batches.size());
        }
    }

    /** An entry for a producer seen for the first time (or at a new epoch), holding one batch. */
    static ProducerStateEntry first(long producerId, short epoch, BatchMetadata batch, long appendTimeMs) {
        return new ProducerStateEntry(producerId, epoch, List.of(batch), appendTimeMs);
    }

    /** The sequence of the last record the producer appended. */
    public int lastSeq() {
        return lastBatch().lastSeq();
    }

    public BatchMetadata lastBatch() {
        return batches.get(batches.size() - 1);
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
        int oldest = batches.get(0).firstSeq();
        return epoch == producerEpoch && oldest <= lastSeq() && 0 <= firstSeq && firstSeq <= lastSeq
                && lastSeq < oldest && lastSeq() - firstSeq < (1 << 30);
    }

    /**
     * This entry after the producer appended {@code batch} at {@code epoch}: a different epoch
     * starts the batch list afresh, the same one drops the oldest batch beyond {@link #MAX_BATCHES}.
     */
    ProducerStateEntry withBatch(short epoch, BatchMetadata batch, long appendTimeMs) {
        if (epoch != producerEpoch) {
            return first(producerId, epoch, batch, appendTimeMs);
        }
        List<BatchMetadata> next = new ArrayList<>(MAX_BATCHES);
        next.addAll(batches.size() == MAX_BATCHES ? batches.subList(1, MAX_BATCHES) : batches);
        next.add(batch);
        return new ProducerStateEntry(producerId, epoch, next, appendTimeMs);
    }
}
