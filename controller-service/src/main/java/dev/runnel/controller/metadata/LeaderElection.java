package dev.runnel.controller.metadata;

import java.util.List;
import java.util.Optional;
import java.util.function.IntPredicate;

import dev.runnel.cluster.PartitionState;

/**
 * The leadership rules, as pure functions of one partition's replicas and state. Each returns the
 * new state, or the same instance when nothing changes. Any change bumps the partition epoch; a
 * change of leader also bumps the leader epoch.
 *
 * <p>Only an in-sync replica may lead, so an acknowledged record is never lost, unless the topic
 * opts into unclean election, which trades that for availability.
 */
final class LeaderElection {

    private LeaderElection() {
    }

    /**
     * Brings a partition in line with which brokers are alive: replicas that are gone leave the ISR,
     * and a partition whose leader is gone (or that has none) gets the first usable in-sync replica
     * in assignment order. With none, the partition is offline (leader -1) and keeps its last ISR
     * member, so that replica can lead again when it returns.
     */
    static PartitionState reconcile(List<Integer> replicas, PartitionState s, IntPredicate gone,
            IntPredicate usable, boolean unclean) {
        List<Integer> isr = s.isr().stream().filter(r -> !gone.test(r)).toList();
        boolean leaderGone = !s.online() || gone.test(s.leader());
        if (!leaderGone) {
            return isr.equals(s.isr()) ? s : new PartitionState(s.leader(), s.leaderEpoch(), isr, s.partitionEpoch() + 1);
        }
        Optional<Integer> leader = firstUsableInIsr(replicas, isr, usable);
        if (leader.isPresent()) {
            return new PartitionState(leader.get(), s.leaderEpoch() + 1, isr, s.partitionEpoch() + 1);
        }
        if (unclean) {
            Optional<Integer> any = replicas.stream().filter(usable::test).findFirst();
            if (any.isPresent()) {
                return new PartitionState(any.get(), s.leaderEpoch() + 1, List.of(any.get()), s.partitionEpoch() + 1);
            }
        }
        List<Integer> keptIsr = isr.isEmpty() ? s.isr() : isr;
        if (!s.online() && keptIsr.equals(s.isr())) {
            return s;
        }
        int epoch = s.online() ? s.leaderEpoch() + 1 : s.leaderEpoch();
        return new PartitionState(PartitionState.NO_LEADER, epoch, keptIsr, s.partitionEpoch() + 1);
    }

    /** Moves leadership off {@code leaving} to another live in-sync replica, dropping it from the ISR. */
    static PartitionState onControlledShutdown(List<Integer> replicas, PartitionState s, int leaving,
            IntPredicate usable) {
        List<Integer> isr = s.isr().stream().filter(r -> r != leaving).toList();
        if (s.leader() != leaving) {
            boolean shrink = s.online() && !isr.equals(s.isr());
            return shrink ? new PartitionState(s.leader(), s.leaderEpoch(), isr, s.partitionEpoch() + 1) : s;
        }
        return firstUsableInIsr(replicas, isr, usable)
                .map(l -> new PartitionState(l, s.leaderEpoch() + 1, isr, s.partitionEpoch() + 1))
                .orElse(s);
    }

    /** Gives leadership back to the preferred (first) replica when it is alive and in sync. */
    static PartitionState preferred(List<Integer> replicas, PartitionState s, IntPredicate usable) {
        int preferred = replicas.get(0);
        if (s.leader() == preferred || !usable.test(preferred) || !s.isr().contains(preferred)) {
            return s;
        }
        return new PartitionState(preferred, s.leaderEpoch() + 1, s.isr(), s.partitionEpoch() + 1);
    }

    /**
     * An operator's unclean election (Kafka's ElectLeaders UNCLEAN) of a partition without a live
     * leader: the first usable in-sync replica if there is one, else the first usable replica, which
     * becomes the whole ISR (records only the old ISR had may be lost). The same instance when the
     * partition has a leader or no replica is usable.
     */
    static PartitionState unclean(List<Integer> replicas, PartitionState s, IntPredicate usable) {
        if (s.online()) {
            return s;
        }
        Optional<Integer> clean = firstUsableInIsr(replicas, s.isr(), usable);
        if (clean.isPresent()) {
            return new PartitionState(clean.get(), s.leaderEpoch() + 1, s.isr(), s.partitionEpoch() + 1);
        }
        return replicas.stream().filter(usable::test).findFirst()
                .map(any -> new PartitionState(any, s.leaderEpoch() + 1, List.of(any), s.partitionEpoch() + 1))
                .orElse(s);
    }

    private static Optional<Integer> firstUsableInIsr(List<Integer> replicas, List<Integer> isr, IntPredicate usable) {
        return replicas.stream().filter(r -> isr.contains(r) && usable.test(r)).findFirst();
    }
}
