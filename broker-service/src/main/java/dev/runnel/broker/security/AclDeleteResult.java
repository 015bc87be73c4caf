package dev.runnel.broker.security;

import java.util.List;

/**
 * The outcome of one filter of a DeleteAcls request.
 *
 * @param error   {@link ApiError#NONE} unless the filter was refused or its deletion failed
 * @param deleted the ACLs the filter matched and that are gone now (a binding two filters match
 *                is listed under both, as in Kafka)
 */
public record AclDeleteResult(ApiError error, List<AclBinding> deleted) {

    public AclDeleteResult {
        deleted = List.copyOf(deleted);
    }

    static AclDeleteResult failed(ApiError error) {
        return new AclDeleteResult(error, List.of());
    }
}
