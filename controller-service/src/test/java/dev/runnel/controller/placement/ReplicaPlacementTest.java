package dev.runnel.controller.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReplicaPlacementTest {

    // ---- rack-unaware placement ----

    @Test
    void sixPartitionsOfThreeReplicasOnThreeBrokersGiveEachBrokerTwoLeadersAndSixReplicas() {
        List<List<Integer>> assignment = ReplicaPlacement.assign(brokers(1, 2, 3), 6, 3, 0, 0, 0);

        assertThat(leaderCounts(assignment)).containsExactlyInAnyOrderEntriesOf(Map.of(1, 2L, 2, 2L, 3, 2L));
        assertThat(replicaCounts(assignment)).containsExactlyInAnyOrderEntriesOf(Map.of(1, 6L, 2, 6L, 3, 6L));
    }

    @Test
    void twelvePartitionsOfThreeReplicasOnFourBrokersGiveEachBrokerThreeLeadersAndNineReplicas() {
        List<List<Integer>> assignment = ReplicaPlacement.assign(brokers(0, 1, 2, 3), 12, 3, 0, 1, 2);

        assertThat(leaderCounts(assignment)).containsExactlyInAnyOrderEntriesOf(Map.of(0, 3L, 1, 3L, 2, 3L, 3, 3L));
        assertThat(replicaCounts(assignment)).containsExactlyInAnyOrderEntriesOf(Map.of(0, 9L, 1, 9L, 2, 9L, 3, 9L));
    }

    @Test
    void followsKafkasLayoutShiftingTheFollowersOncePerRoundOfLeaders() {
        // The example in Kafka's AdminUtils documentation: 5 brokers, 10 partitions, 3 replicas.
        List<List<Integer>> assignment = ReplicaPlacement.assign(brokers(0, 1, 2, 3, 4), 10, 3, 0, 0, 0);

        assertThat(assignment).containsExactly(
                List.of(0, 1, 2), List.of(1, 2, 3), List.of(2, 3, 4), List.of(3, 4, 0), List.of(4, 0, 1),
                List.of(0, 2, 3), List.of(1, 3, 4), List.of(2, 4, 0), List.of(3, 0, 1), List.of(4, 1, 2));
    }

    @Test
    void ordersBrokersByIdWhateverOrderTheyAreGivenIn() {
        List<List<Integer>> shuffled = ReplicaPlacement.assign(brokers(30, 10, 20), 3, 2, 0, 0, 0);

        assertThat(shuffled).containsExactly(List.of(10, 20), List.of(20, 30), List.of(30, 10));
        assertThat(shuffled).isEqualTo(ReplicaPlacement.assign(brokers(10, 20, 30), 3, 2, 0, 0, 0));
    }

    @Test
    void startIndexPicksTheBrokerThatLeadsPartitionZero() {
        List<List<Integer>> assignment = ReplicaPlacement.assign(brokers(5, 6, 7, 8), 4, 1, 0, 2, 0);

        assertThat(assignment).containsExactly(List.of(7), List.of(8), List.of(5), List.of(6));
    }

    @Test
    void replicaShiftMovesTheFollowersButNotTheLeader() {
        List<List<Integer>> unshifted = ReplicaPlacement.assign(brokers(0, 1, 2, 3), 1, 2, 0, 0, 0);
        List<List<Integer>> shifted = ReplicaPlacement.assign(brokers(0, 1, 2, 3), 1, 2, 0, 0, 1);

        assertThat(unshifted).containsExactly(List.of(0, 1));
        assertThat(shifted).containsExactly(List.of(0, 2));
    }

    @Test
    void neverPutsTwoReplicasOfAPartitionOnTheSameBroker() {
        List<List<Integer>> assignment = ReplicaPlacement.assign(brokers(1, 2, 3, 4, 5), 50, 5, 0, 3, 4);

        assertThat(assignment).allSatisfy(replicas ->
                assertThat(replicas).doesNotHaveDuplicates().containsExactlyInAnyOrder(1, 2, 3, 4, 5));
    }

    @Test
    void aSingleBrokerHoldsEveryPartitionAlone() {
        assertThat(ReplicaPlacement.assign(brokers(7), 3, 1, 0, 0, 0))
                .containsExactly(List.of(7), List.of(7), List.of(7));
    }

    @Test
    void theSameStartIndexAndShiftAlwaysGiveTheSamePlacement() {
        List<List<Integer>> first = ReplicaPlacement.assign(brokers(1, 2, 3, 4, 5, 6), 20, 3, 0, 4, 5);
        List<List<Integer>> second = ReplicaPlacement.assign(brokers(6, 5, 4, 3, 2, 1), 20, 3, 0, 4, 5);

        assertThat(second).isEqualTo(first);
    }

    @Test
    void addingPartitionsLaterContinuesThePatternOfTheFirstCall() {
        List<PlacementBroker> brokers = brokers(1, 2, 3, 4);
        List<List<Integer>> atOnce = ReplicaPlacement.assign(brokers, 14, 3, 0, 1, 3);

        List<List<Integer>> inSteps = new ArrayList<>(ReplicaPlacement.assign(brokers, 3, 3, 0, 1, 3));
        inSteps.addAll(ReplicaPlacement.assign(brokers, 6, 3, 3, 1, 3));
        inSteps.addAll(ReplicaPlacement.assign(brokers, 5, 3, 9, 1, 3));

        assertThat(inSteps).isEqualTo(atOnce);
    }

    @Test
    void returnsUnmodifiableLists() {
        List<List<Integer>> assignment = ReplicaPlacement.assign(brokers(1, 2), 2, 2, 0, 0, 0);

        assertThatThrownBy(() -> assignment.add(List.of(1))).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> assignment.get(0).set(0, 2)).isInstanceOf(UnsupportedOperationException.class);
    }

    // ---- the random variant ----

    @Test
    void randomVariantDrawsStartIndexThenShiftBelowTheBrokerCount() {
        List<PlacementBroker> brokers = brokers(1, 2, 3, 4, 5);
        SplittableRandom draws = new SplittableRandom(42);
        int startIndex = draws.nextInt(5);
        int shift = draws.nextInt(5);

        assertThat(ReplicaPlacement.assign(brokers, 10, 3, 0, new SplittableRandom(42)))
                .isEqualTo(ReplicaPlacement.assign(brokers, 10, 3, 0, startIndex, shift));
    }

    @Test
    void randomVariantSpreadsLeadersAndReplicasEvenlyForEverySeed() {
        for (long seed = 0; seed < 50; seed++) {
            List<List<Integer>> assignment =
                    ReplicaPlacement.assign(brokers(1, 2, 3, 4, 5), 10, 3, 0, new SplittableRandom(seed));

            assertThat(leaderCounts(assignment).values()).as("seed %d", seed).hasSize(5).containsOnly(2L);
            assertThat(replicaCounts(assignment).values()).as("seed %d", seed).hasSize(5).containsOnly(6L);
        }
    }

    // ---- rack-aware placement ----

    @Test
    void alternatesRacksWhenOrderingBrokers() {
        // Kafka's example: rack1 holds 0, 1, 2; rack2 3, 4, 5; rack3 6, 7, 8 -> 0, 3, 6, 1, 4, 7, 2, 5, 8.
        List<PlacementBroker> brokers = racked(Map.of(
                "rack1", List.of(2, 0, 1), "rack2", List.of(3, 4, 5), "rack3", List.of(8, 7, 6)));

        List<List<Integer>> assignment = ReplicaPlacement.assign(brokers, 9, 1, 0, 0, 0);

        assertThat(assignment.stream().map(replicas -> replicas.get(0)))
                .containsExactly(0, 3, 6, 1, 4, 7, 2, 5, 8);
    }

    @Test
    void threeRacksOfTwoBrokersPutEveryPartitionOnThreeRacksAndShareReplicasEvenly() {
        List<PlacementBroker> brokers = racked(Map.of("a", List.of(1, 2), "b", List.of(3, 4), "c", List.of(5, 6)));

        for (int start = 0; start < 6; start++) {
            for (int shift = 0; shift < 6; shift++) {
                List<List<Integer>> assignment = ReplicaPlacement.assign(brokers, 12, 3, 0, start, shift);

                assertThat(assignment).allSatisfy(replicas -> assertThat(racksOf(replicas, brokers)).hasSize(3));
                assertThat(leaderCounts(assignment).values()).hasSize(6).containsOnly(2L);
                assertThat(replicaCounts(assignment).values()).hasSize(6).containsOnly(6L);
            }
        }
    }

    @Test
    void twoRacksWithReplicationFactorThreeUseBothRacks() {
        List<PlacementBroker> brokers = racked(Map.of("east", List.of(1, 2, 3), "west", List.of(4, 5, 6)));

        List<List<Integer>> assignment = ReplicaPlacement.assign(brokers, 12, 3, 0, 2, 1);

        assertThat(assignment).allSatisfy(replicas -> {
            assertThat(replicas).doesNotHaveDuplicates();
            assertThat(racksOf(replicas, brokers)).containsExactlyInAnyOrder("east", "west");
        });
        assertThat(replicaCounts(assignment).values()).hasSize(6).containsOnly(6L);
    }

    @Test
    void fewerReplicasThanRacksPutEachReplicaOnADifferentRack() {
        List<PlacementBroker> brokers = racked(Map.of(
                "a", List.of(1, 2), "b", List.of(3, 4), "c", List.of(5, 6), "d", List.of(7, 8)));

        List<List<Integer>> assignment = ReplicaPlacement.assign(brokers, 16, 2, 0, 5, 3);

        assertThat(assignment).allSatisfy(replicas -> assertThat(racksOf(replicas, brokers)).hasSize(2));
        assertThat(leaderCounts(assignment).values()).hasSize(8).containsOnly(2L);
        assertThat(replicaCounts(assignment).values()).hasSize(8).containsOnly(4L);
    }

    @Test
    void unequalRackSizesStillPutEveryPartitionOnEveryRackAndSpreadLeaders() {
        List<PlacementBroker> brokers = racked(Map.of(
                "big", List.of(1, 2, 3, 4), "mid", List.of(5, 6), "solo", List.of(7)));

        List<List<Integer>> assignment = ReplicaPlacement.assign(brokers, 14, 3, 0, 3, 2);

        assertThat(assignment).allSatisfy(replicas -> {
            assertThat(replicas).doesNotHaveDuplicates();
            assertThat(racksOf(replicas, brokers)).containsExactlyInAnyOrder("big", "mid", "solo");
        });
        assertThat(leaderCounts(assignment).values()).hasSize(7).containsOnly(2L);
        // One replica per rack: the lone broker of "solo" holds every partition, "mid" shares 14 evenly.
        // Inside "big" only the leaders are even: as in Kafka, its followers are not spread evenly.
        Map<Integer, Long> replicas = replicaCounts(assignment);
        assertThat(replicas).containsEntry(7, 14L).containsEntry(5, 7L).containsEntry(6, 7L);
        assertThat(replicas.get(1) + replicas.get(2) + replicas.get(3) + replicas.get(4)).isEqualTo(14L);
    }

    @Test
    void racksOfTwoTwoAndOneBrokersPutTwoReplicasOnTwoRacksAndSpreadLeaders() {
        List<PlacementBroker> brokers = racked(Map.of("a", List.of(1, 2), "b", List.of(3, 4), "c", List.of(5)));

        List<List<Integer>> assignment = ReplicaPlacement.assign(brokers, 10, 2, 0, 1, 3);

        assertThat(assignment).allSatisfy(replicas -> assertThat(racksOf(replicas, brokers)).hasSize(2));
        assertThat(leaderCounts(assignment).values()).hasSize(5).containsOnly(2L);
    }

    @Test
    void addingPartitionsLaterContinuesTheRackAwarePattern() {
        List<PlacementBroker> brokers = racked(Map.of("a", List.of(1, 2, 3), "b", List.of(4, 5), "c", List.of(6)));
        List<List<Integer>> atOnce = ReplicaPlacement.assign(brokers, 20, 3, 0, 4, 1);

        List<List<Integer>> inSteps = new ArrayList<>(ReplicaPlacement.assign(brokers, 7, 3, 0, 4, 1));
        inSteps.addAll(ReplicaPlacement.assign(brokers, 13, 3, 7, 4, 1));

        assertThat(inSteps).isEqualTo(atOnce);
    }

    @Test
    void aBlankRackCountsAsNoRack() {
        assertThat(new PlacementBroker(1, "  ").rack()).isNull();
        assertThat(ReplicaPlacement.assign(List.of(new PlacementBroker(1, ""), PlacementBroker.of(2)), 2, 2, 0, 0, 0))
                .containsExactly(List.of(1, 2), List.of(2, 1));
    }

    // ---- refusals ----

    @ParameterizedTest
    @ValueSource(ints = {0, -1})
    void refusesAReplicationFactorBelowOne(int replicationFactor) {
        assertThatThrownBy(() -> ReplicaPlacement.assign(brokers(1, 2), 1, replicationFactor, 0, 0, 0))
                .isInstanceOf(PlacementException.class)
                .hasMessage("Replication factor must be at least 1, was " + replicationFactor);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -3})
    void refusesAPartitionCountBelowOne(int count) {
        assertThatThrownBy(() -> ReplicaPlacement.assign(brokers(1, 2), count, 1, 0, new SplittableRandom(1)))
                .isInstanceOf(PlacementException.class)
                .hasMessage("Partition count must be at least 1, was " + count);
    }

    @Test
    void refusesToPlaceWithoutLiveBrokers() {
        assertThatThrownBy(() -> ReplicaPlacement.assign(List.of(), 1, 1, 0, new SplittableRandom(1)))
                .isInstanceOf(PlacementException.class)
                .hasMessage("There are no live brokers to place replicas on");
    }

    @Test
    void refusesAReplicationFactorAboveTheLiveBrokerCount() {
        assertThatThrownBy(() -> ReplicaPlacement.assign(brokers(1, 2, 3), 6, 4, 0, new SplittableRandom(1)))
                .isInstanceOf(PlacementException.class)
                .hasMessage("Replication factor 4 is larger than the 3 live brokers");
        assertThatThrownBy(() -> ReplicaPlacement.assign(brokers(1), 1, 2, 0, 0, 0))
                .isInstanceOf(PlacementException.class)
                .hasMessage("Replication factor 2 is larger than the 1 live broker");
    }

    @Test
    void refusesBrokersWithAndWithoutRacksTogether() {
        List<PlacementBroker> brokers = List.of(
                new PlacementBroker(3, "a"), PlacementBroker.of(2), new PlacementBroker(1, "b"));

        assertThatThrownBy(() -> ReplicaPlacement.assign(brokers, 3, 2, 0, 0, 0))
                .isInstanceOf(PlacementException.class)
                .hasMessage("Not all brokers have rack information: brokers [1, 3] have a rack but brokers [2] do not");
    }

    @Test
    void refusesABrokerListedTwice() {
        assertThatThrownBy(() -> ReplicaPlacement.assign(brokers(1, 2, 1), 3, 2, 0, 0, 0))
                .isInstanceOf(PlacementException.class)
                .hasMessage("Broker 1 is listed more than once");
    }

    @Test
    void refusesANegativeFirstPartition() {
        assertThatThrownBy(() -> ReplicaPlacement.assign(brokers(1, 2), 1, 1, -1, 0, 0))
                .isInstanceOf(PlacementException.class)
                .hasMessage("First partition must not be negative, was -1");
    }

    @Test
    void refusesPartitionIdsPastTheLargestInt() {
        assertThatThrownBy(() -> ReplicaPlacement.assign(brokers(1, 2), 2, 1, Integer.MAX_VALUE, 0, 0))
                .isInstanceOf(PlacementException.class)
                .hasMessage("2 partitions from partition 2147483647 would pass the largest partition id 2147483647");
        int max = Integer.MAX_VALUE;
        assertThat(ReplicaPlacement.assign(brokers(1, 2, 3), 1, 3, max, max, max))
                .singleElement().satisfies(replicas -> assertThat(replicas).containsExactlyInAnyOrder(1, 2, 3));
    }

    @Test
    void refusesANegativeStartIndexOrShift() {
        assertThatThrownBy(() -> ReplicaPlacement.assign(brokers(1, 2), 1, 1, 0, -1, 0))
                .isInstanceOf(PlacementException.class)
                .hasMessage("Start index must not be negative, was -1");
        assertThatThrownBy(() -> ReplicaPlacement.assign(brokers(1, 2), 1, 1, 0, 0, -2))
                .isInstanceOf(PlacementException.class)
                .hasMessage("Replica shift must not be negative, was -2");
    }

    // ---- invariants over many shapes ----

    @Test
    void everyPlacementKeepsTheInvariantsAcrossManyClusterShapes() {
        SplittableRandom random = new SplittableRandom(20240611);
        for (int trial = 0; trial < 3000; trial++) {
            int brokerCount = 1 + random.nextInt(12);
            int rackCount = random.nextInt(Math.min(brokerCount, 5) + 1); // 0: no racks
            boolean equalRacks = rackCount > 0 && random.nextBoolean() && brokerCount % rackCount == 0;
            List<PlacementBroker> brokers = new ArrayList<>();
            for (int i = 0; i < brokerCount; i++) {
                int id = 100 + 3 * i + random.nextInt(3);
                String rack = rackCount == 0 ? null
                        : "r" + (equalRacks || i < rackCount ? i % rackCount : random.nextInt(rackCount));
                brokers.add(new PlacementBroker(id, rack));
            }
            int rf = 1 + random.nextInt(brokerCount);
            int rounds = 1 + random.nextInt(4);
            boolean aligned = random.nextBoolean();
            int firstPartition = aligned ? brokerCount * random.nextInt(3) : random.nextInt(30);
            int count = aligned ? rounds * brokerCount : 1 + random.nextInt(40);
            int start = random.nextInt(brokerCount);
            int shift = random.nextInt(brokerCount);
            String shape = "brokers=" + brokers + " rf=" + rf + " first=" + firstPartition + " count=" + count
                    + " start=" + start + " shift=" + shift;

            List<List<Integer>> assignment = ReplicaPlacement.assign(brokers, count, rf, firstPartition, start, shift);

            Set<Integer> ids = brokers.stream().map(PlacementBroker::id).collect(Collectors.toSet());
            assertThat(assignment).as(shape).hasSize(count).allSatisfy(replicas -> {
                assertThat(replicas).hasSize(rf).doesNotHaveDuplicates();
                assertThat(ids).containsAll(replicas);
                if (rackCount > 0) {
                    assertThat(racksOf(replicas, brokers)).hasSize(Math.min(rf, rackCount));
                }
            });
            Map<Integer, Long> leaders = leaderCounts(assignment);
            long fewestLeaders = ids.stream().mapToLong(id -> leaders.getOrDefault(id, 0L)).min().orElseThrow();
            long mostLeaders = ids.stream().mapToLong(id -> leaders.getOrDefault(id, 0L)).max().orElseThrow();
            assertThat(mostLeaders - fewestLeaders).as(shape).isLessThanOrEqualTo(1);
            if (aligned && (rackCount == 0 || equalRacks)) {
                assertThat(replicaCounts(assignment)).as(shape).hasSize(brokerCount)
                        .allSatisfy((id, n) -> assertThat(n).isEqualTo((long) rounds * rf));
            }
            int split = random.nextInt(count + 1);
            List<List<Integer>> inSteps = new ArrayList<>();
            if (split > 0) {
                inSteps.addAll(ReplicaPlacement.assign(brokers, split, rf, firstPartition, start, shift));
            }
            if (split < count) {
                inSteps.addAll(ReplicaPlacement.assign(
                        brokers, count - split, rf, firstPartition + split, start, shift));
            }
            assertThat(inSteps).as(shape + " split=" + split).isEqualTo(assignment);
        }
    }

    // ---- helpers ----

    private static List<PlacementBroker> brokers(int... ids) {
        return IntStream.of(ids).mapToObj(PlacementBroker::of).toList();
    }

    private static List<PlacementBroker> racked(Map<String, List<Integer>> idsByRack) {
        List<PlacementBroker> brokers = new ArrayList<>();
        new TreeMap<>(idsByRack).forEach((rack, ids) ->
                ids.forEach(id -> brokers.add(new PlacementBroker(id, rack))));
        return brokers;
    }

    private static Set<String> racksOf(List<Integer> replicas, List<PlacementBroker> brokers) {
        Map<Integer, String> rackById =
                brokers.stream().collect(Collectors.toMap(PlacementBroker::id, PlacementBroker::rack));
        return replicas.stream().map(rackById::get).collect(Collectors.toCollection(HashSet::new));
    }

    private static Map<Integer, Long> leaderCounts(List<List<Integer>> assignment) {
        return assignment.stream().map(replicas -> replicas.get(0))
                .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    }

    private static Map<Integer, Long> replicaCounts(List<List<Integer>> assignment) {
        return assignment.stream().flatMap(List::stream)
                .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
    }
}
