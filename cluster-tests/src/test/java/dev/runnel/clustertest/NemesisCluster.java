package dev.runnel.clustertest;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryForever;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.zookeeper.data.Stat;

import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.ClusterJson;
import dev.runnel.cluster.InternalApi;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.cluster.ZkPaths;
import dev.runnel.testing.TempLogDirs;
import dev.runnel.zookeeper.LocalZooKeeper;

/**
 * The nemesis's cluster: ZooKeeper in this JVM, controllers and brokers as processes from the
 * built jars, placed by a {@link NemesisNetwork}, each restartable on its data. Besides what
 * {@link FaultCluster} offers it can stop and continue a node, expire a broker's ZooKeeper
 * session and cut a node off the network.
 *
 * <p>Ports: in namespaces every node has the same fixed ports on its own address (a namespace
 * has its own port space, which only this test uses). On loopback the nodes bind port 0 and
 * report the ports they got ({@link NodeProcess#port}); a restarted broker asks for the Kafka
 * port it had, as a real broker keeps its advertised address, and takes a new one if that is
 * taken meanwhile. {@link #close()} stops every node, even stopped ones, and keeps the logs under
 * {@code target/fault-logs/<label>}; {@link ChildProcesses} and each node's parent watchdog see to
 * a test JVM that dies first.
 */
final class NemesisCluster implements AutoCloseable {

    static final String SECRET = "nemesis-secret";
    private static final int CONTROLLER_PORT = 8090;
    private static final int BROKER_HTTP_PORT = 8091;
    private static final int BROKER_KAFKA_PORT = 9092;

    private final String label;
    private final NemesisNetwork network;
    private final Duration sessionTimeout;
    private final List<String> controllerArgs;
    private final List<String> brokerArgs;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Map<String, NodeProcess> nodes = new ConcurrentHashMap<>();
    /** The Kafka port each broker's latest process was told to bind; 0 when it chose none. */
    private final Map<Integer, Integer> requestedKafkaPorts = new ConcurrentHashMap<>();
    private final List<Integer> controllerIds = new ArrayList<>();
    private final List<Integer> brokerIds = new ArrayList<>();
    private LocalZooKeeper zookeeper;
    private CuratorFramework zk;
    private Path dir;
    private Admin admin;

    NemesisCluster(String label, NemesisNetwork network, Duration sessionTimeout, List<String> controllerArgs,
            List<String> brokerArgs) {
        this.label = label;
        this.network = network;
        this.sessionTimeout = sessionTimeout;
        this.controllerArgs = List.copyOf(controllerArgs);
        this.brokerArgs = List.copyOf(brokerArgs);
    }

    /** Starts ZooKeeper, the controllers (1 first, so it becomes active) and the brokers. */
    NemesisCluster start(int controllers, int brokers, Duration deadline) throws Exception {
        dir = TempLogDirs.create("runnel-nemesis-");
        // On the bridge address in namespaces: the nodes reach it there, and so does this JVM.
        zookeeper = LocalZooKeeper.start(new LocalZooKeeper.Options(network.rootHost(), 0, dir.resolve("zookeeper")));
        zk = CuratorFrameworkFactory.builder().connectString(zookeeper.connectString())
                .namespace(ZkPaths.DEFAULT_NAMESPACE).retryPolicy(new RetryForever(200)).build();
        zk.start();
        for (int id = 1; id <= controllers; id++) {
            controllerIds.add(id);
        }
        for (int id = 1; id <= brokers; id++) {
            brokerIds.add(id);
        }
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
        await("brokers report their ports").atMost(deadline).pollInterval(Duration.ofMillis(250))
                .until(() -> brokerIds.stream().allMatch(id -> kafkaAddress(id).isPresent()));
        Properties config = new Properties();
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20_000);
        config.put(AdminClientConfig.METADATA_MAX_AGE_CONFIG, 5_000);
        admin = Admin.create(config);
        return this;
    }

    void startController(int id) throws IOException {
        String name = FaultCluster.controllerName(id);
        List<String> args = common(name, network.partitionable() ? CONTROLLER_PORT : 0);
        args.addAll(List.of("--runnel.controller.id=" + id, "--runnel.controller.host=" + network.host(name)));
        args.addAll(controllerArgs);
        start(name, "controller-service", args);
    }

    /** Starts broker {@code id} on its data, on the Kafka port it had if it had one. */
    void startBroker(int id) throws IOException {
        startBroker(id, network.partitionable() ? BROKER_KAFKA_PORT : kafkaAddress(id).map(a -> a.getPort()).orElse(0));
    }

    private void startBroker(int id, int kafkaPort) throws IOException {
        String name = FaultCluster.brokerName(id);
        List<String> args = common(name, network.partitionable() ? BROKER_HTTP_PORT : 0);
        args.addAll(List.of("--runnel.broker.id=" + id, "--runnel.broker.host=" + network.host(name),
                "--runnel.broker.listen-host=" + network.host(name), "--runnel.broker.kafka-port=" + kafkaPort,
                "--runnel.broker.log-dirs=" + logDir(id)));
        args.addAll(brokerArgs);
        requestedKafkaPorts.put(id, kafkaPort);
        start(name, "broker-service", args);
    }

    private void start(String name, String module, List<String> args) throws IOException {
        nodes.put(name, NodeProcess.start(name, module, dir, network.launcher(name), List.of(), args));
    }

    private List<String> common(String name, int httpPort) {
        return new ArrayList<>(List.of("--server.port=" + httpPort, "--server.address=" + network.host(name),
                "--spring.cloud.zookeeper.connect-string=" + zookeeper.connectString(),
                "--spring.cloud.zookeeper.session-timeout=" + sessionTimeout.toMillis() + "ms",
                "--spring.cloud.zookeeper.connection-timeout=3s", "--runnel.cluster.secret=" + SECRET));
    }

    /**
     * Restarts {@code name} ({@code broker-2}, {@code controller-1}) on its data; a broker on the
     * Kafka port it had, or a new one if that is taken.
     */
    void restart(String name) throws IOException {
        int id = idOf(name);
        if (name.startsWith("controller-")) {
            startController(id);
            return;
        }
        startBroker(id);
        NodeProcess broker = nodes.get(name);
        await(name + " reports its ports or exits").atMost(NodeProcess.READY_DEADLINE)
                .pollInterval(Duration.ofMillis(100)).until(() -> broker.reportedPorts().isPresent() || !broker.isAlive());
        if (!broker.isAlive() && broker.logSinceStart().contains("cannot listen for Kafka clients")) {
            startBroker(id, 0);
        }
    }

    static int idOf(String name) {
        return Integer.parseInt(name.substring(name.lastIndexOf('-') + 1));
    }

    NodeProcess node(String name) {
        return nodes.get(name);
    }

    Collection<NodeProcess> nodes() {
        return nodes.values();
    }

    NemesisNetwork network() {
        return network;
    }

    List<Integer> brokerIds() {
        return List.copyOf(brokerIds);
    }

    List<Integer> controllerIds() {
        return List.copyOf(controllerIds);
    }

    Duration sessionTimeout() {
        return sessionTimeout;
    }

    Path logDir(int brokerId) {
        return dir.resolve("broker-" + brokerId + "-data");
    }

    Path dir() {
        return dir;
    }

    Admin admin() {
        return admin;
    }

    /**
     * Where broker {@code brokerId}'s latest process serves (or, dead, served) Kafka clients: the
     * port it was told to bind, else the one it reported; empty while a broker on port 0 starts.
     */
    Optional<InetSocketAddress> kafkaAddress(int brokerId) {
        String name = FaultCluster.brokerName(brokerId);
        int port = network.partitionable() ? BROKER_KAFKA_PORT : requestedKafkaPorts.getOrDefault(brokerId, 0);
        NodeProcess node = nodes.get(name);
        if (port == 0 && node != null) {
            try {
                port = node.reportedPorts().map(p -> p.port("kafka")).orElse(0);
            } catch (IOException e) {
                port = 0;
            }
        }
        return port == 0 ? Optional.empty() : Optional.of(new InetSocketAddress(network.host(name), port));
    }

    /** Every broker's address as it is now (clients learn of later moves through metadata). */
    String bootstrap() {
        return brokerIds.stream().map(this::kafkaAddress).flatMap(Optional::stream)
                .map(a -> a.getHostString() + ":" + a.getPort()).collect(Collectors.joining(","));
    }

    // ---- ZooKeeper ------------------------------------------------------------------------

    /** The session that owns the broker's registration, or 0 when it is not registered. */
    long registrationSession(int brokerId) throws Exception {
        Stat stat = zk.checkExists().forPath(ZkPaths.broker(brokerId));
        return stat == null ? 0 : stat.getEphemeralOwner();
    }

    /** Expires, at the server, the session that owns the broker's registration. */
    long expireSession(int brokerId) throws Exception {
        long session = registrationSession(brokerId);
        if (session == 0) {
            throw new IllegalStateException("broker " + brokerId + " is not registered");
        }
        ZooKeeperSessions.expire(zookeeper, session);
        return session;
    }

    /** A client of the cluster's ZooKeeper in this JVM, in the cluster's namespace. */
    CuratorFramework zk() {
        return zk;
    }

    int zooKeeperPort() {
        return zookeeper.port();
    }

    // ---- the controllers' view ------------------------------------------------------------

    ClusterProcessTest.ControllerStatus controllerStatus(int id) throws IOException {
        return get(controllerUrl(id) + "/api/v1/controller", ClusterProcessTest.ControllerStatus.class);
    }

    /** Controller {@code id}'s URL, if its latest process has told its port (no waiting: it may be down). */
    private String controllerUrl(int id) throws IOException {
        String name = FaultCluster.controllerName(id);
        if (network.partitionable()) {
            return "http://" + network.host(name) + ":" + CONTROLLER_PORT;
        }
        NodeProcess node = nodes.get(name);
        Optional<Integer> port = node == null ? Optional.empty() : node.reportedPorts().map(p -> p.port("http"));
        return "http://" + network.host(name) + ":" + port.orElseThrow(() -> new IOException(name
                + " has not reported its port"));
    }

    /** The active controller's id as the first controller that knows says, or -1. */
    int activeController() {
        for (int id : controllerIds) {
            try {
                ClusterProcessTest.ControllerStatus status = controllerStatus(id);
                if ("ACTIVE".equals(status.role())) {
                    return id;
                }
                if (status.activeController() != null) {
                    return status.activeController().id();
                }
            } catch (IOException | RuntimeException e) {
                // down, stopped, cut off or electing: ask the next
            }
        }
        return -1;
    }

    List<Integer> registeredBrokers() throws IOException {
        return List.of(fromAnyController("/api/v1/brokers", BrokerInfo[].class)).stream().map(BrokerInfo::id).toList();
    }

    TopicInfo topic(String name) throws IOException {
        return fromAnyController("/api/v1/topics/" + name, TopicInfo.class);
    }

    /** Waits until every partition of {@code topic} has a leader and {@code size} replicas in its ISR. */
    void awaitFullIsr(String topic, int size, Duration deadline) {
        await(topic + ": every ISR has " + size + " members").atMost(deadline).pollInterval(Duration.ofMillis(500))
                .ignoreExceptions().until(() -> {
                    for (PartitionInfo p : topic(topic).partitions()) {
                        if (p.state().isr().size() != size || p.state().leader() <= 0) {
                            return false;
                        }
                    }
                    return true;
                });
    }

    private <T> T fromAnyController(String path, Class<T> type) throws IOException {
        IOException last = null;
        for (int id : controllerIds) {
            NodeProcess node = nodes.get(FaultCluster.controllerName(id));
            if (node == null || !node.isAlive()) {
                continue;
            }
            try {
                return get(controllerUrl(id) + path, type);
            } catch (IOException e) {
                last = e;
            }
        }
        throw last != null ? last : new IOException("no controller is running");
    }

    private <T> T get(String url, Class<T> type) throws IOException {
        HttpResponse<byte[]> response;
        try {
            // The cluster secret: controllers take it as an ADMIN's credentials.
            response = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(3))
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

    // ---- the end --------------------------------------------------------------------------

    /** SIGTERM to each broker in turn; the ids of those that did not exit within {@code each} (then killed). */
    List<Integer> stopBrokers(Duration each) throws Exception {
        List<Integer> slow = new ArrayList<>();
        for (int id : brokerIds) {
            NodeProcess broker = nodes.get(FaultCluster.brokerName(id));
            if (broker.isAlive() && !broker.terminate(each)) {
                slow.add(id);
                broker.kill();
            }
        }
        return slow;
    }

    /** Copies the nodes' logs to {@code target/fault-logs/<label>} (also done by {@link #close()}). */
    Path keepLogs() throws IOException {
        Path kept = Path.of("target", "fault-logs", label).toAbsolutePath();
        Files.createDirectories(kept);
        try (var logs = Files.list(dir)) {
            for (Path log : logs.filter(p -> p.getFileName().toString().endsWith(".log")).toList()) {
                Files.copy(log, kept.resolve(log.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return kept;
    }

    @Override
    public void close() throws Exception {
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
        NodeProcess.closeAll(nodes.values());
        if (zk != null) {
            zk.close();
        }
        if (zookeeper != null) {
            zookeeper.close();
        }
        if (dir != null) {
            keepLogs();
            TempLogDirs.deleteRecursively(dir);
        }
    }
}
