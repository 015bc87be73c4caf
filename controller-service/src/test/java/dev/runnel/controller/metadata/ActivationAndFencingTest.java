package dev.runnel.controller.metadata;

import static dev.runnel.cluster.PartitionState.NO_LEADER;
import static dev.runnel.controller.metadata.ClusterFixture.CONTROLLER_EPOCH;
import static dev.runnel.controller.metadata.ClusterFixture.CONTROLLER_ID;
import static dev.runnel.controller.metadata.ClusterFixture.assertFenced;
import static dev.runnel.controller.metadata.ClusterFixture.broker;
import static dev.runnel.controller.metadata.ClusterFixture.cluster;
import static dev.runnel.controller.metadata.ClusterFixture.commands;
import static dev.runnel.controller.metadata.ClusterFixture.kindsFor;
import static dev.runnel.controller.metadata.ClusterFixture.leaderAndIsrFor;
import static dev.runnel.controller.metadata.ClusterFixture.leaderAndIsrPartitions;
import static dev.runnel.controller.metadata.ClusterFixture.restarted;
import static dev.runnel.controller.metadata.ClusterFixture.state;
import static dev.runnel.controller.metadata.ClusterFixture.stateOf;
import static dev.runnel.controller.metadata.ClusterFixture.targets;
import static dev.runnel.controller.metadata.ClusterFixture.tp;
import static dev.runnel.controller.metadata.ClusterFixture.updateMetadataFor;
import static dev.runnel.controller.metadata.ClusterFixture.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

import dev.runnel.cluster.AlterPartitionRequest;
import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.ControlledShutdownRequest;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.PartitionRef;
import dev.runnel.cluster.UpdateMetadataRequest;

/** A new controller's first decision, and the epochs every command carries. */
class ActivationAndFencingTest {

    /** Brokers 1 and 2 registered; broker 3, leader of t-0 and t-2, is not. */
    private static ControllerStateMachine leaderNotRegistered() {
        return cluster().brokers(1, 2)
                .partition("t", List.of(3, 1, 2), state(3, 2, List.of(3, 1), 4))
                .partition("t", List.of(1, 2, 3), state(1, 0, List.of(1, 2, 3), 0))
                .partition("t", List.of(3), state(3, 0, List.of(3), 0))
                .partition("u", List.of(2, 1), state(2, 7, List.of(2, 1), 9))
                .machine();
    }

    @Test
    void activationElectsNewLeadersForPartitionsWhoseLeaderIsNotRegistered() {
        ControllerStateMachine machine = leaderNotRegistered();

        Decision decision = machine.activate();

        assertThat(decision.writes()).containsExactlyInAnyOrder(
                write("t", 0, state(1, 3, List.of(1), 5)),
                write("t", 1, state(1, 0, List.of(1, 2), 1)),
                write("t", 2, state(NO_LEADER, 1, List.of(3), 1)));
        assertThat(stateOf(machine, "t", 0)).isEqualTo(state(1, 3, List.of(1), 5));
        assertThat(stateOf(machine, "u", 0)).isEqualTo(state(2, 7, List.of(2, 1), 9));
        assertThat(machine.view().offlinePartitionCount()).isEqualTo(1);
        assertThat(decision.reply()).isNull();
    }

    @Test
    void activationSendsEveryLiveBrokerTheFullMetadataFirstThenLeaderAndIsrForAllItsPartitions() {
        ControllerStateMachine machine = leaderNotRegistered();

        Decision decision = machine.activate();

        assertThat(targets(decision)).containsExactly(1, 2);
        for (int id = 1; id <= 2; id++) {
            assertThat(kindsFor(decision, id)).as("broker %d", id)
                    .containsExactly(BrokerCommand.UpdateMetadata.class, BrokerCommand.LeaderAndIsr.class);
            UpdateMetadataRequest full = updateMetadataFor(decision, id);
            assertThat(full.full()).isTrue();
            assertThat(full.liveBrokers()).containsExactly(broker(1), broker(2));
            assertThat(full.topics()).containsExactly(machine.view().topic("t").orElseThrow(),
                    machine.view().topic("u").orElseThrow());
            assertThat(full.deletedTopics()).isEmpty();
        }
        Set<PartitionRef> all = Set.of(tp("t", 0), tp("t", 1), tp("u", 0));
        assertThat(leaderAndIsrPartitions(decision)).containsOnly(entry(1, all), entry(2, all));
        assertFenced(decision, machine);
    }

    @Test
    void activationLeaderAndIsrCarriesTheElectedStatesAndTheirLiveLeaders() {
        ControllerStateMachine machine = leaderNotRegistered();

        Decision decision = machine.activate();

        var request = leaderAndIsrFor(decision, 2).request();
        List<PartitionInfo> sent = new ArrayList<>();
        request.topics().forEach(t -> sent.addAll(t.partitions()));
        assertThat(sent).containsExactlyInAnyOrder(
                new PartitionInfo(0, List.of(3, 1, 2), state(1, 3, List.of(1), 5)),
                new PartitionInfo(1, List.of(1, 2, 3), state(1, 0, List.of(1, 2), 1)),
                new PartitionInfo(0, List.of(2, 1), state(2, 7, List.of(2, 1), 9)));
        assertThat(request.liveLeaders()).containsExactly(broker(1), broker(2));
    }

    @Test
    void activationOfAHealthyClusterWritesNothingButStillSendsTheFullState() {
        ControllerStateMachine machine = cluster().brokers(1, 2)
                .partition("t", List.of(1, 2), state(1, 3, List.of(1, 2), 4))
                .machine();

        Decision decision = machine.activate();

        assertThat(decision.writes()).isEmpty();
        assertThat(leaderAndIsrPartitions(decision)).containsOnlyKeys(1, 2);
        assertThat(commands(decision, BrokerCommand.UpdateMetadata.class))
                .allSatisfy(c -> assertThat(c.request().full()).isTrue()).hasSize(2);
    }

    @Test
    void activationWithoutTopicsSendsOnlyTheFullMetadata() {
        ControllerStateMachine machine = cluster().brokers(1, 2, 3).machine();

        Decision decision = machine.activate();

        assertThat(decision.writes()).isEmpty();
        assertThat(decision.commands()).hasSize(3).allSatisfy(c -> assertThat(c)
                .isInstanceOfSatisfying(BrokerCommand.UpdateMetadata.class,
                        u -> assertThat(u.request().full()).isTrue()));
    }

    @Test
    void activationWithoutBrokersTakesEveryPartitionOfflineAndSendsNothing() {
        ControllerStateMachine machine = cluster()
                .partition("t", List.of(1, 2), state(1, 3, List.of(1, 2), 4))
                .machine();

        Decision decision = machine.activate();

        assertThat(decision.writes()).containsExactly(write("t", 0, state(NO_LEADER, 4, List.of(1, 2), 5)));
        assertThat(decision.commands()).isEmpty();
    }

    @Test
    void theViewNamesThisControllerAndItsEpoch() {
        ControllerStateMachine machine = new ControllerStateMachine(5, 12, cluster().brokers(1).load(), new Random(1));

        assertThat(machine.view().controllerId()).isEqualTo(5);
        assertThat(machine.view().controllerEpoch()).isEqualTo(12);
        assertThat(machine.activate().commands()).singleElement().isInstanceOfSatisfying(
                BrokerCommand.UpdateMetadata.class, u -> {
                    assertThat(u.request().controllerId()).isEqualTo(5);
                    assertThat(u.request().controllerEpoch()).isEqualTo(12);
                });
    }

    @Test
    void everyCommandOfEveryKindOfDecisionCarriesTheControllerEpochAndTheTargetsBrokerEpoch() {
        ControllerStateMachine machine = cluster().brokers(1, 2, 3, 4).machine();
        List<Decision> decisions = new ArrayList<>();

        decisions.add(machine.activate());
        decisions.add(machine.handle(new ControllerEvent.CreateTopic("a", 4, 3, Map.of())));
        decisions.add(machine.handle(new ControllerEvent.CreateTopic("b", 2, 2, Map.of())));
        assertFencedAll(decisions, machine);
        decisions.clear();

        decisions.add(machine.handle(new ControllerEvent.BrokerDown(1)));
        assertFencedAll(decisions, machine);
        decisions.clear();

        BrokerInfo two = restarted(broker(2));
        decisions.add(machine.handle(new ControllerEvent.BrokerUp(two)));
        assertFencedAll(decisions, machine);
        assertThat(commands(decisions.get(0), BrokerCommand.LeaderAndIsr.class))
                .filteredOn(c -> c.brokerId() == 2).singleElement()
                .satisfies(c -> assertThat(c.request().brokerEpoch()).isEqualTo(two.epoch()));
        decisions.clear();

        decisions.add(machine.handle(new ControllerEvent.CreatePartitions("a", 6)));
        decisions.add(machine.handle(new ControllerEvent.AlterConfigs("a", Map.of("retention.ms", "9"), null)));
        var a0 = stateOf(machine, "a", 0);
        decisions.add(machine.handle(new ControllerEvent.AlterPartition(new AlterPartitionRequest(a0.leader(),
                machine.view().brokers().get(a0.leader()).epoch(), List.of(new AlterPartitionRequest.Change("a", 0,
                        a0.leaderEpoch(), a0.partitionEpoch(), List.of(a0.leader())))))));
        decisions.add(machine.handle(new ControllerEvent.ControlledShutdown(
                new ControlledShutdownRequest(3, broker(3).epoch()))));
        decisions.add(machine.handle(new ControllerEvent.PreferredLeaderCheck()));
        decisions.add(machine.handle(new ControllerEvent.DeleteTopic("b")));
        assertFencedAll(decisions, machine);
        assertThat(decisions.get(decisions.size() - 1).commands())
                .anySatisfy(c -> assertThat(c).isInstanceOf(BrokerCommand.StopReplica.class));
    }

    @Test
    void everyDecisionThatChangesTheViewSendsItUnderAHigherMetadataVersionAndTheTargetsBrokerEpoch() {
        ControllerStateMachine machine = leaderNotRegistered();
        List<Decision> decisions = new ArrayList<>();
        decisions.add(machine.activate());
        decisions.add(machine.handle(new ControllerEvent.CreateTopic("v", 2, 2, Map.of())));
        BrokerInfo two = restarted(broker(2));
        decisions.add(machine.handle(new ControllerEvent.BrokerUp(two)));
        decisions.add(machine.handle(new ControllerEvent.DeleteTopic("v")));

        List<Long> versions = new ArrayList<>();
        for (Decision decision : decisions) {
            List<UpdateMetadataRequest> updates = commands(decision, BrokerCommand.UpdateMetadata.class).stream()
                    .map(BrokerCommand.UpdateMetadata::request).toList();
            assertThat(updates).isNotEmpty();
            assertThat(updates).extracting(UpdateMetadataRequest::metadataVersion).containsOnly(
                    updates.get(0).metadataVersion());
            versions.add(updates.get(0).metadataVersion());
        }
        assertThat(versions).isSorted().doesNotHaveDuplicates();
        assertThat(updateMetadataFor(decisions.get(2), 2).brokerEpoch()).isEqualTo(two.epoch());
        assertThat(updateMetadataFor(decisions.get(2), 2).full()).isTrue();
        assertThat(updateMetadataFor(decisions.get(3), 1).brokerEpoch()).isEqualTo(broker(1).epoch());
    }

    private static void assertFencedAll(List<Decision> decisions, ControllerStateMachine machine) {
        assertThat(decisions).allSatisfy(d -> assertFenced(d, machine));
        assertThat(decisions).allSatisfy(d -> assertThat(d.commands()).allSatisfy(c -> {
            if (c instanceof BrokerCommand.UpdateMetadata u) {
                assertThat(u.request().controllerId()).isEqualTo(CONTROLLER_ID);
                assertThat(u.request().controllerEpoch()).isEqualTo(CONTROLLER_EPOCH);
            }
        }));
    }
}
