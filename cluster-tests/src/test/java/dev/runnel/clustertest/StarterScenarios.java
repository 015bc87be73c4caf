package dev.runnel.clustertest;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * What the starter's scenario classes ({@link LogListenerScenarios}, {@link
 * StarterSpringKafkaScenarios}) share: a one-broker cluster that a subclass starts (Runnel or
 * Apache Kafka), an admin client on it, applications on the starter with quick retries, and topics
 * created and led before use.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class StarterScenarios {

    static final Duration DEADLINE = Duration.ofSeconds(60);

    String bootstrap;
    Admin admin;

    /** Starts a one-broker cluster; its bootstrap address. */
    abstract String startCluster() throws Exception;

    abstract void stopCluster() throws Exception;

    @BeforeAll
    void start() throws Exception {
        bootstrap = startCluster();
        admin = KafkaClients.admin(bootstrap);
    }

    @AfterAll
    void stop() throws Exception {
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
        stopCluster();
    }

    /** An application of {@code config} with the starter, on the test cluster, with quick retries. */
    ConfigurableApplicationContext app(Class<?> config, String... properties) {
        List<String> all = new ArrayList<>(List.of("runnel.client.bootstrap-servers=" + bootstrap,
                "runnel.client.consumer.auto-offset-reset=earliest", "runnel.client.consumer.session-timeout=6s",
                "runnel.client.consumer.heartbeat-interval=1s", "runnel.client.listener.poll-timeout=200ms",
                "runnel.client.listener.retry.initial-interval=50ms", "runnel.client.listener.retry.max-interval=100ms",
                "runnel.client.producer.linger=1ms", "spring.cloud.zookeeper.enabled=false",
                "spring.cloud.zookeeper.config.enabled=false"));
        all.addAll(List.of(properties));
        return new SpringApplicationBuilder(config).web(WebApplicationType.NONE).properties(all.toArray(String[]::new))
                .run();
    }

    void createTopic(String topic, int partitions) throws Exception {
        admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
        await(topic + " has leaders").atMost(DEADLINE).ignoreExceptions().until(() -> admin.describeTopics(List.of(topic))
                .allTopicNames().get(10, TimeUnit.SECONDS).get(topic).partitions().stream().allMatch(p -> p.leader() != null));
    }
}
