package dev.runnel.broker.sharestate;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

import org.apache.kafka.common.protocol.Errors;

/**
 * The share coordinator's view of {@code __share_group_state}: appends to a partition it leads,
 * replicated to the ISR before they complete, and whole-partition reads for loading. Implemented
 * over the replica manager by the application package.
 */
public interface ShareStateLog {

    /** One record's key and value; a null value is a tombstone. */
    record Entry(byte[] key, byte[] value) {
    }

    /** A failed append or read, with the produce or fetch error Kafka would answer. */
    final class ShareStateLogException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient Errors error;

        public ShareStateLogException(Errors error, String message) {
            super(message, null, false, false);
            this.error = error;
        }

        public Errors error() {
            return error;
        }
    }

    /**
     * Appends {@code entries} to {@code partition} as its leader at {@code leaderEpoch} (a newer
     * leadership refuses it) with acks=all; completes once the ISR has them, or fails with a
     * {@link ShareStateLogException}.
     */
    CompletableFuture<Void> append(int partition, int leaderEpoch, List<Entry> entries);

    /** Hands every keyed record of {@code partition} to {@code records} in offset order; blocks. */
    void read(int partition, BiConsumer<byte[], byte[]> records);
}
