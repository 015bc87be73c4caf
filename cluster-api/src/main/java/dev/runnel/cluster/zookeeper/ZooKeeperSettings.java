package dev.runnel.cluster.zookeeper;

/**
 * How a Runnel service authenticates to ZooKeeper, bound from {@code runnel.zookeeper.*} by every
 * service that connects (controller, broker, gateway). Every service of a cluster must be given
 * the same identity: the nodes one creates are writable by that identity only.
 */
public class ZooKeeperSettings {

    private final Auth auth = new Auth();

    /** ZooKeeper's digest authentication ({@code addauth digest user:password}). */
    public static class Auth {

        /** The digest identity's name. */
        private String username = "runnel";

        /**
         * The digest identity's password. Unset: no authentication, and the nodes a service creates
         * are open to every ZooKeeper client ({@code world:anyone:cdrwa}), as before ACLs existed.
         */
        private String password;

        public String getUsername() {
            return username;
        }

        public void setUsername(String username) {
            this.username = username;
        }

        public String getPassword() {
            return password;
        }

        public void setPassword(String password) {
            this.password = password;
        }

        /** Whether a password is set, so services authenticate and put ACLs on what they create. */
        public boolean isEnabled() {
            return password != null && !password.isEmpty();
        }

        /** Name only: the password never reaches a log line through this. */
        @Override
        public String toString() {
            return "Auth[username=" + username + ", enabled=" + isEnabled() + "]";
        }
    }

    public Auth getAuth() {
        return auth;
    }
}
