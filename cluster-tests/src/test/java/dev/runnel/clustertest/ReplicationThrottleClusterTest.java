package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.replication.ReplicationQuotas;

/**
 * Replication throttles as Kafka's, on four brokers in this JVM: the dynamic broker configs and
 * the topic's throttled replicas set with Admin and shown by DescribeConfigs, then a replica with
 * about 20 MB to copy moved unthrottled and moved by {@code kafka-reassign-partitions --execute
 * --throttle 1000000}, whose {@code --verify} removes the throttles. Prints the catch-up rates.
 */
class ReplicationThrottleClusterTest {

    private static final Duration DEADLINE = Duration.ofSeconds(120);
    private static final Duration TOOL_DEADLINE = Duration.ofSeconds(60);
    private static final String REASSIGN_PARTITIONS = "org.apache.kafka.tools.reassign.ReassignPartitionsCommand";
    private static final int RECORD_BYTES = 1_000;
    private static final int RECORDS = 20_000;
    private static final long THROTTLE = 1_000_000;

    @TempDir
    Path work;

    private InJvmCluster cluster;
    private Admin admin;

    @BeforeEach
    void startFourBrokers() throws Exception {
        cluster = new InJvmCluster();
        cluster.startControllerAndBrokers(4);
        admin = KafkaClients.admin(cluster.bootstrap(1, 2, 3, 4));
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (admin != null) {
                admin.close(Duration.ofSeconds(5));
            }
        } finally {
            cluster.close();
        }
    }

    @Test
    void throttleConfigsAreSetPerBrokerAndAsDefaultShownAndValidatedAsKafkaDoesThem() throws Exception {
        ConfigResource broker2 = new ConfigResource(ConfigResource.Type.BROKER, "2");
        ConfigResource defaults = new ConfigResource(ConfigResource.Type.BROKER, "");
        admin.incrementalAlterConfigs(Map.of(
                broker2, List.of(set("leader.replication.throttled.rate", "5000")),
                defaults, List.of(set("follower.replication.throttled.rate", "7000")))).all().get(30, TimeUnit.SECONDS);

        await("every broker sees the default").atMost(DEADLINE).untilAsserted(() -> {
            Config described = admin.describeConfigs(List.of(broker2)).all().get(30, TimeUnit.SECONDS).get(broker2);
            ConfigEntry leader = described.get("leader.replication.throttled.rate");
            assertThat(leader.value()).isEqualTo("5000");
            assertThat(leader.source()).isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_BROKER_CONFIG);
            ConfigEntry follower = described.get("follower.replication.throttled.rate");
            assertThat(follower.value()).isEqualTo("7000");
            assertThat(follower.source()).isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
        });
        Config shownDefaults = admin.describeConfigs(List.of(defaults)).all().get(30, TimeUnit.SECONDS).get(defaults);
        assertThat(shownDefaults.entries()).extracting(ConfigEntry::name)
                .containsExactly("follower.replication.throttled.rate");
        await("broker 4 reads its rates from the default").atMost(DEADLINE).until(() -> cluster.broker(4)
                .getBean(ReplicationQuotas.class).follower().bound() == 7000
                && cluster.broker(4).getBean(ReplicationQuotas.class).leader().bound() == Long.MAX_VALUE);

        assertThat(admin.incrementalAlterConfigs(Map.of(broker2, List.of(set("leader.replication.throttled.rate",
                "-1")))).all().toCompletionStage().toCompletableFuture()).failsWithin(Duration.ofSeconds(20))
                .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .withCauseInstanceOf(InvalidConfigurationException.class);
        assertThat(admin.incrementalAlterConfigs(Map.of(broker2, List.of(set("log.retention.ms", "1"))))
                .all().toCompletionStage().toCompletableFuture()).failsWithin(Duration.ofSeconds(20))
                .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .withCauseInstanceOf(InvalidRequestException.class);

        admin.createTopics(List.of(new NewTopic("throttle-configs", 2, (short) 2))).all().get(30, TimeUnit.SECONDS);
        await("every broker knows the topic").atMost(DEADLINE).until(() -> cluster.brokers().values().stream()
                .allMatch(b -> b.getBean(MetadataCache.class).snapshot().topic("throttle-configs").isPresent()));
        ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, "throttle-configs");
        assertThat(admin.incrementalAlterConfigs(Map.of(topic, List.of(set("leader.replication.throttled.replicas",
                "0:1;1:2")))).all().toCompletionStage().toCompletableFuture()).failsWithin(Duration.ofSeconds(20))
                .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .withCauseInstanceOf(InvalidConfigurationException.class);
        admin.incrementalAlterConfigs(Map.of(topic, List.of(set("leader.replication.throttled.replicas", "0:1,1:2"),
                set("follower.replication.throttled.replicas", "*")))).all().get(30, TimeUnit.SECONDS);

        admin.incrementalAlterConfigs(Map.of(broker2, List.of(delete("leader.replication.throttled.rate")),
                defaults, List.of(delete("follower.replication.throttled.rate")))).all().get(30, TimeUnit.SECONDS);
        await("the rates are unlimited again").atMost(DEADLINE).untilAsserted(() -> {
            Config described = admin.describeConfigs(List.of(broker2)).all().get(30, TimeUnit.SECONDS).get(broker2);
            assertThat(described.get("leader.replication.throttled.rate").source())
                    .isEqualTo(ConfigEntry.ConfigSource.DEFAULT_CONFIG);
            assertThat(described.get("follower.replication.throttled.rate").value())
                    .isEqualTo(Long.toString(Long.MAX_VALUE));
        });
    }

    /** About a minute (40 MB written, a 15 s throttled copy, three tool runs): the faults profile. */
    @Test
    @Tag("faults-only")
    void aReplicaMovedUnderAOneMegabytePerSecondThrottleCatchesUpThrottledAndVerifyRemovesTheThrottles()
            throws Exception {
        KafkaTools tools = KafkaTools.locate(work);
        String bootstrap = cluster.bootstrap(1, 2, 3, 4);
        admin.createTopics(List.of(new NewTopic("unthrottled", Map.of(0, List.of(1, 2))),
                new NewTopic("throttled", Map.of(0, List.of(1, 2))))).all().get(30, TimeUnit.SECONDS);
        long bytes = fill("unthrottled");
        fill("throttled");

        // unthrottled: broker 3 copies the partition as fast as it can
        long started = System.nanoTime();
        admin.alterPartitionReassignments(Map.of(new TopicPartition("unthrottled", 0),
                Optional.of(new NewPartitionReassignment(List.of(1, 2, 3))))).all().get(30, TimeUnit.SECONDS);
        awaitNoReassignment("unthrottled");
        double unthrottledSeconds = (System.nanoTime() - started) / 1e9;

        // throttled: the tool sets the throttles, broker 4 copies the partition under them
        Path plan = Files.writeString(work.resolve("throttled-plan.json"), "{\"version\":1,\"partitions\":["
                + "{\"topic\":\"throttled\",\"partition\":0,\"replicas\":[1,2,4],\"log_dirs\":[\"any\",\"any\",\"any\"]}]}");
        AtomicBoolean throttleEngaged = new AtomicBoolean();
        AtomicReference<Double> peakFollowerRate = new AtomicReference<>(0.0);
        started = System.nanoTime();
        KafkaTools.Result executed = tools.run(TOOL_DEADLINE, REASSIGN_PARTITIONS, "--bootstrap-server", bootstrap,
                "--execute", "--reassignment-json-file", plan.toString(), "--throttle", Long.toString(THROTTLE));
        System.out.println(executed.describe());
        assertThat(executed.exitCode()).as(executed.describe()).isZero();

        ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, "throttled");
        Config topicConfigs = admin.describeConfigs(List.of(topic)).all().get(30, TimeUnit.SECONDS).get(topic);
        System.out.println("Topic throttles set by the tool: leader "
                + topicConfigs.get("leader.replication.throttled.replicas").value() + ", follower "
                + topicConfigs.get("follower.replication.throttled.replicas").value());
        assertThat(topicConfigs.get("follower.replication.throttled.replicas").value()).isEqualTo("0:4");
        ReplicationQuotas broker4 = cluster.broker(4).getBean(ReplicationQuotas.class);
        await("broker 4 has the follower throttle").atMost(DEADLINE).until(() -> broker4.follower().bound() == THROTTLE);

        await("the throttled move completes").atMost(DEADLINE).pollInterval(Duration.ofMillis(100)).until(() -> {
            if (broker4.follower().isQuotaExceeded()) {
                throttleEngaged.set(true);
            }
            peakFollowerRate.accumulateAndGet(broker4.follower().rate(), Math::max);
            return admin.listPartitionReassignments().reassignments().get(10, TimeUnit.SECONDS).isEmpty();
        });
        double throttledSeconds = (System.nanoTime() - started) / 1e9;
        System.out.printf("Catch-up of %.1f MB: unthrottled %.1f s (%.2f MB/s); under a %d B/s throttle %.1f s "
                + "(%.2f MB/s), broker 4's follower rate peaked at %.2f MB/s%n", bytes / 1e6, unthrottledSeconds,
                bytes / 1e6 / unthrottledSeconds, THROTTLE, throttledSeconds, bytes / 1e6 / throttledSeconds,
                peakFollowerRate.get() / 1e6);
        assertThat(throttleEngaged).as("broker 4's follower throttle held the copy back at some point").isTrue();
        assertThat(throttledSeconds).as("the throttled copy is clearly slower").isGreaterThan(unthrottledSeconds);

        KafkaTools.Result verified = tools.run(TOOL_DEADLINE, REASSIGN_PARTITIONS, "--bootstrap-server", bootstrap,
                "--verify", "--reassignment-json-file", plan.toString());
        System.out.println(verified.describe());
        assertThat(verified.exitCode()).as(verified.describe()).isZero();
        await("the throttles are gone").atMost(DEADLINE).untilAsserted(() -> {
            Config after = admin.describeConfigs(List.of(topic)).all().get(30, TimeUnit.SECONDS).get(topic);
            assertThat(after.get("follower.replication.throttled.replicas").source())
                    .isEqualTo(ConfigEntry.ConfigSource.DEFAULT_CONFIG);
            assertThat(broker4.follower().bound()).isEqualTo(Long.MAX_VALUE);
            assertThat(cluster.broker(1).getBean(ReplicationQuotas.class).leader().bound()).isEqualTo(Long.MAX_VALUE);
        });
    }

    /** Writes {@link #RECORDS} records of {@link #RECORD_BYTES} to partition 0; returns the bytes written. */
    private long fill(String topic) throws Exception {
        byte[] value = new byte[RECORD_BYTES];
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(cluster.bootstrap(1, 2),
                Map.of("acks", "all", "linger.ms", 5, "batch.size", 256 * 1024, "compression.type", "none"))) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (int i = 0; i < RECORDS; i++) {
                sent.add(producer.send(new ProducerRecord<>(topic, 0, null, value)));
            }
            for (Future<RecordMetadata> f : sent) {
                f.get(60, TimeUnit.SECONDS);
            }
        }
        return (long) RECORDS * RECORD_BYTES;
    }

    private void awaitNoReassignment(String topic) {
        await("the move of " + topic + " completes").atMost(DEADLINE).pollInterval(Duration.ofMillis(100))
                .until(() -> admin.listPartitionReassignments().reassignments().get(10, TimeUnit.SECONDS).isEmpty());
    }

    private static AlterConfigOp set(String name, String value) {
        return new AlterConfigOp(new ConfigEntry(name, value), AlterConfigOp.OpType.SET);
    }

    private static AlterConfigOp delete(String name) {
        return new AlterConfigOp(new ConfigEntry(name, ""), AlterConfigOp.OpType.DELETE);
    }
}
