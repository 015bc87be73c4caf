package dev.runnel.broker.security;

import java.util.Objects;

/**
 * One deletion of AlterUserScramCredentials (KIP-554).
 *
 * @param user      the user
 * @param mechanism the mechanism's type code (1 SCRAM-SHA-256, 2 SCRAM-SHA-512; others are refused)
 */
public record ScramDeletion(String user, byte mechanism) {

    public ScramDeletion {
        Objects.requireNonNull(user, "user");
    }
}
