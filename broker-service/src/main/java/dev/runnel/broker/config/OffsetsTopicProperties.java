package dev.runnel.broker.config;

import java.time.Duration;

import org.springframework.util.unit.DataSize;

/**
 * {@code runnel.broker.offsets-topic.*}: the {@code __consumer_offsets} topic, where groups and
 * committed offsets are kept ({@code offsets.*} in Kafka).
 */
public class OffsetsTopicProperties {

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
