package dev.runnel.broker.security;

import java.util.OptionalInt;

/**
 * The server's side of one SASL exchange on one connection: each client message in, the server's
 * answer out, until {@link #complete()}. Not thread-safe: a connection's SASL requests are handled
 * one at a time.
 */
public interface SaslExchange {

    /** The mechanism, as the client named it in SaslHandshake. */
    String mechanism();

    /**
     * Takes the client's next message.
     *
     * @return the bytes to answer with (empty when the mechanism has nothing to say)
     * @throws AuthenticationException when the client failed to authenticate; its message names
     *                                 no secret and may be sent to the client
     */
    byte[] evaluate(byte[] clientMessage);

    /** Whether the client has authenticated. */
    boolean complete();

    /** Who the client proved it is; only once {@link #complete()}. */
    KafkaPrincipal principal();

    /** The broker the client proved it is, for the brokers' own mechanism; empty for every user mechanism. */
    default OptionalInt brokerId() {
        return OptionalInt.empty();
    }

    /** A failed exchange: the message is safe to send to the client and to log (no password, no proof). */
    final class AuthenticationException extends RuntimeException {

        public AuthenticationException(String message) {
            super(message);
        }
    }
}
