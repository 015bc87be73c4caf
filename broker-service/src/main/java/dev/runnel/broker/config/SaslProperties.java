package dev.runnel.broker.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.springframework.util.unit.DataSize;

/** {@code runnel.broker.sasl.*}: SASL authentication on the {@code SASL_PLAINTEXT} and {@code SASL_SSL} listeners. */
public class SaslProperties {

    /** The mechanisms clients may use, in the order they are offered ({@code sasl.enabled.mechanisms}): {@code SCRAM-SHA-512}, {@code SCRAM-SHA-256}, {@code PLAIN} (checked against the SCRAM credentials). */
    private List<String> enabledMechanisms = List.of("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN");

    /**
     * Users created at start when they have no SCRAM credential yet, {@code name:password} each:
     * the first administrator of a secured cluster (Kafka's {@code kafka-storage format --add-scram}).
     * Prefer {@link #bootstrapUsersFile}, which keeps the passwords off command lines.
     */
    private List<String> bootstrapUsers = List.of();

    /** A file of {@code name:password} lines, read like {@link #bootstrapUsers}. */
    private Path bootstrapUsersFile;

    public List<String> getBootstrapUsers() {
        return bootstrapUsers;
    }

    public void setBootstrapUsers(List<String> bootstrapUsers) {
        this.bootstrapUsers = bootstrapUsers;
    }

    public Path getBootstrapUsersFile() {
        return bootstrapUsersFile;
    }

    public void setBootstrapUsersFile(Path bootstrapUsersFile) {
        this.bootstrapUsersFile = bootstrapUsersFile;
    }

    /** A connection of a SASL listener that has not authenticated within this time is closed. */
    private Duration authenticationTimeout = Duration.ofSeconds(10);

    /** The largest request before authentication ({@code sasl.server.max.receive.size}). */
    private DataSize serverMaxReceiveSize = DataSize.ofKilobytes(512);

    /** How long the answer to a failed authentication is held back before the connection closes ({@code connection.failed.authentication.delay.ms}). */
    private Duration failedAuthenticationDelay = Duration.ofMillis(100);

    /** How long an authenticated session lives before the client must re-authenticate; 0: for the connection's life ({@code connections.max.reauth.ms}). */
    private Duration connectionsMaxReauth = Duration.ZERO;

    public List<String> getEnabledMechanisms() {
        return enabledMechanisms;
    }

    public void setEnabledMechanisms(List<String> enabledMechanisms) {
        this.enabledMechanisms = enabledMechanisms;
    }

    public Duration getAuthenticationTimeout() {
        return authenticationTimeout;
    }

    public void setAuthenticationTimeout(Duration authenticationTimeout) {
        this.authenticationTimeout = authenticationTimeout;
    }

    public DataSize getServerMaxReceiveSize() {
        return serverMaxReceiveSize;
    }

    public void setServerMaxReceiveSize(DataSize serverMaxReceiveSize) {
        this.serverMaxReceiveSize = serverMaxReceiveSize;
    }

    public Duration getFailedAuthenticationDelay() {
        return failedAuthenticationDelay;
    }

    public void setFailedAuthenticationDelay(Duration failedAuthenticationDelay) {
        this.failedAuthenticationDelay = failedAuthenticationDelay;
    }

    public Duration getConnectionsMaxReauth() {
        return connectionsMaxReauth;
    }

    public void setConnectionsMaxReauth(Duration connectionsMaxReauth) {
        this.connectionsMaxReauth = connectionsMaxReauth;
    }
}
