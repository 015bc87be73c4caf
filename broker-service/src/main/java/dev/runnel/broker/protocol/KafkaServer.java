package dev.runnel.broker.protocol;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.apache.kafka.common.protocol.ApiKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import dev.runnel.broker.cluster.ControllerAdminClient;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.cluster.ProducerIdManager;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.group.GroupAdmin;
import dev.runnel.broker.group.GroupCoordinator;
import dev.runnel.broker.group.GroupMetadataManager;
import dev.runnel.broker.group.GroupOffsets;
import dev.runnel.broker.group.GroupSettings;
import dev.runnel.broker.kafka.ConsumerSubscriptions;
import dev.runnel.broker.purgatory.DelayedOperationPurgatory;
import dev.runnel.broker.replication.Partition;
import dev.runnel.broker.security.BrokerAuthentication;
import dev.runnel.common.TopicPartition;
import dev.runnel.common.time.ExecutorScheduler;
import dev.runnel.common.time.Scheduler;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.timeout.IdleStateHandler;

/**
 * The Kafka protocol listener: Netty, one pipeline per connection.
 *
 * <pre>
 * bytes --> IdleStateHandler (connections.max.idle.ms)
 *       --> RequestFrameDecoder (int32 size, at most socket.request.max.bytes; each frame read once
 *           into its own heap buffer, reserved from the listener's request memory)
 *       --> KafkaConnection (parse, dispatch to the API's handler, answer in order)
 * bytes <-- KafkaConnection (int32 size + answer, one write each)
 * </pre>
 *
 * Starts before the broker registers in the cluster, so the registration carries the port it
 * bound ({@link #port()}: port 0 leaves the choice to the kernel), and stops after it has left.
 */
public final class KafkaServer implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(KafkaServer.class);

    private final String host;
    private final int port;
    private final ListenerLimits limits;
    private final RequestMemoryPool requestMemory;
    private final Map<ApiKeys, ApiHandler> handlers;
    /** Where handlers wait on the controller, off the network threads. */
    private final ExecutorService controllerCalls = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "kafka-controller-calls");
        t.setDaemon(true);
        return t;
    });
    private final DelayedOperationPurgatory<TopicPartition> producePurgatory;
    private final DelayedOperationPurgatory<TopicPartition> fetchPurgatory;
    private final KafkaMetrics metrics;
    private final Groups groups;
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private Channel server;
    private volatile int boundPort = -1;

    public KafkaServer(String host, int port, ListenerLimits limits, MetadataCache metadata, Supplier<String> clusterId,
            ControllerAdminClient controller, ProducerIdManager producerIds, int brokerId,
            Map<String, String> brokerConfigs, ReplicaManager replicas, Scheduler purgatoryTimer,
            boolean autoCreateTopics, GroupSettings groupSettings, BrokerAuthentication brokerAuthentication,
            MeterRegistry registry) {
        this.host = host;
        this.port = port;
        this.limits = limits;
        this.requestMemory = new RequestMemoryPool(limits.queuedMaxRequestBytes());
        this.producePurgatory = new DelayedOperationPurgatory<>("produce", purgatoryTimer);
        this.fetchPurgatory = new DelayedOperationPurgatory<>("fetch", purgatoryTimer);
        this.metrics = new KafkaMetrics(registry);
        Gauge.builder("runnel.broker.request.memory.used", requestMemory, RequestMemoryPool::used).baseUnit("bytes")
                .description("Heap held by request frames read and not yet answered (queued.max.request.bytes)")
                .register(registry);
        Gauge.builder("runnel.broker.purgatory.size", producePurgatory, DelayedOperationPurgatory::watched)
                .tag("operation", "produce").description("Requests waiting, per watched partition").register(registry);
        Gauge.builder("runnel.broker.purgatory.size", fetchPurgatory, DelayedOperationPurgatory::watched)
                .tag("operation", "fetch").description("Requests waiting, per watched partition").register(registry);
        // A leadership or ISR change may decide what waiting requests wait for.
        replicas.onStateChange(tp -> {
            producePurgatory.checkAndComplete(tp);
            fetchPurgatory.checkAndComplete(tp);
        });
        // A follower's fetch or a committed ISR moved the high watermark: acks=all and consumers may go on.
        replicas.onHighWatermarkChange(tp -> {
            producePurgatory.checkAndComplete(tp);
            fetchPurgatory.checkAndComplete(tp);
        });
        this.groups = new Groups(replicas, metadata, producePurgatory, fetchPurgatory, groupSettings);
        Map<ApiKeys, ApiHandler> served = new EnumMap<>(ApiKeys.class);
        served.put(ApiKeys.PRODUCE, new ProduceHandler(replicas, metadata, producePurgatory, fetchPurgatory));
        served.put(ApiKeys.FETCH, new FetchHandler(replicas, metadata, fetchPurgatory));
        served.put(ApiKeys.LIST_OFFSETS, new ListOffsetsHandler(replicas));
        served.put(ApiKeys.OFFSET_FOR_LEADER_EPOCH, new OffsetForLeaderEpochHandler(replicas));
        served.put(ApiKeys.DELETE_RECORDS, new DeleteRecordsHandler(replicas, fetchPurgatory));
        served.put(ApiKeys.API_VERSIONS, new ApiVersionsHandler());
        SaslHandler sasl = new SaslHandler(brokerAuthentication);
        served.put(ApiKeys.SASL_HANDSHAKE, sasl);
        served.put(ApiKeys.SASL_AUTHENTICATE, sasl);
        ControllerAdminClient admin = controller;
        served.put(ApiKeys.METADATA, new MetadataHandler(metadata, clusterId, autoCreateTopics ? admin : null));
        AlterConfigsHandler alterConfigs = new AlterConfigsHandler(controller, metadata);
        served.put(ApiKeys.ALTER_CONFIGS, alterConfigs);
        served.put(ApiKeys.INCREMENTAL_ALTER_CONFIGS, alterConfigs);
        served.put(ApiKeys.DESCRIBE_CLUSTER, new DescribeClusterHandler(metadata, clusterId));
        TopicAdminHandler topicAdmin = new TopicAdminHandler(controller, metadata,
                new DelayedCreatePartitions(metadata, Clock.systemUTC(), purgatoryTimer));
        served.put(ApiKeys.CREATE_TOPICS, topicAdmin);
        served.put(ApiKeys.DELETE_TOPICS, topicAdmin);
        served.put(ApiKeys.CREATE_PARTITIONS, topicAdmin);
        served.put(ApiKeys.INIT_PRODUCER_ID, new InitProducerIdHandler(producerIds, controllerCalls));
        served.put(ApiKeys.DESCRIBE_CONFIGS, new DescribeConfigsHandler(metadata, brokerId, brokerConfigs));
        served.put(ApiKeys.FIND_COORDINATOR, new FindCoordinatorHandler(metadata, groups.metadata, controller,
                groupSettings));
        GroupMembershipHandler membership = new GroupMembershipHandler(groups.coordinator);
        served.put(ApiKeys.JOIN_GROUP, membership);
        served.put(ApiKeys.SYNC_GROUP, membership);
        served.put(ApiKeys.HEARTBEAT, membership);
        served.put(ApiKeys.LEAVE_GROUP, membership);
        GroupOffsetsHandler offsets = new GroupOffsetsHandler(groups.offsets);
        served.put(ApiKeys.OFFSET_COMMIT, offsets);
        served.put(ApiKeys.OFFSET_FETCH, offsets);
        served.put(ApiKeys.OFFSET_DELETE, offsets);
        GroupAdminHandler groupAdmin = new GroupAdminHandler(groups.admin);
        served.put(ApiKeys.LIST_GROUPS, groupAdmin);
        served.put(ApiKeys.DESCRIBE_GROUPS, groupAdmin);
        served.put(ApiKeys.DELETE_GROUPS, groupAdmin);
        this.handlers = MetadataReadinessGate.guard(served, replicas::servesClients);
    }

    /** The group coordinator's parts, for metrics and the admin endpoints. */
    public Groups groups() {
        return groups;
    }

    /**
     * The group coordinator of this broker: it serves the groups of the {@code __consumer_offsets}
     * partitions this broker leads, on its own threads (group queues, a loader, timers).
     */
    public static final class Groups {

        public final GroupMetadataManager metadata;
        public final GroupCoordinator coordinator;
        public final GroupOffsets offsets;
        public final GroupAdmin admin;
        private final ExecutorService groupThreads = Executors.newFixedThreadPool(2, daemon("group-coordinator"));
        private final ExecutorService loader = Executors.newSingleThreadExecutor(daemon("group-loader"));
        private final ExecutorScheduler timers = new ExecutorScheduler("group-timers-", 1);

        Groups(ReplicaManager replicas, MetadataCache metadataCache,
                DelayedOperationPurgatory<TopicPartition> producePurgatory,
                DelayedOperationPurgatory<TopicPartition> fetchPurgatory, GroupSettings settings) {
            Clock clock = Clock.systemUTC();
            OffsetsTopicLog log = new OffsetsTopicLog(replicas, producePurgatory, fetchPurgatory, clock,
                    settings.commitTimeout());
            this.metadata = new GroupMetadataManager(log, clock, groupThreads, loader, settings,
                    () -> metadataCache.snapshot().topic(OffsetsTopicLog.TOPIC).map(t -> t.partitions().size())
                            .orElse(settings.offsetsTopicPartitions()));
            this.coordinator = new GroupCoordinator(metadata, clock, timers);
            this.offsets = new GroupOffsets(coordinator, clock, ConsumerSubscriptions::topics);
            this.admin = new GroupAdmin(coordinator, clock);
            // Leading an offsets partition makes this broker the coordinator of its groups.
            replicas.onStateChange(tp -> {
                if (!tp.topic().equals(OffsetsTopicLog.TOPIC)) {
                    return;
                }
                boolean leads = replicas.partition(tp).map(Partition::isLeader).orElse(false);
                if (leads) {
                    metadata.becameLeader(tp.partition());
                } else {
                    metadata.resigned(tp.partition());
                }
            });
            timers.schedulePeriodically("offsets-expiry", offsets::expireOffsets, settings.retentionCheckInterval(),
                    settings.retentionCheckInterval());
        }

        void close() {
            timers.close();
            loader.shutdownNow();
            groupThreads.shutdownNow();
        }

        private static java.util.concurrent.ThreadFactory daemon(String name) {
            return r -> {
                Thread t = new Thread(r, name);
                t.setDaemon(true);
                return t;
            };
        }
    }

    /** The pipeline of one connection with Kafka's default limits, for the codec tests. */
    static void initPipeline(Channel channel, int maxRequestBytes, Map<ApiKeys, ApiHandler> handlers) {
        ListenerLimits defaults = ListenerLimits.defaults();
        initPipeline(channel, new ListenerLimits(maxRequestBytes, defaults.queuedMaxRequestBytes(),
                defaults.connectionsMaxIdle()), handlers, KafkaMetrics.none(), RequestMemoryPool.unbounded());
    }

    /** The pipeline of one connection; {@code memory} is shared by every connection of the listener. */
    static void initPipeline(Channel channel, ListenerLimits limits, Map<ApiKeys, ApiHandler> handlers,
            KafkaMetrics metrics, RequestMemoryPool memory) {
        channel.pipeline()
                .addLast("idle", new IdleStateHandler(true, 0, 0, limits.connectionsMaxIdle().toMillis(),
                        TimeUnit.MILLISECONDS))
                .addLast("frames", new RequestFrameDecoder(limits.maxRequestBytes(), memory))
                .addLast("requests", new KafkaConnection(handlers, metrics));
    }

    @Override
    public synchronized void start() {
        boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        workers = new MultiThreadIoEventLoopGroup(Math.max(2, Runtime.getRuntime().availableProcessors()),
                NioIoHandler.newFactory());
        try {
            server = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel channel) {
                            initPipeline(channel, limits, handlers, metrics, requestMemory);
                        }
                    })
                    .bind(new InetSocketAddress(host, port)).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while binding the Kafka listener", e);
        } catch (RuntimeException e) {
            stop();
            throw new IllegalStateException("cannot listen for Kafka clients on " + host + ":" + port + ": " + e, e);
        }
        boundPort = ((InetSocketAddress) server.localAddress()).getPort();
        log.info("Kafka listener on {}", server.localAddress());
    }

    /**
     * The port the listener bound: the configured one, or the kernel's choice when that is 0 (what
     * the broker registers and advertises); -1 before the listener has started.
     */
    public int port() {
        return boundPort;
    }

    @Override
    public synchronized void stop() {
        if (server != null) {
            server.close().syncUninterruptibly();
            server = null;
        }
        // Waiting requests answer with what they have rather than being dropped.
        producePurgatory.completeAll();
        fetchPurgatory.completeAll();
        controllerCalls.shutdownNow();
        groups.close();
        if (boss != null) {
            // No quiet period: the listener is closed, and the broker has already left the cluster.
            boss.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
            workers.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
            boss = null;
            workers = null;
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return server != null;
    }

    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 100;
    }
}
