package dev.runnel.gateway.security;

import java.util.ArrayList;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Who may use the gateway, under {@code runnel.gateway.security}: users (HTTP basic, and the
 * console's login form) and API keys (header {@value ApiKeyAuthenticationFilter#HEADER}), each with
 * a role. A password may be given hashed ({@code {bcrypt}...}); one without a {@code {id}} prefix
 * is taken as plain text. TLS is Spring Boot's: {@code server.ssl.*}.
 */
@ConfigurationProperties("runnel.gateway.security")
public class GatewaySecurityProperties {

    /** What a caller may do. */
    public enum Role {
        /** Read everything, and consume through consumer instances. */
        READ,
        /** Also produce, create and delete topics, change configs, reset offsets. */
        ADMIN
    }

    /** Who is let in, under a name and with a role; the secret that proves it is the subclass's. */
    public abstract static class Identity {
        private String name;
        private Role role = Role.READ;

        public String getName() {
            return name;
        }

        public void setName(String name) {
            this.name = name;
        }

        public Role getRole() {
            return role;
        }

        public void setRole(Role role) {
            this.role = role;
        }

        /** Name and role only: the secret never reaches a log line through this. */
        @Override
        public String toString() {
            return getClass().getSimpleName() + "[name=" + name + ", role=" + role + "]";
        }
    }

    /** A user who signs in with a name and password. */
    public static class User extends Identity {
        private String password;

        public String getPassword() {
            return password;
        }

        public void setPassword(String password) {
            this.password = password;
        }
    }

    /** A program's key, sent in the {@value ApiKeyAuthenticationFilter#HEADER} header. */
    public static class ApiKey extends Identity {
        private String key;

        public String getKey() {
            return key;
        }

        public void setKey(String key) {
            this.key = key;
        }
    }

    /** Off only on purpose: then every route is open to anyone who can reach the gateway. */
    private boolean enabled = true;

    private List<User> users = new ArrayList<>();

    private List<ApiKey> apiKeys = new ArrayList<>();

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public List<User> getUsers() {
        return users;
    }

    public void setUsers(List<User> users) {
        this.users = users;
    }

    public List<ApiKey> getApiKeys() {
        return apiKeys;
    }

    public void setApiKeys(List<ApiKey> apiKeys) {
        this.apiKeys = apiKeys;
    }

    /** Refuses settings that would leave the gateway locked or half-configured, naming the entry. */
    void validate() {
        if (!enabled) {
            return;
        }
        if (users.isEmpty() && apiKeys.isEmpty()) {
            throw new IllegalStateException("runnel.gateway.security needs at least one user or API key"
                    + " (runnel.gateway.security.users[0].name/password/role), or enabled=false to leave the gateway open");
        }
        for (int i = 0; i < users.size(); i++) {
            User user = users.get(i);
            if (user.getName() == null || user.getName().isBlank() || user.getPassword() == null
                    || user.getPassword().isEmpty()) {
                throw new IllegalStateException("runnel.gateway.security.users[" + i + "] needs a name and a password");
            }
        }
        for (int i = 0; i < apiKeys.size(); i++) {
            ApiKey key = apiKeys.get(i);
            if (key.getName() == null || key.getName().isBlank() || key.getKey() == null || key.getKey().length() < 16) {
                throw new IllegalStateException("runnel.gateway.security.api-keys[" + i
                        + "] needs a name and a key of at least 16 characters");
            }
        }
    }
}
