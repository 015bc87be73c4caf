package dev.runnel.broker.security;

import java.util.Optional;

/** Where SASL exchanges find users' SCRAM credentials ({@link ScramCredentialStore} in a broker). */
@FunctionalInterface
public interface CredentialLookup {

    /** The credential of {@code user} for {@code mechanism}, if there is one. */
    Optional<ScramCredential> credential(String user, ScramMechanism mechanism);
}
