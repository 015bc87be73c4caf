package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Exactly-once under {@code kill -9}: a consume-transform-produce loop (kafka-clients, one
 * transactional producer with {@code sendOffsetsToTransaction}, a read_committed consumer in a
 * group) copies a 6-partition input topic to a 6-partition output topic while the leaders of
 * input and output partitions and the broker coordinating the loop's transactional id are killed
 * with {@code kill -9} and restarted, each fault starting while the previous victim is still
 * recovering. Afterwards every input record's copy is read exactly once by a read_committed
 * consumer, the copies of aborted transactions never, the group's committed offsets are the input's
 * end, and Kafka's {@code kafka-transactions} tool finds no hanging transaction.
 *
 * <p>{@code runnel.txn-faults.count} faults (8 when run alone); the faults profile, where it runs, injects 30.
 */
class TransactionsFaultProcessTest {

    private static final Duration START = Duration.ofMinutes(2);
    private static final Duration DEADLINE = Duration.ofSeconds(180);
    private static final int PARTITIONS = 6;
    private static final int STATE_PARTITIONS = 6;
    private static final String IN = "txn-in";
    private static final String OUT = "txn-out";
    private static final String GROUP = "copier";
    private static final String TRANSACTIONAL_ID = "copier-1";
    private static final int FAULTS = Integer.getInteger("runnel.txn-faults.count", 8);

    private FaultCluster cluster;
    private SequencedProducer input;
    private Copier copier;

    @AfterEach
    void stopEverything() throws Exception {
        if (copier != null) {
            copier.close();
        }
        if (input != null) {
            input.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    /** The victims, taken in turn: where the loop's records, offsets and transactions live. */
    private enum Victim {
        INPUT_LEADER, OUTPUT_LEADER, TRANSACTION_COORDINATOR, GROUP_COORDINATOR
    }

    @Test
    void everyInputRecordIsCopiedExactlyOnceThroughKillNineOfLeadersAndTheTransactionCoordinator() throws Exception {
        long seed = Long.getLong("runnel.faults.seed", System.nanoTime());
        Random random = new Random(seed);
        cluster = new FaultCluster("transactions", Duration.ofSeconds(6), "--runnel.broker.replica-lag-time-max=10s",
                "--runnel.broker.transaction-state-log.partitions=" + STATE_PARTITIONS,
                "--runnel.broker.offsets-topic.partitions=" + STATE_PARTITIONS).start(1, 3, START);
        for (String topic : List.of(IN, OUT)) {
            cluster.admin().createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 3)
                    .configs(Map.of("min.insync.replicas", "2")))).all().get(30, TimeUnit.SECONDS);
            cluster.awaitFullIsr(topic, 3, DEADLINE);
        }
        input = new SequencedProducer(cluster.bootstrap(cluster.brokerIds()), IN, 400, Map.of()).start();
        copier = new Copier(cluster);
        copier.start();
        await("the loop copies").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
                .until(() -> copier.committedTransactions() >= 5);

        List<String> injected = new ArrayList<>();
        for (int round = 0; round < FAULTS; round++) {
            Victim kind = Victim.values()[round % Victim.values().length];
            int victim = victim(kind, random);
            cluster.kill(FaultCluster.brokerName(victim));
            injected.add(kind + " broker-" + victim);
            FaultCluster.sleep(Duration.ofMillis(1_500 + random.nextInt(2_500))); // paces the faults
            cluster.restartOnItsKafkaPort(victim);
            // The next fault comes while this broker is still catching up and reloading its coordinators.
            FaultCluster.sleep(Duration.ofMillis(1_000 + random.nextInt(2_000)));
            awaitWritable(IN);
            awaitWritable(OUT);
        }
        System.out.printf("transactions: seed %d, %d faults: %s%n", seed, injected.size(), injected);

        input.stop();
        cluster.awaitFullIsr(IN, 3, DEADLINE);
        cluster.awaitFullIsr(OUT, 3, DEADLINE);
        Map<TopicPartition, Long> inputEnds = endOffsets(IN, false);
        await("the loop reaches the input's end").atMost(DEADLINE).pollInterval(Duration.ofMillis(250))
                .until(() -> committedOffsets().equals(inputEnds));
        copier.close();
        verify(inputEnds, injected.size());
    }

    /** Until every partition of {@code topic} has a leader and at least min.insync.replicas (2) in its ISR. */
    private void awaitWritable(String topic) {
        await(topic + " writable").atMost(DEADLINE).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .untilAsserted(() -> {
                    for (var p : cluster.topic(topic).partitions()) {
                        assertThat(p.state().isr()).as("ISR of %s-%d", topic, p.partition()).hasSizeGreaterThanOrEqualTo(2);
                        assertThat(p.state().leader()).as("leader of %s-%d", topic, p.partition()).isPositive();
                    }
                });
    }

    private int victim(Victim kind, Random random) throws Exception {
        return switch (kind) {
            case INPUT_LEADER -> cluster.leaderOf(IN, random.nextInt(PARTITIONS));
            case OUTPUT_LEADER -> cluster.leaderOf(OUT, random.nextInt(PARTITIONS));
            case TRANSACTION_COORDINATOR -> cluster.leaderOf("__transaction_state",
                    Utils.abs(TRANSACTIONAL_ID.hashCode()) % STATE_PARTITIONS);
            case GROUP_COORDINATOR -> cluster.leaderOf("__consumer_offsets",
                    Utils.abs(GROUP.hashCode()) % STATE_PARTITIONS);
        };
    }

    private void verify(Map<TopicPartition, Long> inputEnds, int faults) throws Exception {
        Map<String, String> inputs = new HashMap<>(); // "p-offset" -> value
        for (ConsumerRecord<byte[], byte[]> r : readAll(IN, "read_uncommitted")) {
            inputs.put(r.partition() + "-" + r.offset(), KafkaClients.text(r.value()));
        }
        List<String> copies = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : readAll(OUT, "read_committed")) {
            copies.add(KafkaClients.text(r.value()));
        }
        long uncommitted = readAll(OUT, "read_uncommitted").size();
        Set<String> seen = new HashSet<>();
        List<String> duplicated = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        for (String copy : copies) {
            String from = copy.substring(0, copy.indexOf('='));
            if (!seen.add(from)) {
                duplicated.add(copy);
            }
            if (!copy.substring(copy.indexOf('=') + 1).equals(inputs.get(from))) {
                unknown.add(copy);
            }
        }
        Set<String> missing = new HashSet<>(inputs.keySet());
        missing.removeAll(seen);
        BitSetCheck acked = new BitSetCheck(input, inputs.values());
        System.out.printf("transactions: %d faults, %d input records (%d acknowledged, %d lost), %d copies read "
                        + "committed, %d more records of aborted transactions in the log, %d transactions committed, "
                        + "%d aborted, %d producers fenced and replaced%n", faults, inputs.size(), input.acknowledged(),
                acked.lost(), copies.size(), uncommitted - copies.size(), copier.committedTransactions(),
                copier.abortedTransactions(), copier.recreated());

        assertThat(acked.lost()).as("acknowledged input records missing from the input topic").isZero();
        assertThat(duplicated).as("copied twice (an aborted transaction's copy visible, or a copy committed twice)")
                .isEmpty();
        assertThat(unknown).as("copies of nothing in the input").isEmpty();
        assertThat(uncommitted - copies.size()).as("records of aborted transactions in the log, never read committed")
                .isPositive();
        assertThat(missing).as("input records never copied").isEmpty();
        assertThat(committedOffsets()).as("the group's committed offsets").isEqualTo(inputEnds);
        assertThat(copier.failure()).isNull();
        assertNoHangingTransactions();
    }

    /** Kafka's own tool: the loop's id is listed and described, and no partition holds a hanging transaction. */
    private void assertNoHangingTransactions() throws Exception {
        KafkaTools tools = KafkaTools.locate(cluster.dir());
        String bootstrap = cluster.bootstrap(cluster.brokerIds());
        String command = "org.apache.kafka.tools.TransactionsCommand";
        KafkaTools.Result listed = tools.run(Duration.ofSeconds(60), command, "--bootstrap-server", bootstrap, "list");
        System.out.println("kafka-transactions list:\n" + listed.stdout());
        assertThat(listed.exitCode()).as(listed.describe()).isZero();
        assertThat(listed.stdout()).contains(TRANSACTIONAL_ID);
        KafkaTools.Result described = tools.run(Duration.ofSeconds(60), command, "--bootstrap-server", bootstrap,
                "describe", "--transactional-id", TRANSACTIONAL_ID);
        System.out.println("kafka-transactions describe:\n" + described.stdout());
        assertThat(described.exitCode()).as(described.describe()).isZero();
        for (int broker : cluster.brokerIds()) {
            KafkaTools.Result hanging = tools.run(Duration.ofSeconds(60), command, "--bootstrap-server", bootstrap,
                    "find-hanging", "--broker-id", Integer.toString(broker));
            System.out.println("kafka-transactions find-hanging --broker-id " + broker + ":\n" + hanging.stdout());
            assertThat(hanging.exitCode()).as(hanging.describe()).isZero();
            assertThat(hanging.stdoutLines()).as("hanging transactions on broker %d", broker)
                    .noneMatch(line -> line.contains(IN) || line.contains(OUT) || line.contains("__consumer_offsets"));
        }
    }

    private Map<TopicPartition, Long> endOffsets(String topic, boolean committed) throws Exception {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        Map<TopicPartition, Long> ends = new TreeMap<>(java.util.Comparator.comparing(TopicPartition::toString));
        for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> e : cluster.admin()
                .listOffsets(latest).all().get(30, TimeUnit.SECONDS).entrySet()) {
            ends.put(e.getKey(), e.getValue().offset());
        }
        return new HashMap<>(ends);
    }

    private Map<TopicPartition, Long> committedOffsets() throws Exception {
        Map<TopicPartition, Long> offsets = new HashMap<>();
        cluster.admin().listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS)
                .forEach((tp, o) -> offsets.put(tp, o.offset()));
        return offsets;
    }

    private List<ConsumerRecord<byte[], byte[]>> readAll(String topic, String isolation) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrap(cluster.brokerIds()));
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) {
                partitions.add(new TopicPartition(topic, p));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
                assertThat(System.nanoTime()).as("read %s to its end %s", topic, ends).isLessThan(deadline);
                consumer.poll(Duration.ofMillis(200)).forEach(all::add);
            }
            return all;
        }
    }

    /** Which acknowledged input sequences are missing from what the input topic holds. */
    private static final class BitSetCheck {
        private final long lost;

        BitSetCheck(SequencedProducer producer, java.util.Collection<String> values) {
            java.util.BitSet present = new java.util.BitSet();
            for (String v : values) {
                present.set((int) SequencedProducer.seqOf(v));
            }
            java.util.BitSet missing = (java.util.BitSet) producer.ackedSeqs().clone();
            missing.andNot(present);
            this.lost = missing.cardinality();
        }

        long lost() {
            return lost;
        }
    }

    /**
     * The consume-transform-produce loop, on its own thread: poll, copy each record as
     * {@code <partition>-<offset>=<value>} in a transaction with the consumed offsets, commit. A
     * failed transaction is aborted and the consumer rewound to the group's committed offsets; a
     * producer that can no longer be used (fenced, or its epoch refused) is replaced by a new one
     * with the same transactional id, which fences the old one and aborts what it left open.
     */
    private static final class Copier implements AutoCloseable {

        private final FaultCluster cluster;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicLong committed = new AtomicLong();
        private final AtomicLong aborted = new AtomicLong();
        private final AtomicLong recreated = new AtomicLong();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final Thread thread;
        private final Random random = new Random(42);

        Copier(FaultCluster cluster) {
            this.cluster = cluster;
            this.thread = new Thread(this::run, "copier");
            this.thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        long committedTransactions() {
            return committed.get();
        }

        long abortedTransactions() {
            return aborted.get();
        }

        long recreated() {
            return recreated.get();
        }

        Throwable failure() {
            return failure.get();
        }

        private KafkaProducer<byte[], byte[]> producer() {
            Map<String, Object> config = new HashMap<>();
            config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, TRANSACTIONAL_ID);
            config.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 30_000);
            config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
            config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
            KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(cluster.bootstrap(cluster.brokerIds()), config);
            while (true) {
                try {
                    producer.initTransactions();
                    return producer;
                } catch (KafkaException e) {
                    if (!running.get()) {
                        producer.close(Duration.ZERO);
                        throw e;
                    }
                    // The coordinator is moving: try again (initTransactions may be retried after a timeout).
                }
            }
        }

        private void run() {
            Map<String, Object> config = new HashMap<>();
            config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrap(cluster.brokerIds()));
            config.put(ConsumerConfig.GROUP_ID_CONFIG, GROUP);
            config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 200);
            KafkaProducer<byte[], byte[]> producer = null;
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
                    new ByteArrayDeserializer())) {
                consumer.subscribe(List.of(IN));
                producer = producer();
                while (running.get()) {
                    ConsumerRecords<byte[], byte[]> records;
                    try {
                        records = consumer.poll(Duration.ofMillis(200));
                    } catch (KafkaException e) {
                        continue; // a coordinator or leader moving: poll again
                    }
                    if (records.isEmpty()) {
                        continue;
                    }
                    try {
                        producer.beginTransaction();
                        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
                        for (ConsumerRecord<byte[], byte[]> r : records) {
                            producer.send(new ProducerRecord<>(OUT, r.key(), KafkaClients.bytes(r.partition() + "-"
                                    + r.offset() + "=" + KafkaClients.text(r.value()))));
                            offsets.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
                        }
                        producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
                        if (random.nextInt(8) == 0) {
                            // Some transactions abort on purpose, so there is aborted data to never read.
                            producer.flush();
                            producer.abortTransaction();
                            aborted.incrementAndGet();
                            rewind(consumer);
                            continue;
                        }
                        producer.commitTransaction();
                        committed.incrementAndGet();
                    } catch (ProducerFencedException | OutOfOrderSequenceException e) {
                        producer.close(Duration.ZERO);
                        producer = producer();
                        recreated.incrementAndGet();
                        rewind(consumer);
                    } catch (KafkaException e) {
                        try {
                            producer.abortTransaction();
                            aborted.incrementAndGet();
                        } catch (KafkaException fatal) {
                            producer.close(Duration.ZERO);
                            producer = producer();
                            recreated.incrementAndGet();
                        }
                        rewind(consumer);
                    }
                }
            } catch (Throwable t) {
                if (running.get()) {
                    failure.set(t);
                }
            } finally {
                if (producer != null) {
                    producer.close(Duration.ofSeconds(5));
                }
            }
        }

        /** Back to the group's committed offsets: what the aborted transaction copied is copied again. */
        private static void rewind(KafkaConsumer<byte[], byte[]> consumer) {
            Set<TopicPartition> assigned = consumer.assignment();
            Map<TopicPartition, OffsetAndMetadata> committed;
            try {
                committed = consumer.committed(assigned, Duration.ofSeconds(30));
            } catch (KafkaException e) {
                // Not known now: rejoin, which starts from the committed offsets.
                consumer.unsubscribe();
                consumer.subscribe(List.of(IN));
                return;
            }
            for (TopicPartition tp : assigned) {
                OffsetAndMetadata o = committed.get(tp);
                if (o != null) {
                    consumer.seek(tp, o.offset());
                } else {
                    consumer.seekToBeginning(List.of(tp));
                }
            }
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(TimeUnit.SECONDS.toMillis(60));
        }
    }
}
