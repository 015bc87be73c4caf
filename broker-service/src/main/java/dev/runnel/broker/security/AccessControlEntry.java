package dev.runnel.broker.security;

import java.util.Objects;

/**
 * Who may or may not do what from where, the half of an ACL that is not its resource (Kafka's
 * {@code AccessControlEntry}). Immutable; like {@link ResourcePattern} it holds whatever a request
 * carried, and {@link AclValidation} says whether it can be stored.
 *
 * @param principal      {@code type:name} ({@code User:alice}), or {@code User:*} for every principal
 * @param host           the client's IP address as text, or {@code *} for every host
 * @param operation      the operation, {@link AclOperation#ALL} for every operation
 * @param permissionType ALLOW or DENY
 */
public record AccessControlEntry(String principal, String host, AclOperation operation,
        AclPermissionType permissionType) {

    /** The host that matches every client address. */
    public static final String WILDCARD_HOST = "*";

    public AccessControlEntry {
        Objects.requireNonNull(principal, "principal");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(permissionType, "permissionType");
    }

    /** The filter that matches exactly this entry. */
    public AccessControlEntryFilter toFilter() {
        return new AccessControlEntryFilter(principal, host, operation, permissionType);
    }

    @Override
    public String toString() {
        return "(principal=" + principal + ", host=" + host + ", operation=" + operation + ", permissionType="
                + permissionType + ")";
    }
}
