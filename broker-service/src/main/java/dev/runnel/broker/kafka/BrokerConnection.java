package dev.runnel.broker.kafka;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;

import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.message.SaslHandshakeResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;
import org.apache.kafka.common.requests.ResponseHeader;
import org.apache.kafka.common.requests.SaslAuthenticateResponse;
import org.apache.kafka.common.requests.SaslHandshakeResponse;

import dev.runnel.broker.security.BrokerAuthentication;
import dev.runnel.broker.security.InterBrokerSecurity;

/**
 * One blocking, authenticated connection from this broker to another broker's Kafka listener:
 * a request goes out and its answer is read before the next one. Each new socket first proves with
 * SASL {@code RUNNEL-BROKER} that it is broker {@code brokerId} ({@link BrokerAuthentication}), so
 * the other side serves it what only brokers may ask (follower fetches, transaction markers). Any
 * I/O failure closes the socket; the next call reconnects. Not thread-safe: one thread owns it.
 */
final class BrokerConnection implements AutoCloseable {

    static final short SASL_HANDSHAKE_VERSION = 1;
    static final short SASL_AUTHENTICATE_VERSION = 2;
    /** The largest answer accepted. */
    private static final int MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

    private final String host;
    private final int port;
    private final int brokerId;
    private final int socketTimeoutMs;
    private final InterBrokerSecurity security;
    private final String clientId;
    private Socket socket;
    private DataInputStream in;
    private DataOutputStream out;
    private int correlationId;

    /**
     * @param clientId       the client id the requests carry (it names the purpose in the other broker's logs)
     * @param security       the sockets to open (plain or TLS), and how this broker proves on each new
     *                       connection that it is broker {@code brokerId}
     */
    BrokerConnection(String host, int port, int brokerId, int socketTimeoutMs, InterBrokerSecurity security,
            String clientId) {
        this.host = host;
        this.port = port;
        this.brokerId = brokerId;
        this.socketTimeoutMs = socketTimeoutMs;
        this.security = security;
        this.clientId = clientId;
    }

    String address() {
        return host + ":" + port;
    }

    /** Sends one request and reads its answer, connecting (and authenticating) first if need be. */
    AbstractResponse send(ApiKeys key, short version, ApiMessage body) throws IOException {
        try {
            connect();
            return exchange(key, version, body);
        } catch (IOException | RuntimeException e) {
            close();
            throw e instanceof IOException io ? io : new IOException("bad answer from " + address(), e);
        }
    }

    /** Proves to the other broker that this connection is broker {@code brokerId}. */
    private void authenticate() throws IOException {
        SaslHandshakeResponseData handshake = ((SaslHandshakeResponse) exchange(ApiKeys.SASL_HANDSHAKE,
                SASL_HANDSHAKE_VERSION, new SaslHandshakeRequestData().setMechanism(BrokerAuthentication.MECHANISM)))
                .data();
        if (handshake.errorCode() != Errors.NONE.code()) {
            throw new IOException(address() + " refused SASL " + BrokerAuthentication.MECHANISM + ": "
                    + Errors.forCode(handshake.errorCode()));
        }
        SaslAuthenticateResponseData challenge = saslAuthenticate(BrokerAuthentication.claim(brokerId));
        saslAuthenticate(security.authentication().answer(brokerId, challenge.authBytes()));
    }

    private SaslAuthenticateResponseData saslAuthenticate(byte[] message) throws IOException {
        SaslAuthenticateResponseData answer = ((SaslAuthenticateResponse) exchange(ApiKeys.SASL_AUTHENTICATE,
                SASL_AUTHENTICATE_VERSION, new SaslAuthenticateRequestData().setAuthBytes(message))).data();
        if (answer.errorCode() != Errors.NONE.code()) {
            throw new IOException(address() + " refused this broker's authentication: "
                    + Errors.forCode(answer.errorCode()) + " " + answer.errorMessage());
        }
        return answer;
    }

    private AbstractResponse exchange(ApiKeys key, short version, ApiMessage body) throws IOException {
        RequestHeader header = new RequestHeader(key, version, clientId, ++correlationId);
        ByteBuffer request = RequestUtils.serialize(header.data(), header.headerVersion(), body, version);
        out.writeInt(request.remaining());
        out.write(request.array(), request.arrayOffset() + request.position(), request.remaining());
        out.flush();
        int size = in.readInt();
        if (size < 0 || size > MAX_RESPONSE_BYTES) {
            throw new IOException(address() + " answered a frame of " + size + " bytes");
        }
        byte[] answer = new byte[size];
        in.readFully(answer);
        ByteBuffer buffer = ByteBuffer.wrap(answer);
        ResponseHeader responseHeader = ResponseHeader.parse(buffer, key.responseHeaderVersion(version));
        if (responseHeader.correlationId() != correlationId) {
            throw new IOException("answer " + responseHeader.correlationId() + " to request " + correlationId);
        }
        return AbstractResponse.parseResponse(key, new ByteBufferAccessor(buffer), version);
    }

    private void connect() throws IOException {
        if (socket != null) {
            return;
        }
        Socket s = security.sockets().createSocket();
        try {
            security.prepare(s);
            s.connect(new InetSocketAddress(host, port), socketTimeoutMs);
            s.setSoTimeout(socketTimeoutMs);
            s.setTcpNoDelay(true);
            in = new DataInputStream(new BufferedInputStream(s.getInputStream(), 64 * 1024));
            out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream(), 64 * 1024));
            socket = s;
            authenticate();
        } catch (IOException | RuntimeException e) {
            close();
            s.close();
            throw e;
        }
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // closing anyway
            }
            socket = null;
            in = null;
            out = null;
        }
    }
}
