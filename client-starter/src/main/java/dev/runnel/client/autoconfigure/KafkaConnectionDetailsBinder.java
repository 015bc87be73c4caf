package dev.runnel.client.autoconfigure;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.kafka.autoconfigure.KafkaConnectionDetails;

/**
 * Points the client at a service connection: when the application has Spring Boot's
 * {@link KafkaConnectionDetails} from a service connection ({@code @ServiceConnection} on a
 * Testcontainers container, Docker Compose), its bootstrap servers replace
 * {@code runnel.client.bootstrap-servers} once those are bound, so the producer, the listeners'
 * consumers, the admin clients and the health check all connect there: as Spring Boot's own Kafka
 * auto-configuration lets connection details win over {@code spring.kafka.bootstrap-servers}.
 *
 * <p>Boot's Kafka auto-configuration also defines connection details when there is no service
 * connection, made from {@code spring.kafka.*}; those are left alone, so {@code runnel.client.*}
 * keeps ruling then. They are told by their class, which Boot keeps package-private
 * ({@link #PROPERTIES_DETAILS}); a test pins the name. Only the bootstrap servers are taken:
 * security settings stay {@code runnel.client.properties.*}.
 */
final class KafkaConnectionDetailsBinder implements BeanPostProcessor {

    /** Boot's connection details made from {@code spring.kafka.*}, not from a service connection. */
    static final String PROPERTIES_DETAILS = "org.springframework.boot.kafka.autoconfigure.PropertiesKafkaConnectionDetails";

    private final ObjectProvider<KafkaConnectionDetails> details;

    KafkaConnectionDetailsBinder(ObjectProvider<KafkaConnectionDetails> details) {
        this.details = details;
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        if (bean instanceof RunnelClientProperties properties) {
            KafkaConnectionDetails connection = details.getIfUnique();
            if (connection != null && !connection.getClass().getName().equals(PROPERTIES_DETAILS)) {
                properties.setBootstrapServers(connection.getBootstrapServers());
            }
        }
        return bean;
    }
}
