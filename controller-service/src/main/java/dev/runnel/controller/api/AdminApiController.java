package dev.runnel.controller.api;

import java.net.URI;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.LeaderElections;
import dev.runnel.cluster.PartitionReassignments;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.controller.ControllerProperties;
import dev.runnel.controller.election.ActiveController;
import dev.runnel.controller.metadata.AdminException;
import dev.runnel.controller.metadata.AdminException.Reason;
import dev.runnel.controller.metadata.ClusterView;
import dev.runnel.controller.metadata.ControllerEvent;

/**
 * The admin REST API, served by the active controller (standbys forward to it). Reads answer from
 * the last committed model; changes go through the controller's event loop and answer once
 * committed to ZooKeeper. Refusals are RFC 9457 problems (see {@link ProblemResponses}).
 */
@RestController
@RequestMapping("/api/v1")
class AdminApiController {


    private final ActiveController controller;
    private final ControllerProperties properties;

    AdminApiController(ActiveController controller, ControllerProperties properties) {
        this.controller = controller;
        this.properties = properties;
    }

    @GetMapping("/brokers")
    List<BrokerInfo> brokers() {
        return view().brokers().values().stream().sorted(Comparator.comparingInt(BrokerInfo::id)).toList();
    }

    @GetMapping("/topics")
    List<ApiRequests.TopicSummary> topics() {
        return view().topics().values().stream()
                .sorted(Comparator.comparing(TopicInfo::name))
                .map(t -> new ApiRequests.TopicSummary(t.name(), t.topicId(), t.partitions().size(),
                        t.partitions().get(0).replicas().size() - t.partitions().get(0).removingReplicas().size()))
                .toList();
    }

    @GetMapping("/topics/{name}")
    TopicInfo topic(@PathVariable String name) {
        return view().topic(name).orElseThrow(
                () -> new AdminException(Reason.UNKNOWN_TOPIC, "Topic '" + name + "' does not exist"));
    }

    /** Creates a topic; with {@code validateOnly=true} only checks that it could be (200, nothing created). */
    @PostMapping("/topics")
    ResponseEntity<TopicInfo> createTopic(@RequestBody ApiRequests.CreateTopic body,
            @RequestParam(defaultValue = "false") boolean validateOnly) {
        if (body.name() == null) {
            throw new AdminException(Reason.INVALID_TOPIC, "A topic needs a name");
        }
        requireValues(body.configs());
        if (body.assignments() != null && (body.partitions() != null || body.replicationFactor() != null)) {
            throw new AdminException(Reason.INVALID_REQUEST,
                    "Give either 'assignments' or the partition and replication counts, not both");
        }
        int partitions = body.partitions() == null ? properties.getDefaultPartitions() : body.partitions();
        int replicationFactor = body.replicationFactor() == null ? properties.getDefaultReplicationFactor()
                : body.replicationFactor();
        TopicInfo created = (TopicInfo) decide(new ControllerEvent.CreateTopic(body.name(), partitions,
                replicationFactor, body.configs(), validateOnly, body.assignments()));
        if (validateOnly) {
            return ResponseEntity.ok(created);
        }
        return ResponseEntity.created(URI.create("/api/v1/topics/" + created.name())).body(created);
    }

    @DeleteMapping("/topics/{name}")
    ResponseEntity<Void> deleteTopic(@PathVariable String name) {
        decide(new ControllerEvent.DeleteTopic(name));
        return ResponseEntity.noContent().build();
    }

    @PatchMapping("/topics/{name}/configs")
    TopicInfo alterConfigs(@PathVariable String name, @RequestBody ApiRequests.AlterConfigs body) {
        requireValues(body.set());
        if (body.delete() != null && body.delete().contains(null)) {
            throw new AdminException(Reason.INVALID_CONFIG, "'delete' lists config names; null is not one");
        }
        return (TopicInfo) decide(new ControllerEvent.AlterConfigs(name, body.set(),
                body.delete() == null ? null : new HashSet<>(body.delete())));
    }

    /** Grows a topic; with {@code validateOnly=true} only checks that it could be (nothing changes). */
    @PostMapping("/topics/{name}/partitions")
    TopicInfo createPartitions(@PathVariable String name, @RequestBody ApiRequests.CreatePartitions body,
            @RequestParam(defaultValue = "false") boolean validateOnly) {
        if (body.count() == null) {
            throw new AdminException(Reason.INVALID_PARTITIONS, "Give the new total partition count as 'count'");
        }
        return (TopicInfo) decide(new ControllerEvent.CreatePartitions(name, body.count(), body.assignments(),
                validateOnly));
    }

    /**
     * Starts, replaces or cancels (target replicas null) the reassignment of each partition named,
     * all or none (Kafka's AlterPartitionReassignments); 202 with where each of them stands, since
     * the move goes on after the answer.
     */
    @PostMapping("/reassignments")
    ResponseEntity<List<PartitionReassignments.Progress>> reassign(@RequestBody PartitionReassignments.Request body) {
        if (body.partitions() == null) {
            throw new AdminException(Reason.INVALID_REQUEST, "Give the partitions to reassign as 'partitions': "
                    + "[{\"topic\": ..., \"partition\": ..., \"replicas\": [...] or null to cancel}]");
        }
        @SuppressWarnings("unchecked")
        List<PartitionReassignments.Progress> progress = (List<PartitionReassignments.Progress>) decide(
                new ControllerEvent.ReassignPartitions(body.partitions()));
        return ResponseEntity.accepted().body(progress);
    }

    /** The ongoing reassignments, with the replicas each adds and removes (Kafka's ListPartitionReassignments). */
    @GetMapping("/reassignments")
    List<PartitionReassignments.Progress> reassignments() {
        return view().reassignments();
    }

    /**
     * Elects leaders by type for the partitions named, or every partition when {@code partitions}
     * is absent (Kafka's ElectLeaders): 200 with each partition's outcome (an election of every
     * partition lists only those that needed one).
     */
    @PostMapping("/elections")
    List<LeaderElections.Result> electLeaders(@RequestBody LeaderElections.Request body) {
        @SuppressWarnings("unchecked")
        List<LeaderElections.Result> results = (List<LeaderElections.Result>) decide(
                new ControllerEvent.ElectLeaders(body.type(), body.partitions()));
        return results;
    }

    private static void requireValues(Map<String, String> configs) {
        if (configs == null) {
            return;
        }
        for (Map.Entry<String, String> e : configs.entrySet()) {
            if (e.getKey() == null || e.getValue() == null) {
                throw new AdminException(Reason.INVALID_CONFIG, "Topic config '" + e.getKey() + "' needs a value");
            }
        }
    }

    private ClusterView view() {
        return AdminDecisions.view(controller);
    }

    private Object decide(ControllerEvent event) {
        return AdminDecisions.decide(controller, event);
    }
}
