package dev.runnel.controller.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import dev.runnel.controller.placement.RebalancePlanner.BrokerLoad;
import dev.runnel.controller.placement.RebalancePlanner.Move;
import dev.runnel.controller.placement.RebalancePlanner.PartitionReplicas;
import dev.runnel.controller.placement.RebalancePlanner.Plan;

class RebalancePlannerTest {

    private static List<PlacementBroker> brokers(int... ids) {
        List<PlacementBroker> brokers = new ArrayList<>();
        for (int id : ids) {
            brokers.add(PlacementBroker.of(id));
        }
        return brokers;
    }

    /** {@code count} partitions of {@code topic} placed as Kafka places them on {@code brokers}. */
    private static List<PartitionReplicas> topic(String topic, int count, int replicationFactor,
            List<PlacementBroker> brokers) {
        List<List<Integer>> assigned = ReplicaPlacement.assign(brokers, count, replicationFactor, 0, 0, 0);
        List<PartitionReplicas> partitions = new ArrayList<>();
        for (int p = 0; p < count; p++) {
            partitions.add(new PartitionReplicas(topic, p, assigned.get(p)));
        }
        return partitions;
    }

    private static Map<Integer, BrokerLoad> byBroker(List<BrokerLoad> loads) {
        return loads.stream().collect(Collectors.toMap(BrokerLoad::broker, l -> l, (a, b) -> a, TreeMap::new));
    }

    private static List<List<Integer>> after(List<PartitionReplicas> partitions, Plan plan) {
        Map<String, List<Integer>> moved = new TreeMap<>();
        plan.moves().forEach(m -> moved.put(m.topic() + "-" + m.partition(), m.to()));
        return partitions.stream().map(p -> moved.getOrDefault(p.topic() + "-" + p.partition(), p.replicas())).toList();
    }

    @Test
    void balancingAfterAFourthBrokerJoinsGivesItAQuarterOfTheReplicasAndOfThePreferredLeaders() {
        List<PartitionReplicas> partitions = topic("orders", 12, 3, brokers(1, 2, 3));

        Plan plan = RebalancePlanner.balance(brokers(1, 2, 3, 4), partitions);

        Map<Integer, BrokerLoad> before = byBroker(plan.before());
        Map<Integer, BrokerLoad> after = byBroker(plan.after());
        assertThat(before.get(4)).isEqualTo(new BrokerLoad(4, 0, 0));
        assertThat(after.values()).allSatisfy(load -> {
            assertThat(load.replicas()).isEqualTo(9);
            assertThat(load.preferredLeaders()).isEqualTo(3);
        });
        // each move replaces one replica at most (no data moves needlessly) and keeps three distinct replicas
        for (Move move : plan.moves()) {
            assertThat(new HashSet<>(move.to())).hasSize(3);
            Set<Integer> added = new HashSet<>(move.to());
            added.removeAll(move.from());
            assertThat(added).hasSizeLessThanOrEqualTo(1);
        }
        int replicaMoves = plan.moves().stream().mapToInt(m -> {
            Set<Integer> added = new HashSet<>(m.to());
            added.removeAll(m.from());
            return added.size();
        }).sum();
        assertThat(replicaMoves).as("the nine replicas broker 4 needs, no more").isEqualTo(9);
    }

    @Test
    void aBalancedClusterNeedsNoMove() {
        List<PlacementBroker> brokers = brokers(1, 2, 3, 4);

        Plan plan = RebalancePlanner.balance(brokers, topic("orders", 12, 3, brokers));

        assertThat(plan.moves()).isEmpty();
        assertThat(plan.after()).isEqualTo(plan.before());
    }

    @Test
    void drainingABrokerMovesEachOfItsReplicasOnceAndOnlyThose() {
        List<PlacementBroker> brokers = brokers(1, 2, 3, 4);
        List<PartitionReplicas> partitions = topic("orders", 12, 3, brokers);
        long onBroker1 = partitions.stream().filter(p -> p.replicas().contains(1)).count();

        Plan plan = RebalancePlanner.drain(brokers, partitions, Set.of(1));

        assertThat(plan.moves()).hasSize((int) onBroker1);
        for (Move move : plan.moves()) {
            assertThat(move.from()).contains(1);
            assertThat(move.to()).doesNotContain(1).doesNotHaveDuplicates().hasSize(3);
            // the others keep their places; broker 1's place goes to its replacement
            int at = move.from().indexOf(1);
            for (int i = 0; i < 3; i++) {
                if (i != at) {
                    assertThat(move.to().get(i)).isEqualTo(move.from().get(i));
                }
            }
        }
        Map<Integer, BrokerLoad> after = byBroker(plan.after());
        assertThat(after.get(1)).isEqualTo(new BrokerLoad(1, 0, 0));
        assertThat(after.get(2).replicas() + after.get(3).replicas() + after.get(4).replicas()).isEqualTo(36);
        assertThat(after.values().stream().filter(l -> l.broker() != 1)).allSatisfy(load -> {
            assertThat(load.replicas()).isEqualTo(12);
            assertThat(load.preferredLeaders()).isEqualTo(4);
        });
    }

    @Test
    void drainingKeepsEveryPartitionOnAsManyRacksAsBefore() {
        List<PlacementBroker> brokers = List.of(new PlacementBroker(1, "a"), new PlacementBroker(2, "a"),
                new PlacementBroker(3, "b"), new PlacementBroker(4, "b"), new PlacementBroker(5, "c"),
                new PlacementBroker(6, "c"));
        Map<Integer, String> racks = new TreeMap<>();
        brokers.forEach(b -> racks.put(b.id(), b.rack()));
        List<PartitionReplicas> partitions = topic("orders", 18, 3, brokers);

        Plan plan = RebalancePlanner.drain(brokers, partitions, Set.of(3));

        for (List<Integer> replicas : after(partitions, plan)) {
            assertThat(replicas).doesNotContain(3);
            assertThat(replicas.stream().map(racks::get).distinct()).as("racks of " + replicas).hasSize(3);
        }
        assertThat(byBroker(plan.after()).get(4).replicas()).isEqualTo(18);
    }

    @Test
    void aDrainThatCannotKeepTheReplicationFactorIsRefused() {
        List<PlacementBroker> brokers = brokers(1, 2, 3);

        assertThatThrownBy(() -> RebalancePlanner.drain(brokers, topic("orders", 3, 3, brokers), Set.of(1)))
                .isInstanceOf(PlacementException.class).hasMessageContaining("only 2 brokers would be left");
        assertThatThrownBy(() -> RebalancePlanner.drain(brokers, topic("orders", 3, 1, brokers), Set.of(9)))
                .isInstanceOf(PlacementException.class).hasMessageContaining("Broker 9");
        assertThatThrownBy(() -> RebalancePlanner.drain(brokers, topic("orders", 3, 1, brokers), Set.of(1, 2, 3)))
                .isInstanceOf(PlacementException.class).hasMessageContaining("no broker");
    }

    @Test
    void aDeadBrokersReplicasCanBeDrainedToTheLiveOnes() {
        List<PartitionReplicas> partitions = topic("orders", 6, 2, brokers(1, 2, 3));

        Plan plan = RebalancePlanner.drain(brokers(1, 2), partitions, Set.of(3));

        assertThat(after(partitions, plan)).allSatisfy(replicas -> assertThat(replicas).containsExactlyInAnyOrder(1, 2));
    }

    @Test
    void balancingSpreadsEachTopicOnItsOwn() {
        List<PartitionReplicas> partitions = new ArrayList<>(topic("orders", 4, 1, brokers(1)));
        partitions.addAll(topic("payments", 4, 1, brokers(2)));

        Plan plan = RebalancePlanner.balance(brokers(1, 2), partitions);

        List<List<Integer>> after = after(partitions, plan);
        assertThat(after.subList(0, 4).stream().filter(r -> r.get(0) == 2)).hasSize(2);
        assertThat(after.subList(4, 8).stream().filter(r -> r.get(0) == 1)).hasSize(2);
    }
}
