package dev.runnel.controller.metadata;

import static dev.runnel.cluster.PartitionState.NO_LEADER;
import static dev.runnel.controller.metadata.ClusterFixture.state;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;

import dev.runnel.cluster.PartitionState;

class LeaderElectionTest {

    private static final IntPredicate NONE = id -> false;
    private static final IntPredicate ALL = id -> true;

    private static IntPredicate in(Integer... ids) {
        Set<Integer> set = Set.of(ids);
        return set::contains;
    }

    private static IntPredicate notIn(Integer... ids) {
        return in(ids).negate();
    }

    // ---- reconcile ----

    @Test
    void partitionWithAllReplicasAliveIsReturnedAsTheSameInstance() {
        PartitionState s = state(1, 3, List.of(1, 2, 3), 7);

        assertThat(LeaderElection.reconcile(List.of(1, 2, 3), s, NONE, ALL, false)).isSameAs(s);
    }

    @Test
    void deadFollowerLeavesTheIsrWithAPartitionEpochBumpButNoLeaderEpochBump() {
        PartitionState s = state(1, 3, List.of(1, 2, 3), 7);

        PartitionState after = LeaderElection.reconcile(List.of(1, 2, 3), s, in(2), notIn(2), false);

        assertThat(after).isEqualTo(state(1, 3, List.of(1, 3), 8));
    }

    @Test
    void deadLeaderIsReplacedByTheFirstLiveInSyncReplicaInReplicaOrderNotIsrOrder() {
        PartitionState s = state(1, 3, List.of(1, 3, 2), 7);

        PartitionState after = LeaderElection.reconcile(List.of(1, 2, 3), s, in(1), notIn(1), false);

        assertThat(after).isEqualTo(state(2, 4, List.of(3, 2), 8));
    }

    @Test
    void deadLeaderIsNotReplacedByAnEarlierReplicaThatIsOutOfSync() {
        PartitionState s = state(1, 3, List.of(1, 3), 7);

        PartitionState after = LeaderElection.reconcile(List.of(1, 2, 3), s, in(1), notIn(1), false);

        assertThat(after).isEqualTo(state(3, 4, List.of(3), 8));
    }

    @Test
    void inSyncReplicaThatIsShuttingDownIsPassedOverForLeadership() {
        PartitionState s = state(1, 3, List.of(1, 2, 3), 7);

        PartitionState after = LeaderElection.reconcile(List.of(1, 2, 3), s, in(1), notIn(1, 2), false);

        assertThat(after.leader()).isEqualTo(3);
        assertThat(after.leaderEpoch()).isEqualTo(4);
        assertThat(after.partitionEpoch()).isEqualTo(8);
    }

    @Test
    void liveLeaderThatIsShuttingDownIsNotMovedByReconcile() {
        PartitionState s = state(1, 3, List.of(1, 2), 7);

        assertThat(LeaderElection.reconcile(List.of(1, 2), s, NONE, notIn(1), false)).isSameAs(s);
    }

    @Test
    void lastInSyncReplicaDyingTakesThePartitionOfflineAndKeepsItInTheIsr() {
        PartitionState s = state(1, 3, List.of(1), 7);

        PartitionState after = LeaderElection.reconcile(List.of(1, 2), s, in(1), notIn(1), false);

        assertThat(after).isEqualTo(state(NO_LEADER, 4, List.of(1), 8));
        assertThat(after.online()).isFalse();
    }

    @Test
    void offlinePartitionIsUnchangedWhileOnlyOutOfSyncReplicasAreAlive() {
        PartitionState s = state(NO_LEADER, 4, List.of(1), 8);

        assertThat(LeaderElection.reconcile(List.of(1, 2), s, in(1), notIn(1), false)).isSameAs(s);
    }

    @Test
    void returningLastInSyncReplicaLeadsAgainWithAHigherLeaderEpoch() {
        PartitionState s = state(NO_LEADER, 4, List.of(1), 8);

        PartitionState after = LeaderElection.reconcile(List.of(1, 2), s, NONE, ALL, false);

        assertThat(after).isEqualTo(state(1, 5, List.of(1), 9));
    }

    @Test
    void uncleanElectionPicksTheFirstUsableReplicaAndMakesItTheWholeIsr() {
        PartitionState s = state(1, 3, List.of(1), 7);

        assertThat(LeaderElection.reconcile(List.of(1, 2, 3), s, in(1), notIn(1), true))
                .isEqualTo(state(2, 4, List.of(2), 8));
        assertThat(LeaderElection.reconcile(List.of(1, 2, 3), s, in(1), notIn(1, 2), true))
                .isEqualTo(state(3, 4, List.of(3), 8));
    }

    @Test
    void uncleanElectionStillPrefersALiveInSyncReplica() {
        PartitionState s = state(1, 3, List.of(1, 3), 7);

        assertThat(LeaderElection.reconcile(List.of(1, 2, 3), s, in(1), notIn(1), true))
                .isEqualTo(state(3, 4, List.of(3), 8));
    }

    @Test
    void uncleanElectionElectsAReturningOutOfSyncReplicaOfAnOfflinePartition() {
        PartitionState s = state(NO_LEADER, 4, List.of(1), 8);

        assertThat(LeaderElection.reconcile(List.of(1, 2), s, in(1), notIn(1), true))
                .isEqualTo(state(2, 5, List.of(2), 9));
    }

    @Test
    void uncleanElectionWithNoUsableReplicaLeavesThePartitionOffline() {
        PartitionState s = state(1, 3, List.of(1), 7);

        assertThat(LeaderElection.reconcile(List.of(1, 2), s, in(1, 2), NONE, true))
                .isEqualTo(state(NO_LEADER, 4, List.of(1), 8));
    }

    // ---- controlled shutdown ----

    @Test
    void leavingLeaderHandsOverToTheNextUsableInSyncReplicaInReplicaOrder() {
        PartitionState s = state(2, 4, List.of(3, 2, 1), 6);

        PartitionState after = LeaderElection.onControlledShutdown(List.of(2, 1, 3), s, 2, notIn(2));

        assertThat(after).isEqualTo(state(1, 5, List.of(3, 1), 7));
    }

    @Test
    void leavingFollowerLeavesTheIsrWithoutALeaderEpochBump() {
        PartitionState s = state(1, 4, List.of(1, 2, 3), 6);

        PartitionState after = LeaderElection.onControlledShutdown(List.of(1, 2, 3), s, 2, notIn(2));

        assertThat(after).isEqualTo(state(1, 4, List.of(1, 3), 7));
    }

    @Test
    void leavingLeaderWithoutAnotherUsableInSyncReplicaKeepsLeadingUnchanged() {
        PartitionState alone = state(2, 4, List.of(2), 6);
        PartitionState othersShuttingDown = state(2, 4, List.of(2, 3), 6);

        assertThat(LeaderElection.onControlledShutdown(List.of(2, 3), alone, 2, notIn(2))).isSameAs(alone);
        assertThat(LeaderElection.onControlledShutdown(List.of(2, 3), othersShuttingDown, 2, notIn(2, 3)))
                .isSameAs(othersShuttingDown);
    }

    @Test
    void shutdownOfABrokerOutsideThePartitionOrItsIsrChangesNothing() {
        PartitionState s = state(1, 4, List.of(1), 6);

        assertThat(LeaderElection.onControlledShutdown(List.of(1, 2), s, 3, notIn(3))).isSameAs(s);
        assertThat(LeaderElection.onControlledShutdown(List.of(1, 2), s, 2, notIn(2))).isSameAs(s);
    }

    @Test
    void shutdownLeavesAnOfflinePartitionAlone() {
        PartitionState s = state(NO_LEADER, 4, List.of(2), 6);

        assertThat(LeaderElection.onControlledShutdown(List.of(1, 2), s, 2, notIn(2))).isSameAs(s);
    }

    // ---- preferred leader ----

    @Test
    void preferredReplicaThatIsLiveAndInSyncTakesLeadershipBack() {
        PartitionState s = state(2, 5, List.of(2, 3, 1), 9);

        assertThat(LeaderElection.preferred(List.of(1, 2, 3), s, ALL)).isEqualTo(state(1, 6, List.of(2, 3, 1), 10));
    }

    @Test
    void preferredElectionDoesNothingWhenThePreferredReplicaLeadsIsOutOfSyncDeadOrShuttingDown() {
        PartitionState leads = state(1, 5, List.of(1, 2), 9);
        PartitionState outOfSync = state(2, 5, List.of(2, 3), 9);
        PartitionState inSync = state(2, 5, List.of(2, 1), 9);

        assertThat(LeaderElection.preferred(List.of(1, 2, 3), leads, ALL)).isSameAs(leads);
        assertThat(LeaderElection.preferred(List.of(1, 2, 3), outOfSync, ALL)).isSameAs(outOfSync);
        assertThat(LeaderElection.preferred(List.of(1, 2, 3), inSync, notIn(1))).isSameAs(inSync);
    }

    // ---- the rules hold for any input ----

    @Test
    void everyRuleBumpsThePartitionEpochOnAnyChangeAndTheLeaderEpochOnALeaderChange() {
        Random random = new Random(20240601);
        for (int i = 0; i < 5_000; i++) {
            List<Integer> replicas = randomSubset(random, List.of(1, 2, 3, 4, 5), 1);
            List<Integer> isr = randomSubset(random, replicas, 1);
            int leader = random.nextInt(4) == 0 ? NO_LEADER : isr.get(random.nextInt(isr.size()));
            PartitionState s = state(leader, random.nextInt(10), isr, random.nextInt(10));
            Set<Integer> gone = new HashSet<>(randomSubset(random, List.of(1, 2, 3, 4, 5), 0));
            Set<Integer> stopping = new HashSet<>(randomSubset(random, List.of(1, 2, 3, 4, 5), 0));
            stopping.removeAll(gone);
            IntPredicate usable = id -> !gone.contains(id) && !stopping.contains(id);
            boolean unclean = random.nextBoolean();
            String input = "replicas " + replicas + ", " + s + ", gone " + gone + ", stopping " + stopping
                    + ", unclean " + unclean;

            PartitionState reconciled = LeaderElection.reconcile(replicas, s, gone::contains, usable, unclean);
            assertEpochRules(s, reconciled, "reconcile " + input);
            assertThat(reconciled.isr()).as(input).isNotEmpty().isSubsetOf(replicas).doesNotHaveDuplicates();
            boolean leaderGone = !s.online() || gone.contains(s.leader());
            if (!leaderGone) {
                assertThat(reconciled.leader()).as(input).isEqualTo(s.leader());
            }
            if (reconciled.online()) {
                assertThat(reconciled.isr()).as(input).contains(reconciled.leader())
                        .noneMatch(gone::contains);
            }
            if (reconciled.leader() != s.leader() && reconciled.online()) {
                assertThat(usable.test(reconciled.leader())).as("new leader usable: " + input).isTrue();
                if (!unclean) {
                    assertThat(s.isr()).as("new leader was in sync: " + input).contains(reconciled.leader());
                }
            }
            List<Integer> electable = replicas.stream().filter(r -> s.isr().contains(r) && usable.test(r)).toList();
            if (leaderGone && !electable.isEmpty()) {
                assertThat(reconciled.leader()).as("first electable: " + input).isEqualTo(electable.get(0));
            }

            int leaving = 1 + random.nextInt(5);
            IntPredicate usableWhileLeaving = id -> usable.test(id) && id != leaving;
            PartitionState shutdown = LeaderElection.onControlledShutdown(replicas, s, leaving, usableWhileLeaving);
            assertEpochRules(s, shutdown, "onControlledShutdown of " + leaving + ", " + input);
            if (shutdown.online() && shutdown.leader() != leaving) {
                assertThat(shutdown.isr()).as(input).doesNotContain(leaving);
            }

            PartitionState preferred = LeaderElection.preferred(replicas, s, usable);
            assertEpochRules(s, preferred, "preferred " + input);
        }
    }

    private static void assertEpochRules(PartitionState before, PartitionState after, String input) {
        if (after.leader() == before.leader() && after.isr().equals(before.isr())) {
            assertThat(after).as("unchanged, so the same instance: " + input).isSameAs(before);
            return;
        }
        assertThat(after.partitionEpoch()).as("partition epoch: " + input).isEqualTo(before.partitionEpoch() + 1);
        int leaderEpoch = after.leader() == before.leader() ? before.leaderEpoch() : before.leaderEpoch() + 1;
        assertThat(after.leaderEpoch()).as("leader epoch: " + input).isEqualTo(leaderEpoch);
    }

    private static List<Integer> randomSubset(Random random, List<Integer> from, int min) {
        List<Integer> shuffled = new ArrayList<>(from);
        Collections.shuffle(shuffled, random);
        return List.copyOf(shuffled.subList(0, min + random.nextInt(from.size() - min + 1)));
    }
}
