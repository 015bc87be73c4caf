package dev.runnel.broker.record;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.internals.BufferSupplier;
import org.apache.kafka.common.utils.internals.CloseableIterator;

/**
 * Builds and decodes RecordBatch v2 bytes with {@code kafka-clients}, so the rest of Runnel never
 * touches its internal record classes. The storage engine, which sits above this package, reads
 * batch headers itself; it comes here only to look inside compressed batches and to find a
 * record by its timestamp.
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
        return batch(codec, producer, false, records);
    }

    /**
     * One v2 batch as a producer would send it, transactional (attribute bit 4) if {@code
     * transactional}: a transactional producer's batch, or with {@link RecordBatch#NO_SEQUENCE} a
     * coordinator's transactional offset commit.
     */
    public static ByteBuffer batch(RecordCodec codec, ProducerInfo producer, boolean transactional,
            List<SimpleRecord> records) {
        int estimate = 128;
        for (SimpleRecord r : records) {
            estimate += 32 + length(r.key()) + length(r.value());
        }
        ByteBuffer buffer = ByteBuffer.allocate(estimate);
        try (MemoryRecordsBuilder builder = MemoryRecords.builder(buffer, RecordBatch.MAGIC_VALUE_V2,
                codec.compression(), TimestampType.CREATE_TIME, 0L, RecordBatch.NO_TIMESTAMP,
                producer.producerId(), producer.producerEpoch(), producer.baseSequence(), transactional,
                RecordBatch.NO_PARTITION_LEADER_EPOCH)) {
            for (SimpleRecord r : records) {
                builder.append(r.timestamp(), r.key(), r.value());
            }
            return builder.build().buffer();
        }
    }

    /**
     * A transaction marker batch (KIP-98): a control batch of the producer's id and epoch holding one
     * COMMIT or ABORT record with the coordinator's epoch, time {@code timestamp}, as
     * WriteTxnMarkers has a partition leader append it.
     */
    public static ByteBuffer endTxnMarker(long producerId, short producerEpoch, int coordinatorEpoch, boolean commit,
            long timestamp) {
        EndTransactionMarker marker = new EndTransactionMarker(commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT,
                coordinatorEpoch);
        return MemoryRecords.withEndTransactionMarker(0L, timestamp, RecordBatch.NO_PARTITION_LEADER_EPOCH, producerId,
                producerEpoch, marker).buffer();
    }

    /**
     * A batch read back with its header fields: offsets, producer, whether it is transactional or a
     * control batch, and for a transaction marker whether it committed ({@code marker} null
     * otherwise); {@code records} is empty for a control batch.
     */
    public record DecodedBatch(long baseOffset, long lastOffset, long producerId, short producerEpoch,
            boolean transactional, boolean control, Marker marker, List<DecodedRecord> records) {
    }

    /** A transaction marker's content: COMMIT or ABORT, and the coordinator epoch that wrote it. */
    public record Marker(boolean commit, int coordinatorEpoch) {
    }

    /** Decodes every batch in {@code batches} (whole v2 batches), control batches included. */
    public static List<DecodedBatch> decodeBatches(ByteBuffer batches) {
        List<DecodedBatch> out = new ArrayList<>();
        for (MutableRecordBatch batch : MemoryRecords.readableRecords(batches.duplicate()).batches()) {
            batch.ensureValid();
            List<DecodedRecord> records = new ArrayList<>();
            Marker marker = null;
            for (Record r : batch) {
                if (batch.isControlBatch()) {
                    ControlRecordType type = ControlRecordType.parse(r.key());
                    if (type == ControlRecordType.COMMIT || type == ControlRecordType.ABORT) {
                        EndTransactionMarker m = EndTransactionMarker.deserialize(r);
                        marker = new Marker(type == ControlRecordType.COMMIT, m.coordinatorEpoch());
                    }
                } else {
                    records.add(new DecodedRecord(r.offset(), batch.partitionLeaderEpoch(), r.timestamp(),
                            bytes(r.key()), bytes(r.value())));
                }
            }
            out.add(new DecodedBatch(batch.baseOffset(), batch.lastOffset(), batch.producerId(), batch.producerEpoch(),
                    batch.isTransactional(), batch.isControlBatch(), marker, records));
        }
        return out;
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

    /**
     * What a compressed batch holds, once checked: its record count, its records' time range, and
     * the index of its first record without a key (-1: every record has one).
     */
    public record RecordsShape(int count, long minTimestamp, long maxTimestamp, int firstKeyless) {
    }

    /**
     * Decompresses the records of one compressed v2 batch (from {@code batch}'s position to its
     * limit) record by record, checking as it goes that their offset deltas run 0, 1, 2, ... and
     * that there are no more of them than the header's record count: a batch whose records break
     * that is refused at the first one that does, before more is decompressed. Nothing is sized by
     * the header's claim, and nothing is kept per record.
     *
     * @throws InvalidRecordsException if the records do not match the header (count, offset deltas)
     * @throws IllegalArgumentException if the records cannot be decompressed
     */
    public static RecordsShape inspect(ByteBuffer batch) {
        Iterator<MutableRecordBatch> batches = MemoryRecords.readableRecords(batch.slice()).batches().iterator();
        if (!batches.hasNext()) {
            throw new IllegalArgumentException("no whole batch in " + batch.remaining() + " bytes");
        }
        MutableRecordBatch recordBatch = batches.next();
        long baseOffset = recordBatch.baseOffset();
        Integer claimed = recordBatch.countOrNull();
        int count = 0;
        int firstKeyless = -1;
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        try (CloseableIterator<Record> it = recordBatch.skipKeyValueIterator(BufferSupplier.NO_CACHING)) {
            while (it.hasNext()) {
                Record record = it.next();
                long delta = record.offset() - baseOffset;
                if (delta != count) {
                    throw new InvalidRecordsException("record offset delta " + delta + " where " + count
                            + " was expected", null);
                }
                if (claimed != null && count >= claimed) {
                    throw new InvalidRecordsException("batch header says " + claimed + " records but holds more", null);
                }
                if (firstKeyless < 0 && !record.hasKey()) {
                    firstKeyless = count;
                }
                count++;
                min = Math.min(min, record.timestamp());
                max = Math.max(max, record.timestamp());
            }
        } catch (InvalidRecordsException e) {
            throw e;
        } catch (InvalidRecordException e) {
            throw new InvalidRecordsException("compressed records break the batch's rules: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cannot read compressed records: " + e.getMessage(), e);
        }
        return new RecordsShape(count, min, max, firstKeyless);
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
