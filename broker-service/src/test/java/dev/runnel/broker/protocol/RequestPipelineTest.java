package dev.runnel.broker.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.DescribeClusterRequestData;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;
import org.apache.kafka.common.requests.ResponseHeader;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.runnel.common.time.Ticker;
import dev.runnel.testing.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * The request pipeline of a real listener: handlers run on the request-handler threads, so a
 * handler that blocks holds up neither its event loop nor the other connections, while one
 * connection's requests still run one at a time and are answered in order; a connection alone on
 * its event loop is handled there.
 */
class RequestPipelineTest {

    private static final int CONNECTIONS = 8;

    private final Map<ApiKeys, ApiHandler> handlers = new EnumMap<>(ApiKeys.class);
    /** Released by the test: DescribeCluster waits in its handler until then. */
    private final CountDownLatch release = new CountDownLatch(1);
    private final CountDownLatch blockedHandlerEntered = new CountDownLatch(1);
    /** Whether DescribeCluster, once released, is answered by closing the connection (as the readiness gate does). */
    private volatile boolean describeClusterClosesTheConnection;
    /** Whether DescribeCluster's handler throws an Error instead of answering. */
    private volatile boolean describeClusterThrowsAnError;
    /** Which thread ran each handler, and in which order handlers started. */
    private final List<String> handlerThreads = new CopyOnWriteArrayList<>();
    private final List<ApiKeys> started = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new ArrayList<>();
    private KafkaServer server;
    private RequestDispatcher dispatcher;
    private int correlation;

    @AfterEach
    void stop() throws IOException {
        release.countDown();
        for (Socket socket : sockets) {
            socket.close();
        }
        if (server != null) {
            server.stop();
        }
        if (dispatcher != null) {
            dispatcher.close();
        }
    }

    /**
     * A listener with one event loop. With handler threads, a neighbour connection has just sent a
     * request on that loop, so that for {@link RequestDispatcher#ALONE_FOR} no connection is alone
     * there and every handler runs on a handler thread; what it recorded is forgotten.
     */
    private void start(int ioThreads) throws IOException {
        start(ioThreads, null);
        if (ioThreads > 0) {
            apiVersionsHandledBy(connect());
            handlerThreads.clear();
            started.clear();
        }
    }

    /** With {@code ticker} non-null, the handler threads' dispatcher measures time on it. */
    private void start(int ioThreads, ManualClock ticker) {
        ApiVersionsHandler apiVersions = new ApiVersionsHandler();
        handlers.put(ApiKeys.API_VERSIONS, request -> {
            record(ApiKeys.API_VERSIONS);
            return apiVersions.handle(request);
        });
        handlers.put(ApiKeys.DESCRIBE_CLUSTER, request -> {
            record(ApiKeys.DESCRIBE_CLUSTER);
            if (describeClusterThrowsAnError) {
                throw new StackOverflowError("a handler bug");
            }
            blockedHandlerEntered.countDown();
            await(release);
            return describeClusterClosesTheConnection
                    ? CompletableFuture.failedFuture(new CloseConnectionException("refused"))
                    : CompletableFuture.completedFuture(new DescribeClusterResponseData().setClusterId("c"));
        });
        dispatcher = RequestDispatcher.of(new KafkaApis(handlers), ioThreads, 500,
                ticker == null ? Ticker.SYSTEM : ticker);
        // One network thread: every connection shares the event loop of every other.
        server = new KafkaServer("127.0.0.1", 0, ListenerLimits.defaults(), 1, dispatcher, new SimpleMeterRegistry(),
                () -> { });
        server.start();
    }

    @Test
    void aNegativeNumberOfNetworkThreadsIsRefusedNamingTheSetting() {
        dispatcher = new RequestDispatcher(new KafkaApis(handlers), 1, 500, Ticker.SYSTEM);
        assertThatThrownBy(() -> new KafkaServer("127.0.0.1", 0, ListenerLimits.defaults(), -1, dispatcher,
                new SimpleMeterRegistry(), () -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("num.network.threads");
    }

    @Test
    void handlersRunOnRequestHandlerThreadsNotOnTheEventLoop() throws IOException {
        start(2);
        Socket socket = connect();
        send(socket, ApiKeys.API_VERSIONS, (short) 3, apiVersions());

        assertThat(correlationOf(socket, ApiKeys.API_VERSIONS, (short) 3)).isEqualTo(correlation);
        assertThat(handlerThreads).singleElement().asString().startsWith("kafka-request-handler-");
    }

    @Test
    void aBlockedHandlerHoldsUpNeitherItsEventLoopNorOtherConnections() throws Exception {
        start(2);
        Socket blocked = connect();
        send(blocked, ApiKeys.DESCRIBE_CLUSTER, (short) 0, new DescribeClusterRequestData());
        int blockedCorrelation = correlation;
        assertThat(blockedHandlerEntered.await(10, TimeUnit.SECONDS)).isTrue();

        // With one network thread, all of these share the blocked one's event loop.
        for (int i = 0; i < CONNECTIONS; i++) {
            Socket other = connect();
            send(other, ApiKeys.API_VERSIONS, (short) 3, apiVersions());
            assertThat(correlationOf(other, ApiKeys.API_VERSIONS, (short) 3)).as("connection %d answered", i)
                    .isEqualTo(correlation);
        }

        release.countDown();
        assertThat(correlationOf(blocked, ApiKeys.DESCRIBE_CLUSTER, (short) 0)).isEqualTo(blockedCorrelation);
    }

    @Test
    void oneConnectionsRequestsRunOneAtATimeAndAreAnsweredInOrder() throws Exception {
        start(4);
        Socket socket = connect();
        send(socket, ApiKeys.DESCRIBE_CLUSTER, (short) 0, new DescribeClusterRequestData());
        int first = correlation;
        send(socket, ApiKeys.API_VERSIONS, (short) 3, apiVersions());
        int second = correlation;
        assertThat(blockedHandlerEntered.await(10, TimeUnit.SECONDS)).isTrue();
        // Idle handler threads are free, yet the pipelined request waits for its predecessor's handler.
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> dispatcher.queuedRequests() == 1);
        assertThat(started).containsExactly(ApiKeys.DESCRIBE_CLUSTER);

        release.countDown();
        assertThat(correlationOf(socket, ApiKeys.DESCRIBE_CLUSTER, (short) 0)).isEqualTo(first);
        assertThat(correlationOf(socket, ApiKeys.API_VERSIONS, (short) 3)).isEqualTo(second);
        assertThat(started).containsExactly(ApiKeys.DESCRIBE_CLUSTER, ApiKeys.API_VERSIONS);
    }

    @Test
    void aConnectionAloneOnItsEventLoopIsHandledThereUntilAnotherOpenConnectionSentWithinAloneFor()
            throws IOException {
        ManualClock ticker = new ManualClock();
        start(2, ticker);
        Socket alone = connect();
        assertThat(apiVersionsHandledBy(alone)).doesNotStartWith("kafka-request-handler-");
        assertThat(dispatcher.handledOnEventLoop()).isOne();

        // Another connection on the same (only) event loop: both go to the handler threads.
        Socket other = connect();
        assertThat(apiVersionsHandledBy(other)).startsWith("kafka-request-handler-");
        assertThat(apiVersionsHandledBy(alone)).startsWith("kafka-request-handler-");
        ticker.advance(RequestDispatcher.ALONE_FOR.minusMillis(1));
        assertThat(apiVersionsHandledBy(alone)).as("the other sent %s ago", RequestDispatcher.ALONE_FOR.minusMillis(1))
                .startsWith("kafka-request-handler-");
        ticker.advance(Duration.ofMillis(1));
        assertThat(apiVersionsHandledBy(alone)).doesNotStartWith("kafka-request-handler-");
        assertThat(dispatcher.handledOnEventLoop()).isEqualTo(2);

        // The other sends again, then closes: no time passes, yet once it is gone the first is alone.
        assertThat(apiVersionsHandledBy(other)).startsWith("kafka-request-handler-");
        other.close();
        Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> !apiVersionsHandledBy(alone).startsWith("kafka-request-handler-"));
        assertThat(dispatcher.handledOnEventLoop()).isEqualTo(3);
    }

    @Test
    void aConnectionThatBecomesAloneWaitsForItsRequestsOnHandlerThreadsBeforeOneIsHandledOnTheEventLoop()
            throws Exception {
        ManualClock ticker = new ManualClock();
        start(2, ticker);
        Socket socket = connect();
        Socket other = connect();
        assertThat(apiVersionsHandledBy(other)).doesNotStartWith("kafka-request-handler-");
        send(socket, ApiKeys.DESCRIBE_CLUSTER, (short) 0, new DescribeClusterRequestData());
        int blockedCorrelation = correlation;
        assertThat(blockedHandlerEntered.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(handlerThreads.get(1)).as("DescribeCluster's handler").startsWith("kafka-request-handler-");

        ticker.advance(RequestDispatcher.ALONE_FOR);
        send(socket, ApiKeys.API_VERSIONS, (short) 3, apiVersions());
        int next = correlation;
        // Alone long enough, but its DescribeCluster is still on a handler thread: it waits behind it.
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> dispatcher.queuedRequests() == 1);
        assertThat(started).containsExactly(ApiKeys.API_VERSIONS, ApiKeys.DESCRIBE_CLUSTER);

        release.countDown();
        assertThat(correlationOf(socket, ApiKeys.DESCRIBE_CLUSTER, (short) 0)).isEqualTo(blockedCorrelation);
        assertThat(correlationOf(socket, ApiKeys.API_VERSIONS, (short) 3)).isEqualTo(next);
        assertThat(handlerThreads.get(2)).startsWith("kafka-request-handler-");
        assertThat(dispatcher.handledOnEventLoop()).isOne();

        // Nothing of it left on the handler threads: its next request is handled on the event loop.
        assertThat(apiVersionsHandledBy(socket)).doesNotStartWith("kafka-request-handler-");
        assertThat(dispatcher.handledOnEventLoop()).isEqualTo(2);
    }

    @ParameterizedTest(name = "num.io.threads {0}")
    @ValueSource(ints = {0, 2})
    void aRequestAnsweredByClosingTheConnectionIsTheLastOfItsRequestsHandled(int ioThreads) throws Exception {
        describeClusterClosesTheConnection = true;
        start(ioThreads);
        Socket socket = connect();
        send(socket, ApiKeys.DESCRIBE_CLUSTER, (short) 0, new DescribeClusterRequestData());
        // Pipelined behind the request that will be refused: a produce batch after a refused one, say.
        send(socket, ApiKeys.API_VERSIONS, (short) 3, apiVersions());
        assertThat(blockedHandlerEntered.await(10, TimeUnit.SECONDS)).isTrue();

        release.countDown();
        assertThatThrownBy(() -> correlationOf(socket, ApiKeys.DESCRIBE_CLUSTER, (short) 0))
                .as("closed without an answer").isInstanceOf(EOFException.class);
        assertThat(started).containsExactly(ApiKeys.DESCRIBE_CLUSTER);
    }

    @ParameterizedTest(name = "num.io.threads {0}")
    @ValueSource(ints = {0, 2})
    void aHandlerThatThrowsAnErrorIsAnsweredUnknownServerErrorAndTheConnectionGoesOn(int ioThreads)
            throws Exception {
        describeClusterThrowsAnError = true;
        start(ioThreads);
        Socket socket = connect();
        for (int i = 0; i < 3; i++) {
            send(socket, ApiKeys.DESCRIBE_CLUSTER, (short) 0, new DescribeClusterRequestData());
            int failing = correlation;
            send(socket, ApiKeys.API_VERSIONS, (short) 3, apiVersions());
            int next = correlation;

            DataInputStream in = new DataInputStream(socket.getInputStream());
            byte[] answer = new byte[in.readInt()];
            in.readFully(answer);
            ByteBuffer buffer = ByteBuffer.wrap(answer);
            assertThat(ResponseHeader.parse(buffer, ApiKeys.DESCRIBE_CLUSTER.responseHeaderVersion((short) 0))
                    .correlationId()).isEqualTo(failing);
            DescribeClusterResponseData error = new DescribeClusterResponseData(
                    new ByteBufferAccessor(buffer), (short) 0);
            assertThat(error.errorCode()).isEqualTo(Errors.UNKNOWN_SERVER_ERROR.code());
            // The connection's next request is still handled, each time.
            assertThat(correlationOf(socket, ApiKeys.API_VERSIONS, (short) 3)).isEqualTo(next);
        }
        assertThat(dispatcher.queuedRequests()).isZero();
    }

    @Test
    void pastQueuedMaxRequestsTheCallerIsToldToStopReadingAndIsWokenWhenThereIsRoom() throws Exception {
        dispatcher = new RequestDispatcher(new KafkaApis(handlers), 1, 2, Ticker.SYSTEM);
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch woken = new CountDownLatch(1);
        AtomicInteger ran = new AtomicInteger();

        // The one handler thread is busy; then two requests of other connections wait for it.
        assertThat(dispatcher.enqueue(dispatcher.forConnection(), () -> {
            running.countDown();
            await(release);
        }, () -> { })).isTrue();
        assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(dispatcher.enqueue(dispatcher.forConnection(), ran::incrementAndGet, () -> { })).isTrue();
        assertThat(dispatcher.enqueue(dispatcher.forConnection(), ran::incrementAndGet, woken::countDown))
                .as("the second waiting request fills queued.max.requests").isFalse();
        assertThat(dispatcher.queuedRequests()).isEqualTo(2);
        assertThat(woken.getCount()).isOne();

        release.countDown();
        assertThat(woken.await(10, TimeUnit.SECONDS)).as("woken once a waiting request started").isTrue();
        Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(ran).hasValue(2));
        assertThat(dispatcher.queuedRequests()).isZero();
    }

    // ---- fixtures ---------------------------------------------------------------------------

    /** Sends ApiVersions on {@code socket}, reads its answer, and returns the thread its handler ran on. */
    private String apiVersionsHandledBy(Socket socket) throws IOException {
        send(socket, ApiKeys.API_VERSIONS, (short) 3, apiVersions());
        assertThat(correlationOf(socket, ApiKeys.API_VERSIONS, (short) 3)).isEqualTo(correlation);
        return handlerThreads.get(handlerThreads.size() - 1);
    }

    private void record(ApiKeys key) {
        handlerThreads.add(Thread.currentThread().getName());
        started.add(key);
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static ApiVersionsRequestData apiVersions() {
        return new ApiVersionsRequestData().setClientSoftwareName("runnel-test").setClientSoftwareVersion("1.0");
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket();
        sockets.add(socket);
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 10_000);
        socket.setSoTimeout(10_000); // every read below waits at most this long
        return socket;
    }

    private void send(Socket socket, ApiKeys key, short version, Message body) throws IOException {
        RequestHeader header = new RequestHeader(key, version, "test-client", ++correlation);
        ByteBuffer request = RequestUtils.serialize(header.data(), header.headerVersion(), body, version);
        ByteBuffer frame = ByteBuffer.allocate(4 + request.remaining());
        frame.putInt(request.remaining()).put(request).flip();
        OutputStream out = socket.getOutputStream();
        out.write(frame.array(), 0, frame.limit());
        out.flush();
    }

    /** Reads the next answer of {@code socket} and returns its correlation id. */
    private static int correlationOf(Socket socket, ApiKeys key, short version) throws IOException {
        DataInputStream in = new DataInputStream(socket.getInputStream());
        byte[] answer = new byte[in.readInt()];
        in.readFully(answer);
        return ResponseHeader.parse(ByteBuffer.wrap(answer), key.responseHeaderVersion(version)).correlationId();
    }
}
