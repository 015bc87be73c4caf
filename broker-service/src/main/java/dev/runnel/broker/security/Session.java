package dev.runnel.broker.security;

import java.util.OptionalInt;

/**
 * One Kafka connection's authentication: the listener it came in on, who it is, and where its SASL
 * exchange stands. Created per connection; thread-safe (requests of one connection may be handled
 * on several threads, one at a time).
 *
 * <p>A connection starts as {@link KafkaPrincipal#ANONYMOUS} (or the principal of its TLS client
 * certificate). On a SASL listener it must then authenticate before any request but ApiVersions,
 * SaslHandshake and SaslAuthenticate; on any listener a broker may prove it is one with
 * {@link BrokerAuthentication#MECHANISM}. An authenticated session may re-authenticate (KIP-368),
 * as the same principal only, and one whose lifetime ({@code connections.max.reauth.ms}) has passed
 * is served nothing until it has. A failed exchange fails the connection for good.
 */
public final class Session {

    private enum Stage {
        /** No SaslHandshake yet. */
        START,
        /** SaslHandshake chose a mechanism: its exchange is under way. */
        EXCHANGING,
        AUTHENTICATED,
        FAILED
    }

    private final String listener;
    private final SecurityProtocol protocol;
    private Stage stage = Stage.START;
    private KafkaPrincipal principal;
    private SaslExchange exchange;
    private boolean rawTokens;
    private int brokerId = -1;
    private boolean authenticatedOnce;
    private long expiresAtNanos = Long.MAX_VALUE;

    private Session(String listener, SecurityProtocol protocol, KafkaPrincipal principal) {
        this.listener = listener;
        this.protocol = protocol;
        this.principal = principal;
    }

    /** A session on a {@code PLAINTEXT} listener named {@code PLAINTEXT}, as before any request. */
    public static Session anonymous() {
        return on("PLAINTEXT", SecurityProtocol.PLAINTEXT, KafkaPrincipal.ANONYMOUS);
    }

    /** A new connection on {@code listener}, known as {@code principal} before any SASL exchange. */
    public static Session on(String listener, SecurityProtocol protocol, KafkaPrincipal principal) {
        return new Session(listener, protocol, principal);
    }

    /** The name of the listener the connection came in on (its endpoints are the ones it is told of). */
    public String listener() {
        return listener;
    }

    public SecurityProtocol protocol() {
        return protocol;
    }

    public synchronized KafkaPrincipal principal() {
        return principal;
    }

    /** Replaces the principal before any SASL exchange: the TLS client certificate's, once the handshake is done. */
    public synchronized void tlsPrincipal(KafkaPrincipal certificatePrincipal) {
        if (stage == Stage.START) {
            principal = certificatePrincipal;
        }
    }

    /** The broker this connection proved it is, if it did. */
    public synchronized OptionalInt broker() {
        return brokerId >= 0 && stage != Stage.FAILED ? OptionalInt.of(brokerId) : OptionalInt.empty();
    }

    /** Whether this connection proved it is broker {@code id}. */
    public synchronized boolean isBroker(int id) {
        return id >= 0 && brokerId == id && stage != Stage.FAILED;
    }

    /**
     * Whether a request other than ApiVersions and SASL's own may be served at {@code nowNanos}: on a
     * SASL listener only once authenticated and before the session's lifetime ends, elsewhere unless
     * an exchange failed.
     */
    public synchronized boolean mayServe(long nowNanos) {
        if (stage == Stage.FAILED) {
            return false;
        }
        if (!protocol.sasl()) {
            return true;
        }
        // A re-authentication under way leaves the session served until its lifetime ends.
        return authenticatedOnce && (expiresAtNanos == Long.MAX_VALUE || nowNanos - expiresAtNanos < 0);
    }

    /** Whether this connection has ever authenticated with SASL (so its frames may be large). */
    public synchronized boolean authenticated() {
        return authenticatedOnce && stage != Stage.FAILED;
    }

    /** Whether the connection must be closed: an exchange failed. */
    public synchronized boolean failed() {
        return stage == Stage.FAILED;
    }

    /**
     * Starts an exchange after SaslHandshake: on a new connection, or to re-authenticate an
     * authenticated one.
     *
     * @param raw whether the exchange goes on in raw SASL tokens (SaslHandshake v0) rather than SaslAuthenticate
     * @return false if an exchange is already under way or one failed
     */
    public synchronized boolean begin(SaslExchange next, boolean raw) {
        if (stage != Stage.START && stage != Stage.AUTHENTICATED) {
            return false;
        }
        exchange = next;
        rawTokens = raw;
        stage = Stage.EXCHANGING;
        return true;
    }

    /** The exchange under way, or null. */
    public synchronized SaslExchange exchange() {
        return stage == Stage.EXCHANGING ? exchange : null;
    }

    /** Whether the connection's next frame is a raw SASL token (after SaslHandshake v0), not a request. */
    public synchronized boolean expectsRawToken() {
        return stage == Stage.EXCHANGING && rawTokens;
    }

    /**
     * Ends the exchange under way successfully; the session lives until {@code expiresAtNanos}
     * ({@link Long#MAX_VALUE}: for good).
     *
     * @throws SaslExchange.AuthenticationException if a re-authentication named another principal
     */
    public synchronized void authenticated(long expiresAtNanos) {
        if (stage != Stage.EXCHANGING || exchange == null || !exchange.complete()) {
            throw new IllegalStateException("no completed SASL exchange on this connection");
        }
        KafkaPrincipal proved = exchange.principal();
        if (authenticatedOnce && !proved.equals(principal)) {
            stage = Stage.FAILED;
            throw new SaslExchange.AuthenticationException("a connection re-authenticates as the principal it had ("
                    + principal + "), not as " + proved);
        }
        principal = proved;
        brokerId = exchange.brokerId().orElse(brokerId);
        exchange = null;
        rawTokens = false;
        authenticatedOnce = true;
        this.expiresAtNanos = expiresAtNanos;
        stage = Stage.AUTHENTICATED;
    }

    /** The exchange under way failed: the connection is closed after its answer. */
    public synchronized void fail() {
        exchange = null;
        stage = Stage.FAILED;
    }
}
