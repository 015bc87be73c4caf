package dev.runnel.broker.group;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

import org.apache.kafka.common.protocol.Errors;

/**
 * The partitions of {@code __consumer_offsets} as the coordinator uses them: it appends its
 * records as the partition's leader and counts them written only once the ISR has them, and a new
 * leader reads a partition through to rebuild its groups.
 */
public interface GroupLog {

    /** A record to append; a null value deletes the key. */
    record Entry(byte[] key, byte[] value) {
    }

    /**
     * Appends {@code entries} to partition {@code partition} with acks=all. The future completes when
     * every in-sync replica has them, or fails with a {@link GroupLogException} carrying the produce
     * error (NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS, REQUEST_TIMED_OUT, ...).
     */
    CompletableFuture<Void> append(int partition, List<Entry> entries);

    /**
     * Reads partition {@code partition} from its start to its end, calling {@code records} with each
     * record's key and value (null for a deletion) in offset order.
     *
     * @throws GroupLogException if this broker cannot read it (no longer its leader, a storage error)
     */
    void read(int partition, BiConsumer<byte[], byte[]> records);

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
