package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * What the fault tests check after the faults: every partition read back from its beginning to its
 * end offset (the high watermark), and the replicas' segment files compared byte for byte.
 */
final class ReplicationChecks {

    private ReplicationChecks() {
    }

    /**
     * Everything a consumer read, checked against what the producer was told.
     *
     * @param read       records read
     * @param lost       acknowledged sequence numbers not read
     * @param duplicated sequence numbers read more than once
     * @param outOfOrder records whose sequence number is not above the previous one of their partition
     * @param endOffsets each partition's end offset when the read started
     */
    record ReadBack(long read, List<Long> lost, List<Long> duplicated, List<String> outOfOrder,
            Map<Integer, Long> endOffsets) {

        String summary(String run, SequencedProducer producer) {
            return String.format("FAULT-RUN %s: sent=%d acknowledged=%d failed=%d read=%d lost=%d duplicated=%d "
                    + "outOfOrder=%d", run, producer.sent(), producer.acknowledged(), producer.failed(), read,
                    lost.size(), duplicated.size(), outOfOrder.size());
        }
    }

    /** Reads every partition of {@code topic} from the beginning to its end offset with {@code assign()}. */
    static ReadBack readBack(String bootstrap, String topic, int partitions, BitSet acked, Duration deadline) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
        BitSet seen = new BitSet();
        List<Long> duplicated = new ArrayList<>();
        List<String> outOfOrder = new ArrayList<>();
        long[] last = new long[partitions];
        Arrays.fill(last, -1);
        long[] read = {0};
        Map<Integer, Long> ends = new HashMap<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(),
                new StringDeserializer())) {
            List<TopicPartition> all = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                all.add(new TopicPartition(topic, p));
            }
            consumer.assign(all);
            consumer.seekToBeginning(all);
            consumer.endOffsets(all, Duration.ofSeconds(30)).forEach((tp, end) -> ends.put(tp.partition(), end));
            await("read " + topic + " to " + ends).atMost(deadline).until(() -> {
                int got;
                do {
                    got = 0;
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                        got++;
                        if (r.offset() >= ends.get(r.partition())) {
                            continue; // past the end offset taken at the start
                        }
                        read[0]++;
                        long seq = SequencedProducer.seqOf(r.value());
                        if (seen.get((int) seq)) {
                            duplicated.add(seq);
                        }
                        seen.set((int) seq);
                        if (seq <= last[r.partition()]) {
                            outOfOrder.add(r.partition() + "@" + r.offset() + ": " + seq + " after " + last[r.partition()]);
                        }
                        last[r.partition()] = seq;
                    }
                } while (got > 0);
                return all.stream().allMatch(tp -> consumer.position(tp) >= ends.get(tp.partition()));
            });
        }
        BitSet missing = (BitSet) acked.clone();
        missing.andNot(seen);
        List<Long> lost = missing.stream().mapToObj(i -> (long) i).toList();
        return new ReadBack(read[0], lost, duplicated, outOfOrder, ends);
    }

    /**
     * Compares, per partition, the replicas' {@code .log} segment files, concatenated in offset
     * order, byte for byte from the start up to the end of the batch that holds offset
     * {@code highWatermark - 1}: the committed part, which every ISR member must have exactly
     * as the leader wrote it (base offsets and leader epochs included). Brokers must be stopped.
     *
     * @return one line per partition saying what was compared and whether the whole files matched too
     */
    static List<String> assertReplicaLogsIdentical(Map<Integer, Path> logDirs, String topic,
            Map<Integer, Long> highWatermarks) throws IOException {
        List<String> report = new ArrayList<>();
        for (Map.Entry<Integer, Long> hw : highWatermarks.entrySet()) {
            String dirName = topic + "-" + hw.getKey();
            Map<Integer, byte[]> copies = new java.util.TreeMap<>();
            for (Map.Entry<Integer, Path> broker : logDirs.entrySet()) {
                copies.put(broker.getKey(), concatenatedSegments(broker.getValue().resolve(dirName)));
            }
            int reference = copies.keySet().iterator().next();
            byte[] first = copies.get(reference);
            int committed = endOfBatchHolding(first, hw.getValue() - 1, dirName + " on broker " + reference);
            boolean wholeEqual = true;
            for (Map.Entry<Integer, byte[]> copy : copies.entrySet()) {
                assertThat(copy.getValue().length).as("%s on broker %d holds the committed %d bytes (HW %d)", dirName,
                        copy.getKey(), committed, hw.getValue()).isGreaterThanOrEqualTo(committed);
                assertThat(Arrays.mismatch(first, 0, committed, copy.getValue(), 0, committed))
                        .as("first differing byte of %s on brokers %d and %d below the HW", dirName, reference,
                                copy.getKey()).isEqualTo(-1);
                wholeEqual &= Arrays.equals(first, copy.getValue());
            }
            List<Integer> sizes = copies.values().stream().map(b -> b.length).toList();
            report.add(String.format("%s: HW %d, committed bytes %d identical on brokers %s; file bytes %s; "
                    + "whole files identical: %s", dirName, hw.getValue(), committed, copies.keySet(), sizes, wholeEqual));
        }
        return report;
    }

    /**
     * The RecordBatch v2 holding {@code offset} in the log files of {@code partitionDir}, described
     * from its header: offsets, leader epoch, producer id and epoch, sequences. For the nemesis's
     * evidence on duplicates: whether both copies share a producer epoch and sequence (the leader
     * failed to recognise a retry) or not (the client re-sent under a new epoch).
     */
    static String describeBatch(Path partitionDir, long offset) throws IOException {
        byte[] log = concatenatedSegments(partitionDir);
        int at = batchHolding(log, offset);
        if (at < 0) {
            return "no batch holds offset " + offset;
        }
        ByteBuffer b = ByteBuffer.wrap(log);
        long base = b.getLong(at);
        int lastOffsetDelta = b.getInt(at + 23);
        int baseSequence = b.getInt(at + 53);
        return String.format("batch %d..%d leader epoch %d, producer %d epoch %d, sequences %d..%d", base,
                base + lastOffsetDelta, b.getInt(at + 12), b.getLong(at + 43), b.getShort(at + 51), baseSequence,
                baseSequence + lastOffsetDelta);
    }

    private static byte[] concatenatedSegments(Path partitionDir) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        try (Stream<Path> files = Files.list(partitionDir)) {
            for (Path segment : files.filter(p -> p.getFileName().toString().endsWith(".log")).sorted().toList()) {
                all.write(Files.readAllBytes(segment));
            }
        }
        return all.toByteArray();
    }

    /**
     * The byte position after the RecordBatch v2 whose offsets include {@code offset} (0 when
     * {@code offset} is -1).
     */
    private static int endOfBatchHolding(byte[] log, long offset, String what) {
        if (offset < 0) {
            return 0;
        }
        int at = batchHolding(log, offset);
        if (at < 0) {
            throw new AssertionError(what + " has no batch holding offset " + offset + " in its " + log.length
                    + " bytes");
        }
        return at + 12 + ByteBuffer.wrap(log).getInt(at + 8);
    }

    /**
     * Where the first RecordBatch v2 whose offsets reach {@code offset} starts, or -1. A batch
     * starts {@code baseOffset int64, batchLength int32, partitionLeaderEpoch int32, magic int8,
     * crc int32, attributes int16, lastOffsetDelta int32} (byte 23), then timestamps, {@code
     * producerId int64} (byte 43), {@code producerEpoch int16} (51), {@code baseSequence int32} (53).
     */
    private static int batchHolding(byte[] log, long offset) {
        ByteBuffer buffer = ByteBuffer.wrap(log);
        int position = 0;
        while (position + 61 <= log.length) {
            long base = buffer.getLong(position);
            int lastOffsetDelta = buffer.getInt(position + 23);
            if (base + lastOffsetDelta >= offset) {
                return position;
            }
            position += 12 + buffer.getInt(position + 8);
        }
        return -1;
    }
}
