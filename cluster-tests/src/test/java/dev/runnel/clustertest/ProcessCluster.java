package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.curator.test.TestingServer;
import org.apache.kafka.clients.admin.Admin;

import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.ClusterJson;
import dev.runnel.testing.TempLogDirs;

/**
 * A Runnel cluster of real processes from the built jars, on a ZooKeeper in the test JVM: each
 * node keeps its ports and data across a {@code kill -9} and a restart. Only 127.0.0.1 and
 * ephemeral ports, so a running {@code bin/quickstart} cluster is not disturbed.
 */
final class ProcessCluster implements AutoCloseable {

    static final String SECRET = "process-test-secret";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Map<String, NodeProcess> nodes = new TreeMap<>();
    private final Map<Integer, Integer> controllerPorts = new TreeMap<>();
    private final Map<Integer, Integer> brokerHttpPorts = new TreeMap<>();
    private final Map<Integer, Integer> brokerKafkaPorts = new TreeMap<>();
    private final TestingServer zookeeper;
    private final Path dir;
    private int gatewayPort;
    private String sessionTimeout = "6s";

    ProcessCluster(String name) throws Exception {
        this.zookeeper = new TestingServer(true);
        this.dir = TempLogDirs.create("runnel-" + name + "-");
    }

    Path dir() {
        return dir;
    }

    /**
     * Starts the nodes from now on with the services' own ZooKeeper session timeout (9 s) instead of
     * the tests' 6 s: for tests of failure detection as users get it.
     */
    ProcessCluster withDefaultSessionTimeout() {
        sessionTimeout = null;
        return this;
    }

    void startController(int id, String... extraArgs) throws IOException {
        startController(id, List.of(), extraArgs);
    }

    /** Starts controller {@code id} (again) with {@code jvmOptions} ({@code -Xmx1g}, ...) as well. */
    void startController(int id, List<String> jvmOptions, String... extraArgs) throws IOException {
        int port = controllerPorts.computeIfAbsent(id, k -> InJvmCluster.freePort());
        List<String> args = new ArrayList<>(List.of("--runnel.controller.id=" + id));
        args.addAll(List.of(extraArgs));
        nodes.put("controller-" + id, NodeProcess.start("controller-" + id, "controller-service", dir, jvmOptions,
                common(port, args)));
    }

    /** Starts broker {@code id} (again) with its logs in {@code broker-<id>-data}. */
    void startBroker(int id, String... extraArgs) throws IOException {
        startBroker(id, List.of(), extraArgs);
    }

    /** Starts broker {@code id} (again) with {@code jvmOptions} ({@code -Xmx512m}, ...) as well. */
    void startBroker(int id, List<String> jvmOptions, String... extraArgs) throws IOException {
        int port = brokerHttpPorts.computeIfAbsent(id, k -> InJvmCluster.freePort());
        int kafkaPort = brokerKafkaPorts.computeIfAbsent(id, k -> InJvmCluster.freePort());
        List<String> args = new ArrayList<>(List.of("--runnel.broker.id=" + id, "--runnel.broker.kafka-port=" + kafkaPort,
                "--runnel.broker.log-dirs=" + brokerDataDir(id)));
        args.addAll(List.of(extraArgs));
        nodes.put("broker-" + id, NodeProcess.start("broker-" + id, "broker-service", dir, jvmOptions,
                common(port, args)));
    }

    /**
     * Starts the gateway, which finds the brokers and controllers through this cluster's
     * ZooKeeper; {@link #gatewayUrl()} is where it serves.
     */
    void startGateway(String... extraArgs) throws IOException {
        gatewayPort = gatewayPort == 0 ? InJvmCluster.freePort() : gatewayPort;
        List<String> args = new ArrayList<>(List.of("--server.port=" + gatewayPort, "--server.address=127.0.0.1",
                "--spring.cloud.zookeeper.connect-string=" + zookeeper.getConnectString()));
        args.addAll(List.of(extraArgs));
        nodes.put("gateway", NodeProcess.start("gateway", "gateway", dir, args));
    }

    String gatewayUrl() {
        return "http://127.0.0.1:" + gatewayPort;
    }

    Path brokerDataDir(int id) {
        return dir.resolve("broker-" + id + "-data");
    }

    NodeProcess node(String name) {
        return nodes.get(name);
    }

    int kafkaPort(int brokerId) {
        return brokerKafkaPorts.get(brokerId);
    }

    /** A bootstrap list of every broker started so far. */
    String bootstrap() {
        return brokerKafkaPorts.values().stream().map(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
    }

    String controllerUrl(int id) {
        return "http://127.0.0.1:" + controllerPorts.get(id);
    }

    String brokerUrl(int id) {
        return "http://127.0.0.1:" + brokerHttpPorts.get(id);
    }

    /** GET {@code url}, read as JSON; any status but 200 is an IOException. */
    /**
     * Waits until brokers 1..{@code brokers} are registered with controller 1 and every one of
     * their Kafka listeners describes the whole cluster.
     */
    void awaitBrokersReady(int brokers, Duration deadline) {
        await(brokers + " brokers registered").atMost(deadline).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .untilAsserted(() -> assertThat(get(controllerUrl(1) + "/api/v1/brokers", BrokerInfo[].class))
                        .hasSize(brokers));
        await("every broker's Kafka listener knows all brokers").atMost(deadline).pollInterval(Duration.ofMillis(250))
                .ignoreExceptions().untilAsserted(() -> {
                    for (int id = 1; id <= brokers; id++) {
                        try (Admin admin = KafkaClients.admin("127.0.0.1:" + kafkaPort(id))) {
                            assertThat(admin.describeCluster().nodes().get(10, TimeUnit.SECONDS)).hasSize(brokers);
                        }
                    }
                });
    }

    <T> T get(String url, Class<T> type) throws IOException {
        HttpResponse<byte[]> response = send(HttpRequest.newBuilder(URI.create(url)).GET());
        if (response.statusCode() != 200) {
            throw new IOException(url + " answered " + response.statusCode());
        }
        return ClusterJson.read(response.body(), type, url);
    }

    /** POST JSON to {@code url}; the status. */
    int post(String url, String json) throws IOException {
        return send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json))).statusCode();
    }

    private HttpResponse<byte[]> send(HttpRequest.Builder request) throws IOException {
        try {
            return http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** The tails of every node's log, for a failure message. */
    String logTails() {
        return nodes.values().stream().map(NodeProcess::logTail).collect(Collectors.joining("\n"));
    }

    private List<String> common(int port, List<String> specific) {
        List<String> args = new ArrayList<>(List.of("--server.port=" + port,
                "--spring.cloud.zookeeper.connect-string=" + zookeeper.getConnectString(),
                "--spring.cloud.zookeeper.connection-timeout=3s", "--runnel.cluster.secret=" + SECRET));
        if (sessionTimeout != null) {
            args.add("--spring.cloud.zookeeper.session-timeout=" + sessionTimeout);
        }
        args.addAll(specific);
        return args;
    }

    /**
     * Stops every node (the gateway and brokers first, so they need not wait for a vanished
     * controller), then ZooKeeper.
     */
    @Override
    public void close() throws Exception {
        for (String name : nodes.keySet()) {
            if (name.startsWith("broker-") || name.equals("gateway")) {
                nodes.get(name).close();
            }
        }
        for (NodeProcess node : nodes.values()) {
            node.close();
        }
        zookeeper.close();
        TempLogDirs.deleteRecursively(dir);
    }
}
