package dev.runnel.broker.protocol;

import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.cluster.ControllerAdminClient;
import dev.runnel.broker.group.GroupMetadataManager;
import dev.runnel.broker.group.GroupSettings;
import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.broker.security.Session;
import dev.runnel.broker.sharestate.ShareStatePersister;
import dev.runnel.broker.sharestate.ShareCoordinator;
import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.InternalTopics;
import dev.runnel.cluster.PartitionInfo;

/**
 * FindCoordinator (v0-6; batched keys from v4): the coordinator of a group (key type 0) is the
 * leader of its {@code __consumer_offsets} partition, that of a transactional id (key type 1) the
 * leader of its {@code __transaction_state} partition, that of a share partition (key type 2,
 * {@code groupId:topicId:partition}, asked by brokers) the leader of its {@code __share_group_state}
 * partition ({@link CoordinatorTopics} creates a missing topic). The first request in a cluster without the
 * topic asks the controller to create it and answers COORDINATOR_NOT_AVAILABLE, so the client asks
 * again; while fewer brokers are alive than its replication factor it is not created (as Kafka),
 * and every request gets COORDINATOR_NOT_AVAILABLE saying so.
 *
 * <p>As in Kafka, a group's coordinator is told only to a connection that may DESCRIBE the group
 * (else GROUP_AUTHORIZATION_FAILED), a transactional id's only to one that may DESCRIBE the id
 * (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED), a share partition's only to one with CLUSTER_ACTION
 * (else CLUSTER_AUTHORIZATION_FAILED); a refused key creates no coordinator topic.
 */
final class FindCoordinatorHandler implements ApiHandler {

    private static final byte GROUP = 0;
    private static final byte TRANSACTION = 1;
    private static final byte SHARE = 2;

    private final MetadataCache metadata;
    private final GroupMetadataManager groups;
    private final KafkaApis.CoordinatorTopic offsetsTopic;
    private final KafkaApis.Transactions transactions;
    private final KafkaApis.ShareStates shareStates;
    private final CoordinatorTopics topics;

    /** @param transactions the transaction coordinator and its topic, or null where transactions are not served */
    FindCoordinatorHandler(MetadataCache metadata, GroupMetadataManager groups, ControllerAdminClient controller,
            GroupSettings settings, KafkaApis.Transactions transactions, Clock clock) {
        this(metadata, groups, controller, settings, transactions, null, clock);
    }

    /**
     * @param transactions the transaction coordinator and its topic, or null where transactions are not served
     * @param shareStates  the share coordinator and its topic, or null where share groups are not served
     */
    FindCoordinatorHandler(MetadataCache metadata, GroupMetadataManager groups, ControllerAdminClient controller,
            GroupSettings settings, KafkaApis.Transactions transactions, KafkaApis.ShareStates shareStates,
            Clock clock) {
        this.metadata = metadata;
        this.groups = groups;
        this.transactions = transactions;
        this.shareStates = shareStates;
        this.topics = new CoordinatorTopics(metadata, controller, clock);
        this.offsetsTopic = new KafkaApis.CoordinatorTopic(InternalTopics.CONSUMER_OFFSETS, settings.offsetsTopicPartitions(),
                settings.offsetsTopicReplicationFactor(), Map.of("cleanup.policy", "compact",
                        "segment.bytes", Integer.toString(settings.offsetsTopicSegmentBytes()),
                        "compression.type", "producer"),
                "offsets.topic.replication.factor, runnel.broker.offsets-topic.replication-factor");
    }

    /** A coordinator's address, or why there is none. */
    /** The coordinator if it has an endpoint on the client's listener, else COORDINATOR_NOT_AVAILABLE. */
    private static Found reachable(Found found, String listener) {
        if (found.broker() == null) {
            return found;
        }
        var endpoint = found.broker().endpoint(listener);
        if (endpoint.isPresent()) {
            return new Found(found.error(), found.message(), found.broker(), endpoint.get());
        }
        return new Found(Errors.COORDINATOR_NOT_AVAILABLE, "the coordinator, broker " + found.broker().id()
                + ", has no listener " + listener, null);
    }

    /** @param endpoint the broker's endpoint on the client's listener, once {@link #reachable} has found it */
    private record Found(Errors error, String message, BrokerInfo broker, BrokerInfo.Endpoint endpoint) {

        Found(Errors error, String message, BrokerInfo broker) {
            this(error, message, broker, null);
        }
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        FindCoordinatorRequestData data = (FindCoordinatorRequestData) request.body();
        FindCoordinatorResponseData response = new FindCoordinatorResponseData();
        if (request.version() >= 4) {
            for (String key : data.coordinatorKeys()) {
                Found found = reachable(find(data.keyType(), key, request.session()), request.session().listener());
                response.coordinators().add(new FindCoordinatorResponseData.Coordinator().setKey(key)
                        .setErrorCode(found.error().code()).setErrorMessage(found.message())
                        .setNodeId(found.broker() == null ? -1 : found.broker().id())
                        .setHost(found.broker() == null ? "" : found.endpoint().host())
                        .setPort(found.broker() == null ? -1 : found.endpoint().port()));
            }
        } else {
            Found found = reachable(find(data.keyType(), data.key(), request.session()), request.session().listener());
            // Before v4 a refusal says what it is, as Kafka's whole-request error answer does.
            response.setErrorCode(found.error().code()).setErrorMessage(found.message() == null
                    && found.error() != Errors.NONE ? found.error().message() : found.message())
                    .setNodeId(found.broker() == null ? -1 : found.broker().id())
                    .setHost(found.broker() == null ? "" : found.endpoint().host())
                    .setPort(found.broker() == null ? -1 : found.endpoint().port());
        }
        return CompletableFuture.completedFuture(response);
    }

    private Found find(byte keyType, String key, Session session) {
        if (keyType != GROUP && (keyType != TRANSACTION || transactions == null)
                && (keyType != SHARE || shareStates == null)) {
            return new Found(Errors.INVALID_REQUEST, "unknown coordinator key type " + keyType, null);
        }
        if (keyType == GROUP && !session.allowed(AclOperation.DESCRIBE, ResourceType.GROUP, key)) {
            return new Found(Errors.GROUP_AUTHORIZATION_FAILED, null, null);
        }
        if (keyType == TRANSACTION && !session.allowed(AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, key)) {
            return new Found(Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, null, null);
        }
        if (keyType == SHARE
                && !session.allowed(AclOperation.CLUSTER_ACTION, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME)) {
            return new Found(Errors.CLUSTER_AUTHORIZATION_FAILED, null, null);
        }
        if (key == null || key.isEmpty()) {
            return new Found(Errors.INVALID_REQUEST, keyType == GROUP ? "the group id is empty"
                    : keyType == TRANSACTION ? "the transactional id is empty" : "the share partition key is empty",
                    null);
        }
        Optional<ShareStatePersister.Key> shareKey = keyType == SHARE ? ShareCoordinator.parseCoordinatorKey(key)
                : Optional.empty();
        if (keyType == SHARE && shareKey.isEmpty()) {
            return new Found(Errors.INVALID_REQUEST, "'" + key + "' is not a share partition key"
                    + " (groupId:topicId:partition)", null);
        }
        KafkaApis.CoordinatorTopic spec = keyType == GROUP ? offsetsTopic
                : keyType == TRANSACTION ? transactions.topic() : shareStates.topic();
        CoordinatorTopics.Lookup lookup = topics.find(spec);
        if (lookup.topic() == null) {
            return new Found(Errors.COORDINATOR_NOT_AVAILABLE, lookup.unavailable(), null);
        }
        int partition = keyType == GROUP ? groups.partitionFor(key)
                : keyType == TRANSACTION ? transactions.coordinator().partitionFor(key)
                : shareStates.coordinator().partitionFor(shareKey.get());
        PartitionInfo info = lookup.topic().partitions().stream().filter(p -> p.partition() == partition).findFirst()
                .orElse(null);
        int leader = info == null ? -1 : info.state().leader();
        BrokerInfo broker = leader < 0 ? null : metadata.snapshot().brokers().get(leader);
        if (broker == null) {
            return new Found(Errors.COORDINATOR_NOT_AVAILABLE, spec.name() + "-" + partition + " has no live leader",
                    null);
        }
        return new Found(Errors.NONE, null, broker);
    }
}
