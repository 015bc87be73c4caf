package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.junit.jupiter.api.Test;

/**
 * JBOD on an in-JVM cluster (a controller and three brokers; broker 1 with two log directories in
 * temp dirs), driven by Kafka 4.3.1's own tools: {@code kafka-log-dirs --describe} shows both
 * directories with their partitions' sizes; {@code kafka-reassign-partitions --execute} with
 * {@code log_dirs} moves broker 1's replicas between its directories (AlterReplicaLogDirs) while a
 * producer writes to them, {@code --verify} reports the moves complete, and a consumer then reads
 * every acknowledged record. Then one directory fails for real (it vanishes under the broker and a
 * file takes its place, so the next checkpoint or roll gets an IOException): only its partition
 * goes offline on broker 1, its leadership moves to broker 2, and the partition on the other
 * directory keeps taking writes on broker 1. Broker 1 restarted with the directory replaced gets
 * its replica back, caught up from broker 2 and in the ISR again. Several minutes on two cores:
 * the faults profile.
 */
class LogDirsClusterTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final Duration TOOL_DEADLINE = Duration.ofSeconds(60);
    private static final String LOG_DIRS = "org.apache.kafka.tools.LogDirsCommand";
    private static final String REASSIGN_PARTITIONS = "org.apache.kafka.tools.reassign.ReassignPartitionsCommand";
    private static final String TOPIC = "jbod";
    /** Records the writer sends at most while the replicas move (it stops sooner when they are done). */
    private static final int MAX_DURING_MOVE = 20_000;

    @Test
    void logDirsAreDescribedMovedAndAFailedOneTakesOnlyItsPartitionsOffline() throws Exception {
        try (InJvmCluster cluster = new InJvmCluster()) {
            Path dirA = cluster.dataDir().resolve("broker-1a");
            Path dirB = cluster.dataDir().resolve("broker-1b");
            cluster.startController(1);
            cluster.startBroker(1, null, "broker-1a," + dirB);
            cluster.startBroker(2, null);
            cluster.startBroker(3, null);
            String bootstrap = cluster.bootstrap(1, 2, 3);
            KafkaTools tools = KafkaTools.locate(Files.createDirectories(cluster.dataDir().resolve("tools")));
            try (Admin admin = KafkaClients.admin(bootstrap)) {
                await().atMost(DEADLINE).ignoreExceptions()
                        .until(() -> admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).size() == 3);
                admin.createTopics(List.of(new NewTopic(TOPIC, Map.of(0, List.of(1, 2), 1, List.of(1, 3)))))
                        .all().get(30, TimeUnit.SECONDS);
                await().atMost(DEADLINE).ignoreExceptions().until(() -> partitions(admin).stream()
                        .allMatch(p -> p.leader() != null && p.leader().id() == 1 && p.isr().size() == 2));

                Set<String> acked = ConcurrentHashMap.newKeySet();
                try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap,
                        Map.of(ProducerConfig.ACKS_CONFIG, "all"))) {
                    for (int i = 0; i < 200; i++) {
                        String v = "before-" + i;
                        producer.send(new ProducerRecord<>(TOPIC, i % 2, null, v.getBytes(StandardCharsets.UTF_8)),
                                (m, e) -> {
                                    if (e == null) {
                                        acked.add(v);
                                    }
                                });
                    }
                    producer.flush();
                }

                KafkaTools.Result described = tools.run(TOOL_DEADLINE, LOG_DIRS, "--bootstrap-server", bootstrap,
                        "--describe", "--broker-list", "1");
                System.out.println("kafka-log-dirs --describe before the move:\n" + described.stdout());
                assertThat(described.exitCode()).as(described.describe()).isZero();
                assertThat(described.stdout()).contains(dirA.toString()).contains(dirB.toString())
                        .contains("\"partition\":\"jbod-0\"").contains("\"partition\":\"jbod-1\"");

                // Put jbod-0 and jbod-1 in different directories: jbod-0 moves to where it is not.
                Path from0 = Files.isDirectory(dirA.resolve("jbod-0")) ? dirA : dirB;
                Path to0 = from0.equals(dirA) ? dirB : dirA;
                Path reassignment = Files.writeString(cluster.dataDir().resolve("log-dirs-reassignment.json"),
                        "{\"version\":1,\"partitions\":["
                                + "{\"topic\":\"jbod\",\"partition\":0,\"replicas\":[1,2],\"log_dirs\":[\"" + to0 + "\",\"any\"]},"
                                + "{\"topic\":\"jbod\",\"partition\":1,\"replicas\":[1,3],\"log_dirs\":[\"" + from0 + "\",\"any\"]}]}");

                // A producer writes to the moving partitions the whole time.
                AtomicBoolean producing = new AtomicBoolean(true);
                Thread writer = new Thread(() -> {
                    try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap,
                            Map.of(ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.LINGER_MS_CONFIG, 5))) {
                        for (int i = 0; producing.get() && i < MAX_DURING_MOVE; i++) {
                            String v = "during-" + i;
                            producer.send(new ProducerRecord<>(TOPIC, i % 2, null, v.getBytes(StandardCharsets.UTF_8)),
                                    (m, e) -> {
                                        if (e == null) {
                                            acked.add(v);
                                        }
                                    });
                            if (i % 100 == 99) {
                                producer.flush();
                            }
                        }
                        producer.flush();
                    }
                }, "log-dirs-writer");
                writer.start();
                try {
                    KafkaTools.Result executed = tools.run(TOOL_DEADLINE, REASSIGN_PARTITIONS, "--bootstrap-server",
                            bootstrap, "--execute", "--reassignment-json-file", reassignment.toString());
                    System.out.println("kafka-reassign-partitions --execute:\n" + executed.stdout() + executed.stderr());
                    assertThat(executed.exitCode()).as(executed.describe()).isZero();
                    KafkaTools.Result[] verified = new KafkaTools.Result[1];
                    await().atMost(DEADLINE).pollInterval(Duration.ofSeconds(1)).until(() -> {
                        verified[0] = tools.run(TOOL_DEADLINE, REASSIGN_PARTITIONS, "--bootstrap-server", bootstrap,
                                "--verify", "--reassignment-json-file", reassignment.toString());
                        return verified[0].stdout().contains("Reassignment of replica jbod-0-1 completed successfully");
                    });
                    System.out.println("kafka-reassign-partitions --verify:\n" + verified[0].stdout());
                } finally {
                    producing.set(false);
                    writer.join(60_000);
                }
                assertThat(Files.isDirectory(to0.resolve("jbod-0"))).isTrue();
                assertThat(Files.exists(from0.resolve("jbod-0"))).isFalse();
                assertThat(Files.isDirectory(from0.resolve("jbod-1"))).isTrue();
                Set<String> read = readAll(bootstrap);
                System.out.println("Produced during the move: " + acked.size() + " acknowledged records, read back "
                        + read.size());
                assertThat(read).containsAll(acked);

                KafkaTools.Result after = tools.run(TOOL_DEADLINE, LOG_DIRS, "--bootstrap-server", bootstrap,
                        "--describe", "--broker-list", "1");
                System.out.println("kafka-log-dirs --describe after the move:\n" + after.stdout());

                // The directory now holding jbod-0 fails: it vanishes and a file takes its name.
                deleteTree(to0);
                Files.writeString(to0, "the disk is gone");
                await().atMost(DEADLINE).ignoreExceptions().until(() -> {
                    TopicPartitionInfo p0 = partitions(admin).get(0);
                    return p0.leader() != null && p0.leader().id() == 2 && p0.isr().stream().noneMatch(n -> n.id() == 1);
                });
                System.out.println("After the failure of " + to0 + ": " + partitions(admin));
                assertThat(partitions(admin).get(1).leader().id()).isEqualTo(1);
                try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap,
                        Map.of(ProducerConfig.ACKS_CONFIG, "1"))) {
                    producer.send(new ProducerRecord<>(TOPIC, 1, null, "after-failure-1".getBytes(StandardCharsets.UTF_8)))
                            .get(30, TimeUnit.SECONDS);
                    producer.send(new ProducerRecord<>(TOPIC, 0, null, "after-failure-0".getBytes(StandardCharsets.UTF_8)))
                            .get(30, TimeUnit.SECONDS);
                }
                KafkaTools.Result failed = tools.run(TOOL_DEADLINE, LOG_DIRS, "--bootstrap-server", bootstrap,
                        "--describe", "--broker-list", "1");
                System.out.println("kafka-log-dirs --describe after the failure:\n" + failed.stdout());
                assertThat(failed.stdout()).contains("KafkaStorageException");

                // The disk is replaced (an empty directory again) and broker 1 restarts: its replica of
                // jbod-0 comes back empty, catches up from broker 2 and rejoins the ISR.
                int port = InJvmCluster.kafkaPort(cluster.broker(1));
                cluster.stopBroker(1);
                Files.delete(to0);
                Files.createDirectories(to0);
                cluster.startBroker(1, null, "broker-1a," + dirB, port);
                await().atMost(DEADLINE).ignoreExceptions().until(() -> partitions(admin).get(0).isr().stream()
                        .anyMatch(n -> n.id() == 1));
                System.out.println("After broker 1 restarted with " + to0 + " replaced: " + partitions(admin));
                Path back = Files.isDirectory(dirA.resolve("jbod-0")) ? dirA : dirB;
                assertThat(Files.isDirectory(back.resolve("jbod-0"))).isTrue();
                assertThat(readAll(bootstrap)).containsAll(acked).contains("after-failure-0", "after-failure-1");
            }
        }
    }

    private static List<TopicPartitionInfo> partitions(Admin admin) throws Exception {
        TopicDescription d = admin.describeTopics(List.of(TOPIC)).allTopicNames().get(10, TimeUnit.SECONDS).get(TOPIC);
        List<TopicPartitionInfo> sorted = new ArrayList<>(d.partitions());
        sorted.sort(Comparator.comparingInt(TopicPartitionInfo::partition));
        return sorted;
    }

    private static Set<String> readAll(String bootstrap) {
        Set<String> values = ConcurrentHashMap.newKeySet();
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(bootstrap)) {
            List<TopicPartition> tps = List.of(new TopicPartition(TOPIC, 0), new TopicPartition(TOPIC, 1));
            consumer.assign(tps);
            Map<TopicPartition, Long> ends = consumer.endOffsets(tps, Duration.ofSeconds(30));
            // In the test thread and unpaced: Awaitility's interval must not pace the consumer.
            await().atMost(DEADLINE).pollInSameThread().pollInterval(Duration.ofMillis(1)).until(() -> {
                for (ConsumerRecord<byte[], byte[]> r : KafkaClients.drain(consumer)) {
                    values.add(new String(r.value(), StandardCharsets.UTF_8));
                }
                return tps.stream().allMatch(tp -> consumer.position(tp) >= ends.get(tp));
            });
        }
        return values;
    }

    private static void deleteTree(Path dir) throws Exception {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
