package dev.runnel.broker.config;

import java.time.Duration;

import org.springframework.util.unit.DataSize;

/**
 * {@code runnel.broker.share-coordinator.*}: the share coordinator (KIP-932), its topic
 * {@code __share_group_state} as this broker creates it, and how other brokers' persister calls
 * reach it.
 */
public class ShareCoordinatorProperties {

    private final StateTopic stateTopic = new StateTopic();

    /** How long a coordinator's write may wait for the ISR ({@code share.coordinator.write.timeout.ms}). */
    private Duration writeTimeout = Duration.ofSeconds(5);

    /**
     * How long a persister call (a share-partition leader reading or writing its state) keeps
     * retrying a coordinator that is moving, loading or unreachable before it fails.
     */
    private Duration persisterTimeout = Duration.ofSeconds(30);

    /** The first wait before a persister call is retried; it doubles with each retry. */
    private Duration persisterRetryBackoff = Duration.ofMillis(100);

    /** The longest wait between a persister call's retries. */
    private Duration persisterRetryBackoffMax = Duration.ofSeconds(1);

    public StateTopic getStateTopic() {
        return stateTopic;
    }

    public Duration getWriteTimeout() {
        return writeTimeout;
    }

    public void setWriteTimeout(Duration writeTimeout) {
        this.writeTimeout = writeTimeout;
    }

    public Duration getPersisterTimeout() {
        return persisterTimeout;
    }

    public void setPersisterTimeout(Duration persisterTimeout) {
        this.persisterTimeout = persisterTimeout;
    }

    public Duration getPersisterRetryBackoff() {
        return persisterRetryBackoff;
    }

    public void setPersisterRetryBackoff(Duration persisterRetryBackoff) {
        this.persisterRetryBackoff = persisterRetryBackoff;
    }

    public Duration getPersisterRetryBackoffMax() {
        return persisterRetryBackoffMax;
    }

    public void setPersisterRetryBackoffMax(Duration persisterRetryBackoffMax) {
        this.persisterRetryBackoffMax = persisterRetryBackoffMax;
    }

    /** {@code runnel.broker.share-coordinator.state-topic.*}: Kafka's {@code share.coordinator.state.topic.*}. */
    public static class StateTopic {

        /** Its partitions, fixed once it exists ({@code share.coordinator.state.topic.num.partitions}). */
        private int partitions = 50;

        /**
         * Its replication factor: created once that many brokers are alive
         * ({@code share.coordinator.state.topic.replication.factor}).
         */
        private int replicationFactor = 3;

        /**
         * Its {@code min.insync.replicas} ({@code share.coordinator.state.topic.min.isr}); never more
         * than the replication factor.
         */
        private int minInsyncReplicas = 2;

        /** Its {@code segment.bytes} ({@code share.coordinator.state.topic.segment.bytes}). */
        private DataSize segmentBytes = DataSize.ofBytes(104857600);

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

        public int getMinInsyncReplicas() {
            return minInsyncReplicas;
        }

        public void setMinInsyncReplicas(int minInsyncReplicas) {
            this.minInsyncReplicas = minInsyncReplicas;
        }

        public DataSize getSegmentBytes() {
            return segmentBytes;
        }

        public void setSegmentBytes(DataSize segmentBytes) {
            this.segmentBytes = segmentBytes;
        }
    }
}
