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
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.DefaultRecordBatch;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.utils.internals.ByteBufferOutputStream;
import org.junit.jupiter.api.Test;

/**
 * The cleaner's fast walk over uncompressed batches gives exactly what kafka-clients' own decoding
 * and {@code filterTo} give: the same keys and offsets, and byte for byte the same output, over
 * random batches (keys and values of any size or none, headers, tombstones, producers, delete
 * horizons, several codecs; transactional batches, markers, other control batches, emptied
 * batches) and random retention rules. Both paths show the rules every batch once, in order: the
 * cleaner's transaction rules count on it.
 */
class CompactionRecordsTest {

    private final Random random = new Random(7);

    @Test
    void theFastPathsMatchKafkaClientsOnRandomBatches() {
        for (int trial = 0; trial < 300; trial++) {
            ByteBuffer batches = randomBatches();
            Map<String, Long> latest = new HashMap<>();
            List<Object> fastKeys = new ArrayList<>();
            List<Object> slowKeys = new ArrayList<>();
            long from = random.nextInt(20);
            long skipSeed = random.nextLong();
            CompactionRecords.forEachKey(batches, from, recorder(fastKeys, latest, skipSeed));
            forEachKeyWithKafkaClients(batches, from, recorder(slowKeys, new HashMap<>(), skipSeed));
            assertThat(fastKeys).as("keys of trial %d", trial).containsExactlyElementsOf(slowKeys);

            long now = 1_000_000;
            long seed = random.nextLong();
            List<CompactionRecords.Batch> fastBatches = new ArrayList<>();
            List<CompactionRecords.Batch> slowBatches = new ArrayList<>();
            // Small destinations: the outputs must grow, several times within a call.
            CompactionRecords.Filtered fast = CompactionRecords.filter(batches, ByteBuffer.allocate(64), now, 500,
                    rules(latest, seed, now, fastBatches));
            CompactionRecords.Filtered slow = CompactionRecords.filterDecoded(batches.slice(), ByteBuffer.allocate(64),
                    now, 500, rules(latest, seed, now, slowBatches));
            assertThat(bytes(fast.output())).as("output of trial %d", trial).isEqualTo(bytes(slow.output()));
            assertThat(fast.recordsRetained()).isEqualTo(slow.recordsRetained());
            assertThat(fastBatches).as("batches the rules saw in trial %d", trial)
                    .containsExactlyElementsOf(slowBatches).hasSize(batchCount(batches));
        }
    }

    @Test
    void aControlBatchIsSeenAsTheMarkerItHolds() {
        ByteBuffer all = ByteBuffer.allocate(4096);
        all.put(MemoryRecords.withEndTransactionMarker(0, 1000, 0, 7, (short) 2,
                new EndTransactionMarker(ControlRecordType.ABORT, 3)).buffer());
        all.put(MemoryRecords.withEndTransactionMarker(1, 1000, 0, 7, (short) 2,
                new EndTransactionMarker(ControlRecordType.COMMIT, 3)).buffer());
        int at = all.position();
        DefaultRecordBatch.writeEmptyHeader(all, RecordBatch.MAGIC_VALUE_V2, 7, (short) 2, -1, 2, 2, 0,
                TimestampType.CREATE_TIME, 1000, true, true);
        all.position(at + DefaultRecordBatch.RECORD_BATCH_OVERHEAD);
        all.put(controlBatch(3, ControlRecordType.LEADER_CHANGE, RecordBatch.NO_TIMESTAMP));
        all.flip();
        List<CompactionRecords.Batch> seen = new ArrayList<>();
        CompactionRecords.forEachKey(all, 0, new CompactionRecords.KeyVisitor() {
            @Override
            public boolean batch(CompactionRecords.Batch batch) {
                seen.add(batch);
                return true;
            }

            @Override
            public boolean record(long offset, ByteBuffer key) {
                throw new AssertionError("a control record is not a key");
            }

            @Override
            public void batchEnd(long lastOffset) {
            }
        });

        assertThat(seen).extracting(CompactionRecords.Batch::control).containsExactly(CompactionRecords.Control.ABORT,
                CompactionRecords.Control.COMMIT, CompactionRecords.Control.EMPTY, CompactionRecords.Control.OTHER);
        assertThat(seen).allSatisfy(b -> assertThat(b.isControl()).isTrue());
        assertThat(seen.get(0).transactional()).isTrue();
        assertThat(seen.get(0).producerId()).isEqualTo(7);
    }

    /** {@link CompactionRecords#forEachKey} done wholly by kafka-clients, batch by batch. */
    private static void forEachKeyWithKafkaClients(ByteBuffer batches, long fromOffset,
            CompactionRecords.KeyVisitor visitor) {
        for (MutableRecordBatch batch : MemoryRecords.readableRecords(batches.slice()).batches()) {
            if (batch.lastOffset() < fromOffset) {
                continue;
            }
            if (visitor.batch(viewWithKafkaClients(batch)) && !batch.isControlBatch()) {
                ByteBuffer one = ByteBuffer.allocate(batch.sizeInBytes());
                batch.writeTo(one);
                CompactionRecords.forEachKeyDecoded(one.flip(), fromOffset, visitor);
            }
            visitor.batchEnd(batch.lastOffset());
        }
    }

    /** What the rules are shown of a batch, read by kafka-clients alone. */
    private static CompactionRecords.Batch viewWithKafkaClients(RecordBatch batch) {
        CompactionRecords.Control control = CompactionRecords.Control.NONE;
        if (batch.isControlBatch()) {
            control = CompactionRecords.Control.EMPTY;
            for (Record r : batch) {
                ControlRecordType type = ControlRecordType.parse(r.key());
                control = type == ControlRecordType.ABORT ? CompactionRecords.Control.ABORT
                        : type == ControlRecordType.COMMIT ? CompactionRecords.Control.COMMIT
                        : CompactionRecords.Control.OTHER;
                break;
            }
        }
        return new CompactionRecords.Batch(batch.baseOffset(), batch.lastOffset(), batch.producerId(),
                batch.producerEpoch(), batch.isTransactional(), control, batch.deleteHorizonMs());
    }

    /**
     * Records every batch seen, every key's offset and hash as "offset:hash", and every batch end;
     * keeps the latest offset per key. Skips the keys of some batches, by a coin per base offset.
     */
    private static CompactionRecords.KeyVisitor recorder(List<Object> seen, Map<String, Long> latest, long skipSeed) {
        return new CompactionRecords.KeyVisitor() {
            @Override
            public boolean batch(CompactionRecords.Batch batch) {
                seen.add(batch);
                return Math.floorMod(batch.baseOffset() * 17 + skipSeed, 5) != 0;
            }

            @Override
            public boolean record(long offset, ByteBuffer key) {
                String k = StandardCharsets.UTF_8.decode(key.duplicate()).toString();
                seen.add(offset + ":" + k.hashCode());
                latest.put(k, offset);
                return true;
            }

            @Override
            public void batchEnd(long lastOffset) {
                seen.add("end " + lastOffset);
            }
        };
    }

    /**
     * Keeps a record if it is the latest of its key (by the map) or a coin says so; tombstones as
     * the cleaner does. The batch decisions are coins per base offset too; every batch the rules
     * are shown goes to {@code shown}.
     */
    private static CompactionRecords.Rules rules(Map<String, Long> latest, long seed, long now,
            List<CompactionRecords.Batch> shown) {
        Random coin = new Random(seed);
        Map<Long, Boolean> decided = new HashMap<>();
        return new CompactionRecords.Rules() {
            @Override
            public CompactionRecords.BatchDecision batch(CompactionRecords.Batch batch) {
                shown.add(batch);
                long h = batch.baseOffset() * 31 + seed;
                return new CompactionRecords.BatchDecision(
                        CompactionRecords.BatchRetention.values()[(int) Math.floorMod(h, 3)],
                        Math.floorMod(h >>> 7, 4) == 0, Math.floorMod(h >>> 11, 3) == 0);
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
            long deleteHorizon = random.nextInt(3) == 0 ? 999_000 + random.nextInt(2_000) : RecordBatch.NO_TIMESTAMP;
            int kind = random.nextInt(10);
            if (kind == 0) { // a transaction marker
                all.put(controlBatch(offset, random.nextBoolean() ? ControlRecordType.ABORT : ControlRecordType.COMMIT,
                        deleteHorizon));
                offset += 1 + random.nextInt(2);
                continue;
            }
            if (kind == 1) { // an emptied batch, data or control, as a cleaning leaves them
                int span = 1 + random.nextInt(3);
                int at = all.position();
                boolean control = random.nextBoolean();
                DefaultRecordBatch.writeEmptyHeader(all, RecordBatch.MAGIC_VALUE_V2, 42, (short) 1,
                        control ? RecordBatch.NO_SEQUENCE : (int) offset, offset, offset + span - 1, 0,
                        TimestampType.CREATE_TIME, 1000, random.nextBoolean() || control, control);
                all.position(at + DefaultRecordBatch.RECORD_BATCH_OVERHEAD);
                offset += span + random.nextInt(2);
                continue;
            }
            if (kind == 2) { // a control record that is not a marker
                all.put(controlBatch(offset, ControlRecordType.LEADER_CHANGE, deleteHorizon));
                offset += 1;
                continue;
            }
            Compression codec = random.nextInt(4) == 0 ? Compression.lz4().build() : Compression.NONE;
            int producer = random.nextInt(3); // none, idempotent, transactional
            ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
            MemoryRecordsBuilder builder = new MemoryRecordsBuilder(new ByteBufferOutputStream(buffer),
                    RecordBatch.MAGIC_VALUE_V2, codec,
                    TimestampType.CREATE_TIME, offset, 1000, producer > 0 ? 42 : RecordBatch.NO_PRODUCER_ID,
                    producer > 0 ? (short) 1 : RecordBatch.NO_PRODUCER_EPOCH,
                    producer > 0 ? (int) offset : RecordBatch.NO_SEQUENCE, producer == 2, false, 0, buffer.capacity(),
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

    /** A control batch of producer 42 at {@code offset} holding one record of {@code type}. */
    private static ByteBuffer controlBatch(long offset, ControlRecordType type, long deleteHorizon) {
        ByteBuffer buffer = ByteBuffer.allocate(256);
        MemoryRecordsBuilder builder = new MemoryRecordsBuilder(new ByteBufferOutputStream(buffer),
                RecordBatch.MAGIC_VALUE_V2, Compression.NONE, TimestampType.CREATE_TIME, offset, 1000, 42, (short) 1,
                RecordBatch.NO_SEQUENCE, true, true, 0, buffer.capacity(), deleteHorizon);
        if (type == ControlRecordType.ABORT || type == ControlRecordType.COMMIT) {
            builder.appendEndTxnMarker(1000, new EndTransactionMarker(type, 5));
        } else {
            builder.appendControlRecord(1000, type, ByteBuffer.wrap(new byte[] {0, 0, 0, 0}));
        }
        return builder.build().buffer();
    }

    private static int batchCount(ByteBuffer batches) {
        int count = 0;
        for (MutableRecordBatch ignored : MemoryRecords.readableRecords(batches.slice()).batches()) {
            count++;
        }
        return count;
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
