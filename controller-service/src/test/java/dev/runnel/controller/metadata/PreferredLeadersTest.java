package dev.runnel.controller.metadata;

import static dev.runnel.controller.metadata.ClusterFixture.assertFenced;
import static dev.runnel.controller.metadata.ClusterFixture.assertRefused;
import static dev.runnel.controller.metadata.ClusterFixture.cluster;
import static dev.runnel.controller.metadata.ClusterFixture.leaderAndIsrPartitions;
import static dev.runnel.controller.metadata.ClusterFixture.state;
import static dev.runnel.controller.metadata.ClusterFixture.stateOf;
import static dev.runnel.controller.metadata.ClusterFixture.stateWrites;
import static dev.runnel.controller.metadata.ClusterFixture.tp;
import static dev.runnel.controller.metadata.ClusterFixture.write;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.runnel.cluster.LeaderElections;
import dev.runnel.cluster.LeaderElections.Outcome;
import dev.runnel.cluster.LeaderElections.Type;
import dev.runnel.cluster.PartitionState;

/**
 * Operator leader elections (Kafka's ElectLeaders, PREFERRED and UNCLEAN) and the automatic
 * preferred-leader balancing with Kafka's per-broker imbalance threshold.
 */
class PreferredLeadersTest {

    // ---- automatic balancing ----

    /**
     * Topic "t" of 20 partitions, each preferring broker 1 (replicas [1, 2, 3], all in sync), of
     * which the first {@code ledByTwo} are led by broker 2.
     */
    private static ControllerStateMachine brokerOnePrefersTwentyOfWhichTwoLeads(int ledByTwo) {
        ClusterFixture fixture = cluster().brokers(1, 2, 3);
        for (int p = 0; p < 20; p++) {
            fixture.partition("t", List.of(1, 2, 3), p < ledByTwo ? state(2, 1, List.of(1, 2, 3), 1)
                    : state(1, 0, List.of(1, 2, 3), 0));
        }
        return fixture.machine();
    }

    @Test
    void atTenPercentImbalanceNothingMoves() {
        ControllerStateMachine machine = brokerOnePrefersTwentyOfWhichTwoLeads(2);

        assertThat(machine.handle(new ControllerEvent.PreferredLeaderCheck(10))).isEqualTo(Decision.NOTHING);
        assertThat(machine.view().preferredReplicaImbalanceCount()).isEqualTo(2);
    }

    @Test
    void aboveTenPercentEveryImbalancedPartitionOfThatBrokerGoesBack() {
        ControllerStateMachine machine = brokerOnePrefersTwentyOfWhichTwoLeads(3);

        Decision decision = machine.handle(new ControllerEvent.PreferredLeaderCheck(10));

        assertThat(stateWrites(decision)).containsOnlyKeys(tp("t", 0), tp("t", 1), tp("t", 2));
        assertThat(decision.writes()).contains(write("t", 0, state(1, 2, List.of(1, 2, 3), 2)));
        assertThat(leaderAndIsrPartitions(decision)).containsOnlyKeys(1, 2, 3);
        assertFenced(decision, machine);
        assertThat(machine.view().preferredReplicaImbalanceCount()).isZero();
        assertThat(machine.handle(new ControllerEvent.PreferredLeaderCheck(10))).isEqualTo(Decision.NOTHING);
    }

    @Test
    void aLowerThresholdMovesWhatTheDefaultLeaves() {
        ControllerStateMachine machine = brokerOnePrefersTwentyOfWhichTwoLeads(2);

        assertThat(stateWrites(machine.handle(new ControllerEvent.PreferredLeaderCheck(5)))).hasSize(2);
    }

    @Test
    void theRatioIsPerBroker() {
        // Broker 1 prefers 20 partitions and leads 18 of them (10 %); broker 3 prefers one, led by 2 (100 %).
        ClusterFixture fixture = cluster().brokers(1, 2, 3);
        for (int p = 0; p < 20; p++) {
            fixture.partition("a", List.of(1, 2, 3), p < 2 ? state(2, 1, List.of(1, 2, 3), 1)
                    : state(1, 0, List.of(1, 2, 3), 0));
        }
        fixture.partition("b", List.of(3, 2), state(2, 4, List.of(2, 3), 6));
        ControllerStateMachine machine = fixture.machine();

        Decision decision = machine.handle(new ControllerEvent.PreferredLeaderCheck());

        assertThat(stateWrites(decision)).containsExactly(Map.entry(tp("b", 0), state(3, 5, List.of(2, 3), 7)));
    }

    @Test
    void balancingLeavesPartitionsBeingReassignedAndPreferredReplicasOutOfSyncOrDead() {
        ControllerStateMachine machine = cluster().brokers(2, 3, 4)
                .partition("t", List.of(4, 2, 3), state(2, 1, List.of(2, 3, 4), 1))
                .partition("t", List.of(4, 3, 2, 1), state(3, 1, List.of(3, 2, 4), 1))
                .reassigning("t", 1, List.of(4), List.of(1))
                .partition("t", List.of(4, 2), state(2, 1, List.of(2), 1))
                .partition("t", List.of(1, 2), state(2, 1, List.of(2), 1))
                .machine();

        Decision decision = machine.handle(new ControllerEvent.PreferredLeaderCheck());

        assertThat(stateWrites(decision)).containsOnlyKeys(tp("t", 0));
        assertThat(stateOf(machine, "t", 1).leader()).as("moving").isEqualTo(3);
        assertThat(stateOf(machine, "t", 2).leader()).as("preferred out of sync").isEqualTo(2);
        assertThat(stateOf(machine, "t", 3).leader()).as("preferred dead").isEqualTo(2);
    }

    @Test
    void theThresholdTestIsKafkasStrictlyGreater() {
        assertThat(PreferredLeaders.aboveThreshold(1, 10, 10)).isFalse();
        assertThat(PreferredLeaders.aboveThreshold(2, 10, 10)).isTrue();
        assertThat(PreferredLeaders.aboveThreshold(0, 10, 0)).isFalse();
        assertThat(PreferredLeaders.aboveThreshold(1, 1000, 0)).isTrue();
        assertThat(PreferredLeaders.aboveThreshold(1, 1, 100)).isFalse();
        assertThat(PreferredLeaders.aboveThreshold(0, 0, 10)).isFalse();
    }

    // ---- ElectLeaders PREFERRED ----

    /** t-0 led by 2 (preferred 1 in sync), t-1 led by preferred 2, t-2 preferred 4 dead, t-3 preferred 3 out of sync. */
    private static ControllerStateMachine mixed() {
        return cluster().brokers(1, 2, 3)
                .partition("t", List.of(1, 2, 3), state(2, 3, List.of(2, 3, 1), 5))
                .partition("t", List.of(2, 3, 1), state(2, 0, List.of(2, 3, 1), 0))
                .partition("t", List.of(4, 1, 2), state(1, 1, List.of(1, 2), 1))
                .partition("t", List.of(3, 1, 2), state(1, 1, List.of(1, 2), 1))
                .machine();
    }

    private static List<LeaderElections.Partition> partitions(Object... topicAndPartition) {
        List<LeaderElections.Partition> named = new ArrayList<>();
        for (int i = 0; i < topicAndPartition.length; i += 2) {
            named.add(new LeaderElections.Partition((String) topicAndPartition[i], (Integer) topicAndPartition[i + 1]));
        }
        return named;
    }

    @SuppressWarnings("unchecked")
    private static List<LeaderElections.Result> results(Decision decision) {
        return (List<LeaderElections.Result>) decision.reply();
    }

    @Test
    void preferredElectionAnswersEachPartitionNamedInOrder() {
        ControllerStateMachine machine = mixed();

        Decision decision = machine.handle(new ControllerEvent.ElectLeaders(Type.PREFERRED,
                partitions("t", 3, "t", 0, "t", 1, "t", 2, "t", 0, "nope", 0, "t", 4, "t", -1)));

        assertThat(results(decision)).extracting(r -> r.topic() + "-" + r.partition() + ":" + r.outcome())
                .containsExactly("t-3:PREFERRED_LEADER_NOT_AVAILABLE", "t-0:NONE", "t-1:ELECTION_NOT_NEEDED",
                        "t-2:PREFERRED_LEADER_NOT_AVAILABLE", "nope-0:UNKNOWN_TOPIC_OR_PARTITION",
                        "t-4:UNKNOWN_TOPIC_OR_PARTITION", "t--1:UNKNOWN_TOPIC_OR_PARTITION");
        assertThat(results(decision).get(1).leader()).isEqualTo(1);
        assertThat(results(decision)).allSatisfy(r -> {
            if (r.outcome() != Outcome.NONE) {
                assertThat(r.message()).isNotBlank();
            }
        });
        assertThat(decision.writes()).containsExactly(write("t", 0, state(1, 4, List.of(2, 3, 1), 6)));
        assertThat(leaderAndIsrPartitions(decision)).containsOnlyKeys(1, 2, 3);
        assertFenced(decision, machine);
    }

    @Test
    void preferredElectionOfEveryPartitionListsOnlyThoseThatNeededOne() {
        ControllerStateMachine machine = mixed();

        Decision decision = machine.handle(new ControllerEvent.ElectLeaders(Type.PREFERRED, null));

        assertThat(results(decision)).extracting(r -> r.partition() + ":" + r.outcome())
                .containsExactly("0:NONE", "2:PREFERRED_LEADER_NOT_AVAILABLE", "3:PREFERRED_LEADER_NOT_AVAILABLE");
        assertThat(stateWrites(decision)).containsOnlyKeys(tp("t", 0));
        Decision again = machine.handle(new ControllerEvent.ElectLeaders(Type.PREFERRED, null));
        assertThat(results(again)).extracting(LeaderElections.Result::partition).containsExactly(2, 3);
        assertThat(again.writes()).isEmpty();
    }

    @Test
    void anEmptyListElectsNothing() {
        Decision decision = mixed().handle(new ControllerEvent.ElectLeaders(Type.PREFERRED, List.of()));

        assertThat(results(decision)).isEmpty();
        assertThat(decision.writes()).isEmpty();
        assertThat(decision.commands()).isEmpty();
    }

    @Test
    void aRequestWithoutTypeOrWithAPartitionMissingItsFieldsIsRefusedAndChangesNothing() {
        ControllerStateMachine machine = mixed();

        assertRefused(machine, new ControllerEvent.ElectLeaders(null, partitions("t", 0)),
                AdminException.Reason.INVALID_REQUEST);
        assertRefused(machine, new ControllerEvent.ElectLeaders(Type.PREFERRED,
                Arrays.asList(new LeaderElections.Partition("t", 0), new LeaderElections.Partition(null, 1))),
                AdminException.Reason.INVALID_REQUEST);
        assertRefused(machine, new ControllerEvent.ElectLeaders(Type.PREFERRED,
                Arrays.asList(new LeaderElections.Partition("t", 0), new LeaderElections.Partition("t", null))),
                AdminException.Reason.INVALID_REQUEST);
        assertRefused(machine, new ControllerEvent.ElectLeaders(Type.UNCLEAN,
                Arrays.asList(new LeaderElections.Partition("t", 0), null)), AdminException.Reason.INVALID_REQUEST);
    }

    // ---- ElectLeaders UNCLEAN ----

    /** t-0 offline with ISR [1] (dead), replica 2 alive; t-1 led by 2; t-2 offline with no live replica. */
    private static ControllerStateMachine offline() {
        return cluster().brokers(2, 3)
                .partition("t", List.of(1, 2), state(PartitionState.NO_LEADER, 7, List.of(1), 9))
                .partition("t", List.of(2, 3), state(2, 0, List.of(2), 1))
                .partition("t", List.of(1, 4), state(PartitionState.NO_LEADER, 2, List.of(1), 3))
                .machine();
    }

    @Test
    void uncleanElectionGivesAnOfflinePartitionToALiveReplicaOutsideTheIsrWhichBecomesTheIsr() {
        ControllerStateMachine machine = offline();

        Decision decision = machine.handle(new ControllerEvent.ElectLeaders(Type.UNCLEAN, partitions("t", 0, "t", 1,
                "t", 2)));

        assertThat(results(decision)).extracting(LeaderElections.Result::outcome).containsExactly(Outcome.NONE,
                Outcome.ELECTION_NOT_NEEDED, Outcome.ELIGIBLE_LEADERS_NOT_AVAILABLE);
        assertThat(results(decision).get(0).leader()).isEqualTo(2);
        assertThat(decision.writes()).containsExactly(write("t", 0, state(2, 8, List.of(2), 10)));
        assertThat(leaderAndIsrPartitions(decision)).containsOnlyKeys(2);
        assertFenced(decision, machine);
    }

    @Test
    void uncleanElectionPrefersALiveInSyncReplica() {
        assertThat(LeaderElection.unclean(List.of(1, 2, 3), state(PartitionState.NO_LEADER, 3, List.of(1, 3), 4),
                id -> id != 1)).isEqualTo(state(3, 4, List.of(1, 3), 5));
    }

    @Test
    void uncleanElectionOfEveryPartitionListsTheOfflineOnes() {
        Decision decision = offline().handle(new ControllerEvent.ElectLeaders(Type.UNCLEAN, null));

        assertThat(results(decision)).extracting(r -> r.partition() + ":" + r.outcome())
                .containsExactly("0:NONE", "2:ELIGIBLE_LEADERS_NOT_AVAILABLE");
    }

    @Test
    void aPreferredElectionDoesNotBringAnOfflinePartitionBackFromOutsideTheIsr() {
        ControllerStateMachine machine = offline();

        Decision decision = machine.handle(new ControllerEvent.ElectLeaders(Type.PREFERRED, partitions("t", 0)));

        assertThat(results(decision)).singleElement()
                .satisfies(r -> assertThat(r.outcome()).isEqualTo(Outcome.PREFERRED_LEADER_NOT_AVAILABLE));
        assertThat(decision.writes()).isEmpty();
        assertThat(stateOf(machine, "t", 0).online()).isFalse();
    }
}
