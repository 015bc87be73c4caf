package dev.runnel.controller;

import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** Settings of a controller instance ({@code runnel.controller.*}). */
@ConfigurationProperties("runnel.controller")
public class ControllerProperties {

    /** This controller's id, unique among the cluster's controllers. */
    private int id = 1;

    /** The host other processes reach this controller's HTTP API on. */
    private String host = "127.0.0.1";

    /** Partitions of a topic created without a partition count. */
    private int defaultPartitions = 1;

    /** Replication factor of a topic created without one. */
    private int defaultReplicationFactor = 1;

    private final LeaderRebalance leaderRebalance = new LeaderRebalance();

    /**
     * Automatic preferred-leader balancing, Kafka's {@code auto.leader.rebalance.enable},
     * {@code leader.imbalance.check.interval.seconds} and {@code leader.imbalance.per.broker.percentage}.
     */
    public static class LeaderRebalance {

        /** Whether leadership moves back to each partition's preferred replica when it is in sync. */
        private boolean enabled = true;

        /** How often the controller looks for partitions led by a non-preferred replica. */
        private Duration interval = Duration.ofSeconds(300);

        /**
         * The share, in percent, of the partitions a broker is the preferred replica of that may be
         * led by other brokers before the check moves them back to it (0 to 100).
         */
        private int imbalancePerBrokerPercentage = 10;

        public int getImbalancePerBrokerPercentage() {
            return imbalancePerBrokerPercentage;
        }

        public void setImbalancePerBrokerPercentage(int imbalancePerBrokerPercentage) {
            this.imbalancePerBrokerPercentage = imbalancePerBrokerPercentage;
        }

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public Duration getInterval() {
            return interval;
        }

        public void setInterval(Duration interval) {
            this.interval = interval;
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

    public int getDefaultPartitions() {
        return defaultPartitions;
    }

    public void setDefaultPartitions(int defaultPartitions) {
        this.defaultPartitions = defaultPartitions;
    }

    public int getDefaultReplicationFactor() {
        return defaultReplicationFactor;
    }

    public void setDefaultReplicationFactor(int defaultReplicationFactor) {
        this.defaultReplicationFactor = defaultReplicationFactor;
    }

    public LeaderRebalance getLeaderRebalance() {
        return leaderRebalance;
    }
}
