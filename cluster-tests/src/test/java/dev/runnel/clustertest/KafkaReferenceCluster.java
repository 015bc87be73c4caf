package dev.runnel.clustertest;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Uuid;
import org.awaitility.core.ConditionTimeoutException;

import dev.runnel.testing.TempLogDirs;

/**
 * Apache Kafka in KRaft mode for {@link ScaleScenario}: three controller-only nodes (ids 101-103,
 * a static quorum) and three broker-only nodes (ids 1-3), each a child JVM from the jars of
 * {@link KafkaReferenceBroker#jars()} under a watchdog of the test JVM, on 127.0.0.1. The brokers
 * bind port 0 and their ports are read from their logs, anew after each restart; the controllers'
 * ports are fixed in advance, as a static quorum needs ({@link KafkaControllerPorts}). Kafka's
 * defaults, except the replication factor 3 of its internal topics and no auto-created topics.
 * Closing it stops every node and keeps their logs under {@code target/scale-logs/<label>}; a start
 * that fails stops what it had started.
 */
final class KafkaReferenceCluster implements ScaleSystem {

    private static final List<Integer> CONTROLLERS = List.of(101, 102, 103);
    private static final List<Integer> BROKERS = List.of(1, 2, 3);
    private static final String STARTED = "Kafka Server started";

    private final String label;
    private final List<String> controllerJvm;
    private final List<String> brokerJvm;
    /** The controllers' listener ports, which every node's configuration names. */
    private final Map<Integer, Integer> controllerPorts = new TreeMap<>();
    /** The brokers' ports as read from their latest process's log; dropped at a restart. */
    private final Map<Integer, Integer> brokerPorts = new ConcurrentHashMap<>();
    private final Map<String, NodeProcess> nodes = new LinkedHashMap<>();
    private Path dir;

    KafkaReferenceCluster(String label, List<String> controllerJvm, List<String> brokerJvm) {
        this.label = label;
        this.controllerJvm = List.copyOf(controllerJvm);
        this.brokerJvm = List.copyOf(brokerJvm);
    }

    @Override
    public String name() {
        return "Kafka 4.4";
    }

    @Override
    public String layout() {
        return "3 KRaft controllers " + controllerJvm + ", 3 brokers " + brokerJvm + " (Kafka's defaults:"
                + " broker.session.timeout.ms 9000, controller.quorum.election.timeout.ms 1000)";
    }

    /**
     * Starts the controllers, then the brokers, and waits until every broker knows all brokers. A
     * controller port that turns out to be taken makes it start again on new ports; any other
     * failure stops every node before it is rethrown.
     */
    @Override
    public void start(Duration deadline) throws Exception {
        KafkaReferenceBroker.jars(); // fails with how to gather them
        dir = TempLogDirs.create("kafka-scale-");
        try {
            for (int attempt = 1; !startOnce(deadline, attempt); attempt++) {
                NodeProcess.closeAll(nodes.values());
                nodes.clear();
            }
        } catch (Exception | Error e) {
            try {
                NodeProcess.closeAll(nodes.values());
            } catch (InterruptedException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** One start on newly drawn controller ports; false when one of them was taken (and attempts remain). */
    private boolean startOnce(Duration deadline, int attempt) throws Exception {
        List<Integer> drawn = KafkaControllerPorts.draw(CONTROLLERS.size());
        for (int i = 0; i < CONTROLLERS.size(); i++) {
            controllerPorts.put(CONTROLLERS.get(i), drawn.get(i));
        }
        String clusterId = Uuid.randomUuid().toString();
        for (int id : allNodes()) {
            TempLogDirs.deleteRecursively(dataDir(id)); // an earlier attempt's
            Files.writeString(properties(id), String.join("\n", config(id)) + "\n", StandardCharsets.UTF_8);
            KafkaReferenceBroker.format(properties(id), clusterId, dir.resolve(nodeName(id) + "-format.log"));
        }
        for (int id : allNodes()) {
            startNode(id);
        }
        try {
            for (int id : allNodes()) {
                awaitStarted(id, deadline);
            }
        } catch (IllegalStateException | ConditionTimeoutException e) {
            boolean portTaken = false;
            for (int id : CONTROLLERS) {
                portTaken |= KafkaControllerPorts.bindFailed(nodes.get(nodeName(id)).logSinceStart());
            }
            if (portTaken && attempt < KafkaControllerPorts.ATTEMPTS) {
                return false;
            }
            throw e;
        }
        await("every broker knows all brokers").atMost(deadline).pollInterval(Duration.ofMillis(250))
                .ignoreExceptions().until(() -> {
                    for (int id : BROKERS) {
                        try (Admin admin = KafkaClients.admin("127.0.0.1:" + kafkaPort(id))) {
                            if (admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).size() != BROKERS.size()) {
                                return false;
                            }
                        }
                    }
                    return true;
                });
        return true;
    }

    private static List<Integer> allNodes() {
        List<Integer> all = new ArrayList<>(CONTROLLERS);
        all.addAll(BROKERS);
        return all;
    }

    private Path dataDir(int id) {
        return dir.resolve(nodeName(id) + "-data");
    }

    private List<String> config(int id) {
        String voters = CONTROLLERS.stream().map(c -> c + "@127.0.0.1:" + controllerPorts.get(c))
                .collect(Collectors.joining(","));
        List<String> config = new ArrayList<>(List.of("node.id=" + id, "controller.quorum.voters=" + voters,
                "controller.listener.names=CONTROLLER", "log.dirs=" + dataDir(id)));
        if (CONTROLLERS.contains(id)) {
            config.addAll(List.of("process.roles=controller",
                    "listeners=CONTROLLER://127.0.0.1:" + controllerPorts.get(id),
                    "listener.security.protocol.map=CONTROLLER:PLAINTEXT"));
        } else {
            // Port 0, and no advertised.listeners: Kafka then advertises the port it bound.
            config.addAll(List.of("process.roles=broker", "listeners=PLAINTEXT://127.0.0.1:0",
                    "inter.broker.listener.name=PLAINTEXT",
                    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
                    "offsets.topic.replication.factor=3", "transaction.state.log.replication.factor=3",
                    "group.initial.rebalance.delay.ms=200", "auto.create.topics.enable=false"));
        }
        return config;
    }

    private Path properties(int id) {
        return dir.resolve(nodeName(id) + ".properties");
    }

    private static String nodeName(int id) {
        return (CONTROLLERS.contains(id) ? "controller-" : "broker-") + id;
    }

    private void startNode(int id) throws IOException {
        List<String> command = KafkaReferenceBroker.command(CONTROLLERS.contains(id) ? controllerJvm : brokerJvm,
                properties(id));
        brokerPorts.remove(id);
        nodes.put(nodeName(id), NodeProcess.start(nodeName(id), command, dir.resolve(nodeName(id) + ".log")));
    }

    private void awaitStarted(int id, Duration deadline) {
        NodeProcess node = nodes.get(nodeName(id));
        await(nodeName(id) + " started").atMost(deadline).pollInterval(Duration.ofMillis(250)).until(() -> {
            if (!node.isAlive()) {
                throw new IllegalStateException(node.name() + " exited:\n" + node.logTail());
            }
            return node.logSinceStart().contains(STARTED);
        });
    }

    @Override
    public List<Integer> brokerIds() {
        return BROKERS;
    }

    /** The port broker {@code brokerId}'s latest process bound, waiting for it to bind. */
    @Override
    public int kafkaPort(int brokerId) {
        Integer port = brokerPorts.get(brokerId);
        if (port == null) {
            port = KafkaReferenceBroker.listenerPort(nodes.get(nodeName(brokerId)), NodeProcess.READY_DEADLINE);
            brokerPorts.put(brokerId, port);
        }
        return port;
    }

    /** The quorum leader, as the brokers know it (DescribeQuorum, forwarded to the controllers). */
    @Override
    public int activeController() throws Exception {
        try (Admin admin = KafkaClients.admin(bootstrap())) {
            return admin.describeMetadataQuorum().quorumInfo().get(30, TimeUnit.SECONDS).leaderId();
        }
    }

    @Override
    public void killController(int id) throws Exception {
        nodes.get(nodeName(id)).kill();
    }

    @Override
    public void restartController(int id, Duration deadline) throws Exception {
        startNode(id);
        awaitStarted(id, deadline);
    }

    @Override
    public void killBroker(int id) throws Exception {
        nodes.get(nodeName(id)).kill();
    }

    @Override
    public void restartBroker(int id) throws Exception {
        startNode(id);
    }

    @Override
    public Map<String, Long> pids() {
        Map<String, Long> pids = new LinkedHashMap<>();
        nodes.forEach((name, node) -> {
            if (node.isAlive()) {
                pids.put(name, node.pid());
            }
        });
        return pids;
    }

    @Override
    public String logTails() {
        return nodes.values().stream().map(NodeProcess::logTail).collect(Collectors.joining("\n\n"));
    }

    /** Stops the brokers, then the controllers (a broker's controlled shutdown needs them), then deletes the data. */
    @Override
    public void close() throws Exception {
        try {
            NodeProcess.closeAll(nodes.values().stream().filter(n -> n.name().startsWith("broker-")).toList());
        } finally {
            try {
                NodeProcess.closeAll(nodes.values());
            } finally {
                if (dir != null) {
                    try {
                        RunnelScaleSystem.keepLogs(dir, label);
                    } finally {
                        TempLogDirs.deleteRecursively(dir);
                    }
                }
            }
        }
    }
}
