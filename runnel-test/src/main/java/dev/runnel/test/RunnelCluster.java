package dev.runnel.test;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ConfigurableApplicationContext;

import dev.runnel.broker.protocol.KafkaServer;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.controller.election.ActiveController;
import dev.runnel.testing.TempLogDirs;
import dev.runnel.zookeeper.LocalZooKeeper;

/**
 * A Runnel cluster in this JVM, for application tests: a ZooKeeper server ({@link LocalZooKeeper}),
 * one controller and one or three brokers as Spring Boot contexts, every port bound as 0 on
 * loopback and read back from the context that bound it. Clients connect to {@link
 * #bootstrapServers()}. {@link #close()} stops every node and ZooKeeper and deletes the data.
 *
 * <pre>
 * try (RunnelCluster cluster = RunnelCluster.builder().brokers(1).topic("orders", 3, 1).start()) {
 *     // producers and consumers on cluster.bootstrapServers()
 * }
 * </pre>
 *
 * <p>Internal topics ({@code __consumer_offsets}, transactions, share-group state) get a
 * replication factor of at most the broker count and a few partitions, so they are created
 * at once; consumer groups rebalance without the initial delay. Not thread-safe: one test
 * thread starts, stops and closes it.
 */
public final class RunnelCluster implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RunnelCluster.class);

    /** The user every node knows for its HTTP admin API ({@code runnel.cluster.security.users}), as ADMIN. */
    public static final String ADMIN_USER = "admin";

    private final Builder settings;
    private final Path dataDir;
    private final String secret = UUID.randomUUID().toString();
    private final String adminPassword = UUID.randomUUID().toString();
    private final LocalZooKeeper zookeeper;
    private final Map<Integer, ConfigurableApplicationContext> brokers = new TreeMap<>();
    private final Map<Integer, Integer> brokerPorts = new TreeMap<>();
    private ConfigurableApplicationContext controller;
    private boolean closed;
    private String startTimes = "starting";

    private RunnelCluster(Builder settings) throws IOException {
        this.settings = settings;
        this.dataDir = TempLogDirs.create("runnel-test-");
        try {
            this.zookeeper = LocalZooKeeper.start(new LocalZooKeeper.Options("127.0.0.1", 0, dataDir.resolve("zookeeper")));
        } catch (IOException | RuntimeException e) {
            TempLogDirs.deleteRecursively(dataDir);
            throw e;
        }
    }

    /** A cluster of one broker with no topics, until the builder says otherwise. */
    public static Builder builder() {
        return new Builder();
    }

    /** What to start: brokers, topics, property overrides. */
    public static final class Builder {

        private int brokers = 1;
        private final List<NewTopic> topics = new ArrayList<>();
        private final Map<String, String> brokerProperties = new LinkedHashMap<>();
        private final Map<String, String> controllerProperties = new LinkedHashMap<>();
        private Duration startTimeout = Duration.ofSeconds(60);

        private Builder() {
        }

        /** 1 (the default) or 3 brokers. */
        public Builder brokers(int count) {
            if (count != 1 && count != 3) {
                throw new IllegalArgumentException("brokers must be 1 or 3, not " + count);
            }
            this.brokers = count;
            return this;
        }

        /** A topic created once the brokers serve clients. */
        public Builder topic(String name, int partitions, int replicationFactor) {
            topics.add(new NewTopic(name, partitions, (short) replicationFactor));
            return this;
        }

        /** Topics of {@code partitions} partitions each, replicated on every broker. */
        public Builder topics(int partitions, String... names) {
            for (String name : names) {
                topics.add(new NewTopic(name, partitions, (short) -1));
            }
            return this;
        }

        /** A broker setting, e.g. {@code runnel.broker.log-retention}; wins over this class's own. */
        public Builder brokerProperty(String name, String value) {
            brokerProperties.put(name, value);
            return this;
        }

        /** A controller setting, e.g. {@code runnel.controller.default-partitions}; wins over this class's own. */
        public Builder controllerProperty(String name, String value) {
            controllerProperties.put(name, value);
            return this;
        }

        /** How long the start may take before it fails (60 s by default). */
        public Builder startTimeout(Duration timeout) {
            this.startTimeout = timeout;
            return this;
        }

        /**
         * Starts ZooKeeper, the controller and the brokers and creates the topics; returns once
         * every broker serves clients. If any of that fails, what was started is stopped and its
         * data deleted before the failure is thrown.
         */
        public RunnelCluster start() {
            RunnelCluster cluster;
            try {
                cluster = new RunnelCluster(this);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            try {
                cluster.startAll();
                return cluster;
            } catch (RuntimeException | Error e) {
                cluster.closeQuietly(e);
                throw e;
            }
        }
    }

    private void startAll() {
        long start = System.nanoTime();
        controller = RunnelNodes.startController(nodeSettings(), 1, settings.controllerProperties);
        long controllerStarted = System.nanoTime();
        for (int id = 1; id <= settings.brokers; id++) {
            startBroker(id);
        }
        long brokersStarted = System.nanoTime();
        await().atMost(settings.startTimeout).pollInterval(Duration.ofMillis(20)).until(() -> {
            ActiveController active = controller.getBean(ActiveController.class);
            return active.role() == ActiveController.Role.ACTIVE && active.view().brokers().size() == brokers.size()
                    && brokers.values().stream().allMatch(b -> b.getBean(ReplicaManager.class).servesClients());
        });
        long ready = System.nanoTime();
        if (!settings.topics.isEmpty()) {
            createTopics(settings.topics);
        }
        startTimes = String.format("started in %d ms: controller %d ms, brokers %d ms, until they serve clients %d ms,"
                + " %d topic(s) %d ms", millis(start, System.nanoTime()), millis(start, controllerStarted),
                millis(controllerStarted, brokersStarted), millis(brokersStarted, ready), settings.topics.size(),
                millis(ready, System.nanoTime()));
        LOG.info("{}", this);
    }

    private static long millis(long from, long to) {
        return (to - from) / 1_000_000;
    }

    private RunnelNodes.Settings nodeSettings() {
        return new RunnelNodes.Settings(zookeeper.connectString(), secret, ADMIN_USER, adminPassword, dataDir);
    }

    /** {@code host:port,...} of every running broker's Kafka listener. */
    public String bootstrapServers() {
        return brokers.values().stream().map(b -> "127.0.0.1:" + b.getBean(KafkaServer.class).port())
                .collect(Collectors.joining(","));
    }

    /** The ZooKeeper connect string the nodes use. */
    public String zooKeeperConnectString() {
        return zookeeper.connectString();
    }

    /** The controller's HTTP admin API, e.g. {@code http://127.0.0.1:40123}; calls need {@link #ADMIN_USER}. */
    public String controllerUrl() {
        return "http://127.0.0.1:" + controller.getEnvironment().getProperty("local.server.port");
    }

    /** The password of {@link #ADMIN_USER}, random per cluster. */
    public String adminPassword() {
        return adminPassword;
    }

    /** The ids of the running brokers, 1 to the broker count. */
    public Set<Integer> brokerIds() {
        return Set.copyOf(brokers.keySet());
    }

    /** The Spring context of running broker {@code id}, for tests that need one of its beans. */
    public ConfigurableApplicationContext broker(int id) {
        ConfigurableApplicationContext broker = brokers.get(id);
        if (broker == null) {
            throw new IllegalArgumentException("broker " + id + " is not running");
        }
        return broker;
    }

    /** The controller's Spring context. */
    public ConfigurableApplicationContext controller() {
        return controller;
    }

    /** Client settings that reach this cluster: {@code bootstrap.servers}. */
    public Map<String, Object> clientProperties() {
        return Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    }

    /**
     * Creates a topic and returns once every partition has a leader; a topic that exists already
     * is left as it is. A replication factor of -1 means every broker.
     */
    public void createTopic(String name, int partitions, int replicationFactor) {
        createTopics(List.of(new NewTopic(name, partitions, (short) replicationFactor)));
    }

    private void createTopics(List<NewTopic> topics) {
        List<NewTopic> resolved = topics.stream().map(t -> t.replicationFactor() > 0 ? t
                : new NewTopic(t.name(), t.numPartitions(), (short) brokers.size())).toList();
        try (Admin admin = Admin.create(clientProperties())) {
            for (NewTopic topic : resolved) {
                try {
                    admin.createTopics(List.of(topic)).all().get();
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + topic.name() + ": " + e.getCause(), e);
                    }
                }
            }
            List<String> names = resolved.stream().map(NewTopic::name).toList();
            await().atMost(settings.startTimeout).pollInterval(Duration.ofMillis(20))
                    .ignoreExceptions().until(() -> allLed(admin.describeTopics(names).allTopicNames().get()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        }
    }

    private static boolean allLed(Map<String, TopicDescription> topics) {
        return topics.values().stream().flatMap(t -> t.partitions().stream())
                .allMatch(p -> p.leader() != null && !p.leader().isEmpty());
    }

    /** Stops broker {@code id} (its context closes, its ZooKeeper registration goes at once); its logs stay. */
    public void stopBroker(int id) {
        broker(id);
        brokers.remove(id).close();
    }

    /**
     * Starts broker {@code id} again, on the Kafka port and log directory it had, and returns
     * once it serves clients.
     */
    public void startBroker(int id) {
        if (brokers.containsKey(id)) {
            throw new IllegalStateException("broker " + id + " is running");
        }
        if (id < 1 || id > settings.brokers) {
            throw new IllegalArgumentException("no broker " + id + " in a cluster of " + settings.brokers);
        }
        int port = brokerPorts.getOrDefault(id, 0);
        ConfigurableApplicationContext broker = RunnelNodes.startBroker(nodeSettings(), id, settings.brokers, port,
                settings.brokerProperties);
        brokers.put(id, broker);
        brokerPorts.put(id, broker.getBean(KafkaServer.class).port());
        if (controller != null && port != 0) {
            await().atMost(settings.startTimeout).pollInterval(Duration.ofMillis(20))
                    .until(() -> broker.getBean(ReplicaManager.class).servesClients());
        }
    }

    /** Stops every broker, the controller and ZooKeeper, and deletes the data; each step runs even if one failed. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException failure = null;
        for (Integer id : List.copyOf(brokers.keySet())) {
            failure = attempt(() -> brokers.remove(id).close(), failure);
        }
        if (controller != null) {
            failure = attempt(controller::close, failure);
        }
        failure = attempt(zookeeper::close, failure);
        failure = attempt(() -> TempLogDirs.deleteRecursively(dataDir), failure);
        if (failure != null) {
            throw failure;
        }
    }

    private static RuntimeException attempt(Runnable step, RuntimeException failure) {
        try {
            step.run();
            return failure;
        } catch (RuntimeException e) {
            if (failure == null) {
                return e;
            }
            failure.addSuppressed(e);
            return failure;
        }
    }

    private void closeQuietly(Throwable cause) {
        try {
            close();
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
    }

    /** Its brokers, bootstrap servers and how long each step of its start took. */
    @Override
    public String toString() {
        return "RunnelCluster[" + settings.brokers + " broker(s), " + (closed ? "closed" : bootstrapServers()) + ", "
                + startTimes + "]";
    }

    /** Whether {@link #close()} has run. */
    public boolean isClosed() {
        return closed;
    }
}
