package dev.runnel.testcontainers;

import java.util.List;

import org.springframework.boot.kafka.autoconfigure.KafkaConnectionDetails;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.testcontainers.service.connection.ContainerConnectionDetailsFactory;
import org.springframework.boot.testcontainers.service.connection.ContainerConnectionSource;

/**
 * Spring Boot's {@code @ServiceConnection} for a {@link RunnelContainer}: Kafka connection details
 * with the container's bootstrap servers, as Boot's own factories give them for Kafka containers.
 * Boot's Kafka auto-configuration ({@code spring.kafka.*} clients) and the Runnel starter
 * ({@code LogTemplate}, {@code @LogListener}) both connect there. Registered in
 * {@code META-INF/spring.factories}.
 */
class RunnelContainerConnectionDetailsFactory
        extends ContainerConnectionDetailsFactory<RunnelContainer, KafkaConnectionDetails> {

    @Override
    protected KafkaConnectionDetails getContainerConnectionDetails(ContainerConnectionSource<RunnelContainer> source) {
        return new RunnelContainerConnectionDetails(source);
    }

    /** The container's {@code EXTERNAL} listener; plaintext, the only protocol the image serves. */
    static final class RunnelContainerConnectionDetails extends ContainerConnectionDetails<RunnelContainer>
            implements KafkaConnectionDetails {

        private RunnelContainerConnectionDetails(ContainerConnectionSource<RunnelContainer> source) {
            super(source);
        }

        @Override
        public List<String> getBootstrapServers() {
            return List.of(getContainer().getBootstrapServers());
        }

        @Override
        public SslBundle getSslBundle() {
            return null;
        }

        @Override
        public String getSecurityProtocol() {
            return "PLAINTEXT";
        }
    }
}
