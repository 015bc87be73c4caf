package dev.runnel.broker.security;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Credentials for users that do not exist, so that an exchange for an unknown user looks like one
 * with a wrong password: the same messages, the same work, and a salt that is the same each time
 * the same name is tried (a random salt per attempt would give the game away). Each value is an
 * HMAC of the user's name under a key; with the same key on every broker, every broker answers an
 * unknown user the same way, as it would a real one. The salt has the form of the salts Kafka's
 * admin client makes; the iterations are 4096, the usual count. Thread-safe.
 */
final class DecoyCredentials {

    private final byte[] key;

    DecoyCredentials(byte[] key) {
        if (key.length == 0) {
            throw new IllegalArgumentException("the decoy key must not be empty");
        }
        this.key = key.clone();
    }

    ScramCredential credential(ScramMechanism mechanism, String user) {
        byte[] seed = derive(mechanism, "salt", user);
        byte[] salt = new BigInteger(1, Arrays.copyOf(seed, 17)).shiftRight(6) // 130 bits, as Kafka's salts
                .toString(Character.MAX_RADIX).getBytes(StandardCharsets.US_ASCII);
        return new ScramCredential(salt, derive(mechanism, "stored", user), derive(mechanism, "server", user),
                ScramMechanism.MIN_ITERATIONS);
    }

    private byte[] derive(ScramMechanism mechanism, String purpose, String user) {
        return ScramCrypto.hmac(mechanism, key,
                (mechanism.mechanismName() + "\0" + purpose + "\0" + user).getBytes(StandardCharsets.UTF_8));
    }
}
