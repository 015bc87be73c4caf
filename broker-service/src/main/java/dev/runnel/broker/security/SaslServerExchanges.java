package dev.runnel.broker.security;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * Makes the server's side of a SASL exchange for a mechanism SaslHandshake chose: PLAIN,
 * SCRAM-SHA-256 or SCRAM-SHA-512, all three checked against one {@link CredentialLookup}. Which of
 * them a listener offers is the listener's choice ({@code sasl.enabled.mechanisms}). Thread-safe.
 */
public final class SaslServerExchanges {

    /** The mechanisms this class makes exchanges for. */
    public static final List<String> MECHANISMS = List.of(PlainServerExchange.MECHANISM,
            ScramMechanism.SCRAM_SHA_256.mechanismName(), ScramMechanism.SCRAM_SHA_512.mechanismName());

    private static final int NONCE_BYTES = 24;

    private final CredentialLookup credentials;
    private final DecoyCredentials decoys;
    private final SecureRandom random = new SecureRandom();

    /**
     * @param credentials the users' SCRAM credentials
     * @param decoyKey    the key of the decoy credentials unknown users get; give every broker the
     *                    same one (derived from the cluster secret), so that an unknown user meets
     *                    the same salt on every broker and after restarts, as a real user does
     */
    public SaslServerExchanges(CredentialLookup credentials, byte[] decoyKey) {
        this.credentials = credentials;
        this.decoys = new DecoyCredentials(decoyKey);
    }

    /** A new exchange for {@code mechanism}, or empty if it is not one of {@link #MECHANISMS}. */
    public Optional<SaslServerExchange> create(String mechanism) {
        if (PlainServerExchange.MECHANISM.equals(mechanism)) {
            return Optional.of(new PlainServerExchange(credentials, decoys));
        }
        return ScramMechanism.fromMechanismName(mechanism)
                .map(scram -> new ScramServerExchange(scram, credentials, decoys, this::serverNonce));
    }

    /** 24 random bytes in URL-safe base64: printable, without a comma. */
    private String serverNonce() {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(nonce);
    }
}
