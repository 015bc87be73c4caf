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

import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.runnel.broker.cluster.HostedPartition;
import dev.runnel.broker.cluster.MetadataCache;
import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.ClusterError;
import dev.runnel.cluster.ClusterJson;
import dev.runnel.cluster.CommandResponse;
import dev.runnel.cluster.ControllerInfo;
import dev.runnel.cluster.InternalApi;
import dev.runnel.cluster.InternalHttpClient;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.cluster.UpdateMetadataRequest;
import dev.runnel.testing.TempLogDirs;

/**
 * Real processes from the built jars: two controllers and three brokers on a ZooKeeper in this JVM.
 * {@code kill -9} of a broker moves its leaderships once its ZooKeeper session expires, the killed
 * broker rejoins with its data, and {@code kill -9} of the active controller hands the cluster to
 * the standby with a higher epoch, which keeps serving the admin API while brokers refuse the old
 * epoch.
 */
class ClusterProcessTest {

    private static final String SECRET = "process-test-secret";
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Map<String, NodeProcess> nodes = new TreeMap<>();
    private final Map<Integer, Integer> controllerPorts = new TreeMap<>();
    private final Map<Integer, Integer> brokerPorts = new TreeMap<>();
    private TestingServer zookeeper;
    private Path dir;

    /** What GET /api/v1/controller answers. */
    record ControllerStatus(int controllerId, String role, Integer epoch, ControllerInfo activeController) {
    }

    /** What GET /api/v1/broker answers. */
    record BrokerStatus(BrokerInfo registration, int highestControllerEpoch, MetadataCache.Snapshot metadata,
            Map<String, HostedPartition> hostedPartitions) {
    }

    @AfterEach
    void stopEverything() throws Exception {
        for (NodeProcess node : nodes.values()) {
            node.close();
        }
        if (zookeeper != null) {
            zookeeper.close();
        }
        if (dir != null) {
            TempLogDirs.deleteRecursively(dir);
        }
    }

    @Test
    void killingABrokerAndTheActiveControllerWithSigkillKeepsTheClusterServing() throws Exception {
        zookeeper = new TestingServer(true);
        dir = TempLogDirs.create("runnel-processes-");
        startController(1);
        awaitController(1, "ACTIVE");
        startController(2);
        for (int id = 1; id <= 3; id++) {
            startBroker(id);
        }
        await("three brokers registered").atMost(DEADLINE).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .until(() -> List.of(get(controllerUrl(1) + "/api/v1/brokers", BrokerInfo[].class)).size() == 3);

        assertThat(post(controllerUrl(1) + "/api/v1/topics",
                "{\"name\":\"orders\",\"partitions\":6,\"replicationFactor\":3}")).isEqualTo(201);
        TopicInfo orders = get(controllerUrl(1) + "/api/v1/topics/orders", TopicInfo.class);
        awaitBrokersAgree(List.of(1, 2, 3), orders);

        // kill -9 a broker: its registration lasts until its ZooKeeper session expires.
        nodes.get("broker-2").kill();
        await("leaderships off the killed broker").atMost(DEADLINE).pollInterval(Duration.ofMillis(250))
                .ignoreExceptions().untilAsserted(() -> {
                    TopicInfo now = get(controllerUrl(1) + "/api/v1/topics/orders", TopicInfo.class);
                    for (PartitionInfo p : now.partitions()) {
                        assertThat(p.state().leader()).isIn(1, 3);
                        assertThat(p.state().isr()).doesNotContain(2);
                    }
                });
        TopicInfo afterBrokerLoss = get(controllerUrl(1) + "/api/v1/topics/orders", TopicInfo.class);
        awaitBrokersAgree(List.of(1, 3), afterBrokerLoss);

        // The killed broker restarts on its data and gets its replicas back.
        startBroker(2);
        await("broker 2 back").atMost(DEADLINE).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .untilAsserted(() -> assertThat(brokerStatus(2).hostedPartitions()).hasSize(6));

        // kill -9 the active controller: the standby takes over when the old session expires.
        int oldEpoch = controllerStatus(1).epoch();
        nodes.get("controller-1").kill();
        ControllerStatus standby = await("the standby takes over").atMost(DEADLINE).pollInterval(Duration.ofMillis(250))
                .ignoreExceptions().until(() -> controllerStatus(2), s -> "ACTIVE".equals(s.role()));
        assertThat(standby.epoch()).isGreaterThan(oldEpoch);
        await("every broker follows the new epoch").atMost(DEADLINE).pollInterval(Duration.ofMillis(250))
                .ignoreExceptions().untilAsserted(() -> {
                    for (int id = 1; id <= 3; id++) {
                        assertThat(brokerStatus(id).highestControllerEpoch()).isEqualTo(standby.epoch());
                    }
                });
        assertThat(get(controllerUrl(2) + "/api/v1/topics/orders", TopicInfo.class).partitions()).hasSize(6);
        assertThat(post(controllerUrl(2) + "/api/v1/topics",
                "{\"name\":\"after-failover\",\"partitions\":3,\"replicationFactor\":3}")).isEqualTo(201);
        awaitBrokersAgree(List.of(1, 2, 3), get(controllerUrl(2) + "/api/v1/topics/after-failover", TopicInfo.class));

        // A command in the deposed controller's epoch changes nothing.
        InternalHttpClient deposed = new InternalHttpClient(SECRET, Duration.ofSeconds(2), Duration.ofSeconds(10));
        CommandResponse refused = deposed.post(brokerUrl(1), InternalApi.UPDATE_METADATA,
                new UpdateMetadataRequest(1, oldEpoch, true, List.of(), List.of(), List.of()), CommandResponse.class);
        assertThat(refused.error()).isEqualTo(ClusterError.STALE_CONTROLLER_EPOCH);
        assertThat(brokerStatus(1).metadata().topics()).containsKeys("orders", "after-failover");
    }

    private void awaitBrokersAgree(List<Integer> brokers, TopicInfo expected) {
        await("brokers " + brokers + " agree on " + expected.name()).atMost(DEADLINE).pollInterval(Duration.ofMillis(250))
                .ignoreExceptions().untilAsserted(() -> {
                    for (int id : brokers) {
                        assertThat(brokerStatus(id).metadata().topic(expected.name())).as("broker " + id).contains(expected);
                    }
                });
    }

    private void startController(int id) throws IOException {
        int port = controllerPorts.computeIfAbsent(id, k -> InJvmCluster.freePort());
        nodes.put("controller-" + id, NodeProcess.start("controller-" + id, "controller-service", dir,
                common(port, "--runnel.controller.id=" + id)));
    }

    private void startBroker(int id) throws IOException {
        int port = brokerPorts.computeIfAbsent(id, k -> InJvmCluster.freePort());
        nodes.put("broker-" + id, NodeProcess.start("broker-" + id, "broker-service", dir, common(port,
                "--runnel.broker.id=" + id, "--runnel.broker.kafka-port=" + InJvmCluster.freePort(),
                "--runnel.broker.log-dirs=" + dir.resolve("broker-" + id + "-data"))));
    }

    private List<String> common(int port, String... specific) {
        List<String> args = new ArrayList<>(List.of("--server.port=" + port,
                "--spring.cloud.zookeeper.connect-string=" + zookeeper.getConnectString(),
                "--spring.cloud.zookeeper.session-timeout=6s", "--spring.cloud.zookeeper.connection-timeout=3s",
                "--runnel.cluster.secret=" + SECRET));
        args.addAll(List.of(specific));
        return args;
    }

    private void awaitController(int id, String role) {
        await("controller " + id + " " + role).atMost(DEADLINE).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .until(() -> role.equals(controllerStatus(id).role()));
    }

    private ControllerStatus controllerStatus(int id) throws IOException {
        return get(controllerUrl(id) + "/api/v1/controller", ControllerStatus.class);
    }

    private BrokerStatus brokerStatus(int id) throws IOException {
        return get(brokerUrl(id) + "/api/v1/broker", BrokerStatus.class);
    }

    private String controllerUrl(int id) {
        return "http://127.0.0.1:" + controllerPorts.get(id);
    }

    private String brokerUrl(int id) {
        return "http://127.0.0.1:" + brokerPorts.get(id);
    }

    private <T> T get(String url, Class<T> type) throws IOException {
        HttpResponse<byte[]> response = send(HttpRequest.newBuilder(URI.create(url)).GET());
        if (response.statusCode() != 200) {
            throw new IOException(url + " answered " + response.statusCode());
        }
        return ClusterJson.read(response.body(), type, url);
    }

    private int post(String url, String json) throws IOException {
        return send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json))).statusCode();
    }

    private HttpResponse<byte[]> send(HttpRequest.Builder request) throws IOException {
        try {
            return http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
