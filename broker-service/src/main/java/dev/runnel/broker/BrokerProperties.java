package dev.runnel.broker;

import java.nio.file.Path;
import java.time.Duration;
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

    /** The advertised Kafka protocol port. */
    private int kafkaPort = 9092;

    /** The address the Kafka listener binds. */
    private String listenHost = "127.0.0.1";

    /** The largest request a client may send ({@code socket.request.max.bytes}); a larger one closes its connection. */
    private DataSize socketRequestMaxBytes = DataSize.ofMegabytes(100);

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

    private final ControlledShutdown controlledShutdown = new ControlledShutdown();

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
