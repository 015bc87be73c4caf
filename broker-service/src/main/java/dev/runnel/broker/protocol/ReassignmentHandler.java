package dev.runnel.broker.protocol;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData.ReassignablePartitionResponse;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData.ReassignableTopicResponse;
import org.apache.kafka.common.message.ListPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData.OngoingPartitionReassignment;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData.OngoingTopicReassignment;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.cluster.ControllerAdminClient;
import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.cluster.ClusterJson;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.PartitionReassignments;
import dev.runnel.cluster.TopicInfo;

/**
 * AlterPartitionReassignments and ListPartitionReassignments (KIP-455), forwarded to the active
 * controller's {@code /api/v1/reassignments}, which decides the moves.
 *
 * <p>Alter needs ALTER on the cluster, List DESCRIBE on the cluster (else
 * CLUSTER_AUTHORIZATION_FAILED, for the whole request and each partition), as in Kafka. A partition
 * this broker's metadata shows to be unknown (UNKNOWN_TOPIC_OR_PARTITION), whose cancellation
 * finds no move under way (NO_REASSIGNMENT_IN_PROGRESS), or whose target changes the replication
 * factor when the request (v1, KIP-860) does not allow it (INVALID_REPLICATION_FACTOR) is answered
 * here; the others go to the controller in one call, which takes all or none of them, so a refusal
 * there (a duplicate broker, a broker not registered) is every forwarded partition's error.
 */
final class ReassignmentHandler implements ApiHandler {

    private final ControllerAdminClient controller;
    private final MetadataCache metadata;

    ReassignmentHandler(ControllerAdminClient controller, MetadataCache metadata) {
        this.controller = controller;
        this.metadata = metadata;
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        if (request.apiKey() == ApiKeys.ALTER_PARTITION_REASSIGNMENTS) {
            return alter(request);
        }
        return list(request);
    }

    private record Outcome(Errors error, String message) {
    }

    private CompletableFuture<ApiMessage> alter(KafkaWire.Request request) {
        AlterPartitionReassignmentsRequestData data = (AlterPartitionReassignmentsRequestData) request.body();
        boolean allowed = request.session().allowed(AclOperation.ALTER, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME);
        // Outcomes by topic, then partition, in request order; null until the controller answers.
        Map<String, Map<Integer, Outcome>> outcomes = new LinkedHashMap<>();
        List<PartitionReassignments.Target> forwarded = new ArrayList<>();
        for (AlterPartitionReassignmentsRequestData.ReassignableTopic topic : data.topics()) {
            Map<Integer, Outcome> partitions = outcomes.computeIfAbsent(topic.name(), t -> new LinkedHashMap<>());
            for (AlterPartitionReassignmentsRequestData.ReassignablePartition partition : topic.partitions()) {
                Outcome refused = allowed ? check(topic.name(), partition, data.allowReplicationFactorChange())
                        : new Outcome(Errors.CLUSTER_AUTHORIZATION_FAILED, Errors.CLUSTER_AUTHORIZATION_FAILED.message());
                partitions.put(partition.partitionIndex(), refused);
                if (refused == null) {
                    forwarded.add(new PartitionReassignments.Target(topic.name(), partition.partitionIndex(),
                            partition.replicas()));
                }
            }
        }
        CompletableFuture<Outcome> decided = forwarded.isEmpty() ? CompletableFuture.completedFuture(null)
                : controller.call("POST", "/reassignments", new PartitionReassignments.Request(forwarded),
                        timeout(data.timeoutMs())).thenApply(answer -> answer.ok() ? new Outcome(Errors.NONE, null)
                                : new Outcome(error(answer), answer.detail()));
        return decided.thenApply(controllerOutcome -> {
            AlterPartitionReassignmentsResponseData response = new AlterPartitionReassignmentsResponseData()
                    .setAllowReplicationFactorChange(data.allowReplicationFactorChange());
            if (!allowed) {
                response.setErrorCode(Errors.CLUSTER_AUTHORIZATION_FAILED.code())
                        .setErrorMessage(Errors.CLUSTER_AUTHORIZATION_FAILED.message());
            }
            outcomes.forEach((name, partitions) -> {
                ReassignableTopicResponse topic = new ReassignableTopicResponse().setName(name);
                partitions.forEach((index, outcome) -> {
                    Outcome o = outcome == null ? controllerOutcome : outcome;
                    topic.partitions().add(new ReassignablePartitionResponse().setPartitionIndex(index)
                            .setErrorCode(o.error().code()).setErrorMessage(o.message()));
                });
                response.responses().add(topic);
            });
            return response;
        });
    }

    /** The refusal this broker can tell from its metadata, or null to forward the partition. */
    private Outcome check(String topicName, AlterPartitionReassignmentsRequestData.ReassignablePartition partition,
            boolean allowReplicationFactorChange) {
        Optional<TopicInfo> topic = metadata.snapshot().topic(topicName);
        int index = partition.partitionIndex();
        if (topic.isEmpty() || index < 0 || index >= topic.get().partitions().size()) {
            return new Outcome(Errors.UNKNOWN_TOPIC_OR_PARTITION, "Topic '" + topicName + "' has no partition " + index);
        }
        PartitionInfo current = topic.get().partitions().get(index);
        if (partition.replicas() == null) {
            return current.reassigning() ? null : new Outcome(Errors.NO_REASSIGNMENT_IN_PROGRESS, "Partition " + index
                    + " of topic '" + topicName + "' is not being reassigned: there is nothing to cancel");
        }
        int replicationFactor = current.replicas().size() - current.addingReplicas().size();
        if (!allowReplicationFactorChange && partition.replicas().size() != replicationFactor) {
            return new Outcome(Errors.INVALID_REPLICATION_FACTOR, "The replication factor of partition " + index
                    + " of topic '" + topicName + "' would change from " + replicationFactor + " to "
                    + partition.replicas().size() + ", which the request does not allow");
        }
        return null;
    }

    private CompletableFuture<ApiMessage> list(KafkaWire.Request request) {
        ListPartitionReassignmentsRequestData data = (ListPartitionReassignmentsRequestData) request.body();
        if (!request.session().allowed(AclOperation.DESCRIBE, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME)) {
            return CompletableFuture.completedFuture(new ListPartitionReassignmentsResponseData()
                    .setErrorCode(Errors.CLUSTER_AUTHORIZATION_FAILED.code())
                    .setErrorMessage(Errors.CLUSTER_AUTHORIZATION_FAILED.message()));
        }
        return controller.call("GET", "/reassignments", null, timeout(data.timeoutMs())).thenApply(answer -> {
            ListPartitionReassignmentsResponseData response = new ListPartitionReassignmentsResponseData();
            if (!answer.ok()) {
                return response.setErrorCode(error(answer).code()).setErrorMessage(answer.detail());
            }
            Map<String, OngoingTopicReassignment> topics = new LinkedHashMap<>();
            for (PartitionReassignments.Progress p : ClusterJson.read(answer.body(),
                    PartitionReassignments.Progress[].class, "the controller's reassignments")) {
                if (wanted(data, p)) {
                    topics.computeIfAbsent(p.topic(), t -> new OngoingTopicReassignment().setName(t)).partitions()
                            .add(new OngoingPartitionReassignment().setPartitionIndex(p.partition())
                                    .setReplicas(p.replicas()).setAddingReplicas(p.addingReplicas())
                                    .setRemovingReplicas(p.removingReplicas()));
                }
            }
            response.topics().addAll(topics.values());
            return response;
        });
    }

    /** Whether the request asks for {@code p}: every partition when it names no topics. */
    private static boolean wanted(ListPartitionReassignmentsRequestData data, PartitionReassignments.Progress p) {
        return data.topics() == null || data.topics().stream()
                .anyMatch(t -> t.name().equals(p.topic()) && t.partitionIndexes().contains(p.partition()));
    }

    private static Errors error(ControllerAdminClient.Answer answer) {
        return switch (answer.problemType() == null ? "" : answer.problemType()) {
            case "unknown-partition" -> Errors.UNKNOWN_TOPIC_OR_PARTITION;
            case "no-reassignment-in-progress" -> Errors.NO_REASSIGNMENT_IN_PROGRESS;
            default -> TopicAdminHandler.error(answer);
        };
    }

    private static Duration timeout(int timeoutMs) {
        return Duration.ofMillis(Math.max(1_000, Math.min(timeoutMs, 60_000)));
    }
}
