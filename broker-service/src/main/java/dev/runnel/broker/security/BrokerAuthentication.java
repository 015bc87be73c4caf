package dev.runnel.broker.security;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;

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

    /** Whether SaslHandshake may go on with {@code mechanism} on {@code session}. */
    public boolean handshake(Session session, String mechanism) {
        return MECHANISM.equals(mechanism) && session.handshake();
    }

    /**
     * Takes one SaslAuthenticate message.
     *
     * @return the bytes to answer with
     * @throws AuthenticationException if the exchange failed: the session stays anonymous for good
     */
    public byte[] authenticate(Session session, byte[] message) {
        if (session.expectsBrokerId()) {
            String text = new String(message, StandardCharsets.UTF_8);
            int claimed;
            try {
                claimed = text.startsWith(BROKER_PREFIX) ? Integer.parseInt(text.substring(BROKER_PREFIX.length())) : -1;
            } catch (NumberFormatException e) {
                claimed = -1;
            }
            if (claimed < 0) {
                session.failed();
                throw new AuthenticationException("expected 'broker=<id>' as the first " + MECHANISM + " message");
            }
            byte[] challenge = new byte[CHALLENGE_BYTES];
            random.nextBytes(challenge);
            session.challenged(claimed, challenge);
            return challenge;
        }
        if (session.expectsProof()) {
            byte[] expected = hmac(session.claimedBrokerId(), session.challenge());
            if (!MessageDigest.isEqual(expected, message)) {
                session.failed();
                throw new AuthenticationException("broker " + session.claimedBrokerId()
                        + " did not prove it holds the cluster secret");
            }
            session.authenticated();
            return new byte[0];
        }
        throw new IllegalStateException("no " + MECHANISM + " exchange is under way on this connection");
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

    /** A failed exchange. */
    public static final class AuthenticationException extends RuntimeException {
        public AuthenticationException(String message) {
            super(message);
        }
    }
}
