package dev.runnel.broker.protocol;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import java.util.function.Supplier;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponsePartition;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseTopic;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.cluster.ControllerAdminClient;
import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.Authorizer;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.broker.security.Session;
import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.common.TopicPartition;

/**
 * Metadata: brokers, the cluster id and topics with their ids, partitions, leaders, epochs and ISR,
 * from the view the controller last sent this broker. Runnel's controller is not a broker, so the
 * controller id names the lowest live broker, where Admin requests for the controller go (a live
 * node id, or Admin calls would wait for one forever).
 *
 * <p>With {@code auto.create.topics.enable}, an unknown topic that the client allows to be
 * created is created through the controller with its defaults, and answered with
 * LEADER_NOT_AVAILABLE until the metadata names it, so the client asks again.
 *
 * <p>Authorization, as Kafka's: the listing of all topics leaves out those the connection may not
 * DESCRIBE (no denial is logged); a topic asked for by name that it may not DESCRIBE is
 * TOPIC_AUTHORIZATION_FAILED whether or not it exists, so its existence is not given away (asked
 * for by id, the answer keeps the id, which is not secret). Auto-creation needs CREATE on the
 * cluster or on the topic, else the topic is TOPIC_AUTHORIZATION_FAILED and nothing is created.
 * From v8 the topics' and (to v10) the cluster's authorized operations are filled in when asked.
 */
final class MetadataHandler implements ApiHandler {

    private final MetadataCache metadata;
    private final Supplier<String> clusterId;
    /** Where unknown topics are created; null when auto-creation is off. */
    private final ControllerAdminClient autoCreate;

    MetadataHandler(MetadataCache metadata, Supplier<String> clusterId, ControllerAdminClient autoCreate) {
        this.metadata = metadata;
        this.clusterId = clusterId;
        this.autoCreate = autoCreate;
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        MetadataRequestData body = (MetadataRequestData) request.body();
        short version = request.version();
        MetadataCache.Snapshot view = metadata.snapshot();
        Session session = request.session();
        String listener = session.listener();
        MetadataResponseData response = new MetadataResponseData()
                .setClusterId(clusterId.get())
                .setControllerId(controllerIdForClients(view));
        // Each broker at its endpoint of the listener the client came in on; one without it is not shown.
        view.brokers().values().stream().sorted((a, b) -> Integer.compare(a.id(), b.id())).forEach(b ->
                b.endpoint(listener).ifPresent(e -> response.brokers().add(new MetadataResponseData.MetadataResponseBroker()
                        .setNodeId(b.id()).setHost(e.host()).setPort(e.port()).setRack(b.rack()))));
        if (body.topics() == null) {
            view.topics().values().stream().sorted((a, b) -> a.name().compareTo(b.name()))
                    .filter(t -> session.allowed(AclOperation.DESCRIBE, ResourceType.TOPIC, t.name(),
                            Authorizer.Audit.FILTER))
                    .forEach(t -> response.topics().add(describe(t, view.brokers(), listener, version)));
        } else {
            // Decided at most once a request, and only when an unknown topic is to be created.
            Predicate<String> clusterCreate = session.allowedNames(AclOperation.CREATE, ResourceType.CLUSTER,
                    Authorizer.Audit.FILTER);
            for (MetadataRequestData.MetadataRequestTopic requested : body.topics()) {
                response.topics().add(lookup(requested, view, listener, version, body.allowAutoTopicCreation(),
                        session, clusterCreate));
            }
        }
        if (version >= 8 && body.includeTopicAuthorizedOperations()) {
            for (MetadataResponseTopic topic : response.topics()) {
                if (topic.errorCode() != Errors.TOPIC_AUTHORIZATION_FAILED.code()
                        && topic.errorCode() != Errors.UNKNOWN_TOPIC_ID.code()) {
                    topic.setTopicAuthorizedOperations(authorizedOperations(session, ResourceType.TOPIC, topic.name()));
                }
            }
        }
        if (version >= 8 && version <= 10 && body.includeClusterAuthorizedOperations()) {
            response.setClusterAuthorizedOperations(clusterAuthorizedOperations(session));
        }
        return CompletableFuture.completedFuture(response);
    }

    /**
     * The {@code *_authorized_operations} bit field of the resource: bit {@code n} set for each
     * operation of code {@code n} the connection may do on it.
     */
    static int authorizedOperations(Session session, ResourceType type, String name) {
        int field = 0;
        for (AclOperation operation : session.allowedOperations(type, name)) {
            field |= 1 << operation.code();
        }
        return field;
    }

    /** The cluster's authorized operations, as Kafka answers them: none (0) unless the connection may DESCRIBE it. */
    static int clusterAuthorizedOperations(Session session) {
        return session.allowed(AclOperation.DESCRIBE, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME)
                ? authorizedOperations(session, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME) : 0;
    }

    /**
     * The node clients treat as the controller: the lowest live broker, since Runnel's controller
     * is not a broker (clients only need a live node to send controller-bound Admin calls to).
     */
    static int controllerIdForClients(MetadataCache.Snapshot view) {
        return view.brokers().keySet().stream().mapToInt(Integer::intValue).min().orElse(-1);
    }

    private MetadataResponseTopic lookup(MetadataRequestData.MetadataRequestTopic requested, MetadataCache.Snapshot view,
            String listener, short version, boolean allowAutoCreate, Session session, Predicate<String> clusterCreate) {
        String name = requested.name();
        Optional<TopicInfo> topic;
        // By id (v12+): the name null, or empty as kafka-clients' consumer sends it to resolve the ids it is assigned.
        boolean byId = name == null || (name.isEmpty() && requested.topicId() != null
                && !Uuid.ZERO_UUID.equals(requested.topicId()));
        if (byId) {
            Uuid id = requested.topicId();
            UUID wanted = new UUID(id.getMostSignificantBits(), id.getLeastSignificantBits());
            // By id through the cache's index, then from this request's view (the index may be a view newer).
            topic = metadata.topicById(wanted).flatMap(t -> view.topic(t.name()))
                    .filter(t -> t.topicId().equals(wanted));
            if (topic.isEmpty()) {
                return new MetadataResponseTopic().setErrorCode(Errors.UNKNOWN_TOPIC_ID.code()).setTopicId(id);
            }
            if (!session.allowed(AclOperation.DESCRIBE, ResourceType.TOPIC, topic.get().name())) {
                return new MetadataResponseTopic().setName(null).setTopicId(id)
                        .setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code());
            }
        } else {
            if (!session.allowed(AclOperation.DESCRIBE, ResourceType.TOPIC, name)) {
                return unauthorized(name, false);
            }
            topic = view.topic(name);
            boolean autoCreates = topic.isEmpty() && autoCreate != null && allowAutoCreate;
            if (autoCreates && !clusterCreate.test(ResourceType.CLUSTER_NAME)
                    && !session.allowed(AclOperation.CREATE, ResourceType.TOPIC, name)) {
                return unauthorized(name, name.startsWith("__"));
            }
            try {
                TopicPartition.validateTopicName(name);
            } catch (IllegalArgumentException e) {
                return new MetadataResponseTopic().setName(name).setErrorCode(Errors.INVALID_TOPIC_EXCEPTION.code());
            }
            if (autoCreates && !name.startsWith("__")) {
                // Created with the controller's defaults; a concurrent creation (TOPIC_EXISTS) is as good.
                autoCreate.call("POST", "/topics", Map.of("name", name), Duration.ofSeconds(30));
                return new MetadataResponseTopic().setName(name).setErrorCode(Errors.LEADER_NOT_AVAILABLE.code());
            }
            if (topic.isEmpty()) {
                return new MetadataResponseTopic().setName(name).setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
            }
        }
        return describe(topic.get(), view.brokers(), listener, version);
    }

    /** A topic the connection may not see (or create): no id, no partitions, nothing of its own. */
    private static MetadataResponseTopic unauthorized(String name, boolean internal) {
        return new MetadataResponseTopic().setName(name).setIsInternal(internal)
                .setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code());
    }

    /**
     * A partition whose live leader has no endpoint on {@code listener} answers LISTENER_NOT_FOUND
     * (LEADER_NOT_AVAILABLE before v6), as in Kafka: the client cannot reach it that way.
     */
    private static MetadataResponseTopic describe(TopicInfo topic, Map<Integer, BrokerInfo> live, String listener,
            short version) {
        MetadataResponseTopic result = new MetadataResponseTopic().setName(topic.name())
                .setIsInternal(topic.name().startsWith("__"));
        if (version >= 10) {
            result.setTopicId(new Uuid(topic.topicId().getMostSignificantBits(),
                    topic.topicId().getLeastSignificantBits()));
        }
        for (PartitionInfo p : topic.partitions()) {
            BrokerInfo leader = p.state().online() ? live.get(p.state().leader()) : null;
            boolean reachable = leader != null && leader.endpoint(listener).isPresent();
            Errors error = reachable ? Errors.NONE : leader == null || version < 6 ? Errors.LEADER_NOT_AVAILABLE
                    : Errors.LISTENER_NOT_FOUND;
            List<Integer> offline = new ArrayList<>();
            p.replicas().stream().filter(r -> !live.containsKey(r)).forEach(offline::add);
            MetadataResponsePartition partition = new MetadataResponsePartition()
                    .setPartitionIndex(p.partition())
                    .setErrorCode(error.code())
                    .setLeaderId(reachable ? p.state().leader() : -1)
                    .setReplicaNodes(p.replicas())
                    .setIsrNodes(p.state().isr());
            if (version >= 5) {
                partition.setOfflineReplicas(offline);
            }
            if (version >= 7) {
                partition.setLeaderEpoch(p.state().leaderEpoch());
            }
            result.partitions().add(partition);
        }
        return result;
    }
}
