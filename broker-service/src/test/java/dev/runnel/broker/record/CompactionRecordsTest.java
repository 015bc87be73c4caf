package dev.runnel.broker.record;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.utils.internals.ByteBufferOutputStream;
import org.junit.jupiter.api.Test;

/**
 * The cleaner's fast walk over uncompressed batches gives exactly what kafka-clients' own decoding
 * and {@code filterTo} give: the same keys and offsets, and byte for byte the same output, over
 * random batches (keys and values of any size or none, headers, tombstones, producers, delete
 * horizons, several codecs) and random retention rules.
 */
class CompactionRecordsTest {

    private final Random random = new Random(7);

    @Test
    void theFastPathsMatchKafkaClientsOnRandomBatches() {
        for (int trial = 0; trial < 300; trial++) {
            ByteBuffer batches = randomBatches();
            Map<String, Long> latest = new HashMap<>();
            List<long[]> fastKeys = new ArrayList<>();
            List<long[]> slowKeys = new ArrayList<>();
            long from = random.nextInt(20);
            CompactionRecords.forEachKey(batches, from, recorder(fastKeys, latest));
            forEachKeyWithKafkaClients(batches, from, recorder(slowKeys, new HashMap<>()));
            assertThat(fastKeys).as("keys of trial %d", trial).containsExactlyElementsOf(slowKeys);

            long now = 1_000_000;
            CompactionRecords.Rules rules = rules(latest, random.nextLong(), now);
            // Small destinations: the outputs must grow, several times within a call.
            CompactionRecords.Filtered fast = CompactionRecords.filter(batches, ByteBuffer.allocate(64), now, 500, rules);
            CompactionRecords.Filtered slow = CompactionRecords.filterDecoded(batches.slice(), ByteBuffer.allocate(64),
                    now, 500, rules);
            assertThat(bytes(fast.output())).as("output of trial %d", trial).isEqualTo(bytes(slow.output()));
            assertThat(fast.recordsRetained()).isEqualTo(slow.recordsRetained());
        }
    }

    /** {@link CompactionRecords#forEachKey} done wholly by kafka-clients, batch by batch. */
    private static void forEachKeyWithKafkaClients(ByteBuffer batches, long fromOffset,
            CompactionRecords.KeyVisitor visitor) {
        for (MutableRecordBatch batch : MemoryRecords.readableRecords(batches.slice()).batches()) {
            if (batch.lastOffset() < fromOffset) {
                continue;
            }
            if (!batch.isControlBatch()) {
                ByteBuffer one = ByteBuffer.allocate(batch.sizeInBytes());
                batch.writeTo(one);
                CompactionRecords.forEachKeyDecoded(one.flip(), fromOffset, visitor);
            }
            visitor.batchEnd(batch.lastOffset());
        }
    }

    /** Records every key's offset and hash as [offset, hash]; keeps the latest offset per key. */
    private static CompactionRecords.KeyVisitor recorder(List<long[]> seen, Map<String, Long> latest) {
        return new CompactionRecords.KeyVisitor() {
            @Override
            public boolean record(long offset, ByteBuffer key) {
                String k = StandardCharsets.UTF_8.decode(key.duplicate()).toString();
                seen.add(new long[] {offset, k.hashCode()});
                latest.put(k, offset);
                return true;
            }

            @Override
            public void batchEnd(long lastOffset) {
                seen.add(new long[] {-1, lastOffset});
            }
        };
    }

    /** Keeps a record if it is the latest of its key (by the map) or a coin says so; tombstones as the cleaner does. */
    private static CompactionRecords.Rules rules(Map<String, Long> latest, long seed, long now) {
        Random coin = new Random(seed);
        Map<Long, Boolean> decided = new HashMap<>();
        return new CompactionRecords.Rules() {
            @Override
            public CompactionRecords.BatchRetention batch(CompactionRecords.Batch batch) {
                return CompactionRecords.BatchRetention.values()[(int) Math.floorMod(batch.baseOffset() * 31 + seed, 3)];
            }

            @Override
            public boolean retain(CompactionRecords.Batch batch, long offset, ByteBuffer key, boolean tombstone) {
                // Decided once per offset, so both paths see the same answers whatever order they ask in.
                return decided.computeIfAbsent(offset, o -> {
                    if (key == null) {
                        return coin.nextInt(4) == 0;
                    }
                    String k = StandardCharsets.UTF_8.decode(key.duplicate()).toString();
                    boolean isLatest = latest.getOrDefault(k, -1L) <= offset || coin.nextBoolean();
                    return isLatest && (!tombstone || batch.deleteHorizonMs().isEmpty()
                            || now < batch.deleteHorizonMs().getAsLong());
                });
            }
        };
    }

    private ByteBuffer randomBatches() {
        ByteBuffer all = ByteBuffer.allocate(1 << 20);
        long offset = 0;
        int batches = 1 + random.nextInt(6);
        for (int b = 0; b < batches; b++) {
            Compression codec = random.nextInt(4) == 0 ? Compression.lz4().build() : Compression.NONE;
            boolean idempotent = random.nextBoolean();
            long deleteHorizon = random.nextInt(3) == 0 ? 999_000 + random.nextInt(2_000) : RecordBatch.NO_TIMESTAMP;
            ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
            MemoryRecordsBuilder builder = new MemoryRecordsBuilder(new ByteBufferOutputStream(buffer),
                    RecordBatch.MAGIC_VALUE_V2, codec,
                    TimestampType.CREATE_TIME, offset, 1000, idempotent ? 42 : RecordBatch.NO_PRODUCER_ID,
                    idempotent ? (short) 1 : RecordBatch.NO_PRODUCER_EPOCH,
                    idempotent ? (int) offset : RecordBatch.NO_SEQUENCE, false, false, 0, buffer.capacity(),
                    deleteHorizon);
            int records = 1 + random.nextInt(8);
            for (int r = 0; r < records; r++) {
                byte[] key = random.nextInt(6) == 0 ? null : ("k" + random.nextInt(5) + "x".repeat(random.nextInt(300)))
                        .getBytes(StandardCharsets.UTF_8);
                byte[] value = random.nextInt(4) == 0 ? null : new byte[random.nextInt(200)];
                Header[] headers = random.nextBoolean() ? new Header[0]
                        : new Header[] {new RecordHeader("h", new byte[random.nextInt(20)])};
                builder.append(1000 + r, key, value, headers);
            }
            MemoryRecords built = builder.build();
            all.put(built.buffer());
            offset += records + random.nextInt(3); // offset gaps, as a cleaned log has
        }
        return all.flip();
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
