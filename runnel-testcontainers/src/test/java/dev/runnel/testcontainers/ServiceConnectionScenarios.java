package dev.runnel.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.kafka.autoconfigure.KafkaConnectionDetails;
import org.springframework.boot.test.context.SpringBootTest;

import dev.runnel.client.autoconfigure.RunnelClientProperties;
import dev.runnel.client.core.LogTemplate;
import dev.runnel.client.core.SendResult;

/**
 * What {@code @ServiceConnection} on a {@link RunnelContainer} gives a Spring Boot application of
 * the Runnel starter, run against a Docker container ({@link RunnelContainerServiceConnectionTest})
 * and against the same entrypoint on this host ({@link NativeServiceConnectionTest}). The
 * application's own {@code runnel.client.bootstrap-servers} points nowhere (port 1), and {@code
 * fail-fast} makes a cluster that does not answer stop the context: only the service connection
 * can make these pass.
 */
@SpringBootTest(classes = ServiceConnectionApplication.class, properties = {
        "runnel.client.bootstrap-servers=127.0.0.1:1", "runnel.client.fail-fast=true",
        "runnel.client.fail-fast-timeout=60s", "runnel.client.consumer.auto-offset-reset=earliest"})
abstract class ServiceConnectionScenarios {

    @Autowired
    KafkaConnectionDetails connectionDetails;

    @Autowired
    RunnelClientProperties clientProperties;

    @Autowired
    LogTemplate logTemplate;

    @Autowired
    ServiceConnectionApplication.Received received;

    abstract RunnelContainer runnel();

    @Test
    void bootHasTheContainersKafkaConnectionDetailsAndTheStarterUsesThem() {
        assertThat(connectionDetails)
                .isInstanceOf(RunnelContainerConnectionDetailsFactory.RunnelContainerConnectionDetails.class);
        assertThat(connectionDetails.getBootstrapServers()).containsExactly(runnel().getBootstrapServers());
        assertThat(connectionDetails.getSecurityProtocol()).isEqualTo("PLAINTEXT");
        assertThat(clientProperties.getBootstrapServers()).containsExactly(runnel().getBootstrapServers());
    }

    @Test
    void theStartersTemplateSendsAndItsListenerReceives() throws Exception {
        SendResult sent = logTemplate.send(ServiceConnectionApplication.TOPIC, "order-1", "order one")
                .get(60, TimeUnit.SECONDS);
        assertThat(sent.topic()).isEqualTo(ServiceConnectionApplication.TOPIC);
        assertThat(received.payloads.poll(60, TimeUnit.SECONDS)).isEqualTo("order one");
    }

    /** The container's broker property turns auto-creation on, which Runnel's broker has off by default. */
    @Test
    void kafkaClientsProduceAndConsumeATopicTheBrokerCreatesOnFirstUse() throws Exception {
        String topic = "service-connection-auto-created";
        String bootstrap = runnel().getBootstrapServers();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap,
                "max.block.ms", 60_000), new StringSerializer(), new StringSerializer())) {
            RecordMetadata written = producer.send(new ProducerRecord<>(topic, "k", "v")).get(60, TimeUnit.SECONDS);
            assertThat(written.offset()).isZero();
        }
        TopicPartition partition = new TopicPartition(topic, 0);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            List<ConsumerRecord<String, String>> records = new ArrayList<>();
            await("the record comes back").atMost(Duration.ofSeconds(60))
                    .until(() -> {
                        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                        return !records.isEmpty();
                    });
            assertThat(records.get(0).key()).isEqualTo("k");
            assertThat(records.get(0).value()).isEqualTo("v");
        }
    }
}
