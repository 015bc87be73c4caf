package dev.runnel.broker.security;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * The server's side of SASL PLAIN (RFC 4616): one message, {@code [authzid] NUL authcid NUL
 * passwd}, answered with nothing. The password is checked against the user's SCRAM credential
 * (SCRAM-SHA-256's if there is one, else SCRAM-SHA-512's): salted with its salt and iterations,
 * its stored key is compared in constant time, so one user store serves PLAIN and SCRAM and no
 * password is ever stored. An unknown user is salted against a decoy credential, the same work as
 * a wrong password. The authorization id must be empty or the user's own. PLAIN sends the password
 * in the clear: offer it only on TLS listeners. Thread-safe; one message, then final.
 */
final class PlainServerExchange implements SaslServerExchange {

    static final String MECHANISM = "PLAIN";

    private final CredentialLookup credentials;
    private final DecoyCredentials decoys;
    private boolean evaluated;
    private String user;

    PlainServerExchange(CredentialLookup credentials, DecoyCredentials decoys) {
        this.credentials = credentials;
        this.decoys = decoys;
    }

    @Override
    public String mechanism() {
        return MECHANISM;
    }

    @Override
    public synchronized byte[] evaluate(byte[] clientMessage) {
        if (evaluated) {
            throw SaslAuthenticationException.outOfTurn(user != null ? "COMPLETE" : "FAILED");
        }
        evaluated = true;
        String[] tokens = tokens(clientMessage);
        String authzid = tokens[0];
        String username = tokens[1];
        String password = tokens[2];
        if (username.isEmpty()) {
            throw invalid("username not specified");
        }
        if (password.isEmpty()) {
            throw invalid("password not specified");
        }
        if (!verify(username, password)) {
            throw new SaslAuthenticationException(SecurityError.SASL_AUTHENTICATION_FAILED,
                    "Authentication failed: Invalid username or password", "the password does not verify");
        }
        if (!authzid.isEmpty() && !authzid.equals(username)) {
            throw SaslAuthenticationException.authzidMismatch();
        }
        user = username;
        return new byte[0];
    }

    private boolean verify(String username, String password) {
        Optional<ScramCredential> stored = credentials.credential(username, ScramMechanism.SCRAM_SHA_256)
                .filter(c -> c.iterations() >= ScramMechanism.MIN_ITERATIONS);
        ScramMechanism mechanism = ScramMechanism.SCRAM_SHA_256;
        if (stored.isEmpty()) {
            stored = credentials.credential(username, ScramMechanism.SCRAM_SHA_512)
                    .filter(c -> c.iterations() >= ScramMechanism.MIN_ITERATIONS);
            mechanism = stored.isPresent() ? ScramMechanism.SCRAM_SHA_512 : ScramMechanism.SCRAM_SHA_256;
        }
        ScramCredential decoy = decoys.credential(ScramMechanism.SCRAM_SHA_256, username); // for every user: same work
        ScramCredential credential = stored.orElse(decoy);
        byte[] salted = ScramCrypto.saltedPassword(mechanism, password, credential.salt(), credential.iterations());
        byte[] storedKey = ScramCrypto.storedKey(mechanism, ScramCrypto.clientKey(mechanism, salted));
        return MessageDigest.isEqual(storedKey, credential.storedKey()) & stored.isPresent();
    }

    /** The three NUL-separated tokens; anything else fails. */
    private static String[] tokens(byte[] message) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(message))
                    .toString();
        } catch (CharacterCodingException e) {
            throw invalid("the message is not UTF-8");
        }
        String[] tokens = text.split("\0", -1);
        if (tokens.length != 3) {
            throw invalid("expected 3 tokens, got " + tokens.length);
        }
        return tokens;
    }

    private static SaslAuthenticationException invalid(String detail) {
        return SaslAuthenticationException.invalidCredentials(MECHANISM, detail);
    }

    @Override
    public synchronized boolean complete() {
        return user != null;
    }

    @Override
    public synchronized String authorizedUser() {
        if (user == null) {
            throw new IllegalStateException("the PLAIN exchange has not completed");
        }
        return user;
    }
}
