package dev.runnel.broker.security;

import java.util.Objects;

/**
 * Who a connection is: a type and a name, written {@code type:name} in ACLs and {@code super.users}
 * (Kafka's {@code Principal}). SASL users are {@code User:<name>}; an unauthenticated
 * connection is {@link #ANONYMOUS}. Immutable.
 *
 * @param type the principal type, {@code User} for every principal SASL yields
 * @param name the name; may contain colons
 */
public record Principal(String type, String name) {

    public static final String USER_TYPE = "User";
    public static final Principal ANONYMOUS = new Principal(USER_TYPE, "ANONYMOUS");
    /** The principal text that, in an ACL, stands for every principal (only {@code User:*}, as in Kafka). */
    public static final String WILDCARD = "User:*";

    public Principal {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(name, "name");
    }

    public static Principal user(String name) {
        return new Principal(USER_TYPE, name);
    }

    /**
     * Reads {@code type:name}, split at the first colon.
     *
     * @throws IllegalArgumentException if there is no colon
     */
    public static Principal parse(String text) {
        int colon = text == null ? -1 : text.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("expected a string in format principalType:principalName but got "
                    + text);
        }
        return new Principal(text.substring(0, colon), text.substring(colon + 1));
    }

    /** {@code type:name}, the form ACLs carry. */
    @Override
    public String toString() {
        return type + ":" + name;
    }
}
