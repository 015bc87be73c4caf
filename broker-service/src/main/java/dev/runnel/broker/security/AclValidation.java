package dev.runnel.broker.security;

/**
 * What CreateAcls and DeleteAcls refuse, with Kafka's errors and messages, checked in Kafka's
 * order: first the broker's own checks of a creation ({@code AclApis.handleCreateAcls}), then the
 * controller's ({@code AclControlManager.validateNewAcl} and {@code validateFilter}). Stateless.
 */
public final class AclValidation {

    private AclValidation() {
    }

    /** {@link ApiError#NONE} if {@code binding} may be stored, else the error to answer it with. */
    public static ApiError validateCreation(AclBinding binding) {
        ResourcePattern pattern = binding.pattern();
        AccessControlEntry entry = binding.entry();
        if (pattern.resourceType() == ResourceType.CLUSTER && !pattern.name().equals(ResourceType.CLUSTER_NAME)) {
            return invalid("The only valid name for the CLUSTER resource is " + ResourceType.CLUSTER_NAME);
        }
        if (pattern.name().isEmpty()) {
            return invalid("Invalid empty resource name");
        }
        if (!pattern.resourceType().isConcrete()) {
            return invalid("Invalid resourceType " + pattern.resourceType());
        }
        if (!pattern.patternType().isSpecific()) {
            return invalid("Invalid patternType " + pattern.patternType());
        }
        if (!entry.operation().isConcrete()) {
            return invalid("Invalid operation " + entry.operation());
        }
        if (entry.permissionType() != AclPermissionType.ALLOW && entry.permissionType() != AclPermissionType.DENY) {
            return invalid("Invalid permissionType " + entry.permissionType());
        }
        if (entry.principal().indexOf(':') < 0) {
            return invalid("Could not parse principal from `" + entry.principal() + "` (no colon is present"
                    + " separating the principal type from the principal name)");
        }
        return ApiError.NONE;
    }

    /** {@link ApiError#NONE} if DeleteAcls may apply {@code filter}, else the error to answer it with. */
    public static ApiError validateDeletionFilter(AclBindingFilter filter) {
        if (filter.patternFilter().isUnknown()) {
            return invalid("Unknown patternFilter.");
        }
        if (filter.entryFilter().isUnknown()) {
            return invalid("Unknown entryFilter.");
        }
        return ApiError.NONE;
    }

    private static ApiError invalid(String message) {
        return ApiError.of(SecurityError.INVALID_REQUEST, message);
    }
}
