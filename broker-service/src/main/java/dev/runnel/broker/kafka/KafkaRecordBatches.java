package dev.runnel.broker.kafka;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.internals.BufferSupplier;
import org.apache.kafka.common.utils.internals.CloseableIterator;

/**
 * Builds and decodes RecordBatch v2 bytes with {@code kafka-clients}, so the rest of Runnel never
 * touches its internal record classes. The storage engine reads batch headers itself (see
 * {@code storage.RecordBatchHeader}); it comes here only to look inside compressed batches.
 */
public final class KafkaRecordBatches {

    /** A record to put in a batch: timestamp, key and value (either may be {@code null}). */
    public record SimpleRecord(long timestamp, byte[] key, byte[] value) {
    }

    /** A record read back from a batch, with the offset and leader epoch of its batch. */
    public record DecodedRecord(long offset, int leaderEpoch, long timestamp, byte[] key, byte[] value) {
    }

    /** Producer identity for idempotent batches; {@link #NONE} for plain ones. */
    public record ProducerInfo(long producerId, short producerEpoch, int baseSequence) {
        public static final ProducerInfo NONE =
                new ProducerInfo(RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH, RecordBatch.NO_SEQUENCE);
    }

    /** Room for this many offset deltas before a batch's records are counted. */
    private static final int INITIAL_DELTAS = 64;

    private KafkaRecordBatches() {
    }

    /** The records decompress, but do not match their batch: record count, record structure. */
    public static final class InvalidRecordsException extends IllegalArgumentException {
        InvalidRecordsException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** One v2 batch as a producer would send it: base offset 0, no leader epoch yet, CreateTime. */
    public static ByteBuffer batch(RecordCodec codec, ProducerInfo producer, List<SimpleRecord> records) {
        int estimate = 128;
        for (SimpleRecord r : records) {
            estimate += 32 + length(r.key()) + length(r.value());
        }
        ByteBuffer buffer = ByteBuffer.allocate(estimate);
        try (MemoryRecordsBuilder builder = MemoryRecords.builder(buffer, RecordBatch.MAGIC_VALUE_V2,
                codec.compression(), TimestampType.CREATE_TIME, 0L, RecordBatch.NO_TIMESTAMP,
                producer.producerId(), producer.producerEpoch(), producer.baseSequence(), false,
                RecordBatch.NO_PARTITION_LEADER_EPOCH)) {
            for (SimpleRecord r : records) {
                builder.append(r.timestamp(), r.key(), r.value());
            }
            return builder.build().buffer();
        }
    }

    /** Decodes every record of every batch in {@code batches} (a sequence of whole v2 batches). */
    public static List<DecodedRecord> decode(ByteBuffer batches) {
        List<DecodedRecord> out = new ArrayList<>();
        for (MutableRecordBatch batch : MemoryRecords.readableRecords(batches.duplicate()).batches()) {
            batch.ensureValid();
            for (Record r : batch) {
                out.add(new DecodedRecord(r.offset(), batch.partitionLeaderEpoch(), r.timestamp(),
                        bytes(r.key()), bytes(r.value())));
            }
        }
        return out;
    }

    /** What a compressed batch holds: each record's offset delta, in order, and its records' time range. */
    public record RecordsShape(int[] offsetDeltas, long minTimestamp, long maxTimestamp) {
    }

    /**
     * Decompresses the records of one compressed v2 batch (from {@code batch}'s position to its
     * limit) and returns each record's offset delta, in order, with the smallest and largest
     * record timestamps.
     *
     * @throws InvalidRecordsException if the records do not match the header (e.g. its record count)
     * @throws IllegalArgumentException if the records cannot be decompressed
     */
    public static RecordsShape inspect(ByteBuffer batch) {
        Iterator<MutableRecordBatch> batches = MemoryRecords.readableRecords(batch.slice()).batches().iterator();
        if (!batches.hasNext()) {
            throw new IllegalArgumentException("no whole batch in " + batch.remaining() + " bytes");
        }
        MutableRecordBatch recordBatch = batches.next();
        long baseOffset = recordBatch.baseOffset();
        // The header's record count is the client's word: it sizes nothing until records are read.
        int[] deltas = new int[INITIAL_DELTAS];
        int count = 0;
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        try (CloseableIterator<Record> it = recordBatch.skipKeyValueIterator(BufferSupplier.NO_CACHING)) {
            while (it.hasNext()) {
                Record record = it.next();
                long delta = record.offset() - baseOffset;
                if (count == deltas.length) {
                    deltas = Arrays.copyOf(deltas, count * 2 + 1);
                }
                deltas[count++] = (int) delta;
                min = Math.min(min, record.timestamp());
                max = Math.max(max, record.timestamp());
            }
        } catch (org.apache.kafka.common.InvalidRecordException e) {
            throw new InvalidRecordsException("compressed records break the batch's rules: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cannot read compressed records: " + e.getMessage(), e);
        }
        return new RecordsShape(count == deltas.length ? deltas : Arrays.copyOf(deltas, count), min, max);
    }

    private static int length(byte[] bytes) {
        return bytes == null ? 0 : bytes.length;
    }

    private static byte[] bytes(ByteBuffer buffer) {
        if (buffer == null) {
            return null;
        }
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }
}
