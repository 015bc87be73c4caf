package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Unmodified kafka-clients transactional producers against a 3-broker cluster: commits become
 * visible to read_committed consumers, aborts never do, a second producer with the same
 * transactional id fences the first, and the admin client lists and describes transactions.
 * With replication factor 3 the transaction coordinator, the partition leaders and the
 * verification of each transaction's first batch run on different brokers, over the inter-broker
 * channels.
 */
class TransactionsClusterTest {

    private static InJvmCluster cluster;
    private static Admin admin;
    private static String bootstrap;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = new InJvmCluster();
        cluster.startControllerAndBrokers(3, "--runnel.broker.transaction-state-log.partitions=6",
                "--runnel.broker.transaction.abort-timed-out-interval=500ms",
                // The shared classpath may hand the brokers another module's application.yml: expose what is read.
                "--management.endpoints.web.exposure.include=health,prometheus,transactions");
        bootstrap = cluster.bootstrap(1, 2, 3);
        admin = KafkaClients.admin(bootstrap);
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
        cluster.close();
    }

    @Test
    void committedRecordsAreReadCommittedAndAbortedOnesNever() throws Exception {
        createTopic("orders", 3);
        try (KafkaProducer<byte[], byte[]> producer = transactional("orders-writer")) {
            producer.initTransactions();
            producer.beginTransaction();
            send(producer, "orders", "committed-", 0, 30);
            producer.commitTransaction();

            producer.beginTransaction();
            send(producer, "orders", "aborted-", 0, 20);
            producer.flush();
            producer.abortTransaction();

            producer.beginTransaction();
            send(producer, "orders", "committed-", 30, 15);
            producer.commitTransaction();
        }

        List<String> committed = values("orders", "read_committed");
        assertThat(committed).hasSize(45).allMatch(v -> v.startsWith("committed-"));
        assertThat(committed).containsExactlyInAnyOrderElementsOf(range("committed-", 0, 45));
        List<String> everything = values("orders", "read_uncommitted");
        assertThat(everything).hasSize(65).containsAll(range("aborted-", 0, 20));
    }

    @Test
    void aSecondProducerWithTheSameTransactionalIdFencesTheFirstAndAbortsItsOpenTransaction() throws Exception {
        createTopic("payments", 2);
        KafkaProducer<byte[], byte[]> zombie = transactional("payments-writer");
        try {
            zombie.initTransactions();
            zombie.beginTransaction();
            send(zombie, "payments", "zombie-", 0, 10);
            zombie.flush();

            try (KafkaProducer<byte[], byte[]> successor = transactional("payments-writer")) {
                successor.initTransactions(); // fences the zombie and aborts its transaction
                successor.beginTransaction();
                send(successor, "payments", "successor-", 0, 5);
                successor.commitTransaction();
            }

            assertThatThrownBy(() -> {
                send(zombie, "payments", "late-", 0, 1);
                zombie.commitTransaction();
            }).isInstanceOfAny(ProducerFencedException.class, KafkaException.class);
        } finally {
            zombie.close(Duration.ZERO);
        }

        assertThat(values("payments", "read_committed")).containsExactlyInAnyOrderElementsOf(range("successor-", 0, 5));
    }

    @Test
    void theAdminClientListsAndDescribesTransactionsAndTheirProducers() throws Exception {
        createTopic("audit", 1);
        try (KafkaProducer<byte[], byte[]> producer = transactional("audit-writer")) {
            producer.initTransactions();
            producer.beginTransaction();
            send(producer, "audit", "open-", 0, 3);
            producer.flush();

            var described = admin.describeTransactions(List.of("audit-writer")).all().get(30, TimeUnit.SECONDS)
                    .get("audit-writer");
            assertThat(described.state().toString()).isEqualTo("Ongoing");
            assertThat(described.topicPartitions()).containsExactly(new TopicPartition("audit", 0));
            List<String> listed = admin.listTransactions().all().get(30, TimeUnit.SECONDS).stream()
                    .map(TransactionListing::transactionalId).toList();
            assertThat(listed).contains("audit-writer");
            var producers = admin.describeProducers(List.of(new TopicPartition("audit", 0))).all()
                    .get(30, TimeUnit.SECONDS).get(new TopicPartition("audit", 0)).activeProducers();
            assertThat(producers).hasSize(1);
            assertThat(producers.iterator().next().currentTransactionStartOffset()).hasValue(0L);
            // The partition's leader shows what holds its read_committed consumers up.
            var leader = cluster.broker(leaderOf("audit"));
            InJvmCluster.Response held = cluster.call("GET", InJvmCluster.url(leader) + "/actuator/transactions", null);
            assertThat(held.status()).isEqualTo(200);
            assertThat(held.body()).contains("\"topic\":\"audit\"").contains("\"lastStableOffset\":0")
                    .contains("\"firstOffset\":0");
            InJvmCluster.Response metrics = cluster.call("GET", InJvmCluster.url(leader) + "/actuator/prometheus", null);
            assertThat(metrics.body()).containsPattern("runnel_broker_transactions_open(\\{[^}]*\\})? 1\\.0");

            producer.commitTransaction();
        }
        // EndTxn is answered once PrepareCommit is written; the markers and CompleteCommit follow.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(admin.describeTransactions(
                List.of("audit-writer")).all().get(30, TimeUnit.SECONDS).get("audit-writer").state().toString())
                .isEqualTo("CompleteCommit"));
    }

    @Test
    void aConsumeTransformProduceLoopCommitsItsOffsetsInTheTransactionExactlyOnce() throws Exception {
        createTopic("raw", 3);
        createTopic("cooked", 3);
        try (KafkaProducer<byte[], byte[]> seed = KafkaClients.producer(bootstrap, Map.of())) {
            for (int i = 0; i < 300; i++) {
                seed.send(new ProducerRecord<>("raw", KafkaClients.bytes("k" + i), KafkaClients.bytes("r" + i)));
            }
        }
        Map<String, Object> consumerConfig = new HashMap<>();
        consumerConfig.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, "cooks");
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumerConfig.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 40);
        int transactions = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerConfig, new ByteArrayDeserializer(),
                new ByteArrayDeserializer()); KafkaProducer<byte[], byte[]> producer = transactional("cook-1")) {
            producer.initTransactions();
            consumer.subscribe(List.of("raw"));
            int copied = 0;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (copied < 300 && System.nanoTime() < deadline) {
                var records = consumer.poll(Duration.ofMillis(200));
                if (records.isEmpty()) {
                    continue;
                }
                producer.beginTransaction();
                Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> offsets = new HashMap<>();
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    producer.send(new ProducerRecord<>("cooked", record.key(),
                            KafkaClients.bytes("cooked-" + KafkaClients.text(record.value()))));
                    offsets.put(new TopicPartition(record.topic(), record.partition()),
                            new org.apache.kafka.clients.consumer.OffsetAndMetadata(record.offset() + 1));
                }
                producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
                producer.commitTransaction();
                copied += records.count();
                transactions++;
            }
            assertThat(copied).isEqualTo(300);
        }
        assertThat(transactions).isGreaterThan(1);

        List<String> cooked = values("cooked", "read_committed");
        assertThat(cooked).hasSize(300).doesNotHaveDuplicates();
        Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> committed = admin
                .listConsumerGroupOffsets("cooks").partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        long total = committed.values().stream().mapToLong(o -> o.offset()).sum();
        assertThat(total).as("the group's committed offsets cover every input record").isEqualTo(300);
    }

    @Test
    void aTransactionOpenPastItsTimeoutIsAbortedByTheCoordinatorAndItsProducerFenced() throws Exception {
        createTopic("slow", 1);
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "slow-writer");
        config.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 2_000);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 60_000);
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap, config)) {
            producer.initTransactions();
            producer.beginTransaction();
            send(producer, "slow", "timed-out-", 0, 5);
            producer.flush();

            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(admin.describeTransactions(
                    List.of("slow-writer")).all().get(30, TimeUnit.SECONDS).get("slow-writer").state().toString())
                    .isEqualTo("CompleteAbort"));
            assertThat(values("slow", "read_committed")).isEmpty();
            assertThatThrownBy(producer::commitTransaction).isInstanceOf(KafkaException.class);
        }
        TopicPartition tp = new TopicPartition("slow", 0);
        Map<String, Object> consumerConfig = new HashMap<>();
        consumerConfig.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerConfig, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            assertThat(consumer.endOffsets(List.of(tp)).get(tp)).as("the last stable offset passed the abort marker")
                    .isEqualTo(6);
        }
    }

    @Test
    void aTransactionTimeoutAboveTheBrokersMaximumIsRefused() {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "greedy-writer");
        config.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 900_001);
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap, config)) {
            // INVALID_TRANSACTION_TIMEOUT, which the Java client reports as an unexpected error (as against Kafka).
            assertThatThrownBy(producer::initTransactions).isInstanceOf(KafkaException.class)
                    .hasMessageContaining("transaction timeout is larger than the maximum");
        }
    }

    /** The broker leading partition 0 of {@code topic}. */
    private static int leaderOf(String topic) {
        for (var entry : cluster.brokers().entrySet()) {
            var partition = entry.getValue().getBean(dev.runnel.broker.replication.ReplicaManager.class)
                    .partition(new dev.runnel.common.TopicPartition(topic, 0));
            if (partition.isPresent() && partition.get().isLeader()) {
                return entry.getKey();
            }
        }
        throw new AssertionError("no leader of " + topic + "-0");
    }

    // ---- helpers ----------------------------------------------------------------------------

    private static void createTopic(String name, int partitions) throws Exception {
        admin.createTopics(List.of(new NewTopic(name, partitions, (short) 3))).all().get(30, TimeUnit.SECONDS);
    }

    private static KafkaProducer<byte[], byte[]> transactional(String transactionalId) {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 60_000);
        config.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 60_000);
        return KafkaClients.producer(bootstrap, config);
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String topic, String prefix, int from, int count) {
        for (int i = from; i < from + count; i++) {
            producer.send(new ProducerRecord<>(topic, KafkaClients.bytes("k" + i), KafkaClients.bytes(prefix + i)));
        }
    }

    private static List<String> range(String prefix, int from, int count) {
        List<String> values = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            values.add(prefix + i);
        }
        return values;
    }

    private static List<String> values(String topic, String isolation) throws Exception {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            // Up to the end this isolation level sees (the LSO for read_committed), however slow the first fetch.
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
                assertThat(System.nanoTime()).as("read %s to %s", topic, ends).isLessThan(deadline);
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(KafkaClients.text(record.value()));
                }
            }
        }
        return values;
    }
}
