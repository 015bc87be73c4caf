package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real kafka-clients producers and consumers against an in-JVM cluster: records go in through
 * Produce and come back through Fetch in order, and ListOffsets and DeleteRecords see them.
 */
class KafkaProduceFetchClusterTest {

    private static final Duration DEADLINE = Duration.ofSeconds(30);

    private static InJvmCluster cluster;
    private static Admin admin;
    private static String bootstrap;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = new InJvmCluster();
        cluster.startControllerAndBrokers(3, "--runnel.broker.auto-create-topics-enable=true");
        bootstrap = cluster.bootstrap(1, 2);
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
    void anIdempotentProducersRecordsComeBackInOrderPerPartition() throws Exception {
        createTopic("events", 6);
        Map<Integer, List<String>> sent = new HashMap<>();
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap, Map.of(ProducerConfig.LINGER_MS_CONFIG, 5))) {
            List<Future<RecordMetadata>> acks = new ArrayList<>();
            for (int i = 0; i < 20_000; i++) {
                acks.add(producer.send(new ProducerRecord<>("events", KafkaClients.bytes("key-" + (i % 97)), KafkaClients.bytes("value-" + i))));
            }
            for (int i = 0; i < acks.size(); i++) {
                RecordMetadata metadata = acks.get(i).get(30, TimeUnit.SECONDS);
                sent.computeIfAbsent(metadata.partition(), p -> new ArrayList<>()).add("value-" + i);
            }
        }
        Map<Integer, List<String>> read = readAll("events", 6, 20_000);
        assertThat(read).isEqualTo(sent);
    }

    @Test
    void listOffsetsFindsRecordsByTimestampAndDeleteRecordsMovesTheStart() throws Exception {
        createTopic("clock", 1);
        long base = System.currentTimeMillis() - 100_000;
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap, Map.of())) {
            for (int i = 0; i < 100; i++) {
                producer.send(new ProducerRecord<>("clock", 0, base + i * 1000L, KafkaClients.bytes("k"), KafkaClients.bytes("v" + i)))
                        .get(30, TimeUnit.SECONDS);
            }
        }
        TopicPartition tp = new TopicPartition("clock", 0);

        assertThat(offset(tp, OffsetSpec.earliest()).offset()).isZero();
        assertThat(offset(tp, OffsetSpec.latest()).offset()).isEqualTo(100);
        ListOffsetsResult.ListOffsetsResultInfo at = offset(tp, OffsetSpec.forTimestamp(base + 41_500));
        assertThat(at.offset()).isEqualTo(42);
        assertThat(at.timestamp()).isEqualTo(base + 42_000);
        ListOffsetsResult.ListOffsetsResultInfo max = offset(tp, OffsetSpec.maxTimestamp());
        assertThat(max.offset()).isEqualTo(99);
        assertThat(offset(tp, OffsetSpec.forTimestamp(base + 500_000)).offset()).isEqualTo(-1);

        admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(60))).all().get(20, TimeUnit.SECONDS);

        assertThat(offset(tp, OffsetSpec.earliest()).offset()).isEqualTo(60);
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(bootstrap)) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            await().atMost(DEADLINE).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() >= 40;
            });
            assertThat(records.get(0).offset()).isEqualTo(60);
            assertThat(new String(records.get(0).value(), StandardCharsets.UTF_8)).isEqualTo("v60");
        }
    }

    @Test
    void aProducerCreatesAnUnknownTopicWhenAutoCreationIsOn() throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap, Map.of())) {
            RecordMetadata sent = producer.send(new ProducerRecord<>("made-on-demand", KafkaClients.bytes("k"), KafkaClients.bytes("v")))
                    .get(30, TimeUnit.SECONDS);
            assertThat(sent.offset()).isZero();
        }
        assertThat(admin.describeTopics(List.of("made-on-demand")).allTopicNames().get(20, TimeUnit.SECONDS)
                .get("made-on-demand").partitions()).isNotEmpty();
    }

    @Test
    void incrementalAlterConfigsSetsAppendsAndDeletesTopicConfigsThroughTheController() throws Exception {
        createTopic("tuned", 1);
        ConfigResource tuned = new ConfigResource(ConfigResource.Type.TOPIC, "tuned");
        admin.incrementalAlterConfigs(Map.of(tuned, List.of(
                new AlterConfigOp(new ConfigEntry("retention.ms", "3600000"), AlterConfigOp.OpType.SET),
                new AlterConfigOp(new ConfigEntry("cleanup.policy", "compact"), AlterConfigOp.OpType.APPEND))))
                .all().get(20, TimeUnit.SECONDS);

        await().atMost(DEADLINE).untilAsserted(() -> {
            Config config = admin.describeConfigs(List.of(tuned)).all().get(20, TimeUnit.SECONDS).get(tuned);
            assertThat(config.get("retention.ms").value()).isEqualTo("3600000");
            assertThat(config.get("cleanup.policy").value()).isEqualTo("delete,compact");
        });

        admin.incrementalAlterConfigs(Map.of(tuned, List.of(
                new AlterConfigOp(new ConfigEntry("retention.ms", ""), AlterConfigOp.OpType.DELETE))))
                .all().get(20, TimeUnit.SECONDS);
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(admin.describeConfigs(List.of(tuned)).all()
                .get(20, TimeUnit.SECONDS).get(tuned).get("retention.ms").value()).isEqualTo("604800000"));

        assertThat(admin.incrementalAlterConfigs(Map.of(tuned, List.of(new AlterConfigOp(
                new ConfigEntry("retention.ms", "soon"), AlterConfigOp.OpType.SET)))).all()
                .toCompletionStage().toCompletableFuture()).failsWithin(Duration.ofSeconds(20))
                .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .withCauseInstanceOf(InvalidConfigurationException.class);
        ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, "1");
        assertThat(admin.incrementalAlterConfigs(Map.of(broker, List.of(new AlterConfigOp(
                new ConfigEntry("log.retention.ms", "1"), AlterConfigOp.OpType.SET)))).all()
                .toCompletionStage().toCompletableFuture()).failsWithin(Duration.ofSeconds(20))
                .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .withCauseInstanceOf(InvalidRequestException.class);
    }

    @Test
    void groupConfigsAreSetDescribedAndRefusedAsKafkaDoesThem() throws Exception {
        ConfigResource group = new ConfigResource(ConfigResource.Type.GROUP, "queue-workers");
        Config defaults = admin.describeConfigs(List.of(group)).all().get(20, TimeUnit.SECONDS).get(group);
        assertThat(defaults.get("share.auto.offset.reset").value()).isEqualTo("latest");
        assertThat(defaults.get("share.auto.offset.reset").source()).isEqualTo(ConfigEntry.ConfigSource.DEFAULT_CONFIG);
        assertThat(defaults.get("share.record.lock.duration.ms").value()).isEqualTo("30000");

        admin.incrementalAlterConfigs(Map.of(group, List.of(
                new AlterConfigOp(new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET),
                new AlterConfigOp(new ConfigEntry("share.record.lock.duration.ms", "15000"), AlterConfigOp.OpType.SET))))
                .all().get(20, TimeUnit.SECONDS);

        // every broker answers for every group: ask each in turn until all show the change
        for (int broker = 1; broker <= 3; broker++) {
            try (Admin one = KafkaClients.admin(cluster.bootstrap(broker))) {
                await().atMost(DEADLINE).untilAsserted(() -> {
                    Config config = one.describeConfigs(List.of(group)).all().get(20, TimeUnit.SECONDS).get(group);
                    assertThat(config.get("share.auto.offset.reset").value()).isEqualTo("earliest");
                    assertThat(config.get("share.auto.offset.reset").source())
                            .isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_GROUP_CONFIG);
                    assertThat(config.get("share.record.lock.duration.ms").value()).isEqualTo("15000");
                });
            }
        }

        assertThat(admin.incrementalAlterConfigs(Map.of(group, List.of(new AlterConfigOp(
                new ConfigEntry("share.record.lock.duration.ms", "100"), AlterConfigOp.OpType.SET)))).all()
                .toCompletionStage().toCompletableFuture()).failsWithin(Duration.ofSeconds(20))
                .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .withCauseInstanceOf(InvalidConfigurationException.class)
                .withMessageContaining("group.share.min.record.lock.duration.ms");
        assertThat(admin.incrementalAlterConfigs(Map.of(group, List.of(new AlterConfigOp(
                new ConfigEntry("no.such.config", "1"), AlterConfigOp.OpType.SET)))).all()
                .toCompletionStage().toCompletableFuture()).failsWithin(Duration.ofSeconds(20))
                .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .withMessageContaining("Unknown group config name: no.such.config");

        admin.incrementalAlterConfigs(Map.of(group, List.of(
                new AlterConfigOp(new ConfigEntry("share.auto.offset.reset", ""), AlterConfigOp.OpType.DELETE))))
                .all().get(20, TimeUnit.SECONDS);
        await().atMost(DEADLINE).untilAsserted(() -> {
            Config after = admin.describeConfigs(List.of(group)).all().get(20, TimeUnit.SECONDS).get(group);
            assertThat(after.get("share.auto.offset.reset").value()).isEqualTo("latest");
            assertThat(after.get("share.record.lock.duration.ms").value()).isEqualTo("15000");
        });
    }

    @Test
    void aCompactedTopicRefusesRecordsWithoutAKeyFromTheMomentItIsCompacted() throws Exception {
        createTopic("keyed-later", 1);
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap, Map.of())) {
            assertThat(producer.send(new ProducerRecord<>("keyed-later", null, KafkaClients.bytes("no key")))
                    .get(30, TimeUnit.SECONDS).offset()).isZero();

            ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, "keyed-later");
            admin.incrementalAlterConfigs(Map.of(topic, List.of(new AlterConfigOp(
                    new ConfigEntry("cleanup.policy", "compact"), AlterConfigOp.OpType.SET))))
                    .all().get(20, TimeUnit.SECONDS);

            // The config reaches the partition leader shortly after the controller has it: until then a
            // record without a key is still taken.
            AtomicLong taken = new AtomicLong(1);
            await().atMost(DEADLINE).until(() -> {
                try {
                    producer.send(new ProducerRecord<>("keyed-later", null, KafkaClients.bytes("no key")))
                            .get(30, TimeUnit.SECONDS);
                    taken.incrementAndGet();
                    return false;
                } catch (ExecutionException refused) {
                    assertThat(refused.getCause()).isInstanceOf(InvalidRecordException.class);
                    return true;
                }
            });
            RecordMetadata keyed = producer.send(new ProducerRecord<>("keyed-later", KafkaClients.bytes("k"),
                    KafkaClients.bytes("v"))).get(30, TimeUnit.SECONDS);
            assertThat(keyed.offset()).isEqualTo(taken.get()); // nothing of the refused batch was written
        }
    }

    private static ListOffsetsResult.ListOffsetsResultInfo offset(TopicPartition tp, OffsetSpec spec) throws Exception {
        return admin.listOffsets(Map.of(tp, spec)).partitionResult(tp).get(20, TimeUnit.SECONDS);
    }

    private static void createTopic(String name, int partitions) throws Exception {
        admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get(20, TimeUnit.SECONDS);
        await().atMost(DEADLINE).until(() -> admin.describeTopics(List.of(name)).allTopicNames().get()
                .get(name).partitions().stream().allMatch(p -> p.leader() != null));
    }

    private static Map<Integer, List<String>> readAll(String topic, int partitions, int expected) {
        Map<Integer, List<String>> read = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(bootstrap)) {
            List<TopicPartition> all = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                all.add(new TopicPartition(topic, p));
            }
            consumer.assign(all);
            consumer.seekToBeginning(all);
            int[] count = {0};
            await().atMost(DEADLINE).until(() -> {
                for (ConsumerRecord<byte[], byte[]> r : KafkaClients.drain(consumer)) {
                    read.computeIfAbsent(r.partition(), p -> new ArrayList<>()).add(KafkaClients.text(r.value()));
                    count[0]++;
                }
                return count[0] >= expected;
            });
        }
        return read;
    }

}
