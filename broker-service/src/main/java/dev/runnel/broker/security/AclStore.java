package dev.runnel.broker.security;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.zookeeper.CasUpdate;
import dev.runnel.broker.zookeeper.WatchedNodes;
import dev.runnel.cluster.ZkPaths;

/**
 * The cluster's ACLs in ZooKeeper, shared by every broker: CreateAcls, DeleteAcls and DescribeAcls
 * against it, and a watch that hands every change, as a new {@link AclIndex}, to the broker's
 * {@link Authorizer}.
 *
 * <pre>
 * /acls/&lt;ResourceType&gt;/&lt;PatternType&gt;/&lt;encoded name&gt;    {@link AclNodeJson}: the entries of that pattern
 *       Topic/LITERAL/orders
 *       Group/PREFIXED/billing-
 *       Topic/LITERAL/%2A                              the wildcard
 * </pre>
 *
 * Each pattern is one node, changed with compare-and-set on its version (so concurrent writes
 * through different brokers never lose one another) and deleted when its last entry goes; names are
 * encoded by {@link ZkPaths#encodeName}. A create or delete returns once ZooKeeper has the change
 * and, up to {@code visibilityWait}, once this broker's own index has it too (other brokers see it
 * moments later; Kafka's ACLs are eventually consistent across brokers too).
 *
 * <p>Thread-safe. Start with {@link #start()}, then {@link #awaitInitialized} before serving
 * requests that need authorization.
 */
public final class AclStore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AclStore.class);
    private static final PatternType[] STORED_PATTERN_TYPES = {PatternType.LITERAL, PatternType.PREFIXED};

    private final CuratorFramework zk;
    private final Consumer<AclIndex> listener;
    private final Duration visibilityWait;
    private final WatchedNodes<PatternAcls> watch;
    private volatile AclIndex current = AclIndex.EMPTY;

    /** The entries of one pattern node. */
    private record PatternAcls(ResourcePattern pattern, Set<AccessControlEntry> entries) {
    }

    /**
     * @param zk             a client rooted at the cluster's namespace
     * @param listener       takes each new index ({@code authorizer::load}), on the watch's thread
     * @param visibilityWait how long a write waits for this broker's own index to show it
     */
    public AclStore(CuratorFramework zk, Consumer<AclIndex> listener, Duration visibilityWait) {
        this.zk = zk;
        this.listener = listener;
        this.visibilityWait = visibilityWait;
        this.watch = new WatchedNodes<>(zk, ZkPaths.ACLS, 3, AclStore::parse, this::publish);
    }

    /** Starts watching {@code /acls}. */
    public void start() throws Exception {
        watch.start();
    }

    /**
     * Waits until the ACLs have been read once and handed to the listener: before that, an
     * {@link Authorizer} fed by this store has nothing to decide on.
     *
     * @return false if {@code timeout} passed first
     */
    public boolean awaitInitialized(Duration timeout) throws InterruptedException {
        return watch.awaitInitialized(timeout);
    }

    public boolean isInitialized() {
        return watch.isInitialized();
    }

    /** The last index handed to the listener ({@link AclIndex#EMPTY} before the first). */
    public AclIndex current() {
        return current;
    }

    /** DescribeAcls: the ACLs that match {@code filter}, as this broker knows them. */
    public List<AclBinding> describe(AclBindingFilter filter) {
        return current.bindings(filter);
    }

    /**
     * CreateAcls: stores each binding that {@link AclValidation#validateCreation} accepts. One
     * result per binding, in order; a binding already stored succeeds without a write.
     */
    public List<AclCreateResult> createAcls(List<AclBinding> bindings) throws InterruptedException {
        AclCreateResult[] results = new AclCreateResult[bindings.size()];
        Map<ResourcePattern, List<Integer>> byPattern = new LinkedHashMap<>();
        for (int i = 0; i < bindings.size(); i++) {
            ApiError error = AclValidation.validateCreation(bindings.get(i));
            if (error.isFailure()) {
                results[i] = new AclCreateResult(error);
            } else {
                byPattern.computeIfAbsent(bindings.get(i).pattern(), p -> new ArrayList<>()).add(i);
            }
        }
        List<CasUpdate.Outcome> outcomes = new ArrayList<>();
        byPattern.forEach((pattern, indexes) -> {
            AclCreateResult result;
            try {
                CasUpdate.update(zk, path(pattern), AclNodeJson.CODEC, entries -> {
                    Set<AccessControlEntry> next = new LinkedHashSet<>(entries);
                    indexes.forEach(i -> next.add(bindings.get(i).entry()));
                    return next;
                }).ifPresent(outcomes::add);
                result = AclCreateResult.SUCCESS;
            } catch (Exception e) {
                restoreInterrupt(e);
                LOG.warn("Could not create ACLs for {}", pattern, e);
                result = new AclCreateResult(ApiError.of(SecurityError.UNKNOWN_SERVER_ERROR,
                        "Failed to create ACLs for " + pattern + ": " + e.getMessage()));
            }
            for (int i : indexes) {
                results[i] = result;
            }
        });
        awaitOwnIndex(outcomes);
        return List.of(results);
    }

    /**
     * DeleteAcls: removes every stored ACL that one of the filters matches, reading ZooKeeper
     * itself rather than this broker's index. One result per filter, in order.
     */
    public List<AclDeleteResult> deleteAcls(List<AclBindingFilter> filters) throws Exception {
        AclDeleteResult[] results = new AclDeleteResult[filters.size()];
        List<Integer> valid = new ArrayList<>();
        for (int i = 0; i < filters.size(); i++) {
            ApiError error = AclValidation.validateDeletionFilter(filters.get(i));
            if (error.isFailure()) {
                results[i] = AclDeleteResult.failed(error);
            } else {
                valid.add(i);
            }
        }
        Map<Integer, List<AclBinding>> deleted = new HashMap<>();
        Map<Integer, ApiError> failed = new HashMap<>();
        List<CasUpdate.Outcome> outcomes = new ArrayList<>();
        for (ResourcePattern pattern : storedPatterns(filters, valid)) {
            List<Integer> candidates = valid.stream()
                    .filter(i -> filters.get(i).patternFilter().matches(pattern)).toList();
            if (candidates.isEmpty()) {
                continue;
            }
            Map<Integer, List<AclBinding>> matched = new HashMap<>();
            try {
                CasUpdate.update(zk, path(pattern), AclNodeJson.CODEC, entries -> {
                    matched.clear(); // a retry starts again from the node's new contents
                    Set<AccessControlEntry> remaining = new LinkedHashSet<>();
                    for (AccessControlEntry entry : entries) {
                        boolean gone = false;
                        for (int i : candidates) {
                            if (filters.get(i).entryFilter().matches(entry)) {
                                matched.computeIfAbsent(i, x -> new ArrayList<>()).add(new AclBinding(pattern, entry));
                                gone = true;
                            }
                        }
                        if (!gone) {
                            remaining.add(entry);
                        }
                    }
                    return remaining;
                }).ifPresent(outcomes::add);
                matched.forEach((i, bindings) -> deleted.computeIfAbsent(i, x -> new ArrayList<>()).addAll(bindings));
            } catch (Exception e) {
                restoreInterrupt(e);
                LOG.warn("Could not delete ACLs of {}", pattern, e);
                ApiError error = ApiError.of(SecurityError.UNKNOWN_SERVER_ERROR,
                        "Failed to delete ACLs of " + pattern + ": " + e.getMessage());
                candidates.forEach(i -> failed.putIfAbsent(i, error));
            }
        }
        for (int i : valid) {
            results[i] = failed.containsKey(i) ? AclDeleteResult.failed(failed.get(i))
                    : new AclDeleteResult(ApiError.NONE, deleted.getOrDefault(i, List.of()));
        }
        awaitOwnIndex(outcomes);
        return List.of(results);
    }

    /** The patterns stored in ZooKeeper that one of the valid filters can match, listed from ZooKeeper. */
    private List<ResourcePattern> storedPatterns(List<AclBindingFilter> filters, List<Integer> valid)
            throws Exception {
        List<ResourcePattern> patterns = new ArrayList<>();
        for (ResourceType type : ResourceType.values()) {
            if (!type.isConcrete()) {
                continue;
            }
            for (PatternType patternType : STORED_PATTERN_TYPES) {
                boolean wanted = valid.stream().map(i -> filters.get(i).patternFilter()).anyMatch(f ->
                        (f.resourceType() == ResourceType.ANY || f.resourceType() == type)
                                && (f.patternType() == PatternType.ANY || f.patternType() == PatternType.MATCH
                                        || f.patternType() == patternType));
                if (!wanted) {
                    continue;
                }
                List<String> children;
                try {
                    children = zk.getChildren().forPath(ZkPaths.aclPatterns(type.displayName(), patternType.name()));
                } catch (KeeperException.NoNodeException e) {
                    continue;
                }
                for (String child : children) {
                    try {
                        patterns.add(new ResourcePattern(type, ZkPaths.decodeName(child), patternType));
                    } catch (IllegalArgumentException e) {
                        LOG.warn("Ignoring ACL node {} with a malformed name", child);
                    }
                }
            }
        }
        return patterns;
    }

    private void awaitOwnIndex(Collection<CasUpdate.Outcome> outcomes) throws InterruptedException {
        if (!outcomes.isEmpty() && !watch.awaitReflected(outcomes, visibilityWait)) {
            LOG.info("ACL changes are in ZooKeeper but not yet in this broker's index after {}", visibilityWait);
        }
    }

    private static void restoreInterrupt(Exception e) {
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
    }

    static String path(ResourcePattern pattern) {
        return ZkPaths.aclPattern(pattern.resourceType().displayName(), pattern.patternType().name(), pattern.name());
    }

    /** The pattern and entries of the node at {@code path}, or {@code null} if the path names none. */
    private static PatternAcls parse(String path, byte[] data) {
        String[] segments = path.substring(ZkPaths.ACLS.length() + 1).split("/");
        ResourceType type = ResourceType.fromDisplayName(segments[0]);
        PatternType patternType;
        try {
            patternType = PatternType.valueOf(segments[1]);
        } catch (IllegalArgumentException e) {
            patternType = PatternType.UNKNOWN;
        }
        if (!type.isConcrete() || !patternType.isSpecific()) {
            LOG.warn("Ignoring ACL node {}: not a resource type and pattern type", path);
            return null;
        }
        ResourcePattern pattern = new ResourcePattern(type, ZkPaths.decodeName(segments[2]), patternType);
        return new PatternAcls(pattern, AclNodeJson.decode(data, path));
    }

    private void publish(Collection<PatternAcls> nodes) {
        Map<ResourcePattern, Set<AccessControlEntry>> byPattern = new HashMap<>();
        nodes.forEach(node -> byPattern.put(node.pattern(), node.entries()));
        AclIndex index = AclIndex.ofPatterns(byPattern);
        current = index;
        listener.accept(index);
    }

    @Override
    public void close() {
        watch.close();
    }
}
