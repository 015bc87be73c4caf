package dev.runnel.test;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.kafka.autoconfigure.KafkaConnectionDetails;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.KafkaTemplate;

/**
 * {@code @SpringBootTest @EmbeddedRunnel} with Spring Boot's own Kafka auto-configuration: the
 * cluster is a bean, the properties and {@link KafkaConnectionDetails} name it, and Boot's {@link
 * KafkaTemplate} sends to it.
 */
@SpringBootTest(classes = EmbeddedRunnelSpringTest.App.class)
@EmbeddedRunnel(topics = "greetings", partitions = 2)
class EmbeddedRunnelSpringTest {

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class App {
    }

    @Autowired
    RunnelCluster cluster;

    @Autowired
    KafkaConnectionDetails connectionDetails;

    @Autowired
    KafkaTemplate<String, String> template;

    @Value("${spring.kafka.bootstrap-servers}")
    String springKafka;

    @Value("${runnel.client.bootstrap-servers}")
    String runnelClient;

    @Test
    void theContextNamesTheClusterEverywhere(RunnelCluster parameter) {
        assertThat(parameter).isSameAs(cluster);
        assertThat(springKafka).isEqualTo(cluster.bootstrapServers());
        assertThat(runnelClient).isEqualTo(cluster.bootstrapServers());
        assertThat(connectionDetails.getBootstrapServers()).isEqualTo(List.of(cluster.bootstrapServers().split(",")));
        assertThat(connectionDetails.getProducer().getBootstrapServers())
                .isEqualTo(connectionDetails.getBootstrapServers());
    }

    @Test
    void bootsKafkaTemplateSendsToTheCluster() throws Exception {
        template.send("greetings", "k", "hello").get(30, TimeUnit.SECONDS);
        assertThat(RunnelClusterTest.consume(cluster.bootstrapServers(), "greetings", "readers", 1))
                .containsExactly("hello");
    }
}
