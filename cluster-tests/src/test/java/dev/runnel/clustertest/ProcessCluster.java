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
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;

import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.ClusterJson;
import dev.runnel.cluster.InternalApi;
import dev.runnel.testing.TempLogDirs;
import dev.runnel.zookeeper.LocalZooKeeper;

/**
 * A Runnel cluster of real processes from the built jars, on a ZooKeeper in the test JVM: each
 * node keeps its data across a {@code kill -9} and a restart. Every node binds port 0 and reports
 * the ports it got ({@link NodeProcess#port}); a restarted node gets new ones, and the accessors
 * here always answer for the node's latest process. Only 127.0.0.1, so a running {@code
 * bin/quickstart} cluster is not disturbed.
 */
final class ProcessCluster implements AutoCloseable {

    static final String SECRET = "process-test-secret";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    /** By name ({@code controller-1}, {@code broker-2}, {@code gateway}); read by probing threads while a test restarts nodes. */
    private final Map<String, NodeProcess> nodes = new ConcurrentSkipListMap<>();
    private final Path dir;
    private final LocalZooKeeper zookeeper;
    private String sessionTimeout = "6s";

    ProcessCluster(String name) throws IOException {
        this.dir = TempLogDirs.create("runnel-" + name + "-");
        try {
            this.zookeeper = LocalZooKeeper.start(new LocalZooKeeper.Options("127.0.0.1", 0, dir.resolve("zookeeper")));
        } catch (IOException | RuntimeException e) {
            TempLogDirs.deleteRecursively(dir);
            throw e;
        }
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
        List<String> args = new ArrayList<>(List.of("--runnel.controller.id=" + id));
        args.addAll(List.of(extraArgs));
        nodes.put("controller-" + id, NodeProcess.start("controller-" + id, "controller-service", dir, jvmOptions,
                common(args)));
    }

    /** Starts broker {@code id} (again) with its logs in {@code broker-<id>-data}. */
    void startBroker(int id, String... extraArgs) throws IOException {
        startBroker(id, List.of(), extraArgs);
    }

    /** Starts broker {@code id} (again) with {@code jvmOptions} ({@code -Xmx512m}, ...) as well. */
    void startBroker(int id, List<String> jvmOptions, String... extraArgs) throws IOException {
        List<String> args = new ArrayList<>(List.of("--runnel.broker.id=" + id, "--runnel.broker.kafka-port=0",
                "--runnel.broker.log-dirs=" + brokerDataDir(id)));
        args.addAll(List.of(extraArgs));
        nodes.put("broker-" + id, NodeProcess.start("broker-" + id, "broker-service", dir, jvmOptions,
                common(args)));
    }

    /**
     * Starts the gateway, which finds the brokers and controllers through this cluster's
     * ZooKeeper; {@link #gatewayUrl()} is where it serves.
     */
    void startGateway(String... extraArgs) throws IOException {
        List<String> args = new ArrayList<>(List.of("--server.port=0", "--server.address=127.0.0.1",
                "--spring.cloud.zookeeper.connect-string=" + zookeeper.connectString(),
                "--runnel.cluster.secret=" + SECRET));
        args.addAll(List.of(extraArgs));
        nodes.put("gateway", NodeProcess.start("gateway", "gateway", dir, args));
    }

    /** Where the gateway serves, once it has reported its port. */
    String gatewayUrl() {
        return "http://127.0.0.1:" + nodes.get("gateway").port("http");
    }

    Path brokerDataDir(int id) {
        return dir.resolve("broker-" + id + "-data");
    }

    NodeProcess node(String name) {
        return nodes.get(name);
    }

    /** Broker {@code brokerId}'s Kafka port, once its latest process has reported it. */
    int kafkaPort(int brokerId) {
        return node("broker-" + brokerId).port("kafka");
    }

    /** A bootstrap list of every broker started so far, at the ports of each one's latest process. */
    String bootstrap() {
        return nodes.keySet().stream().filter(name -> name.startsWith("broker-"))
                .map(name -> "127.0.0.1:" + nodes.get(name).port("kafka")).collect(Collectors.joining(","));
    }

    String controllerUrl(int id) {
        return "http://127.0.0.1:" + node("controller-" + id).port("http");
    }

    String brokerUrl(int id) {
        return "http://127.0.0.1:" + node("broker-" + id).port("http");
    }

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

    /** GET {@code url}, read as JSON; any status but 200 is an IOException. */
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

    /** Sends {@code request} with the cluster secret, which controllers and brokers take as an ADMIN's credentials. */
    private HttpResponse<byte[]> send(HttpRequest.Builder request) throws IOException {
        try {
            return http.send(request.header(InternalApi.SECRET_HEADER, SECRET).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** The tails of every node's log, for a failure message. */
    String logTails() {
        return nodes.values().stream().map(NodeProcess::logTail).collect(Collectors.joining("\n"));
    }

    private List<String> common(List<String> specific) {
        List<String> args = new ArrayList<>(List.of("--server.port=0",
                "--spring.cloud.zookeeper.connect-string=" + zookeeper.connectString(),
                "--spring.cloud.zookeeper.connection-timeout=3s", "--runnel.cluster.secret=" + SECRET));
        if (sessionTimeout != null) {
            args.add("--spring.cloud.zookeeper.session-timeout=" + sessionTimeout);
        }
        args.addAll(specific);
        return args;
    }

    /**
     * Stops every node (the gateway and brokers first, so they need not wait for a vanished
     * controller), then ZooKeeper, which is stopped and its directory deleted even if a stop failed.
     */
    @Override
    public void close() throws Exception {
        try {
            for (NodeProcess node : nodes.values()) {
                if (node.name().startsWith("broker-") || node.name().equals("gateway")) {
                    node.close();
                }
            }
            for (NodeProcess node : nodes.values()) {
                node.close();
            }
        } finally {
            zookeeper.close();
            TempLogDirs.deleteRecursively(dir);
        }
    }
}
