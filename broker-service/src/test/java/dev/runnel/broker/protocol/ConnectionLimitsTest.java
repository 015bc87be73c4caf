package dev.runnel.broker.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.runnel.broker.security.SecurityProtocol;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * {@code max.connections.per.ip}, its overrides and {@code max.connections} on a real listener: a
 * connection over a limit is closed on arrival, one that leaves makes room, and the inter-broker
 * listener is never crowded out by clients.
 */
class ConnectionLimitsTest {

    private static final Duration DEADLINE = Duration.ofSeconds(10);

    private final List<Socket> sockets = new ArrayList<>();
    private KafkaServer server;

    @AfterEach
    void close() throws IOException {
        for (Socket socket : sockets) {
            socket.close();
        }
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void anAddressGetsItsLimitAndAnOverrideItsOwn() throws Exception {
        start(new ListenerLimits(1 << 20, Long.MAX_VALUE, Duration.ofMinutes(10), 100, 3,
                Map.of(InetAddress.getByName("127.0.0.2"), 5)));
        int port = server.port("CLIENT");

        for (int i = 0; i < 3; i++) {
            assertThat(served(connect("127.0.0.1", port))).isTrue();
        }
        Socket fourth = connect("127.0.0.1", port);
        assertThat(served(fourth)).as("over max.connections.per.ip").isFalse();
        for (int i = 0; i < 5; i++) {
            assertThat(served(connect("127.0.0.2", port))).as("the override of 127.0.0.2").isTrue();
        }
        assertThat(served(connect("127.0.0.2", port))).isFalse();

        sockets.get(0).close();
        await().atMost(DEADLINE).until(() -> served(connect("127.0.0.1", port)));
    }

    @Test
    void clientsCannotCrowdOutTheInterBrokerListener() throws Exception {
        start(new ListenerLimits(1 << 20, Long.MAX_VALUE, Duration.ofMinutes(10), 2, 100, Map.of()));

        assertThat(served(connect("127.0.0.1", server.port("CLIENT")))).isTrue();
        assertThat(served(connect("127.0.0.1", server.port("CLIENT")))).isTrue();
        assertThat(served(connect("127.0.0.1", server.port("CLIENT")))).as("over max.connections").isFalse();

        assertThat(served(connect("127.0.0.1", server.port("REPLICATION")))).isTrue();
    }

    private void start(ListenerLimits limits) {
        Listeners listeners = Listeners.parse("REPLICATION://127.0.0.1:0,CLIENT://127.0.0.1:0", null,
                "REPLICATION:PLAINTEXT,CLIENT:PLAINTEXT", "REPLICATION", "127.0.0.1");
        Map<ApiKeys, ApiHandler> handlers = new EnumMap<>(ApiKeys.class);
        handlers.put(ApiKeys.API_VERSIONS, new ApiVersionsHandler());
        server = new KafkaServer(listeners, ListenerSecurity.none(), limits, 1,
                RequestDispatcher.direct(new KafkaApis(handlers)), new SimpleMeterRegistry(), () -> { });
        server.start();
        assertThat(listeners.named("CLIENT").protocol()).isEqualTo(SecurityProtocol.PLAINTEXT);
    }

    private Socket connect(String from, int port) throws IOException {
        Socket socket = new Socket();
        socket.bind(new InetSocketAddress(from, 0));
        socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
        socket.setSoTimeout(2_000);
        sockets.add(socket);
        return socket;
    }

    /** Whether the listener answers an ApiVersions request on {@code socket} (false: it closed it). */
    private static boolean served(Socket socket) throws IOException {
        RequestHeader header = new RequestHeader(ApiKeys.API_VERSIONS, (short) 3, "limits-test", 1);
        ByteBuffer request = RequestUtils.serialize(header.data(), header.headerVersion(),
                new ApiVersionsRequestData().setClientSoftwareName("t").setClientSoftwareVersion("1"), (short) 3);
        try {
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            out.writeInt(request.remaining());
            out.write(request.array(), request.arrayOffset() + request.position(), request.remaining());
            out.flush();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            int size = in.readInt();
            in.readFully(new byte[size]);
            return true;
        } catch (SocketTimeoutException e) {
            throw e;
        } catch (IOException e) {
            return false; // closed by the listener: EOF or reset
        }
    }
}
