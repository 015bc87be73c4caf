package dev.runnel.controller.api;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.apache.curator.framework.CuratorFramework;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import dev.runnel.cluster.ClusterSettings;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.PartitionReassignments;
import dev.runnel.cluster.TopicConfigs;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.controller.election.ActiveController;
import dev.runnel.controller.metadata.AdminException;
import dev.runnel.controller.metadata.AdminException.Reason;
import dev.runnel.controller.metadata.ClusterView;
import dev.runnel.controller.metadata.ControllerEvent;
import dev.runnel.controller.placement.PlacementBroker;
import dev.runnel.controller.placement.PlacementException;
import dev.runnel.controller.placement.RebalancePlanner;

/**
 * Drain and rebalance, on top of partition reassignment (the active controller serves it; standbys
 * forward, writes need the ADMIN role):
 *
 * <pre>
 * POST /api/v1/rebalance/plan     {"action":"drain","brokers":[1]} or {"action":"balance"}
 *                                 -> the plan: moves, per-broker counts before and after; nothing changes
 * POST /api/v1/rebalance/execute  {"action":...} or {"plan":{"moves":[...]}}, optional "throttle" (bytes/s)
 *                                 -> 202, the plan and where each move stands; with a throttle, the
 *                                    moved topics' throttled replicas and the brokers' rates are set
 *                                    as kafka-reassign-partitions --throttle sets them
 * POST /api/v1/rebalance/verify   -> the moves still under way; once none is, every throttle is cleared
 * </pre>
 *
 * Progress shows in {@code GET /api/v1/reassignments}. The plan is {@link RebalancePlanner}'s,
 * computed from the last committed model: live brokers with their racks, each partition's
 * replicas (an ongoing move counted at its targets).
 */
@RestController
@RequestMapping("/api/v1/rebalance")
class RebalanceApiController {


    /** A plan or execute request: an action, or (execute only) a plan computed before. */
    record RebalanceRequest(String action, List<Integer> brokers, RebalancePlanner.Plan plan, Long throttle) {
    }

    /** What execute started. */
    record Execution(RebalancePlanner.Plan plan, List<PartitionReassignments.Progress> progress, Long throttle) {
    }

    /** Where the moves stand, and whether the throttles were cleared. */
    record Verification(List<PartitionReassignments.Progress> ongoing, boolean throttlesCleared) {
    }

    private final ActiveController controller;
    private final BrokerThrottleConfigs throttles;

    RebalanceApiController(ActiveController controller, CuratorFramework curator, ClusterSettings cluster) {
        this.controller = controller;
        this.throttles = new BrokerThrottleConfigs(curator.usingNamespace(cluster.getNamespace()));
    }

    @PostMapping("/plan")
    RebalancePlanner.Plan plan(@RequestBody RebalanceRequest body) {
        return compute(body, view());
    }

    @PostMapping("/execute")
    ResponseEntity<Execution> execute(@RequestBody RebalanceRequest body) throws Exception {
        if (body.throttle() != null && body.throttle() < 1) {
            throw new AdminException(Reason.INVALID_REQUEST, "'throttle' is bytes per second, at least 1");
        }
        RebalancePlanner.Plan plan = body.plan() != null && body.action() == null ? body.plan() : compute(body, view());
        if (plan.moves() == null || plan.moves().isEmpty()) {
            return ResponseEntity.accepted().body(new Execution(plan, List.of(), body.throttle()));
        }
        List<PartitionReassignments.Target> targets = new ArrayList<>();
        for (RebalancePlanner.Move move : plan.moves()) {
            if (move == null || move.topic() == null || move.to() == null) {
                throw new AdminException(Reason.INVALID_REQUEST, "Each move needs 'topic', 'partition' and 'to'");
            }
            targets.add(new PartitionReassignments.Target(move.topic(), move.partition(), move.to()));
        }
        if (body.throttle() != null) {
            throttle(plan.moves(), body.throttle());
        }
        @SuppressWarnings("unchecked")
        List<PartitionReassignments.Progress> progress = (List<PartitionReassignments.Progress>) decide(
                new ControllerEvent.ReassignPartitions(targets));
        return ResponseEntity.accepted().body(new Execution(plan, progress, body.throttle()));
    }

    @PostMapping("/verify")
    Verification verify() throws Exception {
        ClusterView view = view();
        List<PartitionReassignments.Progress> ongoing = view.reassignments();
        if (!ongoing.isEmpty()) {
            return new Verification(ongoing, false);
        }
        for (TopicInfo topic : view.topics().values()) {
            Set<String> remove = new HashSet<>(topic.configs().keySet());
            remove.retainAll(Set.of(TopicConfigs.LEADER_THROTTLED_REPLICAS, TopicConfigs.FOLLOWER_THROTTLED_REPLICAS));
            if (!remove.isEmpty()) {
                decide(new ControllerEvent.AlterConfigs(topic.name(), Map.of(), remove));
            }
        }
        throttles.clear(view.brokers().keySet());
        return new Verification(List.of(), true);
    }

    /**
     * Kafka's tool's throttles: on each moved partition the leader throttles its current replicas
     * and the added replicas throttle themselves; every broker involved gets both rates.
     */
    private void throttle(List<RebalancePlanner.Move> moves, long rate) throws Exception {
        Map<String, Set<String>> leader = new TreeMap<>();
        Map<String, Set<String>> follower = new TreeMap<>();
        Set<Integer> brokers = new TreeSet<>();
        for (RebalancePlanner.Move move : moves) {
            List<Integer> from = move.from() == null ? List.of() : move.from();
            List<Integer> added = new ArrayList<>(move.to());
            added.removeAll(from);
            if (added.isEmpty()) {
                continue; // a new order only: no data moves
            }
            from.forEach(b -> leader.computeIfAbsent(move.topic(), t -> new LinkedHashSet<>()).add(move.partition() + ":" + b));
            added.forEach(b -> follower.computeIfAbsent(move.topic(), t -> new LinkedHashSet<>()).add(move.partition() + ":" + b));
            brokers.addAll(from);
            brokers.addAll(added);
        }
        for (String topic : leader.keySet()) {
            decide(new ControllerEvent.AlterConfigs(topic, Map.of(
                    TopicConfigs.LEADER_THROTTLED_REPLICAS, String.join(",", leader.get(topic)),
                    TopicConfigs.FOLLOWER_THROTTLED_REPLICAS, String.join(",", follower.get(topic))), Set.of()));
        }
        throttles.set(brokers, rate);
    }

    private static RebalancePlanner.Plan compute(RebalanceRequest body, ClusterView view) {
        if (body == null || body.action() == null) {
            throw new AdminException(Reason.INVALID_REQUEST,
                    "Give 'action': \"drain\" with 'brokers': [ids], or \"balance\"");
        }
        List<PlacementBroker> brokers = view.brokers().values().stream().map(b -> new PlacementBroker(b.id(), b.rack()))
                .sorted((a, b) -> Integer.compare(a.id(), b.id())).toList();
        List<RebalancePlanner.PartitionReplicas> partitions = new ArrayList<>();
        for (TopicInfo topic : view.topics().values()) {
            for (PartitionInfo p : topic.partitions()) {
                List<Integer> targets = new ArrayList<>(p.replicas());
                targets.removeAll(p.removingReplicas());
                partitions.add(new RebalancePlanner.PartitionReplicas(topic.name(), p.partition(), targets));
            }
        }
        try {
            return switch (body.action()) {
                case "drain" -> {
                    if (body.brokers() == null || body.brokers().isEmpty() || body.brokers().contains(null)) {
                        throw new AdminException(Reason.INVALID_REQUEST, "A drain needs 'brokers': [ids]");
                    }
                    yield RebalancePlanner.drain(brokers, partitions, new HashSet<>(body.brokers()));
                }
                case "balance" -> RebalancePlanner.balance(brokers, partitions);
                default -> throw new AdminException(Reason.INVALID_REQUEST, "Unknown action '" + body.action()
                        + "': \"drain\" or \"balance\"");
            };
        } catch (PlacementException e) {
            throw new AdminException(Reason.INVALID_REPLICA_ASSIGNMENT, e.getMessage());
        }
    }

    private ClusterView view() {
        return AdminDecisions.view(controller);
    }

    private Object decide(ControllerEvent event) {
        return AdminDecisions.decide(controller, event);
    }
}
