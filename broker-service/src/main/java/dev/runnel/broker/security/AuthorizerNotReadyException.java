package dev.runnel.broker.security;

/**
 * Thrown by {@link Authorizer} for a principal other than a super user before the first snapshot
 * of the ACLs has loaded: deciding on an empty, not yet loaded set would allow what an ACL denies
 * (or, with {@code allow.everyone.if.no.acl.found}, everything). Kafka's
 * {@code AuthorizerNotReadyException}; the request may be retried.
 */
public final class AuthorizerNotReadyException extends RuntimeException {

    public AuthorizerNotReadyException() {
        super("The authorizer has not loaded the ACLs yet");
    }
}
