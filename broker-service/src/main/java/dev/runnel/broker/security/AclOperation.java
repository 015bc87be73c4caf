package dev.runnel.broker.security;

/**
 * What an ACL allows or denies, with Kafka's wire codes ({@code operation}). {@link #ANY} is only
 * meaningful in a filter; {@link #ALL} in an ACL stands for every operation.
 *
 * <p>An ALLOW of {@link #READ}, {@link #WRITE}, {@link #DELETE} or {@link #ALTER} also allows
 * {@link #DESCRIBE}, and an ALLOW of {@link #ALTER_CONFIGS} also allows
 * {@link #DESCRIBE_CONFIGS}; a DENY implies nothing beyond its own operation (Kafka's rule,
 * applied in {@link Authorizer}).
 */
public enum AclOperation {
    UNKNOWN((byte) 0),
    ANY((byte) 1),
    ALL((byte) 2),
    READ((byte) 3),
    WRITE((byte) 4),
    CREATE((byte) 5),
    DELETE((byte) 6),
    ALTER((byte) 7),
    DESCRIBE((byte) 8),
    CLUSTER_ACTION((byte) 9),
    DESCRIBE_CONFIGS((byte) 10),
    ALTER_CONFIGS((byte) 11),
    IDEMPOTENT_WRITE((byte) 12),
    CREATE_TOKENS((byte) 13),
    DESCRIBE_TOKENS((byte) 14),
    /** KIP-939's two-phase commit for transactional ids (Kafka 4.0 on). */
    TWO_PHASE_COMMIT((byte) 15);

    private static final AclOperation[] BY_CODE = values();

    private final byte code;

    AclOperation(byte code) {
        this.code = code;
    }

    public byte code() {
        return code;
    }

    /** Whether this names one operation an ACL may carry (neither {@link #ANY} nor {@link #UNKNOWN}). */
    public boolean isConcrete() {
        return this != ANY && this != UNKNOWN;
    }

    /** The operation with {@code code}, or {@link #UNKNOWN}. */
    public static AclOperation fromCode(byte code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : UNKNOWN;
    }
}
