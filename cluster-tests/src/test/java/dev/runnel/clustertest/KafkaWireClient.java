package dev.runnel.clustertest;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;

import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;
import org.apache.kafka.common.requests.ResponseHeader;

/** One Kafka request over a plain socket, for APIs the kafka-clients public API does not expose alone. */
final class KafkaWireClient {

    private KafkaWireClient() {
    }

    static AbstractResponse send(int port, ApiKeys key, short version, Message body) throws IOException {
        return send(port, key, version, body, Duration.ofSeconds(30));
    }

    /** As {@link #send(int, ApiKeys, short, Message)}, waiting at most {@code timeout} to connect and for the answer. */
    static AbstractResponse send(int port, ApiKeys key, short version, Message body, Duration timeout)
            throws IOException {
        return send("127.0.0.1", port, key, version, body, timeout);
    }

    /** As {@link #send(int, ApiKeys, short, Message, Duration)} to a broker on {@code host}. */
    static AbstractResponse send(String host, int port, ApiKeys key, short version, Message body, Duration timeout)
            throws IOException {
        RequestHeader header = new RequestHeader(key, version, "cluster-test", 1);
        ByteBuffer request = RequestUtils.serialize(header.data(), header.headerVersion(), body, version);
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), (int) Math.min(5_000, timeout.toMillis()));
            socket.setSoTimeout((int) timeout.toMillis());
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            out.writeInt(request.remaining());
            out.write(request.array(), request.arrayOffset() + request.position(), request.remaining());
            out.flush();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            byte[] answer = new byte[in.readInt()];
            in.readFully(answer);
            ByteBuffer buffer = ByteBuffer.wrap(answer);
            ResponseHeader.parse(buffer, key.responseHeaderVersion(version));
            return AbstractResponse.parseResponse(key, new ByteBufferAccessor(buffer), version);
        }
    }
}
