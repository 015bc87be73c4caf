package dev.runnel.broker.group;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import org.apache.kafka.common.protocol.Errors;

/**
 * The partitions of {@code __consumer_offsets} as the coordinator uses them: it appends its
 * records as the partition's leader and counts them written only once the ISR has them, and a new
 * leader reads a partition through to rebuild its groups.
 *
 * <p>Three kinds of batch go in: plain ones (offset commits, group metadata, tombstones),
 * transactional ones (TxnOffsetCommit: the producer's id and epoch, so the partition refuses a
 * fenced epoch and a read_committed reader sees them only once committed) and the COMMIT or ABORT
 * markers that end a producer's transaction on the partition. Reads give them back as batches, in
 * log order, so a marker is replayed after the offsets it completes.
 */
public interface GroupLog {

    /** A batch's producer id when it has none (Kafka's {@code RecordBatch.NO_PRODUCER_ID}). */
    long NO_PRODUCER_ID = -1L;

    /** A record to append; a null value deletes the key. */
    record Entry(byte[] key, byte[] value) {
    }

    /** A record read back, at its offset in the partition; a null value deletes the key. */
    record Logged(long offset, byte[] key, byte[] value) {
    }

    /** How a transaction ended, as its marker says. */
    enum Marker { COMMIT, ABORT }

    /**
     * A batch read back: data records, with the producer id when the batch is transactional
     * ({@link #NO_PRODUCER_ID} otherwise), or a transaction marker of {@code producerId} (no records).
     */
    record Batch(long producerId, Marker marker, List<Logged> records) {

        public Batch {
            records = List.copyOf(records);
        }

        /** Plain records: no producer, no transaction. */
        public static Batch plain(List<Logged> records) {
            return new Batch(NO_PRODUCER_ID, null, records);
        }

        /** Records of {@code producerId}'s open transaction. */
        public static Batch transactional(long producerId, List<Logged> records) {
            return new Batch(producerId, null, records);
        }

        /** {@code producerId}'s transaction ended with {@code marker}. */
        public static Batch marker(long producerId, Marker marker) {
            return new Batch(producerId, marker, List.of());
        }

        public boolean isTransactional() {
            return producerId != NO_PRODUCER_ID;
        }
    }

    /**
     * Appends {@code entries} to partition {@code partition} in one plain batch with acks=all. The
     * future completes with the offset of the first record when every in-sync replica has them, or
     * fails with a {@link GroupLogException} carrying the produce error (NOT_LEADER_OR_FOLLOWER,
     * NOT_ENOUGH_REPLICAS, REQUEST_TIMED_OUT, ...).
     */
    CompletableFuture<Long> append(int partition, List<Entry> entries);

    /**
     * Starts verifying a transactional offset commit of the producer on partition {@code partition}
     * (KIP-890): the token its write must carry if it opens the producer's transaction there, taken
     * before the transaction coordinator is asked, so that a transaction that ended meanwhile cannot
     * be reopened by the write; null if the producer's transaction is already open there.
     *
     * @throws GroupLogException NOT_LEADER_OR_FOLLOWER if this broker does not lead the partition
     */
    Object startTransactionVerification(int partition, long producerId, short producerEpoch);

    /**
     * Appends {@code entries} as {@link #append} does, in one transactional batch of the producer's
     * id and epoch (a transactional offset commit), with the {@code verification} token of
     * {@link #startTransactionVerification}; an epoch older than the partition knows for the
     * producer fails with INVALID_PRODUCER_EPOCH, a write that would open a transaction without its
     * token with INVALID_TXN_STATE.
     */
    CompletableFuture<Long> appendTransactional(int partition, long producerId, short producerEpoch,
            List<Entry> entries, Object verification);

    /**
     * Appends the COMMIT ({@code commit}) or ABORT marker of the producer's transaction, written by
     * the transaction coordinator of epoch {@code coordinatorEpoch}, with acks=all; completes with
     * the marker's offset, or fails as {@link #append} does (also INVALID_PRODUCER_EPOCH,
     * TRANSACTION_COORDINATOR_FENCED).
     */
    CompletableFuture<Long> appendMarker(int partition, long producerId, short producerEpoch, int coordinatorEpoch,
            boolean commit);

    /**
     * Reads partition {@code partition} from its start to its end, calling {@code batches} with each
     * batch in offset order (records without a key, and control batches other than transaction
     * markers, are left out).
     *
     * @throws GroupLogException if this broker cannot read it (no longer its leader, a storage error)
     */
    void read(int partition, Consumer<Batch> batches);

    /** Why an append or a read failed, as a Kafka error. */
    final class GroupLogException extends RuntimeException {

        private final transient Errors error;

        public GroupLogException(Errors error, String message) {
            super(message);
            this.error = error;
        }

        public Errors error() {
            return error;
        }
    }
}
