package dev.runnel.controller.metadata;

import static dev.runnel.controller.metadata.ClusterFixture.CONTROLLER_EPOCH;
import static dev.runnel.controller.metadata.ClusterFixture.assertFenced;
import static dev.runnel.controller.metadata.ClusterFixture.assertRefused;
import static dev.runnel.controller.metadata.ClusterFixture.broker;
import static dev.runnel.controller.metadata.ClusterFixture.cluster;
import static dev.runnel.controller.metadata.ClusterFixture.commands;
import static dev.runnel.controller.metadata.ClusterFixture.leaderAndIsrFor;
import static dev.runnel.controller.metadata.ClusterFixture.leaderAndIsrPartitions;
import static dev.runnel.controller.metadata.ClusterFixture.state;
import static dev.runnel.controller.metadata.ClusterFixture.stateOf;
import static dev.runnel.controller.metadata.ClusterFixture.targets;
import static dev.runnel.controller.metadata.ClusterFixture.tp;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.runnel.cluster.AlterPartitionRequest;
import dev.runnel.cluster.AlterPartitionResponse;
import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.ClusterError;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.PartitionReassignments.Progress;
import dev.runnel.cluster.PartitionReassignments.Target;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.TopicRecord;
import dev.runnel.controller.metadata.AdminException.Reason;

/** Partition reassignment (KIP-455): start, catch-up, completion, cancellation, failover, refusals. */
class ReassignmentTest {

    private ControllerStateMachine machine;

    /** Brokers 1-5 live. t-0 and t-1: replicas [1,2,3], leader 1 at leader epoch 5, ISR [1,2,3], partition epoch 8. */
    @BeforeEach
    void fiveBrokersAndTopicT() {
        machine = threeReplicas().machine();
    }

    private static ClusterFixture threeReplicas() {
        return cluster().brokers(1, 2, 3, 4, 5)
                .partition("t", List.of(1, 2, 3), state(1, 5, List.of(1, 2, 3), 8))
                .partition("t", List.of(1, 2, 3), state(1, 5, List.of(1, 2, 3), 8));
    }

    private static Target move(int partition, Integer... replicas) {
        return new Target("t", partition, Arrays.asList(replicas));
    }

    private static Target cancel(int partition) {
        return new Target("t", partition, null);
    }

    private Decision reassign(ControllerStateMachine on, Target... targets) {
        Decision decision = on.handle(new ControllerEvent.ReassignPartitions(List.of(targets)));
        assertFenced(decision, on);
        return decision;
    }

    private Decision reassign(Target... targets) {
        return reassign(machine, targets);
    }

    /** The leader's AlterPartition for partition {@code p} of t, at the state the machine holds. */
    private static Decision isr(ControllerStateMachine on, int p, Integer... isr) {
        PartitionState s = stateOf(on, "t", p);
        BrokerInfo leader = on.view().brokers().get(s.leader());
        return on.handle(new ControllerEvent.AlterPartition(new AlterPartitionRequest(leader.id(), leader.epoch(),
                List.of(new AlterPartitionRequest.Change("t", p, s.leaderEpoch(), s.partitionEpoch(), List.of(isr))))));
    }

    private static PartitionInfo partition(ControllerStateMachine on, int p) {
        return on.view().topic("t").orElseThrow().partitions().get(p);
    }

    private static TopicRecord recordWritten(Decision decision) {
        List<ZkWrite.UpdateTopic> updates = decision.writes().stream().filter(ZkWrite.UpdateTopic.class::isInstance)
                .map(ZkWrite.UpdateTopic.class::cast).toList();
        assertThat(updates).as("topic records written").hasSize(1);
        assertThat(decision.writes()).as("the topic record is written last").last().isEqualTo(updates.get(0));
        return updates.get(0).topic();
    }

    private static List<Integer> stoppedAndDeleted(Decision decision, int broker) {
        List<Integer> partitions = new ArrayList<>();
        commands(decision, BrokerCommand.StopReplica.class).stream().filter(c -> c.brokerId() == broker)
                .forEach(c -> {
                    assertThat(c.request().deletePartitions()).isTrue();
                    c.request().partitions().forEach(ref -> partitions.add(ref.partition()));
                });
        return partitions;
    }

    // ---- the life cycle ----

    @Test
    void aMoveFirstGrowsToTheTargetsAndTheOriginalsWithAddingAndRemovingKeptInTheTopicRecord() {
        Decision decision = reassign(move(0, 2, 3, 4));

        TopicRecord record = recordWritten(decision);
        assertThat(record.replicas().get(0)).containsExactly(2, 3, 4, 1);
        assertThat(record.reassignment(0)).isEqualTo(new TopicRecord.Reassignment(List.of(4), List.of(1)));
        assertThat(record.replicas().get(1)).containsExactly(1, 2, 3);
        assertThat(decision.writes()).first().isEqualTo(ClusterFixture.write("t", 0, state(1, 5, List.of(1, 2, 3), 9)));
        assertThat(decision.reply()).isEqualTo(List.of(new Progress("t", 0, List.of(2, 3, 4, 1), List.of(4), List.of(1))));
        assertThat(machine.view().reassignments()).containsExactly(
                new Progress("t", 0, List.of(2, 3, 4, 1), List.of(4), List.of(1)));
        // The new replica is told to create the partition and follow leader 1; nobody stops yet.
        assertThat(leaderAndIsrPartitions(decision)).containsOnlyKeys(1, 2, 3, 4);
        PartitionInfo told = leaderAndIsrFor(decision, 4).request().topics().get(0).partitions().get(0);
        assertThat(told).isEqualTo(new PartitionInfo(0, List.of(2, 3, 4, 1), state(1, 5, List.of(1, 2, 3), 9),
                List.of(4), List.of(1)));
        assertThat(commands(decision, BrokerCommand.StopReplica.class)).isEmpty();
        assertThat(targets(decision, BrokerCommand.UpdateMetadata.class)).containsExactly(1, 2, 3, 4, 5);
    }

    @Test
    void theLastAddingReplicaInSyncCompletesTheMoveLeadershipLeavesARemovedLeaderAndItsLogIsDeleted() {
        reassign(move(0, 2, 3, 4));

        Decision decision = isr(machine, 0, 1, 2, 3, 4);

        PartitionState done = state(2, 6, List.of(2, 3, 4), 11);
        assertThat(ClusterFixture.stateWrites(decision)).containsExactly(Map.entry(tp("t", 0), done));
        TopicRecord record = recordWritten(decision);
        assertThat(record.replicas().get(0)).containsExactly(2, 3, 4);
        assertThat(record.reassignments()).isEmpty();
        assertThat(partition(machine, 0)).isEqualTo(new PartitionInfo(0, List.of(2, 3, 4), done));
        assertThat(machine.view().reassignments()).isEmpty();
        assertThat(leaderAndIsrPartitions(decision)).containsOnlyKeys(2, 3, 4);
        assertThat(stoppedAndDeleted(decision, 1)).containsExactly(0);
        AlterPartitionResponse answer = (AlterPartitionResponse) decision.reply();
        assertThat(answer.partitions()).containsExactly(new AlterPartitionResponse.Result("t", 0, ClusterError.NONE,
                done));
        assertFenced(decision, machine);
    }

    @Test
    void aLeaderThatStaysKeepsLeadingAtANewLeaderEpoch() {
        reassign(move(0, 1, 2, 4));

        isr(machine, 0, 1, 2, 3, 4);

        assertThat(partition(machine, 0)).isEqualTo(new PartitionInfo(0, List.of(1, 2, 4), state(1, 6,
                List.of(1, 2, 4), 11)));
    }

    @Test
    void theMoveWaitsUntilEveryAddingReplicaIsInSync() {
        reassign(move(0, 1, 4, 5));

        Decision first = isr(machine, 0, 1, 2, 3, 4);

        assertThat(first.writes()).containsExactly(ClusterFixture.write("t", 0, state(1, 5, List.of(1, 2, 3, 4), 10)));
        assertThat(machine.view().reassignments()).containsExactly(
                new Progress("t", 0, List.of(1, 4, 5, 2, 3), List.of(4, 5), List.of(2, 3)));

        Decision second = isr(machine, 0, 1, 2, 3, 4, 5);

        assertThat(partition(machine, 0)).isEqualTo(new PartitionInfo(0, List.of(1, 4, 5), state(1, 6,
                List.of(1, 4, 5), 12)));
        assertThat(stoppedAndDeleted(second, 2)).containsExactly(0);
        assertThat(stoppedAndDeleted(second, 3)).containsExactly(0);
    }

    @Test
    void onlyRemovingReplicasCompletesAtOnce() {
        Decision decision = reassign(move(0, 2, 1));

        assertThat(partition(machine, 0)).isEqualTo(new PartitionInfo(0, List.of(2, 1), state(1, 6, List.of(1, 2), 10)));
        assertThat(decision.reply()).isEqualTo(List.of(new Progress("t", 0, List.of(2, 1), List.of(), List.of())));
        assertThat(stoppedAndDeleted(decision, 3)).containsExactly(0);
        assertThat(recordWritten(decision).reassignments()).isEmpty();
    }

    @Test
    void theCurrentReplicasAsTargetChangeNothing() {
        Decision decision = reassign(move(0, 1, 2, 3));

        assertThat(decision.writes()).isEmpty();
        assertThat(decision.reply()).isEqualTo(List.of(new Progress("t", 0, List.of(1, 2, 3), List.of(), List.of())));
    }

    @Test
    void severalPartitionsOfATopicMoveInOneDecisionWithOneTopicRecord() {
        Decision decision = reassign(move(0, 2, 3, 4), move(1, 3, 4, 5));

        TopicRecord record = recordWritten(decision);
        assertThat(record.replicas()).containsExactly(List.of(2, 3, 4, 1), List.of(3, 4, 5, 1, 2));
        assertThat(record.reassignments()).containsOnlyKeys(0, 1);
    }

    @Test
    void aNewTargetReplacesAnOngoingMoveAndDropsTheReplicaItNoLongerWants() {
        reassign(move(0, 2, 3, 4));

        reassign(move(0, 2, 3, 5));

        assertThat(machine.view().reassignments()).containsExactly(
                new Progress("t", 0, List.of(2, 3, 5, 4, 1), List.of(5), List.of(4, 1)));
        Decision done = isr(machine, 0, 1, 2, 3, 5);
        assertThat(partition(machine, 0).replicas()).containsExactly(2, 3, 5);
        assertThat(stoppedAndDeleted(done, 4)).containsExactly(0);
        assertThat(stoppedAndDeleted(done, 1)).containsExactly(0);
    }

    @Test
    void anInternalTopicIsReassignedLikeAnyOther() {
        machine = cluster().brokers(1, 2, 3, 4)
                .partition("__consumer_offsets", List.of(1, 2, 3), state(1, 0, List.of(1, 2, 3), 0)).machine();

        machine.handle(new ControllerEvent.ReassignPartitions(List.of(
                new Target("__consumer_offsets", 0, List.of(2, 3, 4)))));

        assertThat(machine.view().reassignments()).extracting(Progress::topic).containsExactly("__consumer_offsets");
    }

    @Test
    void aTopicGrownWhileItsFirstPartitionMovesGetsTheTargetReplicationFactor() {
        reassign(move(0, 2, 3, 4));

        machine.handle(new ControllerEvent.CreatePartitions("t", 3));

        assertThat(partition(machine, 2).replicas()).hasSize(3);
        assertThat(partition(machine, 0).replicas()).containsExactly(2, 3, 4, 1);
        assertThat(machine.view().reassignments()).hasSize(1);
    }

    @Test
    void aReplicaBeingAddedDoesNotMakeThePartitionUnderReplicated() {
        reassign(move(0, 2, 3, 4));

        assertThat(machine.view().underReplicatedPartitionCount()).isZero();
        machine.handle(new ControllerEvent.BrokerDown(2));
        assertThat(machine.view().underReplicatedPartitionCount()).isEqualTo(2);
    }

    // ---- cancellation ----

    @Test
    void cancellingGoesBackToTheOriginalReplicasAndDeletesTheAddedOnes() {
        reassign(move(0, 2, 3, 4));

        Decision decision = reassign(cancel(0));

        assertThat(partition(machine, 0)).isEqualTo(new PartitionInfo(0, List.of(2, 3, 1), state(1, 6,
                List.of(1, 2, 3), 10)));
        assertThat(recordWritten(decision).reassignments()).isEmpty();
        assertThat(stoppedAndDeleted(decision, 4)).containsExactly(0);
        assertThat(leaderAndIsrPartitions(decision)).containsOnlyKeys(1, 2, 3);
        assertThat(machine.view().reassignments()).isEmpty();
    }

    @Test
    void cancellingMovesLeadershipOffAnAddingReplicaToAnOriginalInSync() {
        machine = threeReplicas()
                .partition("t", List.of(4, 1, 2, 3), state(4, 3, List.of(4, 2), 6))
                .reassigning("t", 2, List.of(4), List.of(3))
                .machine();

        reassign(cancel(2));

        assertThat(partition(machine, 2)).isEqualTo(new PartitionInfo(2, List.of(1, 2, 3), state(2, 4, List.of(2), 7)));
    }

    @Test
    void aCancellationThatWouldNeedAnUncleanElectionIsRefused() {
        machine = threeReplicas()
                .partition("t", List.of(4, 1), state(PartitionState.NO_LEADER, 3, List.of(4), 6))
                .reassigning("t", 2, List.of(4), List.of(1))
                .machine();

        AdminException refused = assertRefused(machine, new ControllerEvent.ReassignPartitions(List.of(cancel(2))),
                Reason.INVALID_REPLICA_ASSIGNMENT);

        assertThat(refused.getMessage()).contains("no original replica [1] is in sync");
    }

    @Test
    void cancellingAPartitionThatIsNotMovingIsRefused() {
        assertRefused(machine, new ControllerEvent.ReassignPartitions(List.of(cancel(0))),
                Reason.NO_REASSIGNMENT_IN_PROGRESS);
    }

    // ---- failover and broker loss ----

    @Test
    void aNewControllerLoadsTheMoveFromWhatWasWrittenAndCarriesItOn() {
        MetadataImage zk = new MetadataImage(threeReplicas().load());
        zk.apply(reassign(move(0, 2, 3, 4)));

        ControllerStateMachine next = zk.controller();
        Decision activation = next.activate();

        assertThat(activation.writes()).isEmpty();
        assertThat(next.view().reassignments()).containsExactly(
                new Progress("t", 0, List.of(2, 3, 4, 1), List.of(4), List.of(1)));
        assertThat(ClusterFixture.partitions(leaderAndIsrFor(activation, 4).request())).containsExactly(tp("t", 0));
        Decision done = isr(next, 0, 1, 2, 3, 4);
        assertThat(partition(next, 0).replicas()).containsExactly(2, 3, 4);
        assertThat(stoppedAndDeleted(done, 1)).containsExactly(0);
    }

    @Test
    void aCompletionCutShortAfterItsStateWriteIsFinishedByTheNextController() {
        MetadataImage zk = new MetadataImage(threeReplicas().load());
        zk.apply(reassign(move(0, 2, 3, 4)));
        Decision completion = isr(machine, 0, 1, 2, 3, 4);
        // The controller dies after the transaction with the partition state, before the topic record.
        zk.apply(completion.writes().stream().filter(ZkWrite.SetPartitionState.class::isInstance).toList());

        ControllerStateMachine next = zk.controller();
        Decision activation = next.activate();

        assertThat(partition(next, 0).replicas()).containsExactly(2, 3, 4);
        assertThat(partition(next, 0).state().leader()).isEqualTo(2);
        assertThat(partition(next, 0).state().isr()).containsExactly(2, 3, 4);
        assertThat(next.view().reassignments()).isEmpty();
        assertThat(stoppedAndDeleted(activation, 1)).containsExactly(0);
        assertThat(recordWritten(activation).reassignments()).isEmpty();
    }

    @Test
    void aNewReplicaWhoseBrokerIsDownWaitsForItAndCatchesUpWhenItReturns() {
        reassign(move(0, 2, 3, 4));
        machine.handle(new ControllerEvent.BrokerDown(4));

        Decision refused = isr(machine, 0, 1, 2, 3, 4);

        assertThat(((AlterPartitionResponse) refused.reply()).partitions().get(0).error())
                .isEqualTo(ClusterError.INELIGIBLE_REPLICA);
        assertThat(machine.view().reassignments()).hasSize(1);

        Decision back = machine.handle(new ControllerEvent.BrokerUp(broker(4)));

        assertThat(ClusterFixture.partitions(leaderAndIsrFor(back, 4).request())).containsExactly(tp("t", 0));
        isr(machine, 0, 1, 2, 3, 4);
        assertThat(partition(machine, 0).replicas()).containsExactly(2, 3, 4);
    }

    @Test
    void aRemovedReplicaWhoseBrokerIsDownIsNotSentAStopReplica() {
        reassign(move(0, 2, 3, 4));
        machine.handle(new ControllerEvent.BrokerDown(1));

        Decision done = isr(machine, 0, 2, 3, 4);

        assertThat(partition(machine, 0).replicas()).containsExactly(2, 3, 4);
        assertThat(targets(done, BrokerCommand.StopReplica.class)).isEmpty();
    }

    // ---- refusals: nothing changes ----

    @Test
    void badTargetsAreRefusedWithAClearErrorAndChangeNothing() {
        assertRefused(machine, new ControllerEvent.ReassignPartitions(List.of(new Target("nope", 0, List.of(1)))),
                Reason.UNKNOWN_TOPIC);
        assertRefused(machine, new ControllerEvent.ReassignPartitions(List.of(move(2, 1, 2, 3))),
                Reason.UNKNOWN_PARTITION);
        assertRefused(machine, new ControllerEvent.ReassignPartitions(List.of(move(-1, 1, 2, 3))),
                Reason.UNKNOWN_PARTITION);
        assertRefused(machine, new ControllerEvent.ReassignPartitions(List.of(move(0))),
                Reason.INVALID_REPLICA_ASSIGNMENT);
        assertRefused(machine, new ControllerEvent.ReassignPartitions(List.of(move(0, 2, (Integer) null))),
                Reason.INVALID_REPLICA_ASSIGNMENT);
        assertThat(assertRefused(machine, new ControllerEvent.ReassignPartitions(List.of(move(0, 2, 3, 2))),
                Reason.INVALID_REPLICA_ASSIGNMENT).getMessage()).contains("twice");
        assertThat(assertRefused(machine, new ControllerEvent.ReassignPartitions(List.of(move(0, 2, 3, 9))),
                Reason.INVALID_REPLICA_ASSIGNMENT).getMessage()).contains("broker 9, which is not registered");
        assertRefused(machine, new ControllerEvent.ReassignPartitions(List.of(move(0, 2, 3, 4), move(0, 3, 4, 5))),
                Reason.INVALID_REQUEST);
        assertRefused(machine, new ControllerEvent.ReassignPartitions(List.of()), Reason.INVALID_REQUEST);
        assertRefused(machine, new ControllerEvent.ReassignPartitions(List.of(new Target("t", null, List.of(1)))),
                Reason.INVALID_REQUEST);
    }

    @Test
    void oneBadTargetRefusesTheWholeRequest() {
        assertRefused(machine, new ControllerEvent.ReassignPartitions(List.of(move(0, 2, 3, 4), move(1, 2, 3, 9))),
                Reason.INVALID_REPLICA_ASSIGNMENT);

        assertThat(machine.view().reassignments()).isEmpty();
    }

    /**
     * ZooKeeper as a controller would load it after the given decisions' writes: topic records and
     * partition states by path, as {@link ZkMetadataStore} writes them.
     */
    private static final class MetadataImage {

        private final List<BrokerInfo> brokers;
        private final Map<String, TopicRecord> topics;
        private final Map<String, Map<Integer, PartitionState>> states = new TreeMap<>();

        MetadataImage(LoadedMetadata loaded) {
            brokers = loaded.brokers();
            topics = new TreeMap<>(loaded.topics());
            loaded.states().forEach((name, byPartition) -> states.put(name, new TreeMap<>(byPartition)));
        }

        void apply(Decision decision) {
            apply(decision.writes());
        }

        void apply(List<ZkWrite> writes) {
            for (ZkWrite write : writes) {
                if (write instanceof ZkWrite.UpdateTopic update) {
                    topics.put(update.name(), update.topic());
                    states.get(update.name()).putAll(update.newStates());
                } else if (write instanceof ZkWrite.SetPartitionState set) {
                    states.get(set.topic()).put(set.partition(), set.state());
                } else {
                    throw new IllegalArgumentException("not expected here: " + write);
                }
            }
        }

        /** The next controller, loading this image. */
        ControllerStateMachine controller() {
            return new ControllerStateMachine(ClusterFixture.CONTROLLER_ID, CONTROLLER_EPOCH,
                    new LoadedMetadata(brokers, Map.copyOf(topics), Map.copyOf(states)), new Random(1));
        }
    }
}
