package dev.runnel.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.service.connection.ConnectionDetailsFactory;
import org.springframework.core.io.support.SpringFactoriesLoader;
import org.testcontainers.utility.DockerImageName;

/** What a RunnelContainer asks of Docker and passes to the entrypoint, checked without Docker. */
class RunnelContainerTest {

    @Test
    void theDefaultImageIsRunnelTaggedWithTheProjectVersion() throws Exception {
        Matcher version = Pattern.compile("<version>([^<]+)</version>").matcher(Files.readString(Path.of("pom.xml")));
        assertThat(version.find()).isTrue();
        assertThat(RunnelContainer.defaultImageName().asCanonicalNameString())
                .isEqualTo("runnel/runnel:" + version.group(1));
        try (RunnelContainer runnel = new RunnelContainer()) {
            assertThat(runnel.getExposedPorts()).containsExactly(RunnelContainer.KAFKA_PORT);
            assertThat(runnel.getEnvMap()).containsEntry("RUNNEL_START_FILE", RunnelContainer.START_FILE);
        }
    }

    @Test
    void anotherImageNameMustBeDeclaredCompatible() {
        assertThatThrownBy(() -> new RunnelContainer("apache/kafka:4.1.0")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("runnel/runnel");
        DockerImageName mirrored = DockerImageName.parse("registry.example/runnel:ci").asCompatibleSubstituteFor("runnel/runnel");
        try (RunnelContainer runnel = new RunnelContainer(mirrored)) {
            assertThat(runnel.getExposedPorts()).containsExactly(RunnelContainer.KAFKA_PORT);
        }
    }

    @Test
    void brokerPropertiesBecomeAPropertiesFileAndTheEntrypointsOwnSettingsAreRefused() throws Exception {
        try (RunnelContainer runnel = new RunnelContainer()) {
            assertThat(runnel.brokerConfig()).as("none: no file").isNull();
            runnel.withBrokerProperty("runnel.broker.auto-create-topics-enable", "true")
                    .withBrokerProperty("logging.level.dev.runnel", "DEBUG")
                    .withBrokerProperty("runnel.broker.some-list", "a=b, c:d\\e");
            Properties read = new Properties();
            read.load(new StringReader(runnel.brokerConfig()));
            assertThat(read).hasSize(3).containsEntry("runnel.broker.auto-create-topics-enable", "true")
                    .containsEntry("logging.level.dev.runnel", "DEBUG")
                    .containsEntry("runnel.broker.some-list", "a=b, c:d\\e");
            assertThatThrownBy(() -> runnel.withBrokerProperty("runnel.broker.listeners", "PLAINTEXT://:1"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("entrypoint");
            assertThatThrownBy(() -> runnel.withBrokerProperty(" ", "x")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> runnel.withBrokerProperty("a", null)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void theStartFileIsShellAssignmentsEndingInItsCompletionLine() {
        String file = RunnelContainer.startFile("localhost:32768", "runnel:19092", RunnelContainer.BROKER_CONFIG);
        assertThat(file.lines()).contains("RUNNEL_KAFKA_ADVERTISED='localhost:32768'",
                "RUNNEL_INTERNAL_ADVERTISED='runnel:19092'", "RUNNEL_BROKER_CONFIG='/tmp/runnel-broker.properties'");
        assertThat(file.lines().reduce((a, b) -> b)).contains(RunnelContainer.START_FILE_END);
        assertThat(RunnelContainer.startFile("h:1", "i:2", null)).doesNotContain("RUNNEL_BROKER_CONFIG");
        assertThatThrownBy(() -> RunnelContainer.startFile("h'; rm -rf /; ':1", "i:2", null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theServiceConnectionFactoryIsRegisteredWhereSpringBootLooksForIt() {
        assertThat(SpringFactoriesLoader.forDefaultResourceLocation().load(ConnectionDetailsFactory.class))
                .hasAtLeastOneElementOfType(RunnelContainerConnectionDetailsFactory.class);
    }
}
