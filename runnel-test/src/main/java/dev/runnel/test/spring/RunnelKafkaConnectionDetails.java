package dev.runnel.test.spring;

import java.util.List;

import org.springframework.boot.kafka.autoconfigure.KafkaConnectionDetails;

/**
 * Spring Boot's connection details for Kafka clients, naming the test's Runnel cluster: Boot's
 * Kafka auto-configuration then connects its producers, consumers, admin and Streams there.
 * Loaded only when {@code spring-boot-kafka} is on the class path.
 */
final class RunnelKafkaConnectionDetails implements KafkaConnectionDetails {

    private final List<String> bootstrapServers;

    RunnelKafkaConnectionDetails(List<String> bootstrapServers) {
        this.bootstrapServers = List.copyOf(bootstrapServers);
    }

    @Override
    public List<String> getBootstrapServers() {
        return bootstrapServers;
    }
}
