package dev.runnel.broker.group;

import java.time.Duration;
import java.util.List;

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
 * @param consumer                 the consumer group protocol's settings ({@code group.consumer.*})
 */
public record GroupSettings(int offsetsTopicPartitions, int offsetsTopicReplicationFactor,
        Duration initialRebalanceDelay, int minSessionTimeoutMs, int maxSessionTimeoutMs, int maxGroupSize,
        Duration offsetsRetention, Duration retentionCheckInterval, int maxMetadataBytes, Duration commitTimeout,
        int offsetsTopicSegmentBytes, ConsumerProtocol consumer) {

    public static final GroupSettings DEFAULTS = new GroupSettings(50, 3, Duration.ofSeconds(3), 6_000, 1_800_000,
            Integer.MAX_VALUE, Duration.ofDays(7), Duration.ofMinutes(10), 4096, Duration.ofSeconds(5), 100 * 1024 * 1024);

    /**
     * The consumer group protocol (KIP-848), as Kafka's broker configs name its settings.
     *
     * @param sessionTimeoutMs    {@code group.consumer.session.timeout.ms}: a member not heard from for this
     *                            long is removed and its partitions move
     * @param heartbeatIntervalMs {@code group.consumer.heartbeat.interval.ms}: how often members heartbeat
     * @param assignors           {@code group.consumer.assignors}: the server-side assignors, the first the default
     * @param migrationPolicy     {@code group.consumer.migration.policy}: whether groups move online between the
     *                            classic and the consumer group protocols
     */
    public record ConsumerProtocol(int sessionTimeoutMs, int heartbeatIntervalMs, List<String> assignors,
            MigrationPolicy migrationPolicy) {

        public static final ConsumerProtocol DEFAULTS = new ConsumerProtocol(45_000, 5_000,
                List.of("uniform", "range"));

        /** With Kafka's default migration policy, {@code bidirectional}. */
        public ConsumerProtocol(int sessionTimeoutMs, int heartbeatIntervalMs, List<String> assignors) {
            this(sessionTimeoutMs, heartbeatIntervalMs, assignors, MigrationPolicy.BIDIRECTIONAL);
        }

        public ConsumerProtocol {
            if (migrationPolicy == null) {
                throw new IllegalArgumentException("group.consumer.migration.policy is missing");
            }
            assignors = List.copyOf(assignors);
            if (assignors.isEmpty()) {
                throw new IllegalArgumentException("group.consumer.assignors must name at least one assignor");
            }
            assignors.forEach(PartitionAssignor::named);
            if (heartbeatIntervalMs <= 0 || heartbeatIntervalMs >= sessionTimeoutMs) {
                throw new IllegalArgumentException(
                        "group.consumer.heartbeat.interval.ms must be positive and below group.consumer.session.timeout.ms");
            }
        }
    }

    /**
     * Kafka's {@code group.consumer.migration.policy}: which online conversions between a classic
     * group and a consumer group are allowed. An upgrade makes a classic group whose members use the
     * "consumer" protocol type a consumer group when a consumer-protocol member joins it; a
     * downgrade makes a consumer group a classic group when its last consumer-protocol member leaves
     * and classic members remain. Classic members are served inside a consumer group unless the
     * policy is {@code disabled}.
     */
    public enum MigrationPolicy {
        /** No conversion: a group keeps the protocol its members started it with. */
        DISABLED,
        /** Classic groups may become consumer groups. */
        UPGRADE,
        /** Consumer groups may become classic groups. */
        DOWNGRADE,
        /** Both (Kafka's default). */
        BIDIRECTIONAL;

        public boolean upgrades() {
            return this == UPGRADE || this == BIDIRECTIONAL;
        }

        public boolean downgrades() {
            return this == DOWNGRADE || this == BIDIRECTIONAL;
        }

        /** The policy Kafka's config value names (case-insensitive). */
        public static MigrationPolicy named(String value) {
            for (MigrationPolicy p : values()) {
                if (p.name().equalsIgnoreCase(value.trim())) {
                    return p;
                }
            }
            throw new IllegalArgumentException("group.consumer.migration.policy must be one of disabled, upgrade,"
                    + " downgrade, bidirectional; not " + value);
        }
    }

    /** The settings with the consumer group protocol's defaults. */
    public GroupSettings(int offsetsTopicPartitions, int offsetsTopicReplicationFactor,
            Duration initialRebalanceDelay, int minSessionTimeoutMs, int maxSessionTimeoutMs, int maxGroupSize,
            Duration offsetsRetention, Duration retentionCheckInterval, int maxMetadataBytes, Duration commitTimeout,
            int offsetsTopicSegmentBytes) {
        this(offsetsTopicPartitions, offsetsTopicReplicationFactor, initialRebalanceDelay, minSessionTimeoutMs,
                maxSessionTimeoutMs, maxGroupSize, offsetsRetention, retentionCheckInterval, maxMetadataBytes,
                commitTimeout, offsetsTopicSegmentBytes, ConsumerProtocol.DEFAULTS);
    }

    /** These settings with {@code consumer} for the consumer group protocol. */
    public GroupSettings withConsumerProtocol(ConsumerProtocol consumer) {
        return new GroupSettings(offsetsTopicPartitions, offsetsTopicReplicationFactor, initialRebalanceDelay,
                minSessionTimeoutMs, maxSessionTimeoutMs, maxGroupSize, offsetsRetention, retentionCheckInterval,
                maxMetadataBytes, commitTimeout, offsetsTopicSegmentBytes, consumer);
    }

    public GroupSettings {
        if (consumer == null) {
            throw new IllegalArgumentException("the consumer group protocol's settings are missing");
        }
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
