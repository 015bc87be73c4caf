package dev.runnel.controller.metadata;

import static dev.runnel.cluster.PartitionState.NO_LEADER;
import static dev.runnel.controller.metadata.ClusterFixture.assertFenced;
import static dev.runnel.controller.metadata.ClusterFixture.broker;
import static dev.runnel.controller.metadata.ClusterFixture.cluster;
import static dev.runnel.controller.metadata.ClusterFixture.leaderAndIsrFor;
import static dev.runnel.controller.metadata.ClusterFixture.leaderAndIsrPartitions;
import static dev.runnel.controller.metadata.ClusterFixture.state;
import static dev.runnel.controller.metadata.ClusterFixture.stateOf;
import static dev.runnel.controller.metadata.ClusterFixture.stateWrites;
import static dev.runnel.controller.metadata.ClusterFixture.targets;
import static dev.runnel.controller.metadata.ClusterFixture.tp;
import static dev.runnel.controller.metadata.ClusterFixture.updateMetadataFor;
import static dev.runnel.controller.metadata.ClusterFixture.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.TopicInfo;

/** A broker's registration disappears: leaders move, ISRs shrink, partitions go offline. */
class BrokerLossTest {

    /**
     * Brokers 1-4. Partition 0 and 3 and 4 are led by broker 1, partition 1 is followed by it,
     * partition 2 does not involve it.
     */
    private static ControllerStateMachine fourBrokers() {
        return cluster().brokers(1, 2, 3, 4)
                .partition("t", List.of(1, 2, 3), state(1, 4, List.of(1, 2, 3), 10))
                .partition("t", List.of(2, 1, 3), state(2, 3, List.of(2, 1, 3), 6))
                .partition("t", List.of(3, 4, 2), state(3, 0, List.of(3, 4, 2), 0))
                .partition("t", List.of(1, 4, 3), state(1, 2, List.of(1, 3), 5))
                .partition("t", List.of(1, 3, 2), state(1, 8, List.of(1, 2, 3), 12))
                .machine();
    }

    @Test
    void partitionsTheLostBrokerLedGetTheFirstLiveInSyncReplicaInReplicaOrderWithBothEpochsBumped() {
        ControllerStateMachine machine = fourBrokers();

        machine.handle(new ControllerEvent.BrokerDown(1));

        assertThat(stateOf(machine, "t", 0)).isEqualTo(state(2, 5, List.of(2, 3), 11));
        assertThat(stateOf(machine, "t", 3)).as("4 precedes 3 in the replicas but is out of sync")
                .isEqualTo(state(3, 3, List.of(3), 6));
        assertThat(stateOf(machine, "t", 4)).as("replica order [1,3,2], not ISR order [1,2,3]")
                .isEqualTo(state(3, 9, List.of(2, 3), 13));
    }

    @Test
    void partitionsTheLostBrokerFollowedDropItFromTheIsrWithoutALeaderEpochBump() {
        ControllerStateMachine machine = fourBrokers();

        machine.handle(new ControllerEvent.BrokerDown(1));

        assertThat(stateOf(machine, "t", 1)).isEqualTo(state(2, 3, List.of(2, 3), 7));
        assertThat(stateOf(machine, "t", 2)).isEqualTo(state(3, 0, List.of(3, 4, 2), 0));
    }

    @Test
    void exactlyTheChangedPartitionsAreWritten() {
        ControllerStateMachine machine = fourBrokers();

        Decision decision = machine.handle(new ControllerEvent.BrokerDown(1));

        assertThat(decision.writes()).containsExactlyInAnyOrder(
                write("t", 0, state(2, 5, List.of(2, 3), 11)),
                write("t", 1, state(2, 3, List.of(2, 3), 7)),
                write("t", 3, state(3, 3, List.of(3), 6)),
                write("t", 4, state(3, 9, List.of(2, 3), 13)));
        assertThat(decision.reply()).isNull();
    }

    @Test
    void leaderAndIsrGoesToTheRemainingLiveReplicasOfChangedPartitionsOnly() {
        ControllerStateMachine machine = fourBrokers();

        Decision decision = machine.handle(new ControllerEvent.BrokerDown(1));

        assertThat(leaderAndIsrPartitions(decision)).containsOnly(
                entry(2, Set.of(tp("t", 0), tp("t", 1), tp("t", 4))),
                entry(3, Set.of(tp("t", 0), tp("t", 1), tp("t", 3), tp("t", 4))),
                entry(4, Set.of(tp("t", 3))));
        assertThat(targets(decision)).doesNotContain(1);
        assertFenced(decision, machine);
    }

    @Test
    void leaderAndIsrNamesTheNewLeadersSoFollowersCanFetch() {
        ControllerStateMachine machine = fourBrokers();

        Decision decision = machine.handle(new ControllerEvent.BrokerDown(1));

        var toFour = leaderAndIsrFor(decision, 4).request();
        assertThat(toFour.topics()).singleElement().satisfies(t -> assertThat(t.partitions())
                .containsExactly(new PartitionInfo(3, List.of(1, 4, 3), state(3, 3, List.of(3), 6))));
        assertThat(toFour.liveLeaders()).containsExactly(broker(3));
        assertThat(leaderAndIsrFor(decision, 3).request().liveLeaders())
                .containsExactlyInAnyOrder(broker(2), broker(3));
    }

    @Test
    void everyLiveBrokerLearnsTheNewLiveBrokersAndTheChangedTopic() {
        ControllerStateMachine machine = fourBrokers();

        Decision decision = machine.handle(new ControllerEvent.BrokerDown(1));

        assertThat(targets(decision, BrokerCommand.UpdateMetadata.class)).containsExactly(2, 3, 4);
        TopicInfo t = machine.view().topic("t").orElseThrow();
        for (int id = 2; id <= 4; id++) {
            assertThat(updateMetadataFor(decision, id).liveBrokers()).extracting(BrokerInfo::id)
                    .containsExactly(2, 3, 4);
            assertThat(updateMetadataFor(decision, id).topics()).containsExactly(t);
            assertThat(updateMetadataFor(decision, id).full()).isFalse();
        }
        assertThat(machine.view().brokers()).containsOnlyKeys(2, 3, 4);
    }

    @Test
    void lossOfABrokerWithoutReplicasChangesOnlyTheLiveBrokers() {
        ControllerStateMachine machine = cluster().brokers(1, 2, 3)
                .partition("t", List.of(1, 2), state(1, 0, List.of(1, 2), 0))
                .machine();

        Decision decision = machine.handle(new ControllerEvent.BrokerDown(3));

        assertThat(decision.writes()).isEmpty();
        assertThat(leaderAndIsrPartitions(decision)).isEmpty();
        assertThat(targets(decision, BrokerCommand.UpdateMetadata.class)).containsExactly(1, 2);
        assertThat(updateMetadataFor(decision, 1).topics()).isEmpty();
    }

    @Test
    void lossOfAnUnknownOrAlreadyLostBrokerIsNothing() {
        ControllerStateMachine machine = fourBrokers();
        machine.handle(new ControllerEvent.BrokerDown(1));
        ClusterView before = machine.view();

        assertThat(machine.handle(new ControllerEvent.BrokerDown(1))).isEqualTo(Decision.NOTHING);
        assertThat(machine.handle(new ControllerEvent.BrokerDown(99))).isEqualTo(Decision.NOTHING);
        assertThat(machine.view()).isEqualTo(before);
    }

    @Test
    void aViewTakenBeforeAnEventIsNotChangedByIt() {
        ControllerStateMachine machine = fourBrokers();
        ClusterView before = machine.view();

        machine.handle(new ControllerEvent.BrokerDown(1));

        assertThat(before.brokers()).containsOnlyKeys(1, 2, 3, 4);
        assertThat(before.state("t", 0)).contains(state(1, 4, List.of(1, 2, 3), 10));
    }

    // ---- offline partitions ----

    /** Broker 1 leads [1,2] alone in the ISR; broker 2 is live but out of sync. */
    private static ControllerStateMachine soleInSyncLeader(Map<String, String> configs) {
        return cluster().brokers(1, 2)
                .topic("t", configs)
                .partition("t", List.of(1, 2), state(1, 3, List.of(1), 5))
                .machine();
    }

    @Test
    void whenTheLastInSyncReplicaDiesThePartitionGoesOfflineKeepingItInTheIsr() {
        ControllerStateMachine machine = soleInSyncLeader(Map.of());

        Decision decision = machine.handle(new ControllerEvent.BrokerDown(1));

        assertThat(stateOf(machine, "t", 0)).isEqualTo(state(NO_LEADER, 4, List.of(1), 6));
        assertThat(stateWrites(decision)).containsOnly(entry(tp("t", 0), state(NO_LEADER, 4, List.of(1), 6)));
        assertThat(machine.view().offlinePartitionCount()).isEqualTo(1);
        assertThat(leaderAndIsrPartitions(decision)).containsOnly(entry(2, Set.of(tp("t", 0))));
        assertThat(leaderAndIsrFor(decision, 2).request().liveLeaders()).isEmpty();
    }

    @Test
    void theOfflinePartitionsLastInSyncReplicaLeadsAgainWhenItReturnsWithAHigherLeaderEpoch() {
        ControllerStateMachine machine = soleInSyncLeader(Map.of());
        machine.handle(new ControllerEvent.BrokerDown(1));
        BrokerInfo back = broker(1).withEpoch(9999);

        Decision decision = machine.handle(new ControllerEvent.BrokerUp(back));

        assertThat(stateOf(machine, "t", 0)).isEqualTo(state(1, 5, List.of(1), 7));
        assertThat(stateWrites(decision)).containsOnly(entry(tp("t", 0), state(1, 5, List.of(1), 7)));
        assertThat(machine.view().offlinePartitionCount()).isZero();
        assertThat(leaderAndIsrPartitions(decision)).containsOnlyKeys(1, 2);
        assertThat(leaderAndIsrFor(decision, 1).request().brokerEpoch()).isEqualTo(9999);
        assertThat(leaderAndIsrFor(decision, 2).request().liveLeaders()).containsExactly(back);
        assertFenced(decision, machine);
    }

    @Test
    void aReturningReplicaOutsideTheIsrDoesNotLeadTheOfflinePartition() {
        ControllerStateMachine machine = cluster().brokers(1)
                .partition("t", List.of(1, 2), state(1, 3, List.of(1), 5))
                .machine();
        machine.handle(new ControllerEvent.BrokerDown(1));

        Decision decision = machine.handle(new ControllerEvent.BrokerUp(broker(2)));

        assertThat(stateOf(machine, "t", 0)).isEqualTo(state(NO_LEADER, 4, List.of(1), 6));
        assertThat(decision.writes()).isEmpty();
        assertThat(machine.view().offlinePartitionCount()).isEqualTo(1);
    }

    @Test
    void aFurtherLossDoesNotRewriteAnOfflinePartition() {
        ControllerStateMachine machine = soleInSyncLeader(Map.of());
        machine.handle(new ControllerEvent.BrokerDown(1));

        Decision decision = machine.handle(new ControllerEvent.BrokerDown(2));

        assertThat(decision.writes()).isEmpty();
        assertThat(stateOf(machine, "t", 0)).isEqualTo(state(NO_LEADER, 4, List.of(1), 6));
    }

    @Test
    void withUncleanElectionEnabledALiveOutOfSyncReplicaIsElectedAndBecomesTheWholeIsr() {
        ControllerStateMachine machine = soleInSyncLeader(Map.of("unclean.leader.election.enable", "true"));

        Decision decision = machine.handle(new ControllerEvent.BrokerDown(1));

        assertThat(stateOf(machine, "t", 0)).isEqualTo(state(2, 4, List.of(2), 6));
        assertThat(stateWrites(decision)).containsOnly(entry(tp("t", 0), state(2, 4, List.of(2), 6)));
        assertThat(machine.view().offlinePartitionCount()).isZero();
    }

    @Test
    void withUncleanElectionEnabledAReturningOutOfSyncReplicaLeadsTheOfflinePartition() {
        ControllerStateMachine machine = cluster().brokers(1)
                .topic("t", Map.of("unclean.leader.election.enable", "true"))
                .partition("t", List.of(1, 2), state(1, 3, List.of(1), 5))
                .machine();
        machine.handle(new ControllerEvent.BrokerDown(1));

        machine.handle(new ControllerEvent.BrokerUp(broker(2)));

        assertThat(stateOf(machine, "t", 0)).isEqualTo(state(2, 5, List.of(2), 7));
    }

    @Test
    void enablingUncleanElectionOnATopicBringsItsOfflinePartitionBackAtOnce() {
        ControllerStateMachine machine = cluster().brokers(1, 2)
                .topic("t", Map.of())
                .partition("t", List.of(1, 2), state(1, 3, List.of(1), 5))
                .machine();
        machine.handle(new ControllerEvent.BrokerDown(1));
        assertThat(stateOf(machine, "t", 0).leader()).isEqualTo(NO_LEADER);

        Decision decision = machine.handle(new ControllerEvent.AlterConfigs("t",
                Map.of("unclean.leader.election.enable", "true"), null));

        assertThat(stateOf(machine, "t", 0)).isEqualTo(state(2, 5, List.of(2), 7));
        assertThat(stateWrites(decision)).containsOnly(entry(tp("t", 0), state(2, 5, List.of(2), 7)));
        assertThat(targets(decision, BrokerCommand.LeaderAndIsr.class)).containsExactly(2);
    }

    @Test
    void uncleanElectionIsPerTopic() {
        ControllerStateMachine machine = cluster().brokers(1, 2)
                .topic("clean", Map.of())
                .partition("clean", List.of(1, 2), state(1, 0, List.of(1), 1))
                .topic("unclean", Map.of("unclean.leader.election.enable", "true"))
                .partition("unclean", List.of(1, 2), state(1, 0, List.of(1), 1))
                .machine();

        machine.handle(new ControllerEvent.BrokerDown(1));

        assertThat(stateOf(machine, "clean", 0).leader()).isEqualTo(NO_LEADER);
        assertThat(stateOf(machine, "unclean", 0).leader()).isEqualTo(2);
        assertThat(machine.view().offlinePartitionCount()).isEqualTo(1);
    }

    @Test
    void losingEveryReplicaInTurnShrinksTheIsrToTheLastOneThenGoesOffline() {
        ControllerStateMachine machine = cluster().brokers(1, 2, 3)
                .partition("t", List.of(1, 2, 3), state(1, 0, List.of(1, 2, 3), 0))
                .machine();

        machine.handle(new ControllerEvent.BrokerDown(1));
        machine.handle(new ControllerEvent.BrokerDown(2));
        Decision last = machine.handle(new ControllerEvent.BrokerDown(3));

        assertThat(stateOf(machine, "t", 0)).isEqualTo(state(NO_LEADER, 3, List.of(3), 3));
        assertThat(last.commands()).isEmpty();
        assertThat(machine.view().brokers()).isEmpty();
    }
}
