package dev.runnel.clustertest;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;

/**
 * A one-node Apache Kafka (KRaft, combined broker and controller) from the jars that
 * {@code kafka-reference/broker} gathers with {@code -Pbench}, as a child JVM on 127.0.0.1 and
 * ephemeral ports: the reference that Runnel's client code must also work against. Never a
 * dependency of anything: it runs from its own directory of jars.
 */
final class KafkaReferenceBroker implements AutoCloseable {

    private final Path dir;
    private final Process process;
    private final int port;

    private KafkaReferenceBroker(Path dir, Process process, int port) {
        this.dir = dir;
        this.process = process;
        this.port = port;
    }

    /** The jars, or an explanation of how to get them. */
    static Path jars() {
        Path jars = Path.of("..", "kafka-reference", "broker", "target", "kafka-broker").toAbsolutePath().normalize();
        if (!Files.isDirectory(jars)) {
            throw new IllegalStateException("Apache Kafka's broker is not in " + jars
                    + "; gather it with ./mvnw -Pbench -pl kafka-reference/broker package");
        }
        return jars;
    }

    /** The classpath of a Kafka JVM: the jars, and their directory for {@code log4j2.properties}. */
    static String classpath() {
        Path jars = jars();
        return jars + File.separator + "*" + File.pathSeparator + jars;
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Formats the storage of the node that {@code props} describes for cluster {@code clusterId}. */
    static void format(Path props, String clusterId, Path log) throws IOException, InterruptedException {
        Process format = new ProcessBuilder(java(), "-cp", classpath(), "kafka.tools.StorageTool", "format", "-c",
                props.toString(), "-t", clusterId).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!format.waitFor(60, TimeUnit.SECONDS) || format.exitValue() != 0) {
            format.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new IllegalStateException("formatting Kafka's storage failed: " + Files.readString(log));
        }
    }

    static KafkaReferenceBroker start(Path dir) throws IOException, InterruptedException {
        int port = InJvmCluster.freePort();
        int controllerPort = InJvmCluster.freePort();
        Path props = dir.resolve("kafka-server.properties");
        Files.writeString(props, String.join("\n", "process.roles=broker,controller", "node.id=1",
                "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + port, "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                "log.dirs=" + dir.resolve("kafka-data"), "offsets.topic.replication.factor=1",
                "transaction.state.log.replication.factor=1", "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1", "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=200", "auto.create.topics.enable=false", ""), StandardCharsets.UTF_8);
        format(props, org.apache.kafka.common.Uuid.randomUuid().toString(), dir.resolve("kafka-format.log"));
        Path log = dir.resolve("kafka.log");
        List<String> command = new ArrayList<>(List.of(java(), "-Xmx512m", "-cp", classpath(), "kafka.Kafka",
                props.toString()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        KafkaReferenceBroker broker = new KafkaReferenceBroker(dir, process, port);
        Awaitility.await("Kafka started").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> !process.isAlive() || Files.readString(log).contains("Kafka Server started"));
        if (!process.isAlive()) {
            throw new IllegalStateException("Kafka exited: " + Files.readString(log));
        }
        return broker;
    }

    String bootstrap() {
        return "127.0.0.1:" + port;
    }

    Path dir() {
        return dir;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
