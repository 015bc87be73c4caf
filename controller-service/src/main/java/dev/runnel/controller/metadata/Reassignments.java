package dev.runnel.controller.metadata;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import dev.runnel.cluster.PartitionReassignments;
import dev.runnel.cluster.PartitionRef;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.TopicRecord;
import dev.runnel.cluster.TopicRecord.Reassignment;
import dev.runnel.controller.metadata.AdminException.Reason;

/**
 * Partition reassignment, Kafka's model (KIP-455), for {@link ControllerStateMachine}: a partition
 * moving from its original replicas O to targets T first grows to both (the targets first, then
 * the replicas being removed), with {@code adding} = T − O and {@code removing} = O − T kept in the
 * topic record; the added replicas hear of it through LeaderAndIsr, create their logs and follow.
 * Once every adding replica is in the ISR (the leader's AlterPartition puts it there) the
 * reassignment completes in one change: the replicas become T, the removing ones leave the ISR,
 * leadership moves to an in-sync target if the leader is being removed, the leader epoch is bumped,
 * and the removed replicas are stopped with their logs deleted. A cancellation goes back to O the
 * same way, stopping the adding replicas instead.
 *
 * <pre>
 *   O=[1,2,3] T=[2,3,4]   replicas [1,2,3]                   ISR [1,2,3]  leader 1
 *   start                 replicas [2,3,4,1] adding [4] removing [1]     (partition epoch +1)
 *   4 joins the ISR       ISR [1,2,3,4]: every adding replica in sync, so at once:
 *   complete              replicas [2,3,4]  ISR [2,3,4]  leader 2 (leader epoch +1); StopReplica(delete) to 1
 * </pre>
 *
 * <p>Each change writes the partition states first and the topic record last, so a decision cut
 * short between ZooKeeper transactions leaves a state the next controller can carry on from: the
 * record still shows the move, and the loaded state either is the old one or already fits the end
 * of the move (leader and ISR among the targets), which that controller's activation completes.
 * A reassignment is never completed or cancelled in a way that leaves the ISR empty or elects a
 * replica out of sync: it waits, or the cancellation is refused. Not thread-safe: the state
 * machine's event loop owns it.
 */
final class Reassignments {

    private final ClusterModel model;

    Reassignments(ClusterModel model) {
        this.model = model;
    }

    /** What one partition becomes: replicas, reassignment (null: none), state, and the brokers to stop. */
    private record Step(PartitionRef tp, List<Integer> replicas, Reassignment reassignment, PartitionState state,
            List<Integer> stop) {
    }

    /**
     * The changes of one decision: state writes as they are made, the topic records once at the
     * end (one transaction may write a node only once), commands in the plan.
     */
    final class Changes {

        private final CommandPlan plan;
        private final List<ZkWrite> writes;
        private final Set<String> topics = new TreeSet<>();

        Changes(CommandPlan plan, List<ZkWrite> writes) {
            this.plan = plan;
            this.writes = writes;
        }

        private void apply(Step step) {
            PartitionRef tp = step.tp();
            model.setAssignment(tp, step.replicas(), step.reassignment());
            model.setState(tp, step.state());
            writes.add(new ZkWrite.SetPartitionState(tp.topic(), tp.partition(), step.state()));
            topics.add(tp.topic());
            plan.partitionChanged(tp);
            plan.replicasRemoved(tp, step.stop());
        }

        /** Appends the topic records changed; call once, after the last change. */
        void finish() {
            topics.forEach(name -> writes.add(new ZkWrite.UpdateTopic(name, model.topic(name), Map.of())));
            topics.clear();
        }
    }

    Changes changes(CommandPlan plan, List<ZkWrite> writes) {
        return new Changes(plan, writes);
    }

    /**
     * Starts, replaces or cancels the reassignment of each partition named, all or none: every
     * target is checked first, and a refusal changes nothing.
     *
     * @return the decision, whose reply lists where each named partition's reassignment stands
     */
    Decision reassign(List<PartitionReassignments.Target> targets) {
        if (targets == null || targets.isEmpty()) {
            throw new AdminException(Reason.INVALID_REQUEST, "Name at least one partition to reassign");
        }
        Set<Integer> registered = new HashSet<>();
        model.liveBrokers().forEach(b -> registered.add(b.id()));
        Set<PartitionRef> seen = new HashSet<>();
        List<Step> steps = new ArrayList<>();
        Map<String, TopicRecord> records = new LinkedHashMap<>();
        for (PartitionReassignments.Target target : targets) {
            PartitionRef tp = checkPartition(target, seen);
            Step step = target.cancel() ? cancel(tp) : start(tp, checkTarget(tp, target.replicas(), registered));
            if (step != null) {
                steps.add(step);
                TopicRecord record = records.getOrDefault(tp.topic(), model.topic(tp.topic()));
                records.put(tp.topic(), record.withPartition(tp.partition(), step.replicas(), step.reassignment()));
            }
        }
        records.forEach(TopicChecks::recordSize);

        CommandPlan plan = new CommandPlan(model);
        List<ZkWrite> writes = new ArrayList<>();
        Changes changes = changes(plan, writes);
        for (Step step : steps) {
            changes.apply(step);
            tryComplete(step.tp(), changes);
        }
        changes.finish();
        List<PartitionReassignments.Progress> reply = new ArrayList<>();
        for (PartitionReassignments.Target target : targets) {
            reply.add(progress(new PartitionRef(target.topic(), target.partition())));
        }
        return new Decision(writes, plan.commands(), reply);
    }

    /**
     * Completes the reassignment of {@code tp} if every adding replica is in the ISR and a target
     * in sync can lead; otherwise leaves it. No-op for a partition that is not reassigned.
     */
    void tryComplete(PartitionRef tp, Changes changes) {
        if (!model.hasTopic(tp.topic()) || model.reassignment(tp) == null) {
            return;
        }
        Step step = completion(tp);
        if (step != null) {
            changes.apply(step);
        }
    }

    /** {@link #tryComplete} for every ongoing reassignment: after a failover or a broker's return. */
    void tryCompleteAll(Changes changes) {
        model.reassigningPartitions().forEach(tp -> tryComplete(tp, changes));
    }

    private PartitionReassignments.Progress progress(PartitionRef tp) {
        Reassignment r = model.reassignment(tp);
        return new PartitionReassignments.Progress(tp.topic(), tp.partition(), model.replicas(tp),
                r == null ? List.of() : r.adding(), r == null ? List.of() : r.removing());
    }

    // ---- the steps, as functions of one partition's replicas, reassignment and state ----

    /**
     * Moving to {@code target}, from the original replicas (those of an ongoing reassignment that
     * were not being added): every current replica stays until the move completes, so the ISR and
     * the leader do not change. Null when the partition already is on {@code target} and not moving.
     */
    private Step start(PartitionRef tp, List<Integer> target) {
        List<Integer> replicas = model.replicas(tp);
        Reassignment ongoing = model.reassignment(tp);
        if (ongoing == null && replicas.equals(target)) {
            return null;
        }
        List<Integer> original = minus(replicas, ongoing == null ? List.of() : ongoing.adding());
        List<Integer> adding = minus(target, original);
        List<Integer> removing = minus(replicas, target);
        List<Integer> grown = new ArrayList<>(target);
        grown.addAll(removing);
        PartitionState s = model.state(tp);
        PartitionState bumped = new PartitionState(s.leader(), s.leaderEpoch(), s.isr(), s.partitionEpoch() + 1);
        Reassignment reassignment = adding.isEmpty() && removing.isEmpty() ? null : new Reassignment(adding, removing);
        // Replicas dropped by a replacing reassignment before they were ever in use (added, then not
        // a target any more) are among "removing" and go when it completes.
        return new Step(tp, grown, reassignment, bumped, List.of());
    }

    /** The end of the move, or null while an adding replica is out of sync or no target in sync can lead. */
    private Step completion(PartitionRef tp) {
        Reassignment r = model.reassignment(tp);
        PartitionState s = model.state(tp);
        if (!s.online() || !s.isr().containsAll(r.adding())) {
            return null;
        }
        List<Integer> target = minus(model.replicas(tp), r.removing());
        List<Integer> isr = minus(s.isr(), r.removing());
        if (target.isEmpty() || isr.isEmpty()) {
            return null;
        }
        int leader = target.contains(s.leader()) ? s.leader() : firstUsableIn(target, isr);
        if (leader == PartitionState.NO_LEADER) {
            return null;
        }
        return new Step(tp, target, null, new PartitionState(leader, s.leaderEpoch() + 1, isr, s.partitionEpoch() + 1),
                r.removing());
    }

    /** Back to the original replicas, stopping the adding ones; refused if that needs an unclean election. */
    private Step cancel(PartitionRef tp) {
        Reassignment r = model.reassignment(tp);
        if (r == null) {
            throw new AdminException(Reason.NO_REASSIGNMENT_IN_PROGRESS, "Partition " + tp.partition() + " of topic '"
                    + tp.topic() + "' is not being reassigned: there is nothing to cancel");
        }
        List<Integer> original = minus(model.replicas(tp), r.adding());
        PartitionState s = model.state(tp);
        List<Integer> isr = minus(s.isr(), r.adding());
        if (isr.isEmpty()) {
            throw new AdminException(Reason.INVALID_REPLICA_ASSIGNMENT, "Cannot cancel the reassignment of partition "
                    + tp.partition() + " of topic '" + tp.topic() + "': no original replica " + original
                    + " is in sync (ISR " + s.isr() + "), so going back would lose acknowledged records");
        }
        int leader = s.leader();
        if (s.online() && r.adding().contains(leader)) {
            leader = firstUsableIn(original, isr);
            if (leader == PartitionState.NO_LEADER) {
                throw new AdminException(Reason.INVALID_REPLICA_ASSIGNMENT, "Cannot cancel the reassignment of partition "
                        + tp.partition() + " of topic '" + tp.topic() + "': it is led by adding replica " + s.leader()
                        + " and no original replica in sync " + isr + " is available to lead");
            }
        }
        int leaderEpoch = r.adding().isEmpty() ? s.leaderEpoch() : s.leaderEpoch() + 1;
        return new Step(tp, original, null, new PartitionState(leader, leaderEpoch, isr, s.partitionEpoch() + 1),
                r.adding());
    }

    private int firstUsableIn(List<Integer> candidates, List<Integer> isr) {
        return candidates.stream().filter(b -> isr.contains(b) && model.isUsable(b)).findFirst()
                .orElse(PartitionState.NO_LEADER);
    }

    private static List<Integer> minus(List<Integer> from, List<Integer> removed) {
        return from.stream().filter(b -> !removed.contains(b)).toList();
    }

    // ---- validation ----

    private PartitionRef checkPartition(PartitionReassignments.Target target, Set<PartitionRef> seen) {
        if (target == null || target.topic() == null || target.partition() == null) {
            throw new AdminException(Reason.INVALID_REQUEST, "Every partition to reassign needs a topic and a partition");
        }
        TopicRecord topic = model.topic(target.topic());
        if (topic == null) {
            throw new AdminException(Reason.UNKNOWN_TOPIC, "Topic '" + target.topic() + "' does not exist");
        }
        if (target.partition() < 0 || target.partition() >= topic.partitionCount()) {
            throw new AdminException(Reason.UNKNOWN_PARTITION, "Topic '" + target.topic() + "' has no partition "
                    + target.partition() + " (it has " + topic.partitionCount() + ")");
        }
        PartitionRef tp = new PartitionRef(target.topic(), target.partition());
        if (!seen.add(tp)) {
            throw new AdminException(Reason.INVALID_REQUEST, "Partition " + tp.partition() + " of topic '" + tp.topic()
                    + "' is named twice");
        }
        return tp;
    }

    private static List<Integer> checkTarget(PartitionRef tp, List<Integer> replicas, Set<Integer> registered) {
        String partition = "partition " + tp.partition() + " of topic '" + tp.topic() + "'";
        if (replicas.isEmpty() || replicas.contains(null)) {
            throw new AdminException(Reason.INVALID_REPLICA_ASSIGNMENT, "The target replicas of " + partition
                    + " are empty or contain null: give at least one broker id, or null to cancel");
        }
        if (new HashSet<>(replicas).size() != replicas.size()) {
            throw new AdminException(Reason.INVALID_REPLICA_ASSIGNMENT, "The target replicas of " + partition
                    + " name a broker twice: " + replicas);
        }
        for (int broker : replicas) {
            if (!registered.contains(broker)) {
                throw new AdminException(Reason.INVALID_REPLICA_ASSIGNMENT, "The target replicas of " + partition
                        + " name broker " + broker + ", which is not registered");
            }
        }
        return replicas;
    }
}
