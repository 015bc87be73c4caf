package dev.runnel.broker.security;

/** The answer of {@link Authorizer}. */
public enum AuthorizationResult {
    ALLOWED,
    DENIED
}
