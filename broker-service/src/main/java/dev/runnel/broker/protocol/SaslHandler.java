package dev.runnel.broker.protocol;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.message.SaslHandshakeResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.kafka.ResponseFrame;
import dev.runnel.broker.security.SaslAuthenticationException;
import dev.runnel.broker.security.SaslMechanisms;
import dev.runnel.broker.security.SaslServerExchange;
import dev.runnel.broker.security.SecurityError;
import dev.runnel.broker.security.Session;
import dev.runnel.common.time.Scheduler;
import dev.runnel.common.time.Ticker;

/**
 * SaslHandshake (v0-1) and SaslAuthenticate (v0-2): the mechanisms of the connection's listener
 * ({@link SaslMechanisms}). After a v1 handshake the exchange goes on in SaslAuthenticate requests;
 * after a v0 handshake (older clients, Sarama's default) in raw size-prefixed SASL tokens, which
 * the connection hands to {@link #evaluateRawToken}.
 *
 * <p>A failed exchange is answered SASL_AUTHENTICATION_FAILED after
 * {@code connection.failed.authentication.delay.ms}, so guessing passwords is slow, and then the
 * connection is closed; it is logged and counted, never with what the client sent. A successful one
 * lives {@code connections.max.reauth.ms} when that is set (the client is told, and re-authenticates
 * before it ends: KIP-368), otherwise for the connection's life.
 */
final class SaslHandler implements ApiHandler {

    private static final Logger log = LoggerFactory.getLogger(SaslHandler.class);

    private final SaslMechanisms mechanisms;
    private final Duration maxReauth;
    private final Duration failedDelay;
    private final Scheduler scheduler;
    private final Ticker ticker;
    private final AtomicLong failures = new AtomicLong();

    /**
     * @param maxReauth   {@code connections.max.reauth.ms}: zero for sessions that never expire
     * @param failedDelay {@code connection.failed.authentication.delay.ms}
     */
    SaslHandler(SaslMechanisms mechanisms, Duration maxReauth, Duration failedDelay, Scheduler scheduler,
            Ticker ticker) {
        this.mechanisms = mechanisms;
        this.maxReauth = maxReauth;
        this.failedDelay = failedDelay;
        this.scheduler = scheduler;
        this.ticker = ticker;
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        Session session = request.session();
        if (request.apiKey() == ApiKeys.SASL_HANDSHAKE) {
            return CompletableFuture.completedFuture(handshake(session, request.version(),
                    ((SaslHandshakeRequestData) request.body()).mechanism()));
        }
        SaslAuthenticateResponseData response = new SaslAuthenticateResponseData().setAuthBytes(new byte[0])
                .setSessionLifetimeMs(0);
        SaslServerExchange exchange = session.exchange();
        if (exchange == null || session.expectsRawToken()) {
            response.setErrorCode(Errors.ILLEGAL_SASL_STATE.code())
                    .setErrorMessage("SaslAuthenticate without a SaslHandshake v1 before it");
            if (!session.protocol().sasl()) {
                // As Kafka on a listener without SASL: an error, and the connection goes on.
                return CompletableFuture.completedFuture(response);
            }
            session.fail();
            return failed(response);
        }
        byte[] message = ((SaslAuthenticateRequestData) request.body()).authBytes();
        try {
            response.setAuthBytes(exchange.evaluate(message == null ? new byte[0] : message));
            if (exchange.complete()) {
                long lifetime = authenticated(session);
                response.setSessionLifetimeMs(request.version() >= 1 ? lifetime : 0);
            }
            return CompletableFuture.completedFuture(response);
        } catch (SaslAuthenticationException e) {
            refused(session, request.clientHost(), exchange.mechanism(), e);
            Errors error = e.error() == SecurityError.ILLEGAL_SASL_STATE ? Errors.ILLEGAL_SASL_STATE
                    : Errors.SASL_AUTHENTICATION_FAILED;
            return failed(response.setAuthBytes(new byte[0]).setErrorCode(error.code()).setErrorMessage(e.getMessage()));
        }
    }

    private ApiMessage handshake(Session session, short version, String mechanism) {
        List<String> enabled = mechanisms.enabled(session.protocol());
        SaslHandshakeResponseData response = new SaslHandshakeResponseData().setMechanisms(enabled);
        var exchange = mechanisms.start(mechanism, session.protocol());
        if (exchange.isEmpty()) {
            return response.setErrorCode(Errors.UNSUPPORTED_SASL_MECHANISM.code());
        }
        if (!session.begin(exchange.get(), version == 0)) {
            return response.setErrorCode(Errors.ILLEGAL_SASL_STATE.code());
        }
        return response.setErrorCode(Errors.NONE.code());
    }

    /**
     * A raw SASL token of an exchange begun by SaslHandshake v0: the answer token, size-prefixed;
     * a failure closes the connection (raw tokens have no error field), after the same delay.
     */
    CompletableFuture<ResponseFrame> evaluateRawToken(Session session, String clientHost, ByteBuffer token) {
        SaslServerExchange exchange = session.exchange();
        byte[] bytes = new byte[token.remaining()];
        token.get(bytes);
        try {
            byte[] answer = exchange.evaluate(bytes);
            if (exchange.complete()) {
                authenticated(session);
            }
            ByteBuffer frame = ByteBuffer.allocate(4 + answer.length).putInt(answer.length).put(answer).flip();
            return CompletableFuture.completedFuture(new ResponseFrame(List.of(new ResponseFrame.Bytes(frame)),
                    frame.remaining()));
        } catch (SaslAuthenticationException e) {
            refused(session, clientHost, exchange.mechanism(), e);
            CompletableFuture<ResponseFrame> closed = new CompletableFuture<>();
            scheduler.schedule("sasl-failure", () -> closed.completeExceptionally(new CloseConnectionException(
                    "SASL " + exchange.mechanism() + " authentication failed")), failedDelay);
            return closed;
        }
    }

    /** @return the session's lifetime in milliseconds, 0 when it does not expire */
    private long authenticated(Session session) {
        long lifetime = maxReauth.isZero() || maxReauth.isNegative() ? 0 : maxReauth.toMillis();
        session.authenticated(lifetime == 0 ? Long.MAX_VALUE : ticker.nanoTime() + maxReauth.toNanos());
        log.debug("Connection on listener {} authenticated as {}", session.listener(), session.principal());
        return lifetime;
    }

    private void refused(Session session, String clientHost, String mechanism, SaslAuthenticationException e) {
        session.fail();
        failures.incrementAndGet();
        log.info("Failed authentication with {} on listener {} (SASL {}): {}", clientHost, session.listener(),
                mechanism, e.detail());
    }

    /** The answer after the failed-authentication delay; the connection closes once it is written. */
    private CompletableFuture<ApiMessage> failed(SaslAuthenticateResponseData response) {
        CompletableFuture<ApiMessage> delayed = new CompletableFuture<>();
        if (failedDelay.isZero() || failedDelay.isNegative()) {
            delayed.complete(response);
        } else {
            scheduler.schedule("sasl-failure", () -> delayed.complete(response), failedDelay);
        }
        return delayed;
    }

    /** Failed SASL exchanges since the broker started. */
    long failedAuthentications() {
        return failures.get();
    }
}
