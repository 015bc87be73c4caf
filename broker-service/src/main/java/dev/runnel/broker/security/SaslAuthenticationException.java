package dev.runnel.broker.security;

/**
 * A SASL exchange that failed. {@link #getMessage()} is what the client gets with
 * {@link #error()} in SaslAuthenticate (Kafka's own wording) and may be logged as it is; neither it
 * nor {@link #detail()} (why, for the broker's log) ever holds a password, a proof or a key, and
 * neither says whether the user exists.
 */
public final class SaslAuthenticationException extends RuntimeException {

    private final SecurityError error;
    private final String detail;

    public SaslAuthenticationException(SecurityError error, String message, String detail) {
        super(message);
        this.error = error;
        this.detail = detail;
    }

    /** {@link SecurityError#SASL_AUTHENTICATION_FAILED}, or {@link SecurityError#ILLEGAL_SASL_STATE} for a message out of turn. */
    public SecurityError error() {
        return error;
    }

    /** Why, in more words than the client gets. */
    public String detail() {
        return detail;
    }

    /** Kafka's answer to a failure whose reason the client must not learn. */
    static SaslAuthenticationException invalidCredentials(String mechanism, String detail) {
        return new SaslAuthenticationException(SecurityError.SASL_AUTHENTICATION_FAILED,
                "Authentication failed during authentication due to invalid credentials with SASL mechanism "
                        + mechanism, detail);
    }

    static SaslAuthenticationException authzidMismatch() {
        String message = "Authentication failed: Client requested an authorization id that is different from username";
        return new SaslAuthenticationException(SecurityError.SASL_AUTHENTICATION_FAILED, message, message);
    }

    static SaslAuthenticationException outOfTurn(Object state) {
        String message = "Unexpected challenge in Sasl server state " + state;
        return new SaslAuthenticationException(SecurityError.ILLEGAL_SASL_STATE, message, message);
    }
}
