package dev.runnel.client.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.kafka.autoconfigure.KafkaConnectionDetails;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.core.ProducerFactory;

/** Where the client connects when the application has Spring Boot's Kafka connection details. */
class KafkaConnectionDetailsBinderTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(RunnelClientAutoConfiguration.class,
                    LogListenerAutoConfiguration.class, KafkaAutoConfiguration.class))
            .withPropertyValues("runnel.client.bootstrap-servers=configured:9092");

    /** What a service connection (@ServiceConnection, Docker Compose) registers. */
    private static KafkaConnectionDetails serviceConnection(String... servers) {
        return () -> List.of(servers);
    }

    @Test
    void aServiceConnectionWinsOverTheConfiguredBootstrapServersForEveryClient() {
        runner.withBean(KafkaConnectionDetails.class, () -> serviceConnection("container:32768"))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(RunnelClientProperties.class).getBootstrapServers())
                            .containsExactly("container:32768");
                    assertThat(context.getBean(ProducerFactory.class).getConfigurationProperties())
                            .containsEntry("bootstrap.servers", "container:32768");
                    assertThat(context.getBean(ConsumerFactory.class).getConfigurationProperties())
                            .containsEntry("bootstrap.servers", "container:32768");
                    assertThat(context.getBean(KafkaAdmin.class).getConfigurationProperties())
                            .containsEntry("bootstrap.servers", "container:32768");
                });
    }

    @Test
    void bootsDetailsFromSpringKafkaPropertiesLeaveTheRunnelPropertiesInCharge() {
        runner.withPropertyValues("spring.kafka.bootstrap-servers=spring:9092").run(context -> {
            KafkaConnectionDetails boots = context.getBean(KafkaConnectionDetails.class);
            assertThat(boots.getClass().getName()).as("the class the binder leaves alone")
                    .isEqualTo(KafkaConnectionDetailsBinder.PROPERTIES_DETAILS);
            assertThat(boots.getBootstrapServers()).containsExactly("spring:9092");
            assertThat(context.getBean(RunnelClientProperties.class).getBootstrapServers())
                    .containsExactly("configured:9092");
            assertThat(context.getBean(ProducerFactory.class).getConfigurationProperties())
                    .containsEntry("bootstrap.servers", "configured:9092");
        });
    }

    @Test
    void withoutSpringBootsKafkaSupportTheStarterReadsOnlyItsProperties() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(RunnelClientAutoConfiguration.class))
                .withClassLoader(new FilteredClassLoader(KafkaConnectionDetails.class))
                .withPropertyValues("runnel.client.bootstrap-servers=configured:9092")
                .run(context -> {
                    assertThat(context).hasNotFailed().doesNotHaveBean(KafkaConnectionDetailsBinder.class);
                    assertThat(context.getBean(ProducerFactory.class).getConfigurationProperties())
                            .containsEntry("bootstrap.servers", "configured:9092");
                });
    }
}
