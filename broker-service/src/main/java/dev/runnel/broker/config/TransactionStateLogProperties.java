package dev.runnel.broker.config;

import java.time.Duration;

import org.springframework.util.unit.DataSize;

/** {@code runnel.broker.transaction-state-log.*}: {@code __transaction_state}, the transaction coordinator's topic, as this broker creates it. */
public class TransactionStateLogProperties {

    /** Its partitions, fixed once it exists ({@code transaction.state.log.num.partitions}). */
    private int partitions = 50;

    /** Its replication factor: created once that many brokers are alive ({@code transaction.state.log.replication.factor}). */
    private int replicationFactor = 3;

    /**
     * Its {@code min.insync.replicas} ({@code transaction.state.log.min.isr}); never more than the
     * replication factor, so a single-broker cluster with replication factor 1 can use transactions.
     */
    private int minInsyncReplicas = 2;

    /** Its {@code segment.bytes} ({@code transaction.state.log.segment.bytes}). */
    private DataSize segmentBytes = DataSize.ofBytes(104857600);

    /** How long a write to it may wait for the ISR. */
    private Duration writeTimeout = Duration.ofSeconds(5);

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

    public Duration getWriteTimeout() {
        return writeTimeout;
    }

    public void setWriteTimeout(Duration writeTimeout) {
        this.writeTimeout = writeTimeout;
    }
}
