package dev.runnel.broker.transaction;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

import org.apache.kafka.common.protocol.Errors;

/**
 * The partitions of {@code __transaction_state} as the coordinator uses them: it appends a
 * transactional id's records as the partition's leader and counts them written only once the ISR
 * has them, and a new leader reads a partition through to rebuild its ids. Implemented over the
 * replica manager (acks=all, no compression, internal topic allowed, origin coordinator).
 */
public interface TransactionLog {

    /** A record to append; a null value is a tombstone. */
    record Entry(byte[] key, byte[] value) {
    }

    /**
     * Appends {@code entries} to partition {@code partition} with acks=all, as the leader at
     * {@code coordinatorEpoch} (the leader epoch the partition was loaded at): an implementation
     * refuses the append if the partition's leader epoch is another one by now, so a deposed
     * coordinator can never write after its successor loaded. The future completes when every
     * in-sync replica has the entries, or fails with a {@link TransactionLogException} carrying the
     * produce error (NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS, REQUEST_TIMED_OUT, ...).
     */
    CompletableFuture<Void> append(int partition, int coordinatorEpoch, List<Entry> entries);

    /**
     * Reads partition {@code partition} from its start to its end, calling {@code records} with each
     * record's key and value (null for a tombstone) in offset order.
     *
     * @throws TransactionLogException if this broker cannot read it (no longer its leader, a storage error)
     */
    void read(int partition, BiConsumer<byte[], byte[]> records);

    /** Why an append or a read failed, as a Kafka error. */
    final class TransactionLogException extends RuntimeException {

        private final transient Errors error;

        public TransactionLogException(Errors error, String message) {
            super(message);
            this.error = error;
        }

        public Errors error() {
            return error;
        }
    }
}
