package dev.runnel.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import dev.runnel.broker.BrokerApplication;
import dev.runnel.broker.protocol.KafkaServer;

class RunnelClusterTest {

    @Test
    void oneBrokerServesAProducerAndAConsumerGroupAndCloseStopsEverything() throws Exception {
        long start = System.nanoTime();
        RunnelCluster cluster = RunnelCluster.builder().topic("events", 3, 1).start();
        System.out.printf("RUNNEL-TEST 1 broker started in %d ms: %s%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start),
                cluster);
        String bootstrap;
        Path dataDir;
        try (cluster) {
            bootstrap = cluster.bootstrapServers();
            assertThat(bootstrap).matches("127\\.0\\.0\\.1:\\d+");
            dataDir = dataDirOf(cluster);
            long roundTrip = System.nanoTime();
            produce(bootstrap, "events", 30);
            assertThat(consume(bootstrap, "events", "g1", 30)).hasSize(30).contains("value-0", "value-29");
            System.out.printf("RUNNEL-TEST 30 records produced and consumed by a new group in %d ms%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - roundTrip));
            try (Admin admin = Admin.create(cluster.clientProperties())) {
                assertThat(admin.describeTopics(List.of("events")).allTopicNames().get().get("events").partitions())
                        .hasSize(3);
            }
        }
        assertThat(cluster.isClosed()).isTrue();
        assertThat(listens(bootstrap)).as("the broker's port after close").isFalse();
        assertThat(Files.exists(dataDir)).as("the data dir after close").isFalse();
        cluster.close(); // twice is fine
    }

    @Test
    void threeBrokersReplicateAndServeWhileOneIsStopped() throws Exception {
        long start = System.nanoTime();
        try (RunnelCluster cluster = RunnelCluster.builder().brokers(3).start()) {
            System.out.printf("RUNNEL-TEST 3 brokers started in %d ms: %s%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), cluster);
            assertThat(cluster.brokerIds()).containsExactlyInAnyOrder(1, 2, 3);
            assertThat(cluster.bootstrapServers().split(",")).hasSize(3);
            cluster.createTopic("replicated", 2, 3);
            produce(cluster.bootstrapServers(), "replicated", 10);
            // The first group creates __consumer_offsets, replicated on all three brokers.
            assertThat(consume(cluster.bootstrapServers(), "replicated", "g2", 10)).hasSize(10);

            int stoppedPort = portOf(cluster, 2);
            cluster.stopBroker(2);
            assertThat(cluster.bootstrapServers().split(",")).hasSize(2);
            assertThat(consume(cluster.bootstrapServers(), "replicated", "g3", 10)).hasSize(10);

            cluster.startBroker(2);
            assertThat(portOf(cluster, 2)).as("a restarted broker keeps its Kafka port").isEqualTo(stoppedPort);
            assertThat(consume(cluster.bootstrapServers(), "replicated", "g4", 10)).hasSize(10);
            assertThat(cluster.bootstrapServers().split(",")).hasSize(3);
        }
    }

    @Test
    void badSettingsAreRefusedBeforeAnythingStarts() {
        assertThatThrownBy(() -> RunnelCluster.builder().brokers(2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 or 3");
    }

    @Test
    void aNodeReadsItsOwnServicesApplicationYml() {
        assertThat(RunnelNodes.ownApplicationYml(BrokerApplication.class))
                .endsWith("application.yml").contains("broker-service");
    }

    /** The broker's Kafka port (its HTTP port is a new ephemeral one after a restart). */
    private static int portOf(RunnelCluster cluster, int id) {
        return cluster.broker(id).getBean(KafkaServer.class).port();
    }

    private static Path dataDirOf(RunnelCluster cluster) {
        return Path.of(cluster.broker(1).getEnvironment().getRequiredProperty("runnel.broker.log-dirs")).getParent();
    }

    private static boolean listens(String hostPort) {
        String[] parts = hostPort.split(":");
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(parts[0], Integer.parseInt(parts[1])), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static void produce(String bootstrap, String topic, int count) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class))) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, "key-" + i, "value-" + i)).get(30, TimeUnit.SECONDS);
            }
        }
    }

    static List<String> consume(String bootstrap, String topic, String group, int count) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.GROUP_ID_CONFIG, group,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class))) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (values.size() < count && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(record.value());
                }
            }
        }
        return values;
    }
}
