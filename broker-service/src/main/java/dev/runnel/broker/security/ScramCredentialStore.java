package dev.runnel.broker.security;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import org.apache.curator.framework.CuratorFramework;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.zookeeper.CasUpdate;
import dev.runnel.broker.zookeeper.WatchedNodes;
import dev.runnel.cluster.ZkPaths;

/**
 * The users' SCRAM credentials in ZooKeeper, shared by every broker: one node per user,
 * {@code /users/<encoded name>} ({@link UserCredentialsJson}), with a credential per mechanism and
 * never a password. AlterUserScramCredentials and DescribeUserScramCredentials with Kafka's rules
 * (KIP-554, Kafka's {@code ScramControlManager} and {@code ScramImage}), and a watch that keeps
 * every broker's copy current for the SASL exchanges ({@link CredentialLookup}).
 *
 * <p>A user's node changes with compare-and-set on its version and is deleted with its last
 * credential. An alteration returns once ZooKeeper has it and, up to {@code visibilityWait}, once
 * this broker's copy has it too. Until the first read of {@code /users}, every user looks unknown
 * (authentication fails closed): {@link #awaitInitialized} before serving SASL.
 *
 * <p>Thread-safe.
 */
public final class ScramCredentialStore implements CredentialLookup, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ScramCredentialStore.class);
    private static final String DUPLICATE = "A user credential cannot be altered twice in the same request";

    private final CuratorFramework zk;
    private final Duration visibilityWait;
    private final WatchedNodes<UserNode> watch;
    private volatile Map<String, Map<ScramMechanism, ScramCredential>> users = Map.of();

    private record UserNode(String user, Map<ScramMechanism, ScramCredential> credentials) {
    }

    /**
     * @param zk             a client rooted at the cluster's namespace
     * @param visibilityWait how long an alteration waits for this broker's own copy to show it
     */
    public ScramCredentialStore(CuratorFramework zk, Duration visibilityWait) {
        this.zk = zk;
        this.visibilityWait = visibilityWait;
        this.watch = new WatchedNodes<>(zk, ZkPaths.USERS, 1, ScramCredentialStore::parse, this::publish);
    }

    /** Starts watching {@code /users}. */
    public void start() throws Exception {
        watch.start();
    }

    /** Waits until the credentials have been read once; false if {@code timeout} passed first. */
    public boolean awaitInitialized(Duration timeout) throws InterruptedException {
        return watch.awaitInitialized(timeout);
    }

    public boolean isInitialized() {
        return watch.isInitialized();
    }

    @Override
    public Optional<ScramCredential> credential(String user, ScramMechanism mechanism) {
        Map<ScramMechanism, ScramCredential> credentials = users.get(user);
        return credentials == null ? Optional.empty() : Optional.ofNullable(credentials.get(mechanism));
    }

    /**
     * Sets {@code user}'s credential for {@code mechanism} (for tooling and tests; clients use
     * {@link #alter}).
     */
    public void upsert(String user, ScramMechanism mechanism, ScramCredential credential) throws Exception {
        if (user.isEmpty()) {
            throw new IllegalArgumentException("Username must not be empty");
        }
        ScramCrypto.checkIterations(credential.iterations());
        awaitOwnCopy(write(user, credentials -> {
            credentials.put(mechanism, credential);
            return true;
        }));
    }

    /** Removes {@code user}'s credential for {@code mechanism}; false if there was none. */
    public boolean delete(String user, ScramMechanism mechanism) throws Exception {
        boolean[] existed = new boolean[1];
        awaitOwnCopy(write(user, credentials -> existed[0] = credentials.remove(mechanism) != null));
        return existed[0];
    }

    /**
     * AlterUserScramCredentials: one result per user named, in the order first named. A user named
     * twice (in deletions, upsertions or both) gets DUPLICATE_RESOURCE and nothing changes for it;
     * an empty name UNACCEPTABLE_CREDENTIAL; an unknown mechanism UNSUPPORTED_SASL_MECHANISM;
     * iterations outside 4096..16384 UNACCEPTABLE_CREDENTIAL; deleting a credential that does not
     * exist RESOURCE_NOT_FOUND.
     */
    public List<AlterScramResult> alter(List<ScramDeletion> deletions, List<ScramUpsertion> upsertions)
            throws InterruptedException {
        Map<String, ApiError> errors = new LinkedHashMap<>();
        Map<String, ScramDeletion> toDelete = new HashMap<>();
        Map<String, ScramUpsertion> toUpsert = new HashMap<>();
        LinkedHashSet<String> order = new LinkedHashSet<>();
        for (ScramDeletion deletion : deletions) {
            String user = deletion.user();
            order.add(user);
            if (errors.containsKey(user)) {
                continue;
            }
            if (toDelete.remove(user) != null) {
                errors.put(user, ApiError.of(SecurityError.DUPLICATE_RESOURCE, DUPLICATE));
                continue;
            }
            ApiError error = validate(user, deletion.mechanism());
            if (error.isFailure()) {
                errors.put(user, error);
            } else {
                toDelete.put(user, deletion);
            }
        }
        for (ScramUpsertion upsertion : upsertions) {
            String user = upsertion.user();
            order.add(user);
            if (errors.containsKey(user)) {
                continue;
            }
            if (toDelete.remove(user) != null || toUpsert.remove(user) != null) {
                errors.put(user, ApiError.of(SecurityError.DUPLICATE_RESOURCE, DUPLICATE));
                continue;
            }
            ApiError error = validate(upsertion);
            if (error.isFailure()) {
                errors.put(user, error);
            } else {
                toUpsert.put(user, upsertion);
            }
        }
        List<CasUpdate.Outcome> outcomes = new ArrayList<>();
        toDelete.forEach((user, deletion) -> errors.put(user, apply(user, outcomes, credentials ->
                credentials.remove(ScramMechanism.fromType(deletion.mechanism()).orElseThrow()) != null)));
        toUpsert.forEach((user, upsertion) -> {
            ScramMechanism mechanism = ScramMechanism.fromType(upsertion.mechanism()).orElseThrow();
            ScramCredential credential = ScramCrypto.fromSaltedPassword(mechanism, upsertion.salt(),
                    upsertion.saltedPassword(), upsertion.iterations());
            errors.put(user, apply(user, outcomes, credentials -> {
                credentials.put(mechanism, credential);
                return true;
            }));
        });
        awaitOwnCopy(outcomes);
        return order.stream().map(user -> new AlterScramResult(user, errors.get(user))).toList();
    }

    /**
     * DescribeUserScramCredentials: for {@code null} or no users, every user with a credential
     * (sorted by name); otherwise one result per distinct name in the order named, DUPLICATE_RESOURCE
     * for a name given twice and RESOURCE_NOT_FOUND for a user without credentials.
     */
    public List<DescribeScramResult> describe(List<String> names) {
        Map<String, Map<ScramMechanism, ScramCredential>> snapshot = users;
        Map<String, Boolean> duplicated = new LinkedHashMap<>();
        if (names == null || names.isEmpty()) {
            new TreeMap<>(snapshot).keySet().forEach(user -> duplicated.put(user, false));
        } else {
            names.forEach(user -> duplicated.put(user, duplicated.containsKey(user)));
        }
        List<DescribeScramResult> results = new ArrayList<>();
        duplicated.forEach((user, twice) -> {
            Map<ScramMechanism, ScramCredential> credentials = snapshot.get(user);
            if (twice) {
                results.add(new DescribeScramResult(user, ApiError.of(SecurityError.DUPLICATE_RESOURCE,
                        "Cannot describe SCRAM credentials for the same user twice in a single request: " + user),
                        List.of()));
            } else if (credentials == null || credentials.isEmpty()) {
                results.add(new DescribeScramResult(user, ApiError.of(SecurityError.RESOURCE_NOT_FOUND,
                        "Attempt to describe a user credential that does not exist: " + user), List.of()));
            } else {
                results.add(new DescribeScramResult(user, ApiError.NONE, credentials.entrySet().stream()
                        .map(e -> new DescribeScramResult.CredentialInfo(e.getKey(), e.getValue().iterations()))
                        .toList()));
            }
        });
        return results;
    }

    private static ApiError validate(String user, byte mechanism) {
        if (user.isEmpty()) {
            return ApiError.of(SecurityError.UNACCEPTABLE_CREDENTIAL, "Username must not be empty");
        }
        if (ScramMechanism.fromType(mechanism).isEmpty()) {
            return ApiError.of(SecurityError.UNSUPPORTED_SASL_MECHANISM, "Unknown SCRAM mechanism");
        }
        return ApiError.NONE;
    }

    private static ApiError validate(ScramUpsertion upsertion) {
        ApiError error = validate(upsertion.user(), upsertion.mechanism());
        if (error.isFailure()) {
            return error;
        }
        if (upsertion.iterations() < ScramMechanism.MIN_ITERATIONS) {
            return ApiError.of(SecurityError.UNACCEPTABLE_CREDENTIAL, "Too few iterations");
        }
        if (upsertion.iterations() > ScramMechanism.MAX_ITERATIONS) {
            return ApiError.of(SecurityError.UNACCEPTABLE_CREDENTIAL, "Too many iterations");
        }
        if (upsertion.saltedPassword().length == 0) {
            return ApiError.of(SecurityError.UNACCEPTABLE_CREDENTIAL, "The salted password must not be empty");
        }
        return ApiError.NONE;
    }

    /** A change of one user's credentials: true if it changed what it meant to (a deletion found its credential). */
    private interface Change {
        boolean apply(Map<ScramMechanism, ScramCredential> credentials);
    }

    private ApiError apply(String user, List<CasUpdate.Outcome> outcomes, Change change) {
        boolean[] found = new boolean[1];
        try {
            write(user, credentials -> found[0] = change.apply(credentials)).ifPresent(outcomes::add);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.warn("Could not alter the SCRAM credentials of {}", user, e);
            return ApiError.of(SecurityError.UNKNOWN_SERVER_ERROR,
                    "Failed to alter the SCRAM credentials of " + user + ": " + e.getMessage());
        }
        return found[0] ? ApiError.NONE : ApiError.of(SecurityError.RESOURCE_NOT_FOUND,
                "Attempt to delete a user credential that does not exist");
    }

    private Optional<CasUpdate.Outcome> write(String user, Change change) throws Exception {
        return CasUpdate.update(zk, ZkPaths.user(user), UserCredentialsJson.CODEC, current -> {
            Map<ScramMechanism, ScramCredential> next = new EnumMap<>(ScramMechanism.class);
            next.putAll(current);
            change.apply(next);
            return next;
        });
    }

    private void awaitOwnCopy(Optional<CasUpdate.Outcome> outcome) throws InterruptedException {
        awaitOwnCopy(outcome.map(List::of).orElse(List.of()));
    }

    private void awaitOwnCopy(Collection<CasUpdate.Outcome> outcomes) throws InterruptedException {
        if (!outcomes.isEmpty() && !watch.awaitReflected(outcomes, visibilityWait)) {
            LOG.info("SCRAM credential changes are in ZooKeeper but not yet in this broker's copy after {}",
                    visibilityWait);
        }
    }

    private static UserNode parse(String path, byte[] data) {
        String user = ZkPaths.decodeName(path.substring(ZkPaths.USERS.length() + 1));
        return new UserNode(user, UserCredentialsJson.decode(data, path));
    }

    private void publish(Collection<UserNode> nodes) {
        Map<String, Map<ScramMechanism, ScramCredential>> next = new HashMap<>();
        nodes.forEach(node -> next.put(node.user(), Collections.unmodifiableMap(new EnumMap<>(node.credentials()))));
        users = Map.copyOf(next);
    }

    @Override
    public void close() {
        watch.close();
    }
}
