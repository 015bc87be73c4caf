package dev.runnel.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class TopicConfigsTest {

    /** Values each config accepts, by name. */
    private static final Map<String, List<String>> GOOD = new TreeMap<>();
    /** Values each config refuses, by name, with what the message says is expected. */
    private static final Map<String, List<String>> BAD = new TreeMap<>();
    private static final Map<String, String> EXPECTED = new TreeMap<>();

    static {
        config("cleanup.policy", "a comma-separated list of delete and compact",
                List.of("delete", "compact", "compact,delete", "delete, compact", " delete "),
                List.of("", " ", "retain", "Delete", "delete;compact", ",delete", "delete,,compact", "delete,"));
        config("compression.type", "one of uncompressed, zstd, lz4, snappy, gzip, producer",
                List.of("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer", " lz4 "),
                List.of("", "none", "GZIP", "brotli"));
        longAtLeast("delete.retention.ms", 0);
        longAtLeast("file.delete.delay.ms", 0);
        longAtLeast("flush.messages", 1);
        longAtLeast("flush.ms", 0);
        intAtLeast("index.interval.bytes", 0);
        longAtLeast("max.compaction.lag.ms", 1);
        intAtLeast("max.message.bytes", 61);
        config("message.timestamp.type", "CreateTime or LogAppendTime",
                List.of("CreateTime", "LogAppendTime"),
                List.of("", "createtime", "LOGAPPENDTIME", "NoTimestampType"));
        longAtLeast("message.timestamp.before.max.ms", 0);
        longAtLeast("message.timestamp.after.max.ms", 0);
        config("min.cleanable.dirty.ratio", "a number from 0 to 1",
                List.of("0", "0.5", "1", "1.0", "0.01"),
                List.of("", "-0.1", "1.01", "half", "NaN", "Infinity"));
        longAtLeast("min.compaction.lag.ms", 0);
        intAtLeast(TopicConfigs.MIN_INSYNC_REPLICAS, 1);
        bool("preallocate");
        longAtLeast("retention.bytes", -1);
        longAtLeast("retention.ms", -1);
        intAtLeast("segment.bytes", 1024 * 1024);
        intAtLeast("segment.index.bytes", 24);
        longAtLeast("segment.jitter.ms", 0);
        longAtLeast("segment.ms", 1);
        bool(TopicConfigs.UNCLEAN_LEADER_ELECTION);
        for (String name : List.of(TopicConfigs.LEADER_THROTTLED_REPLICAS, TopicConfigs.FOLLOWER_THROTTLED_REPLICAS)) {
            config(name, "the literal '*' or a list of replicas in the format [partitionId]:[brokerId],"
                    + "[partitionId]:[brokerId],...", List.of("", "*", "0:1", "0:1,0:2,1:3", " 0:1 , 1:2 "),
                    List.of("* ,0:1", "0", "a:1", "0:1;1:2", "0:-1", "all"));
        }
    }

    private static void config(String name, String expected, List<String> good, List<String> bad) {
        GOOD.put(name, good);
        BAD.put(name, bad);
        EXPECTED.put(name, expected);
    }

    private static void longAtLeast(String name, long min) {
        config(name, "an integer of at least " + min,
                List.of(Long.toString(min), Long.toString(min + 1), Long.toString(Long.MAX_VALUE), " " + min + " "),
                List.of(Long.toString(min - 1), "", "abc", "1.5", "1e3", "9223372036854775808"));
    }

    private static void intAtLeast(String name, int min) {
        config(name, "an integer from " + min + " to " + Integer.MAX_VALUE,
                List.of(Integer.toString(min), Integer.toString(min + 1), Integer.toString(Integer.MAX_VALUE)),
                List.of(Integer.toString(min - 1), "", "abc", "1.5", "2147483648"));
    }

    private static void bool(String name) {
        config(name, "true or false", List.of("true", "false", "TRUE", "False"), List.of("", "yes", "1", "on"));
    }

    static Stream<Arguments> goodValues() {
        return GOOD.entrySet().stream().flatMap(e -> e.getValue().stream().map(v -> Arguments.of(e.getKey(), v)));
    }

    static Stream<Arguments> badValues() {
        return BAD.entrySet().stream().flatMap(e -> e.getValue().stream().map(v -> Arguments.of(e.getKey(), v)));
    }

    @Test
    void theAcceptedNamesAreExactlyTheTopicConfigsRunnelSupports() {
        assertThat(TopicConfigs.names()).containsExactlyInAnyOrderElementsOf(GOOD.keySet());
        assertThat(TopicConfigs.names()).contains(TopicConfigs.CLEANUP_POLICY, TopicConfigs.MIN_INSYNC_REPLICAS,
                TopicConfigs.UNCLEAN_LEADER_ELECTION);
    }

    @Test
    void theNamesCannotBeChangedByCallers() {
        // Removing a name that is not there changes nothing either way, so a failure here harms no other test.
        assertThatThrownBy(() -> TopicConfigs.names().remove("no.such.config"))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> TopicConfigs.names().removeIf(name -> false))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @ParameterizedTest(name = "{0}={1}")
    @MethodSource("goodValues")
    void aGoodValueIsAccepted(String name, String value) {
        assertThatCode(() -> TopicConfigs.validate(Map.of(name, value))).doesNotThrowAnyException();
    }

    @ParameterizedTest(name = "{0}={1}")
    @MethodSource("badValues")
    void aBadValueIsRefusedWithAMessageNamingTheConfigAndWhatItExpects(String name, String value) {
        assertThatThrownBy(() -> TopicConfigs.validate(Map.of(name, value)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Invalid value '" + value + "' for topic config '" + name + "': expected "
                        + EXPECTED.get(name));
    }

    @Test
    void aMissingValueIsRefused() {
        Map<String, String> configs = new HashMap<>();
        configs.put("retention.ms", null);

        assertThatThrownBy(() -> TopicConfigs.validate(configs))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'retention.ms'")
                .hasMessageContaining("Invalid value 'null'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"retention.hours", "log.retention.ms", "Retention.ms", "segment.bytes ", "", "foo"})
    void anUnknownNameIsRefused(String name) {
        assertThatThrownBy(() -> TopicConfigs.validate(Map.of(name, "1")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Unknown topic config '" + name + "'");
    }

    @Test
    void noConfigsAreValid() {
        assertThatCode(() -> TopicConfigs.validate(Map.of())).doesNotThrowAnyException();
    }

    @Test
    void manyGoodConfigsTogetherAreValid() {
        Map<String, String> configs = new LinkedHashMap<>();
        GOOD.forEach((name, values) -> configs.put(name, values.get(0)));

        assertThatCode(() -> TopicConfigs.validate(configs)).doesNotThrowAnyException();
    }

    @Test
    void theFirstProblemInNameOrderIsReported() {
        Map<String, String> configs = Map.of("segment.bytes", "1", "retention.ms", "-5", "zzz.unknown", "1");

        assertThatThrownBy(() -> TopicConfigs.validate(configs))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'retention.ms'");
    }

    @Test
    void uncleanLeaderElectionIsOffUnlessEnabled() {
        assertThat(TopicConfigs.uncleanLeaderElection(Map.of())).isFalse();
        assertThat(TopicConfigs.uncleanLeaderElection(Map.of(TopicConfigs.UNCLEAN_LEADER_ELECTION, "false")))
                .isFalse();
        assertThat(TopicConfigs.uncleanLeaderElection(Map.of(TopicConfigs.UNCLEAN_LEADER_ELECTION, "true"))).isTrue();
        assertThat(TopicConfigs.uncleanLeaderElection(Map.of(TopicConfigs.UNCLEAN_LEADER_ELECTION, " TRUE ")))
                .isTrue();
        assertThat(TopicConfigs.uncleanLeaderElection(Map.of("retention.ms", "1"))).isFalse();
    }

    @Test
    void aThrottledReplicasListNamesThePartitionsABrokerThrottles() {
        String value = "0:1,0:2,1:3";

        assertThat(TopicConfigs.throttles(value, 0, 1)).isTrue();
        assertThat(TopicConfigs.throttles(value, 0, 2)).isTrue();
        assertThat(TopicConfigs.throttles(value, 1, 3)).isTrue();
        assertThat(TopicConfigs.throttles(value, 1, 1)).isFalse();
        assertThat(TopicConfigs.throttles(value, 2, 3)).isFalse();
        assertThat(TopicConfigs.throttles("*", 7, 9)).isTrue();
        assertThat(TopicConfigs.throttles("", 0, 1)).isFalse();
        assertThat(TopicConfigs.throttles(null, 0, 1)).isFalse();
    }
}
