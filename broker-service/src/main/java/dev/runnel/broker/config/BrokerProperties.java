package dev.runnel.broker.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/** Settings of a broker ({@code runnel.broker.*}). */
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

    private final ControlledShutdown controlledShutdown = new ControlledShutdown();

    private final Group group = new Group();

    private final OffsetsTopic offsetsTopic = new OffsetsTopic();

    /** The consumer group coordinator ({@code group.*} in Kafka). */
    public static class Group {

        /**
         * How long the first rebalance of an empty group waits for more members, extended while
         * they keep arriving ({@code group.initial.rebalance.delay.ms}).
         */
        private Duration initialRebalanceDelay = Duration.ofSeconds(3);

        /** The shortest session timeout a member may ask for ({@code group.min.session.timeout.ms}). */
        private Duration minSessionTimeout = Duration.ofSeconds(6);

        /** The longest session timeout a member may ask for ({@code group.max.session.timeout.ms}). */
        private Duration maxSessionTimeout = Duration.ofMinutes(30);

        /** The most members a group may have ({@code group.max.size}). */
        private int maxSize = Integer.MAX_VALUE;

        public Duration getInitialRebalanceDelay() {
            return initialRebalanceDelay;
        }

        public void setInitialRebalanceDelay(Duration initialRebalanceDelay) {
            this.initialRebalanceDelay = initialRebalanceDelay;
        }

        public Duration getMinSessionTimeout() {
            return minSessionTimeout;
        }

        public void setMinSessionTimeout(Duration minSessionTimeout) {
            this.minSessionTimeout = minSessionTimeout;
        }

        public Duration getMaxSessionTimeout() {
            return maxSessionTimeout;
        }

        public void setMaxSessionTimeout(Duration maxSessionTimeout) {
            this.maxSessionTimeout = maxSessionTimeout;
        }

        public int getMaxSize() {
            return maxSize;
        }

        public void setMaxSize(int maxSize) {
            this.maxSize = maxSize;
        }

        /** The consumer group protocol (KIP-848, {@code group.protocol=consumer}). */
        private final Consumer consumer = new Consumer();

        public Consumer getConsumer() {
            return consumer;
        }

        /** The consumer group protocol's settings, as Kafka's {@code group.consumer.*} broker configs. */
        public static class Consumer {

            /** A member not heard from for this long is removed and its partitions move ({@code group.consumer.session.timeout.ms}). */
            private Duration sessionTimeout = Duration.ofSeconds(45);

            /** How often members heartbeat ({@code group.consumer.heartbeat.interval.ms}). */
            private Duration heartbeatInterval = Duration.ofSeconds(5);

            /** The server-side assignors, the first the default: uniform, range ({@code group.consumer.assignors}). */
            private List<String> assignors = new ArrayList<>(List.of("uniform", "range"));

            /**
             * Whether groups move online between the classic and the consumer group protocols
             * ({@code group.consumer.migration.policy}): disabled, upgrade, downgrade or bidirectional.
             */
            private String migrationPolicy = "bidirectional";

            public String getMigrationPolicy() {
                return migrationPolicy;
            }

            public void setMigrationPolicy(String migrationPolicy) {
                this.migrationPolicy = migrationPolicy;
            }

            public Duration getSessionTimeout() {
                return sessionTimeout;
            }

            public void setSessionTimeout(Duration sessionTimeout) {
                this.sessionTimeout = sessionTimeout;
            }

            public Duration getHeartbeatInterval() {
                return heartbeatInterval;
            }

            public void setHeartbeatInterval(Duration heartbeatInterval) {
                this.heartbeatInterval = heartbeatInterval;
            }

            public List<String> getAssignors() {
                return assignors;
            }

            public void setAssignors(List<String> assignors) {
                this.assignors = assignors;
            }
        }

        /** Share groups (KIP-932, {@code KafkaShareConsumer}). */
        private final ShareGroupProperties share = new ShareGroupProperties();

        public ShareGroupProperties getShare() {
            return share;
        }
    }

    /** The {@code __consumer_offsets} topic, where groups and committed offsets are kept. */
    public static class OffsetsTopic {

        /** Its partitions, fixed once it exists ({@code offsets.topic.num.partitions}). */
        private int partitions = 50;

        /** Its replication factor: it is created once that many brokers are alive ({@code offsets.topic.replication.factor}). */
        private int replicationFactor = 3;

        /** How long an empty group's offsets are kept ({@code offsets.retention.minutes}). */
        private Duration retention = Duration.ofDays(7);

        /** How often expired offsets are looked for ({@code offsets.retention.check.interval.ms}). */
        private Duration retentionCheckInterval = Duration.ofMinutes(10);

        /** How long a commit may wait for the ISR ({@code offsets.commit.timeout.ms}). */
        private Duration commitTimeout = Duration.ofSeconds(5);

        /** The largest metadata string a commit may carry ({@code offset.metadata.max.bytes}). */
        private int metadataMaxBytes = 4096;

        /** {@code segment.bytes} of the offsets topic when this broker creates it ({@code offsets.topic.segment.bytes}). */
        private DataSize segmentBytes = DataSize.ofBytes(104857600);

        public DataSize getSegmentBytes() {
            return segmentBytes;
        }

        public void setSegmentBytes(DataSize segmentBytes) {
            this.segmentBytes = segmentBytes;
        }

        public int getPartitions() {
            return partitions;
        }

        public void setPartitions(int partitions) {
            this.partitions = partitions;
        }

        public int getReplicationFactor() {
            return replicationFactor;
        }

        public void setReplicationFactor(int replicationFactor) {
            this.replicationFactor = replicationFactor;
        }

        public Duration getRetention() {
            return retention;
        }

        public void setRetention(Duration retention) {
            this.retention = retention;
        }

        public Duration getRetentionCheckInterval() {
            return retentionCheckInterval;
        }

        public void setRetentionCheckInterval(Duration retentionCheckInterval) {
            this.retentionCheckInterval = retentionCheckInterval;
        }

        public Duration getCommitTimeout() {
            return commitTimeout;
        }

        public void setCommitTimeout(Duration commitTimeout) {
            this.commitTimeout = commitTimeout;
        }

        public int getMetadataMaxBytes() {
            return metadataMaxBytes;
        }

        public void setMetadataMaxBytes(int metadataMaxBytes) {
            this.metadataMaxBytes = metadataMaxBytes;
        }
    }

    public Group getGroup() {
        return group;
    }

    /** The log cleaner, which compacts topics with {@code cleanup.policy=compact} (Kafka's {@code log.cleaner.*}). */
    public static class LogCleaner {

        /** Whether compacted logs are cleaned at all ({@code log.cleaner.enable}). */
        private boolean enabled = true;

        /** Cleaner threads per log directory ({@code log.cleaner.threads}). */
        private int threads = 1;

        /** Memory for the cleaner threads' key-to-offset maps, shared by them ({@code log.cleaner.dedupe.buffer.size}). */
        private DataSize dedupeBufferSize = DataSize.ofMegabytes(128);

        /** How full a map may get before a round stops adding keys ({@code log.cleaner.io.buffer.load.factor}). */
        private double ioBufferLoadFactor = 0.9;

        /** Read and write buffers of the cleaner threads, shared by them ({@code log.cleaner.io.buffer.size}). */
        private DataSize ioBufferSize = DataSize.ofKilobytes(512);

        /** Bytes per second the cleaners may read and write together; unlimited if unset ({@code log.cleaner.io.max.bytes.per.second}). */
        private DataSize ioMaxBytesPerSecond;

        /** How long an idle cleaner thread waits before it looks for dirty logs again ({@code log.cleaner.backoff.ms}). */
        private Duration backoff = Duration.ofSeconds(15);

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public int getThreads() {
            return threads;
        }

        public void setThreads(int threads) {
            this.threads = threads;
        }

        public DataSize getDedupeBufferSize() {
            return dedupeBufferSize;
        }

        public void setDedupeBufferSize(DataSize dedupeBufferSize) {
            this.dedupeBufferSize = dedupeBufferSize;
        }

        public double getIoBufferLoadFactor() {
            return ioBufferLoadFactor;
        }

        public void setIoBufferLoadFactor(double ioBufferLoadFactor) {
            this.ioBufferLoadFactor = ioBufferLoadFactor;
        }

        public DataSize getIoBufferSize() {
            return ioBufferSize;
        }

        public void setIoBufferSize(DataSize ioBufferSize) {
            this.ioBufferSize = ioBufferSize;
        }

        public DataSize getIoMaxBytesPerSecond() {
            return ioMaxBytesPerSecond;
        }

        public void setIoMaxBytesPerSecond(DataSize ioMaxBytesPerSecond) {
            this.ioMaxBytesPerSecond = ioMaxBytesPerSecond;
        }

        public Duration getBackoff() {
            return backoff;
        }

        public void setBackoff(Duration backoff) {
            this.backoff = backoff;
        }
    }

    private final LogCleaner logCleaner = new LogCleaner();

    public LogCleaner getLogCleaner() {
        return logCleaner;
    }

    public OffsetsTopic getOffsetsTopic() {
        return offsetsTopic;
    }

    private final TransactionStateLogProperties transactionStateLog = new TransactionStateLogProperties();
    private final TransactionProperties transaction = new TransactionProperties();

    public TransactionStateLogProperties getTransactionStateLog() {
        return transactionStateLog;
    }

    private final ShareCoordinatorProperties shareCoordinator = new ShareCoordinatorProperties();

    /** The share coordinator and {@code __share_group_state} ({@code share.coordinator.*}). */
    public ShareCoordinatorProperties getShareCoordinator() {
        return shareCoordinator;
    }

    public TransactionProperties getTransaction() {
        return transaction;
    }

    /** Moving leaderships away before the broker stops. */
    public static class ControlledShutdown {

        /** Whether the broker asks the controller to move its leaderships before stopping. */
        private boolean enabled = true;

        /** Attempts before the broker stops anyway (partitions with no other in-sync replica cannot move). */
        private int maxAttempts = 3;

        /** Pause between attempts. */
        private Duration backoff = Duration.ofSeconds(1);

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public int getMaxAttempts() {
            return maxAttempts;
        }

        public void setMaxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
        }

        public Duration getBackoff() {
            return backoff;
        }

        public void setBackoff(Duration backoff) {
            this.backoff = backoff;
        }
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

    public ControlledShutdown getControlledShutdown() {
        return controlledShutdown;
    }
}
