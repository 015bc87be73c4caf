package dev.runnel.broker.security;

import java.util.Arrays;
import java.util.Objects;

/**
 * One upsertion of AlterUserScramCredentials (KIP-554): the client salted the password itself,
 * and the server keeps only what it derives from the salted password. Immutable; the arrays are
 * copied, and {@link #toString()} hides them.
 *
 * @param user           the user
 * @param mechanism      the mechanism's type code (1 SCRAM-SHA-256, 2 SCRAM-SHA-512; others are refused)
 * @param iterations     the iterations the password was salted with
 * @param salt           the salt
 * @param saltedPassword Hi(password, salt, iterations); never stored
 */
public record ScramUpsertion(String user, byte mechanism, int iterations, byte[] salt, byte[] saltedPassword) {

    public ScramUpsertion {
        Objects.requireNonNull(user, "user");
        salt = Objects.requireNonNull(salt, "salt").clone();
        saltedPassword = Objects.requireNonNull(saltedPassword, "saltedPassword").clone();
    }

    @Override
    public byte[] salt() {
        return salt.clone();
    }

    @Override
    public byte[] saltedPassword() {
        return saltedPassword.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ScramUpsertion that && user.equals(that.user) && mechanism == that.mechanism
                && iterations == that.iterations && Arrays.equals(salt, that.salt)
                && Arrays.equals(saltedPassword, that.saltedPassword);
    }

    @Override
    public int hashCode() {
        return Objects.hash(user, mechanism, iterations);
    }

    @Override
    public String toString() {
        return "ScramUpsertion(user=" + user + ", mechanism=" + mechanism + ", iterations=" + iterations
                + ", salt=[hidden], saltedPassword=[hidden])";
    }
}
