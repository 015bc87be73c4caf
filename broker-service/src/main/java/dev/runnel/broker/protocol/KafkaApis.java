package dev.runnel.broker.protocol;

import java.time.Clock;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

import org.apache.kafka.common.protocol.ApiKeys;

import dev.runnel.broker.cluster.ControllerAdminClient;
import dev.runnel.broker.cluster.ProducerIdManager;
import dev.runnel.broker.group.GroupAdmin;
import dev.runnel.broker.group.GroupCoordinator;
import dev.runnel.broker.group.GroupMetadataManager;
import dev.runnel.broker.group.GroupOffsets;
import dev.runnel.broker.group.GroupSettings;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.security.BrokerAuthentication;
import dev.runnel.common.time.Scheduler;

/**
 * Which handler answers each Kafka API, as Kafka's {@code KafkaApis}: one table built from the
 * broker's collaborators. Until the broker has caught up with the cluster's metadata every API
 * but ApiVersions and the SASL ones answers as not ready ({@link MetadataReadinessGate}).
 */
public final class KafkaApis {

    /** What the handlers of the consumer-group APIs talk to. */
    public record Groups(GroupMetadataManager metadata, GroupCoordinator coordinator, GroupOffsets offsets,
            GroupAdmin admin, GroupSettings settings) {
    }

    /** What the handlers of the cluster and admin APIs talk to. */
    public record Cluster(int brokerId, Supplier<String> clusterId, Map<String, String> brokerConfigs,
            ControllerAdminClient controller, ProducerIdManager producerIds, Executor controllerCalls,
            boolean autoCreateTopics, BrokerAuthentication brokerAuthentication) {
    }

    private final Map<ApiKeys, ApiHandler> handlers;

    public KafkaApis(ReplicaManager replicas, MetadataCache metadata, Cluster cluster, Groups groups, Clock clock,
            Scheduler scheduler) {
        Map<ApiKeys, ApiHandler> served = new EnumMap<>(ApiKeys.class);
        served.put(ApiKeys.PRODUCE, new ProduceHandler(replicas, metadata));
        served.put(ApiKeys.FETCH, new FetchHandler(replicas, metadata, clock));
        served.put(ApiKeys.LIST_OFFSETS, new ListOffsetsHandler(replicas));
        served.put(ApiKeys.OFFSET_FOR_LEADER_EPOCH, new OffsetForLeaderEpochHandler(replicas));
        served.put(ApiKeys.DELETE_RECORDS, new DeleteRecordsHandler(replicas));
        served.put(ApiKeys.API_VERSIONS, new ApiVersionsHandler());
        SaslHandler sasl = new SaslHandler(cluster.brokerAuthentication());
        served.put(ApiKeys.SASL_HANDSHAKE, sasl);
        served.put(ApiKeys.SASL_AUTHENTICATE, sasl);
        served.put(ApiKeys.METADATA, new MetadataHandler(metadata, cluster.clusterId(),
                cluster.autoCreateTopics() ? cluster.controller() : null));
        AlterConfigsHandler alterConfigs = new AlterConfigsHandler(cluster.controller(), metadata);
        served.put(ApiKeys.ALTER_CONFIGS, alterConfigs);
        served.put(ApiKeys.INCREMENTAL_ALTER_CONFIGS, alterConfigs);
        served.put(ApiKeys.DESCRIBE_CLUSTER, new DescribeClusterHandler(metadata, cluster.clusterId()));
        TopicAdminHandler topicAdmin = new TopicAdminHandler(cluster.controller(), metadata,
                new DelayedCreatePartitions(metadata, clock, scheduler));
        served.put(ApiKeys.CREATE_TOPICS, topicAdmin);
        served.put(ApiKeys.DELETE_TOPICS, topicAdmin);
        served.put(ApiKeys.CREATE_PARTITIONS, topicAdmin);
        served.put(ApiKeys.INIT_PRODUCER_ID, new InitProducerIdHandler(cluster.producerIds(), cluster.controllerCalls()));
        served.put(ApiKeys.DESCRIBE_CONFIGS, new DescribeConfigsHandler(metadata, cluster.brokerId(),
                cluster.brokerConfigs()));
        served.put(ApiKeys.FIND_COORDINATOR, new FindCoordinatorHandler(metadata, groups.metadata(),
                cluster.controller(), groups.settings(), clock));
        GroupMembershipHandler membership = new GroupMembershipHandler(groups.coordinator());
        served.put(ApiKeys.JOIN_GROUP, membership);
        served.put(ApiKeys.SYNC_GROUP, membership);
        served.put(ApiKeys.HEARTBEAT, membership);
        served.put(ApiKeys.LEAVE_GROUP, membership);
        GroupOffsetsHandler offsets = new GroupOffsetsHandler(groups.offsets());
        served.put(ApiKeys.OFFSET_COMMIT, offsets);
        served.put(ApiKeys.OFFSET_FETCH, offsets);
        served.put(ApiKeys.OFFSET_DELETE, offsets);
        GroupAdminHandler groupAdmin = new GroupAdminHandler(groups.admin());
        served.put(ApiKeys.LIST_GROUPS, groupAdmin);
        served.put(ApiKeys.DESCRIBE_GROUPS, groupAdmin);
        served.put(ApiKeys.DELETE_GROUPS, groupAdmin);
        this.handlers = MetadataReadinessGate.guard(served, replicas::servesClients);
    }

    KafkaApis(Map<ApiKeys, ApiHandler> handlers) {
        this.handlers = handlers; // as given: a test may change it while connections use it
    }

    /** The handler of {@code key}, or null if this broker does not serve it. */
    ApiHandler handler(ApiKeys key) {
        return handlers.get(key);
    }
}
