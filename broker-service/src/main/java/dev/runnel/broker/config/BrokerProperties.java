package dev.runnel.broker.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Settings of a broker ({@code runnel.broker.*}): the flat ones here, each nested group
 * ({@code runnel.broker.group.*}, {@code offsets-topic.*}, {@code log-cleaner.*} ...) in its own
 * {@code *Properties} class, bound by its getter's name.
 */
@ConfigurationProperties("runnel.broker")
public class BrokerProperties {

    /** This broker's id; must be unique in the cluster (a second broker with a taken id fails to start). */
    private int id = 1;

    /** The host clients and other processes reach this broker on (advertised). */
    private String host = "127.0.0.1";

    /**
     * The Kafka protocol port, listened on and advertised; 0 lets the kernel choose a free port,
     * which is then the one registered and advertised (and reported in {@code runnel.process.port-file}).
     */
    private int kafkaPort = 9092;

    /** The address the Kafka listener binds. */
    private String listenHost = "127.0.0.1";

    /** The largest request a client may send ({@code socket.request.max.bytes}); a larger one closes its connection. */
    private DataSize socketRequestMaxBytes = DataSize.ofMegabytes(100);

    /**
     * Heap that request frames may hold at once across all connections ({@code
     * queued.max.request.bytes}): a connection whose next request does not fit stops reading
     * until earlier requests are handled. Unset, a quarter of the JVM's maximum heap, so that
     * many clients sending large requests at once queue instead of exhausting memory; zero or
     * negative (Kafka's -1), unbounded.
     */
    private DataSize queuedMaxRequestBytes;

    /**
     * Threads that run request handlers, off the network threads ({@code num.io.threads}, default
     * 8): a handler that waits for the disk (a segment roll's fsync, a write held up by writeback)
     * holds up only its own connection. 0 runs handlers on the network threads: faster on a small
     * machine that also runs the clients, but one slow disk operation then stalls every connection
     * of that network thread (docs/benchmarks.md has both).
     */
    private int numIoThreads = 8;

    /**
     * Event loops that read requests and write answers ({@code num.network.threads}); each
     * connection stays on one. 0 (the default): one per core, at least 2.
     */
    private int numNetworkThreads = 0;

    /**
     * Requests that may wait for a request-handler thread; past that, connections stop being read
     * until there is room ({@code queued.max.requests}).
     */
    private int queuedMaxRequests = 500;

    /** Threads of the broker's scheduler: log flushes and retention, ISR expiry, timeouts ({@code background.threads}). */
    private int backgroundThreads = 10;

    /** A client connection idle this long, with no request waiting, is closed ({@code connections.max.idle.ms}). */
    private Duration connectionsMaxIdle = Duration.ofMinutes(10);

    /** The broker's rack or zone, for rack-aware replica placement; empty when racks are not used. */
    private String rack;

    /** Directories holding the partition logs; a new partition goes to the one holding the fewest. */
    private List<Path> logDirs = List.of(Path.of("data", "broker"));

    /**
     * Whether a Metadata request naming an unknown topic creates it with the controller's default
     * partitions and replication factor ({@code auto.create.topics.enable}); off, so a typo does
     * not make a topic.
     */
    private boolean autoCreateTopicsEnable;

    /**
     * How long a follower may go without catching up to the leader's log end before the leader
     * drops it from the ISR ({@code replica.lag.time.max.ms}).
     */
    private Duration replicaLagTimeMax = Duration.ofSeconds(30);

    /**
     * How long a command from the controller may wait to be applied before the broker's
     * {@code metadata} health component (part of readiness) says DOWN: its view of the cluster is
     * that far behind the controller's.
     */
    private Duration metadataMaxLag = Duration.ofSeconds(30);

    /**
     * How long the controller's call waits for its command to be applied before it is answered
     * "queued" (the command is applied later, in order). Keep it well under the controller's
     * {@code runnel.cluster.request-timeout}.
     */
    private Duration controllerCommandWait = Duration.ofSeconds(3);

    private final ControlledShutdownProperties controlledShutdown = new ControlledShutdownProperties();

    private final GroupProperties group = new GroupProperties();

    private final OffsetsTopicProperties offsetsTopic = new OffsetsTopicProperties();

    private final LogCleanerProperties logCleaner = new LogCleanerProperties();

    private final TransactionStateLogProperties transactionStateLog = new TransactionStateLogProperties();

    private final TransactionProperties transaction = new TransactionProperties();

    private final ShareCoordinatorProperties shareCoordinator = new ShareCoordinatorProperties();

    /** The consumer group coordinator ({@code group.*}). */
    public GroupProperties getGroup() {
        return group;
    }

    /** The log cleaner ({@code log-cleaner.*}). */
    public LogCleanerProperties getLogCleaner() {
        return logCleaner;
    }

    /** The {@code __consumer_offsets} topic ({@code offsets-topic.*}). */
    public OffsetsTopicProperties getOffsetsTopic() {
        return offsetsTopic;
    }

    /** The {@code __transaction_state} topic ({@code transaction-state-log.*}). */
    public TransactionStateLogProperties getTransactionStateLog() {
        return transactionStateLog;
    }

    /** The share coordinator and {@code __share_group_state} ({@code share-coordinator.*}). */
    public ShareCoordinatorProperties getShareCoordinator() {
        return shareCoordinator;
    }

    /** The transaction coordinator ({@code transaction.*}). */
    public TransactionProperties getTransaction() {
        return transaction;
    }

    /** Moving leaderships away before the broker stops ({@code controlled-shutdown.*}). */
    public ControlledShutdownProperties getControlledShutdown() {
        return controlledShutdown;
    }

    public int getId() {
        return id;
    }

    public void setId(int id) {
        this.id = id;
    }

    public String getHost() {
        return host;
    }

    public void setHost(String host) {
        this.host = host;
    }

    public int getKafkaPort() {
        return kafkaPort;
    }

    public void setKafkaPort(int kafkaPort) {
        this.kafkaPort = kafkaPort;
    }

    public String getListenHost() {
        return listenHost;
    }

    public void setListenHost(String listenHost) {
        this.listenHost = listenHost;
    }

    public DataSize getQueuedMaxRequestBytes() {
        return queuedMaxRequestBytes;
    }

    public void setQueuedMaxRequestBytes(DataSize queuedMaxRequestBytes) {
        this.queuedMaxRequestBytes = queuedMaxRequestBytes;
    }

    public int getNumIoThreads() {
        return numIoThreads;
    }

    public void setNumIoThreads(int numIoThreads) {
        this.numIoThreads = numIoThreads;
    }

    public int getNumNetworkThreads() {
        return numNetworkThreads;
    }

    public void setNumNetworkThreads(int numNetworkThreads) {
        this.numNetworkThreads = numNetworkThreads;
    }

    public int getQueuedMaxRequests() {
        return queuedMaxRequests;
    }

    public void setQueuedMaxRequests(int queuedMaxRequests) {
        this.queuedMaxRequests = queuedMaxRequests;
    }

    public int getBackgroundThreads() {
        return backgroundThreads;
    }

    public void setBackgroundThreads(int backgroundThreads) {
        this.backgroundThreads = backgroundThreads;
    }

    public Duration getConnectionsMaxIdle() {
        return connectionsMaxIdle;
    }

    public void setConnectionsMaxIdle(Duration connectionsMaxIdle) {
        this.connectionsMaxIdle = connectionsMaxIdle;
    }

    public DataSize getSocketRequestMaxBytes() {
        return socketRequestMaxBytes;
    }

    public void setSocketRequestMaxBytes(DataSize socketRequestMaxBytes) {
        this.socketRequestMaxBytes = socketRequestMaxBytes;
    }

    public String getRack() {
        return rack;
    }

    public void setRack(String rack) {
        this.rack = rack == null || rack.isBlank() ? null : rack;
    }

    public List<Path> getLogDirs() {
        return logDirs;
    }

    public void setLogDirs(List<Path> logDirs) {
        this.logDirs = logDirs;
    }

    public Duration getReplicaLagTimeMax() {
        return replicaLagTimeMax;
    }

    public void setReplicaLagTimeMax(Duration replicaLagTimeMax) {
        this.replicaLagTimeMax = replicaLagTimeMax;
    }

    public Duration getMetadataMaxLag() {
        return metadataMaxLag;
    }

    public void setMetadataMaxLag(Duration metadataMaxLag) {
        this.metadataMaxLag = metadataMaxLag;
    }

    public Duration getControllerCommandWait() {
        return controllerCommandWait;
    }

    public void setControllerCommandWait(Duration controllerCommandWait) {
        this.controllerCommandWait = controllerCommandWait;
    }

    public boolean isAutoCreateTopicsEnable() {
        return autoCreateTopicsEnable;
    }

    public void setAutoCreateTopicsEnable(boolean autoCreateTopicsEnable) {
        this.autoCreateTopicsEnable = autoCreateTopicsEnable;
    }
}
