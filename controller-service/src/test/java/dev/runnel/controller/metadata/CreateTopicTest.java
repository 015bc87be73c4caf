package dev.runnel.controller.metadata;

import static dev.runnel.controller.metadata.ClusterFixture.assertFenced;
import static dev.runnel.controller.metadata.ClusterFixture.broker;
import static dev.runnel.controller.metadata.ClusterFixture.cluster;
import static dev.runnel.controller.metadata.ClusterFixture.commands;
import static dev.runnel.controller.metadata.ClusterFixture.kindsFor;
import static dev.runnel.controller.metadata.ClusterFixture.leaderAndIsrFor;
import static dev.runnel.controller.metadata.ClusterFixture.leaderAndIsrPartitions;
import static dev.runnel.controller.metadata.ClusterFixture.state;
import static dev.runnel.controller.metadata.ClusterFixture.targets;
import static dev.runnel.controller.metadata.ClusterFixture.tp;
import static dev.runnel.controller.metadata.ClusterFixture.updateMetadataFor;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.PartitionRef;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.cluster.UpdateMetadataRequest;

class CreateTopicTest {

    private static ControllerEvent.CreateTopic create(String name, int partitions, int replicationFactor) {
        return new ControllerEvent.CreateTopic(name, partitions, replicationFactor, Map.of());
    }

    private static ZkWrite.CreateTopic theWrite(Decision decision) {
        assertThat(decision.writes()).hasSize(1).first().isInstanceOf(ZkWrite.CreateTopic.class);
        return (ZkWrite.CreateTopic) decision.writes().get(0);
    }

    // ---- placement ----

    @ParameterizedTest
    @ValueSource(longs = {1, 42, 1234, 987654321})
    void sixPartitionsOfThreeReplicasOnThreeBrokersGiveEachBrokerTwoLeaders(long seed) {
        ControllerStateMachine machine = cluster().brokers(1, 2, 3).machine(seed);

        List<List<Integer>> replicas = theWrite(machine.handle(create("orders", 6, 3))).topic().replicas();

        assertThat(replicas).hasSize(6).allSatisfy(r -> assertThat(r).hasSize(3).doesNotHaveDuplicates()
                .containsExactlyInAnyOrder(1, 2, 3));
        assertThat(replicas.stream().collect(Collectors.groupingBy(r -> r.get(0), Collectors.counting())))
                .containsExactlyInAnyOrderEntriesOf(Map.of(1, 2L, 2, 2L, 3, 2L));
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 42, 1234})
    void twelvePartitionsOfThreeReplicasOnSixBrokersSpreadLeadersAndReplicasEvenly(long seed) {
        ControllerStateMachine machine = cluster().brokers(1, 2, 3, 4, 5, 6).machine(seed);

        List<List<Integer>> replicas = theWrite(machine.handle(create("orders", 12, 3))).topic().replicas();

        Map<Integer, Long> leaders = replicas.stream()
                .collect(Collectors.groupingBy(r -> r.get(0), Collectors.counting()));
        Map<Integer, Long> all = replicas.stream().flatMap(List::stream)
                .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
        assertThat(leaders).hasSize(6).allSatisfy((broker, count) -> assertThat(count).isEqualTo(2L));
        assertThat(all).hasSize(6).allSatisfy((broker, count) -> assertThat(count).isEqualTo(6L));
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 42, 1234})
    void withRacksEveryPartitionSpansThreeRacks(long seed) {
        Map<Integer, String> racks = Map.of(1, "a", 2, "a", 3, "b", 4, "b", 5, "c", 6, "c");
        ClusterFixture cluster = cluster();
        racks.forEach((id, rack) -> cluster.broker(broker(id, rack)));
        ControllerStateMachine machine = cluster.machine(seed);

        List<List<Integer>> replicas = theWrite(machine.handle(create("orders", 6, 3))).topic().replicas();

        assertThat(replicas).hasSize(6).allSatisfy(r -> assertThat(r.stream().map(racks::get).distinct())
                .as("racks of %s", r).containsExactlyInAnyOrder("a", "b", "c"));
        assertThat(replicas.stream().map(r -> r.get(0)).distinct()).as("one leader per broker").hasSize(6);
    }

    @Test
    void aValidateOnlyCreationAnswersWhatWouldBeCreatedAndChangesNothing() {
        ControllerStateMachine machine = cluster().brokers(1, 2, 3).machine();

        Decision decision = machine.handle(new ControllerEvent.CreateTopic("t", 6, 3, Map.of("retention.ms", "1000"), true));

        assertThat(decision.writes()).isEmpty();
        assertThat(decision.commands()).isEmpty();
        TopicInfo reply = (TopicInfo) decision.reply();
        assertThat(reply.partitions()).hasSize(6).allSatisfy(p -> assertThat(p.replicas()).hasSize(3));
        assertThat(reply.configs()).containsEntry("retention.ms", "1000");
        assertThat(machine.view().topics()).isEmpty();
        assertThat(machine.handle(create("t", 6, 3)).writes()).hasSize(1);
    }

    @Test
    void aValidateOnlyCreationIsRefusedLikeARealOne() {
        ControllerStateMachine machine = cluster().brokers(1, 2).machine();

        ClusterFixture.assertRefused(machine, new ControllerEvent.CreateTopic("t", 1, 3, Map.of(), true),
                AdminException.Reason.INVALID_REPLICATION_FACTOR);
    }

    @Test
    void theSameSeedGivesTheSamePlacement() {
        List<List<Integer>> first = theWrite(cluster().brokers(1, 2, 3, 4).machine(7).handle(create("t", 8, 2)))
                .topic().replicas();
        List<List<Integer>> second = theWrite(cluster().brokers(1, 2, 3, 4).machine(7).handle(create("t", 8, 2)))
                .topic().replicas();

        assertThat(second).isEqualTo(first);
    }

    @Test
    void replicasArePlacedOnLiveBrokersOnly() {
        ControllerStateMachine machine = cluster().brokers(1, 2, 3, 4).machine();
        machine.handle(new ControllerEvent.BrokerDown(3));

        List<List<Integer>> replicas = theWrite(machine.handle(create("t", 6, 3))).topic().replicas();

        assertThat(replicas.stream().flatMap(List::stream).collect(Collectors.toSet()))
                .containsExactlyInAnyOrder(1, 2, 4);
    }

    // ---- initial state, write, reply and view ----

    @Test
    void eachPartitionStartsLedByItsFirstReplicaWithAllReplicasInSyncAtEpochZero() {
        ControllerStateMachine machine = cluster().brokers(1, 2, 3, 4).machine();

        ZkWrite.CreateTopic write = theWrite(machine.handle(create("orders", 5, 3)));

        assertThat(write.name()).isEqualTo("orders");
        assertThat(write.states()).containsOnlyKeys(0, 1, 2, 3, 4);
        for (int p = 0; p < 5; p++) {
            List<Integer> replicas = write.topic().replicas().get(p);
            PartitionState expected = state(replicas.get(0), 0, replicas, 0);
            assertThat(write.states().get(p)).as("partition %d", p).isEqualTo(expected);
            assertThat(machine.view().state("orders", p)).contains(expected);
        }
    }

    @Test
    void theTopicRecordKeepsTheConfigsAndTheReplyAndViewDescribeTheNewTopic() {
        ControllerStateMachine machine = cluster().brokers(1, 2, 3).machine();
        Map<String, String> configs = Map.of("retention.ms", "60000", "cleanup.policy", "compact");

        Decision decision = machine.handle(new ControllerEvent.CreateTopic("orders", 3, 2, configs));

        ZkWrite.CreateTopic write = theWrite(decision);
        assertThat(write.topic().configs()).isEqualTo(configs);
        assertThat(write.topic().partitionCount()).isEqualTo(3);
        assertThat(decision.reply()).isInstanceOf(TopicInfo.class);
        TopicInfo reply = (TopicInfo) decision.reply();
        assertThat(reply.name()).isEqualTo("orders");
        assertThat(reply.topicId()).isEqualTo(write.topic().topicId());
        assertThat(reply.configs()).isEqualTo(configs);
        assertThat(reply.partitions()).extracting(PartitionInfo::partition).containsExactly(0, 1, 2);
        assertThat(reply.partitions()).extracting(PartitionInfo::replicas).isEqualTo(write.topic().replicas());
        assertThat(machine.view().topic("orders")).contains(reply);
        assertThat(machine.view().partitionCount()).isEqualTo(3);
        assertThat(machine.view().offlinePartitionCount()).isZero();
        assertThat(machine.view().underReplicatedPartitionCount()).isZero();
        assertThat(machine.view().preferredReplicaImbalanceCount()).isZero();
    }

    @Test
    void twoTopicsGetDifferentTopicIds() {
        ControllerStateMachine machine = cluster().brokers(1, 2).machine();

        ZkWrite.CreateTopic a = theWrite(machine.handle(create("a", 1, 1)));
        ZkWrite.CreateTopic b = theWrite(machine.handle(create("b", 1, 1)));

        assertThat(a.topic().topicId()).isNotEqualTo(b.topic().topicId());
        assertThat(machine.view().topics()).containsOnlyKeys("a", "b");
    }

    @Test
    void aTopicNameOfTheMaximumLengthOfLegalCharactersIsAccepted() {
        ControllerStateMachine machine = cluster().brokers(1).machine();
        String name = "Az09._-".repeat(35) + "abcd";

        machine.handle(create(name, 1, 1));

        assertThat(name).hasSize(249);
        assertThat(machine.view().topic(name)).isPresent();
    }

    // ---- commands ----

    @Test
    void everyReplicaGetsLeaderAndIsrForItsPartitionsAndEveryLiveBrokerGetsTheMetadata() {
        ControllerStateMachine machine = cluster().brokers(1, 2, 3, 4, 5).machine();

        Decision decision = machine.handle(create("orders", 3, 2));

        List<List<Integer>> replicas = theWrite(decision).topic().replicas();
        Map<Integer, Set<PartitionRef>> expected = new TreeMap<>();
        for (int p = 0; p < replicas.size(); p++) {
            for (int r : replicas.get(p)) {
                expected.computeIfAbsent(r, b -> new TreeSet<>(
                        (x, y) -> Integer.compare(x.partition(), y.partition()))).add(tp("orders", p));
            }
        }
        assertThat(leaderAndIsrPartitions(decision)).isEqualTo(expected);
        assertThat(targets(decision, BrokerCommand.UpdateMetadata.class)).containsExactly(1, 2, 3, 4, 5);
        assertThat(commands(decision, BrokerCommand.StopReplica.class)).isEmpty();
        for (int id = 1; id <= 5; id++) {
            UpdateMetadataRequest update = updateMetadataFor(decision, id);
            assertThat(update.full()).isFalse();
            assertThat(update.topics()).containsExactly(machine.view().topic("orders").orElseThrow());
            assertThat(update.deletedTopics()).isEmpty();
            assertThat(update.liveBrokers()).extracting(BrokerInfo::id).containsExactly(1, 2, 3, 4, 5);
        }
        assertFenced(decision, machine);
    }

    @Test
    void aReplicaGetsLeaderAndIsrBeforeTheMetadataUpdate() {
        ControllerStateMachine machine = cluster().brokers(1, 2).machine();

        Decision decision = machine.handle(create("orders", 2, 2));

        assertThat(kindsFor(decision, 1)).containsExactly(BrokerCommand.LeaderAndIsr.class,
                BrokerCommand.UpdateMetadata.class);
        assertThat(kindsFor(decision, 2)).containsExactly(BrokerCommand.LeaderAndIsr.class,
                BrokerCommand.UpdateMetadata.class);
    }

    @Test
    void leaderAndIsrDescribesThePartitionsAndNamesTheirLeaders() {
        ControllerStateMachine machine = cluster().brokers(1, 2, 3).machine();
        Map<String, String> configs = Map.of("retention.ms", "1000");

        Decision decision = machine.handle(new ControllerEvent.CreateTopic("orders", 3, 3, configs));

        TopicInfo view = machine.view().topic("orders").orElseThrow();
        for (int id = 1; id <= 3; id++) {
            var request = leaderAndIsrFor(decision, id).request();
            assertThat(request.topics()).hasSize(1);
            TopicInfo topic = request.topics().get(0);
            assertThat(topic.name()).isEqualTo("orders");
            assertThat(topic.topicId()).isEqualTo(view.topicId());
            assertThat(topic.configs()).isEqualTo(configs);
            assertThat(topic.partitions()).containsExactlyInAnyOrderElementsOf(view.partitions());
            Set<Integer> leaders = new HashSet<>();
            topic.partitions().forEach(p -> leaders.add(p.state().leader()));
            assertThat(request.liveLeaders()).extracting(BrokerInfo::id).containsExactlyInAnyOrderElementsOf(leaders);
            assertThat(request.liveLeaders()).allSatisfy(b -> assertThat(b).isEqualTo(broker(b.id())));
        }
    }

    @Test
    void brokersThatHoldNoReplicaGetOnlyTheMetadata() {
        ControllerStateMachine machine = cluster().brokers(1, 2, 3, 4).machine();

        Decision decision = machine.handle(create("single", 1, 1));

        int replica = theWrite(decision).topic().replicas().get(0).get(0);
        assertThat(targets(decision, BrokerCommand.LeaderAndIsr.class)).containsExactly(replica);
        for (int id = 1; id <= 4; id++) {
            if (id != replica) {
                assertThat(kindsFor(decision, id)).as("broker %d", id)
                        .containsExactly(BrokerCommand.UpdateMetadata.class);
            }
        }
    }
}
