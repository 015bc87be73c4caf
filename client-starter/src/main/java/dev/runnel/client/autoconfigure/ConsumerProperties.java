package dev.runnel.client.autoconfigure;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** The consumers of the {@code @LogListener} containers: {@code runnel.client.consumer.*}. */
public class ConsumerProperties {

    /** The consumer group of listeners that name none. */
    private String groupId;

    /**
     * Where a group without committed offsets starts reading a partition: by default at its first
     * record, so a new group sees what was written before it started (Kafka's own default is latest).
     */
    private AutoOffsetReset autoOffsetReset = AutoOffsetReset.EARLIEST;

    /** The most records one poll returns; Kafka's default (500) when unset. */
    private Integer maxPollRecords;

    /** How long the coordinator waits for a silent consumer before it rebalances; Kafka's default when unset. */
    private Duration sessionTimeout;

    /** How often a consumer tells the coordinator it is alive; Kafka's default when unset. */
    private Duration heartbeatInterval;

    /** The longest a listener may take over one poll's records before the consumer leaves the group. */
    private Duration maxPollInterval;

    /** The consumers' client id prefix; the shared one when unset. */
    private String clientId;

    /** Raw Kafka consumer properties; the named settings above win. */
    private Map<String, String> properties = new HashMap<>();

    public String getGroupId() {
        return groupId;
    }

    public void setGroupId(String groupId) {
        this.groupId = groupId;
    }

    public AutoOffsetReset getAutoOffsetReset() {
        return autoOffsetReset;
    }

    public void setAutoOffsetReset(AutoOffsetReset autoOffsetReset) {
        this.autoOffsetReset = autoOffsetReset;
    }

    public Integer getMaxPollRecords() {
        return maxPollRecords;
    }

    public void setMaxPollRecords(Integer maxPollRecords) {
        if (maxPollRecords != null && maxPollRecords < 1) {
            throw new IllegalArgumentException("runnel.client.consumer.max-poll-records must be at least 1");
        }
        this.maxPollRecords = maxPollRecords;
    }

    public Duration getSessionTimeout() {
        return sessionTimeout;
    }

    public void setSessionTimeout(Duration sessionTimeout) {
        this.sessionTimeout = PropertyChecks.positive("consumer.session-timeout", sessionTimeout);
    }

    public Duration getHeartbeatInterval() {
        return heartbeatInterval;
    }

    public void setHeartbeatInterval(Duration heartbeatInterval) {
        this.heartbeatInterval = PropertyChecks.positive("consumer.heartbeat-interval", heartbeatInterval);
    }

    public Duration getMaxPollInterval() {
        return maxPollInterval;
    }

    public void setMaxPollInterval(Duration maxPollInterval) {
        this.maxPollInterval = PropertyChecks.positive("consumer.max-poll-interval", maxPollInterval);
    }

    public String getClientId() {
        return clientId;
    }

    public void setClientId(String clientId) {
        this.clientId = clientId;
    }

    public Map<String, String> getProperties() {
        return properties;
    }

    public void setProperties(Map<String, String> properties) {
        this.properties = properties;
    }

    /** Where a consumer group without committed offsets starts reading a partition. */
    public enum AutoOffsetReset {
        /** At the partition's first record. */
        EARLIEST,
        /** At the partition's end: only records written from now on. */
        LATEST,
        /** Nowhere: the consumer fails. */
        NONE
    }
}
