package dev.runnel.broker.security;

import java.util.Optional;

/**
 * The SCRAM mechanisms (RFC 5802 with RFC 7677's SHA-256, and SHA-512 as Kafka has it), with the
 * type codes of Kafka's AlterUserScramCredentials and DescribeUserScramCredentials (KIP-554; 0 is
 * unknown).
 */
public enum ScramMechanism {
    SCRAM_SHA_256((byte) 1, "SCRAM-SHA-256", "SHA-256", "HmacSHA256", 32),
    SCRAM_SHA_512((byte) 2, "SCRAM-SHA-512", "SHA-512", "HmacSHA512", 64);

    /** The fewest iterations a credential may have (Kafka's minimum for both mechanisms). */
    public static final int MIN_ITERATIONS = 4096;
    /** The most iterations a credential may have (Kafka's maximum in AlterUserScramCredentials). */
    public static final int MAX_ITERATIONS = 16384;

    private final byte type;
    private final String mechanismName;
    private final String hashAlgorithm;
    private final String macAlgorithm;
    private final int hashLength;

    ScramMechanism(byte type, String mechanismName, String hashAlgorithm, String macAlgorithm, int hashLength) {
        this.type = type;
        this.mechanismName = mechanismName;
        this.hashAlgorithm = hashAlgorithm;
        this.macAlgorithm = macAlgorithm;
        this.hashLength = hashLength;
    }

    /** The KIP-554 type code. */
    public byte type() {
        return type;
    }

    /** The SASL mechanism name ({@code SCRAM-SHA-256}). */
    public String mechanismName() {
        return mechanismName;
    }

    String hashAlgorithm() {
        return hashAlgorithm;
    }

    String macAlgorithm() {
        return macAlgorithm;
    }

    /** The length in bytes of the hash, and so of every key and proof. */
    public int hashLength() {
        return hashLength;
    }

    public static Optional<ScramMechanism> fromType(byte type) {
        for (ScramMechanism mechanism : values()) {
            if (mechanism.type == type) {
                return Optional.of(mechanism);
            }
        }
        return Optional.empty();
    }

    public static Optional<ScramMechanism> fromMechanismName(String name) {
        for (ScramMechanism mechanism : values()) {
            if (mechanism.mechanismName.equals(name)) {
                return Optional.of(mechanism);
            }
        }
        return Optional.empty();
    }
}
