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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.common.Uuid;
import org.awaitility.Awaitility;

import dev.runnel.testing.TempLogDirs;

/**
 * A one-node Apache Kafka (KRaft, combined broker and controller) from the jars that
 * {@code kafka-reference/broker} gathers with {@code -Pbench}, as a child JVM on 127.0.0.1: the
 * reference that Runnel's client code must also work against. Never a dependency of anything: it
 * runs from its own directory of jars, under a watchdog of the test JVM ({@link
 * ChildProcesses#watchedMain}). Its broker listener binds port 0 and the port is read from Kafka's
 * log ({@link #listenerPort}); its controller listener needs a port fixed in advance ({@link
 * KafkaControllerPorts}).
 */
final class KafkaReferenceBroker implements AutoCloseable {

    /** Kafka's line, once a listener configured with port 0 has bound: the port clients are told. */
    private static final Pattern RESOLVED_PORT = Pattern.compile("PLAINTEXT: resolved ephemeral port to (\\d+)");
    private static final String STARTED = "Kafka Server started";

    private final Path dir;
    private final NodeProcess node;
    private final int port;

    private KafkaReferenceBroker(Path dir, NodeProcess node, int port) {
        this.dir = dir;
        this.node = node;
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
        Process format = ChildProcesses.start(new ProcessBuilder(java(), "-cp", classpath(), "kafka.tools.StorageTool",
                "format", "-c", props.toString(), "-t", clusterId).redirectErrorStream(true).redirectOutput(log.toFile()));
        if (!format.waitFor(60, TimeUnit.SECONDS) || format.exitValue() != 0) {
            format.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new IllegalStateException("formatting Kafka's storage failed: " + Files.readString(log));
        }
    }

    /** The {@code java} command line of a Kafka node with {@code props}, under a watchdog of this JVM. */
    static List<String> command(List<String> jvmOptions, Path props) {
        List<String> command = new ArrayList<>(List.of(java()));
        command.addAll(jvmOptions);
        command.addAll(ChildProcesses.watchedMain(classpath(), "kafka.Kafka"));
        command.add(props.toString());
        return command;
    }

    /**
     * Starts the node in {@code dir} and returns once it serves. A controller port that turns out to
     * be taken is replaced by another and the start tried again; any other failure stops the node.
     */
    static KafkaReferenceBroker start(Path dir) throws IOException, InterruptedException {
        for (int attempt = 1; ; attempt++) {
            int controllerPort = KafkaControllerPorts.draw(1).get(0);
            Path props = dir.resolve("kafka-server.properties");
            Path data = dir.resolve("kafka-data");
            TempLogDirs.deleteRecursively(data); // a failed attempt's
            Files.writeString(props, String.join("\n", "process.roles=broker,controller", "node.id=1",
                    "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                    "listeners=PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:" + controllerPort,
                    "controller.listener.names=CONTROLLER", "inter.broker.listener.name=PLAINTEXT",
                    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                    "log.dirs=" + data, "offsets.topic.replication.factor=1",
                    "transaction.state.log.replication.factor=1", "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1", "share.coordinator.state.topic.min.isr=1",
                    "group.initial.rebalance.delay.ms=200", "auto.create.topics.enable=false", ""),
                    StandardCharsets.UTF_8);
            format(props, Uuid.randomUuid().toString(), dir.resolve("kafka-format.log"));
            NodeProcess node = NodeProcess.start("kafka", command(List.of("-Xmx512m"), props), dir.resolve("kafka.log"));
            try {
                Awaitility.await("Kafka started").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                        .until(() -> !node.isAlive() || node.logSinceStart().contains(STARTED));
                if (!node.isAlive()) {
                    String log = node.logSinceStart();
                    if (KafkaControllerPorts.bindFailed(log) && attempt < KafkaControllerPorts.ATTEMPTS) {
                        continue;
                    }
                    throw new IllegalStateException("Kafka exited: " + log);
                }
                return new KafkaReferenceBroker(dir, node, listenerPort(node, Duration.ofSeconds(10)));
            } catch (IOException | RuntimeException | Error e) {
                node.close();
                throw e;
            }
        }
    }

    /**
     * The port a Kafka node's {@code PLAINTEXT} listener, configured with port 0, bound: read from
     * the log of its latest start, waiting up to {@code deadline} for the line. A node that exits
     * first fails the wait at once.
     */
    static int listenerPort(NodeProcess node, Duration deadline) {
        AtomicInteger port = new AtomicInteger();
        Awaitility.await(node.name() + " reports its listener's port").atMost(deadline)
                .pollInterval(Duration.ofMillis(200)).until(() -> {
                    Matcher m = RESOLVED_PORT.matcher(node.logSinceStart());
                    if (m.find()) {
                        port.set(Integer.parseInt(m.group(1)));
                        return true;
                    }
                    if (!node.isAlive()) {
                        throw new IllegalStateException(node.name() + " exited before binding its listener\n"
                                + node.logTail());
                    }
                    return false;
                });
        return port.get();
    }

    String bootstrap() {
        return "127.0.0.1:" + port;
    }

    Path dir() {
        return dir;
    }

    /** SIGTERM, then {@code kill -9} if it has not stopped in time. */
    @Override
    public void close() throws InterruptedException {
        NodeProcess.closeAll(List.of(node));
    }
}
