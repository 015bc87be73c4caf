package dev.runnel.broker.config;

import java.time.Duration;

/**
 * A share group's settings: the broker's {@code group.share.*} defaults, overridden per group by
 * the group configs an admin sets (IncrementalAlterConfigs on a GROUP resource, Kafka's
 * {@code share.*} names).
 */
@FunctionalInterface
public interface ShareGroupConfigs {

    /** Where a share partition without state starts: {@code share.auto.offset.reset}. */
    enum AutoOffsetReset { LATEST, EARLIEST }

    /**
     * @param autoOffsetReset     {@code share.auto.offset.reset} (default latest)
     * @param recordLockDuration  {@code share.record.lock.duration.ms} (default 30 s): how long an acquired record
     *                            stays with its consumer before it is released again
     * @param deliveryCountLimit  {@code share.delivery.count.limit} (default 5): deliveries after which a record
     *                            that is released or times out is archived
     * @param readCommitted       {@code share.isolation.level} is read_committed (default read_uncommitted)
     * @param sessionTimeout      {@code share.session.timeout.ms} (default 45 s)
     * @param heartbeatInterval   {@code share.heartbeat.interval.ms} (default 5 s)
     */
    record Settings(AutoOffsetReset autoOffsetReset, Duration recordLockDuration, int deliveryCountLimit,
            boolean readCommitted, Duration sessionTimeout, Duration heartbeatInterval) {
    }

    /** The settings of {@code groupId} now. */
    Settings settings(String groupId);
}
