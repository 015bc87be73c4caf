package dev.runnel.gateway.security;

import org.springframework.boot.context.properties.ConfigurationProperties;

import dev.runnel.cluster.security.Accounts;
import dev.runnel.cluster.security.ApiKeyAuthenticationFilter;

/**
 * Who may use the gateway, under {@code runnel.gateway.security}: users (HTTP basic, and the
 * console's login form) and API keys (header {@value ApiKeyAuthenticationFilter#HEADER}), each with
 * a role, in the form controllers and brokers share ({@link Accounts}). TLS is Spring Boot's:
 * {@code server.ssl.*}.
 */
@ConfigurationProperties("runnel.gateway.security")
public class GatewaySecurityProperties extends Accounts {

    /** Off only on purpose: then every route is open to anyone who can reach the gateway. */
    private boolean enabled = true;

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    /** Refuses settings that would leave the gateway locked or half-configured, naming the entry. */
    void validate() {
        if (!enabled) {
            return;
        }
        if (isEmpty()) {
            throw new IllegalStateException("runnel.gateway.security needs at least one user or API key"
                    + " (runnel.gateway.security.users[0].name/password/role), or enabled=false to leave the gateway open");
        }
        validateEntries("runnel.gateway.security");
    }
}
