package dev.runnel.broker.security;

import java.util.List;

/**
 * The answer for one user of DescribeUserScramCredentials: which mechanisms the user has a
 * credential for, with their iterations (never the salt or keys).
 *
 * @param user        the user
 * @param error       {@link ApiError#NONE}, RESOURCE_NOT_FOUND or DUPLICATE_RESOURCE
 * @param credentials the user's credentials, by mechanism order; empty on error
 */
public record DescribeScramResult(String user, ApiError error, List<CredentialInfo> credentials) {

    public DescribeScramResult {
        credentials = List.copyOf(credentials);
    }

    /** One mechanism the user has a credential for. */
    public record CredentialInfo(ScramMechanism mechanism, int iterations) {
    }
}
