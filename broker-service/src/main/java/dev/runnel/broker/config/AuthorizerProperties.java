package dev.runnel.broker.config;

import java.nio.file.Path;
import java.util.List;

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

    /**
     * ACLs made at start when missing, one ALLOW rule per entry:
     * {@code User:app READ,WRITE,DESCRIBE TOPIC PREFIXED app-} (principal, operations, resource
     * type, pattern type, name; from any host). Kept once made, like the bootstrap users.
     */
    private List<String> bootstrapAcls = List.of();

    /** A file of {@link #bootstrapAcls} lines ({@code #} starts a comment). */
    private Path bootstrapAclsFile;

    public List<String> getBootstrapAcls() {
        return bootstrapAcls;
    }

    public void setBootstrapAcls(List<String> bootstrapAcls) {
        this.bootstrapAcls = bootstrapAcls == null ? List.of() : List.copyOf(bootstrapAcls);
    }

    public Path getBootstrapAclsFile() {
        return bootstrapAclsFile;
    }

    public void setBootstrapAclsFile(Path bootstrapAclsFile) {
        this.bootstrapAclsFile = bootstrapAclsFile;
    }

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
