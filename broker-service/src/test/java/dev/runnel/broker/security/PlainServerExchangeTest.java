package dev.runnel.broker.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** SASL PLAIN checked against the users' SCRAM credentials. */
class PlainServerExchangeTest {

    private final TestCredentials users = new TestCredentials()
            .add("alice", ScramMechanism.SCRAM_SHA_256, "alice-secret", 4096)
            .add("carol", ScramMechanism.SCRAM_SHA_512, "carol-secret", 4096);
    private final SaslServerExchanges exchanges = new SaslServerExchanges(users,
            "cluster-secret".getBytes(StandardCharsets.UTF_8));

    private SaslAuthenticationException fails(String message) {
        SaslServerExchange exchange = exchanges.create("PLAIN").orElseThrow();
        SaslAuthenticationException failure = catchThrowableOfType(SaslAuthenticationException.class,
                () -> exchange.evaluate(message.getBytes(StandardCharsets.UTF_8)));
        assertThat(exchange.complete()).isFalse();
        return failure;
    }

    private SaslServerExchange succeeds(String message) {
        SaslServerExchange exchange = exchanges.create("PLAIN").orElseThrow();
        assertThat(exchange.evaluate(message.getBytes(StandardCharsets.UTF_8))).isEmpty();
        assertThat(exchange.complete()).isTrue();
        return exchange;
    }

    @Test
    void theRightPasswordAuthenticatesAgainstEitherMechanismsCredential() {
        assertThat(succeeds("\0alice\0alice-secret").authorizedUser()).isEqualTo("alice");
        assertThat(succeeds("\0carol\0carol-secret").authorizedUser()).as("only a SCRAM-SHA-512 credential")
                .isEqualTo("carol");
        assertThat(succeeds("alice\0alice\0alice-secret").authorizedUser()).as("authzid the user's own")
                .isEqualTo("alice");
    }

    @Test
    void aWrongPasswordAndAnUnknownUserFailAlike() {
        SaslAuthenticationException wrong = fails("\0alice\0guess");
        SaslAuthenticationException unknown = fails("\0mallory\0guess");

        assertThat(wrong).hasMessage("Authentication failed: Invalid username or password");
        assertThat(unknown.getMessage()).isEqualTo(wrong.getMessage());
        assertThat(unknown.detail()).isEqualTo(wrong.detail()).doesNotContain("guess");
        assertThat(unknown.error()).isEqualTo(SecurityError.SASL_AUTHENTICATION_FAILED);
    }

    @Test
    void anAuthorizationIdMustBeTheUsersOwn() {
        assertThat(fails("bob\0alice\0alice-secret")).hasMessage(
                "Authentication failed: Client requested an authorization id that is different from username");
    }

    @ParameterizedTest
    @ValueSource(strings = {"alice-secret", "\0alice", "\0\0alice-secret", "\0alice\0", "\0alice\0alice-secret\0x"})
    void malformedMessagesFailWithTheGenericMessage(String message) {
        SaslAuthenticationException failure = fails(message);

        assertThat(failure).hasMessage(
                "Authentication failed during authentication due to invalid credentials with SASL mechanism PLAIN");
        assertThat(failure.detail()).doesNotContain("alice-secret");
    }

    @Test
    void oneMessageOnly() {
        SaslServerExchange exchange = succeeds("\0alice\0alice-secret");

        SaslAuthenticationException failure = catchThrowableOfType(SaslAuthenticationException.class,
                () -> exchange.evaluate("\0alice\0alice-secret".getBytes(StandardCharsets.UTF_8)));

        assertThat(failure.error()).isEqualTo(SecurityError.ILLEGAL_SASL_STATE);
        assertThatThrownBy(() -> exchanges.create("PLAIN").orElseThrow().authorizedUser())
                .isInstanceOf(IllegalStateException.class);
    }
}
