package dev.runnel.controller.metadata;

import static dev.runnel.controller.metadata.ClusterFixture.assertFenced;
import static dev.runnel.controller.metadata.ClusterFixture.cluster;
import static dev.runnel.controller.metadata.ClusterFixture.commands;
import static dev.runnel.controller.metadata.ClusterFixture.kindsFor;
import static dev.runnel.controller.metadata.ClusterFixture.leaderAndIsrPartitions;
import static dev.runnel.controller.metadata.ClusterFixture.state;
import static dev.runnel.controller.metadata.ClusterFixture.targets;
import static dev.runnel.controller.metadata.ClusterFixture.topicId;
import static dev.runnel.controller.metadata.ClusterFixture.tp;
import static dev.runnel.controller.metadata.ClusterFixture.updateMetadataFor;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.PartitionRef;
import dev.runnel.cluster.StopReplicaRequest;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.cluster.UpdateMetadataRequest;

/** Deleting a topic, adding partitions and altering configs. */
class TopicChangesTest {

    // ---- delete topic ----

    /** Brokers 1-3 live, 4 dead; "doomed" has partitions on [1,2], [2,3] and [3,4]. */
    private static ControllerStateMachine doomedAndOther() {
        return cluster().brokers(1, 2, 3)
                .partition("doomed", List.of(1, 2), state(1, 2, List.of(1, 2), 5))
                .partition("doomed", List.of(2, 3), state(2, 0, List.of(2, 3), 0))
                .partition("doomed", List.of(3, 4), state(3, 1, List.of(3), 1))
                .partition("other", List.of(1), state(1, 0, List.of(1), 0))
                .machine();
    }

    @Test
    void deleteTopicWritesTheDeletionWithThePartitionCount() {
        ControllerStateMachine machine = doomedAndOther();

        Decision decision = machine.handle(new ControllerEvent.DeleteTopic("doomed"));

        assertThat(decision.writes()).containsExactly(new ZkWrite.DeleteTopic("doomed", 3));
        assertThat(decision.reply()).isNull();
    }

    @Test
    void deleteTopicStopsAndDeletesEachLiveReplicaListingItsPartitions() {
        ControllerStateMachine machine = doomedAndOther();

        Decision decision = machine.handle(new ControllerEvent.DeleteTopic("doomed"));

        assertThat(targets(decision, BrokerCommand.StopReplica.class)).containsExactly(1, 2, 3);
        Map<Integer, List<PartitionRef>> expected = Map.of(
                1, List.of(tp("doomed", 0)),
                2, List.of(tp("doomed", 0), tp("doomed", 1)),
                3, List.of(tp("doomed", 1), tp("doomed", 2)));
        for (BrokerCommand.StopReplica stop : commands(decision, BrokerCommand.StopReplica.class)) {
            StopReplicaRequest request = stop.request();
            assertThat(request.deletePartitions()).isTrue();
            assertThat(request.partitions()).as("broker %d", stop.brokerId())
                    .containsExactlyInAnyOrderElementsOf(expected.get(stop.brokerId()));
        }
        assertThat(commands(decision, BrokerCommand.LeaderAndIsr.class)).isEmpty();
        assertFenced(decision, machine);
    }

    @Test
    void deleteTopicTellsEveryLiveBrokerTheTopicIsGoneBeforeStoppingItsReplicas() {
        ControllerStateMachine machine = doomedAndOther();

        Decision decision = machine.handle(new ControllerEvent.DeleteTopic("doomed"));

        assertThat(targets(decision, BrokerCommand.UpdateMetadata.class)).containsExactly(1, 2, 3);
        for (int id = 1; id <= 3; id++) {
            UpdateMetadataRequest update = updateMetadataFor(decision, id);
            assertThat(update.full()).isFalse();
            assertThat(update.deletedTopics()).containsExactly("doomed");
            assertThat(update.topics()).isEmpty();
            assertThat(update.liveBrokers()).extracting(BrokerInfo::id).containsExactly(1, 2, 3);
            assertThat(kindsFor(decision, id)).as("broker %d", id)
                    .containsExactly(BrokerCommand.UpdateMetadata.class, BrokerCommand.StopReplica.class);
        }
    }

    @Test
    void deletedTopicIsGoneFromTheViewAndOtherTopicsStay() {
        ControllerStateMachine machine = doomedAndOther();

        machine.handle(new ControllerEvent.DeleteTopic("doomed"));

        assertThat(machine.view().topic("doomed")).isEmpty();
        assertThat(machine.view().state("doomed", 0)).isEmpty();
        assertThat(machine.view().topics()).containsOnlyKeys("other");
        assertThat(machine.view().partitionCount()).isEqualTo(1);
    }

    @Test
    void deletedTopicNameCanBeCreatedAgainWithANewTopicId() {
        ControllerStateMachine machine = doomedAndOther();
        machine.handle(new ControllerEvent.DeleteTopic("doomed"));

        Decision decision = machine.handle(new ControllerEvent.CreateTopic("doomed", 1, 2, Map.of()));

        TopicInfo created = (TopicInfo) decision.reply();
        assertThat(created.topicId()).isNotEqualTo(topicId("doomed"));
        assertThat(created.partitions()).hasSize(1);
        assertThat(machine.view().topic("doomed")).contains(created);
    }

    @Test
    void afterDeletionABrokerLossWritesNothingForTheDeletedTopic() {
        ControllerStateMachine machine = doomedAndOther();
        machine.handle(new ControllerEvent.DeleteTopic("doomed"));

        Decision decision = machine.handle(new ControllerEvent.BrokerDown(3));

        assertThat(decision.writes()).isEmpty();
        assertThat(targets(decision)).containsExactly(1, 2);
    }

    // ---- create partitions ----

    /** "grow" has two partitions of two replicas with non-zero epochs. */
    private static ControllerStateMachine growable() {
        return cluster().brokers(1, 2, 3, 4)
                .topic("grow", Map.of("retention.ms", "1000"))
                .partition("grow", List.of(1, 2), state(2, 3, List.of(2, 1), 7))
                .partition("grow", List.of(3, 4), state(3, 1, List.of(3), 2))
                .machine();
    }

    private static ZkWrite.UpdateTopic theUpdate(Decision decision) {
        assertThat(decision.writes()).hasSize(1).first().isInstanceOf(ZkWrite.UpdateTopic.class);
        return (ZkWrite.UpdateTopic) decision.writes().get(0);
    }

    @Test
    void createPartitionsWritesTheGrownTopicWithTheNewPartitionsStatesOnly() {
        ControllerStateMachine machine = growable();

        ZkWrite.UpdateTopic write = theUpdate(machine.handle(new ControllerEvent.CreatePartitions("grow", 5)));

        assertThat(write.name()).isEqualTo("grow");
        assertThat(write.topic().topicId()).isEqualTo(topicId("grow"));
        assertThat(write.topic().configs()).isEqualTo(Map.of("retention.ms", "1000"));
        assertThat(write.topic().replicas()).hasSize(5);
        assertThat(write.topic().replicas().subList(0, 2)).containsExactly(List.of(1, 2), List.of(3, 4));
        assertThat(write.newStates()).containsOnlyKeys(2, 3, 4);
        for (int p = 2; p < 5; p++) {
            List<Integer> replicas = write.topic().replicas().get(p);
            assertThat(replicas).as("partition %d keeps the replication factor", p).hasSize(2).doesNotHaveDuplicates();
            assertThat(write.newStates().get(p)).isEqualTo(state(replicas.get(0), 0, replicas, 0));
        }
    }

    @Test
    void createPartitionsLeavesTheExistingPartitionsAsTheyWere() {
        ControllerStateMachine machine = growable();

        Decision decision = machine.handle(new ControllerEvent.CreatePartitions("grow", 4));

        TopicInfo grown = machine.view().topic("grow").orElseThrow();
        assertThat(grown.partitions()).hasSize(4);
        assertThat(grown.partitions().get(0))
                .isEqualTo(new PartitionInfo(0, List.of(1, 2), state(2, 3, List.of(2, 1), 7)));
        assertThat(grown.partitions().get(1))
                .isEqualTo(new PartitionInfo(1, List.of(3, 4), state(3, 1, List.of(3), 2)));
        assertThat(decision.reply()).isEqualTo(grown);
    }

    @Test
    void createPartitionsSendsLeaderAndIsrForTheNewPartitionsOnlyAndTheMetadataToEveryone() {
        ControllerStateMachine machine = growable();

        Decision decision = machine.handle(new ControllerEvent.CreatePartitions("grow", 6));

        ZkWrite.UpdateTopic write = theUpdate(decision);
        Map<Integer, Set<PartitionRef>> byBroker = leaderAndIsrPartitions(decision);
        for (int p = 2; p < 6; p++) {
            for (int replica : write.topic().replicas().get(p)) {
                assertThat(byBroker.get(replica)).as("broker %d", replica).contains(tp("grow", p));
            }
        }
        assertThat(byBroker.values()).allSatisfy(partitions -> assertThat(partitions)
                .doesNotContain(tp("grow", 0), tp("grow", 1)));
        assertThat(byBroker.values().stream().mapToInt(Set::size).sum()).isEqualTo(4 * 2);
        assertThat(targets(decision, BrokerCommand.UpdateMetadata.class)).containsExactly(1, 2, 3, 4);
        assertThat(updateMetadataFor(decision, 1).topics()).containsExactly(machine.view().topic("grow").orElseThrow());
        assertFenced(decision, machine);
    }

    @Test
    void createPartitionsPlacesNewReplicasOnLiveBrokersOnly() {
        ControllerStateMachine machine = growable();
        machine.handle(new ControllerEvent.BrokerDown(4));

        ZkWrite.UpdateTopic write = theUpdate(machine.handle(new ControllerEvent.CreatePartitions("grow", 8)));

        assertThat(write.topic().replicas().subList(2, 8)).allSatisfy(r -> assertThat(r).doesNotContain(4));
    }

    // ---- alter configs ----

    @Test
    void alterConfigsMergesSetsAndRemovalsIntoTheTopicRecord() {
        ControllerStateMachine machine = cluster().brokers(1, 2)
                .topic("t", Map.of("retention.ms", "1000", "cleanup.policy", "delete", "segment.ms", "5000"))
                .partition("t", List.of(1, 2), state(1, 4, List.of(1, 2), 9))
                .machine();

        Decision decision = machine.handle(new ControllerEvent.AlterConfigs("t",
                Map.of("retention.ms", "2000", "min.insync.replicas", "2"), Set.of("cleanup.policy", "preallocate")));

        Map<String, String> merged = Map.of("retention.ms", "2000", "min.insync.replicas", "2", "segment.ms", "5000");
        ZkWrite.UpdateTopic write = theUpdate(decision);
        assertThat(write.name()).isEqualTo("t");
        assertThat(write.topic().configs()).isEqualTo(merged);
        assertThat(write.topic().replicas()).containsExactly(List.of(1, 2));
        assertThat(write.topic().topicId()).isEqualTo(topicId("t"));
        assertThat(write.newStates()).isEmpty();
        assertThat(machine.view().topic("t").orElseThrow().configs()).isEqualTo(merged);
        assertThat(((TopicInfo) decision.reply()).configs()).isEqualTo(merged);
        assertThat(machine.view().state("t", 0)).contains(state(1, 4, List.of(1, 2), 9));
    }

    @Test
    void alterConfigsSendsEveryLiveBrokerTheNewConfigsAndNoLeaderAndIsr() {
        ControllerStateMachine machine = cluster().brokers(1, 2, 3)
                .partition("t", List.of(1, 2), state(1, 0, List.of(1, 2), 0))
                .machine();

        Decision decision = machine.handle(new ControllerEvent.AlterConfigs("t", Map.of("retention.ms", "5"), null));

        assertThat(commands(decision, BrokerCommand.LeaderAndIsr.class)).isEmpty();
        assertThat(targets(decision, BrokerCommand.UpdateMetadata.class)).containsExactly(1, 2, 3);
        for (int id = 1; id <= 3; id++) {
            UpdateMetadataRequest update = updateMetadataFor(decision, id);
            assertThat(update.topics()).singleElement()
                    .satisfies(t -> assertThat(t.configs()).isEqualTo(Map.of("retention.ms", "5")));
        }
        assertFenced(decision, machine);
    }

    @Test
    void newPartitionsOfAnAlteredTopicCarryTheNewConfigsInLeaderAndIsr() {
        ControllerStateMachine machine = cluster().brokers(1, 2)
                .partition("t", List.of(1, 2), state(1, 0, List.of(1, 2), 0))
                .machine();
        machine.handle(new ControllerEvent.AlterConfigs("t", Map.of("cleanup.policy", "compact"), Set.of()));

        Decision decision = machine.handle(new ControllerEvent.CreatePartitions("t", 2));

        assertThat(commands(decision, BrokerCommand.LeaderAndIsr.class)).isNotEmpty().allSatisfy(c ->
                assertThat(c.request().topics()).singleElement()
                        .satisfies(t -> assertThat(t.configs()).isEqualTo(Map.of("cleanup.policy", "compact"))));
        assertThat(theUpdate(decision).topic().configs()).isEqualTo(Map.of("cleanup.policy", "compact"));
    }
}
