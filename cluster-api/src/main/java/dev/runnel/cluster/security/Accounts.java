package dev.runnel.cluster.security;

import java.util.ArrayList;
import java.util.List;

/**
 * Who may call a Runnel service's HTTP API: users (HTTP basic) and API keys (header {@value
 * ApiKeyAuthenticationFilter#HEADER}), each with a role. A password may be given hashed ({@code
 * {bcrypt}...}); one without a {@code {id}} prefix is taken as plain text. The gateway binds it
 * under {@code runnel.gateway.security}, controllers and brokers under {@code runnel.cluster.security}.
 */
public class Accounts {

    /** What a caller may do. */
    public enum Role {
        /** Read everything (and, on the gateway, consume through consumer instances). */
        READ,
        /** Also change things: produce, create and delete topics, change configs, reset offsets. */
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

    /** The shortest API key accepted. */
    public static final int MIN_KEY_LENGTH = 16;

    private List<User> users = new ArrayList<>();

    private List<ApiKey> apiKeys = new ArrayList<>();

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

    /** Whether anyone at all is let in. */
    public boolean isEmpty() {
        return users.isEmpty() && apiKeys.isEmpty();
    }

    /**
     * Refuses half-configured entries, naming each by its property ({@code prefix.users[0]}), so a
     * service does not start with a user nobody can sign in as, or a key anyone could guess.
     */
    public void validateEntries(String prefix) {
        for (int i = 0; i < users.size(); i++) {
            User user = users.get(i);
            if (user.getName() == null || user.getName().isBlank() || user.getPassword() == null
                    || user.getPassword().isEmpty()) {
                throw new IllegalStateException(prefix + ".users[" + i + "] needs a name and a password");
            }
        }
        for (int i = 0; i < apiKeys.size(); i++) {
            ApiKey key = apiKeys.get(i);
            if (key.getName() == null || key.getName().isBlank() || key.getKey() == null
                    || key.getKey().length() < MIN_KEY_LENGTH) {
                throw new IllegalStateException(prefix + ".api-keys[" + i + "] needs a name and a key of at least "
                        + MIN_KEY_LENGTH + " characters");
            }
        }
    }
}
