package dev.runnel.controller.metadata;

import static dev.runnel.controller.metadata.ClusterFixture.assertRefused;
import static dev.runnel.controller.metadata.ClusterFixture.cluster;
import static dev.runnel.controller.metadata.ClusterFixture.state;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

import dev.runnel.cluster.TopicInfo;
import dev.runnel.controller.metadata.AdminException.Reason;

/**
 * Admin requests the controller refuses: each throws {@link AdminException} with the right reason,
 * leaves the view as it was, and a valid request afterwards still succeeds.
 */
class AdminRefusalTest {

    private ControllerStateMachine machine;

    @BeforeEach
    void threeBrokersAndATopic() {
        machine = cluster().brokers(1, 2, 3)
                .topic("existing", Map.of("retention.ms", "1000"))
                .partition("existing", List.of(1, 2), state(1, 0, List.of(1, 2), 0))
                .partition("existing", List.of(2, 3), state(2, 0, List.of(2, 3), 0))
                .machine();
    }

    private static ControllerEvent.CreateTopic create(String name, int partitions, int replicationFactor) {
        return new ControllerEvent.CreateTopic(name, partitions, replicationFactor, Map.of());
    }

    private static ControllerEvent.CreateTopic createWith(String config, String value) {
        return new ControllerEvent.CreateTopic("fresh", 1, 1, Map.of(config, value));
    }

    private void aValidCreateStillWorks() {
        Decision decision = machine.handle(create("valid-after-refusal", 3, 3));

        assertThat(decision.writes()).hasSize(1);
        assertThat(machine.view().topic("valid-after-refusal")).isPresent();
    }

    // ---- create topic ----

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {".", "..", "a/b", "a b", "a\\b", "a:b", "tópico", "a*", "a\nb"})
    void createTopicRefusesAnInvalidName(String name) {
        assertRefused(machine, create(name, 1, 1), Reason.INVALID_TOPIC);

        aValidCreateStillWorks();
    }

    @Test
    void createTopicRefusesANameOf250Characters() {
        assertRefused(machine, create("a".repeat(250), 1, 1), Reason.INVALID_TOPIC);

        aValidCreateStillWorks();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, Integer.MIN_VALUE, ControllerStateMachine.MAX_PARTITIONS + 1})
    void createTopicRefusesAPartitionCountOutOfRange(int partitions) {
        assertRefused(machine, create("fresh", partitions, 1), Reason.INVALID_PARTITIONS);

        aValidCreateStillWorks();
    }

    @Test
    void createTopicRefusesAReplicaAssignmentTooBigForOneZooKeeperNode() {
        ClusterFixture big = cluster();
        for (int id = 100; id < 130; id++) {
            big.brokers(id);
        }
        machine = big.machine();

        AdminException refused = assertRefused(machine, create("huge", ControllerStateMachine.MAX_PARTITIONS, 30),
                Reason.INVALID_PARTITIONS);
        assertRefused(machine, new ControllerEvent.CreateTopic("huge", ControllerStateMachine.MAX_PARTITIONS, 30,
                Map.of(), true), Reason.INVALID_PARTITIONS);

        assertThat(refused.getMessage()).contains("10000 partitions of 30 replicas");
        machine.handle(create("huge", ControllerStateMachine.MAX_PARTITIONS, 3));
        assertThat(machine.view().topic("huge").orElseThrow().partitions()).hasSize(10_000);
    }

    @Test
    void createPartitionsRefusesAReplicaAssignmentTooBigForOneZooKeeperNode() {
        ClusterFixture big = cluster();
        for (int id = 100; id < 130; id++) {
            big.brokers(id);
        }
        machine = big.machine();
        machine.handle(create("growing", 1, 30));

        assertRefused(machine, new ControllerEvent.CreatePartitions("growing", ControllerStateMachine.MAX_PARTITIONS),
                Reason.INVALID_PARTITIONS);

        machine.handle(new ControllerEvent.CreatePartitions("growing", 1_000));
        assertThat(machine.view().topic("growing").orElseThrow().partitions()).hasSize(1_000);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, 4, 100})
    void createTopicRefusesAReplicationFactorBelowOneOrAboveTheLiveBrokers(int replicationFactor) {
        assertRefused(machine, create("fresh", 3, replicationFactor), Reason.INVALID_REPLICATION_FACTOR);

        aValidCreateStillWorks();
    }

    @Test
    void createTopicCountsOnlyLiveBrokersForTheReplicationFactor() {
        machine.handle(new ControllerEvent.BrokerDown(3));

        assertRefused(machine, create("fresh", 1, 3), Reason.INVALID_REPLICATION_FACTOR);

        machine.handle(create("fresh", 1, 2));
        assertThat(machine.view().topic("fresh")).isPresent();
    }

    @Test
    void createTopicRefusesAnUnknownConfigName() {
        assertRefused(machine, createWith("retention.mss", "1000"), Reason.INVALID_CONFIG);

        aValidCreateStillWorks();
    }

    @ParameterizedTest
    @CsvSource({
            "retention.ms, abc",
            "retention.ms, -2",
            "min.insync.replicas, 0",
            "min.insync.replicas, 99999999999",
            "cleanup.policy, nope",
            "cleanup.policy, ''",
            "unclean.leader.election.enable, yes",
            "compression.type, brotli",
            "segment.bytes, 1000",
            "min.cleanable.dirty.ratio, 1.5"})
    void createTopicRefusesABadConfigValue(String config, String value) {
        assertRefused(machine, createWith(config, value), Reason.INVALID_CONFIG);

        aValidCreateStillWorks();
    }

    @Test
    void createTopicRefusesAnExistingName() {
        assertRefused(machine, create("existing", 1, 1), Reason.TOPIC_EXISTS);

        aValidCreateStillWorks();
    }

    // ---- delete topic, create partitions, alter configs ----

    @Test
    void deleteCreatePartitionsAndAlterConfigsRefuseAnUnknownTopic() {
        assertRefused(machine, new ControllerEvent.DeleteTopic("missing"), Reason.UNKNOWN_TOPIC);
        assertRefused(machine, new ControllerEvent.CreatePartitions("missing", 5), Reason.UNKNOWN_TOPIC);
        assertRefused(machine, new ControllerEvent.AlterConfigs("missing", Map.of("retention.ms", "5"), Set.of()),
                Reason.UNKNOWN_TOPIC);

        machine.handle(new ControllerEvent.DeleteTopic("existing"));
        assertThat(machine.view().topics()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 1, 0, -3})
    void createPartitionsRefusesACountThatIsNotLarger(int totalCount) {
        assertRefused(machine, new ControllerEvent.CreatePartitions("existing", totalCount), Reason.INVALID_PARTITIONS);

        machine.handle(new ControllerEvent.CreatePartitions("existing", 3));
        assertThat(machine.view().topic("existing").orElseThrow().partitions()).hasSize(3);
    }

    @Test
    void createPartitionsRefusesMoreThanTheMaximum() {
        assertRefused(machine, new ControllerEvent.CreatePartitions("existing",
                ControllerStateMachine.MAX_PARTITIONS + 1), Reason.INVALID_PARTITIONS);
    }

    @ParameterizedTest
    @ValueSource(ints = {ControllerStateMachine.MAX_PARTITIONS + 1, Integer.MAX_VALUE, 2, 1})
    void validateOnlyCreatePartitionsRefusesWhatTheRealCallRefuses(int totalCount) {
        assertRefused(machine, new ControllerEvent.CreatePartitions("existing", totalCount, null, true),
                Reason.INVALID_PARTITIONS);
        assertRefused(machine, new ControllerEvent.CreatePartitions("existing", totalCount), Reason.INVALID_PARTITIONS);
    }

    @Test
    void validateOnlyCreatePartitionsAnswersTheGrownTopicAndChangesNothing() {
        Decision decision = machine.handle(new ControllerEvent.CreatePartitions("existing", 4, null, true));

        assertThat(decision.writes()).isEmpty();
        assertThat(decision.commands()).isEmpty();
        assertThat(((TopicInfo) decision.reply()).partitions()).hasSize(4);
        assertThat(machine.view().topic("existing").orElseThrow().partitions()).hasSize(2);
    }

    @Test
    void createPartitionsRefusesWhenTooFewBrokersAreLiveForTheReplicationFactor() {
        machine.handle(new ControllerEvent.BrokerDown(2));
        machine.handle(new ControllerEvent.BrokerDown(3));

        assertRefused(machine, new ControllerEvent.CreatePartitions("existing", 3), Reason.INVALID_REPLICATION_FACTOR);
    }

    @Test
    void alterConfigsRefusesAnUnknownNameToSetOrRemove() {
        assertRefused(machine, new ControllerEvent.AlterConfigs("existing", Map.of("no.such.config", "1"), Set.of()),
                Reason.INVALID_CONFIG);
        assertRefused(machine, new ControllerEvent.AlterConfigs("existing", Map.of(), Set.of("no.such.config")),
                Reason.INVALID_CONFIG);
        assertRefused(machine, new ControllerEvent.AlterConfigs("existing", Map.of("retention.ms", "2000"),
                Set.of("no.such.config")), Reason.INVALID_CONFIG);

        machine.handle(new ControllerEvent.AlterConfigs("existing", Map.of("retention.ms", "2000"), Set.of()));
        assertThat(machine.view().topic("existing").orElseThrow().configs()).containsEntry("retention.ms", "2000");
    }

    @ParameterizedTest
    @CsvSource({"retention.ms, abc", "min.insync.replicas, 0", "cleanup.policy, nope", "preallocate, 1"})
    void alterConfigsRefusesABadValue(String config, String value) {
        assertRefused(machine, new ControllerEvent.AlterConfigs("existing", Map.of(config, value), Set.of()),
                Reason.INVALID_CONFIG);

        assertThat(machine.view().topic("existing").orElseThrow().configs()).isEqualTo(Map.of("retention.ms", "1000"));
    }

    @Test
    void refusalsLeaveNoTraceInLaterDecisions() {
        assertRefused(machine, create("a/b", 1, 1), Reason.INVALID_TOPIC);
        assertRefused(machine, create("fresh", 1, 9), Reason.INVALID_REPLICATION_FACTOR);
        assertRefused(machine, new ControllerEvent.CreatePartitions("existing", 1), Reason.INVALID_PARTITIONS);

        Decision decision = machine.handle(new ControllerEvent.CreateTopic("fresh", 1, 1, Map.of()));

        assertThat(decision.writes()).singleElement().isInstanceOfSatisfying(ZkWrite.CreateTopic.class,
                w -> assertThat(w.name()).isEqualTo("fresh"));
        assertThat(machine.view().topics()).containsOnlyKeys("existing", "fresh");
        assertThat(machine.view().topic("existing").orElseThrow().partitions()).hasSize(2);
    }
}
