package dev.runnel.broker.security;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * SCRAM's functions (RFC 5802 section 2.2 and 3) for one mechanism, and the making of credentials:
 *
 * <pre>
 * SaltedPassword  := Hi(password, salt, i)          PBKDF2 with HMAC, one block
 * ClientKey       := HMAC(SaltedPassword, "Client Key")
 * StoredKey       := H(ClientKey)
 * ServerKey       := HMAC(SaltedPassword, "Server Key")
 * ClientSignature := HMAC(StoredKey, AuthMessage)    ClientProof := ClientKey XOR ClientSignature
 * ServerSignature := HMAC(ServerKey, AuthMessage)
 * </pre>
 *
 * Passwords are taken as their UTF-8 bytes without SASLprep, as Kafka does, so that credentials
 * made by Kafka's tools and by this class verify the same passwords. Stateless and thread-safe.
 */
public final class ScramCrypto {

    private static final byte[] CLIENT_KEY = "Client Key".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SERVER_KEY = "Server Key".getBytes(StandardCharsets.US_ASCII);

    private ScramCrypto() {
    }

    /**
     * A new credential for {@code password}, with a fresh salt.
     *
     * @throws IllegalArgumentException if the password is empty or the iterations out of range
     */
    public static ScramCredential newCredential(ScramMechanism mechanism, String password, int iterations,
            SecureRandom random) {
        if (password.isEmpty()) {
            throw new IllegalArgumentException("a SCRAM password must not be empty");
        }
        checkIterations(iterations);
        byte[] salt = newSalt(random);
        return fromSaltedPassword(mechanism, salt, saltedPassword(mechanism, password, salt, iterations), iterations);
    }

    /**
     * The credential for a salted password, the form AlterUserScramCredentials carries (the client
     * salts the password; the server keeps only the derived keys).
     */
    public static ScramCredential fromSaltedPassword(ScramMechanism mechanism, byte[] salt, byte[] saltedPassword,
            int iterations) {
        return new ScramCredential(salt, storedKey(mechanism, clientKey(mechanism, saltedPassword)),
                serverKey(mechanism, saltedPassword), iterations);
    }

    /**
     * A salt as Kafka's own tools make one: 130 random bits written in base 36, as ASCII bytes (so
     * that credentials made here look like those made by Kafka's admin client).
     */
    public static byte[] newSalt(SecureRandom random) {
        return new BigInteger(130, random).toString(Character.MAX_RADIX).getBytes(StandardCharsets.US_ASCII);
    }

    public static byte[] saltedPassword(ScramMechanism mechanism, String password, byte[] salt, int iterations) {
        return hi(mechanism, password.getBytes(StandardCharsets.UTF_8), salt, iterations);
    }

    /** Hi(str, salt, i): U1 := HMAC(str, salt + INT(1)), Uj := HMAC(str, Uj-1), result U1 XOR ... XOR Ui. */
    static byte[] hi(ScramMechanism mechanism, byte[] str, byte[] salt, int iterations) {
        if (iterations < 1) {
            throw new IllegalArgumentException("iterations must be positive");
        }
        Mac mac = mac(mechanism, str);
        mac.update(salt);
        byte[] u = mac.doFinal(new byte[] {0, 0, 0, 1});
        byte[] result = u.clone();
        for (int i = 1; i < iterations; i++) {
            u = mac.doFinal(u);
            for (int j = 0; j < result.length; j++) {
                result[j] ^= u[j];
            }
        }
        return result;
    }

    static byte[] clientKey(ScramMechanism mechanism, byte[] saltedPassword) {
        return hmac(mechanism, saltedPassword, CLIENT_KEY);
    }

    static byte[] storedKey(ScramMechanism mechanism, byte[] clientKey) {
        return hash(mechanism, clientKey);
    }

    static byte[] serverKey(ScramMechanism mechanism, byte[] saltedPassword) {
        return hmac(mechanism, saltedPassword, SERVER_KEY);
    }

    static byte[] hmac(ScramMechanism mechanism, byte[] key, byte[] data) {
        return mac(mechanism, key).doFinal(data);
    }

    static byte[] hash(ScramMechanism mechanism, byte[] data) {
        try {
            return MessageDigest.getInstance(mechanism.hashAlgorithm()).digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(mechanism.hashAlgorithm() + " is not available", e);
        }
    }

    static byte[] xor(byte[] first, byte[] second) {
        if (first.length != second.length) {
            throw new IllegalArgumentException("xor of arrays of different lengths");
        }
        byte[] result = new byte[first.length];
        for (int i = 0; i < result.length; i++) {
            result[i] = (byte) (first[i] ^ second[i]);
        }
        return result;
    }

    static void checkIterations(int iterations) {
        if (iterations < ScramMechanism.MIN_ITERATIONS || iterations > ScramMechanism.MAX_ITERATIONS) {
            throw new IllegalArgumentException("iterations must be between " + ScramMechanism.MIN_ITERATIONS + " and "
                    + ScramMechanism.MAX_ITERATIONS + ", not " + iterations);
        }
    }

    private static Mac mac(ScramMechanism mechanism, byte[] key) {
        if (key.length == 0) {
            throw new IllegalArgumentException("an HMAC key must not be empty");
        }
        try {
            Mac mac = Mac.getInstance(mechanism.macAlgorithm());
            mac.init(new SecretKeySpec(key, mechanism.macAlgorithm()));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(mechanism.macAlgorithm() + " is not available", e);
        }
    }
}
