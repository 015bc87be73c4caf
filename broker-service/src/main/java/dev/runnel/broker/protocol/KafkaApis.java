package dev.runnel.broker.protocol;

import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.cluster.ControllerAdminClient;
import dev.runnel.broker.cluster.ProducerIdManager;
import dev.runnel.broker.group.ConsumerGroupCoordinator;
import dev.runnel.broker.group.GroupAdmin;
import dev.runnel.broker.group.GroupCoordinator;
import dev.runnel.broker.group.GroupMetadataManager;
import dev.runnel.broker.group.GroupOffsets;
import dev.runnel.broker.group.GroupSettings;
import dev.runnel.broker.group.ShareGroupCoordinator;
import dev.runnel.broker.group.ShareGroupOffsets;
import dev.runnel.broker.group.TransactionalOffsets;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.quota.ClientQuotaStore;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.security.AclStore;
import dev.runnel.broker.security.SaslMechanisms;
import dev.runnel.broker.security.ScramCredentialStore;
import dev.runnel.broker.sharestate.ShareCoordinator;
import dev.runnel.broker.share.ShareFetcher;
import dev.runnel.broker.share.SharePartitionManager;
import dev.runnel.broker.share.ShareSessionCache;
import dev.runnel.broker.transaction.TransactionCoordinator;
import dev.runnel.broker.zookeeper.BrokerConfigStore;
import dev.runnel.broker.zookeeper.GroupConfigStore;
import dev.runnel.cluster.InternalTopics;
import dev.runnel.common.TopicPartition;
import dev.runnel.common.time.Scheduler;
import dev.runnel.common.time.Ticker;

/**
 * Which handler answers each Kafka API, as Kafka's {@code KafkaApis}: one table built from the
 * broker's collaborators. Until the broker has caught up with the cluster's metadata every API
 * but ApiVersions and the SASL ones answers as not ready ({@link MetadataReadinessGate}).
 */
public final class KafkaApis {

    /** What the handlers of the consumer-group APIs talk to. */
    public record Groups(GroupMetadataManager metadata, GroupCoordinator coordinator, GroupOffsets offsets,
            GroupAdmin admin, GroupSettings settings, TransactionalOffsets transactionalOffsets,
            ConsumerGroupCoordinator consumerGroups, ShareGroupCoordinator shareGroups,
            ShareGroupOffsets shareGroupOffsets) {

        /** The group APIs without share groups. */
        public Groups(GroupMetadataManager metadata, GroupCoordinator coordinator, GroupOffsets offsets,
                GroupAdmin admin, GroupSettings settings, TransactionalOffsets transactionalOffsets,
                ConsumerGroupCoordinator consumerGroups) {
            this(metadata, coordinator, offsets, admin, settings, transactionalOffsets, consumerGroups, null, null);
        }

        /** The group APIs without the consumer group protocol. */
        public Groups(GroupMetadataManager metadata, GroupCoordinator coordinator, GroupOffsets offsets,
                GroupAdmin admin, GroupSettings settings, TransactionalOffsets transactionalOffsets) {
            this(metadata, coordinator, offsets, admin, settings, transactionalOffsets, null);
        }

        /** The group APIs without TxnOffsetCommit (tests of other APIs). */
        public Groups(GroupMetadataManager metadata, GroupCoordinator coordinator, GroupOffsets offsets,
                GroupAdmin admin, GroupSettings settings) {
            this(metadata, coordinator, offsets, admin, settings, null);
        }
    }

    /**
     * What the handlers of the transaction APIs talk to: the coordinator, the check a partition
     * leader makes before a transaction's first batch, the coordinator's topic, the group
     * coordinator's marker writer for {@code __consumer_offsets}, and how long a marker may wait
     * for the ISR.
     */
    public record Transactions(TransactionCoordinator coordinator, TransactionVerification verification,
            CoordinatorTopic topic, OffsetsMarkers offsetsMarkers, Duration markerTimeout) {
    }

    /**
     * What the share coordinator's APIs and FindCoordinator's share keys use: the coordinator and
     * its topic, {@code __share_group_state}.
     */
    public record ShareStates(ShareCoordinator coordinator, CoordinatorTopic topic) {
    }

    /**
     * A coordinator's topic as this broker creates it.
     *
     * @param replicationFactorSetting the settings that choose its replication factor, for the message
     *                                 naming why it cannot be created yet
     */
    public record CoordinatorTopic(String name, int partitions, int replicationFactor, Map<String, String> configs,
            String replicationFactorSetting) {
    }

    /** Writes a transaction marker into a {@code __consumer_offsets} partition led here (the group coordinator). */
    @FunctionalInterface
    public interface OffsetsMarkers {
        CompletableFuture<Errors> write(TopicPartition offsetsPartition, long producerId, short producerEpoch,
                int coordinatorEpoch, boolean commit);
    }

    /** The topic {@code __transaction_state} as a broker creates it (Kafka's {@code transaction.state.log.*}). */
    public static CoordinatorTopic transactionStateTopic(int partitions, int replicationFactor,
            int minInsyncReplicas, long segmentBytes) {
        return new CoordinatorTopic(InternalTopics.TRANSACTION_STATE, partitions,
                replicationFactor, Map.of("cleanup.policy", "compact", "compression.type", "uncompressed",
                        "min.insync.replicas", Integer.toString(Math.min(minInsyncReplicas, replicationFactor)),
                        "segment.bytes", Long.toString(segmentBytes), "unclean.leader.election.enable", "false"),
                "transaction.state.log.replication.factor, runnel.broker.transaction-state-log.replication-factor");
    }

    /**
     * The topic {@code __share_group_state} as a broker creates it (Kafka's
     * {@code share.coordinator.state.topic.*}): compacted, since every record is a share partition's
     * whole state (Kafka's delta records need its delete policy instead; see {@code sharestate}).
     */
    public static CoordinatorTopic shareStateTopic(int partitions, int replicationFactor, int minInsyncReplicas,
            long segmentBytes) {
        return new CoordinatorTopic(InternalTopics.SHARE_GROUP_STATE, partitions,
                replicationFactor, Map.of("cleanup.policy", "compact", "compression.type", "producer",
                        "min.insync.replicas", Integer.toString(Math.min(minInsyncReplicas, replicationFactor)),
                        "segment.bytes", Long.toString(segmentBytes)),
                "share.coordinator.state.topic.replication.factor, "
                        + "runnel.broker.share-coordinator.state-topic.replication-factor");
    }

    /** What the handlers of the cluster and admin APIs talk to. */
    public record Cluster(int brokerId, Supplier<String> clusterId, Map<String, String> brokerConfigs,
            ControllerAdminClient controller, ProducerIdManager producerIds, Executor controllerCalls,
            boolean autoCreateTopics, Security security, GroupConfigStore groupConfigs,
            BrokerConfigStore dynamicBrokerConfigs) {

        /** Without dynamic broker configs: every broker config is read-only. */
        public Cluster(int brokerId, Supplier<String> clusterId, Map<String, String> brokerConfigs,
                ControllerAdminClient controller, ProducerIdManager producerIds, Executor controllerCalls,
                boolean autoCreateTopics, Security security, GroupConfigStore groupConfigs) {
            this(brokerId, clusterId, brokerConfigs, controller, producerIds, controllerCalls, autoCreateTopics, security,
                    groupConfigs, null);
        }
    }

    /**
     * What the SASL, ACL and SCRAM credential APIs use.
     *
     * @param maxReauth   {@code connections.max.reauth.ms}; zero: sessions never expire
     * @param failedDelay {@code connection.failed.authentication.delay.ms}
     * @param acls        the ACLs; null to serve no ACL API
     * @param credentials the users' SCRAM credentials; null to serve no credential API
     */
    public record Security(SaslMechanisms mechanisms, Duration maxReauth, Duration failedDelay, Ticker ticker,
            AclStore acls, ScramCredentialStore credentials) {
    }

    /**
     * What ShareFetch and ShareAcknowledge use (KIP-932): the share partitions led here, their
     * fetch path and the share sessions.
     */
    public record Shares(SharePartitionManager partitions, ShareFetcher fetcher, ShareSessionCache sessions) {
    }

    private final Map<ApiKeys, ApiHandler> handlers;
    /** The SASL handler itself (the map holds it behind the readiness gate). */
    private final SaslHandler sasl;

    /** The APIs without transactions (tests of other APIs). */
    public KafkaApis(ReplicaManager replicas, MetadataCache metadata, Cluster cluster, Groups groups, Clock clock,
            Scheduler scheduler) {
        this(replicas, metadata, cluster, groups, null, clock, scheduler);
    }

    /** @param transactions what the transaction APIs use, or null to serve none of them */
    public KafkaApis(ReplicaManager replicas, MetadataCache metadata, Cluster cluster, Groups groups,
            Transactions transactions, Clock clock, Scheduler scheduler) {
        this(replicas, metadata, cluster, groups, transactions, null, null, clock, scheduler);
    }

    /**
     * @param transactions what the transaction APIs use, or null to serve none of them
     * @param shareStates  what the share coordinator's APIs use, or null to serve none of them
     * @param shares       what the share-group fetch APIs use, or null to serve neither
     */
    public KafkaApis(ReplicaManager replicas, MetadataCache metadata, Cluster cluster, Groups groups,
            Transactions transactions, ShareStates shareStates, Shares shares, Clock clock, Scheduler scheduler) {
        this(replicas, metadata, cluster, groups, transactions, shareStates, shares, null, clock, scheduler);
    }

    /**
     * @param transactions what the transaction APIs use, or null to serve none of them
     * @param shareStates  what the share coordinator's APIs use, or null to serve none of them
     * @param shares       what the share-group fetch APIs use, or null to serve neither
     * @param quotas       the client quotas, or null to serve no AlterClientQuotas (and describe none)
     */
    public KafkaApis(ReplicaManager replicas, MetadataCache metadata, Cluster cluster, Groups groups,
            Transactions transactions, ShareStates shareStates, Shares shares, ClientQuotaStore quotas, Clock clock,
            Scheduler scheduler) {
        Map<ApiKeys, ApiHandler> served = new EnumMap<>(ApiKeys.class);
        served.put(ApiKeys.PRODUCE, transactions == null ? new ProduceHandler(replicas, metadata)
                : new ProduceHandler(replicas, metadata, transactions.verification(), cluster.controllerCalls()));
        served.put(ApiKeys.FETCH, new FetchHandler(replicas, metadata, clock));
        served.put(ApiKeys.LIST_OFFSETS, new ListOffsetsHandler(replicas));
        served.put(ApiKeys.OFFSET_FOR_LEADER_EPOCH, new OffsetForLeaderEpochHandler(replicas));
        served.put(ApiKeys.DELETE_RECORDS, new DeleteRecordsHandler(replicas));
        served.put(ApiKeys.API_VERSIONS, new ApiVersionsHandler());
        Security security = cluster.security();
        SaslHandler sasl = new SaslHandler(security.mechanisms(), security.maxReauth(), security.failedDelay(),
                scheduler, security.ticker());
        served.put(ApiKeys.SASL_HANDSHAKE, sasl);
        served.put(ApiKeys.SASL_AUTHENTICATE, sasl);
        if (security.acls() != null) {
            AclHandler acls = new AclHandler(security.acls(), cluster.controllerCalls());
            served.put(ApiKeys.CREATE_ACLS, acls);
            served.put(ApiKeys.DESCRIBE_ACLS, acls);
            served.put(ApiKeys.DELETE_ACLS, acls);
        }
        if (security.credentials() != null) {
            ScramCredentialsHandler credentials = new ScramCredentialsHandler(security.credentials(),
                    cluster.controllerCalls());
            served.put(ApiKeys.ALTER_USER_SCRAM_CREDENTIALS, credentials);
            served.put(ApiKeys.DESCRIBE_USER_SCRAM_CREDENTIALS, credentials);
        }
        served.put(ApiKeys.METADATA, new MetadataHandler(metadata, cluster.clusterId(),
                cluster.autoCreateTopics() ? cluster.controller() : null));
        AlterConfigsHandler alterConfigs = new AlterConfigsHandler(cluster.controller(), metadata,
                cluster.groupConfigs(), cluster.dynamicBrokerConfigs(), cluster.controllerCalls());
        served.put(ApiKeys.ALTER_CONFIGS, alterConfigs);
        served.put(ApiKeys.INCREMENTAL_ALTER_CONFIGS, alterConfigs);
        served.put(ApiKeys.DESCRIBE_CLUSTER, new DescribeClusterHandler(metadata, cluster.clusterId()));
        TopicAdminHandler topicAdmin = new TopicAdminHandler(cluster.controller(), metadata,
                new DelayedCreatePartitions(metadata, clock, scheduler));
        served.put(ApiKeys.CREATE_TOPICS, topicAdmin);
        served.put(ApiKeys.DELETE_TOPICS, topicAdmin);
        served.put(ApiKeys.CREATE_PARTITIONS, topicAdmin);
        ReassignmentHandler reassignments = new ReassignmentHandler(cluster.controller(), metadata);
        served.put(ApiKeys.ALTER_PARTITION_REASSIGNMENTS, reassignments);
        served.put(ApiKeys.LIST_PARTITION_REASSIGNMENTS, reassignments);
        served.put(ApiKeys.ELECT_LEADERS, new ElectLeadersHandler(cluster.controller(), metadata));
        served.put(ApiKeys.INIT_PRODUCER_ID, new InitProducerIdHandler(cluster.producerIds(), cluster.controllerCalls(),
                transactions == null ? null : transactions.coordinator()));
        ClientQuotasHandler clientQuotas = new ClientQuotasHandler(quotas, cluster.controllerCalls());
        served.put(ApiKeys.DESCRIBE_CLIENT_QUOTAS, clientQuotas);
        if (quotas != null) {
            served.put(ApiKeys.ALTER_CLIENT_QUOTAS, clientQuotas);
        }
        served.put(ApiKeys.DESCRIBE_CONFIGS, new DescribeConfigsHandler(metadata, cluster.brokerId(),
                cluster.brokerConfigs(), cluster.groupConfigs(), cluster.dynamicBrokerConfigs()));
        served.put(ApiKeys.FIND_COORDINATOR, new FindCoordinatorHandler(metadata, groups.metadata(),
                cluster.controller(), groups.settings(), transactions, shareStates, clock));
        if (shareStates != null) {
            ShareStateHandler shareState = new ShareStateHandler(shareStates.coordinator());
            served.put(ApiKeys.INITIALIZE_SHARE_GROUP_STATE, shareState);
            served.put(ApiKeys.READ_SHARE_GROUP_STATE, shareState);
            served.put(ApiKeys.WRITE_SHARE_GROUP_STATE, shareState);
            served.put(ApiKeys.DELETE_SHARE_GROUP_STATE, shareState);
            served.put(ApiKeys.READ_SHARE_GROUP_STATE_SUMMARY, shareState);
        }
        if (transactions != null) {
            TransactionHandler txn = new TransactionHandler(transactions.coordinator());
            served.put(ApiKeys.ADD_PARTITIONS_TO_TXN, txn);
            served.put(ApiKeys.ADD_OFFSETS_TO_TXN, txn);
            served.put(ApiKeys.END_TXN, txn);
            served.put(ApiKeys.DESCRIBE_TRANSACTIONS, txn);
            served.put(ApiKeys.LIST_TRANSACTIONS, txn);
            served.put(ApiKeys.WRITE_TXN_MARKERS, new WriteTxnMarkersHandler(replicas, transactions.offsetsMarkers(),
                    transactions.markerTimeout(), clock));
        }
        served.put(ApiKeys.DESCRIBE_PRODUCERS, new DescribeProducersHandler(replicas));
        served.put(ApiKeys.DESCRIBE_LOG_DIRS, new DescribeLogDirsHandler(replicas));
        served.put(ApiKeys.ALTER_REPLICA_LOG_DIRS, new AlterReplicaLogDirsHandler(replicas));
        if (groups.transactionalOffsets() != null) {
            served.put(ApiKeys.TXN_OFFSET_COMMIT, new TxnOffsetCommitHandler(groups.transactionalOffsets()));
        }
        GroupMembershipHandler membership = new GroupMembershipHandler(groups.coordinator());
        served.put(ApiKeys.JOIN_GROUP, membership);
        served.put(ApiKeys.SYNC_GROUP, membership);
        served.put(ApiKeys.HEARTBEAT, membership);
        served.put(ApiKeys.LEAVE_GROUP, membership);
        GroupOffsetsHandler offsets = new GroupOffsetsHandler(groups.offsets());
        served.put(ApiKeys.OFFSET_COMMIT, offsets);
        served.put(ApiKeys.OFFSET_FETCH, offsets);
        served.put(ApiKeys.OFFSET_DELETE, offsets);
        if (groups.consumerGroups() != null) {
            ConsumerGroupHandler consumerGroups = new ConsumerGroupHandler(groups.consumerGroups(), metadata);
            served.put(ApiKeys.CONSUMER_GROUP_HEARTBEAT, consumerGroups);
            served.put(ApiKeys.CONSUMER_GROUP_DESCRIBE, consumerGroups);
        }
        if (shares != null) {
            ShareFetchHandler shareFetch = new ShareFetchHandler(shares, metadata);
            served.put(ApiKeys.SHARE_FETCH, shareFetch);
            served.put(ApiKeys.SHARE_ACKNOWLEDGE, shareFetch);
        }
        if (groups.shareGroups() != null) {
            ShareGroupHandler shareGroups = new ShareGroupHandler(groups.shareGroups(), metadata);
            served.put(ApiKeys.SHARE_GROUP_HEARTBEAT, shareGroups);
            served.put(ApiKeys.SHARE_GROUP_DESCRIBE, shareGroups);
        }
        if (groups.shareGroupOffsets() != null) {
            ShareGroupOffsetsHandler shareOffsets = new ShareGroupOffsetsHandler(groups.shareGroupOffsets());
            served.put(ApiKeys.DESCRIBE_SHARE_GROUP_OFFSETS, shareOffsets);
            served.put(ApiKeys.ALTER_SHARE_GROUP_OFFSETS, shareOffsets);
            served.put(ApiKeys.DELETE_SHARE_GROUP_OFFSETS, shareOffsets);
        }
        GroupAdminHandler groupAdmin = new GroupAdminHandler(groups.admin());
        served.put(ApiKeys.LIST_GROUPS, groupAdmin);
        served.put(ApiKeys.DESCRIBE_GROUPS, groupAdmin);
        served.put(ApiKeys.DELETE_GROUPS, groupAdmin);
        this.handlers = MetadataReadinessGate.guard(served, replicas::servesClients);
        this.sasl = sasl;
    }

    KafkaApis(Map<ApiKeys, ApiHandler> handlers) {
        this.handlers = handlers; // as given: a test may change it while connections use it
        this.sasl = handlers.get(ApiKeys.SASL_HANDSHAKE) instanceof SaslHandler handler ? handler : null;
    }

    /** SASL exchanges that failed since the broker started (a counter's source). */
    public long failedAuthentications() {
        return sasl == null ? 0 : sasl.failedAuthentications();
    }

    /** The SASL handler, for raw tokens after SaslHandshake v0; null if SASL is not served. */
    SaslHandler sasl() {
        return sasl;
    }

    /** The handler of {@code key}, or null if this broker does not serve it. */
    ApiHandler handler(ApiKeys key) {
        return handlers.get(key);
    }
}
