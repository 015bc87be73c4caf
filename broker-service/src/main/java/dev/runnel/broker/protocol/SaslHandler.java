package dev.runnel.broker.protocol;

import java.util.List;
import java.util.concurrent.CompletableFuture;

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
import dev.runnel.broker.security.BrokerAuthentication;

/**
 * SaslHandshake (v0-1) and SaslAuthenticate (v0-2). The only mechanism served is the brokers'
 * internal {@link BrokerAuthentication#MECHANISM}, over SaslAuthenticate (a v1 handshake);
 * user mechanisms (PLAIN, SCRAM) do not exist yet, so any other gets UNSUPPORTED_SASL_MECHANISM
 * with an empty list, and the connection goes on unauthenticated.
 */
final class SaslHandler implements ApiHandler {

    private static final Logger log = LoggerFactory.getLogger(SaslHandler.class);

    private final BrokerAuthentication brokers;

    SaslHandler(BrokerAuthentication brokers) {
        this.brokers = brokers;
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        if (request.apiKey() == ApiKeys.SASL_HANDSHAKE) {
            String mechanism = ((SaslHandshakeRequestData) request.body()).mechanism();
            SaslHandshakeResponseData response = new SaslHandshakeResponseData().setMechanisms(List.of());
            if (request.version() < 1 || !BrokerAuthentication.MECHANISM.equals(mechanism)) {
                // v0 would switch the connection to raw SASL tokens: no mechanism served here needs that.
                return CompletableFuture.completedFuture(response.setErrorCode(Errors.UNSUPPORTED_SASL_MECHANISM.code()));
            }
            Errors error = brokers.handshake(request.session(), mechanism) ? Errors.NONE : Errors.ILLEGAL_SASL_STATE;
            return CompletableFuture.completedFuture(response.setErrorCode(error.code())
                    .setMechanisms(List.of(BrokerAuthentication.MECHANISM)));
        }
        byte[] message = ((SaslAuthenticateRequestData) request.body()).authBytes();
        SaslAuthenticateResponseData response = new SaslAuthenticateResponseData().setAuthBytes(new byte[0])
                .setSessionLifetimeMs(0);
        try {
            response.setAuthBytes(brokers.authenticate(request.session(), message == null ? new byte[0] : message));
        } catch (BrokerAuthentication.AuthenticationException e) {
            log.warn("Authentication of a broker from {} failed: {}", request.clientHost(), e.getMessage());
            response.setErrorCode(Errors.SASL_AUTHENTICATION_FAILED.code()).setErrorMessage(e.getMessage());
        } catch (IllegalStateException e) {
            response.setErrorCode(Errors.ILLEGAL_SASL_STATE.code()).setErrorMessage(e.getMessage());
        }
        return CompletableFuture.completedFuture(response);
    }
}
