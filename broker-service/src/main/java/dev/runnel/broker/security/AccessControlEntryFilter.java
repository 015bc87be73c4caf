package dev.runnel.broker.security;

import java.util.Objects;

/**
 * A filter over {@link AccessControlEntry}s (Kafka's {@code AccessControlEntryFilter}): a
 * {@code null} principal or host and an {@code ANY} operation or permission take every value;
 * anything else only an equal value. Note that the text is compared: a filter for {@code User:*}
 * finds only the wildcard entries, not every principal's. Immutable.
 *
 * @param principal      {@code type:name}, or {@code null} for any
 * @param host           the host, or {@code null} for any
 * @param operation      the operation, or {@link AclOperation#ANY}
 * @param permissionType the permission, or {@link AclPermissionType#ANY}
 */
public record AccessControlEntryFilter(String principal, String host, AclOperation operation,
        AclPermissionType permissionType) {

    public static final AccessControlEntryFilter ANY = new AccessControlEntryFilter(null, null, AclOperation.ANY,
            AclPermissionType.ANY);

    public AccessControlEntryFilter {
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(permissionType, "permissionType");
    }

    /** Whether the operation or the permission is {@code UNKNOWN} (DeleteAcls refuses such a filter). */
    public boolean isUnknown() {
        return operation == AclOperation.UNKNOWN || permissionType == AclPermissionType.UNKNOWN;
    }

    public boolean matches(AccessControlEntry entry) {
        return (principal == null || principal.equals(entry.principal()))
                && (host == null || host.equals(entry.host()))
                && (operation == AclOperation.ANY || operation == entry.operation())
                && (permissionType == AclPermissionType.ANY || permissionType == entry.permissionType());
    }

    /** Kafka's description of the first part that can match more than one value, or {@code null}. */
    public String findIndefiniteField() {
        if (principal == null) {
            return "Principal is NULL";
        }
        if (host == null) {
            return "Host is NULL";
        }
        if (operation == AclOperation.ANY) {
            return "Operation is ANY";
        }
        if (operation == AclOperation.UNKNOWN) {
            return "Operation is UNKNOWN";
        }
        if (permissionType == AclPermissionType.ANY) {
            return "Permission type is ANY";
        }
        if (permissionType == AclPermissionType.UNKNOWN) {
            return "Permission type is UNKNOWN";
        }
        return null;
    }
}
