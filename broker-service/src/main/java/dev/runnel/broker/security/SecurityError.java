package dev.runnel.broker.security;

/**
 * The Kafka wire errors this package answers with, by their codes in Kafka's error table. The
 * protocol handlers put {@link #code()} into the response; {@code SecurityErrorTest} checks every
 * code against Kafka's.
 */
public enum SecurityError {
    NONE((short) 0),
    UNKNOWN_SERVER_ERROR((short) -1),
    UNSUPPORTED_SASL_MECHANISM((short) 33),
    ILLEGAL_SASL_STATE((short) 34),
    INVALID_REQUEST((short) 42),
    SASL_AUTHENTICATION_FAILED((short) 58),
    RESOURCE_NOT_FOUND((short) 91),
    DUPLICATE_RESOURCE((short) 92),
    UNACCEPTABLE_CREDENTIAL((short) 93);

    private final short code;

    SecurityError(short code) {
        this.code = code;
    }

    public short code() {
        return code;
    }
}
