package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.storage.PartitionLog;

/**
 * Replication between in-JVM brokers with real clients: followers fetch from leaders, acks=all
 * completes once the ISR has a batch, and the replicas' logs end up byte-identical.
 */
class ReplicationClusterTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);

    private static InJvmCluster cluster;
    private static Admin admin;
    private static String bootstrap;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = new InJvmCluster();
        cluster.startControllerAndBrokers(3, "--runnel.broker.replica-lag-time-max=5s");
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
    void acksAllRecordsReachEveryReplicaAndConsumersReadThemAll() throws Exception {
        admin.createTopics(List.of(new NewTopic("replicated", 3, (short) 3)
                .configs(Map.of("min.insync.replicas", "2")))).all().get(20, TimeUnit.SECONDS);
        await().atMost(DEADLINE).until(() -> admin.describeTopics(List.of("replicated")).allTopicNames().get()
                .get("replicated").partitions().stream().allMatch(p -> p.leader() != null));

        int count = 5_000;
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap,
                Map.of(ProducerConfig.ACKS_CONFIG, "all"))) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>("replicated", KafkaClients.bytes("k" + i), KafkaClients.bytes("v" + i)));
            }
            producer.flush();
            producer.send(new ProducerRecord<>("replicated", KafkaClients.bytes("last"), KafkaClients.bytes("last"))).get(30, TimeUnit.SECONDS);
        }

        assertThat(readAll("replicated", 3)).hasSize(count + 1);
        await("replicas identical").atMost(DEADLINE).untilAsserted(() -> {
            for (int p = 0; p < 3; p++) {
                List<ByteBuffer> copies = new ArrayList<>();
                for (ConfigurableApplicationContext broker : cluster.brokers().values()) {
                    PartitionLog log = broker.getBean(ReplicaManager.class)
                            .partition(new dev.runnel.common.TopicPartition("replicated", p)).orElseThrow().log();
                    PartitionLog.ReadResult all = log.read(0, Integer.MAX_VALUE, log.logEndOffset(), true);
                    copies.add(all.isEmpty() ? ByteBuffer.allocate(0) : all.slice().readFully());
                }
                assertThat(copies.get(1)).as("partition %d on two brokers", p).isEqualTo(copies.get(0));
                assertThat(copies.get(2)).as("partition %d on two brokers", p).isEqualTo(copies.get(0));
            }
        });
        TopicDescription described = admin.describeTopics(List.of("replicated")).allTopicNames().get(20, TimeUnit.SECONDS)
                .get("replicated");
        assertThat(described.partitions()).allSatisfy(p -> assertThat(p.isr()).hasSize(3));
    }

    private static List<String> readAll(String topic, int partitions) {
        List<String> read = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(bootstrap)) {
            List<TopicPartition> all = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                all.add(new TopicPartition(topic, p));
            }
            consumer.assign(all);
            consumer.seekToBeginning(all);
            Map<TopicPartition, Long> ends = consumer.endOffsets(all);
            await().atMost(DEADLINE).until(() -> {
                KafkaClients.drain(consumer).forEach(r -> read.add(KafkaClients.text(r.value())));
                return all.stream().allMatch(tp -> consumer.position(tp) >= ends.get(tp));
            });
        }
        return read;
    }

}
