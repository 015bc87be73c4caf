package dev.runnel.broker.security;

import java.util.OptionalInt;

/**
 * The server's side of one SASL exchange on one connection, fed the {@code auth_bytes} of each
 * SaslAuthenticate request in turn. Made by {@link SaslServerExchanges#create}; an exchange serves
 * one authentication and is then done: after a failure every further message fails too.
 *
 * <p>Implementations are thread-safe (a connection's requests may be handled on different
 * threads, one at a time).
 */
public interface SaslServerExchange {

    /** The mechanism, as SaslHandshake named it. */
    String mechanism();

    /**
     * Takes the client's next message.
     *
     * @return the bytes to answer with (empty when there is nothing to say)
     * @throws SaslAuthenticationException if authentication failed or the message came out of turn
     */
    byte[] evaluate(byte[] clientMessage);

    /** Whether the client has authenticated. */
    boolean complete();

    /**
     * The user the client proved it is (the principal is {@code User:<this>}).
     *
     * @throws IllegalStateException if the exchange has not completed
     */
    String authorizedUser();

    /** Who the client proved it is: {@code User:<authorizedUser>} for every user mechanism. */
    default Principal principal() {
        return Principal.user(authorizedUser());
    }

    /** The broker the client proved it is, for the brokers' own mechanism; empty for every user mechanism. */
    default OptionalInt brokerId() {
        return OptionalInt.empty();
    }
}
