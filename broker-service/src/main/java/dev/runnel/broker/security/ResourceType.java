package dev.runnel.broker.security;

/**
 * What an ACL protects, with Kafka's wire codes ({@code resource_type} in CreateAcls, DescribeAcls
 * and DeleteAcls). {@link #UNKNOWN} stands for a code this broker does not know; {@link #ANY} is
 * only meaningful in a filter.
 */
public enum ResourceType {
    UNKNOWN((byte) 0, "Unknown"),
    ANY((byte) 1, "Any"),
    TOPIC((byte) 2, "Topic"),
    GROUP((byte) 3, "Group"),
    CLUSTER((byte) 4, "Cluster"),
    TRANSACTIONAL_ID((byte) 5, "TransactionalId"),
    DELEGATION_TOKEN((byte) 6, "DelegationToken"),
    USER((byte) 7, "User");

    /** The one name a {@link #CLUSTER} resource has, as in Kafka. */
    public static final String CLUSTER_NAME = "kafka-cluster";

    private static final ResourceType[] BY_CODE = values();

    private final byte code;
    private final String displayName;

    ResourceType(byte code, String displayName) {
        this.code = code;
        this.displayName = displayName;
    }

    public byte code() {
        return code;
    }

    /**
     * Kafka's name of the type ({@code Topic}, {@code TransactionalId}): in audit lines and as a
     * ZooKeeper path segment.
     */
    public String displayName() {
        return displayName;
    }

    /** Whether this names one concrete type (neither {@link #ANY} nor {@link #UNKNOWN}). */
    public boolean isConcrete() {
        return this != ANY && this != UNKNOWN;
    }

    /** The type with {@code code}, or {@link #UNKNOWN}. */
    public static ResourceType fromCode(byte code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : UNKNOWN;
    }

    /** The concrete type whose {@link #displayName()} is {@code name}, or {@link #UNKNOWN}. */
    public static ResourceType fromDisplayName(String name) {
        for (ResourceType type : BY_CODE) {
            if (type.isConcrete() && type.displayName.equals(name)) {
                return type;
            }
        }
        return UNKNOWN;
    }
}
