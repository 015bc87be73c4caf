package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.InitProducerIdResponse;
import org.apache.kafka.common.requests.ProduceResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Unmodified kafka-clients against a cluster of real processes from the built jars (a controller
 * and three brokers on a ZooKeeper in this JVM): a million keyed records per compression codec go
 * in through the default idempotent producer and come back byte-equal and in order per
 * partition, offsets are found by timestamp, DeleteRecords moves the start, and acknowledged
 * records and the idempotent producers' state survive {@code kill -9} of a broker.
 */
class KafkaEndToEndProcessTest {

    private static final Duration DEADLINE = Duration.ofSeconds(90);
    private static final int RECORDS = Integer.getInteger("runnel.e2e.records", 1_000_000);
    private static final int PARTITIONS = 12;
    private static final int VALUE_BYTES = 100;

    private static ProcessCluster cluster;
    private static Admin admin;
    private static String bootstrap;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = new ProcessCluster("e2e");
        cluster.startController(1);
        for (int id = 1; id <= 3; id++) {
            cluster.startBroker(id);
        }
        bootstrap = cluster.bootstrap();
        admin = KafkaClients.admin(bootstrap);
        await("three brokers in the metadata").atMost(DEADLINE).pollInterval(Duration.ofMillis(500))
                .ignoreExceptions().until(() -> admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).size() == 3);
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aMillionKeyedRecordsPerCodecComeBackByteEqualInOrderPerPartition() throws Exception {
        for (String codec : List.of("none", "gzip", "snappy", "lz4", "zstd")) {
            String topic = "e2e-" + codec;
            admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1)
                    .configs(Map.of("retention.ms", "-1")))).all().get(30, TimeUnit.SECONDS);
            TopicDescription described = awaitLeaders(topic);
            assertThat(described.topicId()).isNotEqualTo(Uuid.ZERO_UUID);
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            Config config = admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
            assertThat(config.get("retention.ms").value()).isEqualTo("-1");

            long base = System.currentTimeMillis() - RECORDS - 60_000;
            long started = System.nanoTime();
            produce(topic, codec, base);
            long produced = System.nanoTime();
            long[][] order = consumeAndCheck(topic);
            System.out.printf("%s: %,d records produced in %.1f s, read back and checked in %.1f s%n", topic, RECORDS,
                    (produced - started) / 1e9, (System.nanoTime() - produced) / 1e9);

            // ListOffsets by timestamp: the first record at or after base + RECORDS / 2, per partition.
            long target = base + RECORDS / 2;
            Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
            for (int p = 0; p < PARTITIONS; p++) {
                specs.put(new TopicPartition(topic, p), OffsetSpec.forTimestamp(target));
            }
            var found = admin.listOffsets(specs).all().get(30, TimeUnit.SECONDS);
            for (int p = 0; p < PARTITIONS; p++) {
                long[] is = order[p];
                int expected = firstAtLeast(is, RECORDS / 2);
                long offset = found.get(new TopicPartition(topic, p)).offset();
                assertThat(offset).as("%s-%d offset for timestamp", topic, p)
                        .isEqualTo(expected == is.length ? -1 : expected);
            }
        }
        TopicPartition first = new TopicPartition("e2e-none", 0);
        admin.deleteRecords(Map.of(first, RecordsToDelete.beforeOffset(1_000))).all().get(30, TimeUnit.SECONDS);
        assertThat(admin.listOffsets(Map.of(first, OffsetSpec.earliest())).partitionResult(first)
                .get(30, TimeUnit.SECONDS).offset()).isEqualTo(1_000);
    }

    @Test
    void acknowledgedRecordsAndIdempotentProducerStateSurviveKillNine() throws Exception {
        String topic = "durable";
        admin.createTopics(List.of(new NewTopic(topic, 6, (short) 1))).all().get(30, TimeUnit.SECONDS);
        TopicDescription described = awaitLeaders(topic);
        TopicPartitionInfo onVictim = described.partitions().stream().filter(p -> p.leader().id() == 2).findFirst()
                .orElseThrow(() -> new AssertionError("no partition of " + topic + " on broker 2: " + described));
        TopicPartition victimPartition = new TopicPartition(topic, onVictim.partition());

        // acks=1: each record counts as written once the leader has it (in its page cache).
        Map<TopicPartition, Map<Long, String>> acked = new ConcurrentHashMap<>();
        AtomicReference<Exception> failure = new AtomicReference<>();
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap, Map.of(ProducerConfig.ACKS_CONFIG, "1",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false, ProducerConfig.LINGER_MS_CONFIG, 2))) {
            for (int i = 0; i < 30_000; i++) {
                String value = "acked-" + i;
                producer.send(new ProducerRecord<>(topic, KafkaClients.bytes("k" + i), KafkaClients.bytes(value)), (metadata, e) -> {
                    if (e != null) {
                        failure.compareAndSet(null, e);
                    } else {
                        acked.computeIfAbsent(new TopicPartition(metadata.topic(), metadata.partition()),
                                p -> new ConcurrentHashMap<>()).put(metadata.offset(), value);
                    }
                });
            }
            producer.flush();
        }
        assertThat(failure.get()).isNull();

        // An idempotent batch, written once and then sent again after the crash.
        InitProducerIdResponseData producerId = ((InitProducerIdResponse) KafkaWireClient.send(cluster.kafkaPort(1),
                ApiKeys.INIT_PRODUCER_ID, (short) 4, new InitProducerIdRequestData().setTransactionalId(null)
                        .setTransactionTimeoutMs(60_000).setProducerId(-1).setProducerEpoch((short) -1))).data();
        assertThat(producerId.errorCode()).isZero();
        ProduceResponseData.PartitionProduceResponse firstTry = produceIdempotent(victimPartition, producerId);
        assertThat(firstTry.errorCode()).isZero();
        long endBeforeKill = latest(victimPartition);

        cluster.node("broker-2").kill();
        cluster.startBroker(2);
        await("broker 2 leads its partitions again").atMost(DEADLINE).pollInterval(Duration.ofMillis(500))
                .ignoreExceptions().until(() -> admin.describeTopics(List.of(topic)).allTopicNames().get()
                        .get(topic).partitions().get(victimPartition.partition()).leader().id() == 2
                        && latest(victimPartition) == endBeforeKill);

        ProduceResponseData.PartitionProduceResponse retry = produceIdempotent(victimPartition, producerId);
        assertThat(retry.errorCode()).as("the resent batch").isEqualTo(Errors.NONE.code());
        assertThat(retry.baseOffset()).as("the resent batch keeps its first offset").isEqualTo(firstTry.baseOffset());
        assertThat(latest(victimPartition)).as("nothing appended for the resend").isEqualTo(endBeforeKill);

        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(bootstrap)) {
            List<TopicPartition> all = new ArrayList<>();
            for (int p = 0; p < 6; p++) {
                all.add(new TopicPartition(topic, p));
            }
            consumer.assign(all);
            consumer.seekToBeginning(all);
            Map<TopicPartition, Map<Long, String>> read = new HashMap<>();
            int[] count = {0};
            int expected = 30_000 + 3;
            await("every acknowledged record").atMost(DEADLINE).until(() -> {
                for (ConsumerRecord<byte[], byte[]> r : KafkaClients.drain(consumer)) {
                    read.computeIfAbsent(new TopicPartition(r.topic(), r.partition()), p -> new HashMap<>())
                            .put(r.offset(), new String(r.value(), StandardCharsets.UTF_8));
                    count[0]++;
                }
                return count[0] >= expected;
            });
            assertThat(count[0]).isEqualTo(expected);
            acked.forEach((tp, records) -> assertThat(read.get(tp)).as("%s", tp).containsAllEntriesOf(records));
        }
    }

    private static ProduceResponseData.PartitionProduceResponse produceIdempotent(TopicPartition tp,
            InitProducerIdResponseData producer) throws IOException {
        MemoryRecords records = MemoryRecords.withIdempotentRecords(Compression.NONE, producer.producerId(),
                producer.producerEpoch(), 0, new SimpleRecord(System.currentTimeMillis(), KafkaClients.bytes("once-a"), KafkaClients.bytes("a")),
                new SimpleRecord(System.currentTimeMillis(), KafkaClients.bytes("once-b"), KafkaClients.bytes("b")),
                new SimpleRecord(System.currentTimeMillis(), KafkaClients.bytes("once-c"), KafkaClients.bytes("c")));
        ProduceRequestData request = new ProduceRequestData().setAcks((short) -1).setTimeoutMs(30_000);
        ProduceRequestData.TopicProduceData topic = new ProduceRequestData.TopicProduceData().setName(tp.topic());
        topic.partitionData().add(new ProduceRequestData.PartitionProduceData().setIndex(tp.partition())
                .setRecords(records));
        request.topicData().add(topic);
        ProduceResponse response = (ProduceResponse) KafkaWireClient.send(cluster.kafkaPort(2), ApiKeys.PRODUCE,
                (short) 9, request);
        return response.data().responses().iterator().next().partitionResponses().get(0);
    }

    private static void produce(String topic, String codec, long base) throws Exception {
        AtomicReference<Exception> failure = new AtomicReference<>();
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap, Map.of(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec,
                ProducerConfig.LINGER_MS_CONFIG, 5, ProducerConfig.BATCH_SIZE_CONFIG, 65_536))) {
            for (int i = 0; i < RECORDS; i++) {
                producer.send(new ProducerRecord<>(topic, null, base + i, key(i), value(i)), (metadata, e) -> {
                    if (e != null) {
                        failure.compareAndSet(null, e);
                    }
                });
            }
            producer.flush();
        }
        assertThat(failure.get()).as("send failure on %s", topic).isNull();
    }

    /** Reads every record back; returns each partition's record numbers in offset order. */
    private static long[][] consumeAndCheck(String topic) {
        BitSet seen = new BitSet(RECORDS);
        long[][] order = new long[PARTITIONS][];
        int[] sizes = new int[PARTITIONS];
        for (int p = 0; p < PARTITIONS; p++) {
            order[p] = new long[RECORDS / PARTITIONS * 2];
        }
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(bootstrap)) {
            List<TopicPartition> all = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) {
                all.add(new TopicPartition(topic, p));
            }
            consumer.assign(all);
            consumer.seekToBeginning(all);
            int[] count = {0};
            await("all of " + topic).atMost(DEADLINE).until(() -> {
                // Drain what is there in one go: Awaitility's poll interval must not pace the consumer.
                for (ConsumerRecord<byte[], byte[]> r : KafkaClients.drain(consumer)) {
                    int i = Integer.parseInt(new String(r.key(), StandardCharsets.UTF_8).substring(4));
                    int p = r.partition();
                    assertThat(r.offset()).as("%s-%d offsets run from 0 without gaps", topic, p).isEqualTo(sizes[p]);
                    assertThat(r.value()).as("value of record %d", i).isEqualTo(value(i));
                    assertThat(seen.get(i)).as("record %d read twice", i).isFalse();
                    if (sizes[p] > 0) {
                        assertThat((long) i).as("%s-%d in send order", topic, p).isGreaterThan(order[p][sizes[p] - 1]);
                    }
                    if (sizes[p] == order[p].length) {
                        order[p] = Arrays.copyOf(order[p], order[p].length * 2);
                    }
                    order[p][sizes[p]++] = i;
                    seen.set(i);
                    count[0]++;
                }
                return count[0] >= RECORDS;
            });
            assertThat(seen.cardinality()).isEqualTo(RECORDS);
        }
        for (int p = 0; p < PARTITIONS; p++) {
            order[p] = Arrays.copyOf(order[p], sizes[p]);
        }
        return order;
    }

    private static int firstAtLeast(long[] sorted, long value) {
        int index = Arrays.binarySearch(sorted, value);
        return index >= 0 ? index : -index - 1;
    }

    private static TopicDescription awaitLeaders(String topic) {
        return await("leaders of " + topic).atMost(DEADLINE).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .until(() -> admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic),
                        d -> d.partitions().stream().allMatch(p -> p.leader() != null && p.leader().id() >= 0));
    }

    private static long latest(TopicPartition tp) throws Exception {
        return admin.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get(10, TimeUnit.SECONDS).offset();
    }

    private static byte[] key(int i) {
        return KafkaClients.bytes("key-" + i);
    }

    /** 100 bytes that depend on {@code i} throughout, so a misplaced or damaged byte shows. */
    private static byte[] value(int i) {
        ByteBuffer value = ByteBuffer.allocate(VALUE_BYTES);
        long x = i * 0x9E3779B97F4A7C15L;
        while (value.remaining() >= 8) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            value.putLong(x);
        }
        while (value.hasRemaining()) {
            value.put((byte) i);
        }
        return value.array();
    }

}
