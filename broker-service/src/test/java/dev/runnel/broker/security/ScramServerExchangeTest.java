package dev.runnel.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The server's side of SCRAM: RFC 7677's example, kafka-clients' client, and every way to fail. */
class ScramServerExchangeTest {

    private static final byte[] DECOY_KEY = "cluster-secret".getBytes(StandardCharsets.UTF_8);

    private final TestCredentials users = new TestCredentials()
            .add("alice", ScramMechanism.SCRAM_SHA_256, "alice-secret", 4096)
            .add("alice", ScramMechanism.SCRAM_SHA_512, "alice-secret", 8192)
            .add("a,b=c", ScramMechanism.SCRAM_SHA_256, "odd-secret", 4096);
    private final SaslServerExchanges exchanges = new SaslServerExchanges(users, DECOY_KEY);

    private SaslServerExchange exchange(ScramMechanism mechanism) {
        return exchanges.create(mechanism.mechanismName()).orElseThrow();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Test
    void rfc7677sExampleGivesItsServerMessages() {
        byte[] salt = Base64.getDecoder().decode("W22ZaJ0SNY7soEsUEjb6gQ==");
        ScramMechanism sha256 = ScramMechanism.SCRAM_SHA_256;
        TestCredentials rfcUser = new TestCredentials().add("user", sha256, ScramCrypto.fromSaltedPassword(sha256,
                salt, ScramCrypto.saltedPassword(sha256, "pencil", salt, 4096), 4096));
        ScramServerExchange exchange = new ScramServerExchange(sha256, rfcUser, new DecoyCredentials(DECOY_KEY),
                () -> "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");

        assertThat(text(exchange.evaluate(bytes("n,,n=user,r=rOprNGfwEbeRWgbNEkqO")))).isEqualTo(
                "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
        assertThat(text(exchange.evaluate(bytes("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                + "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="))))
                .isEqualTo("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
        assertThat(exchange.complete()).isTrue();
        assertThat(exchange.authorizedUser()).isEqualTo("user");
    }

    @ParameterizedTest
    @EnumSource(ScramMechanism.class)
    void kafkaClientsAuthenticateWithTheRightPassword(ScramMechanism mechanism) throws Exception {
        SaslServerExchange exchange = exchange(mechanism);

        TestCredentials.Run run = TestCredentials.kafkaClient(exchange, "alice", "alice-secret", Map.of());

        assertThat(run.clientVerifiedServer()).isTrue();
        assertThat(exchange.complete()).isTrue();
        assertThat(exchange.authorizedUser()).isEqualTo("alice");
        assertThat(text(run.serverFirst())).endsWith(mechanism == ScramMechanism.SCRAM_SHA_256 ? ",i=4096" : ",i=8192");
    }

    @ParameterizedTest
    @EnumSource(ScramMechanism.class)
    void aWrongPasswordFailsWithKafkasMessageAndNoSecret(ScramMechanism mechanism) {
        SaslServerExchange exchange = exchange(mechanism);

        SaslAuthenticationException failure = catchThrowableOfType(SaslAuthenticationException.class,
                () -> TestCredentials.kafkaClient(exchange, "alice", "wrong", Map.of()));

        assertThat(failure.error()).isEqualTo(SecurityError.SASL_AUTHENTICATION_FAILED);
        assertThat(failure).hasMessage("Authentication failed during authentication due to invalid credentials with"
                + " SASL mechanism " + mechanism.mechanismName());
        assertThat(failure.getMessage() + failure.detail()).doesNotContain("wrong").doesNotContain("p=");
        assertThat(exchange.complete()).isFalse();
        assertThatThrownBy(exchange::authorizedUser).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void anUnknownUserLooksLikeAWrongPassword() {
        ScramMechanism mechanism = ScramMechanism.SCRAM_SHA_256;
        byte[] clientFirst = bytes("n,,n=mallory,r=abcdefghijklmnop");
        String first = text(exchange(mechanism).evaluate(clientFirst));
        String again = text(new SaslServerExchanges(users, DECOY_KEY).create(mechanism.mechanismName()).orElseThrow()
                .evaluate(clientFirst));

        assertThat(first).matches("r=abcdefghijklmnop[A-Za-z0-9_-]{32},s=[A-Za-z0-9+/=]+,i=4096");
        assertThat(salt(first)).as("the same salt on every attempt and broker, as a real user's")
                .isEqualTo(salt(again));
        assertThat(new String(Base64.getDecoder().decode(salt(first)), StandardCharsets.US_ASCII))
                .as("shaped like the salts Kafka's tools make").matches("[0-9a-z]{20,26}");
        SaslAuthenticationException unknown = catchThrowableOfType(SaslAuthenticationException.class,
                () -> TestCredentials.kafkaClient(exchange(mechanism), "mallory", "guess", Map.of()));
        SaslAuthenticationException wrong = catchThrowableOfType(SaslAuthenticationException.class,
                () -> TestCredentials.kafkaClient(exchange(mechanism), "alice", "guess", Map.of()));
        assertThat(unknown.getMessage()).isEqualTo(wrong.getMessage());
        assertThat(unknown.detail()).isEqualTo(wrong.detail());
        assertThat(unknown.error()).isEqualTo(wrong.error());
    }

    @Test
    void aUserWithoutACredentialForTheMechanismIsUnknownToIt() {
        TestCredentials only256 = new TestCredentials().add("bob", ScramMechanism.SCRAM_SHA_256, "bob-secret", 4096);
        SaslServerExchange exchange = new SaslServerExchanges(only256, DECOY_KEY).create("SCRAM-SHA-512").orElseThrow();

        assertThatThrownBy(() -> TestCredentials.kafkaClient(exchange, "bob", "bob-secret", Map.of()))
                .isInstanceOf(SaslAuthenticationException.class);
    }

    @Test
    void aCredentialWithTooFewIterationsNeverAuthenticates() {
        ScramMechanism sha256 = ScramMechanism.SCRAM_SHA_256;
        byte[] salt = bytes("salt");
        TestCredentials weak = new TestCredentials().add("weak", sha256, ScramCrypto.fromSaltedPassword(sha256, salt,
                ScramCrypto.saltedPassword(sha256, "weak-secret", salt, 1000), 1000));
        SaslServerExchange exchange = new SaslServerExchanges(weak, DECOY_KEY).create("SCRAM-SHA-256").orElseThrow();

        assertThatThrownBy(() -> TestCredentials.kafkaClient(exchange, "weak", "weak-secret", Map.of()))
                .isInstanceOf(SaslAuthenticationException.class);
    }

    @Test
    void namesWithCommasAndEqualsSignsAreUnescaped() throws Exception {
        SaslServerExchange exchange = exchange(ScramMechanism.SCRAM_SHA_256);

        TestCredentials.Run run = TestCredentials.kafkaClient(exchange, "a,b=c", "odd-secret", Map.of());

        assertThat(text(run.clientFirst())).startsWith("n,,n=a=2Cb=3Dc,");
        assertThat(exchange.authorizedUser()).isEqualTo("a,b=c");
    }

    @Test
    void delegationTokensAreRefused() {
        SaslAuthenticationException failure = catchThrowableOfType(SaslAuthenticationException.class,
                () -> TestCredentials.kafkaClient(exchange(ScramMechanism.SCRAM_SHA_256), "alice", "alice-secret",
                        Map.of("tokenauth", "true")));

        assertThat(failure.getMessage()).startsWith("Authentication failed during authentication");
        assertThat(failure.detail()).contains("delegation tokens");
    }

    @Test
    void otherExtensionsAreIgnored() throws Exception {
        SaslServerExchange exchange = exchange(ScramMechanism.SCRAM_SHA_256);

        TestCredentials.Run run = TestCredentials.kafkaClient(exchange, "alice", "alice-secret",
                Map.of("tenant", "blue", "tokenauth", "false"));

        assertThat(text(run.clientFirst())).contains("tenant=blue");
        assertThat(exchange.complete()).isTrue();
    }

    @Test
    void anAuthorizationIdMustBeTheUsersOwn() {
        SaslAuthenticationException failure = catchThrowableOfType(SaslAuthenticationException.class,
                () -> exchange(ScramMechanism.SCRAM_SHA_256).evaluate(bytes("n,a=bob,n=alice,r=abc")));

        assertThat(failure).hasMessage(
                "Authentication failed: Client requested an authorization id that is different from username");
        assertThat(text(exchange(ScramMechanism.SCRAM_SHA_256).evaluate(bytes("n,a=alice,n=alice,r=abc"))))
                .startsWith("r=abc");
    }

    @Test
    void theChannelBindingMustRepeatTheGs2Header() {
        assertThat(manualFinal("n,,", "eSws", true).detail()).contains("channel binding"); // "y,,"
        assertThat(manualFinal("n,a=alice,", "biws", true).detail()).contains("channel binding");
        assertThat(manualFinal("y,,", "eSws", true)).as("y: the client could bind, the server cannot").isNull();
        assertThat(manualFinal("n,a=alice,", Base64.getEncoder().encodeToString(bytes("n,a=alice,")), true)).isNull();
    }

    @Test
    void theNonceMustBeTheServers() {
        assertThat(manualFinal("n,,", "biws", false).detail()).contains("nonce");
    }

    /**
     * librdkafka (to 2.0 at least) sends its own nonce and then the whole server nonce, which
     * already starts with it; Kafka accepts any nonce that ends with the server's, and so must we.
     */
    @Test
    void aNonceThatEndsWithTheServersIsAcceptedAsKafkaDoes() {
        assertThat(manualFinal("n,,", "biws", serverNonce -> "clientnonce" + serverNonce)).isNull();
        assertThat(manualFinal("n,,", "biws", serverNonce -> serverNonce + "x").detail()).contains("nonce");
    }

    /**
     * Runs an exchange for alice with a hand-made client-final (right proof, the given binding,
     * the server's nonce or another); returns its failure, or null if it completed.
     */
    private SaslAuthenticationException manualFinal(String gs2Header, String binding, boolean serverNonce) {
        return manualFinal(gs2Header, binding, server -> serverNonce ? server : "clientnonceXYZ");
    }

    /** The same with the nonce {@code nonceOf} makes of the server's. */
    private SaslAuthenticationException manualFinal(String gs2Header, String binding,
            UnaryOperator<String> nonceOf) {
        ScramMechanism sha256 = ScramMechanism.SCRAM_SHA_256;
        SaslServerExchange exchange = exchange(sha256);
        String bare = "n=alice,r=clientnonce";
        String serverFirst = text(exchange.evaluate(bytes(gs2Header + bare)));
        String nonce = nonceOf.apply(serverFirst.substring(2, serverFirst.indexOf(',')));
        String withoutProof = "c=" + binding + ",r=" + nonce;
        byte[] salt = Base64.getDecoder().decode(salt(serverFirst));
        byte[] salted = ScramCrypto.saltedPassword(sha256, "alice-secret", salt, 4096);
        byte[] clientKey = ScramCrypto.clientKey(sha256, salted);
        byte[] authMessage = bytes(bare + "," + serverFirst + "," + withoutProof);
        byte[] signature = ScramCrypto.hmac(sha256, ScramCrypto.storedKey(sha256, clientKey), authMessage);
        String proof = Base64.getEncoder().encodeToString(ScramCrypto.xor(clientKey, signature));
        try {
            exchange.evaluate(bytes(withoutProof + ",p=" + proof));
            return null;
        } catch (SaslAuthenticationException e) {
            assertThat(e.getMessage() + e.detail()).doesNotContain(proof);
            return e;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "garbage", "p=tls-unique,,n=alice,r=abc", "n,,m=ext,n=alice,r=abc",
        "n,,n=alice=,r=abc", "n,,n=,r=abc", "n,,n=alice", "n,,n=alice,r=", "n,,n=alice,r=a b", "n,,n=alice,r=abc,=x",
        "n,x,n=alice,r=abc"})
    void malformedClientFirstMessagesFail(String message) {
        SaslServerExchange exchange = exchange(ScramMechanism.SCRAM_SHA_256);

        SaslAuthenticationException failure = catchThrowableOfType(SaslAuthenticationException.class,
                () -> exchange.evaluate(bytes(message)));

        assertThat(failure.error()).isEqualTo(SecurityError.SASL_AUTHENTICATION_FAILED);
        assertThat(failure.detail()).startsWith("malformed SCRAM message");
    }

    @Test
    void bytesThatAreNotUtf8Fail() {
        assertThatThrownBy(() -> exchange(ScramMechanism.SCRAM_SHA_256).evaluate(new byte[] {'n', ',', ',', (byte) 0xff}))
                .isInstanceOf(SaslAuthenticationException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"c=biws,r=abc", "c=biws,p=AAAA", "c=%%%,r=abc,p=AAAA", "c=biws,r=abc,p=%%%",
        "r=abc,c=biws,p=AAAA"})
    void malformedClientFinalMessagesFailWithoutEchoingThem(String message) {
        SaslServerExchange exchange = exchange(ScramMechanism.SCRAM_SHA_256);
        exchange.evaluate(bytes("n,,n=alice,r=abc"));

        SaslAuthenticationException failure = catchThrowableOfType(SaslAuthenticationException.class,
                () -> exchange.evaluate(bytes(message)));

        assertThat(failure.detail()).startsWith("malformed SCRAM message").doesNotContain(message);
    }

    @Test
    void aProofOfTheWrongLengthFails() {
        SaslServerExchange exchange = exchange(ScramMechanism.SCRAM_SHA_256);
        String serverFirst = text(exchange.evaluate(bytes("n,,n=alice,r=abc")));
        String nonce = serverFirst.substring(2, serverFirst.indexOf(','));

        assertThatThrownBy(() -> exchange.evaluate(bytes("c=biws,r=" + nonce + ",p=AAAA")))
                .isInstanceOf(SaslAuthenticationException.class);
    }

    @Test
    void messagesOutOfTurnAreAnIllegalState() throws Exception {
        SaslServerExchange done = exchange(ScramMechanism.SCRAM_SHA_256);
        TestCredentials.kafkaClient(done, "alice", "alice-secret", Map.of());
        SaslServerExchange failed = exchange(ScramMechanism.SCRAM_SHA_256);
        assertThatThrownBy(() -> failed.evaluate(bytes("garbage"))).isInstanceOf(SaslAuthenticationException.class);

        for (SaslServerExchange exchange : new SaslServerExchange[] {done, failed}) {
            SaslAuthenticationException failure = catchThrowableOfType(SaslAuthenticationException.class,
                    () -> exchange.evaluate(bytes("n,,n=alice,r=abc")));
            assertThat(failure.error()).isEqualTo(SecurityError.ILLEGAL_SASL_STATE);
        }
        assertThat(done.complete()).isTrue();
        assertThat(failed.complete()).isFalse();
    }

    @Test
    void theFactoryMakesTheThreeMechanismsAndNoOther() {
        assertThat(SaslServerExchanges.MECHANISMS).containsExactly("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512");
        for (String mechanism : SaslServerExchanges.MECHANISMS) {
            assertThat(exchanges.create(mechanism)).hasValueSatisfying(e -> assertThat(e.mechanism()).isEqualTo(mechanism));
        }
        assertThat(exchanges.create("SCRAM-SHA-1")).isEmpty();
        assertThat(exchanges.create("GSSAPI")).isEmpty();
        assertThatThrownBy(() -> new SaslServerExchanges(users, new byte[0])).isInstanceOf(IllegalArgumentException.class);
    }

    private static String salt(String serverFirst) {
        int start = serverFirst.indexOf(",s=") + 3;
        return serverFirst.substring(start, serverFirst.indexOf(',', start));
    }
}
