package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.PolicyViolationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.storage.PartitionLog;

/**
 * Log compaction end to end: a compacted topic written through kafka-clients is cleaned by every
 * replica's own cleaner down to the latest record per key (tombstones kept for
 * {@code delete.retention.ms}), a consumer reading it from the start gets exactly that, and
 * DeleteRecords is refused on it as Kafka refuses it.
 */
class CompactionClusterTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final int KEYS = 200;
    private static final int DELETED_KEYS = 20;

    private static InJvmCluster cluster;
    private static Admin admin;
    private static String bootstrap;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = new InJvmCluster();
        cluster.startControllerAndBrokers(3, "--runnel.broker.log-cleaner.backoff=100ms",
                "--runnel.broker.log-cleaner.dedupe-buffer-size=4MB");
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
    void everyReplicaCompactsToTheLatestRecordPerKeyAndConsumersReadThat() throws Exception {
        String topic = "table";
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 3).configs(Map.of("cleanup.policy", "compact",
                "segment.ms", "300", "min.cleanable.dirty.ratio", "0.01", "min.insync.replicas", "2"))))
                .all().get(20, TimeUnit.SECONDS);
        Map<String, String> expected = new LinkedHashMap<>();
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap,
                Map.of(ProducerConfig.ACKS_CONFIG, "all"))) {
            for (int round = 0; round < 4; round++) {
                for (int k = 0; k < KEYS; k++) {
                    String value = "round-" + round;
                    producer.send(new ProducerRecord<>(topic, KafkaClients.bytes("k" + k), KafkaClients.bytes(value)));
                    expected.put("k" + k, value);
                }
                producer.flush();
            }
            for (int k = 0; k < DELETED_KEYS; k++) {
                producer.send(new ProducerRecord<>(topic, KafkaClients.bytes("k" + k), null));
                expected.put("k" + k, null);
            }
            producer.flush();
        }
        int written = 4 * KEYS + DELETED_KEYS;

        // Each replica's cleaner works on its own schedule; all end with one record per key.
        TopicPartition tp = new TopicPartition(topic, 0);
        for (int broker = 1; broker <= 3; broker++) {
            int id = broker;
            await("broker " + id + " compacts its replica").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
                    .untilAsserted(() -> assertThat(records(localLog(id, tp))).as("broker %d's replica", id)
                            .hasSize(KEYS).containsExactlyInAnyOrderElementsOf(expectedRecords(expected).entrySet()));
        }
        List<ConsumerRecord<byte[], byte[]>> read;
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(bootstrap)) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            read = KafkaClients.drain(consumer);
        }
        Map<String, String> consumed = new LinkedHashMap<>();
        long previous = -1;
        for (ConsumerRecord<byte[], byte[]> r : read) {
            assertThat(r.offset()).isGreaterThan(previous);
            previous = r.offset();
            consumed.put(KafkaClients.text(r.key()), r.value() == null ? null : KafkaClients.text(r.value()));
        }
        assertThat(read).as("records a consumer reads from the start of %d written", written).hasSize(KEYS);
        assertThat(consumed).isEqualTo(expected);
        assertThat(previous).as("offsets are kept: the last record is the last written").isEqualTo(written - 1);

        // DeleteRecords needs cleanup.policy to include delete, as in Kafka.
        assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> admin.deleteRecords(
                Map.of(tp, RecordsToDelete.beforeOffset(10))).all().get(20, TimeUnit.SECONDS))
                .withCauseInstanceOf(PolicyViolationException.class);

        // Operators see it: the cleaner's health component and gauges.
        InJvmCluster.Response health = cluster.call("GET", InJvmCluster.url(cluster.broker(1)) + "/actuator/health/logCleaner",
                null);
        assertThat(health.status()).isEqualTo(200);
        assertThat(health.body()).contains("\"status\":\"UP\"", "\"deadThreads\":0", "\"uncleanablePartitions\":0");
        InJvmCluster.Response bytesWritten = cluster.call("GET", InJvmCluster.url(cluster.broker(1))
                + "/actuator/metrics/runnel.log.cleaner.bytes.written", null);
        assertThat(bytesWritten.status()).isEqualTo(200);
        assertThat(bytesWritten.body()).doesNotContain("\"value\":0.0");
        for (String gauge : List.of("max.dirty.percent", "recopy.percent", "buffer.utilization.percent",
                "time.since.last.run", "bytes.read", "uncleanable.partitions", "dead.threads")) {
            assertThat(cluster.call("GET", InJvmCluster.url(cluster.broker(1)) + "/actuator/metrics/runnel.log.cleaner."
                    + gauge, null).status()).as(gauge).isEqualTo(200);
        }

        // A replica that starts empty (a new disk) copies the leader's cleaned log as it is: gaps,
        // emptied batches and all, with the same offsets.
        int follower = followerOf(tp);
        cluster.stopBroker(follower);
        cluster.startBroker(follower, null, "broker-" + follower + "-new-disk");
        await("broker " + follower + " copies the cleaned log from the leader").atMost(DEADLINE)
                .pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                    PartitionLog copy = localLog(follower, tp);
                    assertThat(copy.highWatermark()).isEqualTo(highWatermark(tp));
                    assertThat(records(copy)).containsExactlyElementsOf(records(localLog(leaderOf(tp), tp)));
                });
    }

    @Test
    void aTopicSwitchedToCompactAtRuntimeIsCleanedAndSwitchedBackAcceptsDeleteRecords() throws Exception {
        String topic = "switched";
        admin.createTopics(List.of(new NewTopic(topic, 1, (short) 3).configs(Map.of("segment.ms", "300",
                "min.cleanable.dirty.ratio", "0.01")))).all().get(20, TimeUnit.SECONDS);
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap,
                Map.of(ProducerConfig.ACKS_CONFIG, "all"))) {
            for (int i = 0; i < 300; i++) {
                producer.send(new ProducerRecord<>(topic, KafkaClients.bytes("k" + (i % 30)), KafkaClients.bytes("v" + i)));
            }
            producer.flush();
        }
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        admin.incrementalAlterConfigs(Map.of(resource, List.of(new AlterConfigOp(
                new ConfigEntry("cleanup.policy", "compact"), AlterConfigOp.OpType.SET)))).all().get(20, TimeUnit.SECONDS);
        int leader = leaderOf(tp);
        await("the switched topic compacts").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(records(localLog(leader, tp))).hasSize(30));

        admin.incrementalAlterConfigs(Map.of(resource, List.of(new AlterConfigOp(
                new ConfigEntry("cleanup.policy", "delete"), AlterConfigOp.OpType.SET)))).all().get(20, TimeUnit.SECONDS);
        await("DeleteRecords is taken once the policy has delete again").atMost(DEADLINE).until(() -> {
            try {
                return admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(280))).lowWatermarks().get(tp)
                        .get(20, TimeUnit.SECONDS).lowWatermark() == 280;
            } catch (ExecutionException e) {
                assertThat(e.getCause()).isInstanceOf(PolicyViolationException.class);
                return false;
            }
        });
    }

    private static int leaderOf(TopicPartition tp) {
        for (int id : cluster.brokers().keySet()) {
            var p = cluster.broker(id).getBean(ReplicaManager.class)
                    .partition(new dev.runnel.common.TopicPartition(tp.topic(), tp.partition()));
            if (p.isPresent() && p.get().isLeader()) {
                return id;
            }
        }
        throw new IllegalStateException("no leader of " + tp);
    }

    private static int followerOf(TopicPartition tp) {
        int leader = leaderOf(tp);
        return cluster.brokers().keySet().stream().filter(id -> id != leader).findFirst().orElseThrow();
    }

    private static long highWatermark(TopicPartition tp) {
        return localLog(leaderOf(tp), tp).highWatermark();
    }

    private static PartitionLog localLog(int broker, TopicPartition tp) {
        return ReplicaLogs.log(cluster, broker, tp.topic(), tp.partition());
    }

    private static List<Map.Entry<String, String>> records(PartitionLog log) {
        return ReplicaLogs.keyValues(log);
    }

    private static Map<String, String> expectedRecords(Map<String, String> expected) {
        Map<String, String> out = new LinkedHashMap<>();
        expected.forEach((k, v) -> out.put(k, v == null ? "" : v));
        return out;
    }
}
