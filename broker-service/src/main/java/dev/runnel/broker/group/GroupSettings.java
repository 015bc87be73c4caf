package dev.runnel.broker.group;

import java.time.Duration;

/**
 * The coordinator's settings, as Kafka's broker configs name them.
 *
 * @param offsetsTopicPartitions   {@code offsets.topic.num.partitions}
 * @param offsetsTopicReplicationFactor {@code offsets.topic.replication.factor} (that many brokers must be alive to create it)
 * @param initialRebalanceDelay    {@code group.initial.rebalance.delay.ms}: how long the first rebalance of an
 *                                 empty group waits for more members
 * @param minSessionTimeoutMs      {@code group.min.session.timeout.ms}
 * @param maxSessionTimeoutMs      {@code group.max.session.timeout.ms}
 * @param maxGroupSize             {@code group.max.size}
 * @param offsetsRetention         {@code offsets.retention.minutes}: how long an empty group's offsets stay
 * @param retentionCheckInterval   {@code offsets.retention.check.interval.ms}
 * @param maxMetadataBytes         {@code offset.metadata.max.bytes}
 * @param commitTimeout            {@code offsets.commit.timeout.ms}: how long a write may wait for the ISR
 * @param offsetsTopicSegmentBytes {@code offsets.topic.segment.bytes}: the offsets topic's {@code segment.bytes},
 *                                 kept small so the cleaner can compact it (never the active segment)
 */
public record GroupSettings(int offsetsTopicPartitions, int offsetsTopicReplicationFactor,
        Duration initialRebalanceDelay, int minSessionTimeoutMs, int maxSessionTimeoutMs, int maxGroupSize,
        Duration offsetsRetention, Duration retentionCheckInterval, int maxMetadataBytes, Duration commitTimeout,
        int offsetsTopicSegmentBytes) {

    public static final GroupSettings DEFAULTS = new GroupSettings(50, 3, Duration.ofSeconds(3), 6_000, 1_800_000,
            Integer.MAX_VALUE, Duration.ofDays(7), Duration.ofMinutes(10), 4096, Duration.ofSeconds(5), 100 * 1024 * 1024);

    public GroupSettings {
        if (offsetsTopicPartitions < 1) {
            throw new IllegalArgumentException("offsets.topic.num.partitions must be at least 1");
        }
        if (offsetsTopicReplicationFactor < 1) {
            throw new IllegalArgumentException("offsets.topic.replication.factor must be at least 1");
        }
        if (offsetsTopicSegmentBytes < 1024 * 1024) {
            throw new IllegalArgumentException("offsets.topic.segment.bytes must be at least 1 MiB (segment.bytes' minimum)");
        }
        if (minSessionTimeoutMs > maxSessionTimeoutMs) {
            throw new IllegalArgumentException("group.min.session.timeout.ms is above group.max.session.timeout.ms");
        }
    }
}
