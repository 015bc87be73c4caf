package dev.runnel.broker.security;

import java.util.Arrays;
import java.util.Objects;

/**
 * What the server keeps of a SCRAM password (RFC 5802 section 3): the salt and iteration count the
 * client needs to salt its password, and two keys derived from the salted password. Neither the
 * password nor the salted password can be recovered from it, yet it verifies a client's proof and
 * signs the server's answer. Immutable; the arrays are copied in and out, and {@link #toString()}
 * shows only the iterations.
 *
 * @param salt       the salt
 * @param storedKey  H(HMAC(SaltedPassword, "Client Key"))
 * @param serverKey  HMAC(SaltedPassword, "Server Key")
 * @param iterations the iteration count of Hi
 */
public record ScramCredential(byte[] salt, byte[] storedKey, byte[] serverKey, int iterations) {

    public ScramCredential {
        salt = Objects.requireNonNull(salt, "salt").clone();
        storedKey = Objects.requireNonNull(storedKey, "storedKey").clone();
        serverKey = Objects.requireNonNull(serverKey, "serverKey").clone();
    }

    @Override
    public byte[] salt() {
        return salt.clone();
    }

    @Override
    public byte[] storedKey() {
        return storedKey.clone();
    }

    @Override
    public byte[] serverKey() {
        return serverKey.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ScramCredential that && iterations == that.iterations
                && Arrays.equals(salt, that.salt) && Arrays.equals(storedKey, that.storedKey)
                && Arrays.equals(serverKey, that.serverKey);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(salt), Arrays.hashCode(storedKey), Arrays.hashCode(serverKey), iterations);
    }

    @Override
    public String toString() {
        return "ScramCredential(salt=[hidden], storedKey=[hidden], serverKey=[hidden], iterations=" + iterations + ")";
    }
}
