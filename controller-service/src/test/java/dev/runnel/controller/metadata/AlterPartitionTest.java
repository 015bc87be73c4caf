package dev.runnel.controller.metadata;

import static dev.runnel.controller.metadata.ClusterFixture.assertFenced;
import static dev.runnel.controller.metadata.ClusterFixture.broker;
import static dev.runnel.controller.metadata.ClusterFixture.commands;
import static dev.runnel.controller.metadata.ClusterFixture.state;
import static dev.runnel.controller.metadata.ClusterFixture.stateOf;
import static dev.runnel.controller.metadata.ClusterFixture.targets;
import static dev.runnel.controller.metadata.ClusterFixture.updateMetadataFor;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.runnel.cluster.AlterPartitionRequest;
import dev.runnel.cluster.AlterPartitionRequest.Change;
import dev.runnel.cluster.AlterPartitionResponse;
import dev.runnel.cluster.AlterPartitionResponse.Result;
import dev.runnel.cluster.ClusterError;
import dev.runnel.cluster.PartitionState;

/** A leader asks to change a partition's ISR. */
class AlterPartitionTest {

    private static final long EPOCH_1 = broker(1).epoch();
    private static final long EPOCH_2 = broker(2).epoch();

    private ControllerStateMachine machine;

    /**
     * Brokers 1-4 live, 5 not registered. t-0: replicas [1,2,3], leader 1 at leader epoch 5,
     * ISR [1,2], partition epoch 8. t-1: replicas [1,2,5], leader 1, ISR [1,2].
     */
    @BeforeEach
    void fourBrokersAndTopicT() {
        machine = ClusterFixture.cluster().brokers(1, 2, 3, 4)
                .partition("t", List.of(1, 2, 3), state(1, 5, List.of(1, 2), 8))
                .partition("t", List.of(1, 2, 5), state(1, 2, List.of(1, 2), 3))
                .machine();
    }

    private Decision alter(int brokerId, long brokerEpoch, Change... changes) {
        return machine.handle(new ControllerEvent.AlterPartition(
                new AlterPartitionRequest(brokerId, brokerEpoch, List.of(changes))));
    }

    private static Change change(int partition, int leaderEpoch, int partitionEpoch, Integer... isr) {
        return new Change("t", partition, leaderEpoch, partitionEpoch, List.of(isr));
    }

    private static AlterPartitionResponse response(Decision decision) {
        assertThat(decision.reply()).isInstanceOf(AlterPartitionResponse.class);
        return (AlterPartitionResponse) decision.reply();
    }

    /** Sends one change from broker 1 and asserts it is refused with {@code error}, changing nothing. */
    private void assertRefused(Change change, ClusterError error) {
        ClusterView before = machine.view();

        Decision decision = alter(1, machine.view().brokers().get(1).epoch(), change);

        AlterPartitionResponse response = response(decision);
        assertThat(response.error()).isEqualTo(ClusterError.NONE);
        assertThat(response.partitions()).containsExactly(
                new Result(change.topic(), change.partition(), error, null));
        assertThat(decision.writes()).isEmpty();
        assertThat(decision.commands()).isEmpty();
        assertThat(machine.view()).isEqualTo(before);
    }

    // ---- accepted ----

    @Test
    void aValidExpansionCommitsWithThePartitionEpochBumpedInOneWrite() {
        Decision decision = alter(1, EPOCH_1, change(0, 5, 8, 1, 2, 3));

        PartitionState committed = state(1, 5, List.of(1, 2, 3), 9);
        assertThat(decision.writes()).containsExactly(new ZkWrite.SetPartitionState("t", 0, committed));
        assertThat(response(decision).error()).isEqualTo(ClusterError.NONE);
        assertThat(response(decision).partitions()).containsExactly(new Result("t", 0, ClusterError.NONE, committed));
        assertThat(stateOf(machine, "t", 0)).isEqualTo(committed);
    }

    @Test
    void aValidShrinkCommitsWithoutALeaderEpochBump() {
        Decision decision = alter(1, EPOCH_1, change(0, 5, 8, 1));

        assertThat(decision.writes())
                .containsExactly(new ZkWrite.SetPartitionState("t", 0, state(1, 5, List.of(1), 9)));
        assertThat(machine.view().underReplicatedPartitionCount()).isEqualTo(2);
    }

    @Test
    void aCommittedChangeIsToldToEveryLiveBrokerAsMetadataWithoutLeaderAndIsr() {
        Decision decision = alter(1, EPOCH_1, change(0, 5, 8, 1, 2, 3));

        assertThat(commands(decision, BrokerCommand.LeaderAndIsr.class)).isEmpty();
        assertThat(targets(decision, BrokerCommand.UpdateMetadata.class)).containsExactly(1, 2, 3, 4);
        assertThat(updateMetadataFor(decision, 4).topics()).containsExactly(machine.view().topic("t").orElseThrow());
        assertFenced(decision, machine);
    }

    @Test
    void theSameIsrIsAcceptedWithoutAWrite() {
        Decision decision = alter(1, EPOCH_1, change(0, 5, 8, 1, 2));

        assertThat(decision.writes()).isEmpty();
        assertThat(response(decision).partitions())
                .containsExactly(new Result("t", 0, ClusterError.NONE, state(1, 5, List.of(1, 2), 8)));
    }

    @Test
    void afterACommitTheOldPartitionEpochIsStale() {
        alter(1, EPOCH_1, change(0, 5, 8, 1, 2, 3));

        assertRefused(change(0, 5, 8, 1, 2), ClusterError.INVALID_UPDATE_VERSION);

        Decision next = alter(1, EPOCH_1, change(0, 5, 9, 1, 2));
        assertThat(response(next).partitions().get(0).state()).isEqualTo(state(1, 5, List.of(1, 2), 10));
    }

    @Test
    void eachChangeOfABatchIsJudgedAlone() {
        Decision decision = alter(1, EPOCH_1, change(0, 5, 8, 1, 2, 3), change(1, 2, 99, 1));

        assertThat(response(decision).partitions()).containsExactly(
                new Result("t", 0, ClusterError.NONE, state(1, 5, List.of(1, 2, 3), 9)),
                new Result("t", 1, ClusterError.INVALID_UPDATE_VERSION, null));
        assertThat(decision.writes()).hasSize(1);
        assertThat(stateOf(machine, "t", 1)).isEqualTo(state(1, 2, List.of(1, 2), 3));
    }

    // ---- refused as a whole ----

    @Test
    void anUnknownBrokerIsAStaleBrokerEpoch() {
        ClusterView before = machine.view();

        Decision decision = alter(9, EPOCH_1, change(0, 5, 8, 1, 2, 3));

        assertThat(response(decision).error()).isEqualTo(ClusterError.STALE_BROKER_EPOCH);
        assertThat(response(decision).partitions()).isEmpty();
        assertThat(decision.writes()).isEmpty();
        assertThat(decision.commands()).isEmpty();
        assertThat(machine.view()).isEqualTo(before);
    }

    @Test
    void aWrongBrokerEpochIsAStaleBrokerEpoch() {
        for (long wrong : new long[] {EPOCH_1 - 1, EPOCH_1 + 1, 0}) {
            Decision decision = alter(1, wrong, change(0, 5, 8, 1, 2, 3));

            assertThat(response(decision).error()).as("epoch %d", wrong).isEqualTo(ClusterError.STALE_BROKER_EPOCH);
            assertThat(decision.writes()).isEmpty();
        }
        assertThat(stateOf(machine, "t", 0)).isEqualTo(state(1, 5, List.of(1, 2), 8));
    }

    @Test
    void theBrokerEpochOfTheLeadersPreviousLifeIsStaleAfterItsRestart() {
        machine.handle(new ControllerEvent.BrokerUp(ClusterFixture.restarted(broker(1))));
        ClusterView before = machine.view();

        Decision decision = alter(1, EPOCH_1, change(0, 5, 8, 1));

        assertThat(response(decision).error()).isEqualTo(ClusterError.STALE_BROKER_EPOCH);
        assertThat(machine.view()).isEqualTo(before);
    }

    // ---- refused per partition ----

    @Test
    void aChangeFromAFollowerIsNotLeaderOrFollower() {
        ClusterView before = machine.view();

        Decision decision = alter(2, EPOCH_2, change(0, 5, 8, 2, 1));

        assertThat(response(decision).partitions())
                .containsExactly(new Result("t", 0, ClusterError.NOT_LEADER_OR_FOLLOWER, null));
        assertThat(decision.writes()).isEmpty();
        assertThat(machine.view()).isEqualTo(before);
    }

    @ParameterizedTest
    @ValueSource(ints = {4, 6, 0, -1})
    void aWrongLeaderEpochIsFenced(int leaderEpoch) {
        assertRefused(change(0, leaderEpoch, 8, 1, 2, 3), ClusterError.FENCED_LEADER_EPOCH);
    }

    @ParameterizedTest
    @ValueSource(ints = {7, 9, 0})
    void aWrongPartitionEpochIsAnInvalidUpdateVersion(int partitionEpoch) {
        assertRefused(change(0, 5, partitionEpoch, 1, 2, 3), ClusterError.INVALID_UPDATE_VERSION);
    }

    @Test
    void anIsrWithABrokerThatIsNotAReplicaIsIneligible() {
        assertRefused(change(0, 5, 8, 1, 2, 4), ClusterError.INELIGIBLE_REPLICA);
        assertRefused(change(0, 5, 8, 1, 2, 42), ClusterError.INELIGIBLE_REPLICA);
    }

    @Test
    void addingADeadReplicaToTheIsrIsIneligible() {
        assertRefused(change(1, 2, 3, 1, 2, 5), ClusterError.INELIGIBLE_REPLICA);
    }

    @Test
    void addingAReplicaThatDiedMeanwhileIsIneligible() {
        machine.handle(new ControllerEvent.BrokerDown(3));

        assertRefused(change(0, 5, 8, 1, 2, 3), ClusterError.INELIGIBLE_REPLICA);
    }

    @Test
    void anEmptyIsrIsAnInvalidRequest() {
        assertRefused(change(0, 5, 8), ClusterError.INVALID_REQUEST);
    }

    @Test
    void anIsrWithADuplicateIsAnInvalidRequest() {
        assertRefused(change(0, 5, 8, 1, 2, 2), ClusterError.INVALID_REQUEST);
        assertRefused(change(0, 5, 8, 1, 1), ClusterError.INVALID_REQUEST);
    }

    @Test
    void anIsrWithoutTheLeaderIsAnInvalidRequest() {
        assertRefused(change(0, 5, 8, 2, 3), ClusterError.INVALID_REQUEST);
        assertRefused(change(0, 5, 8, 2), ClusterError.INVALID_REQUEST);
    }

    @Test
    void anUnknownTopicOrPartitionIsReportedAsSuch() {
        assertRefused(new Change("missing", 0, 5, 8, List.of(1)), ClusterError.UNKNOWN_TOPIC_OR_PARTITION);
        assertRefused(change(2, 5, 8, 1), ClusterError.UNKNOWN_TOPIC_OR_PARTITION);
        assertRefused(change(-1, 5, 8, 1), ClusterError.UNKNOWN_TOPIC_OR_PARTITION);
    }

    @Test
    void aChangeToADeletedTopicIsUnknown() {
        machine.handle(new ControllerEvent.DeleteTopic("t"));

        assertRefused(change(0, 5, 8, 1, 2, 3), ClusterError.UNKNOWN_TOPIC_OR_PARTITION);
    }

    @Test
    void theLeaderDeposedByABrokerLossIsFencedByTheNewLeaderEpoch() {
        machine.handle(new ControllerEvent.BrokerDown(1));
        machine.handle(new ControllerEvent.BrokerUp(ClusterFixture.restarted(broker(1))));
        assertThat(stateOf(machine, "t", 0)).isEqualTo(state(2, 6, List.of(2), 9));

        Decision fromNewLeader = alter(2, EPOCH_2, new Change("t", 0, 6, 9, List.of(2, 3)));

        assertThat(response(fromNewLeader).partitions().get(0).state()).isEqualTo(state(2, 6, List.of(2, 3), 10));
        assertRefused(change(0, 5, 8, 1, 2), ClusterError.NOT_LEADER_OR_FOLLOWER);
    }

    @Test
    void refusedChangesLeaveTheNextValidOneWorking() {
        assertRefused(change(0, 4, 8, 1, 2, 3), ClusterError.FENCED_LEADER_EPOCH);
        assertRefused(change(0, 5, 8, 1, 2, 4), ClusterError.INELIGIBLE_REPLICA);

        Decision decision = alter(1, EPOCH_1, change(0, 5, 8, 1, 2, 3));

        assertThat(decision.writes()).containsExactly(
                new ZkWrite.SetPartitionState("t", 0, state(1, 5, List.of(1, 2, 3), 9)));
    }
}
