package dev.runnel.broker.security;

/**
 * How an ACL's resource name is read, with Kafka's wire codes ({@code pattern_type}).
 *
 * <ul>
 *   <li>{@link #LITERAL}: the name itself, or every name when it is {@code *};</li>
 *   <li>{@link #PREFIXED}: every name that starts with it (the name itself included);</li>
 *   <li>{@link #ANY} and {@link #MATCH}: only in filters. {@code ANY} takes patterns of any type
 *       whose name is the filter's; {@code MATCH} takes the patterns that would grant or deny on a
 *       resource of the filter's name: that literal, the literal {@code *} and every prefix of
 *       it.</li>
 * </ul>
 */
public enum PatternType {
    UNKNOWN((byte) 0),
    ANY((byte) 1),
    MATCH((byte) 2),
    LITERAL((byte) 3),
    PREFIXED((byte) 4);

    private static final PatternType[] BY_CODE = values();

    private final byte code;

    PatternType(byte code) {
        this.code = code;
    }

    public byte code() {
        return code;
    }

    /** Whether an ACL can be stored with this type: {@link #LITERAL} or {@link #PREFIXED}. */
    public boolean isSpecific() {
        return this == LITERAL || this == PREFIXED;
    }

    /** The type with {@code code}, or {@link #UNKNOWN}. */
    public static PatternType fromCode(byte code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : UNKNOWN;
    }
}
