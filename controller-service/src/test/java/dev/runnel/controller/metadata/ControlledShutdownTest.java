package dev.runnel.controller.metadata;

import static dev.runnel.cluster.PartitionState.NO_LEADER;
import static dev.runnel.controller.metadata.ClusterFixture.assertFenced;
import static dev.runnel.controller.metadata.ClusterFixture.assertRefused;
import static dev.runnel.controller.metadata.ClusterFixture.broker;
import static dev.runnel.controller.metadata.ClusterFixture.cluster;
import static dev.runnel.controller.metadata.ClusterFixture.leaderAndIsrPartitions;
import static dev.runnel.controller.metadata.ClusterFixture.restarted;
import static dev.runnel.controller.metadata.ClusterFixture.state;
import static dev.runnel.controller.metadata.ClusterFixture.stateOf;
import static dev.runnel.controller.metadata.ClusterFixture.targets;
import static dev.runnel.controller.metadata.ClusterFixture.tp;
import static dev.runnel.controller.metadata.ClusterFixture.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

import dev.runnel.cluster.AlterPartitionRequest;
import dev.runnel.cluster.AlterPartitionResponse;
import dev.runnel.cluster.ClusterError;
import dev.runnel.cluster.ControlledShutdownRequest;
import dev.runnel.cluster.ControlledShutdownResponse;
import dev.runnel.cluster.PartitionRef;
import dev.runnel.controller.metadata.AdminException.Reason;

/** A broker asks to have its leaderships moved away before it stops. */
class ControlledShutdownTest {

    /**
     * Brokers 1-3. Broker 2 leads t-0 (moves to 1) and t-2 (alone in the ISR, stays), follows t-1,
     * and has nothing to do with t-3.
     */
    private static ControllerStateMachine threeBrokers() {
        return cluster().brokers(1, 2, 3)
                .partition("t", List.of(2, 1, 3), state(2, 4, List.of(3, 2, 1), 6))
                .partition("t", List.of(1, 2, 3), state(1, 2, List.of(1, 2, 3), 3))
                .partition("t", List.of(2, 3), state(2, 1, List.of(2), 2))
                .partition("t", List.of(1, 3), state(1, 0, List.of(1, 3), 0))
                .machine();
    }

    private static Decision shutdown(ControllerStateMachine machine, int brokerId) {
        long epoch = machine.view().brokers().get(brokerId).epoch();
        return machine.handle(new ControllerEvent.ControlledShutdown(new ControlledShutdownRequest(brokerId, epoch)));
    }

    private static ControlledShutdownResponse response(Decision decision) {
        assertThat(decision.reply()).isInstanceOf(ControlledShutdownResponse.class);
        return (ControlledShutdownResponse) decision.reply();
    }

    @Test
    void leadershipsMoveToAnotherLiveInSyncReplicaAndTheBrokerLeavesTheIsrs() {
        ControllerStateMachine machine = threeBrokers();

        Decision decision = shutdown(machine, 2);

        assertThat(stateOf(machine, "t", 0)).isEqualTo(state(1, 5, List.of(3, 1), 7));
        assertThat(stateOf(machine, "t", 1)).isEqualTo(state(1, 2, List.of(1, 3), 4));
        assertThat(stateOf(machine, "t", 3)).isEqualTo(state(1, 0, List.of(1, 3), 0));
        assertThat(decision.writes()).containsExactlyInAnyOrder(
                write("t", 0, state(1, 5, List.of(3, 1), 7)),
                write("t", 1, state(1, 2, List.of(1, 3), 4)));
    }

    @Test
    void partitionsWithoutAnotherInSyncReplicaAreListedAsRemainingAndLeftAlone() {
        ControllerStateMachine machine = threeBrokers();

        Decision decision = shutdown(machine, 2);

        assertThat(response(decision).error()).isEqualTo(ClusterError.NONE);
        assertThat(response(decision).remainingLeaders()).containsExactly(tp("t", 2));
        assertThat(stateOf(machine, "t", 2)).isEqualTo(state(2, 1, List.of(2), 2));
    }

    @Test
    void theReplicasOfTheChangedPartitionsIncludingTheLeavingBrokerGetLeaderAndIsr() {
        ControllerStateMachine machine = threeBrokers();

        Decision decision = shutdown(machine, 2);

        Set<PartitionRef> changed = Set.of(tp("t", 0), tp("t", 1));
        assertThat(leaderAndIsrPartitions(decision)).containsOnly(
                entry(1, changed), entry(2, changed), entry(3, changed));
        assertThat(targets(decision, BrokerCommand.UpdateMetadata.class)).containsExactly(1, 2, 3);
        assertFenced(decision, machine);
    }

    @Test
    void aBrokerThatLeadsNothingIsToldThereIsNothingLeft() {
        ControllerStateMachine machine = cluster().brokers(1, 2)
                .partition("t", List.of(1), state(1, 0, List.of(1), 0))
                .machine();

        Decision decision = shutdown(machine, 2);

        assertThat(response(decision)).isEqualTo(new ControlledShutdownResponse(ClusterError.NONE, List.of()));
        assertThat(decision.writes()).isEmpty();
    }

    @Test
    void aStaleBrokerEpochIsRefusedAndChangesNothing() {
        ControllerStateMachine machine = threeBrokers();
        ClusterView before = machine.view();

        Decision stale = machine.handle(new ControllerEvent.ControlledShutdown(
                new ControlledShutdownRequest(2, broker(2).epoch() - 1)));
        Decision unknown = machine.handle(new ControllerEvent.ControlledShutdown(
                new ControlledShutdownRequest(9, broker(2).epoch())));

        for (Decision decision : List.of(stale, unknown)) {
            assertThat(response(decision)).isEqualTo(
                    new ControlledShutdownResponse(ClusterError.STALE_BROKER_EPOCH, List.of()));
            assertThat(decision.writes()).isEmpty();
            assertThat(decision.commands()).isEmpty();
        }
        assertThat(machine.view()).isEqualTo(before);
        Decision created = machine.handle(new ControllerEvent.CreateTopic("all", 3, 3, Map.of()));
        assertThat(created.writes()).hasSize(1);
    }

    @Test
    void theLeavingBrokerIsExcludedFromNewTopicPlacement() {
        ControllerStateMachine machine = threeBrokers();
        shutdown(machine, 2);

        assertRefused(machine, new ControllerEvent.CreateTopic("wide", 1, 3, Map.of()),
                Reason.INVALID_REPLICATION_FACTOR);
        ZkWrite.CreateTopic created = (ZkWrite.CreateTopic) machine
                .handle(new ControllerEvent.CreateTopic("narrow", 8, 2, Map.of())).writes().get(0);

        assertThat(created.topic().replicas().stream().flatMap(List::stream).collect(Collectors.toSet()))
                .containsExactlyInAnyOrder(1, 3);
    }

    @Test
    void theLeavingBrokerIsExcludedFromPlacementOfNewPartitions() {
        ControllerStateMachine machine = threeBrokers();
        machine.handle(new ControllerEvent.CreateTopic("g", 1, 2, Map.of()));
        shutdown(machine, 2);

        ZkWrite.UpdateTopic grown = (ZkWrite.UpdateTopic) machine
                .handle(new ControllerEvent.CreatePartitions("g", 9)).writes().get(0);

        assertThat(grown.topic().replicas().subList(1, 9)).allSatisfy(r -> assertThat(r).doesNotContain(2));
    }

    @Test
    void theLeavingBrokerIsNotElectedWhenTheNewLeaderIsLostLater() {
        ControllerStateMachine machine = threeBrokers();
        shutdown(machine, 2);

        machine.handle(new ControllerEvent.BrokerDown(1));

        assertThat(stateOf(machine, "t", 0)).isEqualTo(state(3, 6, List.of(3), 8));
        assertThat(stateOf(machine, "t", 1)).isEqualTo(state(3, 3, List.of(3), 5));
        assertThat(stateOf(machine, "t", 3)).isEqualTo(state(3, 1, List.of(3), 1));
    }

    @Test
    void theLeavingBrokerIsNotElectedEvenUncleanly() {
        ControllerStateMachine machine = cluster().brokers(1, 2, 3)
                .topic("u", Map.of("unclean.leader.election.enable", "true"))
                .partition("u", List.of(1, 2, 3), state(1, 0, List.of(1), 0))
                .partition("u", List.of(1, 2), state(1, 0, List.of(1), 0))
                .machine();
        shutdown(machine, 2);

        machine.handle(new ControllerEvent.BrokerDown(1));

        assertThat(stateOf(machine, "u", 0)).isEqualTo(state(3, 1, List.of(3), 1));
        assertThat(stateOf(machine, "u", 1)).isEqualTo(state(NO_LEADER, 1, List.of(1), 1));
    }

    @Test
    void theLeavingBrokerCannotBeAddedBackToAnIsr() {
        ControllerStateMachine machine = threeBrokers();
        shutdown(machine, 2);

        Decision decision = machine.handle(new ControllerEvent.AlterPartition(new AlterPartitionRequest(1,
                broker(1).epoch(), List.of(new AlterPartitionRequest.Change("t", 1, 2, 4, List.of(1, 3, 2))))));

        assertThat(((AlterPartitionResponse) decision.reply()).partitions()).singleElement()
                .satisfies(r -> assertThat(r.error()).isEqualTo(ClusterError.INELIGIBLE_REPLICA));
        assertThat(decision.writes()).isEmpty();
    }

    @Test
    void thePreferredLeaderCheckDoesNotGiveLeadershipBackToTheLeavingBroker() {
        ControllerStateMachine machine = cluster().brokers(1, 2)
                .partition("t", List.of(2, 1), state(1, 3, List.of(1, 2), 5))
                .machine();
        shutdown(machine, 2);

        assertThat(machine.handle(new ControllerEvent.PreferredLeaderCheck())).isEqualTo(Decision.NOTHING);
        assertThat(stateOf(machine, "t", 0).leader()).isEqualTo(1);
    }

    @Test
    void aRetriedShutdownMovesLeadershipsThatHaveBecomeMovable() {
        ControllerStateMachine machine = threeBrokers();
        shutdown(machine, 2);
        machine.handle(new ControllerEvent.AlterPartition(new AlterPartitionRequest(2, broker(2).epoch(),
                List.of(new AlterPartitionRequest.Change("t", 2, 1, 2, List.of(2, 3))))));

        Decision retry = shutdown(machine, 2);

        assertThat(response(retry).remainingLeaders()).isEmpty();
        assertThat(stateOf(machine, "t", 2)).isEqualTo(state(3, 2, List.of(3), 4));
        assertThat(retry.writes()).containsExactly(write("t", 2, state(3, 2, List.of(3), 4)));
    }

    @Test
    void theLeavingBrokerIsUsableAgainAfterItRestarts() {
        ControllerStateMachine machine = threeBrokers();
        shutdown(machine, 2);
        machine.handle(new ControllerEvent.BrokerDown(2));
        machine.handle(new ControllerEvent.BrokerUp(restarted(broker(2))));

        Decision created = machine.handle(new ControllerEvent.CreateTopic("wide", 2, 3, Map.of()));

        assertThat(created.writes()).hasSize(1);
        assertThat(machine.view().topic("wide").orElseThrow().partitions())
                .allSatisfy(p -> assertThat(p.replicas()).contains(2));
    }
}
