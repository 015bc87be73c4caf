package dev.runnel.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.Reader;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Node;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.testcontainers.service.connection.ServiceConnection;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * {@link ServiceConnectionScenarios} on a machine without Docker: the container is the image's
 * entrypoint run on this host ({@link NativeRunnelContainer}); {@code @Container
 * @ServiceConnection} and everything behind them are Testcontainers' and Spring Boot's own.
 */
@Testcontainers
class NativeServiceConnectionTest extends ServiceConnectionScenarios {

    @Container
    @ServiceConnection
    static final NativeRunnelContainer RUNNEL = (NativeRunnelContainer) new NativeRunnelContainer()
            .withBrokerProperty("runnel.broker.auto-create-topics-enable", "true");

    @Override
    RunnelContainer runnel() {
        return RUNNEL;
    }

    /**
     * The INTERNAL listener (other containers' way in) is a second, working listener that
     * advertises what the start file told it: here 127.0.0.1 and, for port 0, the port it bound.
     */
    @Test
    void theInternalListenerServesAndAdvertisesItself() throws Exception {
        Properties ports = new Properties();
        try (Reader in = Files.newBufferedReader(RUNNEL.dataDir().resolve("broker.ports"))) {
            ports.load(in);
        }
        int internal = Integer.parseInt(ports.getProperty("kafka.INTERNAL"));
        assertThat(internal).isNotEqualTo(RUNNEL.getMappedPort(RunnelContainer.KAFKA_PORT));
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", "127.0.0.1:" + internal))) {
            Collection<Node> nodes = admin.describeCluster().nodes().get(60, TimeUnit.SECONDS);
            assertThat(nodes).singleElement().satisfies(node -> {
                assertThat(node.host()).isEqualTo("127.0.0.1");
                assertThat(node.port()).isEqualTo(internal);
            });
        }
    }

    /** Before Testcontainers' own stop (a no-op then): SIGTERM ends the script and every node it started. */
    @AfterAll
    static void sigtermStopsTheScriptAndEveryNode() throws Exception {
        try {
            RUNNEL.noteTree();
            assertThat(RUNNEL.liveJvms()).as("ZooKeeper, the controller, the broker").hasSize(3);
            long began = System.nanoTime();
            assertThat(RUNNEL.terminate(Duration.ofSeconds(90))).as("the script exits").isTrue();
            System.out.printf("runnel-standalone stopped %.1f s after SIGTERM%n", (System.nanoTime() - began) / 1e9);
            assertThat(RUNNEL.process().exitValue()).as("the script's status after SIGTERM").isEqualTo(143);
            assertThat(RUNNEL.output()).contains("stopping broker", "stopping controller", "stopping zookeeper")
                    .doesNotContain("killing");
            await("every process of the script is gone").atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(RUNNEL.survivors()).isEmpty());
        } finally {
            RUNNEL.stop();
        }
    }
}
