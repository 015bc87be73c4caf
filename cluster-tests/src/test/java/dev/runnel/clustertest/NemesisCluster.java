package dev.runnel.clustertest;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
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
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryForever;
import org.apache.curator.test.TestingServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.zookeeper.data.Stat;

import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.ClusterJson;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.cluster.ZkPaths;
import dev.runnel.testing.TempLogDirs;

/**
 * The nemesis's cluster: ZooKeeper in this JVM, controllers and brokers as processes from the
 * built jars, placed by a {@link NemesisNetwork} (each in its own namespace, or all on
 * 127.0.0.1), each restartable on the same address, ports and data. Besides what
 * {@link FaultCluster} offers it can stop and continue a node, expire a broker's ZooKeeper
 * session and cut a node off the network. {@link #close()} stops every node, even stopped ones
 * (also from a shutdown hook), and keeps the logs under {@code target/fault-logs/<label>}.
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
    private final Map<String, int[]> ports = new ConcurrentHashMap<>();
    private final List<Integer> controllerIds = new ArrayList<>();
    private final List<Integer> brokerIds = new ArrayList<>();
    private final Thread shutdownHook = new Thread(this::killAll, "nemesis-cluster-cleanup");
    private TestingServer zookeeper;
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
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        zookeeper = new TestingServer(true);
        zk = CuratorFrameworkFactory.builder().connectString(zookeeper.getConnectString())
                .namespace(ZkPaths.DEFAULT_NAMESPACE).retryPolicy(new RetryForever(200)).build();
        zk.start();
        dir = TempLogDirs.create("runnel-nemesis-");
        for (int id = 1; id <= controllers; id++) {
            controllerIds.add(id);
            ports.put(FaultCluster.controllerName(id), new int[] {port(CONTROLLER_PORT)});
        }
        for (int id = 1; id <= brokers; id++) {
            brokerIds.add(id);
            ports.put(FaultCluster.brokerName(id), new int[] {port(BROKER_HTTP_PORT), port(BROKER_KAFKA_PORT)});
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
        Properties config = new Properties();
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20_000);
        admin = Admin.create(config);
        return this;
    }

    /** A fixed port inside a namespace (each has its own), a free one on loopback. */
    private int port(int inNamespace) {
        if (network.partitionable()) {
            return inNamespace;
        }
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    void startController(int id) throws IOException {
        String name = FaultCluster.controllerName(id);
        List<String> args = common(name, ports.get(name)[0]);
        args.addAll(List.of("--runnel.controller.id=" + id, "--runnel.controller.host=" + network.host(name)));
        args.addAll(controllerArgs);
        start(name, "controller-service", args);
    }

    void startBroker(int id) throws IOException {
        String name = FaultCluster.brokerName(id);
        int[] p = ports.get(name);
        List<String> args = common(name, p[0]);
        args.addAll(List.of("--runnel.broker.id=" + id, "--runnel.broker.host=" + network.host(name),
                "--runnel.broker.listen-host=" + network.host(name), "--runnel.broker.kafka-port=" + p[1],
                "--runnel.broker.log-dirs=" + logDir(id)));
        args.addAll(brokerArgs);
        start(name, "broker-service", args);
    }

    private void start(String name, String module, List<String> args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:TieredStopAtLevel=1", "-jar", NodeProcess.execJar(module).toString()));
        command.addAll(args);
        nodes.put(name, NodeProcess.start(name, network.command(name, command), dir.resolve(name + ".log")));
    }

    private List<String> common(String name, int httpPort) {
        return new ArrayList<>(List.of("--server.port=" + httpPort, "--server.address=" + network.host(name),
                "--spring.cloud.zookeeper.connect-string=" + network.rootHost() + ":" + zookeeper.getPort(),
                "--spring.cloud.zookeeper.session-timeout=" + sessionTimeout.toMillis() + "ms",
                "--spring.cloud.zookeeper.connection-timeout=3s", "--runnel.cluster.secret=" + SECRET));
    }

    /** Restarts {@code name} ({@code broker-2}, {@code controller-1}) on its ports and data. */
    void restart(String name) throws IOException {
        int id = idOf(name);
        if (name.startsWith("broker-")) {
            startBroker(id);
        } else {
            startController(id);
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

    InetSocketAddress kafkaAddress(int brokerId) {
        String name = FaultCluster.brokerName(brokerId);
        return new InetSocketAddress(network.host(name), ports.get(name)[1]);
    }

    String bootstrap() {
        return brokerIds.stream().map(id -> network.host(FaultCluster.brokerName(id)) + ":"
                + ports.get(FaultCluster.brokerName(id))[1]).collect(Collectors.joining(","));
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
        return zookeeper.getPort();
    }

    // ---- the controllers' view ------------------------------------------------------------

    ClusterProcessTest.ControllerStatus controllerStatus(int id) throws IOException {
        return get(controllerUrl(id) + "/api/v1/controller", ClusterProcessTest.ControllerStatus.class);
    }

    private String controllerUrl(int id) {
        String name = FaultCluster.controllerName(id);
        return "http://" + network.host(name) + ":" + ports.get(name)[0];
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
            response = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(3)).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
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

    private void killAll() {
        for (NodeProcess node : nodes.values()) {
            try {
                node.signal("CONT");
            } catch (IOException | InterruptedException e) {
                // gone already
            }
            try {
                node.kill();
            } catch (IOException | InterruptedException e) {
                // best effort on the way out
            }
        }
    }

    @Override
    public void close() throws Exception {
        try {
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
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // shutting down: the hook runs and finds the nodes gone
            }
        }
    }
}
