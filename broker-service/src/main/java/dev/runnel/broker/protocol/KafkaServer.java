package dev.runnel.broker.protocol;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.protocol.ApiKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import dev.runnel.broker.security.Principal;
import dev.runnel.broker.security.Session;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.timeout.IdleStateHandler;

/**
 * The Kafka protocol listeners: Netty, one server socket per named {@link Listener} on shared event
 * loops, one pipeline per connection.
 *
 * <pre>
 * bytes --> SslHandler, TlsPrincipalHandler (SSL and SASL_SSL listeners: the client certificate's principal)
 *       --> IdleStateHandler (connections.max.idle.ms)
 *       --> RequestFrameDecoder (int32 size, at most socket.request.max.bytes, or
 *           sasl.server.max.receive.size before SASL authentication; each frame read once into its
 *           own heap buffer, reserved from the listener's request memory)
 *       --> KafkaConnection (parse, then the API's handler on a request-handler thread of the
 *           RequestDispatcher, one request of a connection at a time; answers in request order)
 * bytes <-- KafkaConnection (int32 size + answer, one write each, on the event loop)
 * </pre>
 *
 * Only the network: the handlers and what they use are built by the Spring configuration and
 * reach the listener through the {@link RequestDispatcher}.
 *
 * Every connection has its {@link Session}: the listener it came in on (whose endpoints it is told
 * of) and who it is. On a SASL listener a connection that has not authenticated within
 * {@code runnel.broker.sasl.authentication-timeout} is closed.
 *
 * Starts before the broker registers in the cluster, so the registration carries the ports it
 * bound ({@link #port()}: port 0 leaves the choice to the kernel), and stops after it has left.
 */
public final class KafkaServer implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(KafkaServer.class);

    private final Listeners listeners;
    private final ListenerSecurity security;
    private final ListenerLimits limits;
    private final RequestMemoryPool requestMemory;
    private final ConnectionLimits connections;
    private final RequestDispatcher dispatcher;
    private final KafkaMetrics metrics;
    private final Runnable beforeShutdown;
    private final int networkThreads;
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private final Map<String, Channel> servers = new LinkedHashMap<>();
    private final Map<String, Integer> boundPorts = new ConcurrentHashMap<>();

    /**
     * @param networkThreads the event loops that read and write the connections ({@code num.network.threads});
     *                       0: one per core, at least 2
     * @param beforeShutdown runs once the listener is closed and before the connections are: it
     *                       answers the requests still waiting (parked fetches, acks=all produces)
     */
    public KafkaServer(String host, int port, ListenerLimits limits, int networkThreads, RequestDispatcher dispatcher,
            MeterRegistry registry, Runnable beforeShutdown) {
        this(Listeners.single(Listener.plaintext(host, port, host)), ListenerSecurity.none(), limits, networkThreads,
                dispatcher, registry, beforeShutdown);
    }

    /**
     * @param listeners      the listeners to bind, each with its own security
     * @param security       what secured listeners need: TLS contexts, SASL's timeout
     */
    public KafkaServer(Listeners listeners, ListenerSecurity security, ListenerLimits limits, int networkThreads,
            RequestDispatcher dispatcher, MeterRegistry registry, Runnable beforeShutdown) {
        if (networkThreads < 0) {
            throw new IllegalArgumentException("num.network.threads must be 0 (one per core) or more, not "
                    + networkThreads);
        }
        this.networkThreads = networkThreads(networkThreads);
        this.listeners = listeners;
        this.security = security;
        this.limits = limits;
        this.dispatcher = dispatcher;
        this.beforeShutdown = beforeShutdown;
        this.requestMemory = new RequestMemoryPool(limits.queuedMaxRequestBytes());
        this.connections = new ConnectionLimits(limits.maxConnections(), limits.maxConnectionsPerIp(),
                limits.maxConnectionsPerIpOverrides());
        Gauge.builder("runnel.broker.connections", connections, ConnectionLimits::connections)
                .description("Client connections open (every listener but the inter-broker one)").register(registry);
        Gauge.builder("runnel.broker.connections.refused", connections, ConnectionLimits::refused)
                .description("Connections closed on arrival for max.connections or max.connections.per.ip")
                .register(registry);
        this.metrics = new KafkaMetrics(registry);
        Gauge.builder("runnel.broker.request.memory.used", requestMemory, RequestMemoryPool::used).baseUnit("bytes")
                .description("Heap held by request frames read and not yet handled (queued.max.request.bytes)")
                .register(registry);
        Gauge.builder("runnel.broker.request.queue.size", dispatcher, RequestDispatcher::queuedRequests)
                .description("Requests waiting for a request-handler thread (queued.max.requests)").register(registry);
        FunctionCounter.builder("runnel.broker.requests.on.event.loop", dispatcher,
                RequestDispatcher::handledOnEventLoop)
                .description("Requests handled on their event loop: their connection was the only one sending there")
                .register(registry);
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

    /** The pipeline of one PLAINTEXT connection; {@code memory} and {@code dispatcher} are shared by every connection. */
    static void initPipeline(Channel channel, ListenerLimits limits, RequestDispatcher dispatcher, KafkaMetrics metrics,
            RequestMemoryPool memory) {
        initPipeline(channel, Listener.plaintext("127.0.0.1", 0, "127.0.0.1"), ListenerSecurity.none(), limits,
                dispatcher, metrics, memory);
    }

    /**
     * The pipeline of one connection on {@code listener}: TLS first when the listener uses it, and a
     * SASL listener's connection closed if it has not authenticated within the SASL timeout.
     */
    static void initPipeline(Channel channel, Listener listener, ListenerSecurity security, ListenerLimits limits,
            RequestDispatcher dispatcher, KafkaMetrics metrics, RequestMemoryPool memory) {
        initPipeline(channel, listener, security, limits, dispatcher, metrics, memory, null);
    }

    /** The same, counted by {@code connections} (null: not counted) first of all. */
    static void initPipeline(Channel channel, Listener listener, ListenerSecurity security, ListenerLimits limits,
            RequestDispatcher dispatcher, KafkaMetrics metrics, RequestMemoryPool memory, ChannelHandler connections) {
        if (connections != null) {
            channel.pipeline().addLast("connections", connections);
        }
        String host = channel.remoteAddress() instanceof InetSocketAddress address && address.getAddress() != null
                ? address.getAddress().getHostAddress() : "";
        Session session = Session.on(listener.name(), listener.protocol(), Principal.ANONYMOUS, host,
                security.authorizer());
        if (listener.protocol().tls()) {
            channel.pipeline().addLast("tls", security.tls().newHandler(listener.name(), channel.alloc()))
                    .addLast("tls-principal", new TlsPrincipalHandler(session, security.tls()));
        }
        channel.pipeline()
                .addLast("idle", new IdleStateHandler(true, 0, 0, limits.connectionsMaxIdle().toMillis(),
                        TimeUnit.MILLISECONDS))
                .addLast("frames", new RequestFrameDecoder(limits.maxRequestBytes(),
                        security.maxUnauthenticatedRequestBytes(), session, memory))
                .addLast("requests", new KafkaConnection(dispatcher, metrics, session, security.ticker()));
        if (listener.protocol().sasl()) {
            Duration timeout = security.saslAuthenticationTimeout();
            channel.eventLoop().schedule(() -> {
                if (channel.isActive() && !session.authenticated()) {
                    log.info("Closing the connection from {} on listener {}: not authenticated within {}",
                            channel.remoteAddress(), listener.name(), timeout);
                    metrics.authenticationTimedOut();
                    channel.close();
                }
            }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public synchronized void start() {
        boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        workers = new MultiThreadIoEventLoopGroup(networkThreads, NioIoHandler.newFactory());
        for (Listener listener : listeners.all()) {
            Channel server;
            try {
                server = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
                        .childOption(ChannelOption.TCP_NODELAY, true)
                        .childHandler(new ChannelInitializer<SocketChannel>() {
                            @Override
                            protected void initChannel(SocketChannel channel) {
                                initPipeline(channel, listener, security, limits, dispatcher, metrics, requestMemory,
                                        connections.forListener(listener == listeners.interBroker()));
                            }
                        })
                        .bind(new InetSocketAddress(listener.bindHost(), listener.port())).sync().channel();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stop();
                throw new IllegalStateException("interrupted while binding the Kafka listener " + listener.name(), e);
            } catch (RuntimeException e) {
                stop();
                throw new IllegalStateException("cannot listen for Kafka clients on " + listener.bindHost() + ":"
                        + listener.port() + " (listener " + listener.name() + "): " + e, e);
            }
            servers.put(listener.name(), server);
            boundPorts.put(listener.name(), ((InetSocketAddress) server.localAddress()).getPort());
            log.info("Kafka listener {} ({}) on {}", listener.name(), listener.protocol(), server.localAddress());
        }
    }

    /**
     * The port the inter-broker listener bound: the configured one, or the kernel's choice when that
     * is 0 (what the broker registers and advertises); -1 before the listener has started.
     */
    public int port() {
        return port(listeners.interBroker().name());
    }

    /** The port listener {@code name} bound, or -1 before it has started. */
    public int port(String name) {
        return boundPorts.getOrDefault(name, -1);
    }

    /** The listeners as clients are told of them: advertised hosts, and bound ports where none is advertised. */
    public List<Listener> advertised() {
        List<Listener> told = new ArrayList<>();
        for (Listener l : listeners.all()) {
            told.add(new Listener(l.name(), l.protocol(), l.bindHost(), port(l.name()), l.advertisedHost(),
                    l.advertisedPort() == 0 ? port(l.name()) : l.advertisedPort()));
        }
        return told;
    }

    /** The configured listeners. */
    public Listeners listeners() {
        return listeners;
    }

    @Override
    public synchronized void stop() {
        for (Channel server : servers.values()) {
            server.close().syncUninterruptibly();
        }
        servers.clear();
        boundPorts.clear();
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
        return !servers.isEmpty();
    }

    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 100;
    }
}
