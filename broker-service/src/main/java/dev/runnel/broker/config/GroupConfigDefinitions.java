package dev.runnel.broker.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Kafka's group configs (a GROUP config resource, KIP-848 and KIP-932): the names a group may
 * override, their types, the broker's defaults, and the checks a group's overrides must pass, with
 * Kafka's messages. Only the configs this broker applies are defined: the share group ones.
 *
 * <pre>
 *  share.session.timeout.ms       within group.share.min/max.session.timeout.ms, above the heartbeat interval
 *  share.heartbeat.interval.ms    within group.share.min/max.heartbeat.interval.ms
 *  share.record.lock.duration.ms  within group.share.min/max.record.lock.duration.ms
 *  share.delivery.count.limit     within group.share.min/max.delivery.count.limit
 *  share.auto.offset.reset        latest or earliest
 *  share.isolation.level          read_uncommitted or read_committed
 * </pre>
 *
 * Immutable.
 */
public final class GroupConfigDefinitions {

    public static final String SHARE_SESSION_TIMEOUT_MS = "share.session.timeout.ms";
    public static final String SHARE_HEARTBEAT_INTERVAL_MS = "share.heartbeat.interval.ms";
    public static final String SHARE_RECORD_LOCK_DURATION_MS = "share.record.lock.duration.ms";
    public static final String SHARE_DELIVERY_COUNT_LIMIT = "share.delivery.count.limit";
    public static final String SHARE_AUTO_OFFSET_RESET = "share.auto.offset.reset";
    public static final String SHARE_ISOLATION_LEVEL = "share.isolation.level";

    /** A config's type, as DescribeConfigs names it. */
    public enum Type { INT, STRING }

    /** An inclusive range a value must be in, and the broker settings that set its ends. */
    public record Bounds(int min, int max, String minSetting, String maxSetting) {
    }

    /**
     * The broker's defaults and bounds ({@code group.share.*}).
     *
     * @param sessionTimeoutMs       {@code group.share.session.timeout.ms}
     * @param heartbeatIntervalMs    {@code group.share.heartbeat.interval.ms}
     * @param recordLockDurationMs   {@code group.share.record.lock.duration.ms}
     * @param deliveryCountLimit     {@code group.share.delivery.count.limit}
     */
    public record ShareDefaults(int sessionTimeoutMs, Bounds sessionTimeout, int heartbeatIntervalMs,
            Bounds heartbeatInterval, int recordLockDurationMs, Bounds recordLockDuration, int deliveryCountLimit,
            Bounds deliveryCountLimits) {

        /** Kafka's defaults. */
        public static ShareDefaults kafka() {
            return new ShareDefaults(45_000, new Bounds(45_000, 60_000, "group.share.min.session.timeout.ms",
                    "group.share.max.session.timeout.ms"), 5_000, new Bounds(5_000, 15_000,
                            "group.share.min.heartbeat.interval.ms", "group.share.max.heartbeat.interval.ms"),
                    30_000, new Bounds(15_000, 60_000, "group.share.min.record.lock.duration.ms",
                            "group.share.max.record.lock.duration.ms"), 5, new Bounds(2, 10,
                                    "group.share.min.delivery.count.limit", "group.share.max.delivery.count.limit"));
        }

        public ShareDefaults {
            check(sessionTimeoutMs, sessionTimeout, "group.share.session.timeout.ms");
            check(heartbeatIntervalMs, heartbeatInterval, "group.share.heartbeat.interval.ms");
            check(recordLockDurationMs, recordLockDuration, "group.share.record.lock.duration.ms");
            check(deliveryCountLimit, deliveryCountLimits, "group.share.delivery.count.limit");
            if (sessionTimeoutMs <= heartbeatIntervalMs) {
                throw new IllegalArgumentException(
                        "group.share.session.timeout.ms must be greater than group.share.heartbeat.interval.ms");
            }
        }

        private static void check(int value, Bounds bounds, String name) {
            if (bounds.min() > bounds.max() || value < bounds.min() || value > bounds.max()) {
                throw new IllegalArgumentException(name + " (" + value + ") must be within " + bounds.minSetting()
                        + " (" + bounds.min() + ") and " + bounds.maxSetting() + " (" + bounds.max() + ")");
            }
        }
    }

    /** One config as DescribeConfigs shows it: its value, and whether a group override set it. */
    public record Described(String name, String value, boolean overridden, Type type) {
    }

    private record Definition(Type type, String defaultValue, Bounds bounds, Set<String> allowed) {
    }

    private final Map<String, Definition> definitions = new LinkedHashMap<>();

    public GroupConfigDefinitions(ShareDefaults share) {
        definitions.put(SHARE_SESSION_TIMEOUT_MS, integer(share.sessionTimeoutMs(), share.sessionTimeout()));
        definitions.put(SHARE_HEARTBEAT_INTERVAL_MS, integer(share.heartbeatIntervalMs(), share.heartbeatInterval()));
        definitions.put(SHARE_RECORD_LOCK_DURATION_MS,
                integer(share.recordLockDurationMs(), share.recordLockDuration()));
        definitions.put(SHARE_DELIVERY_COUNT_LIMIT, integer(share.deliveryCountLimit(), share.deliveryCountLimits()));
        definitions.put(SHARE_AUTO_OFFSET_RESET, new Definition(Type.STRING, "latest", null, Set.of("latest", "earliest")));
        definitions.put(SHARE_ISOLATION_LEVEL, new Definition(Type.STRING, "read_uncommitted", null,
                Set.of("read_uncommitted", "read_committed")));
    }

    private static Definition integer(int defaultValue, Bounds bounds) {
        return new Definition(Type.INT, Integer.toString(defaultValue), bounds, null);
    }

    /** The names a group may override, in a fixed order. */
    public Set<String> names() {
        return definitions.keySet();
    }

    /**
     * Checks a group's overrides as a whole: every name defined, every value of its type and within
     * its bounds, and the session timeout above the heartbeat interval.
     *
     * @throws IllegalArgumentException naming the first bad config, with Kafka's wording
     */
    public void validate(Map<String, String> overrides) {
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            Definition definition = definitions.get(e.getKey());
            if (definition == null) {
                throw new IllegalArgumentException("Unknown group config name: " + e.getKey());
            }
            String value = e.getValue();
            if (value == null) {
                throw new IllegalArgumentException("Group config '" + e.getKey() + "' needs a value");
            }
            if (definition.type() == Type.INT) {
                int parsed;
                try {
                    parsed = Integer.parseInt(value.trim());
                } catch (NumberFormatException ex) {
                    throw new IllegalArgumentException("Invalid value " + value + " for configuration " + e.getKey()
                            + ": Not a number of type INT");
                }
                Bounds bounds = definition.bounds();
                if (parsed < bounds.min()) {
                    throw new IllegalArgumentException(e.getKey() + " must be greater than or equal to "
                            + bounds.minSetting() + " (" + bounds.min() + ")");
                }
                if (parsed > bounds.max()) {
                    throw new IllegalArgumentException(e.getKey() + " must be less than or equal to "
                            + bounds.maxSetting() + " (" + bounds.max() + ")");
                }
            } else if (!definition.allowed().contains(value.trim().toLowerCase(Locale.ROOT))) {
                throw new IllegalArgumentException("Invalid value " + value + " for configuration " + e.getKey()
                        + ": String must be one of: " + String.join(", ", definition.allowed().stream().sorted().toList()));
            }
        }
        if (intValue(overrides, SHARE_SESSION_TIMEOUT_MS) <= intValue(overrides, SHARE_HEARTBEAT_INTERVAL_MS)) {
            throw new IllegalArgumentException(SHARE_SESSION_TIMEOUT_MS + " must be greater than "
                    + SHARE_HEARTBEAT_INTERVAL_MS);
        }
    }

    /** The value in force for {@code name}: the override if any, else the broker's default. */
    public String value(Map<String, String> overrides, String name) {
        Definition definition = definitions.get(name);
        if (definition == null) {
            throw new IllegalArgumentException("Unknown group config name: " + name);
        }
        String override = overrides.get(name);
        return override != null ? override.trim() : definition.defaultValue();
    }

    /** {@link #value} of an INT config. */
    public int intValue(Map<String, String> overrides, String name) {
        return Integer.parseInt(value(overrides, name));
    }

    /** Every config (or those in {@code keys}, when not null) with the value in force, in a fixed order. */
    public List<Described> describe(Map<String, String> overrides, List<String> keys) {
        List<Described> described = new ArrayList<>();
        definitions.forEach((name, definition) -> {
            if (keys == null || keys.contains(name)) {
                described.add(new Described(name, value(overrides, name), overrides.containsKey(name),
                        definition.type()));
            }
        });
        return described;
    }
}
