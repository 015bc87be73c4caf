package dev.runnel.clustertest;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Runnel for {@link ScaleScenario}: two controllers and three brokers as processes from the built
 * jars ({@link ProcessCluster}), ZooKeeper in the test JVM. Closing it keeps the nodes' logs under
 * {@code target/scale-logs/<label>}.
 */
final class RunnelScaleSystem implements ScaleSystem {

    private static final List<Integer> CONTROLLERS = List.of(1, 2);
    private static final List<Integer> BROKERS = List.of(1, 2, 3);

    private final String label;
    private final List<String> controllerJvm;
    private final List<String> brokerJvm;
    private ProcessCluster cluster;

    /**
     * @param controllerJvm JVM options of the controllers, after {@link NodeProcess}'s defaults (a later option wins)
     * @param brokerJvm     likewise for the brokers
     */
    RunnelScaleSystem(String label, List<String> controllerJvm, List<String> brokerJvm) {
        this.label = label;
        this.controllerJvm = List.copyOf(controllerJvm);
        this.brokerJvm = List.copyOf(brokerJvm);
    }

    @Override
    public String name() {
        return "Runnel";
    }

    @Override
    public String layout() {
        return "2 controllers " + controllerJvm + ", 3 brokers " + brokerJvm + " (after the test default -Xmx256m"
                + " -XX:TieredStopAtLevel=1), ZooKeeper in the test JVM; the services' own ZooKeeper session timeout (9 s)";
    }

    @Override
    public void start(Duration deadline) throws Exception {
        // As users run it: 9 s sessions, as Kafka's broker.session.timeout.ms (not the tests' 6 s).
        cluster = new ProcessCluster(label).withDefaultSessionTimeout();
        cluster.startController(1, controllerJvm);
        await("controller 1 active").atMost(deadline).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .until(() -> "ACTIVE".equals(status(1).role()));
        for (int id : CONTROLLERS.subList(1, CONTROLLERS.size())) {
            cluster.startController(id, controllerJvm);
        }
        for (int id : BROKERS) {
            cluster.startBroker(id, brokerJvm);
        }
        cluster.awaitBrokersReady(BROKERS.size(), deadline);
    }

    private ClusterProcessTest.ControllerStatus status(int id) throws IOException {
        return cluster.get(cluster.controllerUrl(id) + "/api/v1/controller", ClusterProcessTest.ControllerStatus.class);
    }

    @Override
    public List<Integer> brokerIds() {
        return BROKERS;
    }

    @Override
    public int kafkaPort(int brokerId) {
        return cluster.kafkaPort(brokerId);
    }

    @Override
    public int activeController() throws IOException {
        for (int id : CONTROLLERS) {
            NodeProcess node = cluster.node("controller-" + id);
            if (node != null && node.isAlive() && "ACTIVE".equals(status(id).role())) {
                return id;
            }
        }
        throw new IllegalStateException("no controller is ACTIVE");
    }

    @Override
    public void killController(int id) throws Exception {
        cluster.node("controller-" + id).kill();
    }

    @Override
    public void restartController(int id, Duration deadline) throws Exception {
        cluster.startController(id, controllerJvm);
        await("controller " + id + " answers again").atMost(deadline).pollInterval(Duration.ofMillis(250))
                .ignoreExceptions().until(() -> status(id).role() != null);
    }

    @Override
    public void killBroker(int id) throws Exception {
        cluster.node("broker-" + id).kill();
    }

    @Override
    public void restartBroker(int id) throws Exception {
        cluster.startBroker(id, brokerJvm);
    }

    @Override
    public Map<String, Long> pids() {
        Map<String, Long> pids = new LinkedHashMap<>();
        for (int id : CONTROLLERS) {
            putIfAlive(pids, "controller-" + id);
        }
        for (int id : BROKERS) {
            putIfAlive(pids, "broker-" + id);
        }
        return pids;
    }

    private void putIfAlive(Map<String, Long> pids, String name) {
        NodeProcess node = cluster == null ? null : cluster.node(name);
        if (node != null && node.isAlive()) {
            pids.put(name, node.pid());
        }
    }

    @Override
    public String logTails() {
        return cluster == null ? "" : cluster.logTails();
    }

    /**
     * Stops the brokers together, then the controllers (one by one, each waited for, would take
     * minutes with thousands of partitions to move), keeps the logs, then stops ZooKeeper.
     */
    @Override
    public void close() throws Exception {
        if (cluster == null) {
            return;
        }
        try {
            NodeProcess.closeAll(nodes("broker-", BROKERS));
            NodeProcess.closeAll(nodes("controller-", CONTROLLERS));
            keepLogs(cluster.dir(), label);
        } finally {
            cluster.close();
        }
    }

    private List<NodeProcess> nodes(String prefix, List<Integer> ids) {
        return ids.stream().map(id -> cluster.node(prefix + id)).filter(Objects::nonNull).toList();
    }

    /** Copies the {@code *.log} files of {@code dir} to {@code target/scale-logs/<label>}. */
    static void keepLogs(Path dir, String label) throws IOException {
        Path kept = Path.of("target", "scale-logs", label).toAbsolutePath();
        Files.createDirectories(kept);
        try (var logs = Files.list(dir)) {
            for (Path log : logs.filter(p -> p.getFileName().toString().endsWith(".log")).toList()) {
                Files.copy(log, kept.resolve(log.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
