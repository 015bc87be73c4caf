package dev.runnel.broker.security;

import java.security.SecureRandom;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.PasswordCallback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.sasl.SaslException;

import org.apache.kafka.common.security.scram.ScramExtensionsCallback;
import org.apache.kafka.common.security.scram.internals.ScramSaslClient;

/** Users in memory, and kafka-clients' own SCRAM client run against an exchange. */
final class TestCredentials implements CredentialLookup {

    private final Map<String, Map<ScramMechanism, ScramCredential>> users = new HashMap<>();

    TestCredentials add(String user, ScramMechanism mechanism, String password, int iterations) {
        return add(user, mechanism, ScramCrypto.newCredential(mechanism, password, iterations, new SecureRandom()));
    }

    TestCredentials add(String user, ScramMechanism mechanism, ScramCredential credential) {
        users.computeIfAbsent(user, u -> new EnumMap<>(ScramMechanism.class)).put(mechanism, credential);
        return this;
    }

    @Override
    public Optional<ScramCredential> credential(String user, ScramMechanism mechanism) {
        return Optional.ofNullable(users.getOrDefault(user, Map.of()).get(mechanism));
    }

    /** Kafka's SCRAM client's messages and outcome against {@code exchange}. */
    record Run(byte[] clientFirst, byte[] serverFirst, byte[] clientFinal, boolean clientVerifiedServer) {
    }

    /**
     * Runs kafka-clients' {@code ScramSaslClient} against {@code exchange} to the end; the
     * exchange's exception is thrown as it is.
     */
    static Run kafkaClient(SaslServerExchange exchange, String user, String password, Map<String, String> extensions)
            throws SaslException {
        CallbackHandler callbacks = all -> {
            for (Callback callback : all) {
                if (callback instanceof NameCallback name) {
                    name.setName(user);
                } else if (callback instanceof PasswordCallback secret) {
                    secret.setPassword(password.toCharArray());
                } else if (callback instanceof ScramExtensionsCallback scram) {
                    scram.extensions(extensions);
                } else {
                    throw new UnsupportedCallbackException(callback);
                }
            }
        };
        ScramSaslClient client;
        try {
            client = new ScramSaslClient(org.apache.kafka.common.security.scram.internals.ScramMechanism
                    .forMechanismName(exchange.mechanism()), callbacks);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] clientFirst = client.evaluateChallenge(new byte[0]);
        byte[] serverFirst = exchange.evaluate(clientFirst);
        byte[] clientFinal = client.evaluateChallenge(serverFirst);
        byte[] serverFinal = exchange.evaluate(clientFinal);
        client.evaluateChallenge(serverFinal); // checks the server's signature
        return new Run(clientFirst, serverFirst, clientFinal, client.isComplete());
    }
}
