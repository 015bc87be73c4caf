package dev.runnel.broker.security;

/**
 * The outcome of one binding of a CreateAcls request.
 *
 * @param error {@link ApiError#NONE} if the ACL exists now (whether created or already there)
 */
public record AclCreateResult(ApiError error) {

    public static final AclCreateResult SUCCESS = new AclCreateResult(ApiError.NONE);
}
