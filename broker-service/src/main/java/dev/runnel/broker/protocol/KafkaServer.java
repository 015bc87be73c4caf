package dev.runnel.broker.protocol;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.protocol.ApiKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

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
 *       --> KafkaConnection (parse, then the API's handler on a request-handler thread of the
 *           RequestDispatcher, one request of a connection at a time; answers in request order)
 * bytes <-- KafkaConnection (int32 size + answer, one write each, on the event loop)
 * </pre>
 *
 * Only the network: the handlers and what they use are built by the Spring configuration and
 * reach the listener through the {@link RequestDispatcher}.
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
    private final RequestDispatcher dispatcher;
    private final KafkaMetrics metrics;
    private final Runnable beforeShutdown;
    private final int networkThreads;
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private Channel server;
    private volatile int boundPort = -1;

    /**
     * @param networkThreads the event loops that read and write the connections ({@code num.network.threads});
     *                       0: one per core, at least 2
     * @param beforeShutdown runs once the listener is closed and before the connections are: it
     *                       answers the requests still waiting (parked fetches, acks=all produces)
     */
    public KafkaServer(String host, int port, ListenerLimits limits, int networkThreads, RequestDispatcher dispatcher,
            MeterRegistry registry, Runnable beforeShutdown) {
        if (networkThreads < 0) {
            throw new IllegalArgumentException("num.network.threads must be 0 (one per core) or more, not "
                    + networkThreads);
        }
        this.networkThreads = networkThreads(networkThreads);
        this.host = host;
        this.port = port;
        this.limits = limits;
        this.dispatcher = dispatcher;
        this.beforeShutdown = beforeShutdown;
        this.requestMemory = new RequestMemoryPool(limits.queuedMaxRequestBytes());
        this.metrics = new KafkaMetrics(registry);
        Gauge.builder("runnel.broker.request.memory.used", requestMemory, RequestMemoryPool::used).baseUnit("bytes")
                .description("Heap held by request frames read and not yet handled (queued.max.request.bytes)")
                .register(registry);
        Gauge.builder("runnel.broker.request.queue.size", dispatcher, RequestDispatcher::queuedRequests)
                .description("Requests waiting for a request-handler thread (queued.max.requests)").register(registry);
    }

    /** The event loops a configured {@code num.network.threads} gives: 0 is one per core, at least 2. */
    public static int networkThreads(int configured) {
        return configured == 0 ? Math.max(2, Runtime.getRuntime().availableProcessors()) : configured;
    }

    /** The pipeline of one connection with Kafka's default limits and handlers run inline, for the codec tests. */
    static void initPipeline(Channel channel, int maxRequestBytes, Map<ApiKeys, ApiHandler> handlers) {
        ListenerLimits defaults = ListenerLimits.defaults();
        initPipeline(channel, new ListenerLimits(maxRequestBytes, defaults.queuedMaxRequestBytes(),
                defaults.connectionsMaxIdle()), handlers, KafkaMetrics.none(), RequestMemoryPool.unbounded());
    }

    /** The same with the given limits and memory, handlers run inline. */
    static void initPipeline(Channel channel, ListenerLimits limits, Map<ApiKeys, ApiHandler> handlers,
            KafkaMetrics metrics, RequestMemoryPool memory) {
        initPipeline(channel, limits, RequestDispatcher.direct(new KafkaApis(handlers)), metrics, memory);
    }

    /** The pipeline of one connection; {@code memory} and {@code dispatcher} are shared by every connection. */
    static void initPipeline(Channel channel, ListenerLimits limits, RequestDispatcher dispatcher, KafkaMetrics metrics,
            RequestMemoryPool memory) {
        channel.pipeline()
                .addLast("idle", new IdleStateHandler(true, 0, 0, limits.connectionsMaxIdle().toMillis(),
                        TimeUnit.MILLISECONDS))
                .addLast("frames", new RequestFrameDecoder(limits.maxRequestBytes(), memory))
                .addLast("requests", new KafkaConnection(dispatcher, metrics));
    }

    @Override
    public synchronized void start() {
        boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        workers = new MultiThreadIoEventLoopGroup(networkThreads, NioIoHandler.newFactory());
        try {
            server = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel channel) {
                            initPipeline(channel, limits, dispatcher, metrics, requestMemory);
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
        beforeShutdown.run();
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
