package dev.runnel.broker.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code runnel.broker.group.*}: the consumer group coordinator ({@code group.*} in Kafka): the
 * classic protocol's limits and timers, the consumer group protocol's settings
 * ({@code runnel.broker.group.consumer.*}) and share groups' ({@code runnel.broker.group.share.*},
 * {@link ShareGroupProperties}).
 */
public class GroupProperties {

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
