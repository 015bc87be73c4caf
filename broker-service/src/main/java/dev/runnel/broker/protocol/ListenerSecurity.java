package dev.runnel.broker.protocol;

import java.time.Duration;

import dev.runnel.broker.security.Authorizer;
import dev.runnel.common.time.Ticker;

/**
 * What the listeners need besides their addresses to secure connections.
 *
 * @param tls                            the TLS contexts of SSL and SASL_SSL listeners; null when no listener uses TLS
 * @param maxUnauthenticatedRequestBytes the largest frame before SASL authentication ({@code sasl.server.max.receive.size})
 * @param saslAuthenticationTimeout      how long a SASL listener's connection may take to authenticate
 * @param ticker                         the time sessions expire by ({@code connections.max.reauth.ms})
 * @param authorizer                     what every connection's requests are authorized by; null for none
 *                                       (every request allowed, as Kafka without {@code authorizer.class.name})
 */
public record ListenerSecurity(TlsContexts tls, int maxUnauthenticatedRequestBytes, Duration saslAuthenticationTimeout,
        Ticker ticker, Authorizer authorizer) {

    /** Kafka's {@code sasl.server.max.receive.size}: 512 KiB. */
    public static final int DEFAULT_MAX_UNAUTHENTICATED_REQUEST_BYTES = 512 * 1024;

    public ListenerSecurity {
        if (maxUnauthenticatedRequestBytes < 1 || saslAuthenticationTimeout.isNegative()
                || saslAuthenticationTimeout.isZero()) {
            throw new IllegalArgumentException("sasl.server.max.receive.size and the SASL timeout must be positive");
        }
    }

    /** Plaintext listeners only, with Kafka's defaults. */
    public static ListenerSecurity none() {
        return new ListenerSecurity(null, DEFAULT_MAX_UNAUTHENTICATED_REQUEST_BYTES, Duration.ofSeconds(10), Ticker.SYSTEM,
                null);
    }

    /** The TLS contexts; fails when a TLS listener has none. */
    @Override
    public TlsContexts tls() {
        if (tls == null) {
            throw new IllegalStateException("a TLS listener needs runnel.broker.ssl.* settings (a key store)");
        }
        return tls;
    }
}
