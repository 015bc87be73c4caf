package dev.runnel.cluster.zookeeper;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.ACL;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts {@link NamespaceAcls}' ACLs on every node of the namespace that lacks them: nodes created
 * before ZooKeeper authentication was switched on are open to anyone ({@code world:anyone:cdrwa}),
 * and Curator's ACL provider only covers the nodes created after. The controller runs it at start.
 *
 * <p>The namespace node is done last and is the commit point: while it carries the services' ACL,
 * nobody else can create a node under it, so a walk is needed only when it does not. A walk cut
 * short (a crash, a node it may not change) leaves it as it was, and the next start walks again.
 * A node whose ACL names another identity (the services' password was changed) cannot be changed by
 * this one: it is reported, and an operator fixes it with ZooKeeper's super user
 * ({@code -Dzookeeper.DigestAuthenticationProvider.superDigest}) and {@code setAcl -R}.
 */
public final class NamespaceAclRepair {

    private static final Logger log = LoggerFactory.getLogger(NamespaceAclRepair.class);
    private static final int REPORTED_FAILURES = 10;

    /** What a run did: nodes looked at, nodes whose ACL it set, nodes it could not change. */
    public record Result(int visited, int changed, List<String> refused) {

        public boolean complete() {
            return refused.isEmpty();
        }
    }

    private NamespaceAclRepair() {
    }

    /**
     * Gives every node of the namespace its ACL, unless the namespace node already has it.
     *
     * @param zk a client not rooted at the namespace (paths are absolute), authenticated as the services
     */
    public static Result run(CuratorFramework zk, NamespaceAcls acls) throws Exception {
        String root = acls.root();
        List<ACL> rootAcl;
        try {
            rootAcl = zk.getACL().forPath(root);
        } catch (KeeperException.NoNodeException e) {
            return new Result(0, 0, List.of()); // a new cluster: the provider gives every node its ACL
        }
        if (rootAcl.equals(acls.getAclForPath(root))) {
            return new Result(1, 0, List.of());
        }
        log.info("Putting Runnel's ZooKeeper ACLs on the nodes under {} (created before authentication was on)", root);
        int visited = 0;
        int changed = 0;
        List<String> refused = new ArrayList<>();
        Deque<String> pending = new ArrayDeque<>();
        for (String child : children(zk, root)) {
            pending.push(ZKPaths.makePath(root, child));
        }
        while (!pending.isEmpty()) {
            String path = pending.pop();
            for (String child : children(zk, path)) {
                pending.push(ZKPaths.makePath(path, child));
            }
            visited++;
            switch (setIfDifferent(zk, path, acls.getAclForPath(path))) {
                case SET -> changed++;
                case REFUSED -> refused.add(path);
                case UNCHANGED -> { }
            }
        }
        if (refused.isEmpty()) {
            switch (setIfDifferent(zk, root, acls.getAclForPath(root))) {
                case SET -> changed++;
                case REFUSED -> refused.add(root);
                case UNCHANGED -> { }
            }
        }
        visited++;
        if (refused.isEmpty()) {
            log.info("Runnel's ZooKeeper ACLs are on all {} nodes under {} ({} changed)", visited, root, changed);
        } else {
            log.error("{} nodes under {} keep an ACL this service may not change (they belong to another identity; "
                    + "set them with ZooKeeper's super user, setAcl -R): {}{}", refused.size(), root,
                    refused.subList(0, Math.min(REPORTED_FAILURES, refused.size())),
                    refused.size() > REPORTED_FAILURES ? ", ..." : "");
        }
        return new Result(visited, changed, List.copyOf(refused));
    }

    private static List<String> children(CuratorFramework zk, String path) throws Exception {
        try {
            return zk.getChildren().forPath(path);
        } catch (KeeperException.NoNodeException e) {
            return List.of(); // an ephemeral node gone meanwhile
        } catch (KeeperException.NoAuthException e) {
            return List.of(); // unreadable: its own ACL is reported when it is set
        }
    }

    private enum Outcome {
        SET,
        /** It had the ACL already, or is gone. */
        UNCHANGED,
        /** This identity may not change it. */
        REFUSED
    }

    private static Outcome setIfDifferent(CuratorFramework zk, String path, List<ACL> wanted) throws Exception {
        try {
            if (zk.getACL().forPath(path).equals(wanted)) {
                return Outcome.UNCHANGED;
            }
            zk.setACL().withACL(wanted).forPath(path);
            return Outcome.SET;
        } catch (KeeperException.NoNodeException e) {
            return Outcome.UNCHANGED;
        } catch (KeeperException.NoAuthException e) {
            return Outcome.REFUSED;
        }
    }
}
