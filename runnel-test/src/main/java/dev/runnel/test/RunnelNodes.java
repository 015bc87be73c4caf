package dev.runnel.test;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import dev.runnel.broker.BrokerApplication;
import dev.runnel.controller.ControllerApplication;

/**
 * Starts one controller or broker as a Spring Boot context in this JVM, with what every node of
 * an in-JVM cluster needs: HTTP and Kafka ports bound as 0 on loopback, the cluster secret, an
 * admin user, ZooKeeper's address and short timeouts. {@link RunnelCluster} starts its nodes
 * here; a test that needs more control (several controllers, racks, listeners) may too.
 *
 * <p>A node reads only its own service's {@code application.yml} (from the jar or directory its
 * main class comes from), never the application's under test, which is on the same class path:
 * the test's {@code server.port} or {@code spring.application.name} do not leak into a broker.
 * The Runnel starter's and Spring Boot's Kafka client auto-configurations are excluded from the
 * nodes, since a broker is not a Kafka client of itself.
 */
public final class RunnelNodes {

    /** Auto-configurations a node never needs, whichever of them the test's class path has. */
    static final String EXCLUDED_AUTO_CONFIGURATIONS = String.join(",",
            "dev.runnel.client.autoconfigure.RunnelClientAutoConfiguration",
            "dev.runnel.client.autoconfigure.LogListenerAutoConfiguration",
            "org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration",
            "org.springframework.boot.kafka.autoconfigure.metrics.KafkaMetricsAutoConfiguration");

    private RunnelNodes() {
    }

    /**
     * What every node of one cluster shares.
     *
     * @param zooKeeper     the ZooKeeper connect string
     * @param secret        {@code runnel.cluster.secret}, which nodes present to each other
     * @param adminUser     a user of the HTTP admin APIs with role ADMIN
     * @param adminPassword its password
     * @param dataDir       where brokers keep their logs, {@code broker-<id>} under it
     */
    public record Settings(String zooKeeper, String secret, String adminUser, String adminPassword, Path dataDir) {
    }

    /** Starts controller {@code id}; {@code overrides} win over every setting made here. */
    public static ConfigurableApplicationContext startController(Settings settings, int id,
            Map<String, String> overrides) {
        List<String> args = common(settings, ControllerApplication.class, "runnel-controller-" + id);
        args.addAll(List.of("--runnel.controller.id=" + id,
                "--runnel.controller.leader-rebalance.interval=1s"));
        return run(ControllerApplication.class, args, overrides);
    }

    /**
     * Starts broker {@code id} of a cluster of {@code clusterSize} brokers, its Kafka listener on
     * {@code kafkaPort} (0 for any) and its logs in {@code broker-<id>} under the data dir. The
     * internal topics get a replication factor of at most {@code clusterSize} and few partitions.
     */
    public static ConfigurableApplicationContext startBroker(Settings settings, int id, int clusterSize, int kafkaPort,
            Map<String, String> overrides) {
        int internalRf = Math.min(3, clusterSize);
        List<String> args = common(settings, BrokerApplication.class, "runnel-broker-" + id);
        args.addAll(List.of("--runnel.broker.id=" + id,
                "--runnel.broker.kafka-port=" + kafkaPort,
                "--runnel.broker.log-dirs=" + settings.dataDir().resolve("broker-" + id),
                "--runnel.broker.offsets-topic.replication-factor=" + internalRf,
                "--runnel.broker.offsets-topic.partitions=5",
                "--runnel.broker.transaction-state-log.replication-factor=" + internalRf,
                "--runnel.broker.transaction-state-log.partitions=5",
                "--runnel.broker.share-coordinator.state-topic.replication-factor=" + internalRf,
                "--runnel.broker.share-coordinator.state-topic.partitions=5",
                // A test's consumers join at once and may ask for short sessions.
                "--runnel.broker.group.initial-rebalance-delay=0s",
                "--runnel.broker.group.min-session-timeout=1s",
                // With one broker there is nowhere to move leaderships to before it stops.
                "--runnel.broker.controlled-shutdown.enabled=" + (clusterSize > 1),
                "--runnel.broker.controlled-shutdown.backoff=100ms",
                "--spring.cloud.zookeeper.discovery.register=false"));
        return run(BrokerApplication.class, args, overrides);
    }

    private static List<String> common(Settings settings, Class<?> main, String name) {
        return new ArrayList<>(List.of(
                "--spring.config.location=" + ownApplicationYml(main),
                "--spring.autoconfigure.exclude=" + EXCLUDED_AUTO_CONFIGURATIONS,
                "--spring.application.name=" + name,
                "--spring.main.banner-mode=off",
                "--spring.jmx.enabled=false",
                "--server.port=0",
                "--server.address=127.0.0.1",
                // Nothing waits for in-flight HTTP requests when a test cluster stops.
                "--server.shutdown=immediate",
                "--spring.cloud.zookeeper.enabled=true",
                "--spring.cloud.zookeeper.connect-string=" + settings.zooKeeper(),
                "--spring.cloud.zookeeper.session-timeout=6s",
                "--spring.cloud.zookeeper.connection-timeout=3s",
                "--runnel.cluster.secret=" + settings.secret(),
                "--runnel.cluster.security.users[0].name=" + settings.adminUser(),
                "--runnel.cluster.security.users[0].password=" + settings.adminPassword(),
                "--runnel.cluster.security.users[0].role=ADMIN",
                "--logging.level.org.apache.zookeeper=WARN",
                "--logging.level.org.apache.curator=WARN",
                "--logging.level.org.apache.kafka=WARN"));
    }

    private static ConfigurableApplicationContext run(Class<?> main, List<String> args, Map<String, String> overrides) {
        List<String> all = new ArrayList<>(args);
        overrides.forEach((name, value) -> all.add("--" + name + "=" + value));
        // No JVM shutdown hook of its own: at exit Spring Boot's hook closes contexts in the order they started,
        // so a broker would stop before the application under test, whose consumers then wait for it to leave
        // their groups. The node is closed by its owner (RunnelCluster.close), after the application.
        return new SpringApplicationBuilder(main).registerShutdownHook(false).run(all.toArray(String[]::new));
    }

    /**
     * The {@code application.yml} beside {@code main}: in the jar it was loaded from, or in its
     * classes directory when it runs from a build's {@code target/classes}.
     */
    static String ownApplicationYml(Class<?> main) {
        URL location = main.getProtectionDomain().getCodeSource().getLocation();
        String text = location.toString();
        if (!"file".equals(location.getProtocol())) {
            // A jar inside a Spring Boot executable jar: jar:nested:/app.jar/!BOOT-INF/lib/broker-service.jar!/
            return text.endsWith("!/") ? text + "application.yml" : "jar:" + text + "!/application.yml";
        }
        try {
            Path path = Path.of(location.toURI());
            if (Files.isDirectory(path)) {
                return path.resolve("application.yml").toUri().toString();
            }
            return "jar:" + path.toUri() + "!/application.yml";
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate the classes of " + main.getName() + " at " + location, e);
        }
    }
}
