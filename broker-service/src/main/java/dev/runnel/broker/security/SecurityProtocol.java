package dev.runnel.broker.security;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** How a listener's connections are secured, under Kafka's names ({@code listener.security.protocol.map}). */
public enum SecurityProtocol {

    PLAINTEXT(false, false),
    SSL(true, false),
    SASL_PLAINTEXT(false, true),
    SASL_SSL(true, true);

    private final boolean tls;
    private final boolean sasl;

    SecurityProtocol(boolean tls, boolean sasl) {
        this.tls = tls;
        this.sasl = sasl;
    }

    /** Whether the connection is a TLS one. */
    public boolean tls() {
        return tls;
    }

    /** Whether a client must authenticate with SASL before any request but ApiVersions and SASL's own. */
    public boolean sasl() {
        return sasl;
    }

    /** The protocol named {@code name}, in any case. */
    public static SecurityProtocol of(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown security protocol '" + name + "' (known: "
                    + Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", ")) + ")");
        }
    }
}
