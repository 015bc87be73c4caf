package dev.runnel.broker.storage;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import dev.runnel.broker.record.KafkaRecordBatches;
import dev.runnel.broker.record.KafkaRecordBatches.ProducerInfo;
import dev.runnel.broker.record.KafkaRecordBatches.SimpleRecord;
import dev.runnel.broker.record.RecordCodec;

/** Builds RecordBatch v2 bytes for storage tests, as a producer would send them. */
final class TestBatches {

    private TestBatches() {
    }

    /** One uncompressed batch of {@code count} records "v0".."v(n-1)" stamped {@code timestamp}. */
    static ByteBuffer batch(int count, long timestamp) {
        return batch(RecordCodec.NONE, count, timestamp, "v");
    }

    /** One batch of {@code count} records whose values are {@code prefix + i}. */
    static ByteBuffer batch(RecordCodec codec, int count, long timestamp, String prefix) {
        List<SimpleRecord> records = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            records.add(new SimpleRecord(timestamp, null, (prefix + i).getBytes(StandardCharsets.UTF_8)));
        }
        return KafkaRecordBatches.batch(codec, ProducerInfo.NONE, records);
    }

    /** One batch with a record per key ({@code null}: a record without a key), values "v0".."v(n-1)". */
    static ByteBuffer keyed(RecordCodec codec, long timestamp, String... keys) {
        List<SimpleRecord> records = new ArrayList<>(keys.length);
        for (int i = 0; i < keys.length; i++) {
            byte[] key = keys[i] == null ? null : keys[i].getBytes(StandardCharsets.UTF_8);
            records.add(new SimpleRecord(timestamp, key, ("v" + i).getBytes(StandardCharsets.UTF_8)));
        }
        return KafkaRecordBatches.batch(codec, ProducerInfo.NONE, records);
    }

    /** One batch of {@code count} records each with a value of {@code valueSize} bytes. */
    static ByteBuffer batchOfSize(int count, int valueSize, long timestamp) {
        List<SimpleRecord> records = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            records.add(new SimpleRecord(timestamp, null, new byte[valueSize]));
        }
        return KafkaRecordBatches.batch(RecordCodec.NONE, ProducerInfo.NONE, records);
    }

    /** Several batches back to back in one buffer (a multi-batch produce). */
    static ByteBuffer concat(ByteBuffer... batches) {
        int size = 0;
        for (ByteBuffer b : batches) {
            size += b.remaining();
        }
        ByteBuffer out = ByteBuffer.allocate(size);
        for (ByteBuffer b : batches) {
            out.put(b.duplicate());
        }
        return out.flip();
    }

    /** The values of every record in {@code bytes}, decoded, as strings. */
    static List<String> values(ByteBuffer bytes) {
        List<String> values = new ArrayList<>();
        for (KafkaRecordBatches.DecodedRecord r : KafkaRecordBatches.decode(bytes)) {
            values.add(new String(r.value(), StandardCharsets.UTF_8));
        }
        return values;
    }

    /** The offsets of every record in {@code bytes}. */
    static List<Long> offsets(ByteBuffer bytes) {
        List<Long> offsets = new ArrayList<>();
        for (KafkaRecordBatches.DecodedRecord r : KafkaRecordBatches.decode(bytes)) {
            offsets.add(r.offset());
        }
        return offsets;
    }
}
