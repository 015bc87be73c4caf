package dev.runnel.broker.config;

import java.time.Duration;

/**
 * Share groups' settings, as Kafka's {@code group.share.*} broker configs: the defaults a
 * group's own {@code share.*} configs override, and what share partitions and share sessions
 * may hold on a broker. Bound under {@code runnel.broker.group.share.*}.
 */
public class ShareGroupProperties {

    /** A member not heard from for this long is removed ({@code group.share.session.timeout.ms}). */
    private Duration sessionTimeout = Duration.ofSeconds(45);

    /** How often members heartbeat ({@code group.share.heartbeat.interval.ms}). */
    private Duration heartbeatInterval = Duration.ofSeconds(5);

    /** The most members a share group may have ({@code group.share.max.size}). */
    private int maxSize = 200;

    /** How long an acquired record stays with its consumer ({@code group.share.record.lock.duration.ms}). */
    private Duration recordLockDuration = Duration.ofSeconds(30);

    /** Deliveries after which a record is archived ({@code group.share.delivery.count.limit}). */
    private int deliveryCountLimit = 5;

    /**
     * The bounds a group's own {@code share.*} configs must keep to, as Kafka's
     * {@code group.share.min|max.*}: session timeout, heartbeat interval, record lock duration
     * and delivery count limit.
     */
    private Duration minSessionTimeout = Duration.ofSeconds(45);
    private Duration maxSessionTimeout = Duration.ofSeconds(60);
    private Duration minHeartbeatInterval = Duration.ofSeconds(5);
    private Duration maxHeartbeatInterval = Duration.ofSeconds(15);
    private Duration minRecordLockDuration = Duration.ofSeconds(15);
    private Duration maxRecordLockDuration = Duration.ofSeconds(60);
    private int minDeliveryCountLimit = 2;
    private int maxDeliveryCountLimit = 10;

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

    public Duration getMinHeartbeatInterval() {
        return minHeartbeatInterval;
    }

    public void setMinHeartbeatInterval(Duration minHeartbeatInterval) {
        this.minHeartbeatInterval = minHeartbeatInterval;
    }

    public Duration getMaxHeartbeatInterval() {
        return maxHeartbeatInterval;
    }

    public void setMaxHeartbeatInterval(Duration maxHeartbeatInterval) {
        this.maxHeartbeatInterval = maxHeartbeatInterval;
    }

    public Duration getMinRecordLockDuration() {
        return minRecordLockDuration;
    }

    public void setMinRecordLockDuration(Duration minRecordLockDuration) {
        this.minRecordLockDuration = minRecordLockDuration;
    }

    public Duration getMaxRecordLockDuration() {
        return maxRecordLockDuration;
    }

    public void setMaxRecordLockDuration(Duration maxRecordLockDuration) {
        this.maxRecordLockDuration = maxRecordLockDuration;
    }

    public int getMinDeliveryCountLimit() {
        return minDeliveryCountLimit;
    }

    public void setMinDeliveryCountLimit(int minDeliveryCountLimit) {
        this.minDeliveryCountLimit = minDeliveryCountLimit;
    }

    public int getMaxDeliveryCountLimit() {
        return maxDeliveryCountLimit;
    }

    public void setMaxDeliveryCountLimit(int maxDeliveryCountLimit) {
        this.maxDeliveryCountLimit = maxDeliveryCountLimit;
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

    public int getMaxSize() {
        return maxSize;
    }

    public void setMaxSize(int maxSize) {
        this.maxSize = maxSize;
    }

    public Duration getRecordLockDuration() {
        return recordLockDuration;
    }

    public void setRecordLockDuration(Duration recordLockDuration) {
        this.recordLockDuration = recordLockDuration;
    }

    public int getDeliveryCountLimit() {
        return deliveryCountLimit;
    }

    public void setDeliveryCountLimit(int deliveryCountLimit) {
        this.deliveryCountLimit = deliveryCountLimit;
    }

    /**
     * Records in flight per share partition (between its start and end offsets) beyond which
     * fetches acquire no new ones ({@code group.share.partition.max.record.locks}).
     */
    private int partitionMaxRecordLocks = 2000;

    /** Share sessions a broker keeps open; one more is refused ({@code group.share.max.share.sessions}). */
    private int maxShareSessions = 2000;

    /** How often share sessions idle beyond their group's session timeout are closed and their records released. */
    private Duration sessionExpiryInterval = Duration.ofSeconds(10);

    public int getPartitionMaxRecordLocks() {
        return partitionMaxRecordLocks;
    }

    public void setPartitionMaxRecordLocks(int partitionMaxRecordLocks) {
        this.partitionMaxRecordLocks = partitionMaxRecordLocks;
    }

    public int getMaxShareSessions() {
        return maxShareSessions;
    }

    public void setMaxShareSessions(int maxShareSessions) {
        this.maxShareSessions = maxShareSessions;
    }

    public Duration getSessionExpiryInterval() {
        return sessionExpiryInterval;
    }

    public void setSessionExpiryInterval(Duration sessionExpiryInterval) {
        this.sessionExpiryInterval = sessionExpiryInterval;
    }
}
