package dev.runnel.bench.storage;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import dev.runnel.broker.record.KafkaRecordBatches;
import dev.runnel.broker.record.KafkaRecordBatches.ProducerInfo;
import dev.runnel.broker.record.KafkaRecordBatches.SimpleRecord;
import dev.runnel.broker.record.RecordCodec;

/** Builds the producer batches the benchmarks append: uncompressed, 100-byte values, no keys. */
public final class Batches {

    /** Bytes in each record's value. */
    public static final int VALUE_BYTES = 100;

    private Batches() {
    }

    /** One v2 batch holding as many 100-byte records as fit in {@code maxBytes}, and its record count. */
    public record Batch(ByteBuffer buffer, int records) {

        public int sizeInBytes() {
            return buffer.remaining();
        }
    }

    /** The largest batch of 100-byte-value records whose size is at most {@code maxBytes}. */
    public static Batch build(int maxBytes) {
        byte[] value = new byte[VALUE_BYTES];
        new Random(42).nextBytes(value);
        long timestamp = System.currentTimeMillis();
        // Binary search on the record count: sizes grow by ~108 bytes a record (varints vary).
        int low = 1;
        int high = maxBytes / VALUE_BYTES + 1;
        ByteBuffer best = null;
        int bestCount = 0;
        while (low <= high) {
            int count = (low + high) >>> 1;
            ByteBuffer candidate = batch(count, timestamp, value);
            if (candidate.remaining() <= maxBytes) {
                best = candidate;
                bestCount = count;
                low = count + 1;
            } else {
                high = count - 1;
            }
        }
        if (best == null) {
            throw new IllegalArgumentException("no batch of one " + VALUE_BYTES + "-byte record fits in " + maxBytes);
        }
        return new Batch(best, bestCount);
    }

    private static ByteBuffer batch(int count, long timestamp, byte[] value) {
        List<SimpleRecord> records = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            records.add(new SimpleRecord(timestamp, null, value));
        }
        return KafkaRecordBatches.batch(RecordCodec.NONE, ProducerInfo.NONE, records);
    }
}
