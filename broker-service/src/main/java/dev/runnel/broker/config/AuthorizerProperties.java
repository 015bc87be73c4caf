package dev.runnel.broker.config;

/**
 * {@code runnel.broker.authorizer.*}: whether requests are authorized by Kafka ACLs, and how
 * (Kafka's {@code authorizer.class.name}, {@code super.users}, {@code allow.everyone.if.no.acl.found}).
 */
public class AuthorizerProperties {

    /** Whether requests are checked against the ACLs; off, every client may do everything (Kafka without an authorizer). */
    private boolean enabled;

    /** Principals allowed everything, {@code User:admin;User:ops} ({@code super.users}). */
    private String superUsers;

    /** Whether a resource no ACL names is open to everyone ({@code allow.everyone.if.no.acl.found}). */
    private boolean allowEveryoneIfNoAclFound;

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public String getSuperUsers() {
        return superUsers;
    }

    public void setSuperUsers(String superUsers) {
        this.superUsers = superUsers;
    }

    public boolean isAllowEveryoneIfNoAclFound() {
        return allowEveryoneIfNoAclFound;
    }

    public void setAllowEveryoneIfNoAclFound(boolean allowEveryoneIfNoAclFound) {
        this.allowEveryoneIfNoAclFound = allowEveryoneIfNoAclFound;
    }
}
