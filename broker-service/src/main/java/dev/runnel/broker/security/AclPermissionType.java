package dev.runnel.broker.security;

/**
 * Whether an ACL allows or denies, with Kafka's wire codes ({@code permission_type}). {@link #ANY}
 * is only meaningful in a filter. A matching DENY always wins over a matching ALLOW.
 */
public enum AclPermissionType {
    UNKNOWN((byte) 0),
    ANY((byte) 1),
    DENY((byte) 2),
    ALLOW((byte) 3);

    private static final AclPermissionType[] BY_CODE = values();

    private final byte code;

    AclPermissionType(byte code) {
        this.code = code;
    }

    public byte code() {
        return code;
    }

    /** The permission with {@code code}, or {@link #UNKNOWN}. */
    public static AclPermissionType fromCode(byte code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : UNKNOWN;
    }
}
