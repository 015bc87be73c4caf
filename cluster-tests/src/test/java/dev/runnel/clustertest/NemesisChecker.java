package dev.runnel.clustertest;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The nemesis's checks over what the run recorded, after the cluster healed: the whole topic
 * read back from offset 0 to each partition's end offset, checked against the producers'
 * acknowledgements, the {@link OffsetLedger} and the high watermark observations.
 *
 * <ul>
 *   <li>lost: an acknowledged value not read back;</li>
 *   <li>duplicated: a value read back more than once (acknowledged or not: every value is sent
 *       once, by an idempotent producer);</li>
 *   <li>reordered: within a partition, a producer's value after one it sent later;</li>
 *   <li>unknown: a value no producer sent;</li>
 *   <li>high watermark regressions: see {@link HighWatermarkCheck}.</li>
 * </ul>
 */
final class NemesisChecker {

    private static final int EVIDENCE = 20;
    private static final int DUPLICATES_DESCRIBED = 5;

    /** The topic as read back: per partition, the values and the leader epochs of their batches, by offset. */
    record ReadBack(Map<Integer, long[]> values, Map<Integer, int[]> epochs, Map<Integer, Long> endOffsets, long read) {
    }

    /** What the checks found; {@code evidence} holds the first examples of each kind of violation. */
    record Verdict(long lost, long duplicated, long reordered, long unknown, long hwRegressions, long staleHwAnswers,
            long hwObservations, long unacknowledgedRead, Map<String, List<String>> evidence,
            List<Duplicate> duplicates) {
    }

    /**
     * A value read back twice in {@code partition}: at {@code first} and again at {@code again}; the
     * producer's acknowledgement named {@code acknowledgedAt} (-1: not acknowledged). The first few
     * are kept so that the batches holding both copies can be described from the logs.
     */
    record Duplicate(String value, int partition, long first, long again, long acknowledgedAt) {
    }

    private NemesisChecker() {
    }

    /** Reads every partition from its beginning to its end offset (the high watermark) with {@code assign()}. */
    static ReadBack readBack(String bootstrap, String topic, int partitions, OffsetLedger ledger, Duration deadline) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
        Map<Integer, long[]> values = new TreeMap<>();
        Map<Integer, int[]> epochs = new TreeMap<>();
        Map<Integer, Long> ends = new TreeMap<>();
        long[] read = {0};
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(),
                new StringDeserializer())) {
            List<TopicPartition> all = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                all.add(new TopicPartition(topic, p));
            }
            consumer.assign(all);
            consumer.seekToBeginning(all);
            consumer.endOffsets(all, Duration.ofSeconds(30)).forEach((tp, end) -> {
                ends.put(tp.partition(), end);
                long[] v = new long[(int) (long) end];
                Arrays.fill(v, -1);
                values.put(tp.partition(), v);
                int[] e = new int[(int) (long) end];
                Arrays.fill(e, -1);
                epochs.put(tp.partition(), e);
            });
            await("read " + topic + " to " + ends).atMost(deadline).until(() -> {
                int got;
                do {
                    got = 0;
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                        got++;
                        if (r.offset() >= ends.get(r.partition())) {
                            continue;
                        }
                        read[0]++;
                        long id = NemesisProducer.valueId(r.value());
                        values.get(r.partition())[(int) r.offset()] = id;
                        epochs.get(r.partition())[(int) r.offset()] = r.leaderEpoch().orElse(-1);
                        ledger.record(r.partition(), r.offset(), id, OffsetLedger.Source.READ_BACK);
                    }
                } while (got > 0);
                return all.stream().allMatch(tp -> consumer.position(tp) >= ends.get(tp.partition()));
            });
        }
        return new ReadBack(values, epochs, ends, read[0]);
    }

    static Verdict check(ReadBack readBack, List<NemesisProducer> producers, LeaderEpochHistory history,
            List<HighWatermarkObserver.Observation> observations) {
        Map<String, List<String>> evidence = new TreeMap<>();
        Map<Integer, NemesisProducer> byId = new HashMap<>();
        Map<Integer, BitSet> seen = new HashMap<>();
        Map<Integer, Map<Integer, Long>> ackedAt = new HashMap<>();
        producers.forEach(p -> {
            byId.put(p.id(), p);
            seen.put(p.id(), new BitSet());
            Map<Integer, Long> offsets = new HashMap<>();
            p.acks().forEach(a -> offsets.put(a.seq(), a.offset()));
            ackedAt.put(p.id(), offsets);
        });
        List<Duplicate> duplicates = new ArrayList<>();
        long duplicated = 0;
        long reordered = 0;
        long unknown = 0;
        long unacknowledged = 0;
        for (Map.Entry<Integer, long[]> partition : readBack.values().entrySet()) {
            Map<Integer, Integer> lastSeq = new HashMap<>();
            Map<Long, Integer> firstOffsets = new HashMap<>();
            long[] values = partition.getValue();
            for (int offset = 0; offset < values.length; offset++) {
                long id = values[offset];
                if (id == -1) {
                    continue; // below the log start, or a control batch: no value
                }
                int producer = NemesisProducer.producerOf(id);
                int seq = NemesisProducer.seqOf(id);
                if (!byId.containsKey(producer) || seq < 0 || seq >= byId.get(producer).sent()) {
                    unknown++;
                    note(evidence, "unknown", "unknown value " + NemesisProducer.describe(id) + " at "
                            + partition.getKey() + "@" + offset);
                    continue;
                }
                if (seen.get(producer).get(seq)) {
                    duplicated++;
                    Integer first = firstOffsets.get(id);
                    long acknowledgedAt = ackedAt.get(producer).getOrDefault(seq, -1L);
                    note(evidence, "duplicated", "duplicate " + NemesisProducer.describe(id) + " (acknowledged: "
                            + (acknowledgedAt >= 0 ? "at " + acknowledgedAt : "no") + ") again at " + partition.getKey()
                            + "@" + offset + ", first at " + (first == null ? "another partition" : first));
                    if (first != null && duplicates.size() < DUPLICATES_DESCRIBED) {
                        duplicates.add(new Duplicate(NemesisProducer.describe(id), partition.getKey(), first, offset,
                                acknowledgedAt));
                    }
                } else {
                    firstOffsets.put(id, offset);
                }
                seen.get(producer).set(seq);
                if (!byId.get(producer).isAcked(seq)) {
                    unacknowledged++; // an unknown outcome (failed send, or stopped waiting): allowed in the log
                    note(evidence, "unacknowledged, in the log (not a violation)", NemesisProducer.describe(id)
                            + " at " + partition.getKey() + "@" + offset + ", batch epoch "
                            + readBack.epochs().get(partition.getKey())[offset]);
                }
                Integer last = lastSeq.put(producer, seq);
                if (last != null && seq < last) {
                    reordered++;
                    note(evidence, "reordered", "reordered: " + NemesisProducer.describe(id) + " at "
                            + partition.getKey() + "@" + offset + " after seq " + last);
                }
            }
        }
        long lost = 0;
        for (NemesisProducer producer : producers) {
            for (NemesisProducer.Ack ack : producer.acks()) {
                if (!seen.get(producer.id()).get(ack.seq())) {
                    lost++;
                    note(evidence, "lost", "lost " + NemesisProducer.value(producer.id(), ack.seq()) + ", acknowledged at "
                            + ack.partition() + "@" + ack.offset());
                }
            }
        }
        HighWatermarkCheck.Result hw = HighWatermarkCheck.check(readBack.epochs(), history, producers, observations);
        if (!hw.episodes().isEmpty()) {
            evidence.put("hwRegressions", hw.episodes());
        }
        return new Verdict(lost, duplicated, reordered, unknown, hw.regressions(), hw.stale(), observations.size(),
                unacknowledged, evidence, duplicates);
    }

    private static void note(Map<String, List<String>> evidence, String kind, String line) {
        List<String> lines = evidence.computeIfAbsent(kind, k -> new ArrayList<>());
        if (lines.size() < EVIDENCE) {
            lines.add(line);
        }
    }
}
