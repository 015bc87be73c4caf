package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.runnel.broker.record.KafkaRecordBatches;
import dev.runnel.broker.record.RecordCodec;
import dev.runnel.broker.replication.AppendResult;
import dev.runnel.broker.replication.Partition;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.storage.AppendOrigin;

/**
 * Unmodified kafka-clients consumers with {@code isolation.level=read_committed} against a
 * 3-broker cluster whose partition holds committed, aborted and open transactions: they get only
 * committed records, stop at the last stable offset, and keep doing so on a new leader whose
 * index of aborted transactions was built as a follower. The transactional batches and markers
 * are appended on the leader as the transaction coordinator's WriteTxnMarkers will append them.
 */
class ReadCommittedClusterTest {

    private static final String TOPIC = "payments";
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    private InJvmCluster cluster;
    private Admin admin;
    private String bootstrap;

    @BeforeEach
    void startCluster() throws Exception {
        cluster = new InJvmCluster();
        cluster.startControllerAndBrokers(3);
        bootstrap = cluster.bootstrap(1, 2, 3);
        admin = KafkaClients.admin(bootstrap);
        admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 3)
                .configs(Map.of("min.insync.replicas", "2")))).all().get(30, TimeUnit.SECONDS);
        await().atMost(DEADLINE).until(() -> leaderId() >= 0 && inSync() == 3);
    }

    @AfterEach
    void stopCluster() throws Exception {
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
        cluster.close();
    }

    @Test
    void readCommittedConsumersSeeOnlyCommittedRecordsOnTheLeaderAndOnTheNextOne() throws Exception {
        appendTransactional(10, "aborted-1", "aborted-2");
        appendTransactional(20, "committed-1");
        appendPlain("plain-1");
        appendTransactional(10, "aborted-3");
        appendMarker(10, false);
        appendTransactional(20, "committed-2");
        appendMarker(20, true);
        appendTransactional(30, "open-1");
        appendPlain("plain-2");

        assertThat(values(IsolationLevel.READ_COMMITTED))
                .containsExactly("committed-1", "plain-1", "committed-2");
        assertThat(values(IsolationLevel.READ_UNCOMMITTED)).containsExactly("aborted-1", "aborted-2", "committed-1",
                "plain-1", "aborted-3", "committed-2", "open-1", "plain-2");
        TopicPartition tp = new TopicPartition(TOPIC, 0);
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(IsolationLevel.READ_COMMITTED)) {
            assertThat(consumer.endOffsets(Set.of(tp)).get(tp)).as("the LSO: producer 30's first offset").isEqualTo(8);
        }
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(IsolationLevel.READ_UNCOMMITTED)) {
            assertThat(consumer.endOffsets(Set.of(tp)).get(tp)).isEqualTo(10);
        }

        // The leader goes; a follower that indexed the abort while replicating takes over.
        int oldLeader = leaderId();
        cluster.stopBroker(oldLeader);
        await().atMost(DEADLINE).until(() -> leaderId() >= 0 && leaderId() != oldLeader);
        appendMarker(30, true);

        assertThat(values(IsolationLevel.READ_COMMITTED))
                .containsExactly("committed-1", "plain-1", "committed-2", "open-1", "plain-2");
    }

    // ---- helpers ----------------------------------------------------------------------------

    private List<String> values(IsolationLevel isolation) {
        TopicPartition tp = new TopicPartition(TOPIC, 0);
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(isolation)) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            // Up to the end this isolation level sees (the LSO for read_committed), however slow the first fetch.
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            while (consumer.position(tp) < end) {
                assertThat(System.nanoTime()).as("read to offset %d", end).isLessThan(deadline);
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(KafkaClients.text(record.value()));
                }
            }
        }
        return values;
    }

    private KafkaConsumer<byte[], byte[]> consumer(IsolationLevel isolation) {
        Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation.toString().toLowerCase(java.util.Locale.ROOT));
        return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private String bootstrap() {
        return cluster.bootstrap(cluster.brokers().keySet().stream().mapToInt(Integer::intValue).toArray());
    }

    private int leaderId() {
        for (var entry : cluster.brokers().entrySet()) {
            var partition = entry.getValue().getBean(ReplicaManager.class)
                    .partition(new dev.runnel.common.TopicPartition(TOPIC, 0));
            if (partition.isPresent() && partition.get().isLeader()) {
                return entry.getKey();
            }
        }
        return -1;
    }

    private int inSync() {
        Partition leader = leader();
        return leader.isUnderReplicated() ? 0 : 3;
    }

    private Partition leader() {
        return cluster.broker(leaderId()).getBean(ReplicaManager.class)
                .partition(new dev.runnel.common.TopicPartition(TOPIC, 0)).orElseThrow();
    }

    private void appendTransactional(long producerId, String... values) throws Exception {
        Partition leader = leader();
        ByteBuffer batch = KafkaRecordBatches.batch(RecordCodec.NONE,
                new KafkaRecordBatches.ProducerInfo(producerId, (short) 0, sequence(producerId, values.length)), true,
                records(values));
        leader.appendAsLeader(batch, (short) -1, AppendOrigin.CLIENT,
                leader.maybeStartTransactionVerification(producerId, (short) 0));
        awaitReplicated(leader);
    }

    private void appendPlain(String value) throws Exception {
        append(KafkaRecordBatches.batch(RecordCodec.NONE, KafkaRecordBatches.ProducerInfo.NONE, records(value)),
                AppendOrigin.CLIENT);
    }

    private void appendMarker(long producerId, boolean commit) throws Exception {
        append(KafkaRecordBatches.endTxnMarker(producerId, (short) 0, 0, commit, System.currentTimeMillis()),
                AppendOrigin.COORDINATOR);
    }

    private void append(ByteBuffer batch, AppendOrigin origin) throws Exception {
        dev.runnel.common.TopicPartition tp = new dev.runnel.common.TopicPartition(TOPIC, 0);
        Map<dev.runnel.common.TopicPartition, AppendResult> results = cluster.broker(leaderId())
                .getBean(ReplicaManager.class).appendRecords(Map.of(tp, batch), (short) -1, Duration.ofSeconds(30),
                        origin).get(60, TimeUnit.SECONDS);
        assertThat(results.get(tp).failed()).as("append of %s", results.get(tp)).isFalse();
    }

    private static void awaitReplicated(Partition leader) {
        await().atMost(DEADLINE).until(() -> leader.log().highWatermark() == leader.log().logEndOffset());
    }

    private final Map<Long, Integer> sequences = new java.util.HashMap<>();

    private int sequence(long producerId, int count) {
        int first = sequences.getOrDefault(producerId, 0);
        sequences.put(producerId, first + count);
        return first;
    }

    private static List<KafkaRecordBatches.SimpleRecord> records(String... values) {
        List<KafkaRecordBatches.SimpleRecord> records = new ArrayList<>();
        for (String value : values) {
            records.add(new KafkaRecordBatches.SimpleRecord(System.currentTimeMillis(), null, KafkaClients.bytes(value)));
        }
        return records;
    }
}
