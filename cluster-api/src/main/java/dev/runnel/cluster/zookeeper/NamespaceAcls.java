package dev.runnel.cluster.zookeeper;

import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import org.apache.curator.framework.api.ACLProvider;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.server.auth.DigestAuthenticationProvider;

import dev.runnel.cluster.ZkPaths;

/**
 * The ACLs of a cluster's nodes in ZooKeeper, given to Curator as its {@link ACLProvider}, so every
 * node a Runnel service creates gets them, parents included:
 *
 * <pre>
 * /&lt;namespace&gt;, and everything under it       digest:&lt;user&gt;:&lt;hash&gt;  cdrwa    world:anyone  r
 * /&lt;namespace&gt;/users, /&lt;namespace&gt;/acls,
 *   and everything under them                digest:&lt;user&gt;:&lt;hash&gt;  cdrwa    (no world access)
 * </pre>
 *
 * Only Runnel's services, which authenticate as the one digest identity, may create, change or
 * delete a node, or change its ACL. Anyone may read the rest of the layout (as Kafka leaves its
 * ZooKeeper nodes world-readable): it holds addresses, topic assignments and configs, no secret.
 * The subtrees that hold secrets, SCRAM credentials ({@code /users}) and Kafka ACLs ({@code /acls}),
 * are not readable by anyone else either.
 *
 * <p>Paths reach a provider with the namespace in front ({@code /runnel/topics/orders}), as
 * ZooKeeper sees them. Thread-safe: immutable.
 */
public final class NamespaceAcls implements ACLProvider {

    /** Subtrees, relative to the namespace, that only Runnel's services may read. */
    public static final List<String> PRIVATE_SUBTREES = List.of(ZkPaths.USERS, ZkPaths.ACLS);

    private final String root;
    private final List<String> privateRoots;
    private final List<ACL> readable;
    private final List<ACL> closed;

    /**
     * @param namespace the cluster's namespace, without the slash ({@code runnel})
     * @param username  the digest identity of Runnel's services
     * @param password  its password
     */
    public NamespaceAcls(String namespace, String username, String password) {
        if (namespace == null || namespace.isEmpty() || namespace.contains("/")) {
            throw new IllegalArgumentException("a namespace is one path element, such as 'runnel': " + namespace);
        }
        this.root = "/" + namespace;
        this.privateRoots = PRIVATE_SUBTREES.stream().map(p -> root + p).toList();
        ACL services = new ACL(ZooDefs.Perms.ALL, new Id("digest", digest(username, password)));
        // Not List.of: ZooKeeper asks a node's ACL list whether it contains null, which List.of refuses to answer.
        this.closed = Collections.unmodifiableList(Arrays.asList(services));
        this.readable = Collections.unmodifiableList(Arrays.asList(services,
                new ACL(ZooDefs.Perms.READ, ZooDefs.Ids.ANYONE_ID_UNSAFE)));
    }

    /** {@code user:base64(sha1(user:password))}, the id ZooKeeper's digest scheme gives the identity. */
    static String digest(String username, String password) {
        if (username == null || username.isEmpty() || username.contains(":")) {
            throw new IllegalArgumentException("runnel.zookeeper.auth.username must be set and hold no ':'");
        }
        try {
            return DigestAuthenticationProvider.generateDigest(username + ":" + password);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("This JVM has no SHA-1, which ZooKeeper's digest scheme needs", e);
        }
    }

    /** The credentials to give Curator's {@code authorization("digest", ...)}. */
    public static byte[] credentials(String username, String password) {
        return (username + ":" + password).getBytes(StandardCharsets.UTF_8);
    }

    /** The namespace node, {@code /runnel}. */
    public String root() {
        return root;
    }

    /** Whether {@code path} lies in the namespace (or is its node). */
    public boolean inNamespace(String path) {
        return path.equals(root) || path.startsWith(root + "/");
    }

    /** Whether {@code path} is one of the subtrees no one but Runnel's services may read. */
    public boolean isPrivate(String path) {
        for (String p : privateRoots) {
            if (path.equals(p) || path.startsWith(p + "/")) {
                return true;
            }
        }
        return false;
    }

    @Override
    public List<ACL> getDefaultAcl() {
        return readable;
    }

    @Override
    public List<ACL> getAclForPath(String path) {
        return path != null && isPrivate(path) ? closed : readable;
    }
}
