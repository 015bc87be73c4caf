package dev.runnel.broker.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ListGroupsRequestData;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.message.SaslHandshakeResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.ListGroupsResponse;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;
import org.apache.kafka.common.requests.ResponseHeader;
import org.apache.kafka.common.requests.SaslAuthenticateResponse;
import org.apache.kafka.common.requests.SaslHandshakeResponse;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.runnel.broker.security.BrokerAuthentication;
import dev.runnel.broker.security.Principal;
import dev.runnel.broker.security.SaslMechanisms;
import dev.runnel.broker.security.SecurityProtocol;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;

/**
 * A SASL_PLAINTEXT listener's connection on an {@link EmbeddedChannel}: what may come before
 * authentication, the exchange over SaslAuthenticate and over raw tokens (v0), failures,
 * re-authentication and the session's lifetime, the authentication timeout.
 */
class SaslListenerTest {

    private static final Listener SASL = new Listener("CLIENTS", SecurityProtocol.SASL_PLAINTEXT, "127.0.0.1", 0,
            "127.0.0.1", 0);
    private static final int MAX_UNAUTHENTICATED = 1024;
    private static final Duration FAILED_DELAY = Duration.ofMillis(100);

    private final ManualClock clock = new ManualClock();
    private final ManualScheduler scheduler = new ManualScheduler(clock);
    private final Map<ApiKeys, ApiHandler> handlers = new EnumMap<>(ApiKeys.class);
    /** The principal each ListGroups request was handled as. */
    private final List<Principal> seenAs = new ArrayList<>();
    private Duration maxReauth = Duration.ZERO;
    private EmbeddedChannel channel;
    private int correlation;

    @BeforeEach
    void openConnection() {
        open();
    }

    private void open() {
        SaslMechanisms mechanisms = new SaslMechanisms(new BrokerAuthentication("secret"),
                Map.of("PLAIN", TestPlainExchange::new));
        handlers.put(ApiKeys.API_VERSIONS, new ApiVersionsHandler());
        SaslHandler sasl = new SaslHandler(mechanisms, maxReauth, FAILED_DELAY, scheduler, clock);
        handlers.put(ApiKeys.SASL_HANDSHAKE, sasl);
        handlers.put(ApiKeys.SASL_AUTHENTICATE, sasl);
        handlers.put(ApiKeys.LIST_GROUPS, request -> {
            seenAs.add(request.session().principal());
            return CompletableFuture.completedFuture(new ListGroupsResponseData());
        });
        channel = new EmbeddedChannel();
        KafkaServer.initPipeline(channel, SASL, new ListenerSecurity(null, MAX_UNAUTHENTICATED, Duration.ofSeconds(10),
                clock, null), ListenerLimits.defaults(), RequestDispatcher.direct(new KafkaApis(handlers)), KafkaMetrics.none(),
                RequestMemoryPool.unbounded());
    }

    @Test
    void beforeAuthenticationOnlyApiVersionsAndSaslAreServed() {
        roundTrip(ApiKeys.API_VERSIONS, (short) 3, new ApiVersionsRequestData().setClientSoftwareName("t")
                .setClientSoftwareVersion("1"));
        assertThat(channel.isActive()).isTrue();

        send(ApiKeys.LIST_GROUPS, (short) 4, new ListGroupsRequestData());

        assertThat(seenAs).as("not handled").isEmpty();
        assertThat(channel.isActive()).isFalse();
    }

    @Test
    void anAuthenticatedConnectionIsServedAsItsUser() {
        assertThat(handshake((short) 1, "PLAIN").errorCode()).isZero();
        SaslAuthenticateResponseData done = authenticate("alice", "right");

        assertThat(done.errorCode()).isZero();
        assertThat(done.sessionLifetimeMs()).as("no connections.max.reauth.ms").isZero();
        ListGroupsResponse groups = (ListGroupsResponse) roundTrip(ApiKeys.LIST_GROUPS, (short) 4,
                new ListGroupsRequestData());
        assertThat(groups.data().errorCode()).isZero();
        assertThat(seenAs).containsExactly(Principal.user("alice"));
    }

    @Test
    void aWrongPasswordIsAnsweredAfterTheDelayAndTheConnectionClosed() {
        handshake((short) 1, "PLAIN");
        send(ApiKeys.SASL_AUTHENTICATE, (short) 2, new SaslAuthenticateRequestData()
                .setAuthBytes(TestPlainExchange.plain("alice", "wrong")));

        assertThat(outbound()).as("held back for connection.failed.authentication.delay.ms").isEmpty();
        scheduler.advance(FAILED_DELAY);
        channel.runPendingTasks();

        SaslAuthenticateResponseData failed = ((SaslAuthenticateResponse) parse(ApiKeys.SASL_AUTHENTICATE, (short) 2,
                only(answers()))).data();
        assertThat(failed.errorCode()).isEqualTo(Errors.SASL_AUTHENTICATION_FAILED.code());
        assertThat(failed.errorMessage()).isEqualTo("invalid user name or password").doesNotContain("wrong");
        assertThat(channel.isActive()).isFalse();
    }

    @Test
    void anUnsupportedMechanismListsTheServedOnesAndTheClientMayChooseAgain() {
        SaslHandshakeResponseData refused = handshake((short) 1, "GSSAPI");

        assertThat(refused.errorCode()).isEqualTo(Errors.UNSUPPORTED_SASL_MECHANISM.code());
        assertThat(refused.mechanisms()).containsExactly("PLAIN", BrokerAuthentication.MECHANISM);
        assertThat(handshake((short) 1, "PLAIN").errorCode()).isZero();
        assertThat(authenticate("alice", "right").errorCode()).isZero();
    }

    @Test
    void afterAVersion0HandshakeTheExchangeGoesOnInRawTokens() {
        assertThat(handshake((short) 0, "PLAIN").errorCode()).isZero();

        byte[] token = TestPlainExchange.plain("bob", "right");
        channel.writeInbound(Unpooled.buffer().writeInt(token.length).writeBytes(token));
        channel.runPendingTasks();

        ByteBuffer answer = ByteBuffer.wrap(outbound());
        assertThat(answer.remaining()).as("one size-prefixed empty token").isEqualTo(4);
        assertThat(answer.getInt()).isZero();
        roundTrip(ApiKeys.LIST_GROUPS, (short) 4, new ListGroupsRequestData());
        assertThat(seenAs).containsExactly(Principal.user("bob"));
    }

    @Test
    void aWrongRawTokenClosesTheConnectionAfterTheDelay() {
        handshake((short) 0, "PLAIN");
        byte[] token = TestPlainExchange.plain("bob", "wrong");
        channel.writeInbound(Unpooled.buffer().writeInt(token.length).writeBytes(token));
        channel.runPendingTasks();
        assertThat(channel.isActive()).isTrue();

        scheduler.advance(FAILED_DELAY);
        channel.runPendingTasks();

        assertThat(outbound()).isEmpty();
        assertThat(channel.isActive()).isFalse();
    }

    @Test
    void aLargeFrameBeforeAuthenticationClosesTheConnectionButNotAfter() {
        channel.writeInbound(Unpooled.buffer().writeInt(MAX_UNAUTHENTICATED + 1).writeBytes(new byte[64]));
        assertThat(channel.isActive()).isFalse();

        open();
        handshake((short) 1, "PLAIN");
        authenticate("alice", "right");
        // A request of more than 1 KiB: a long client id.
        ListGroupsResponse groups = (ListGroupsResponse) roundTrip(ApiKeys.LIST_GROUPS, (short) 4,
                new ListGroupsRequestData(), "c".repeat(4000));
        assertThat(groups.data().errorCode()).isZero();
    }

    @Test
    void aSessionPastItsLifetimeIsServedNothingUntilItReauthenticates() {
        maxReauth = Duration.ofSeconds(60);
        open();
        handshake((short) 1, "PLAIN");
        assertThat(authenticate("alice", "right").sessionLifetimeMs()).isEqualTo(60_000);

        clock.advance(Duration.ofSeconds(50));
        handshake((short) 1, "PLAIN");
        assertThat(authenticate("alice", "right").sessionLifetimeMs()).as("a new lifetime").isEqualTo(60_000);
        clock.advance(Duration.ofSeconds(50));
        roundTrip(ApiKeys.LIST_GROUPS, (short) 4, new ListGroupsRequestData());
        assertThat(seenAs).hasSize(1);

        clock.advance(Duration.ofSeconds(11));
        send(ApiKeys.LIST_GROUPS, (short) 4, new ListGroupsRequestData());
        assertThat(seenAs).as("expired").hasSize(1);
        assertThat(channel.isActive()).isFalse();
    }

    @Test
    void reauthenticatingAsSomeoneElseFails() {
        maxReauth = Duration.ofSeconds(60);
        open();
        handshake((short) 1, "PLAIN");
        authenticate("alice", "right");

        handshake((short) 1, "PLAIN");
        send(ApiKeys.SASL_AUTHENTICATE, (short) 2, new SaslAuthenticateRequestData().setAuthBytes(TestPlainExchange.plain("bob", "right")));
        scheduler.advance(FAILED_DELAY);
        channel.runPendingTasks();

        SaslAuthenticateResponseData failed = ((SaslAuthenticateResponse) parse(ApiKeys.SASL_AUTHENTICATE, (short) 2,
                only(answers()))).data();
        assertThat(failed.errorCode()).isEqualTo(Errors.SASL_AUTHENTICATION_FAILED.code());
        assertThat(failed.errorMessage()).contains("User:alice");
        assertThat(channel.isActive()).isFalse();
    }

    @Test
    void aConnectionThatDoesNotAuthenticateInTimeIsClosed() {
        handshake((short) 1, "PLAIN");

        channel.advanceTimeBy(9, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();
        assertThat(channel.isActive()).isTrue();
        channel.advanceTimeBy(2, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();

        assertThat(channel.isActive()).isFalse();
    }

    @Test
    void anAuthenticatedConnectionOutlivesTheAuthenticationTimeout() {
        handshake((short) 1, "PLAIN");
        authenticate("alice", "right");

        channel.advanceTimeBy(11, TimeUnit.SECONDS);
        channel.runScheduledPendingTasks();

        assertThat(channel.isActive()).isTrue();
    }

    @Test
    void saslAuthenticateWithoutAHandshakeIsIllegalAndCloses() {
        send(ApiKeys.SASL_AUTHENTICATE, (short) 2, new SaslAuthenticateRequestData().setAuthBytes(TestPlainExchange.plain("a", "right")));
        scheduler.advance(FAILED_DELAY);
        channel.runPendingTasks();

        SaslAuthenticateResponseData failed = ((SaslAuthenticateResponse) parse(ApiKeys.SASL_AUTHENTICATE, (short) 2,
                only(answers()))).data();
        assertThat(failed.errorCode()).isEqualTo(Errors.ILLEGAL_SASL_STATE.code());
        assertThat(channel.isActive()).isFalse();
    }

    // ---- the wire -----------------------------------------------------------------------------

    private SaslHandshakeResponseData handshake(short version, String mechanism) {
        return ((SaslHandshakeResponse) roundTrip(ApiKeys.SASL_HANDSHAKE, version,
                new SaslHandshakeRequestData().setMechanism(mechanism))).data();
    }

    private SaslAuthenticateResponseData authenticate(String user, String password) {
        return ((SaslAuthenticateResponse) roundTrip(ApiKeys.SASL_AUTHENTICATE, (short) 2,
                new SaslAuthenticateRequestData().setAuthBytes(TestPlainExchange.plain(user, password)))).data();
    }

    private AbstractResponse roundTrip(ApiKeys key, short version, Message body) {
        return roundTrip(key, version, body, "test-client");
    }

    private AbstractResponse roundTrip(ApiKeys key, short version, Message body, String clientId) {
        send(key, version, body, clientId);
        return parse(key, version, only(answers()));
    }

    private void send(ApiKeys key, short version, Message body) {
        send(key, version, body, "test-client");
    }

    private void send(ApiKeys key, short version, Message body, String clientId) {
        RequestHeader header = new RequestHeader(key, version, clientId, ++correlation);
        ByteBuffer request = RequestUtils.serialize(header.data(), header.headerVersion(), body, version);
        channel.writeInbound(Unpooled.buffer().writeInt(request.remaining()).writeBytes(request));
        channel.runPendingTasks();
    }

    private AbstractResponse parse(ApiKeys key, short version, ByteBuffer answer) {
        ResponseHeader header = ResponseHeader.parse(answer, key.responseHeaderVersion(version));
        assertThat(header.correlationId()).isEqualTo(correlation);
        return AbstractResponse.parseResponse(key, new ByteBufferAccessor(answer), version);
    }

    private static ByteBuffer only(List<ByteBuffer> answers) {
        assertThat(answers).hasSize(1);
        return answers.get(0);
    }

    private List<ByteBuffer> answers() {
        ByteBuffer all = ByteBuffer.wrap(outbound());
        List<ByteBuffer> answers = new ArrayList<>();
        while (all.remaining() >= 4) {
            int size = all.getInt();
            ByteBuffer answer = all.slice();
            answer.limit(size);
            all.position(all.position() + size);
            answers.add(answer);
        }
        return answers;
    }

    private byte[] outbound() {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (Object out = channel.readOutbound(); out != null; out = channel.readOutbound()) {
            ByteBuf buf = (ByteBuf) out;
            byte[] bytes = new byte[buf.readableBytes()];
            buf.readBytes(bytes);
            all.writeBytes(bytes);
            buf.release();
        }
        return all.toByteArray();
    }
}
