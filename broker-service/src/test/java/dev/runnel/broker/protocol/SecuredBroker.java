package dev.runnel.broker.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.message.SaslHandshakeResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;
import org.apache.kafka.common.requests.ResponseHeader;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.runnel.broker.KafkaConsumerProtocolCodec;
import dev.runnel.broker.cluster.ControllerAdminClient;
import dev.runnel.broker.cluster.ControllerClient;
import dev.runnel.broker.cluster.ProducerIdManager;
import dev.runnel.broker.config.GroupConfigDefinitions;
import dev.runnel.broker.group.ConsumerGroupCoordinator;
import dev.runnel.broker.group.GroupAdmin;
import dev.runnel.broker.group.GroupCoordinator;
import dev.runnel.broker.group.GroupMetadataManager;
import dev.runnel.broker.group.GroupOffsets;
import dev.runnel.broker.group.InMemoryShareStatePersister;
import dev.runnel.broker.group.ShareGroupCoordinator;
import dev.runnel.broker.group.ShareGroupOffsets;
import dev.runnel.broker.group.TopicsView;
import dev.runnel.broker.group.TransactionalOffsets;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.security.AccessControlEntry;
import dev.runnel.broker.security.AclBinding;
import dev.runnel.broker.security.AclIndex;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.AclPermissionType;
import dev.runnel.broker.security.Authorizer;
import dev.runnel.broker.security.BrokerAuthentication;
import dev.runnel.broker.security.PatternType;
import dev.runnel.broker.security.Principal;
import dev.runnel.broker.security.ResourcePattern;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.broker.security.SaslMechanisms;
import dev.runnel.broker.security.SecurityProtocol;
import dev.runnel.broker.config.ShareGroupConfigs;
import dev.runnel.broker.storage.LogConfig;
import dev.runnel.broker.storage.LogManager;
import dev.runnel.broker.transaction.TransactionCoordinator;
import dev.runnel.broker.transaction.TransactionLog;
import dev.runnel.broker.transaction.TransactionMarkerSender;
import dev.runnel.broker.transaction.TransactionSettings;
import dev.runnel.broker.transaction.TransactionStateManager;
import dev.runnel.broker.zookeeper.GroupConfigStore;
import dev.runnel.cluster.AllocateProducerIdsResponse;
import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.ClusterError;
import dev.runnel.cluster.CommandResponse;
import dev.runnel.cluster.InternalHttpClient;
import dev.runnel.cluster.InternalTopics;
import dev.runnel.cluster.LeaderAndIsrRequest;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.ProducerIdBlock;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.cluster.UpdateMetadataRequest;
import dev.runnel.common.TopicPartition;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.FileRegion;
import io.netty.channel.embedded.EmbeddedChannel;

/**
 * One broker's real handlers (the replica manager over logs in a temp directory, the group and
 * transaction coordinators in memory) behind SASL_PLAINTEXT connections on {@link EmbeddedChannel}s
 * whose requests an {@link Authorizer} decides on: a test loads ACLs, connects as a user (SASL
 * PLAIN, any user, password {@code right}) or as a broker (RUNNEL-BROKER), and sends requests
 * built with kafka-clients. {@value #ADMIN_USER} is a super user. The authorizer's audit lines are
 * collected in {@link #audit} instead of being printed.
 *
 * <pre>
 *  orders-0, orders-1   led here, followed by broker 2 (ISR {1})
 *  payments-0           led here
 *  secrets-0            led here
 *  __consumer_offsets   one partition led here (the group coordinator's)
 *  __transaction_state  one partition led here (the transaction coordinator's)
 * </pre>
 */
final class SecuredBroker implements AutoCloseable {

    static final int SELF = 1;
    /** Another live broker, a follower of orders-0 and orders-1 (not in their ISR). */
    static final int FOLLOWER = 2;
    static final String ADMIN_USER = "admin";
    /** Every share group's settings: Kafka's defaults. */
    static final ShareGroupConfigs.Settings SHARE_SETTINGS = new ShareGroupConfigs.Settings(
            ShareGroupConfigs.AutoOffsetReset.LATEST, Duration.ofSeconds(30), 5, false, Duration.ofSeconds(45),
            Duration.ofSeconds(5));
    static final String LISTENER = "CLIENTS";
    static final UUID ORDERS_ID = UUID.fromString("5ec0e000-0000-4000-8000-000000000001");
    static final UUID PAYMENTS_ID = UUID.fromString("5ec0e000-0000-4000-8000-000000000002");
    static final UUID SECRETS_ID = UUID.fromString("5ec0e000-0000-4000-8000-000000000003");
    static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);
    static final TopicPartition PAYMENTS_0 = new TopicPartition("payments", 0);
    static final TopicPartition SECRETS_0 = new TopicPartition("secrets", 0);

    private static final String CLUSTER_SECRET = "authorization-test-secret";
    private static final int CONTROLLER = 3000;
    private static final long BROKER_EPOCH = 100;
    private static final Listener SASL = new Listener(LISTENER, SecurityProtocol.SASL_PLAINTEXT, "127.0.0.1", 0,
            "127.0.0.1", 0);
    private static final BrokerInfo SELF_INFO = new BrokerInfo(SELF, "127.0.0.1", 9092, 8081, null, BROKER_EPOCH,
            List.of(new BrokerInfo.Endpoint(LISTENER, "127.0.0.1", 9092, "SASL_PLAINTEXT")));
    private static final BrokerInfo FOLLOWER_INFO = new BrokerInfo(FOLLOWER, "127.0.0.2", 9092, 8081, null,
            BROKER_EPOCH, List.of(new BrokerInfo.Endpoint(LISTENER, "127.0.0.2", 9092, "SASL_PLAINTEXT")));

    final ManualScheduler scheduler = new ManualScheduler(new ManualClock(1_000_000));
    final MetadataCache metadata = new MetadataCache();
    final Authorizer authorizer = new Authorizer(Set.of(Principal.user(ADMIN_USER)), false);
    /** Every audit line the authorizer wrote, denials at INFO, allowances at DEBUG. */
    final ListAppender<ILoggingEvent> audit = new ListAppender<>();
    final LogManager logs;
    final ReplicaManager replicas;
    final GroupCoordinator groups;
    final ConsumerGroupCoordinator consumerGroups;
    final ShareGroupCoordinator shareGroups;
    final ShareGroupOffsets shareGroupOffsets;
    /** The share partitions' state (the share coordinator's, in memory). */
    final InMemoryShareStatePersister shareState = new InMemoryShareStatePersister();
    final GroupOffsets groupOffsets;
    final TransactionCoordinator transactions;
    private final Map<ApiKeys, ApiHandler> handlers = new EnumMap<>(ApiKeys.class);
    private final List<Connection> connections = new ArrayList<>();
    private final Logger auditLogger = (Logger) LoggerFactory.getLogger(Authorizer.AUDIT_LOGGER);

    /**
     * @param root       where the logs go
     * @param controller where topic changes go; null for a controller that is never there (every
     *                   call answered NOT_CONTROLLER)
     * @param autoCreate whether Metadata creates unknown topics ({@code auto.create.topics.enable})
     */
    SecuredBroker(Path root, ControllerAdminClient controller, boolean autoCreate) throws IOException {
        auditLogger.addAppender(audit);
        auditLogger.setLevel(Level.DEBUG);
        auditLogger.setAdditive(false);
        audit.start();
        authorizer.load(AclIndex.EMPTY);
        ControllerAdminClient admin = controller != null ? controller : absentController();

        logs = LogManager.open(root.resolve("logs"), LogConfig.DEFAULTS, scheduler.clock(), scheduler,
                LogManager.Settings.DEFAULTS);
        replicas = new ReplicaManager(SELF, List.of(logs), metadata, () -> BROKER_EPOCH, scheduler.clock(),
                (partition, isr) -> { }, scheduler);
        List<TopicInfo> topics = List.of(
                new TopicInfo("orders", ORDERS_ID, Map.of(), List.of(followed(0), followed(1))),
                new TopicInfo("payments", PAYMENTS_ID, Map.of(), List.of(ledHere(0))),
                new TopicInfo("secrets", SECRETS_ID, Map.of(), List.of(ledHere(0))),
                new TopicInfo(InternalTopics.CONSUMER_OFFSETS, UUID.randomUUID(), Map.of(), List.of(ledHere(0))),
                new TopicInfo(InternalTopics.TRANSACTION_STATE, UUID.randomUUID(), Map.of(), List.of(ledHere(0))));
        assertThat(replicas.updateMetadata(new UpdateMetadataRequest(CONTROLLER, 1, BROKER_EPOCH, 1, true,
                List.of(SELF_INFO, FOLLOWER_INFO), topics, List.of()))).isEqualTo(CommandResponse.ok(List.of()));
        assertThat(replicas.leaderAndIsr(new LeaderAndIsrRequest(CONTROLLER, 1, BROKER_EPOCH, topics,
                List.of(SELF_INFO, FOLLOWER_INFO)))).isEqualTo(CommandResponse.ok(List.of()));

        GroupMetadataManager groupMetadata = new GroupMetadataManager(new TxnOffsetCommitHandlerTest.InMemoryLog(),
                scheduler.clock(), Runnable::run, Runnable::run, TxnOffsetCommitHandlerTest.SETTINGS, () -> 1);
        groups = new GroupCoordinator(groupMetadata, scheduler.clock(), scheduler);
        groupOffsets = new GroupOffsets(groups, scheduler.clock(), bytes -> Set.of());
        TopicsView topicsView = new TopicsView() {
            @Override
            public Optional<Topic> byName(String name) {
                return metadata.snapshot().topic(name).map(t -> new Topic(t.topicId(), t.name(), t.partitions().size()));
            }

            @Override
            public Optional<Topic> byId(UUID id) {
                return metadata.topicById(id).map(t -> new Topic(t.topicId(), t.name(), t.partitions().size()));
            }

            @Override
            public Collection<String> names() {
                return metadata.snapshot().topics().keySet().stream().filter(t -> !InternalTopics.isInternal(t))
                        .toList();
            }
        };
        consumerGroups = new ConsumerGroupCoordinator(groups, scheduler.clock(), scheduler, topicsView,
                KafkaConsumerProtocolCodec.INSTANCE);
        shareGroups = new ShareGroupCoordinator(groups, scheduler.clock(), scheduler, topicsView,
                groupId -> SHARE_SETTINGS, () -> shareState, 200);
        shareGroupOffsets = new ShareGroupOffsets(groups, topicsView, () -> shareState,
                (topic, partition) -> CompletableFuture.completedFuture(replicas.partition(
                        new TopicPartition(topic, partition)).map(p -> p.log().highWatermark()).orElse(-1L)));
        groupMetadata.becameLeader(0);
        TransactionalOffsets transactionalOffsets = new TransactionalOffsets(groups, scheduler.clock(),
                () -> (id, producerId, epoch, partition) -> CompletableFuture.completedFuture(Errors.NONE));

        TransactionStateManager transactionState = new TransactionStateManager(new InMemoryTransactionLog(),
                scheduler.clock(), Runnable::run, Runnable::run, () -> 1);
        long[] nextProducerId = {5000};
        transactions = new TransactionCoordinator(transactionState, new TransactionMarkerSender() {
            @Override
            public CompletableFuture<Void> send(Markers markers) {
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public void removeMarkers(int transactionStatePartition) {
            }
        }, scheduler.clock(), scheduler, TransactionSettings.DEFAULTS, () -> nextProducerId[0]++,
                group -> new TopicPartition(InternalTopics.CONSUMER_OFFSETS, 0));
        transactions.startup();
        transactions.onElection(0, 0);
        KafkaApis.Transactions transactionApis = new KafkaApis.Transactions(transactions,
                (id, producerId, epoch, partitions) -> CompletableFuture.completedFuture(Map.of()),
                KafkaApis.transactionStateTopic(1, 1, 1, 1 << 20),
                (partition, producerId, epoch, coordinatorEpoch, commit) -> CompletableFuture.completedFuture(Errors.NONE),
                Duration.ofSeconds(5));
        ProducerIdManager producerIds = new ProducerIdManager(SELF, () -> BROKER_EPOCH,
                request -> new AllocateProducerIdsResponse(ClusterError.NONE,
                        new ProducerIdBlock(SELF, 1000, ProducerIdBlock.SIZE)));

        handlers.put(ApiKeys.API_VERSIONS, new ApiVersionsHandler());
        SaslHandler sasl = new SaslHandler(new SaslMechanisms(new BrokerAuthentication(CLUSTER_SECRET),
                Map.of("PLAIN", TestPlainExchange::new)), Duration.ZERO, Duration.ZERO, scheduler, scheduler.clock());
        handlers.put(ApiKeys.SASL_HANDSHAKE, sasl);
        handlers.put(ApiKeys.SASL_AUTHENTICATE, sasl);
        handlers.put(ApiKeys.PRODUCE, new ProduceHandler(replicas, metadata));
        handlers.put(ApiKeys.FETCH, new FetchHandler(replicas, metadata, scheduler.clock()));
        handlers.put(ApiKeys.LIST_OFFSETS, new ListOffsetsHandler(replicas));
        handlers.put(ApiKeys.OFFSET_FOR_LEADER_EPOCH, new OffsetForLeaderEpochHandler(replicas));
        handlers.put(ApiKeys.DELETE_RECORDS, new DeleteRecordsHandler(replicas));
        handlers.put(ApiKeys.DESCRIBE_PRODUCERS, new DescribeProducersHandler(replicas));
        handlers.put(ApiKeys.DESCRIBE_LOG_DIRS, new DescribeLogDirsHandler(replicas));
        handlers.put(ApiKeys.ALTER_REPLICA_LOG_DIRS, new AlterReplicaLogDirsHandler(replicas));
        handlers.put(ApiKeys.METADATA, new MetadataHandler(metadata, () -> "test-cluster", autoCreate ? admin : null));
        handlers.put(ApiKeys.DESCRIBE_CLUSTER, new DescribeClusterHandler(metadata, () -> "test-cluster"));
        TopicAdminHandler topicAdmin = new TopicAdminHandler(admin, metadata,
                new DelayedCreatePartitions(metadata, scheduler.clock(), scheduler));
        handlers.put(ApiKeys.CREATE_TOPICS, topicAdmin);
        handlers.put(ApiKeys.DELETE_TOPICS, topicAdmin);
        handlers.put(ApiKeys.CREATE_PARTITIONS, topicAdmin);
        ReassignmentHandler reassignments = new ReassignmentHandler(admin, metadata);
        handlers.put(ApiKeys.ALTER_PARTITION_REASSIGNMENTS, reassignments);
        handlers.put(ApiKeys.LIST_PARTITION_REASSIGNMENTS, reassignments);
        handlers.put(ApiKeys.ELECT_LEADERS, new ElectLeadersHandler(admin, metadata));
        GroupConfigStore groupConfigs = absentGroupConfigs();
        handlers.put(ApiKeys.DESCRIBE_CONFIGS, new DescribeConfigsHandler(metadata, SELF, Map.of("broker.id", "1"),
                groupConfigs));
        AlterConfigsHandler alterConfigs = new AlterConfigsHandler(admin, metadata, groupConfigs, Runnable::run);
        handlers.put(ApiKeys.ALTER_CONFIGS, alterConfigs);
        handlers.put(ApiKeys.INCREMENTAL_ALTER_CONFIGS, alterConfigs);
        handlers.put(ApiKeys.FIND_COORDINATOR, new FindCoordinatorHandler(metadata, groupMetadata, admin,
                TxnOffsetCommitHandlerTest.SETTINGS, transactionApis, scheduler.clock()));
        GroupMembershipHandler membership = new GroupMembershipHandler(groups);
        handlers.put(ApiKeys.JOIN_GROUP, membership);
        handlers.put(ApiKeys.SYNC_GROUP, membership);
        handlers.put(ApiKeys.HEARTBEAT, membership);
        handlers.put(ApiKeys.LEAVE_GROUP, membership);
        GroupOffsetsHandler offsets = new GroupOffsetsHandler(groupOffsets);
        handlers.put(ApiKeys.OFFSET_COMMIT, offsets);
        handlers.put(ApiKeys.OFFSET_FETCH, offsets);
        handlers.put(ApiKeys.OFFSET_DELETE, offsets);
        ConsumerGroupHandler consumerGroupHandler = new ConsumerGroupHandler(consumerGroups, metadata);
        handlers.put(ApiKeys.CONSUMER_GROUP_HEARTBEAT, consumerGroupHandler);
        handlers.put(ApiKeys.CONSUMER_GROUP_DESCRIBE, consumerGroupHandler);
        ShareGroupHandler shareGroupHandler = new ShareGroupHandler(shareGroups, metadata);
        handlers.put(ApiKeys.SHARE_GROUP_HEARTBEAT, shareGroupHandler);
        handlers.put(ApiKeys.SHARE_GROUP_DESCRIBE, shareGroupHandler);
        ShareGroupOffsetsHandler shareOffsets = new ShareGroupOffsetsHandler(shareGroupOffsets);
        handlers.put(ApiKeys.DESCRIBE_SHARE_GROUP_OFFSETS, shareOffsets);
        handlers.put(ApiKeys.ALTER_SHARE_GROUP_OFFSETS, shareOffsets);
        handlers.put(ApiKeys.DELETE_SHARE_GROUP_OFFSETS, shareOffsets);
        GroupAdminHandler groupAdmin = new GroupAdminHandler(new GroupAdmin(groups, shareGroupOffsets));
        handlers.put(ApiKeys.LIST_GROUPS, groupAdmin);
        handlers.put(ApiKeys.DESCRIBE_GROUPS, groupAdmin);
        handlers.put(ApiKeys.DELETE_GROUPS, groupAdmin);
        handlers.put(ApiKeys.INIT_PRODUCER_ID, new InitProducerIdHandler(producerIds, Runnable::run, transactions));
        TransactionHandler txn = new TransactionHandler(transactions);
        handlers.put(ApiKeys.ADD_PARTITIONS_TO_TXN, txn);
        handlers.put(ApiKeys.ADD_OFFSETS_TO_TXN, txn);
        handlers.put(ApiKeys.END_TXN, txn);
        handlers.put(ApiKeys.DESCRIBE_TRANSACTIONS, txn);
        handlers.put(ApiKeys.LIST_TRANSACTIONS, txn);
        handlers.put(ApiKeys.TXN_OFFSET_COMMIT, new TxnOffsetCommitHandler(transactionalOffsets));
        handlers.put(ApiKeys.WRITE_TXN_MARKERS, new WriteTxnMarkersHandler(replicas, transactionApis.offsetsMarkers(),
                Duration.ofSeconds(5), scheduler.clock()));
    }

    /** A controller admin client that never finds an active controller: every call is NOT_CONTROLLER. */
    private static ControllerAdminClient absentController() {
        // Never started: reading the controller's node fails at once, without a network.
        return new ControllerAdminClient(new ControllerClient(CuratorFrameworkFactory.newClient("127.0.0.1:1",
                new RetryOneTime(1)), new InternalHttpClient("secret", Duration.ofSeconds(1))));
    }

    /** Group configs without a ZooKeeper: every group has the defaults, and a write fails at once. */
    private static GroupConfigStore absentGroupConfigs() {
        // Never started: a write fails without a network.
        return new GroupConfigStore(CuratorFrameworkFactory.newClient("127.0.0.1:1", new RetryOneTime(1)),
                new GroupConfigDefinitions(GroupConfigDefinitions.ShareDefaults.kafka()), Duration.ZERO);
    }

    private static PartitionInfo followed(int index) {
        return new PartitionInfo(index, List.of(SELF, FOLLOWER), new PartitionState(SELF, 0, List.of(SELF), 0));
    }

    private static PartitionInfo ledHere(int index) {
        return new PartitionInfo(index, List.of(SELF), new PartitionState(SELF, 0, List.of(SELF), 0));
    }

    @Override
    public void close() throws IOException {
        for (Connection c : connections) {
            c.channel.finishAndReleaseAll();
        }
        transactions.shutdown();
        logs.close();
        auditLogger.detachAppender(audit);
        auditLogger.setLevel(null);
        auditLogger.setAdditive(true);
    }

    // ---- ACLs -------------------------------------------------------------------------------

    /** Makes {@code acls} the cluster's ACLs, replacing the previous ones. */
    void acls(AclBinding... acls) {
        authorizer.load(AclIndex.of(List.of(acls)));
    }

    static AclBinding allow(String user, AclOperation operation, ResourceType type, String name) {
        return acl(user, AclPermissionType.ALLOW, operation, type, name, PatternType.LITERAL);
    }

    static AclBinding deny(String user, AclOperation operation, ResourceType type, String name) {
        return acl(user, AclPermissionType.DENY, operation, type, name, PatternType.LITERAL);
    }

    static AclBinding allowPrefixed(String user, AclOperation operation, ResourceType type, String prefix) {
        return acl(user, AclPermissionType.ALLOW, operation, type, prefix, PatternType.PREFIXED);
    }

    /** @param user a user name, or {@code *} for every principal */
    static AclBinding acl(String user, AclPermissionType permission, AclOperation operation, ResourceType type,
            String name, PatternType patternType) {
        String principal = user.equals("*") ? Principal.WILDCARD : Principal.user(user).toString();
        return new AclBinding(new ResourcePattern(type, name, patternType),
                new AccessControlEntry(principal, AccessControlEntry.WILDCARD_HOST, operation, permission));
    }

    /** The audit lines of denials (INFO) written since the last call. */
    List<String> deniedLines() {
        List<String> lines = audit.list.stream().filter(e -> e.getLevel() == Level.INFO)
                .map(ILoggingEvent::getFormattedMessage).toList();
        audit.list.clear();
        return lines;
    }

    // ---- connections ------------------------------------------------------------------------

    /** A connection authenticated as user {@code user}, its requests decided by the authorizer. */
    Connection connect(String user) {
        return connect(user, authorizer);
    }

    /** A connection authenticated as {@code user} on a broker without an authorizer (everything allowed). */
    Connection connectWithoutAuthorizer(String user) {
        return connect(user, null);
    }

    private Connection connect(String user, Authorizer decides) {
        Connection c = open(decides);
        SaslHandshakeResponseData handshake = (SaslHandshakeResponseData) c.send(ApiKeys.SASL_HANDSHAKE, (short) 1,
                new SaslHandshakeRequestData().setMechanism("PLAIN"));
        assertThat(handshake.errorCode()).isEqualTo(Errors.NONE.code());
        SaslAuthenticateResponseData done = (SaslAuthenticateResponseData) c.send(ApiKeys.SASL_AUTHENTICATE, (short) 2,
                new SaslAuthenticateRequestData().setAuthBytes(("\u0000" + user + "\u0000right")
                        .getBytes(StandardCharsets.UTF_8)));
        assertThat(done.errorCode()).isEqualTo(Errors.NONE.code());
        return c;
    }

    /** A connection that proved it is broker {@code brokerId} (SASL RUNNEL-BROKER), with no ACL of its own. */
    Connection connectAsBroker(int brokerId) {
        Connection c = open(authorizer);
        SaslHandshakeResponseData handshake = (SaslHandshakeResponseData) c.send(ApiKeys.SASL_HANDSHAKE, (short) 1,
                new SaslHandshakeRequestData().setMechanism(BrokerAuthentication.MECHANISM));
        assertThat(handshake.errorCode()).isEqualTo(Errors.NONE.code());
        SaslAuthenticateResponseData challenge = (SaslAuthenticateResponseData) c.send(ApiKeys.SASL_AUTHENTICATE,
                (short) 2, new SaslAuthenticateRequestData().setAuthBytes(BrokerAuthentication.claim(brokerId)));
        byte[] proof = new BrokerAuthentication(CLUSTER_SECRET).answer(brokerId, challenge.authBytes());
        SaslAuthenticateResponseData done = (SaslAuthenticateResponseData) c.send(ApiKeys.SASL_AUTHENTICATE, (short) 2,
                new SaslAuthenticateRequestData().setAuthBytes(proof));
        assertThat(done.errorCode()).isEqualTo(Errors.NONE.code());
        return c;
    }

    private Connection open(Authorizer decides) {
        Connection c = new Connection();
        KafkaServer.initPipeline(c.channel, SASL, new ListenerSecurity(null, 512 * 1024, Duration.ofSeconds(10),
                scheduler.clock(), decides), ListenerLimits.defaults(), RequestDispatcher.direct(new KafkaApis(handlers)),
                KafkaMetrics.none(), RequestMemoryPool.unbounded());
        connections.add(c);
        return c;
    }

    /** One client connection: requests go in as frames, answers come back parsed at the request's version. */
    static final class Connection {

        final EmbeddedChannel channel = new EmbeddedChannel();
        private int correlation;

        /**
         * Sends a request and returns its answer's body, waiting for it when a handler answers on
         * another thread (one that asked the controller).
         */
        ApiMessage send(ApiKeys key, short version, Message body) {
            sendOneWay(key, version, body);
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(5)).until(() -> {
                channel.runPendingTasks();
                received.writeBytes(outbound());
                return received.size() > 4;
            });
            ByteBuffer answer = ByteBuffer.wrap(received.toByteArray());
            int size = answer.getInt();
            assertThat(answer.remaining()).as("one whole answer").isEqualTo(size);
            ResponseHeader responseHeader = ResponseHeader.parse(answer, key.responseHeaderVersion(version));
            assertThat(responseHeader.correlationId()).isEqualTo(correlation);
            return AbstractResponse.parseResponse(key, new ByteBufferAccessor(answer), version).data();
        }

        /** Sends a request that is not answered (acks=0). */
        void sendOneWay(ApiKeys key, short version, Message body) {
            RequestHeader header = new RequestHeader(key, version, "authorization-test", ++correlation);
            ByteBuffer request = RequestUtils.serialize(header.data(), header.headerVersion(), body, version);
            channel.writeInbound(Unpooled.buffer().writeInt(request.remaining()).writeBytes(request));
            channel.runPendingTasks();
        }

        boolean isOpen() {
            return channel.isActive();
        }

        byte[] outbound() {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            for (Object out = channel.readOutbound(); out != null; out = channel.readOutbound()) {
                if (out instanceof FileRegion region) {
                    try {
                        WritableByteChannel sink = Channels.newChannel(all);
                        while (region.transferred() < region.count()) {
                            region.transferTo(sink, region.transferred());
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    region.release();
                    continue;
                }
                ByteBuf buf = (ByteBuf) out;
                byte[] bytes = new byte[buf.readableBytes()];
                buf.readBytes(bytes);
                all.writeBytes(bytes);
                buf.release();
            }
            return all.toByteArray();
        }
    }

    // ---- in-memory collaborators ------------------------------------------------------------

    /** {@code __transaction_state} in memory: appends are written at once. */
    private static final class InMemoryTransactionLog implements TransactionLog {

        private final List<Entry> entries = new ArrayList<>();

        @Override
        public synchronized CompletableFuture<Void> append(int partition, int coordinatorEpoch, List<Entry> written) {
            entries.addAll(written);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public synchronized void read(int partition, BiConsumer<byte[], byte[]> records) {
            entries.forEach(e -> records.accept(e.key(), e.value()));
        }
    }
}
