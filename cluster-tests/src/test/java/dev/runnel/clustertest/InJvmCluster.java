package dev.runnel.clustertest;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import dev.runnel.broker.BrokerApplication;
import dev.runnel.broker.protocol.KafkaServer;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.controller.ControllerApplication;
import dev.runnel.controller.election.ActiveController;
import dev.runnel.testing.TempLogDirs;
import dev.runnel.zookeeper.LocalZooKeeper;

/**
 * A whole cluster in one JVM: a real ZooKeeper server ({@link LocalZooKeeper}) and controller and
 * broker Spring Boot contexts, every one of them on loopback port 0; the ports they got are read
 * from the contexts ({@link #url}, {@link #kafkaPort}). Stopping a node closes its context, which
 * removes its ZooKeeper registration at once. Every controller and broker knows the users {@link
 * #ADMIN_USER} and {@link #READER_USER}; {@link #call} calls as the first.
 */
final class InJvmCluster implements AutoCloseable {

    static final String SECRET = "in-jvm-cluster-secret";
    static final String ZOOKEEPER_USER = "runnel";
    /** Users every controller and broker knows ({@code runnel.cluster.security.users}). */
    static final String ADMIN_USER = "admin";
    static final String ADMIN_PASSWORD = "in-jvm-admin-password";
    static final String READER_USER = "viewer";
    static final String READER_PASSWORD = "in-jvm-viewer-password";

    private final Path dataDir;
    private final LocalZooKeeper zookeeper;
    private final Map<Integer, ConfigurableApplicationContext> controllers = new TreeMap<>();
    private final Map<Integer, ConfigurableApplicationContext> brokers = new TreeMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private String zooKeeperPassword;
    private final List<String> commonArgs = new ArrayList<>();
    private boolean closed;

    InJvmCluster() throws IOException {
        dataDir = TempLogDirs.create("runnel-cluster-");
        try {
            zookeeper = LocalZooKeeper.start(new LocalZooKeeper.Options("127.0.0.1", 0, dataDir.resolve("zookeeper")));
        } catch (IOException | RuntimeException e) {
            TempLogDirs.deleteRecursively(dataDir);
            throw e;
        }
    }

    /** Where the nodes keep their data (log directories are resolved against it). */
    Path dataDir() {
        return dataDir;
    }

    String connectString() {
        return zookeeper.connectString();
    }

    /**
     * Nodes started from now on authenticate to ZooKeeper as {@link #ZOOKEEPER_USER} with {@code
     * password} and put the cluster's ACLs on what they create ({@code runnel.zookeeper.auth.*}).
     */
    InJvmCluster withZooKeeperAuth(String password) {
        this.zooKeeperPassword = password;
        return this;
    }

    /** Nodes started from now on, controllers and brokers, also get {@code args}. */
    InJvmCluster withArgs(String... args) {
        commonArgs.addAll(List.of(args));
        return this;
    }

    ConfigurableApplicationContext startController(int id) {
        ConfigurableApplicationContext context = new SpringApplicationBuilder(ControllerApplication.class)
                .run(common("controller-" + id, "--runnel.controller.id=" + id,
                        "--runnel.controller.leader-rebalance.interval=500ms"));
        controllers.put(id, context);
        return context;
    }

    ConfigurableApplicationContext startBroker(int id, String rack) {
        return startBroker(id, rack, "broker-" + id);
    }

    /** Starts broker {@code id} with its logs in {@code logDirName} under the cluster's data dir, on Kafka port 0. */
    ConfigurableApplicationContext startBroker(int id, String rack, String logDirName, String... extraArgs) {
        return startBroker(id, rack, logDirName, 0, extraArgs);
    }

    /**
     * Starts broker {@code id} on Kafka port {@code kafkaPort}: 0 for any, or the port a stopped
     * broker had bound ({@link #kafkaPort}), for a restart on the port its clients know.
     */
    ConfigurableApplicationContext startBroker(int id, String rack, String logDirName, int kafkaPort,
            String... extraArgs) {
        List<String> args = new ArrayList<>(List.of("--runnel.broker.id=" + id,
                "--runnel.broker.kafka-port=" + kafkaPort,
                "--runnel.broker.log-dirs=" + dataDir.resolve(logDirName),
                "--runnel.broker.controlled-shutdown.backoff=100ms",
                // Brokers are not registered in discovery; on this shared classpath they would read the controller's settings.
                "--spring.cloud.zookeeper.discovery.register=false"));
        if (rack != null) {
            args.add("--runnel.broker.rack=" + rack);
        }
        args.addAll(List.of(extraArgs));
        ConfigurableApplicationContext context = new SpringApplicationBuilder(BrokerApplication.class)
                .run(common("broker-" + id, args.toArray(String[]::new)));
        brokers.put(id, context);
        return context;
    }

    private String[] common(String name, String... specific) {
        List<String> args = new ArrayList<>(List.of("--server.port=0",
                "--spring.cloud.zookeeper.connect-string=" + zookeeper.connectString(),
                "--spring.cloud.zookeeper.session-timeout=6s",
                "--spring.cloud.zookeeper.connection-timeout=3s",
                "--runnel.cluster.secret=" + SECRET,
                "--spring.application.name=" + name,
                "--logging.level.org.apache.zookeeper=WARN",
                "--logging.level.org.apache.curator=WARN",
                "--runnel.cluster.security.users[0].name=" + ADMIN_USER,
                "--runnel.cluster.security.users[0].password=" + ADMIN_PASSWORD,
                "--runnel.cluster.security.users[0].role=ADMIN",
                "--runnel.cluster.security.users[1].name=" + READER_USER,
                "--runnel.cluster.security.users[1].password=" + READER_PASSWORD,
                "--runnel.cluster.security.users[1].role=READ"));
        if (zooKeeperPassword != null) {
            args.addAll(List.of("--runnel.zookeeper.auth.username=" + ZOOKEEPER_USER,
                    "--runnel.zookeeper.auth.password=" + zooKeeperPassword));
        }
        args.addAll(commonArgs);
        args.addAll(List.of(specific));
        return args.toArray(String[]::new);
    }

    void stopController(int id) {
        controllers.remove(id).close();
    }

    void stopBroker(int id) {
        brokers.remove(id).close();
    }

    ConfigurableApplicationContext controller(int id) {
        return controllers.get(id);
    }

    ConfigurableApplicationContext broker(int id) {
        return brokers.get(id);
    }

    Map<Integer, ConfigurableApplicationContext> brokers() {
        return Map.copyOf(brokers);
    }

    /**
     * Starts controller 1, waits until it is active, then starts brokers 1..{@code brokers} with
     * {@code brokerArgs} and waits until the controller sees them all and they all serve clients.
     * If that fails, the whole cluster is closed before the failure is rethrown.
     */
    void startControllerAndBrokers(int brokers, String... brokerArgs) {
        try {
            startControllerAndBrokersOrFail(brokers, brokerArgs);
        } catch (RuntimeException | Error e) {
            try {
                close();
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private void startControllerAndBrokersOrFail(int brokers, String... brokerArgs) {
        startController(1);
        await().atMost(Duration.ofSeconds(60)).until(() -> controller(1).getBean(ActiveController.class).role()
                == ActiveController.Role.ACTIVE);
        for (int id = 1; id <= brokers; id++) {
            startBroker(id, null, "broker-" + id, brokerArgs);
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> controller(1).getBean(ActiveController.class).view()
                .brokers().size() == brokers && this.brokers.values().stream().allMatch(InJvmCluster::servesClients));
    }

    /** Whether a broker answers clients: it has the controller's full metadata for its registration. */
    static boolean servesClients(ConfigurableApplicationContext broker) {
        return broker.getBean(ReplicaManager.class).servesClients();
    }

    /** The Kafka port a broker context listens on: the one its listener bound. */
    static int kafkaPort(ConfigurableApplicationContext broker) {
        return broker.getBean(KafkaServer.class).port();
    }

    /** The port a broker's listener {@code name} bound. */
    static int kafkaPort(ConfigurableApplicationContext broker, String listener) {
        return broker.getBean(KafkaServer.class).port(listener);
    }

    /** A bootstrap list naming listener {@code listener} of brokers {@code ids}. */
    String bootstrap(String listener, int... ids) {
        StringBuilder list = new StringBuilder();
        for (int id : ids) {
            list.append(list.length() == 0 ? "" : ",").append("127.0.0.1:").append(kafkaPort(brokers.get(id), listener));
        }
        return list.toString();
    }

    /** A bootstrap list naming brokers {@code ids}. */
    String bootstrap(int... ids) {
        StringBuilder list = new StringBuilder();
        for (int id : ids) {
            list.append(list.length() == 0 ? "" : ",").append("127.0.0.1:").append(kafkaPort(brokers.get(id)));
        }
        return list.toString();
    }

    /** The HTTP address of a context: the port its web server bound. */
    static String url(ConfigurableApplicationContext context) {
        return "http://127.0.0.1:" + context.getEnvironment().getProperty("local.server.port");
    }

    /** An HTTP call as {@link #ADMIN_USER} (HTTP basic), with {@code headers} as well; returns status and body. */
    Response call(String method, String url, String json, Map<String, String> headers) throws IOException {
        Map<String, String> all = new HashMap<>(basic(ADMIN_USER, ADMIN_PASSWORD));
        all.putAll(headers);
        return callWith(method, url, json, all);
    }

    Response call(String method, String url, String json) throws IOException {
        return call(method, url, json, Map.of());
    }

    /** An HTTP call with exactly {@code headers}: no credentials unless they carry some. */
    Response callWith(String method, String url, String json, Map<String, String> headers) throws IOException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            request.header("Content-Type", "application/json");
        }
        headers.forEach(request::header);
        try {
            HttpResponse<String> response = http.send(request.build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Response(response.statusCode(), response.body(),
                    response.headers().firstValue("Content-Type").orElse(""));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    /** The {@code Authorization} header of HTTP basic. */
    static Map<String, String> basic(String user, String password) {
        return Map.of("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                (user + ":" + password).getBytes(StandardCharsets.UTF_8)));
    }

    /** An HTTP answer. */
    record Response(int status, String body, String contentType) {
    }

    /**
     * Closes every broker, then every controller, then ZooKeeper, and deletes the data; each step
     * runs even if one before failed. Safe to call twice.
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            for (Integer id : List.copyOf(brokers.keySet())) {
                stopBroker(id);
            }
        } finally {
            try {
                for (Integer id : List.copyOf(controllers.keySet())) {
                    stopController(id);
                }
            } finally {
                try {
                    zookeeper.close();
                } finally {
                    TempLogDirs.deleteRecursively(dataDir);
                }
            }
        }
    }
}
