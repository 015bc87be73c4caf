package dev.runnel.broker.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The server's side of SCRAM-SHA-256 or SCRAM-SHA-512 (RFC 5802, RFC 7677), as Kafka's brokers
 * run it over SaslAuthenticate:
 *
 * <pre>
 *  client                                             server
 *    n,,n=alice,r=CNONCE -------------------------->   look up alice's credential (a decoy if none)
 *    &lt;------------- r=CNONCE SNONCE,s=SALT,i=4096 --
 *    c=biws,r=CNONCE SNONCE,p=PROOF --------------->   check binding and nonce, verify the proof
 *    &lt;------------------------------- v=SIGNATURE --   complete: the client is User:alice
 * </pre>
 *
 * The proof is checked in constant time against the stored key. An unknown user (or one without
 * a credential for this mechanism) gets a decoy credential and fails at the proof, exactly as a
 * wrong password does. Failures are thrown, never answered with {@code e=}: Kafka's clients read a
 * failure from SaslAuthenticate's error code, and every failure that could say something about the
 * user carries Kafka's one generic message. The {@code tokenauth} extension (delegation tokens)
 * fails; other extensions are ignored, as in Kafka.
 *
 * <p>States, each message moving it on:
 * <ul>
 *   <li>{@code RECEIVE_CLIENT_FIRST}: expects client-first; then {@code RECEIVE_CLIENT_FINAL} or {@code FAILED}.</li>
 *   <li>{@code RECEIVE_CLIENT_FINAL}: expects client-final; then {@code COMPLETE} or {@code FAILED}.</li>
 *   <li>{@code COMPLETE}, {@code FAILED}: final; any further message fails with ILLEGAL_SASL_STATE and
 *       changes nothing.</li>
 * </ul>
 * Thread-safe.
 */
final class ScramServerExchange implements SaslServerExchange {

    private enum State {
        RECEIVE_CLIENT_FIRST,
        RECEIVE_CLIENT_FINAL,
        COMPLETE,
        FAILED
    }

    private final ScramMechanism mechanism;
    private final CredentialLookup credentials;
    private final DecoyCredentials decoys;
    private final Supplier<String> serverNonces;

    private State state = State.RECEIVE_CLIENT_FIRST;
    private ScramMessages.ClientFirst clientFirst;
    private String serverFirst;
    private ScramCredential credential;
    private boolean known;
    private String user;

    ScramServerExchange(ScramMechanism mechanism, CredentialLookup credentials, DecoyCredentials decoys,
            Supplier<String> serverNonces) {
        this.mechanism = mechanism;
        this.credentials = credentials;
        this.decoys = decoys;
        this.serverNonces = serverNonces;
    }

    @Override
    public String mechanism() {
        return mechanism.mechanismName();
    }

    @Override
    public synchronized byte[] evaluate(byte[] clientMessage) {
        State at = state;
        if (at == State.COMPLETE || at == State.FAILED) {
            throw SaslAuthenticationException.outOfTurn(at); // the outcome stands
        }
        try {
            byte[] answer = at == State.RECEIVE_CLIENT_FIRST ? clientFirst(clientMessage) : clientFinal(clientMessage);
            state = at == State.RECEIVE_CLIENT_FIRST ? State.RECEIVE_CLIENT_FINAL : State.COMPLETE;
            return answer;
        } catch (SaslAuthenticationException e) {
            fail();
            throw e;
        } catch (ScramMessages.MalformedException e) {
            fail();
            throw invalid("malformed SCRAM message: " + e.getMessage());
        }
    }

    private byte[] clientFirst(byte[] message) throws ScramMessages.MalformedException {
        ScramMessages.ClientFirst first = ScramMessages.parseClientFirst(message);
        if (Boolean.parseBoolean(first.extensions().get("tokenauth"))) {
            throw invalid("delegation tokens are not supported");
        }
        if (!first.authzid().isEmpty() && !first.authzid().equals(first.username())) {
            throw SaslAuthenticationException.authzidMismatch();
        }
        ScramCredential decoy = decoys.credential(mechanism, first.username()); // made for every user: same work
        Optional<ScramCredential> stored = credentials.credential(first.username(), mechanism)
                .filter(c -> c.iterations() >= ScramMechanism.MIN_ITERATIONS);
        known = stored.isPresent();
        credential = stored.orElse(decoy);
        clientFirst = first;
        serverFirst = ScramMessages.serverFirst(first.nonce() + serverNonces.get(), credential.salt(),
                credential.iterations());
        return serverFirst.getBytes(StandardCharsets.UTF_8);
    }

    private byte[] clientFinal(byte[] message) throws ScramMessages.MalformedException {
        ScramMessages.ClientFinal last = ScramMessages.parseClientFinal(message);
        if (!MessageDigest.isEqual(last.channelBinding(), clientFirst.gs2Header().getBytes(StandardCharsets.UTF_8))) {
            throw invalid("the channel binding is not the gs2 header of client-first");
        }
        // Kafka checks only that the nonce ends with the server's, and librdkafka (at least to 2.0)
        // sends its own nonce before the whole server nonce, which repeats it: accepted as Kafka does.
        String serverNonce = serverFirst.substring(2, serverFirst.indexOf(','));
        if (!last.nonce().endsWith(serverNonce)) {
            throw invalid("the nonce of client-final does not end with the server's");
        }
        if (last.proof().length != mechanism.hashLength()) {
            throw invalid("the proof has the wrong length");
        }
        byte[] authMessage = ScramMessages.authMessage(clientFirst, serverFirst, last);
        byte[] storedKey = credential.storedKey();
        byte[] clientSignature = ScramCrypto.hmac(mechanism, storedKey, authMessage);
        byte[] clientKey = ScramCrypto.xor(last.proof(), clientSignature);
        boolean proven = MessageDigest.isEqual(ScramCrypto.storedKey(mechanism, clientKey), storedKey);
        if (!(proven & known)) {
            throw invalid("the proof does not verify");
        }
        user = clientFirst.username();
        byte[] serverSignature = ScramCrypto.hmac(mechanism, credential.serverKey(), authMessage);
        forgetCredential();
        return ScramMessages.serverFinal(serverSignature).getBytes(StandardCharsets.UTF_8);
    }

    private SaslAuthenticationException invalid(String detail) {
        return SaslAuthenticationException.invalidCredentials(mechanism.mechanismName(), detail);
    }

    private void fail() {
        state = State.FAILED;
        forgetCredential();
    }

    private void forgetCredential() {
        credential = null;
        clientFirst = null;
        serverFirst = null;
    }

    @Override
    public synchronized boolean complete() {
        return state == State.COMPLETE;
    }

    @Override
    public synchronized String authorizedUser() {
        if (state != State.COMPLETE) {
            throw new IllegalStateException("the SCRAM exchange has not completed");
        }
        return user;
    }
}
