package dev.runnel.broker.protocol;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.message.ElectLeadersRequestData;
import org.apache.kafka.common.message.ElectLeadersResponseData;
import org.apache.kafka.common.message.ElectLeadersResponseData.PartitionResult;
import org.apache.kafka.common.message.ElectLeadersResponseData.ReplicaElectionResult;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.cluster.ControllerAdminClient;
import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.cluster.ClusterJson;
import dev.runnel.cluster.LeaderElections;
import dev.runnel.cluster.PartitionRef;
import dev.runnel.cluster.TopicInfo;

/**
 * ElectLeaders (KIP-183, KIP-460), forwarded to the active controller's {@code /api/v1/elections},
 * which elects and answers for each partition (NONE, ELECTION_NOT_NEEDED,
 * PREFERRED_LEADER_NOT_AVAILABLE, ELIGIBLE_LEADERS_NOT_AVAILABLE, UNKNOWN_TOPIC_OR_PARTITION).
 *
 * <p>v0 elects preferred leaders only (it has no election type, nor a top-level error); v1 adds
 * both; v2 is v1 in the flexible encoding. A null partition list means every partition of the
 * cluster (the answer then lists only those that needed an election). Needs ALTER on the cluster (else
 * CLUSTER_AUTHORIZATION_FAILED for the request and each partition). An election type Kafka does
 * not define makes INVALID_REQUEST, and a partition this broker's metadata shows to be unknown
 * (a negative index among them) UNKNOWN_TOPIC_OR_PARTITION, without a call to the controller. The
 * controller is given the request's timeout, within [1 s, 60 s]; a call it could not decide in time
 * answers REQUEST_TIMED_OUT (the election may still happen), one that finds no active controller
 * NOT_CONTROLLER, for each partition forwarded.
 */
final class ElectLeadersHandler implements ApiHandler {

    private final ControllerAdminClient controller;
    private final MetadataCache metadata;

    ElectLeadersHandler(ControllerAdminClient controller, MetadataCache metadata) {
        this.controller = controller;
        this.metadata = metadata;
    }

    /** A partition's error and message, as the response carries them. */
    private record Outcome(Errors error, String message) {
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        return elect(request).thenApply(response -> {
            if (request.version() == 0) {
                // v0 has no top-level error (and may not carry one): the partitions' errors say it all.
                response.setErrorCode(Errors.NONE.code());
            }
            return response;
        });
    }

    private CompletableFuture<ElectLeadersResponseData> elect(KafkaWire.Request request) {
        ElectLeadersRequestData data = (ElectLeadersRequestData) request.body();
        LeaderElections.Type type = request.version() == 0 ? LeaderElections.Type.PREFERRED
                : LeaderElections.Type.of(data.electionType());
        // Outcomes by topic, then partition, in request order; null until the controller answers.
        Map<String, Map<Integer, Outcome>> outcomes = new LinkedHashMap<>();
        if (data.topicPartitions() != null) {
            data.topicPartitions().forEach(t -> {
                Map<Integer, Outcome> partitions = outcomes.computeIfAbsent(t.topic(), n -> new LinkedHashMap<>());
                t.partitions().forEach(p -> partitions.put(p, null));
            });
        }
        if (type == null) {
            return refuseAll(outcomes, new Outcome(Errors.INVALID_REQUEST,
                    "Unknown election type " + data.electionType() + ": 0 (PREFERRED) or 1 (UNCLEAN)"));
        }
        if (!request.session().allowed(AclOperation.ALTER, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME)) {
            return refuseAll(outcomes, new Outcome(Errors.CLUSTER_AUTHORIZATION_FAILED,
                    Errors.CLUSTER_AUTHORIZATION_FAILED.message()));
        }
        List<LeaderElections.Partition> forwarded = null;
        if (data.topicPartitions() != null) {
            forwarded = new ArrayList<>();
            for (Map.Entry<String, Map<Integer, Outcome>> topic : outcomes.entrySet()) {
                for (Map.Entry<Integer, Outcome> partition : topic.getValue().entrySet()) {
                    Outcome unknown = checkKnown(topic.getKey(), partition.getKey());
                    partition.setValue(unknown);
                    if (unknown == null) {
                        forwarded.add(new LeaderElections.Partition(topic.getKey(), partition.getKey()));
                    }
                }
            }
        }
        if (forwarded != null && forwarded.isEmpty()) {
            return CompletableFuture.completedFuture(response(Errors.NONE, outcomes, Map.of(), null));
        }
        List<LeaderElections.Partition> asked = forwarded;
        return controller.call("POST", "/elections", new LeaderElections.Request(type, asked), timeout(data.timeoutMs()))
                .thenApply(answer -> {
                    if (!answer.ok()) {
                        Outcome failed = new Outcome(error(answer), answer.detail());
                        return response(failed.error(), outcomes, Map.of(), failed);
                    }
                    Map<PartitionRef, Outcome> decided = new LinkedHashMap<>();
                    for (LeaderElections.Result r : ClusterJson.read(answer.body(), LeaderElections.Result[].class,
                            "the controller's elections")) {
                        decided.put(new PartitionRef(r.topic(), r.partition()),
                                new Outcome(Errors.valueOf(r.outcome().name()), r.message()));
                    }
                    if (asked == null) {
                        // Every partition: the answer lists those the controller elected or could not.
                        decided.forEach((tp, o) -> outcomes.computeIfAbsent(tp.topic(), n -> new LinkedHashMap<>())
                                .put(tp.partition(), o));
                    }
                    return response(Errors.NONE, outcomes, decided, new Outcome(Errors.UNKNOWN_SERVER_ERROR,
                            "The controller did not answer for this partition"));
                });
    }

    /** UNKNOWN_TOPIC_OR_PARTITION if this broker's metadata has no such partition, else null. */
    private Outcome checkKnown(String topicName, int partition) {
        Optional<TopicInfo> topic = metadata.snapshot().topic(topicName);
        if (topic.isEmpty()) {
            return new Outcome(Errors.UNKNOWN_TOPIC_OR_PARTITION, "Topic '" + topicName + "' does not exist");
        }
        if (partition < 0 || partition >= topic.get().partitions().size()) {
            return new Outcome(Errors.UNKNOWN_TOPIC_OR_PARTITION, "Topic '" + topicName + "' has no partition "
                    + partition + " (it has " + topic.get().partitions().size() + ")");
        }
        return null;
    }

    private static CompletableFuture<ElectLeadersResponseData> refuseAll(Map<String, Map<Integer, Outcome>> outcomes,
            Outcome refusal) {
        return CompletableFuture.completedFuture(response(refusal.error(), outcomes, Map.of(), refusal));
    }

    /**
     * The response: each partition's own outcome if it has one, else the controller's for it, else
     * {@code otherwise}. The top-level error is written from v1 on.
     */
    private static ElectLeadersResponseData response(Errors topLevel, Map<String, Map<Integer, Outcome>> outcomes,
            Map<PartitionRef, Outcome> decided, Outcome otherwise) {
        ElectLeadersResponseData response = new ElectLeadersResponseData().setErrorCode(topLevel.code());
        outcomes.forEach((topic, partitions) -> {
            ReplicaElectionResult result = new ReplicaElectionResult().setTopic(topic);
            partitions.forEach((partition, own) -> {
                Outcome o = own != null ? own : decided.getOrDefault(new PartitionRef(topic, partition), otherwise);
                result.partitionResult().add(new PartitionResult().setPartitionId(partition)
                        .setErrorCode(o.error().code()).setErrorMessage(o.message()));
            });
            response.replicaElectionResults().add(result);
        });
        return response;
    }

    private static Errors error(ControllerAdminClient.Answer answer) {
        return switch (answer.problemType() == null ? "" : answer.problemType()) {
            case "outcome-unknown" -> Errors.REQUEST_TIMED_OUT;
            case "unknown-partition" -> Errors.UNKNOWN_TOPIC_OR_PARTITION;
            default -> TopicAdminHandler.error(answer);
        };
    }

    private static Duration timeout(int timeoutMs) {
        return Duration.ofMillis(Math.max(1_000, Math.min(timeoutMs, 60_000)));
    }
}
