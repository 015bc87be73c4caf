package dev.runnel.controller.metadata;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.IntPredicate;
import java.util.random.RandomGenerator;

import dev.runnel.cluster.AllocateProducerIdsRequest;
import dev.runnel.cluster.AllocateProducerIdsResponse;
import dev.runnel.cluster.AlterPartitionRequest;
import dev.runnel.cluster.AlterPartitionResponse;
import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.ClusterError;
import dev.runnel.cluster.ControlledShutdownRequest;
import dev.runnel.cluster.ControlledShutdownResponse;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.PartitionRef;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.ProducerIdBlock;
import dev.runnel.cluster.TopicConfigs;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.cluster.TopicRecord;
import dev.runnel.controller.metadata.AdminException.Reason;
import dev.runnel.controller.placement.PlacementBroker;
import dev.runnel.controller.placement.PlacementException;
import dev.runnel.controller.placement.ReplicaPlacement;

/**
 * The active controller's decisions, as a state machine fed by events: each {@link #handle} call
 * returns the ZooKeeper writes to commit and the broker commands to send, so the logic is tested
 * without ZooKeeper or HTTP.
 *
 * <p>The model is updated as the decision is made. If the writes then fail to commit, the caller
 * must throw this instance away and load a new one from ZooKeeper (which is what a controller that
 * lost its epoch does anyway). An admin request that is refused throws {@link AdminException}
 * before anything changes. Not thread-safe: one event loop owns it.
 */
public final class ControllerStateMachine {

    /** The most partitions one topic may have, as a guard against typos (Kafka has no hard limit). */
    static final int MAX_PARTITIONS = 10_000;
    /**
     * The largest topic record (replica assignment and configs, as JSON): it is one ZooKeeper node,
     * which must fit in one request of at most {@code jute.maxbuffer} (1 MiB by default). 10,000
     * partitions of three replicas take about 100 KB; of 20 replicas on three-digit broker ids, too many.
     */
    static final int MAX_TOPIC_RECORD_BYTES = 512 * 1024;

    private final ClusterModel model;
    private final Reassignments reassignments;
    private final PreferredLeaders leaders;
    private final RandomGenerator random;

    public ControllerStateMachine(int controllerId, int controllerEpoch, LoadedMetadata loaded,
            RandomGenerator random) {
        this.model = new ClusterModel(controllerId, controllerEpoch, loaded);
        this.reassignments = new Reassignments(model);
        this.leaders = new PreferredLeaders(model);
        this.random = random;
    }

    public ClusterView view() {
        return model.view();
    }

    /**
     * The first decision of a new active controller: elect leaders for partitions whose leader died
     * while no controller was active, and send every live broker the full state.
     */
    public Decision activate() {
        CommandPlan plan = new CommandPlan(model);
        List<ZkWrite> writes = reconcileAll(plan);
        // A reassignment the previous controller left with every adding replica in sync ends now.
        completeReassignments(plan, writes);
        model.liveBrokers().forEach(b -> plan.brokerJoined(b.id()));
        return new Decision(writes, plan.commands(), null);
    }

    public Decision handle(ControllerEvent event) {
        Decision decision = dispatch(event);
        return new Decision(lastWritePerPartition(decision.writes()), decision.commands(), decision.reply());
    }

    private Decision dispatch(ControllerEvent event) {
        if (event instanceof ControllerEvent.BrokerUp up) {
            return brokerUp(up.broker());
        } else if (event instanceof ControllerEvent.BrokerDown down) {
            return brokerDown(down.brokerId());
        } else if (event instanceof ControllerEvent.CreateTopic create) {
            return createTopic(create);
        } else if (event instanceof ControllerEvent.DeleteTopic delete) {
            return deleteTopic(delete.name());
        } else if (event instanceof ControllerEvent.CreatePartitions grow) {
            return createPartitions(grow);
        } else if (event instanceof ControllerEvent.AlterConfigs alter) {
            return alterConfigs(alter);
        } else if (event instanceof ControllerEvent.AlterPartition alter) {
            return alterPartition(alter.request());
        } else if (event instanceof ControllerEvent.ControlledShutdown shutdown) {
            return controlledShutdown(shutdown.request());
        } else if (event instanceof ControllerEvent.AllocateProducerIds allocate) {
            return allocateProducerIds(allocate.request());
        } else if (event instanceof ControllerEvent.PreferredLeaderCheck check) {
            return leaders.balance(check.imbalancePercentage());
        } else if (event instanceof ControllerEvent.ElectLeaders elect) {
            return leaders.elect(elect.type(), elect.partitions());
        } else if (event instanceof ControllerEvent.ReassignPartitions reassign) {
            return reassignments.reassign(reassign.targets());
        } else if (event instanceof ControllerEvent.ReplicasOffline offline) {
            return OfflineReplicas.decide(model, offline.request());
        }
        throw new IllegalArgumentException("unknown event " + event);
    }

    private Decision brokerUp(BrokerInfo broker) {
        BrokerInfo known = model.broker(broker.id());
        if (broker.equals(known)) {
            return Decision.NOTHING;
        }
        CommandPlan plan = new CommandPlan(model);
        List<ZkWrite> writes = new ArrayList<>();
        if (known != null) {
            // Re-registered with a new epoch before we saw it leave: it restarted and lost its state.
            model.brokerDown(broker.id());
            writes.addAll(reconcileAll(plan));
        }
        model.brokerUp(broker);
        writes.addAll(reconcileAll(plan));
        // Its return may give a reassignment a target in sync that can lead.
        completeReassignments(plan, writes);
        plan.brokerJoined(broker.id());
        return new Decision(writes, plan.commands(), null);
    }

    private Decision brokerDown(int brokerId) {
        if (!model.isLive(brokerId)) {
            return Decision.NOTHING;
        }
        model.brokerDown(brokerId);
        CommandPlan plan = new CommandPlan(model);
        plan.brokersChanged();
        List<ZkWrite> writes = reconcileAll(plan);
        return new Decision(writes, plan.commands(), null);
    }

    /** Applies {@link LeaderElection#reconcile} to every partition; returns the writes. */
    private List<ZkWrite> reconcileAll(CommandPlan plan) {
        IntPredicate gone = id -> !model.isLive(id);
        IntPredicate usable = model::isUsable;
        List<ZkWrite> writes = new ArrayList<>();
        for (PartitionRef tp : model.allPartitions()) {
            boolean unclean = TopicConfigs.uncleanLeaderElection(model.topic(tp.topic()).configs());
            PartitionState before = model.state(tp);
            PartitionState after = LeaderElection.reconcile(model.replicas(tp), before, gone, usable, unclean);
            commitState(tp, before, after, plan, writes);
        }
        return writes;
    }

    private void completeReassignments(CommandPlan plan, List<ZkWrite> writes) {
        Reassignments.Changes moves = reassignments.changes(plan, writes);
        reassignments.tryCompleteAll(moves);
        moves.finish();
    }

    /**
     * Keeps only the last state written for each partition, where it was written: one transaction
     * may write a node only once, since each write is conditional on the version before the
     * transaction, and the writes keep their order (a reassignment's states come before its record).
     */
    private static List<ZkWrite> lastWritePerPartition(List<ZkWrite> writes) {
        Map<PartitionRef, Integer> last = new HashMap<>();
        for (int i = 0; i < writes.size(); i++) {
            if (writes.get(i) instanceof ZkWrite.SetPartitionState set) {
                last.put(new PartitionRef(set.topic(), set.partition()), i);
            }
        }
        List<ZkWrite> kept = new ArrayList<>();
        for (int i = 0; i < writes.size(); i++) {
            if (!(writes.get(i) instanceof ZkWrite.SetPartitionState set)
                    || last.get(new PartitionRef(set.topic(), set.partition())) == i) {
                kept.add(writes.get(i));
            }
        }
        return kept;
    }

    private void commitState(PartitionRef tp, PartitionState before, PartitionState after, CommandPlan plan,
            List<ZkWrite> writes) {
        if (after == before) {
            return;
        }
        model.setState(tp, after);
        writes.add(new ZkWrite.SetPartitionState(tp.topic(), tp.partition(), after));
        plan.partitionChanged(tp);
    }

    private Decision createTopic(ControllerEvent.CreateTopic create) {
        String name = create.name();
        TopicChecks.name(name);
        if (model.hasTopic(name)) {
            throw new AdminException(Reason.TOPIC_EXISTS, "Topic '" + name + "' already exists");
        }
        List<List<Integer>> replicas;
        if (create.assignments() != null) {
            TopicChecks.partitionCount(create.assignments().size());
            TopicChecks.configs(create.configs());
            replicas = checkAssignments(create.assignments(), -1);
        } else {
            TopicChecks.partitionCount(create.partitions());
            TopicChecks.configs(create.configs());
            replicas = place(create.partitions(), create.replicationFactor(), 0);
        }
        TopicChecks.recordSize(name, new TopicRecord(new UUID(0, 0), replicas, create.configs()));
        Map<Integer, PartitionState> states = new TreeMap<>();
        for (int p = 0; p < replicas.size(); p++) {
            states.put(p, new PartitionState(replicas.get(p).get(0), 0, replicas.get(p), 0));
        }
        if (create.validateOnly()) {
            List<PartitionInfo> partitions = new ArrayList<>();
            states.forEach((p, state) -> partitions.add(new PartitionInfo(p, replicas.get(p), state)));
            return new Decision(List.of(), List.of(), new TopicInfo(name, new UUID(0, 0), create.configs(), partitions));
        }
        TopicRecord topic = new TopicRecord(UUID.randomUUID(), replicas, create.configs());
        model.putTopic(name, topic, states);
        CommandPlan plan = new CommandPlan(model);
        states.keySet().forEach(p -> plan.partitionChanged(new PartitionRef(name, p)));
        return new Decision(List.of(new ZkWrite.CreateTopic(name, topic, states)), plan.commands(),
                model.topicInfo(name));
    }

    private Decision deleteTopic(String name) {
        TopicRecord topic = requireTopic(name);
        Map<Integer, List<PartitionRef>> byBroker = new HashMap<>();
        for (int p = 0; p < topic.partitionCount(); p++) {
            for (int replica : topic.replicas().get(p)) {
                byBroker.computeIfAbsent(replica, b -> new ArrayList<>()).add(new PartitionRef(name, p));
            }
        }
        model.removeTopic(name);
        CommandPlan plan = new CommandPlan(model);
        plan.topicDeleted(name, byBroker);
        return new Decision(List.of(new ZkWrite.DeleteTopic(name, topic.partitionCount())), plan.commands(), null);
    }

    private Decision createPartitions(ControllerEvent.CreatePartitions grow) {
        String name = grow.name();
        int totalCount = grow.totalCount();
        List<List<Integer>> assignments = grow.assignments();
        TopicRecord topic = requireTopic(name);
        if (totalCount <= topic.partitionCount()) {
            throw new AdminException(Reason.INVALID_PARTITIONS, "Topic '" + name + "' has " + topic.partitionCount()
                    + " partitions; the new count must be larger, not " + totalCount);
        }
        TopicChecks.partitionCount(totalCount);
        // A partition being reassigned lists its targets and the replicas leaving: the factor is its targets'.
        TopicRecord.Reassignment moving = topic.reassignment(0);
        int replicationFactor = topic.replicas().get(0).size() - (moving == null ? 0 : moving.removing().size());
        List<List<Integer>> added;
        if (assignments != null) {
            if (assignments.size() != totalCount - topic.partitionCount()) {
                throw new AdminException(Reason.INVALID_REPLICA_ASSIGNMENT, "Growing '" + name + "' from "
                        + topic.partitionCount() + " to " + totalCount + " partitions needs "
                        + (totalCount - topic.partitionCount()) + " assignments, not " + assignments.size());
            }
            added = checkAssignments(assignments, replicationFactor);
        } else {
            added = place(totalCount - topic.partitionCount(), replicationFactor, topic.partitionCount());
        }
        List<List<Integer>> replicas = new ArrayList<>(topic.replicas());
        Map<Integer, PartitionState> states = new TreeMap<>();
        for (List<Integer> r : added) {
            states.put(replicas.size(), new PartitionState(r.get(0), 0, r, 0));
            replicas.add(r);
        }
        TopicRecord grown = topic.withReplicas(replicas);
        TopicChecks.recordSize(name, grown);
        if (grow.validateOnly()) {
            // Every check of the real call passed; the answer shows the partitions it would add.
            TopicInfo current = model.topicInfo(name);
            List<PartitionInfo> partitions = new ArrayList<>(current.partitions());
            states.forEach((p, state) -> partitions.add(new PartitionInfo(p, replicas.get(p), state)));
            return new Decision(List.of(), List.of(), new TopicInfo(name, current.topicId(), current.configs(),
                    partitions));
        }
        model.putTopic(name, grown, states);
        CommandPlan plan = new CommandPlan(model);
        states.keySet().forEach(p -> plan.partitionChanged(new PartitionRef(name, p)));
        return new Decision(List.of(new ZkWrite.UpdateTopic(name, grown, states)), plan.commands(),
                model.topicInfo(name));
    }

    private Decision alterConfigs(ControllerEvent.AlterConfigs alter) {
        TopicRecord topic = requireTopic(alter.name());
        Map<String, String> configs = new TreeMap<>(topic.configs());
        configs.putAll(alter.set());
        for (String removed : alter.remove()) {
            if (!TopicConfigs.names().contains(removed)) {
                throw new AdminException(Reason.INVALID_CONFIG, "Unknown topic config '" + removed + "'");
            }
            configs.remove(removed);
        }
        TopicChecks.configs(configs);
        TopicRecord altered = topic.withConfigs(configs);
        model.putTopic(alter.name(), altered, Map.of());
        CommandPlan plan = new CommandPlan(model);
        plan.topicMetadataChanged(alter.name());
        List<ZkWrite> writes = new ArrayList<>();
        writes.add(new ZkWrite.UpdateTopic(alter.name(), altered, Map.of()));
        // Enabling unclean election may bring offline partitions back at once, as in Kafka.
        writes.addAll(reconcileAll(plan));
        return new Decision(writes, plan.commands(), model.topicInfo(alter.name()));
    }

    private Decision alterPartition(AlterPartitionRequest request) {
        BrokerInfo broker = model.broker(request.brokerId());
        if (broker == null || broker.epoch() != request.brokerEpoch()) {
            return new Decision(List.of(), List.of(),
                    new AlterPartitionResponse(ClusterError.STALE_BROKER_EPOCH, List.of()));
        }
        CommandPlan plan = new CommandPlan(model);
        List<ZkWrite> writes = new ArrayList<>();
        Reassignments.Changes moves = reassignments.changes(plan, writes);
        List<AlterPartitionResponse.Result> results = new ArrayList<>();
        Set<PartitionRef> seen = new HashSet<>();
        for (AlterPartitionRequest.Change change : request.partitions()) {
            PartitionRef tp = new PartitionRef(change.topic(), change.partition());
            ClusterError error = change.topic() == null || change.newIsr() == null || !seen.add(tp)
                    ? ClusterError.INVALID_REQUEST : checkAlterPartition(request.brokerId(), tp, change);
            if (error != ClusterError.NONE) {
                results.add(new AlterPartitionResponse.Result(tp.topic(), tp.partition(), error, null));
                continue;
            }
            PartitionState before = model.state(tp);
            PartitionState after = before.isr().equals(change.newIsr()) ? before
                    : new PartitionState(before.leader(), before.leaderEpoch(), change.newIsr(),
                            before.partitionEpoch() + 1);
            if (after != before) {
                model.setState(tp, after);
                writes.add(new ZkWrite.SetPartitionState(tp.topic(), tp.partition(), after));
                plan.topicMetadataChanged(tp.topic());
                // The last adding replica in sync completes a reassignment (a new leader epoch).
                reassignments.tryComplete(tp, moves);
            }
            results.add(new AlterPartitionResponse.Result(tp.topic(), tp.partition(), ClusterError.NONE,
                    model.state(tp)));
        }
        moves.finish();
        return new Decision(writes, plan.commands(), new AlterPartitionResponse(ClusterError.NONE, results));
    }

    private ClusterError checkAlterPartition(int brokerId, PartitionRef tp, AlterPartitionRequest.Change change) {
        if (!model.hasTopic(tp.topic()) || tp.partition() < 0
                || tp.partition() >= model.topic(tp.topic()).partitionCount()) {
            return ClusterError.UNKNOWN_TOPIC_OR_PARTITION;
        }
        PartitionState state = model.state(tp);
        if (state.leader() != brokerId) {
            return ClusterError.NOT_LEADER_OR_FOLLOWER;
        }
        if (change.leaderEpoch() != state.leaderEpoch()) {
            return ClusterError.FENCED_LEADER_EPOCH;
        }
        if (change.partitionEpoch() != state.partitionEpoch()) {
            return ClusterError.INVALID_UPDATE_VERSION;
        }
        List<Integer> isr = change.newIsr();
        if (isr.isEmpty() || Set.copyOf(isr).size() != isr.size() || !isr.contains(brokerId)) {
            return ClusterError.INVALID_REQUEST;
        }
        List<Integer> replicas = model.replicas(tp);
        for (int r : isr) {
            boolean alreadyIn = state.isr().contains(r);
            if (!replicas.contains(r) || (!alreadyIn && !model.isUsable(r))) {
                return ClusterError.INELIGIBLE_REPLICA;
            }
        }
        return ClusterError.NONE;
    }

    private Decision controlledShutdown(ControlledShutdownRequest request) {
        BrokerInfo broker = model.broker(request.brokerId());
        if (broker == null || broker.epoch() != request.brokerEpoch()) {
            return new Decision(List.of(), List.of(),
                    new ControlledShutdownResponse(ClusterError.STALE_BROKER_EPOCH, List.of()));
        }
        model.shuttingDown(request.brokerId());
        CommandPlan plan = new CommandPlan(model);
        List<ZkWrite> writes = new ArrayList<>();
        List<PartitionRef> remaining = new ArrayList<>();
        for (PartitionRef tp : model.allPartitions()) {
            PartitionState before = model.state(tp);
            PartitionState after = LeaderElection.onControlledShutdown(model.replicas(tp), before,
                    request.brokerId(), model::isUsable);
            commitState(tp, before, after, plan, writes);
            if (after.leader() == request.brokerId()) {
                remaining.add(tp);
            }
        }
        return new Decision(writes, plan.commands(), new ControlledShutdownResponse(ClusterError.NONE, remaining));
    }

    private Decision allocateProducerIds(AllocateProducerIdsRequest request) {
        BrokerInfo broker = model.broker(request.brokerId());
        if (broker == null || broker.epoch() != request.brokerEpoch()) {
            return new Decision(List.of(), List.of(),
                    new AllocateProducerIdsResponse(ClusterError.STALE_BROKER_EPOCH, null));
        }
        ProducerIdBlock last = model.lastProducerIds();
        ProducerIdBlock block = new ProducerIdBlock(request.brokerId(), last == null ? 0 : last.next(),
                ProducerIdBlock.SIZE);
        model.lastProducerIds(block);
        return new Decision(List.of(new ZkWrite.SetProducerIdBlock(block, last == null)), List.of(),
                new AllocateProducerIdsResponse(ClusterError.NONE, block));
    }

    /**
     * An operator's replica lists, checked as Kafka checks them: every partition has the same
     * number of replicas ({@code replicationFactor} when it is known), no broker twice in a list,
     * and every broker registered and not shutting down.
     */
    private List<List<Integer>> checkAssignments(List<List<Integer>> assignments, int replicationFactor) {
        Set<Integer> usable = new HashSet<>();
        model.usableBrokers().forEach(b -> usable.add(b.id()));
        int expected = replicationFactor > 0 ? replicationFactor : assignments.isEmpty() ? 0 : assignments.get(0).size();
        for (int p = 0; p < assignments.size(); p++) {
            List<Integer> replicas = assignments.get(p);
            if (replicas == null || replicas.isEmpty() || replicas.stream().anyMatch(Objects::isNull)) {
                throw new AdminException(Reason.INVALID_REPLICA_ASSIGNMENT, "Assignment " + p + " lists no replicas");
            }
            if (replicas.size() != expected) {
                throw new AdminException(Reason.INVALID_REPLICA_ASSIGNMENT, "Assignment " + p + " has "
                        + replicas.size() + " replicas; every partition needs " + expected);
            }
            if (new HashSet<>(replicas).size() != replicas.size()) {
                throw new AdminException(Reason.INVALID_REPLICA_ASSIGNMENT, "Assignment " + p + " names a broker twice: "
                        + replicas);
            }
            for (int broker : replicas) {
                if (!usable.contains(broker)) {
                    throw new AdminException(Reason.INVALID_REPLICA_ASSIGNMENT, "Assignment " + p + " names broker "
                            + broker + ", which is not registered (or is shutting down)");
                }
            }
        }
        return assignments;
    }

    private List<List<Integer>> place(int count, int replicationFactor, int firstPartition) {
        List<PlacementBroker> brokers = model.usableBrokers().stream()
                .map(b -> new PlacementBroker(b.id(), b.rack())).toList();
        try {
            return ReplicaPlacement.assign(brokers, count, replicationFactor, firstPartition, random);
        } catch (PlacementException e) {
            throw new AdminException(Reason.INVALID_REPLICATION_FACTOR, e.getMessage());
        }
    }

    private TopicRecord requireTopic(String name) {
        TopicRecord topic = model.topic(name);
        if (topic == null) {
            throw new AdminException(Reason.UNKNOWN_TOPIC, "Topic '" + name + "' does not exist");
        }
        return topic;
    }
}
