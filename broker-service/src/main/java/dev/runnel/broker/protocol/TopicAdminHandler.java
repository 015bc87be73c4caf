package dev.runnel.broker.protocol;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.CreatePartitionsRequestData;
import org.apache.kafka.common.message.CreatePartitionsResponseData;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.DeleteTopicsRequestData;
import org.apache.kafka.common.message.DeleteTopicsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.cluster.ControllerAdminClient;
import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.Authorizer;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.broker.security.Session;
import dev.runnel.cluster.ClusterJson;
import dev.runnel.cluster.TopicInfo;

/**
 * CreateTopics, DeleteTopics and CreatePartitions: forwarded, topic by topic, to the active
 * controller's admin API, whose refusals come back as the matching Kafka error codes.
 * Manual replica assignments (Kafka's {@code --replica-assignment}) are passed on for the controller
 * to check and apply; validate-only requests are checked by the controller too, by the same rules
 * as the real change.
 *
 * <p>A successful creation is answered only once this broker's metadata has a leader for every
 * new partition, or with REQUEST_TIMED_OUT at the request's deadline ({@link DelayedCreatePartitions}),
 * unless the request's timeout is 0 or less (Kafka then answers at once).
 *
 * <p>Authorization, as Kafka's controller decides it, before anything is sent to the controller:
 * <ul>
 *   <li>CreateTopics: CREATE on the cluster or on the topic, else TOPIC_AUTHORIZATION_FAILED; a
 *       created topic's configs, partition count and replication factor are only told to a
 *       connection that may DESCRIBE_CONFIGS it (otherwise its config error is
 *       TOPIC_AUTHORIZATION_FAILED).</li>
 *   <li>DeleteTopics: DELETE on the cluster or on the topic. A topic the connection may not even
 *       DESCRIBE is TOPIC_AUTHORIZATION_FAILED before its existence is looked at, and asked for by
 *       id it is answered without its name.</li>
 *   <li>CreatePartitions: ALTER on the topic.</li>
 * </ul>
 */
final class TopicAdminHandler implements ApiHandler {

    /** Configs reported back by CreateTopics come from the topic itself (Kafka's TOPIC_CONFIG source). */
    private static final byte TOPIC_CONFIG_SOURCE = 1;

    private static final String LEADERS_TIMED_OUT = "The change was made, but this broker did not learn a leader "
            + "for every new partition within the request's timeout";

    private final ControllerAdminClient controller;
    private final MetadataCache metadata;
    private final DelayedCreatePartitions leaders;

    TopicAdminHandler(ControllerAdminClient controller, MetadataCache metadata, DelayedCreatePartitions leaders) {
        this.controller = controller;
        this.metadata = metadata;
        this.leaders = leaders;
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        if (request.apiKey() == ApiKeys.CREATE_TOPICS) {
            return createTopics((CreateTopicsRequestData) request.body(), request.version(), request.session());
        } else if (request.apiKey() == ApiKeys.DELETE_TOPICS) {
            return deleteTopics((DeleteTopicsRequestData) request.body(), request.version(), request.session());
        }
        return createPartitions((CreatePartitionsRequestData) request.body(), request.session());
    }

    private CompletableFuture<ApiMessage> createTopics(CreateTopicsRequestData body, short version, Session session) {
        CreateTopicsResponseData response = new CreateTopicsResponseData();
        Duration timeout = timeout(body.timeoutMs());
        long deadline = leaders.deadline(body.timeoutMs());
        boolean wait = !body.validateOnly() && body.timeoutMs() > 0;
        List<CompletableFuture<CreateTopicsResponseData.CreatableTopicResult>> results = new ArrayList<>();
        boolean clusterCreate = session.allowed(AclOperation.CREATE, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME,
                Authorizer.Audit.FILTER);
        Predicate<String> mayCreate = session.allowedNames(AclOperation.CREATE, ResourceType.TOPIC,
                Authorizer.Audit.EXPLICIT);
        Predicate<String> mayDescribeConfigs = session.allowedNames(AclOperation.DESCRIBE_CONFIGS, ResourceType.TOPIC,
                Authorizer.Audit.FILTER);
        for (CreateTopicsRequestData.CreatableTopic topic : body.topics()) {
            if (!clusterCreate && !mayCreate.test(topic.name())) {
                results.add(CompletableFuture.completedFuture(new CreateTopicsResponseData.CreatableTopicResult()
                        .setName(topic.name()).setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code())
                        .setErrorMessage("Authorization failed.")));
                continue;
            }
            boolean showConfigs = mayDescribeConfigs.test(topic.name());
            Map<String, Object> create = new LinkedHashMap<>();
            create.put("name", topic.name());
            if (!topic.assignments().isEmpty()) {
                Optional<List<List<Integer>>> assignments = creationAssignments(topic);
                if (topic.numPartitions() != -1 || topic.replicationFactor() != -1 || assignments.isEmpty()) {
                    results.add(CompletableFuture.completedFuture(new CreateTopicsResponseData.CreatableTopicResult()
                            .setName(topic.name()).setErrorCode(Errors.INVALID_REQUEST.code()).setErrorMessage(
                                    "A replica assignment must cover partitions 0 to n-1 once each, and comes "
                                            + "without a partition count or replication factor")));
                    continue;
                }
                create.put("assignments", assignments.get());
            }
            if (topic.numPartitions() != -1) {
                create.put("partitions", topic.numPartitions());
            }
            if (topic.replicationFactor() != -1) {
                create.put("replicationFactor", (int) topic.replicationFactor());
            }
            Map<String, String> configs = new LinkedHashMap<>();
            topic.configs().forEach(c -> {
                if (c.value() != null) {
                    configs.put(c.name(), c.value());
                }
            });
            create.put("configs", configs);
            results.add(controller.call("POST", "/topics?validateOnly=" + body.validateOnly(), create, timeout)
                    .thenCompose(answer -> {
                        if (!answer.ok()) {
                            return CompletableFuture.completedFuture(new CreateTopicsResponseData.CreatableTopicResult()
                                    .setName(topic.name()).setErrorCode(error(answer).code())
                                    .setErrorMessage(answer.detail()));
                        }
                        TopicInfo created = ClusterJson.read(answer.body(), TopicInfo.class, "the created topic");
                        CreateTopicsResponseData.CreatableTopicResult result = createResult(created, version, showConfigs);
                        if (!wait) {
                            return CompletableFuture.completedFuture(result);
                        }
                        return leaders.leadersKnown(new DelayedCreatePartitions.NewPartitions(created.name(),
                                created.topicId(), 0, created.partitions().size()), deadline)
                                .thenApply(known -> known ? result : result.setErrorCode(Errors.REQUEST_TIMED_OUT.code())
                                        .setErrorMessage(LEADERS_TIMED_OUT));
                    }));
        }
        return all(results).thenApply(done -> {
            done.forEach(response.topics()::add);
            return response;
        });
    }

    /** @param showConfigs whether the connection may DESCRIBE_CONFIGS the topic, and so learn its configs */
    private static CreateTopicsResponseData.CreatableTopicResult createResult(TopicInfo topic, short version,
            boolean showConfigs) {
        CreateTopicsResponseData.CreatableTopicResult result = new CreateTopicsResponseData.CreatableTopicResult()
                .setName(topic.name());
        if (version >= 5 && !showConfigs) {
            result.setTopicConfigErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code());
        } else if (version >= 5) {
            result.setNumPartitions(topic.partitions().size())
                    .setReplicationFactor((short) topic.partitions().get(0).replicas().size());
            List<CreateTopicsResponseData.CreatableTopicConfigs> configs = new ArrayList<>();
            topic.configs().forEach((k, v) -> configs.add(new CreateTopicsResponseData.CreatableTopicConfigs()
                    .setName(k).setValue(v).setConfigSource(TOPIC_CONFIG_SOURCE)));
            result.setConfigs(configs);
        }
        if (version >= 7) {
            result.setTopicId(uuid(topic.topicId()));
        }
        return result;
    }

    private CompletableFuture<ApiMessage> deleteTopics(DeleteTopicsRequestData body, short version, Session session) {
        boolean clusterDelete = session.allowed(AclOperation.DELETE, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME,
                Authorizer.Audit.FILTER);
        Predicate<String> mayDescribe = clusterDelete ? name -> true
                : session.allowedNames(AclOperation.DESCRIBE, ResourceType.TOPIC, Authorizer.Audit.EXPLICIT);
        Predicate<String> mayDelete = clusterDelete ? name -> true
                : session.allowedNames(AclOperation.DELETE, ResourceType.TOPIC, Authorizer.Audit.EXPLICIT);
        List<String> names = new ArrayList<>();
        List<CompletableFuture<DeleteTopicsResponseData.DeletableTopicResult>> results = new ArrayList<>();
        for (String name : body.topicNames()) {
            refuseOrKeep(name, mayDescribe, mayDelete, version, results, names);
        }
        for (DeleteTopicsRequestData.DeleteTopicState state : body.topics()) {
            if (state.name() != null) {
                refuseOrKeep(state.name(), mayDescribe, mayDelete, version, results, names);
                continue;
            }
            UUID id = new UUID(state.topicId().getMostSignificantBits(), state.topicId().getLeastSignificantBits());
            Optional<TopicInfo> topic = metadata.snapshot().topics().values().stream()
                    .filter(t -> t.topicId().equals(id)).findFirst();
            if (topic.isEmpty()) {
                results.add(CompletableFuture.completedFuture(new DeleteTopicsResponseData.DeletableTopicResult()
                        .setTopicId(state.topicId()).setErrorCode(Errors.UNKNOWN_TOPIC_ID.code())));
            } else if (!mayDelete.test(topic.get().name())) {
                // Ids are no secret, but the name is told only to a connection that may describe the topic.
                results.add(refused(mayDescribe.test(topic.get().name()) ? topic.get().name() : null, version,
                        Errors.TOPIC_AUTHORIZATION_FAILED).thenApply(r -> r.setTopicId(state.topicId())));
            } else {
                names.add(topic.get().name());
            }
        }
        Duration timeout = timeout(body.timeoutMs());
        for (String name : names) {
            Optional<TopicInfo> known = metadata.snapshot().topic(name);
            results.add(controller.call("DELETE", "/topics/" + ControllerAdminClient.segment(name), null, timeout)
                    .thenApply(answer -> {
                        DeleteTopicsResponseData.DeletableTopicResult result =
                                new DeleteTopicsResponseData.DeletableTopicResult().setName(name);
                        if (version >= 6) {
                            known.ifPresent(t -> result.setTopicId(uuid(t.topicId())));
                        }
                        return answer.ok() ? result
                                : result.setErrorCode(error(answer).code()).setErrorMessage(version >= 5 ? answer.detail() : null);
                    }));
        }
        DeleteTopicsResponseData response = new DeleteTopicsResponseData();
        return all(results).thenApply(done -> {
            done.forEach(response.responses()::add);
            return response;
        });
    }

    /**
     * Keeps the topic named {@code name} for deletion in {@code names}, or adds its refusal to
     * {@code results}: TOPIC_AUTHORIZATION_FAILED unless the connection may describe it, then
     * UNKNOWN_TOPIC_OR_PARTITION if it does not exist, then TOPIC_AUTHORIZATION_FAILED unless the
     * connection may delete it (Kafka's order).
     */
    private void refuseOrKeep(String name, Predicate<String> mayDescribe, Predicate<String> mayDelete, short version,
            List<CompletableFuture<DeleteTopicsResponseData.DeletableTopicResult>> results, List<String> names) {
        if (!mayDescribe.test(name)) {
            results.add(refused(name, version, Errors.TOPIC_AUTHORIZATION_FAILED));
        } else if (!mayDelete.test(name)) {
            results.add(refused(name, version, metadata.snapshot().topic(name).isEmpty()
                    ? Errors.UNKNOWN_TOPIC_OR_PARTITION : Errors.TOPIC_AUTHORIZATION_FAILED));
        } else {
            names.add(name);
        }
    }

    private static CompletableFuture<DeleteTopicsResponseData.DeletableTopicResult> refused(String name, short version,
            Errors error) {
        return CompletableFuture.completedFuture(new DeleteTopicsResponseData.DeletableTopicResult().setName(name)
                .setErrorCode(error.code()).setErrorMessage(version >= 5 ? error.message() : null));
    }

    private CompletableFuture<ApiMessage> createPartitions(CreatePartitionsRequestData body, Session session) {
        Duration timeout = timeout(body.timeoutMs());
        long deadline = leaders.deadline(body.timeoutMs());
        boolean wait = !body.validateOnly() && body.timeoutMs() > 0;
        Predicate<String> mayAlter = session.allowedNames(AclOperation.ALTER, ResourceType.TOPIC,
                Authorizer.Audit.EXPLICIT);
        List<CompletableFuture<CreatePartitionsResponseData.CreatePartitionsTopicResult>> results = new ArrayList<>();
        for (CreatePartitionsRequestData.CreatePartitionsTopic topic : body.topics()) {
            CreatePartitionsResponseData.CreatePartitionsTopicResult result =
                    new CreatePartitionsResponseData.CreatePartitionsTopicResult().setName(topic.name());
            if (!mayAlter.test(topic.name())) {
                results.add(CompletableFuture.completedFuture(
                        result.setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code()).setErrorMessage(null)));
                continue;
            }
            // The partitions this broker already knows need no wait (an offline one must not time the growth out).
            int known = metadata.snapshot().topic(topic.name()).map(t -> t.partitions().size()).orElse(0);
            Map<String, Object> grow = new LinkedHashMap<>();
            grow.put("count", topic.count());
            if (topic.assignments() != null) {
                grow.put("assignments", topic.assignments().stream().map(a -> List.copyOf(a.brokerIds())).toList());
            }
            results.add(controller.call("POST", "/topics/" + ControllerAdminClient.segment(topic.name())
                    + "/partitions?validateOnly=" + body.validateOnly(), grow, timeout).thenCompose(answer -> {
                        if (!answer.ok()) {
                            return CompletableFuture.completedFuture(
                                    result.setErrorCode(error(answer).code()).setErrorMessage(answer.detail()));
                        }
                        if (!wait) {
                            return CompletableFuture.completedFuture(result);
                        }
                        TopicInfo grown = ClusterJson.read(answer.body(), TopicInfo.class, "the grown topic");
                        return leaders.leadersKnown(new DelayedCreatePartitions.NewPartitions(grown.name(),
                                grown.topicId(), Math.min(known, topic.count()), topic.count()), deadline)
                                .thenApply(ok -> ok ? result : result.setErrorCode(Errors.REQUEST_TIMED_OUT.code())
                                        .setErrorMessage(LEADERS_TIMED_OUT));
                    }));
        }
        CreatePartitionsResponseData response = new CreatePartitionsResponseData();
        return all(results).thenApply(done -> {
            done.forEach(response.results()::add);
            return response;
        });
    }

    /** The replica lists by partition index, if the assignments name partitions 0 to n-1 once each. */
    private static Optional<List<List<Integer>>> creationAssignments(CreateTopicsRequestData.CreatableTopic topic) {
        Map<Integer, List<Integer>> byPartition = new TreeMap<>();
        for (CreateTopicsRequestData.CreatableReplicaAssignment a : topic.assignments()) {
            if (byPartition.put(a.partitionIndex(), List.copyOf(a.brokerIds())) != null) {
                return Optional.empty();
            }
        }
        int expected = 0;
        for (int p : byPartition.keySet()) {
            if (p != expected++) {
                return Optional.empty();
            }
        }
        return Optional.of(List.copyOf(byPartition.values()));
    }

    /** The Kafka error for a refusal of the controller's admin API. */
    static Errors error(ControllerAdminClient.Answer answer) {
        return switch (answer.problemType() == null ? "" : answer.problemType()) {
            case "invalid-topic" -> Errors.INVALID_TOPIC_EXCEPTION;
            case "invalid-partitions" -> Errors.INVALID_PARTITIONS;
            case "invalid-replication-factor" -> Errors.INVALID_REPLICATION_FACTOR;
            case "invalid-replica-assignment" -> Errors.INVALID_REPLICA_ASSIGNMENT;
            case "invalid-config" -> Errors.INVALID_CONFIG;
            case "topic-exists" -> Errors.TOPIC_ALREADY_EXISTS;
            case "unknown-topic" -> Errors.UNKNOWN_TOPIC_OR_PARTITION;
            case "not-controller" -> Errors.NOT_CONTROLLER;
            case "invalid-request" -> Errors.INVALID_REQUEST;
            default -> Errors.UNKNOWN_SERVER_ERROR;
        };
    }

    /** The per-topic results, in request order, once all have arrived. */
    private static <T> CompletableFuture<List<T>> all(List<CompletableFuture<T>> results) {
        return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
                .thenApply(done -> results.stream().map(CompletableFuture::join).toList());
    }

    private static Duration timeout(int timeoutMs) {
        return Duration.ofMillis(Math.max(1_000, Math.min(timeoutMs, 60_000)));
    }

    private static Uuid uuid(UUID id) {
        return new Uuid(id.getMostSignificantBits(), id.getLeastSignificantBits());
    }
}
