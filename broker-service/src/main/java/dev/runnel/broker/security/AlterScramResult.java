package dev.runnel.broker.security;

/**
 * The outcome for one user of AlterUserScramCredentials.
 *
 * @param user  the user
 * @param error {@link ApiError#NONE} if the user's alteration took effect
 */
public record AlterScramResult(String user, ApiError error) {
}
