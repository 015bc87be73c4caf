package dev.runnel.testcontainers;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.utility.DockerImageName;

import com.github.dockerjava.api.command.InspectContainerResponse;

/**
 * A whole Runnel in one Docker container, for tests: ZooKeeper, one controller and one broker,
 * started by the image's entrypoint {@code runnel-standalone} (the image is built by this module's
 * Dockerfile, see its README). Runnel's counterpart of Testcontainers' {@code KafkaContainer}.
 *
 * <pre>
 * RunnelContainer runnel = new RunnelContainer();      // runnel/runnel:&lt;this version&gt;
 * runnel.start();
 * producerProps.put("bootstrap.servers", runnel.getBootstrapServers());
 * </pre>
 *
 * <p>The broker's {@code EXTERNAL} listener ({@link #KAFKA_PORT}) is mapped to a random host port,
 * which is known only once the container runs, while a Kafka listener must advertise the address
 * clients reach it on. So, as Testcontainers' Kafka containers do, the container's command waits
 * for a start file that {@link #containerIsStarting} copies in with the mapped address (and the
 * {@link #withBrokerProperty broker properties}); then the nodes start. Containers on the same
 * {@link org.testcontainers.containers.Network} use the {@code INTERNAL} listener
 * ({@link #getInternalBootstrapServers()}). The container is ready when the entrypoint logs that the
 * broker is registered with the controller and ready.
 *
 * <p>With Spring Boot, {@code @ServiceConnection} on the container gives the application Kafka
 * connection details ({@link RunnelContainerConnectionDetailsFactory}).
 */
public class RunnelContainer extends GenericContainer<RunnelContainer> {

    /** The image without a tag; the default tag is this module's version. */
    public static final DockerImageName DEFAULT_IMAGE_NAME = DockerImageName.parse("runnel/runnel");

    /** The {@code EXTERNAL} listener, for clients on the Docker host (mapped). */
    public static final int KAFKA_PORT = 9092;

    /** The {@code INTERNAL} listener, for containers on the same network (not mapped). */
    public static final int INTERNAL_KAFKA_PORT = 19092;

    /** What the entrypoint logs once Runnel takes clients. */
    static final String READY_LINE = "runnel-standalone: Runnel is ready";

    /** What the wait strategy looks for in a log frame ((?s): a frame may hold more than one line). */
    static final String READY_LOG_REGEX = "(?s).*" + READY_LINE + ".*";

    /** Where the entrypoint waits for its start file ({@code RUNNEL_START_FILE}). */
    static final String START_FILE = "/tmp/runnel-start.env";

    static final String BROKER_CONFIG = "/tmp/runnel-broker.properties";

    /** The start file's last line: the entrypoint reads the file only once it is there, so never half of it. */
    static final String START_FILE_END = "RUNNEL_START_FILE_COMPLETE=1";

    /** What the entrypoint sets on the broker's command line; a broker property cannot change it. */
    static final Set<String> ENTRYPOINT_SETTINGS = Set.of("runnel.broker.id", "runnel.broker.host",
            "runnel.broker.log-dirs", "runnel.broker.listeners", "runnel.broker.advertised-listeners",
            "runnel.broker.listener-security-protocol-map", "runnel.broker.inter-broker-listener-name",
            "runnel.broker.kafka-port", "server.port", "server.address", "spring.cloud.zookeeper.connect-string",
            "runnel.process.port-file", "runnel.process.parent-pid", "runnel.cluster.secret");

    private final Map<String, String> brokerProperties = new LinkedHashMap<>();

    /** {@code runnel/runnel} tagged with this module's version. */
    public RunnelContainer() {
        this(defaultImageName());
    }

    public RunnelContainer(String image) {
        this(DockerImageName.parse(image));
    }

    /** An image built from this module's Dockerfile, under any name declared compatible with {@link #DEFAULT_IMAGE_NAME}. */
    public RunnelContainer(DockerImageName image) {
        super(image);
        image.assertCompatibleWith(DEFAULT_IMAGE_NAME);
        withExposedPorts(KAFKA_PORT);
        withEnv("RUNNEL_START_FILE", START_FILE);
        waitingFor(Wait.forLogMessage(READY_LOG_REGEX, 1).withStartupTimeout(Duration.ofMinutes(3)));
    }

    /**
     * A setting of the broker ({@code runnel.broker.auto-create-topics-enable}, {@code
     * logging.level.dev.runnel}, ...), as in its {@code application.yml}; it wins over the
     * single-broker defaults of the entrypoint (internal topics with one replica). The listeners,
     * ports, ids and ZooKeeper are the entrypoint's and refused here.
     */
    public RunnelContainer withBrokerProperty(String name, String value) {
        if (name == null || name.isBlank() || value == null) {
            throw new IllegalArgumentException("a broker property needs a name and a value");
        }
        if (ENTRYPOINT_SETTINGS.contains(name)) {
            throw new IllegalArgumentException(name + " is set by the container's entrypoint and cannot be changed");
        }
        brokerProperties.put(name, value);
        return self();
    }

    /** {@code host:port} of the {@code EXTERNAL} listener, for clients on the Docker host; once started. */
    public String getBootstrapServers() {
        return getHost() + ":" + getMappedPort(KAFKA_PORT);
    }

    /**
     * {@code alias:19092}, the {@code INTERNAL} listener, for other containers on the container's
     * {@link org.testcontainers.containers.Network}: it advertises the first network alias (without
     * a network, the container's host name); once started.
     */
    public String getInternalBootstrapServers() {
        return internalHost(getContainerInfo()) + ":" + INTERNAL_KAFKA_PORT;
    }

    @Override
    protected void containerIsStarting(InspectContainerResponse containerInfo) {
        super.containerIsStarting(containerInfo);
        String config = brokerConfig();
        if (config != null) {
            copyFileToContainer(Transferable.of(config), BROKER_CONFIG);
        }
        copyFileToContainer(Transferable.of(startFile(getBootstrapServers(),
                internalHost(containerInfo) + ":" + INTERNAL_KAFKA_PORT, config == null ? null : BROKER_CONFIG)),
                START_FILE);
    }

    private String internalHost(InspectContainerResponse info) {
        if (getNetwork() != null && !getNetworkAliases().isEmpty()) {
            return getNetworkAliases().get(0);
        }
        // Without a network of its own, the container's host name (its short id) resolves inside it.
        if (info == null) {
            throw new IllegalStateException("the container is not started");
        }
        return info.getConfig().getHostName();
    }

    /**
     * The start file: shell assignments the entrypoint reads before it starts anything.
     *
     * @param kafkaAdvertised    what the {@code EXTERNAL} listener advertises, {@code host:port}
     * @param internalAdvertised what the {@code INTERNAL} listener advertises
     * @param brokerConfig       the broker properties file in the container, or null
     */
    static String startFile(String kafkaAdvertised, String internalAdvertised, String brokerConfig) {
        StringBuilder file = new StringBuilder("# RunnelContainer: the addresses known once the container runs\n");
        file.append("RUNNEL_KAFKA_ADVERTISED=").append(shellQuoted(kafkaAdvertised)).append('\n');
        file.append("RUNNEL_INTERNAL_ADVERTISED=").append(shellQuoted(internalAdvertised)).append('\n');
        if (brokerConfig != null) {
            file.append("RUNNEL_BROKER_CONFIG=").append(shellQuoted(brokerConfig)).append('\n');
        }
        return file.append(START_FILE_END).append('\n').toString();
    }

    /** The broker properties as a properties file, or null when there are none. */
    String brokerConfig() {
        if (brokerProperties.isEmpty()) {
            return null;
        }
        Properties properties = new Properties();
        properties.putAll(brokerProperties);
        StringWriter out = new StringWriter();
        try {
            properties.store(out, "RunnelContainer.withBrokerProperty");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    private static String shellQuoted(String value) {
        if (value.contains("'") || value.contains("\n")) {
            throw new IllegalArgumentException("cannot pass " + value + " to the container's entrypoint");
        }
        return "'" + value + "'";
    }

    /** {@code runnel/runnel:<this module's version>}. */
    static DockerImageName defaultImageName() {
        return DEFAULT_IMAGE_NAME.withTag(projectVersion());
    }

    /** This module's version, from the resource Maven filters. */
    static String projectVersion() {
        try (InputStream in = RunnelContainer.class.getResourceAsStream("runnel-testcontainers.properties")) {
            if (in == null) {
                throw new IllegalStateException("runnel-testcontainers.properties is missing from the class path");
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
