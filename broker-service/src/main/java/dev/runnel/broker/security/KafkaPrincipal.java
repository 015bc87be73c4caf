package dev.runnel.broker.security;

/**
 * Who a connection is, as Kafka names it in ACLs and logs: {@code User:alice}.
 *
 * @param type a principal type, {@code User} for every principal Runnel creates
 * @param name the user name: the SASL user, the mapped TLS certificate name, or {@code ANONYMOUS}
 */
public record KafkaPrincipal(String type, String name) {

    public static final String USER_TYPE = "User";

    /** A connection that has not authenticated (a PLAINTEXT listener, a TLS client without a certificate). */
    public static final KafkaPrincipal ANONYMOUS = user("ANONYMOUS");

    public KafkaPrincipal {
        if (type == null || type.isEmpty() || name == null) {
            throw new IllegalArgumentException("a principal needs a type and a name");
        }
    }

    public static KafkaPrincipal user(String name) {
        return new KafkaPrincipal(USER_TYPE, name);
    }

    /**
     * Reads {@code Type:name} (the name may itself hold colons).
     *
     * @throws IllegalArgumentException without a type, a colon and a name
     */
    public static KafkaPrincipal parse(String text) {
        int colon = text == null ? -1 : text.indexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException("a principal is 'Type:name' (such as User:alice), not '" + text + "'");
        }
        return new KafkaPrincipal(text.substring(0, colon), text.substring(colon + 1));
    }

    @Override
    public String toString() {
        return type + ":" + name;
    }
}
