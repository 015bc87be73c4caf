package dev.runnel.broker.security;

import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Predicate;

/**
 * One Kafka connection's authentication: the listener it came in on, who it is, and where its SASL
 * exchange stands. Created per connection; thread-safe (requests of one connection may be handled
 * on several threads, one at a time).
 *
 * <p>A connection starts as {@link Principal#ANONYMOUS} (or the principal of its TLS client
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
    private final String clientHost;
    /** Decides what the principal may do; null when the broker authorizes nothing (every request allowed). */
    private final Authorizer authorizer;
    private Stage stage = Stage.START;
    private Principal principal;
    private SaslServerExchange exchange;
    private boolean rawTokens;
    private int brokerId = -1;
    private boolean authenticatedOnce;
    private long expiresAtNanos = Long.MAX_VALUE;

    private Session(String listener, SecurityProtocol protocol, Principal principal, String clientHost,
            Authorizer authorizer) {
        this.listener = listener;
        this.protocol = protocol;
        this.principal = principal;
        this.clientHost = clientHost;
        this.authorizer = authorizer;
    }

    /** A session on a {@code PLAINTEXT} listener named {@code PLAINTEXT}, as before any request, allowed everything. */
    public static Session anonymous() {
        return on("PLAINTEXT", SecurityProtocol.PLAINTEXT, Principal.ANONYMOUS);
    }

    /** A new connection on {@code listener}, known as {@code principal} before any SASL exchange, allowed everything. */
    public static Session on(String listener, SecurityProtocol protocol, Principal principal) {
        return new Session(listener, protocol, principal, "", null);
    }

    /**
     * A new connection from {@code clientHost} (an address, {@code 127.0.0.1}) whose requests
     * {@code authorizer} decides on (null: every request allowed).
     */
    public static Session on(String listener, SecurityProtocol protocol, Principal principal, String clientHost,
            Authorizer authorizer) {
        return new Session(listener, protocol, principal, clientHost, authorizer);
    }

    // ---- what the connection may do -----------------------------------------------------------

    /** Whether the broker authorizes requests at all ({@code authorizer.class.name} in Kafka). */
    public boolean authorizes() {
        return authorizer != null;
    }

    /**
     * Whether the connection may do {@code operation} on the resource, the decision written to the
     * audit log either way. A broker that proved itself may do anything.
     */
    public boolean allowed(AclOperation operation, ResourceType type, String name) {
        return allowed(operation, type, name, Authorizer.Audit.EXPLICIT);
    }

    /** The same, audited as {@code audit} says (a listing that leaves out what is denied logs no denial). */
    public boolean allowed(AclOperation operation, ResourceType type, String name, Authorizer.Audit audit) {
        if (authorizer == null || broker().isPresent()) {
            return true;
        }
        try {
            return authorizer.authorize(principal(), clientHost, operation, type, name, audit)
                    == AuthorizationResult.ALLOWED;
        } catch (AuthorizerNotReadyException e) {
            return false;
        }
    }

    /** Whether the connection may do {@code operation} on some resource of {@code type} (Kafka's authorizeByResourceType). */
    public boolean allowedOnAny(AclOperation operation, ResourceType type) {
        if (authorizer == null || broker().isPresent()) {
            return true;
        }
        try {
            return authorizer.authorizeByResourceType(principal(), clientHost, operation, type)
                    == AuthorizationResult.ALLOWED;
        } catch (AuthorizerNotReadyException e) {
            return false;
        }
    }

    /** The name of the listener the connection came in on (its endpoints are the ones it is told of). */
    public String listener() {
        return listener;
    }

    public SecurityProtocol protocol() {
        return protocol;
    }

    public synchronized Principal principal() {
        return principal;
    }

    /** Replaces the principal before any SASL exchange: the TLS client certificate's, once the handshake is done. */
    public synchronized void tlsPrincipal(Principal certificatePrincipal) {
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
    public synchronized boolean begin(SaslServerExchange next, boolean raw) {
        if (stage != Stage.START && stage != Stage.AUTHENTICATED) {
            return false;
        }
        exchange = next;
        rawTokens = raw;
        stage = Stage.EXCHANGING;
        return true;
    }

    /** The exchange under way, or null. */
    public synchronized SaslServerExchange exchange() {
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
     * @throws SaslAuthenticationException if a re-authentication named another principal
     */
    public synchronized void authenticated(long expiresAtNanos) {
        if (stage != Stage.EXCHANGING || exchange == null || !exchange.complete()) {
            throw new IllegalStateException("no completed SASL exchange on this connection");
        }
        Principal proved = exchange.principal();
        if (authenticatedOnce && !proved.equals(principal)) {
            stage = Stage.FAILED;
            String message = "a connection re-authenticates as the principal it had (" + principal + "), not as "
                    + proved;
            throw new SaslAuthenticationException(SecurityError.SASL_AUTHENTICATION_FAILED, message, message);
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

    // ---- decisions for a request's many resources ---------------------------------------------

    /**
     * {@link #allowed} for the names of one resource type within one request: each distinct name
     * is decided, and audited, once however often the request names it (Kafka's
     * {@code filterByAuthorized}). The predicate belongs to the request's thread.
     */
    public Predicate<String> allowedNames(AclOperation operation, ResourceType type, Authorizer.Audit audit) {
        Map<String, Boolean> decided = new HashMap<>();
        return name -> decided.computeIfAbsent(name, n -> allowed(operation, type, n, audit));
    }

    /**
     * The operations Kafka reports for a resource of {@code type} (its {@code AclEntry.supportedOperations})
     * that the connection may do on the resource named {@code name}, decided without an audit line:
     * what the {@code *_authorized_operations} fields of Metadata, DescribeCluster and DescribeGroups
     * carry. Without an authorizer, and for a broker, all of them.
     */
    public Set<AclOperation> allowedOperations(ResourceType type, String name) {
        Set<AclOperation> allowed = EnumSet.noneOf(AclOperation.class);
        for (AclOperation operation : reportedOperations(type)) {
            if (allowed(operation, type, name, Authorizer.Audit.NONE)) {
                allowed.add(operation);
            }
        }
        return allowed;
    }

    private static Set<AclOperation> reportedOperations(ResourceType type) {
        return switch (type) {
            case TOPIC -> EnumSet.of(AclOperation.READ, AclOperation.WRITE, AclOperation.CREATE, AclOperation.DESCRIBE,
                    AclOperation.DELETE, AclOperation.ALTER, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS);
            case GROUP -> EnumSet.of(AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE,
                    AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS);
            case CLUSTER -> EnumSet.of(AclOperation.CREATE, AclOperation.CLUSTER_ACTION, AclOperation.DESCRIBE_CONFIGS,
                    AclOperation.ALTER_CONFIGS, AclOperation.IDEMPOTENT_WRITE, AclOperation.ALTER, AclOperation.DESCRIBE);
            case TRANSACTIONAL_ID -> EnumSet.of(AclOperation.DESCRIBE, AclOperation.WRITE, AclOperation.TWO_PHASE_COMMIT);
            case DELEGATION_TOKEN -> EnumSet.of(AclOperation.DESCRIBE);
            case USER -> EnumSet.of(AclOperation.CREATE_TOKENS, AclOperation.DESCRIBE_TOKENS);
            default -> throw new IllegalArgumentException("not a concrete resource type: " + type);
        };
    }
}
