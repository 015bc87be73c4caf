package dev.runnel.broker.security;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.OptionalInt;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The internal SASL mechanism {@code RUNNEL-BROKER}, by which a broker proves to another that it
 * holds the cluster secret, over SaslHandshake v1 and SaslAuthenticate:
 *
 * <pre>
 *  follower                                      leader
 *    | SaslHandshake(RUNNEL-BROKER) ----------->  |
 *    | SaslAuthenticate("broker=2") ----------->  |  a fresh 32-byte challenge per exchange
 *    | <-------------------------- challenge ---  |
 *    | SaslAuthenticate(HMAC-SHA256(secret,       |
 *    |   "runnel-broker", 2, challenge)) ------>  |  compared in constant time
 *    | <------------------ NONE or failure -----  |  a failure closes the connection
 * </pre>
 *
 * The secret never crosses the wire and a recorded answer is useless for another challenge. This
 * is not TLS: anyone who can read the traffic can read the records too.
 */
public final class BrokerAuthentication {

    public static final String MECHANISM = "RUNNEL-BROKER";

    /** The principal type of brokers ({@code Broker:2}); users are {@code User}. */
    public static final String BROKER_PRINCIPAL_TYPE = "Broker";

    private static final String BROKER_PREFIX = "broker=";
    private static final int CHALLENGE_BYTES = 32;

    private final byte[] secret;
    private final SecureRandom random = new SecureRandom();

    public BrokerAuthentication(String secret) {
        if (secret == null || secret.isEmpty()) {
            throw new IllegalArgumentException("the cluster secret is required");
        }
        this.secret = secret.getBytes(StandardCharsets.UTF_8);
    }

    // ---- the follower's side ----------------------------------------------------------------

    /** The first SaslAuthenticate bytes: who the follower says it is. */
    public static byte[] claim(int brokerId) {
        return (BROKER_PREFIX + brokerId).getBytes(StandardCharsets.UTF_8);
    }

    /** The answer to {@code challenge} for broker {@code brokerId}. */
    public byte[] answer(int brokerId, byte[] challenge) {
        return hmac(brokerId, challenge);
    }

    // ---- the leader's side ------------------------------------------------------------------

    /** A new exchange, for one SaslHandshake naming {@link #MECHANISM}. */
    public SaslServerExchange exchange() {
        return new Exchange();
    }

    /** The principal of a connection that proved it is broker {@code brokerId}: no user can be named so. */
    public static Principal principal(int brokerId) {
        return new Principal(BROKER_PRINCIPAL_TYPE, Integer.toString(brokerId));
    }

    /** The claim, the challenge, the proof. */
    private final class Exchange implements SaslServerExchange {

        private int claimed = -1;
        private byte[] challenge;
        private boolean complete;

        @Override
        public String mechanism() {
            return MECHANISM;
        }

        @Override
        public byte[] evaluate(byte[] message) {
            if (complete) {
                throw new SaslAuthenticationException(SecurityError.ILLEGAL_SASL_STATE, "the " + MECHANISM
                        + " exchange is already complete", "a message after the exchange completed");
            }
            if (challenge == null) {
                String text = new String(message, StandardCharsets.UTF_8);
                try {
                    claimed = text.startsWith(BROKER_PREFIX) ? Integer.parseInt(text.substring(BROKER_PREFIX.length())) : -1;
                } catch (NumberFormatException e) {
                    claimed = -1;
                }
                if (claimed < 0) {
                    String failure = "expected 'broker=<id>' as the first " + MECHANISM + " message";
                    throw new SaslAuthenticationException(SecurityError.SASL_AUTHENTICATION_FAILED, failure, failure);
                }
                challenge = new byte[CHALLENGE_BYTES];
                random.nextBytes(challenge);
                return challenge.clone();
            }
            byte[] expected = hmac(claimed, challenge);
            challenge = new byte[0];
            if (!MessageDigest.isEqual(expected, message)) {
                String failure = "broker " + claimed + " did not prove it holds the cluster secret";
                throw new SaslAuthenticationException(SecurityError.SASL_AUTHENTICATION_FAILED, failure, failure);
            }
            complete = true;
            return new byte[0];
        }

        @Override
        public boolean complete() {
            return complete;
        }

        @Override
        public String authorizedUser() {
            throw new UnsupportedOperationException("a broker is not a user: see principal()");
        }

        @Override
        public Principal principal() {
            if (!complete) {
                throw new IllegalStateException("the " + MECHANISM + " exchange is not complete");
            }
            return BrokerAuthentication.principal(claimed);
        }

        @Override
        public OptionalInt brokerId() {
            return complete ? OptionalInt.of(claimed) : OptionalInt.empty();
        }
    }

    private byte[] hmac(int brokerId, byte[] challenge) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update((MECHANISM + "\0" + brokerId + "\0").getBytes(StandardCharsets.UTF_8));
            return mac.doFinal(challenge);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }
}
