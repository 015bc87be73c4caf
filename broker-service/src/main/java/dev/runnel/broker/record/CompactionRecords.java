package dev.runnel.broker.record;

import java.nio.ByteBuffer;
import java.util.OptionalLong;

import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.internals.BufferSupplier;
import org.apache.kafka.common.utils.internals.CloseableIterator;

/**
 * What the log cleaner needs from the record format: the keys of stored batches, and a rewrite of
 * stored batches that keeps only the records the cleaner's rules retain. The rules are the
 * cleaner's (in {@code storage}); the bytes are kafka-clients' {@code MemoryRecords.filterTo}, so a
 * rewritten batch is what Kafka's cleaner would write: same base offset, producer id, epoch, base
 * sequence and last offset delta (so the producer's last sequence survives), same codec, a fresh
 * CRC, and, when it keeps a tombstone, the delete horizon (attribute bit 6, the base timestamp
 * holding the time after which a later cleaning may drop the tombstone, as KIP-534 defines).
 *
 * <p>Stateless; each method walks whole v2 batches from the buffer's position to its limit.
 */
public final class CompactionRecords {

    /** A record's body may decompress to at most this many bytes (what a cleaning will handle). */
    private static final int MAX_RECORD_BODY_BYTES = Integer.MAX_VALUE;

    private CompactionRecords() {
    }

    /** What becomes of a whole batch, before its records are looked at. */
    public enum BatchRetention {
        /** The batch goes, whatever its records. */
        DELETE,
        /** The batch stays, emptied to its header if none of its records stays. */
        RETAIN_EMPTY,
        /** The records decide; the batch goes if none stays. */
        DELETE_EMPTY
    }

    /** A stored batch as the rules see it. */
    public record Batch(long baseOffset, long lastOffset, long producerId, short producerEpoch, boolean control,
            OptionalLong deleteHorizonMs) {
    }

    /** The cleaner's decisions. */
    public interface Rules {
        BatchRetention batch(Batch batch);

        /**
         * Whether the record at {@code offset} (of {@code batch}) stays. {@code key} is {@code null}
         * for a record without one; {@code tombstone} is true for a record with no value.
         */
        boolean retain(Batch batch, long offset, ByteBuffer key, boolean tombstone);
    }

    /** Receives the keys of a walk over stored batches. */
    public interface KeyVisitor {
        /**
         * A keyed record of a data batch, at or after the walk's first offset.
         *
         * @return whether the walk goes on (false: stop before this record, e.g. the map is full)
         */
        boolean record(long offset, ByteBuffer key);

        /** A batch was walked to its end (control batches included, whose records are not visited). */
        void batchEnd(long lastOffset);
    }

    /** What one rewrite did; {@code output} holds the kept batches from its position to its limit. */
    public record Filtered(ByteBuffer output, int recordsRead, int recordsRetained, int bytesRead, int bytesRetained) {
    }

    /**
     * Visits the key of every keyed record at or after {@code fromOffset} in the data batches of
     * {@code batches}, decompressing as needed, until the visitor says stop.
     *
     * @return whether every batch was walked (false: the visitor stopped it)
     */
    public static boolean forEachKey(ByteBuffer batches, long fromOffset, KeyVisitor visitor) {
        for (MutableRecordBatch batch : MemoryRecords.readableRecords(batches.slice()).batches()) {
            if (batch.lastOffset() < fromOffset) {
                continue;
            }
            if (!batch.isControlBatch()) {
                try (CloseableIterator<Record> records = batch.streamingIterator(BufferSupplier.NO_CACHING,
                        MAX_RECORD_BODY_BYTES)) {
                    while (records.hasNext()) {
                        Record record = records.next();
                        if (record.offset() >= fromOffset && record.hasKey()
                                && !visitor.record(record.offset(), record.key())) {
                            return false;
                        }
                    }
                }
            }
            visitor.batchEnd(batch.lastOffset());
        }
        return true;
    }

    /**
     * Writes into {@code destination} the batches of {@code batches} that the rules keep, with the
     * records they keep; {@code nowMs} and {@code deleteRetentionMs} stamp the delete horizon of a
     * kept batch that holds a tombstone and has none yet. The destination grows if it must (the
     * result's output is then a new buffer).
     */
    public static Filtered filter(ByteBuffer batches, ByteBuffer destination, long nowMs, long deleteRetentionMs,
            Rules rules) {
        MemoryRecords.RecordFilter filter = new MemoryRecords.RecordFilter(nowMs, deleteRetentionMs) {
            /** The view of the batch being filtered: one per batch, not one per record. */
            private RecordBatch viewed;
            private Batch view;

            private Batch viewOf(RecordBatch batch) {
                if (batch != viewed || batch.baseOffset() != view.baseOffset()) {
                    viewed = batch;
                    view = view(batch);
                }
                return view;
            }

            @Override
            protected BatchRetentionResult checkBatchRetention(RecordBatch batch) {
                CompactionRecords.BatchRetention decision = rules.batch(viewOf(batch));
                return new BatchRetentionResult(switch (decision) {
                    case DELETE -> MemoryRecords.RecordFilter.BatchRetention.DELETE;
                    case RETAIN_EMPTY -> MemoryRecords.RecordFilter.BatchRetention.RETAIN_EMPTY;
                    case DELETE_EMPTY -> MemoryRecords.RecordFilter.BatchRetention.DELETE_EMPTY;
                }, false);
            }

            @Override
            protected boolean shouldRetainRecord(RecordBatch batch, Record record) {
                return rules.retain(viewOf(batch), record.offset(), record.hasKey() ? record.key() : null,
                        !record.hasValue());
            }
        };
        MemoryRecords.FilterResult result = MemoryRecords.readableRecords(batches.slice()).filterTo(filter, destination,
                BufferSupplier.NO_CACHING, MAX_RECORD_BODY_BYTES);
        ByteBuffer output = result.outputBuffer();
        output.flip();
        return new Filtered(output, result.messagesRead(), result.messagesRetained(), result.bytesRead(),
                result.bytesRetained());
    }

    private static Batch view(RecordBatch batch) {
        return new Batch(batch.baseOffset(), batch.lastOffset(), batch.producerId(), batch.producerEpoch(),
                batch.isControlBatch(), batch.deleteHorizonMs());
    }
}
