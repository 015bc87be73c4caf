package dev.runnel.controller.metadata;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import dev.runnel.cluster.LeaderElections;
import dev.runnel.cluster.LeaderElections.Outcome;
import dev.runnel.cluster.PartitionRef;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.TopicRecord;
import dev.runnel.controller.metadata.AdminException.Reason;

/**
 * Leader elections an operator asks for (Kafka's ElectLeaders, KIP-460) and the automatic
 * preferred-leader balancing, for {@link ControllerStateMachine}. Both only change partition
 * states, the same ZooKeeper writes as any change of leader, so a new controller carries on from
 * what is committed: there is no state of its own to survive a failover.
 *
 * <p>PREFERRED gives a partition to its first replica when that one is alive and in the ISR;
 * UNCLEAN gives a partition with no live leader to a live replica, from outside the ISR if no
 * in-sync one is alive (the ISR then is that replica alone). See {@link LeaderElection}.
 *
 * <p>Balancing follows Kafka's {@code auto.leader.rebalance.enable}: per broker, the imbalance
 * ratio is the share of the partitions it is the preferred replica of that another broker leads;
 * above {@code leader.imbalance.per.broker.percentage} those partitions go back to it, except the
 * ones being reassigned (their replicas, and so their preferred one, are about to change) and the
 * ones where it is not in the ISR. Not thread-safe: the state machine's event loop owns it.
 */
final class PreferredLeaders {

    private final ClusterModel model;

    PreferredLeaders(ClusterModel model) {
        this.model = model;
    }

    /**
     * Elects leaders of {@code partitions} (null: every partition) by {@code type}.
     *
     * @return the decision, whose reply is a {@code List<LeaderElections.Result>}: one per partition
     *         named, in order (duplicates once), or for every partition only those that needed an
     *         election
     */
    Decision elect(LeaderElections.Type type, List<LeaderElections.Partition> partitions) {
        if (type == null) {
            throw new AdminException(Reason.INVALID_REQUEST, "Give the election type as 'type': PREFERRED or UNCLEAN");
        }
        Set<PartitionRef> named = new LinkedHashSet<>();
        if (partitions != null) {
            for (LeaderElections.Partition p : partitions) {
                if (p == null || p.topic() == null || p.partition() == null) {
                    throw new AdminException(Reason.INVALID_REQUEST,
                            "Every partition to elect a leader for needs a topic and a partition");
                }
                named.add(new PartitionRef(p.topic(), p.partition()));
            }
        }
        boolean all = partitions == null;
        CommandPlan plan = new CommandPlan(model);
        List<ZkWrite> writes = new ArrayList<>();
        List<LeaderElections.Result> results = new ArrayList<>();
        for (PartitionRef tp : all ? model.allPartitions() : List.copyOf(named)) {
            LeaderElections.Result result = elect(type, tp, plan, writes);
            if (!all || result.outcome() != Outcome.ELECTION_NOT_NEEDED) {
                results.add(result);
            }
        }
        return new Decision(writes, plan.commands(), results);
    }

    private LeaderElections.Result elect(LeaderElections.Type type, PartitionRef tp, CommandPlan plan,
            List<ZkWrite> writes) {
        TopicRecord topic = model.topic(tp.topic());
        if (topic == null || tp.partition() < 0 || tp.partition() >= topic.partitionCount()) {
            return result(tp, Outcome.UNKNOWN_TOPIC_OR_PARTITION, PartitionState.NO_LEADER,
                    topic == null ? "Topic '" + tp.topic() + "' does not exist"
                            : "Topic '" + tp.topic() + "' has no partition " + tp.partition());
        }
        List<Integer> replicas = model.replicas(tp);
        PartitionState before = model.state(tp);
        if (type == LeaderElections.Type.PREFERRED) {
            if (before.leader() == replicas.get(0)) {
                return result(tp, Outcome.ELECTION_NOT_NEEDED, before.leader(), "Led by its preferred replica already");
            }
            PartitionState after = LeaderElection.preferred(replicas, before, model::isUsable);
            if (after == before) {
                return result(tp, Outcome.PREFERRED_LEADER_NOT_AVAILABLE, before.leader(), "Preferred replica "
                        + replicas.get(0) + " is " + (model.isUsable(replicas.get(0)) ? "not in the ISR " + before.isr()
                                : "not alive (or is shutting down)"));
            }
            commit(tp, after, plan, writes);
            return result(tp, Outcome.NONE, after.leader(), null);
        }
        if (before.online()) {
            return result(tp, Outcome.ELECTION_NOT_NEEDED, before.leader(), "Led by live broker " + before.leader());
        }
        PartitionState after = LeaderElection.unclean(replicas, before, model::isUsable);
        if (after == before) {
            return result(tp, Outcome.ELIGIBLE_LEADERS_NOT_AVAILABLE, PartitionState.NO_LEADER,
                    "No replica of " + replicas + " is alive");
        }
        commit(tp, after, plan, writes);
        return result(tp, Outcome.NONE, after.leader(), null);
    }

    /**
     * The periodic balancing check: for each broker whose imbalance ratio is above {@code
     * imbalancePercentage} percent, gives back the partitions it prefers and may lead.
     */
    Decision balance(int imbalancePercentage) {
        Map<Integer, List<PartitionRef>> byPreferred = new TreeMap<>();
        for (PartitionRef tp : model.allPartitions()) {
            byPreferred.computeIfAbsent(model.replicas(tp).get(0), b -> new ArrayList<>()).add(tp);
        }
        CommandPlan plan = new CommandPlan(model);
        List<ZkWrite> writes = new ArrayList<>();
        byPreferred.forEach((broker, preferred) -> {
            List<PartitionRef> elsewhere = preferred.stream().filter(tp -> model.state(tp).leader() != broker).toList();
            if (!aboveThreshold(elsewhere.size(), preferred.size(), imbalancePercentage)) {
                return;
            }
            for (PartitionRef tp : elsewhere) {
                if (model.reassignment(tp) != null) {
                    continue;
                }
                PartitionState before = model.state(tp);
                PartitionState after = LeaderElection.preferred(model.replicas(tp), before, model::isUsable);
                if (after != before) {
                    commit(tp, after, plan, writes);
                }
            }
        });
        return writes.isEmpty() ? Decision.NOTHING : new Decision(writes, plan.commands(), null);
    }

    /** Kafka's test: imbalanced / preferred &gt; percentage / 100, in integers. */
    static boolean aboveThreshold(int imbalanced, int preferred, int imbalancePercentage) {
        return preferred > 0 && (long) imbalanced * 100 > (long) imbalancePercentage * preferred;
    }

    private void commit(PartitionRef tp, PartitionState after, CommandPlan plan, List<ZkWrite> writes) {
        model.setState(tp, after);
        writes.add(new ZkWrite.SetPartitionState(tp.topic(), tp.partition(), after));
        plan.partitionChanged(tp);
    }

    private static LeaderElections.Result result(PartitionRef tp, Outcome outcome, int leader, String message) {
        return new LeaderElections.Result(tp.topic(), tp.partition(), outcome, leader, message);
    }
}
