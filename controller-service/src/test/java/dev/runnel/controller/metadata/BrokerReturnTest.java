package dev.runnel.controller.metadata;

import static dev.runnel.controller.metadata.ClusterFixture.assertFenced;
import static dev.runnel.controller.metadata.ClusterFixture.broker;
import static dev.runnel.controller.metadata.ClusterFixture.cluster;
import static dev.runnel.controller.metadata.ClusterFixture.kindsFor;
import static dev.runnel.controller.metadata.ClusterFixture.leaderAndIsrFor;
import static dev.runnel.controller.metadata.ClusterFixture.leaderAndIsrPartitions;
import static dev.runnel.controller.metadata.ClusterFixture.restarted;
import static dev.runnel.controller.metadata.ClusterFixture.state;
import static dev.runnel.controller.metadata.ClusterFixture.stateOf;
import static dev.runnel.controller.metadata.ClusterFixture.stateWrites;
import static dev.runnel.controller.metadata.ClusterFixture.targets;
import static dev.runnel.controller.metadata.ClusterFixture.tp;
import static dev.runnel.controller.metadata.ClusterFixture.updateMetadataFor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

import dev.runnel.cluster.AlterPartitionRequest;
import dev.runnel.cluster.AlterPartitionResponse;
import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.ClusterError;
import dev.runnel.cluster.UpdateMetadataRequest;

/** Brokers joining, returning and restarting, and leadership going back to preferred replicas. */
class BrokerReturnTest {

    /** Brokers 1-3; broker 1 leads partition 0 and follows partition 1. */
    private static ControllerStateMachine threeBrokers() {
        return cluster().brokers(1, 2, 3)
                .partition("t", List.of(1, 2, 3), state(1, 4, List.of(1, 2, 3), 10))
                .partition("t", List.of(2, 1), state(2, 1, List.of(2, 1), 3))
                .partition("t", List.of(3, 2), state(3, 0, List.of(3, 2), 0))
                .machine();
    }

    // ---- joining and re-registering ----

    @Test
    void aBrokerUpWithIdenticalInfoIsNothing() {
        ControllerStateMachine machine = threeBrokers();
        ClusterView before = machine.view();

        assertThat(machine.handle(new ControllerEvent.BrokerUp(broker(2)))).isEqualTo(Decision.NOTHING);
        assertThat(machine.view()).isEqualTo(before);
    }

    @Test
    void aNewBrokerGetsTheFullMetadataAndTheOthersLearnOfIt() {
        ControllerStateMachine machine = threeBrokers();

        Decision decision = machine.handle(new ControllerEvent.BrokerUp(broker(4)));

        assertThat(decision.writes()).isEmpty();
        UpdateMetadataRequest full = updateMetadataFor(decision, 4);
        assertThat(full.full()).isTrue();
        assertThat(full.topics()).containsExactlyElementsOf(machine.view().topics().values());
        assertThat(full.liveBrokers()).extracting(BrokerInfo::id).containsExactly(1, 2, 3, 4);
        assertThat(kindsFor(decision, 4)).containsExactly(BrokerCommand.UpdateMetadata.class);
        for (int id = 1; id <= 3; id++) {
            assertThat(updateMetadataFor(decision, id).full()).isFalse();
            assertThat(updateMetadataFor(decision, id).liveBrokers()).contains(broker(4));
        }
        assertThat(machine.view().brokers()).containsEntry(4, broker(4));
    }

    @Test
    void aReturningReplicaGetsFullMetadataThenLeaderAndIsrForAllItsPartitionsButStaysOutOfTheIsr() {
        ControllerStateMachine machine = threeBrokers();
        machine.handle(new ControllerEvent.BrokerDown(1));
        BrokerInfo back = restarted(broker(1));

        Decision decision = machine.handle(new ControllerEvent.BrokerUp(back));

        assertThat(decision.writes()).isEmpty();
        assertThat(kindsFor(decision, 1)).containsExactly(BrokerCommand.UpdateMetadata.class,
                BrokerCommand.LeaderAndIsr.class);
        assertThat(leaderAndIsrPartitions(decision)).containsOnly(entry(1, Set.of(tp("t", 0), tp("t", 1))));
        assertThat(leaderAndIsrFor(decision, 1).request().brokerEpoch()).isEqualTo(back.epoch());
        assertThat(stateOf(machine, "t", 0)).isEqualTo(state(2, 5, List.of(2, 3), 11));
        assertThat(stateOf(machine, "t", 1)).isEqualTo(state(2, 1, List.of(2), 4));
        assertFenced(decision, machine);
    }

    @Test
    void aBrokerUpWithANewEpochIsARestartThatMovesItsLeadershipsAndDropsItFromTheIsrs() {
        ControllerStateMachine machine = threeBrokers();
        BrokerInfo again = restarted(broker(1));

        Decision decision = machine.handle(new ControllerEvent.BrokerUp(again));

        assertThat(stateOf(machine, "t", 0)).isEqualTo(state(2, 5, List.of(2, 3), 11));
        assertThat(stateOf(machine, "t", 1)).isEqualTo(state(2, 1, List.of(2), 4));
        assertThat(stateOf(machine, "t", 2)).isEqualTo(state(3, 0, List.of(3, 2), 0));
        assertThat(stateWrites(decision)).containsOnlyKeys(tp("t", 0), tp("t", 1));
        assertThat(machine.view().brokers()).containsEntry(1, again);
    }

    @Test
    void aRestartedBrokerGetsTheFullMetadataAndItsPartitionsAtItsNewEpoch() {
        ControllerStateMachine machine = threeBrokers();
        BrokerInfo again = restarted(broker(1));

        Decision decision = machine.handle(new ControllerEvent.BrokerUp(again));

        assertThat(kindsFor(decision, 1)).containsExactly(BrokerCommand.UpdateMetadata.class,
                BrokerCommand.LeaderAndIsr.class);
        assertThat(updateMetadataFor(decision, 1).full()).isTrue();
        assertThat(updateMetadataFor(decision, 1).liveBrokers()).contains(again).doesNotContain(broker(1));
        assertThat(leaderAndIsrPartitions(decision).get(1)).containsExactlyInAnyOrder(tp("t", 0), tp("t", 1));
        assertThat(leaderAndIsrFor(decision, 1).request().brokerEpoch()).isEqualTo(again.epoch());
        assertThat(updateMetadataFor(decision, 2).full()).isFalse();
        assertThat(updateMetadataFor(decision, 2).liveBrokers()).contains(again);
        assertFenced(decision, machine);
    }

    @Test
    void aRestartedSoleInSyncLeaderLeadsAgainWithAHigherLeaderEpoch() {
        ControllerStateMachine machine = cluster().brokers(1, 2)
                .partition("t", List.of(1, 2), state(1, 3, List.of(1), 5))
                .machine();

        Decision decision = machine.handle(new ControllerEvent.BrokerUp(restarted(broker(1))));

        assertThat(stateOf(machine, "t", 0).leader()).isEqualTo(1);
        assertThat(stateOf(machine, "t", 0).leaderEpoch()).isGreaterThan(3);
        assertThat(stateOf(machine, "t", 0).isr()).containsExactly(1);
        assertThat(machine.view().offlinePartitionCount()).isZero();
        assertThat(decision.writes()).isNotEmpty().last().isEqualTo(new ZkWrite.SetPartitionState("t", 0,
                stateOf(machine, "t", 0)));
    }

    /**
     * The store commits a decision's writes in one transaction, each conditional on the version it
     * last read or wrote, so a decision that writes the same partition state twice can never commit.
     */
    @Test
    void aRestartWritesEachPartitionStateAtMostOnce() {
        ControllerStateMachine machine = cluster().brokers(1, 2)
                .partition("t", List.of(1, 2), state(1, 3, List.of(1), 5))
                .partition("t", List.of(2, 1), state(2, 0, List.of(2, 1), 0))
                .machine();

        Decision decision = machine.handle(new ControllerEvent.BrokerUp(restarted(broker(1))));

        List<ZkWrite> partition0 = decision.writes().stream()
                .filter(w -> w instanceof ZkWrite.SetPartitionState s && s.partition() == 0).toList();
        assertThat(partition0).as("writes of t-0 in one decision").hasSize(1);
        assertThat(stateWrites(decision)).containsOnlyKeys(tp("t", 0), tp("t", 1));
    }

    // ---- preferred leader ----

    /** Broker 1, preferred for partition 0, died and came back; broker 2 leads with ISR [2,3]. */
    private static ControllerStateMachine preferredReplicaBackButOutOfSync() {
        ControllerStateMachine machine = cluster().brokers(1, 2, 3)
                .partition("t", List.of(1, 2, 3), state(1, 0, List.of(1, 2, 3), 0))
                .machine();
        machine.handle(new ControllerEvent.BrokerDown(1));
        machine.handle(new ControllerEvent.BrokerUp(restarted(broker(1))));
        assertThat(stateOf(machine, "t", 0)).isEqualTo(state(2, 1, List.of(2, 3), 1));
        return machine;
    }

    @Test
    void preferredLeaderCheckDoesNothingWhileThePreferredReplicaIsOutOfTheIsr() {
        ControllerStateMachine machine = preferredReplicaBackButOutOfSync();

        assertThat(machine.handle(new ControllerEvent.PreferredLeaderCheck())).isEqualTo(Decision.NOTHING);
        assertThat(machine.view().preferredReplicaImbalanceCount()).isEqualTo(1);
    }

    @Test
    void preferredLeaderCheckMovesLeadershipBackOnceTheLeaderAddsThePreferredReplicaToTheIsr() {
        ControllerStateMachine machine = preferredReplicaBackButOutOfSync();
        AlterPartitionRequest expand = new AlterPartitionRequest(2, broker(2).epoch(),
                List.of(new AlterPartitionRequest.Change("t", 0, 1, 1, List.of(2, 3, 1))));
        AlterPartitionResponse reply = (AlterPartitionResponse) machine
                .handle(new ControllerEvent.AlterPartition(expand)).reply();
        assertThat(reply.partitions()).singleElement()
                .satisfies(r -> assertThat(r.error()).isEqualTo(ClusterError.NONE));

        Decision decision = machine.handle(new ControllerEvent.PreferredLeaderCheck());

        assertThat(stateOf(machine, "t", 0)).isEqualTo(state(1, 2, List.of(2, 3, 1), 3));
        assertThat(decision.writes())
                .containsExactly(new ZkWrite.SetPartitionState("t", 0, state(1, 2, List.of(2, 3, 1), 3)));
        assertThat(leaderAndIsrPartitions(decision)).containsOnlyKeys(1, 2, 3);
        assertThat(leaderAndIsrFor(decision, 2).request().liveLeaders()).containsExactly(restarted(broker(1)));
        assertThat(targets(decision, BrokerCommand.UpdateMetadata.class)).containsExactly(1, 2, 3);
        assertThat(machine.view().preferredReplicaImbalanceCount()).isZero();
        assertFenced(decision, machine);
        assertThat(machine.handle(new ControllerEvent.PreferredLeaderCheck())).isEqualTo(Decision.NOTHING);
    }

    @Test
    void preferredLeaderCheckDoesNothingWhileThePreferredReplicaIsDead() {
        ControllerStateMachine machine = cluster().brokers(2, 3)
                .partition("t", List.of(1, 2, 3), state(2, 1, List.of(2, 3), 1))
                .machine();

        assertThat(machine.handle(new ControllerEvent.PreferredLeaderCheck())).isEqualTo(Decision.NOTHING);
    }

    @Test
    void preferredLeaderCheckTouchesOnlyImbalancedPartitions() {
        ControllerStateMachine machine = cluster().brokers(1, 2, 3)
                .partition("a", List.of(1, 2), state(2, 3, List.of(2, 1), 4))
                .partition("a", List.of(2, 3), state(2, 0, List.of(2, 3), 0))
                .partition("b", List.of(3, 1), state(1, 6, List.of(1), 8))
                .machine();

        Decision decision = machine.handle(new ControllerEvent.PreferredLeaderCheck());

        assertThat(decision.writes())
                .containsExactly(new ZkWrite.SetPartitionState("a", 0, state(1, 4, List.of(2, 1), 5)));
        assertThat(leaderAndIsrPartitions(decision)).containsOnly(
                entry(1, Set.of(tp("a", 0))), entry(2, Set.of(tp("a", 0))));
        assertThat(machine.view().preferredReplicaImbalanceCount()).isEqualTo(1);
        assertThat(stateOf(machine, "b", 0)).isEqualTo(state(1, 6, List.of(1), 8));
    }
}
