package dev.runnel.cluster;

import java.util.Arrays;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The topic configs a Runnel cluster accepts, by their Kafka names, with the values each allows.
 * The controller refuses a topic or a config change with an unknown name or a bad value before
 * writing anything; the broker reads the storage settings among them.
 */
public final class TopicConfigs {

    public static final String CLEANUP_POLICY = "cleanup.policy";
    public static final String MIN_INSYNC_REPLICAS = "min.insync.replicas";
    public static final String UNCLEAN_LEADER_ELECTION = "unclean.leader.election.enable";
    /** The replicas whose leader throttles what it sends them ({@code partition:brokerId,...} or {@code *}). */
    public static final String LEADER_THROTTLED_REPLICAS = "leader.replication.throttled.replicas";
    /** The replicas that throttle what they fetch ({@code partition:brokerId,...} or {@code *}). */
    public static final String FOLLOWER_THROTTLED_REPLICAS = "follower.replication.throttled.replicas";

    private static final Pattern THROTTLED_REPLICA = Pattern.compile("([0-9]+:[0-9]+)?");

    private static final Map<String, Rule> RULES = new TreeMap<>();
    private static final Map<String, String> DEFAULTS = Map.ofEntries(
            Map.entry(CLEANUP_POLICY, "delete"),
            Map.entry(LEADER_THROTTLED_REPLICAS, ""),
            Map.entry(FOLLOWER_THROTTLED_REPLICAS, ""),
            Map.entry("compression.type", "producer"),
            Map.entry("delete.retention.ms", "86400000"),
            Map.entry("file.delete.delay.ms", "60000"),
            Map.entry("flush.messages", Long.toString(Long.MAX_VALUE)),
            Map.entry("flush.ms", Long.toString(Long.MAX_VALUE)),
            Map.entry("index.interval.bytes", "4096"),
            Map.entry("max.compaction.lag.ms", Long.toString(Long.MAX_VALUE)),
            Map.entry("max.message.bytes", "1048588"),
            Map.entry("message.timestamp.type", "CreateTime"),
            Map.entry("message.timestamp.before.max.ms", Long.toString(Long.MAX_VALUE)),
            Map.entry("message.timestamp.after.max.ms", "3600000"),
            Map.entry("min.cleanable.dirty.ratio", "0.5"),
            Map.entry("min.compaction.lag.ms", "0"),
            Map.entry(MIN_INSYNC_REPLICAS, "1"),
            Map.entry("preallocate", "false"),
            Map.entry("retention.bytes", "-1"),
            Map.entry("retention.ms", "604800000"),
            Map.entry("segment.bytes", "1073741824"),
            Map.entry("segment.index.bytes", "10485760"),
            Map.entry("segment.jitter.ms", "0"),
            Map.entry("segment.ms", "604800000"),
            Map.entry(UNCLEAN_LEADER_ELECTION, "false"));

    static {
        rule(CLEANUP_POLICY, "a comma-separated list of delete and compact",
                v -> !v.isBlank() && Arrays.stream(v.split(",", -1)).map(String::trim)
                        .allMatch(p -> p.equals("delete") || p.equals("compact")), Type.LIST);
        rule("compression.type", "one of uncompressed, zstd, lz4, snappy, gzip, producer",
                v -> Set.of("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer").contains(v));
        longAtLeast("delete.retention.ms", 0);
        longAtLeast("file.delete.delay.ms", 0);
        longAtLeast("flush.messages", 1);
        longAtLeast("flush.ms", 0);
        intAtLeast("index.interval.bytes", 0);
        longAtLeast("max.compaction.lag.ms", 1);
        intAtLeast("max.message.bytes", 61);
        rule("message.timestamp.type", "CreateTime or LogAppendTime",
                v -> v.equals("CreateTime") || v.equals("LogAppendTime"));
        longAtLeast("message.timestamp.before.max.ms", 0);
        longAtLeast("message.timestamp.after.max.ms", 0);
        rule("min.cleanable.dirty.ratio", "a number from 0 to 1", v -> {
            try {
                double d = Double.parseDouble(v);
                return d >= 0 && d <= 1;
            } catch (NumberFormatException e) {
                return false;
            }
        }, Type.DOUBLE);
        longAtLeast("min.compaction.lag.ms", 0);
        intAtLeast(MIN_INSYNC_REPLICAS, 1);
        bool("preallocate");
        longAtLeast("retention.bytes", -1);
        longAtLeast("retention.ms", -1);
        intAtLeast("segment.bytes", 1024 * 1024);
        intAtLeast("segment.index.bytes", 24);
        longAtLeast("segment.jitter.ms", 0);
        longAtLeast("segment.ms", 1);
        bool(UNCLEAN_LEADER_ELECTION);
        throttledReplicas(LEADER_THROTTLED_REPLICAS);
        throttledReplicas(FOLLOWER_THROTTLED_REPLICAS);
    }

    private TopicConfigs() {
    }

    /** The names of every accepted topic config. */
    public static Set<String> names() {
        return Collections.unmodifiableSet(RULES.keySet());
    }

    /**
     * Checks every entry of {@code configs}.
     *
     * @throws IllegalArgumentException naming the first unknown config or bad value
     */
    public static void validate(Map<String, String> configs) {
        for (Map.Entry<String, String> e : new TreeMap<>(configs).entrySet()) {
            Rule rule = RULES.get(e.getKey());
            if (rule == null) {
                throw new IllegalArgumentException("Unknown topic config '" + e.getKey() + "'");
            }
            String value = e.getValue();
            if (value == null || !rule.accepts().test(value.trim())) {
                throw new IllegalArgumentException("Invalid value '" + value + "' for topic config '" + e.getKey()
                        + "': expected " + rule.expected());
            }
        }
        long minLag = Long.parseLong(configs.getOrDefault("min.compaction.lag.ms", DEFAULTS.get("min.compaction.lag.ms")).trim());
        long maxLag = Long.parseLong(configs.getOrDefault("max.compaction.lag.ms", DEFAULTS.get("max.compaction.lag.ms")).trim());
        if (minLag > maxLag) {
            throw new IllegalArgumentException("Invalid value for topic config 'min.compaction.lag.ms': " + minLag
                    + " is greater than 'max.compaction.lag.ms' " + maxLag);
        }
    }

    /** Whether {@code configs} enable unclean leader election (off by default, as in Kafka). */
    public static boolean uncleanLeaderElection(Map<String, String> configs) {
        return Boolean.parseBoolean(configs.getOrDefault(UNCLEAN_LEADER_ELECTION, "false").trim());
    }

    /** The policies {@code configs} name in {@code cleanup.policy} ({@code delete} by default, as in Kafka). */
    public static Set<String> cleanupPolicies(Map<String, String> configs) {
        return Arrays.stream(configs.getOrDefault(CLEANUP_POLICY, "delete").split(",")).map(String::trim)
                .filter(p -> !p.isEmpty()).collect(Collectors.toUnmodifiableSet());
    }

    /**
     * Whether a {@code *.replication.throttled.replicas} value names replica {@code brokerId} of
     * {@code partition}: {@code *} names every replica, else the list of {@code partition:brokerId}
     * entries does (Kafka's reading: a broker throttles the partitions the list names for it).
     */
    public static boolean throttles(String throttledReplicas, int partition, int brokerId) {
        if (throttledReplicas == null || throttledReplicas.isBlank()) {
            return false;
        }
        String value = throttledReplicas.trim();
        if (value.equals("*")) {
            return true;
        }
        String wanted = partition + ":" + brokerId;
        for (String entry : value.split(",")) {
            if (entry.trim().equals(wanted)) {
                return true;
            }
        }
        return false;
    }

    /** The kind of value a config holds, named as Kafka's ConfigDef types. */
    public enum Type {
        BOOLEAN, STRING, INT, LONG, DOUBLE, LIST
    }

    private record Rule(String expected, Predicate<String> accepts, Type type) {
    }

    private static void rule(String name, String expected, Predicate<String> accepts) {
        rule(name, expected, accepts, Type.STRING);
    }

    private static void rule(String name, String expected, Predicate<String> accepts, Type type) {
        RULES.put(name, new Rule(expected, accepts, type));
    }

    /** The value a topic has when it does not override {@code name} (Kafka's defaults). */
    public static String defaultValue(String name) {
        return DEFAULTS.get(name);
    }

    /** The kind of value {@code name} holds. */
    public static Type type(String name) {
        Rule rule = RULES.get(name);
        return rule == null ? Type.STRING : rule.type();
    }

    private static void longAtLeast(String name, long min) {
        rule(name, "an integer of at least " + min, v -> {
            try {
                return Long.parseLong(v) >= min;
            } catch (NumberFormatException e) {
                return false;
            }
        }, Type.LONG);
    }

    private static void intAtLeast(String name, int min) {
        rule(name, "an integer from " + min + " to " + Integer.MAX_VALUE, v -> {
            try {
                return Integer.parseInt(v) >= min;
            } catch (NumberFormatException e) {
                return false;
            }
        }, Type.INT);
    }

    /** Kafka's ThrottledReplicaListValidator: the literal {@code *}, or {@code partition:brokerId} entries. */
    private static void throttledReplicas(String name) {
        rule(name, "the literal '*' or a list of replicas in the format [partitionId]:[brokerId],"
                + "[partitionId]:[brokerId],...", v -> v.equals("*") || Arrays.stream(v.split(",", -1))
                        .allMatch(entry -> THROTTLED_REPLICA.matcher(entry.trim()).matches()), Type.LIST);
    }

    private static void bool(String name) {
        rule(name, "true or false", v -> {
            String lower = v.toLowerCase(Locale.ROOT);
            return lower.equals("true") || lower.equals("false");
        }, Type.BOOLEAN);
    }
}
