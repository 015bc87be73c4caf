package dev.runnel.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

import org.apache.kafka.common.security.scram.internals.ScramFormatter;
import org.junit.jupiter.api.Test;

/** SCRAM's functions, against the JDK's PBKDF2 and kafka-clients' own formatter. */
class ScramCryptoTest {

    private static final byte[] SALT = "4x1fm5q2y3rnvhcz8ykpbl7w0".getBytes(StandardCharsets.US_ASCII);

    @Test
    void hiIsPbkdf2WithOneBlock() throws Exception {
        for (ScramMechanism mechanism : ScramMechanism.values()) {
            String algorithm = mechanism == ScramMechanism.SCRAM_SHA_256 ? "PBKDF2WithHmacSHA256"
                    : "PBKDF2WithHmacSHA512";
            byte[] expected = SecretKeyFactory.getInstance(algorithm)
                    .generateSecret(new PBEKeySpec("pencil".toCharArray(), SALT, 4096, mechanism.hashLength() * 8))
                    .getEncoded();

            assertThat(ScramCrypto.saltedPassword(mechanism, "pencil", SALT, 4096)).isEqualTo(expected);
        }
    }

    @Test
    void credentialsAreKafkasForTheSameSaltAndPassword() throws Exception {
        for (ScramMechanism mechanism : ScramMechanism.values()) {
            ScramFormatter kafka = new ScramFormatter(
                    org.apache.kafka.common.security.scram.internals.ScramMechanism.forMechanismName(
                            mechanism.mechanismName()));
            byte[] salted = kafka.saltedPassword("pässword", SALT, 8192);
            org.apache.kafka.common.security.scram.ScramCredential expected = kafka.generateCredential(SALT, salted,
                    8192);

            assertThat(ScramCrypto.saltedPassword(mechanism, "pässword", SALT, 8192)).isEqualTo(salted);
            ScramCredential credential = ScramCrypto.fromSaltedPassword(mechanism, SALT, salted, 8192);
            assertThat(credential.salt()).isEqualTo(expected.salt());
            assertThat(credential.storedKey()).isEqualTo(expected.storedKey());
            assertThat(credential.serverKey()).isEqualTo(expected.serverKey());
            assertThat(credential.iterations()).isEqualTo(8192);
        }
    }

    @Test
    void aNewCredentialHasAKafkaStyleSaltAndVerifiesItsPassword() {
        ScramCredential credential = ScramCrypto.newCredential(ScramMechanism.SCRAM_SHA_512, "secret", 4096,
                new SecureRandom());

        assertThat(new String(credential.salt(), StandardCharsets.US_ASCII)).matches("[0-9a-z]{20,26}");
        byte[] salted = ScramCrypto.saltedPassword(ScramMechanism.SCRAM_SHA_512, "secret", credential.salt(), 4096);
        assertThat(ScramCrypto.fromSaltedPassword(ScramMechanism.SCRAM_SHA_512, credential.salt(), salted, 4096))
                .isEqualTo(credential);
        assertThat(credential.toString()).doesNotContain(new String(credential.salt(), StandardCharsets.US_ASCII))
                .contains("iterations=4096");
    }

    @Test
    void emptyPasswordsAndIterationsOutOfRangeAreRefused() {
        SecureRandom random = new SecureRandom();
        assertThatThrownBy(() -> ScramCrypto.newCredential(ScramMechanism.SCRAM_SHA_256, "", 4096, random))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ScramCrypto.newCredential(ScramMechanism.SCRAM_SHA_256, "p", 4095, random))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ScramCrypto.newCredential(ScramMechanism.SCRAM_SHA_256, "p", 16385, random))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
