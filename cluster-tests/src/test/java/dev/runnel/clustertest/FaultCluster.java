package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.ClusterJson;
import dev.runnel.cluster.InternalApi;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.testing.TempLogDirs;
import dev.runnel.zookeeper.LocalZooKeeper;

/**
 * A cluster of real processes for fault tests: ZooKeeper in this JVM, controllers and brokers
 * started from the built jars on ports they bind as port 0 and report ({@link NodeProcess#port}),
 * each restartable on its data after {@code kill -9}, SIGTERM or SIGSTOP (on new ports, or a
 * broker on its old Kafka port: {@link #restartOnItsKafkaPort}). The controllers' committed view
 * (their REST API) is the reference for leaders and ISRs. {@link #close()} stops everything, even
 * stopped processes, and keeps the nodes' logs under {@code target/fault-logs/<label>}; a start
 * that fails closes what it had started.
 */
final class FaultCluster implements AutoCloseable {

    static final String SECRET = "fault-test-secret";

    private final String label;
    private final Duration sessionTimeout;
    private final List<String> brokerArgs;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    /** By name; read by probing threads while a test restarts nodes. */
    private final Map<String, NodeProcess> nodes = new ConcurrentSkipListMap<>();
    private final Set<Integer> controllerIds = new ConcurrentSkipListSet<>();
    private final Set<Integer> brokerIds = new ConcurrentSkipListSet<>();
    /** The Kafka port each broker's latest process was told to bind; 0 when it chose none. */
    private final Map<Integer, Integer> requestedKafkaPorts = new ConcurrentHashMap<>();
    private LocalZooKeeper zookeeper;
    private Path dir;
    private Admin admin;
    private boolean closed;

    /**
     * @param sessionTimeout every node's ZooKeeper session timeout: how long a killed or stopped node stays registered
     * @param brokerArgs     extra broker arguments ({@code --runnel.broker.replica-lag-time-max=5s})
     */
    FaultCluster(String label, Duration sessionTimeout, String... brokerArgs) {
        this.label = label;
        this.sessionTimeout = sessionTimeout;
        this.brokerArgs = List.of(brokerArgs);
    }

    /**
     * Starts ZooKeeper, {@code controllers} controllers (1 becomes active) and {@code brokers}
     * brokers; if that fails, stops whatever it had started before rethrowing.
     */
    FaultCluster start(int controllers, int brokers, Duration deadline) throws Exception {
        try {
            dir = TempLogDirs.create("runnel-faults-");
            zookeeper = LocalZooKeeper.start(new LocalZooKeeper.Options("127.0.0.1", 0, dir.resolve("zookeeper")));
            startController(1);
            await("controller 1 active").atMost(deadline).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                    .until(() -> "ACTIVE".equals(controllerStatus(1).role()));
            for (int id = 2; id <= controllers; id++) {
                startController(id);
            }
            for (int id = 1; id <= brokers; id++) {
                startBroker(id);
            }
            await("brokers registered").atMost(deadline).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                    .until(() -> registeredBrokers().size() == brokers);
            Properties config = new Properties();
            config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(brokerIds));
            config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
            config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20_000);
            admin = Admin.create(config);
            return this;
        } catch (Exception | Error e) {
            try {
                close();
            } catch (Exception | Error suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    void startController(int id) throws IOException {
        controllerIds.add(id);
        nodes.put(controllerName(id), NodeProcess.start(controllerName(id), "controller-service", dir,
                common("--runnel.controller.id=" + id)));
    }

    /** Starts broker {@code id} (again) on its data, on new ports. */
    void startBroker(int id) throws IOException {
        startBroker(id, 0);
    }

    private void startBroker(int id, int kafkaPort) throws IOException {
        List<String> args = common("--runnel.broker.id=" + id, "--runnel.broker.kafka-port=" + kafkaPort,
                "--runnel.broker.log-dirs=" + logDir(id));
        args.addAll(brokerArgs);
        brokerIds.add(id);
        requestedKafkaPorts.put(id, kafkaPort);
        nodes.put(brokerName(id), NodeProcess.start(brokerName(id), "broker-service", dir, args));
    }

    private List<String> common(String... specific) {
        List<String> args = new ArrayList<>(List.of("--server.port=0",
                "--spring.cloud.zookeeper.connect-string=" + zookeeper.connectString(),
                "--spring.cloud.zookeeper.session-timeout=" + sessionTimeout.toSeconds() + "s",
                "--spring.cloud.zookeeper.connection-timeout=3s", "--runnel.cluster.secret=" + SECRET));
        args.addAll(List.of(specific));
        return args;
    }

    static String brokerName(int id) {
        return "broker-" + id;
    }

    static String controllerName(int id) {
        return "controller-" + id;
    }

    NodeProcess node(String name) {
        return nodes.get(name);
    }

    List<Integer> brokerIds() {
        return List.copyOf(brokerIds);
    }

    /** The cluster's working directory (ZooKeeper, node logs, the brokers' data). */
    Path dir() {
        return dir;
    }

    Path logDir(int brokerId) {
        return dir.resolve("broker-" + brokerId + "-data");
    }

    Admin admin() {
        return admin;
    }

    /** A file for a helper process's output, kept with the nodes' logs. */
    java.io.File logFile(String name) {
        return dir.resolve(name + ".log").toFile();
    }

    /**
     * Broker {@code brokerId}'s Kafka port: the one its latest process was told to bind, else the
     * one it reported (waiting for the report).
     */
    int kafkaPort(int brokerId) {
        int requested = requestedKafkaPorts.getOrDefault(brokerId, 0);
        return requested > 0 ? requested : nodes.get(brokerName(brokerId)).port("kafka");
    }

    String bootstrap(java.util.Collection<Integer> brokers) {
        return brokers.stream().map(id -> "127.0.0.1:" + kafkaPort(id)).collect(Collectors.joining(","));
    }

    // ---- the controllers' view ---------------------------------------------------------------

    /** Controller {@code id}'s status, waiting for its latest process to report its port. */
    ClusterProcessTest.ControllerStatus controllerStatus(int id) throws IOException {
        return get(controllerUrl(id) + "/api/v1/controller", ClusterProcessTest.ControllerStatus.class);
    }

    private String controllerUrl(int id) {
        return "http://127.0.0.1:" + nodes.get(controllerName(id)).port("http");
    }

    /** Controller {@code id}'s URL if its latest process runs and has reported its port; else empty, without waiting. */
    private Optional<String> reportedControllerUrl(int id) throws IOException {
        NodeProcess node = nodes.get(controllerName(id));
        if (node == null || !node.isAlive()) {
            return Optional.empty();
        }
        return node.reportedPorts().map(ports -> "http://127.0.0.1:" + ports.port("http"));
    }

    /** The id of the active controller, asking each live controller until one knows. */
    int activeController() {
        for (int id : controllerIds) {
            try {
                Optional<String> url = reportedControllerUrl(id);
                if (url.isEmpty()) {
                    continue;
                }
                ClusterProcessTest.ControllerStatus status = get(url.get() + "/api/v1/controller",
                        ClusterProcessTest.ControllerStatus.class);
                if ("ACTIVE".equals(status.role())) {
                    return id;
                }
                if (status.activeController() != null) {
                    return status.activeController().id();
                }
            } catch (IOException | RuntimeException e) {
                // down or electing: ask the next
            }
        }
        throw new IllegalStateException("no controller knows the active one");
    }

    List<Integer> registeredBrokers() throws IOException {
        return List.of(fromAnyController("/api/v1/brokers", BrokerInfo[].class)).stream().map(BrokerInfo::id).toList();
    }

    /** The topic as the controllers committed it: leaders, leader epochs, ISRs. */
    TopicInfo topic(String name) throws IOException {
        return fromAnyController("/api/v1/topics/" + name, TopicInfo.class);
    }

    int leaderOf(String topic, int partition) throws IOException {
        return topic(topic).partitions().stream().filter(p -> p.partition() == partition).findFirst().orElseThrow()
                .state().leader();
    }

    /** Waits until every partition of {@code topic} has a leader and all {@code size} replicas in its ISR. */
    void awaitFullIsr(String topic, int size, Duration deadline) {
        await(topic + ": every ISR has " + size + " members").atMost(deadline).pollInterval(Duration.ofMillis(250))
                .ignoreExceptions().untilAsserted(() -> {
                    for (PartitionInfo p : topic(topic).partitions()) {
                        assertThat(p.state().isr()).as("ISR of %s-%d", topic, p.partition()).hasSize(size);
                        assertThat(p.state().leader()).as("leader of %s-%d", topic, p.partition()).isPositive();
                    }
                });
    }

    private <T> T fromAnyController(String path, Class<T> type) throws IOException {
        IOException last = null;
        for (int id : controllerIds) {
            Optional<String> url = reportedControllerUrl(id);
            if (url.isEmpty()) {
                continue;
            }
            try {
                return get(url.get() + path, type);
            } catch (IOException e) {
                last = e;
            }
        }
        throw last != null ? last : new IOException("no controller is running and has reported its port");
    }

    private <T> T get(String url, Class<T> type) throws IOException {
        HttpResponse<byte[]> response;
        try {
            // The cluster secret: controllers take it as an ADMIN's credentials.
            response = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                    .header(InternalApi.SECRET_HEADER, SECRET).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        if (response.statusCode() != 200) {
            throw new IOException(url + " answered " + response.statusCode());
        }
        return ClusterJson.read(response.body(), type, url);
    }

    // ---- faults ---------------------------------------------------------------------------

    /** {@code kill -9} of the node. */
    void kill(String name) throws IOException, InterruptedException {
        nodes.get(name).kill();
    }

    /** Starts the node again on its data and on new ports; returns without waiting. */
    void restart(String name) throws IOException {
        int id = Integer.parseInt(name.substring(name.indexOf('-') + 1));
        if (name.startsWith("broker-")) {
            startBroker(id);
        } else {
            startController(id);
        }
    }

    /**
     * Starts broker {@code id} again on its data, asking for the Kafka port its last process had,
     * so that a client or prober that knows the port reaches the new process from its first moment
     * ({@link #kafkaPort} answers that port at once). Should the port have been taken meanwhile
     * (the broker exits, unable to listen), the broker is started on a new one instead. Returns once
     * the broker has reported its ports.
     */
    void restartOnItsKafkaPort(int id) throws IOException {
        startBroker(id, kafkaPort(id));
        NodeProcess broker = nodes.get(brokerName(id));
        await(broker.name() + " reports its ports or exits").atMost(NodeProcess.READY_DEADLINE)
                .pollInterval(Duration.ofMillis(100))
                .until(() -> broker.reportedPorts().isPresent() || !broker.isAlive());
        if (!broker.isAlive() && broker.logSinceStart().contains("cannot listen for Kafka clients")) {
            startBroker(id, 0);
        }
    }

    /**
     * SIGTERM to every broker, one after the other, each waited for: the logs are then complete on
     * disk, and each broker must say it closed its log directory cleanly.
     */
    void stopBrokersGracefully(Duration each) throws Exception {
        for (int id : brokerIds()) {
            stopBrokerGracefully(id, each);
        }
    }

    /** SIGTERM to one broker; asserts it exits in time and closes its log directory cleanly. */
    void stopBrokerGracefully(int id, Duration timeout) throws Exception {
        NodeProcess broker = nodes.get(brokerName(id));
        assertThat(broker.terminate(timeout)).as("%s exits on SIGTERM", broker.name()).isTrue();
        assertThat(linesOfLastRun(brokerName(id))).as("%s closes its logs on SIGTERM", broker.name())
                .anyMatch(line -> line.contains("partition logs in") && line.endsWith("cleanly"));
    }

    /** The log lines of the node's latest process (the log file is appended to by every start). */
    List<String> linesOfLastRun(String name) throws IOException {
        List<String> lines = Files.readAllLines(nodes.get(name).logFile());
        int start = 0;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(": Starting BrokerApplication ")
                    || lines.get(i).contains(": Starting ControllerApplication ")) {
                start = i;
            }
        }
        return lines.subList(start, lines.size());
    }

    /** The last lines of every node's log, for failure messages. */
    String logTails() {
        return nodes.values().stream().map(NodeProcess::logTail).collect(Collectors.joining("\n\n"));
    }

    /** Stops everything and keeps the logs; each step runs even if one before failed. Safe to call twice. */
    @Override
    public void close() throws Exception {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (admin != null) {
                admin.close(Duration.ofSeconds(5));
            }
        } finally {
            try {
                NodeProcess.closeAll(nodes.values());
            } finally {
                try {
                    if (zookeeper != null) {
                        zookeeper.close();
                    }
                } finally {
                    keepLogsAndDelete();
                }
            }
        }
    }

    private void keepLogsAndDelete() throws IOException {
        if (dir == null) {
            return;
        }
        try {
            Path kept = Path.of("target", "fault-logs", label).toAbsolutePath();
            Files.createDirectories(kept);
            try (var logs = Files.list(dir)) {
                for (Path log : logs.filter(p -> p.getFileName().toString().endsWith(".log")).toList()) {
                    Files.copy(log, kept.resolve(log.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } finally {
            TempLogDirs.deleteRecursively(dir);
        }
    }

    static void sleep(Duration pace) throws InterruptedException {
        TimeUnit.MILLISECONDS.sleep(pace.toMillis());
    }
}
