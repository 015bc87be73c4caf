package dev.runnel.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.ComposeContainer;
import org.testcontainers.containers.ContainerState;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * {@code docker-compose.yml} brought up for real (images built from the packaged jars): records
 * produced to a replicated topic before and after a broker container is killed are all consumed.
 * Runs only where a Docker engine is reachable; elsewhere it is skipped (Testcontainers'
 * {@code disabledWithoutDocker}). It uses the host's fixed ports, like the compose file itself, so
 * nothing else (such as {@code bin/quickstart}) may hold them.
 */
@Testcontainers(disabledWithoutDocker = true)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ComposeStackTest {

    private static final String BOOTSTRAP = "127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094";
    private static final Path ROOT = Path.of("..");

    private ComposeContainer compose;

    @BeforeAll
    void up() {
        for (String jar : List.of("broker-service", "controller-service", "gateway")) {
            Assumptions.assumeTrue(Files.exists(ROOT.resolve(jar + "/target/" + jar + "-0.1.0-SNAPSHOT-exec.jar")),
                    "the images are built from the packaged jars (./mvnw -DskipTests package)");
        }
        compose = new ComposeContainer(new File(ROOT.toFile(), "docker-compose.yml"))
                .withEnv(Map.of("RUNNEL_CLUSTER_SECRET", UUID.randomUUID().toString(), "RUNNEL_GATEWAY_PASSWORD", "compose-test",
                        "RUNNEL_ZOOKEEPER_PASSWORD", UUID.randomUUID().toString()))
                .withBuild(true).withRemoveVolumes(true).withStartupTimeout(Duration.ofMinutes(5));
        compose.start();
        HttpClient http = HttpClient.newHttpClient();
        await("the gateway is ready").atMost(Duration.ofMinutes(5)).ignoreExceptions().until(() -> http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:8080/actuator/health/readiness")).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
    }

    @AfterAll
    void down() {
        if (compose != null) {
            compose.stop();
        }
    }

    @Test
    void everyAcknowledgedRecordIsConsumedAfterABrokerContainerIsKilled() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", BOOTSTRAP));
                KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers", BOOTSTRAP,
                        "acks", "all"), new StringSerializer(), new StringSerializer())) {
            admin.createTopics(List.of(new NewTopic("compose-orders", 3, (short) 3))).all().get(60, TimeUnit.SECONDS);
            for (int i = 0; i < 100; i++) {
                producer.send(new ProducerRecord<>("compose-orders", "k" + i, "before-" + i)).get(60, TimeUnit.SECONDS);
            }
            ContainerState broker2 = compose.getContainerByServiceName("broker-2").orElseThrow();
            DockerClientFactory.instance().client().killContainerCmd(broker2.getContainerId()).exec();
            for (int i = 0; i < 100; i++) {
                producer.send(new ProducerRecord<>("compose-orders", "k" + i, "after-" + i)).get(120, TimeUnit.SECONDS);
            }
        }
        Set<String> seen = new HashSet<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", BOOTSTRAP,
                "group.id", "compose-check", "auto.offset.reset", "earliest"), new StringDeserializer(),
                new StringDeserializer())) {
            consumer.subscribe(List.of("compose-orders"));
            await("all 200 records").atMost(Duration.ofMinutes(2)).until(() -> {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    seen.add(r.value());
                }
                return seen.size() >= 200;
            });
        }
        assertThat(seen).hasSize(200).contains("before-0", "after-99");
        String credentials = java.util.Base64.getEncoder().encodeToString("admin:compose-test".getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> topic = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:8080/topics/compose-orders")).header("Authorization", "Basic " + credentials)
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(topic.statusCode()).isEqualTo(200);
        HttpResponse<String> brokers = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:8080/api/v1/brokers")).header("Authorization", "Basic " + credentials)
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(brokers.statusCode()).as("relayed to a controller with the cluster secret: %s", brokers.body())
                .isEqualTo(200);
    }
}
