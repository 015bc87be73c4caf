package dev.runnel.broker.config;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The broker configs that change without a restart (Kafka's dynamic broker configs), set per broker
 * or as the cluster's default with AlterConfigs or IncrementalAlterConfigs and kept in ZooKeeper
 * ({@link dev.runnel.broker.zookeeper.BrokerConfigStore}): the replication throttles, in bytes per
 * second, that {@code kafka-reassign-partitions --throttle} sets while replicas move.
 *
 * <p>A value is a decimal {@code long} of at least 0; without one the rate is unlimited
 * ({@link Long#MAX_VALUE}, Kafka's default).
 */
public final class DynamicBrokerConfigs {

    /** The bytes per second a leader sends to throttled followers, at most. */
    public static final String LEADER_REPLICATION_THROTTLED_RATE = "leader.replication.throttled.rate";
    /** The bytes per second a follower fetches for throttled replicas, at most. */
    public static final String FOLLOWER_REPLICATION_THROTTLED_RATE = "follower.replication.throttled.rate";
    /** Unlimited: the rate when no value is set. */
    public static final long UNLIMITED = Long.MAX_VALUE;

    private static final Set<String> NAMES = Set.of(LEADER_REPLICATION_THROTTLED_RATE,
            FOLLOWER_REPLICATION_THROTTLED_RATE);

    private DynamicBrokerConfigs() {
    }

    /** The names of the dynamic broker configs. */
    public static Set<String> names() {
        return NAMES;
    }

    /**
     * Checks every entry of {@code configs}.
     *
     * @throws IllegalArgumentException naming the first config that is not dynamic or has a bad value
     */
    public static void validate(Map<String, String> configs) {
        for (Map.Entry<String, String> e : configs.entrySet()) {
            if (!NAMES.contains(e.getKey())) {
                throw new IllegalArgumentException("Broker config '" + e.getKey() + "' cannot be changed while the "
                        + "broker runs (set it in the broker's properties, runnel.broker.*, and restart it); the "
                        + "dynamic broker configs are " + String.join(", ", new TreeSet<>(NAMES)));
            }
            if (parseRate(e.getValue()) < 0) {
                throw new IllegalArgumentException("Invalid value '" + e.getValue() + "' for broker config '"
                        + e.getKey() + "': expected an integer of at least 0");
            }
        }
    }

    /** A rate's value, {@code -1} if it is no integer of at least 0. */
    private static long parseRate(String value) {
        try {
            return value == null ? -1 : Math.max(-1, Long.parseLong(value.trim()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The rate {@code name} has with this broker's overrides over the cluster's defaults; unlimited if neither sets it. */
    public static long rate(String name, Map<String, String> brokerOverrides, Map<String, String> defaults) {
        String value = brokerOverrides.getOrDefault(name, defaults.get(name));
        long rate = value == null ? UNLIMITED : parseRate(value);
        return rate < 0 ? UNLIMITED : rate;
    }
}
