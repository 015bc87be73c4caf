package dev.runnel.broker.quota;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.zookeeper.CasUpdate;
import dev.runnel.broker.zookeeper.WatchedNodes;
import dev.runnel.cluster.ClusterJson;
import dev.runnel.cluster.ZkPaths;

/**
 * The client quotas in ZooKeeper, shared by every broker, laid out as Kafka's ZooKeeper mode kept
 * them (names encoded by {@link ZkPaths#encodeName}, the default entity {@code <default>}):
 *
 * <pre>
 * /config/users/&lt;user&gt;                    {"version":1,"config":{"producer_byte_rate":"1048576"}}
 * /config/users/&lt;user&gt;/clients/&lt;client-id&gt; {"version":1,"config":{"request_percentage":"50.0"}}
 * /config/clients/&lt;client-id&gt;             {"version":1,"config":{"consumer_byte_rate":"2097152"}}
 * </pre>
 *
 * A node without quotas is deleted, or kept empty while it is the parent of client-id nodes. The
 * users' SCRAM credentials live elsewhere ({@code /users}), so nothing here touches them.
 *
 * <p>AlterClientQuotas validates every entity and quota before it writes anything of that entity
 * (a bad entity changes nothing), writes each node with compare-and-set, and returns once this
 * broker's copy shows the writes (up to {@code visibilityWait}). Three watches (users, users'
 * client ids, client ids) keep every broker's copy current and hand the whole set to a listener,
 * the enforcement ({@link ClientQuotas#apply}). Thread-safe.
 */
public final class ClientQuotaStore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ClientQuotaStore.class);

    /** A failed alteration of one entity: {@code invalid} for bad input (INVALID_REQUEST), else a server error. */
    public record Failure(boolean invalid, String message) {
    }

    /** One component of an entity as the Kafka API gives it: type and name (null for the default). */
    public record Component(String type, String name) {
    }

    /** One quota change: a value, or null to remove the quota. */
    public record Op(String key, Double value) {
    }

    /** The changes of one entity. */
    public record Alteration(List<Component> entity, List<Op> ops) {
    }

    /** The outcome for one entity: {@code failure} null when it was altered (or would be). */
    public record Result(List<Component> entity, Failure failure) {
    }

    /** One component of a DescribeClientQuotas filter, with Kafka's match types (0 exact, 1 default, 2 any). */
    public record Filter(String type, int matchType, String match) {
        public static final int EXACT = 0;
        public static final int DEFAULT = 1;
        public static final int SPECIFIED = 2;
    }

    /** A filter Kafka answers with UNSUPPORTED_VERSION: an entity type it does not know. */
    public static final class UnsupportedEntityTypeException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UnsupportedEntityTypeException(String message) {
            super(message);
        }
    }

    /** The JSON of one node, as Kafka's ZooKeeper mode wrote it. */
    record QuotaNodeJson(int version, Map<String, String> config) {
        static final int VERSION = 1;
    }

    private record Node(QuotaEntity entity, Map<QuotaKey, Double> quotas) {
    }

    private static final class Codec implements CasUpdate.Codec<Map<String, String>> {
        private final boolean deleteWhenEmpty;

        Codec(boolean deleteWhenEmpty) {
            this.deleteWhenEmpty = deleteWhenEmpty;
        }

        @Override
        public Map<String, String> empty() {
            return new TreeMap<>();
        }

        @Override
        public boolean isEmpty(Map<String, String> value) {
            return deleteWhenEmpty && value.isEmpty();
        }

        @Override
        public Map<String, String> decode(byte[] data, String path) {
            if (data == null || data.length == 0) {
                return new TreeMap<>(); // a parent made for client-id nodes
            }
            QuotaNodeJson node = ClusterJson.read(data, QuotaNodeJson.class, path);
            return node.config() == null ? new TreeMap<>() : new TreeMap<>(node.config());
        }

        @Override
        public byte[] encode(Map<String, String> value) {
            return ClusterJson.write(new QuotaNodeJson(QuotaNodeJson.VERSION, new TreeMap<>(value)));
        }
    }

    private static final Codec DELETING = new Codec(true);
    private static final Codec KEEPING = new Codec(false);

    private final CuratorFramework zk;
    private final Duration visibilityWait;
    private final Consumer<Map<QuotaEntity, Map<QuotaKey, Double>>> listener;
    private final WatchedNodes<Node> users;
    private final WatchedNodes<Node> userClients;
    private final WatchedNodes<Node> clients;
    private final Object publishLock = new Object();
    /** Guarded by {@link #publishLock}: the last collection of each watch. */
    private Map<QuotaEntity, Map<QuotaKey, Double>> userNodes = Map.of();
    private Map<QuotaEntity, Map<QuotaKey, Double>> userClientNodes = Map.of();
    private Map<QuotaEntity, Map<QuotaKey, Double>> clientNodes = Map.of();
    private volatile Map<QuotaEntity, Map<QuotaKey, Double>> all = Map.of();

    /**
     * @param zk             a client rooted at the cluster's namespace
     * @param visibilityWait how long an alteration waits for this broker's own copy to show it
     * @param listener       takes every quota of every entity whenever one changes
     */
    public ClientQuotaStore(CuratorFramework zk, Duration visibilityWait,
            Consumer<Map<QuotaEntity, Map<QuotaKey, Double>>> listener) {
        this.zk = zk;
        this.visibilityWait = visibilityWait;
        this.listener = listener;
        this.users = new WatchedNodes<>(zk, ZkPaths.USER_QUOTAS, 1, ClientQuotaStore::parse,
                nodes -> publish(nodes, 0));
        this.userClients = new WatchedNodes<>(zk, ZkPaths.USER_QUOTAS, 3, ClientQuotaStore::parse,
                nodes -> publish(nodes, 1));
        this.clients = new WatchedNodes<>(zk, ZkPaths.CLIENT_QUOTAS, 1, ClientQuotaStore::parse,
                nodes -> publish(nodes, 2));
    }

    /** Starts watching {@code /config/users} and {@code /config/clients}. */
    public void start() throws Exception {
        users.start();
        userClients.start();
        clients.start();
    }

    /** Waits until every quota has been read once; false if {@code timeout} passed first. */
    public boolean awaitInitialized(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (WatchedNodes<Node> watch : List.of(users, userClients, clients)) {
            if (!watch.awaitInitialized(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
                return false;
            }
        }
        return true;
    }

    /** Every entity's quotas as this broker last saw them. */
    public Map<QuotaEntity, Map<QuotaKey, Double>> quotas() {
        return all;
    }

    /**
     * AlterClientQuotas: one result per distinct entity, in the order first named. An entity named
     * twice, with an unknown or repeated key, a bad value or a bad component changes nothing and
     * gets an invalid-request failure; {@code validateOnly} checks without writing.
     */
    public List<Result> alter(List<Alteration> alterations, boolean validateOnly) throws InterruptedException {
        Map<List<Component>, Failure> failures = new LinkedHashMap<>();
        Map<List<Component>, QuotaEntity> entities = new LinkedHashMap<>();
        Map<List<Component>, Map<QuotaKey, Double>> changes = new HashMap<>();
        for (Alteration alteration : alterations) {
            List<Component> key = alteration.entity();
            if (entities.containsKey(key) || failures.containsKey(key)) {
                entities.remove(key);
                failures.put(key, new Failure(true, "Ignoring duplicate entity " + describe(key)));
                continue;
            }
            try {
                QuotaEntity entity = entity(key);
                changes.put(key, ops(alteration.ops(), entity));
                entities.put(key, entity);
                failures.put(key, null);
            } catch (IllegalArgumentException e) {
                failures.put(key, new Failure(true, e.getMessage()));
            }
        }
        if (!validateOnly) {
            Map<WatchedNodes<Node>, List<CasUpdate.Outcome>> outcomes = new HashMap<>();
            entities.forEach((key, entity) -> {
                try {
                    write(entity, changes.get(key)).ifPresent(outcome -> outcomes
                            .computeIfAbsent(watchOf(entity), w -> new ArrayList<>()).add(outcome));
                } catch (Exception e) {
                    if (e instanceof InterruptedException) {
                        Thread.currentThread().interrupt();
                    }
                    LOG.warn("Could not alter the quotas of {}", entity, e);
                    failures.put(key, new Failure(false, "Failed to alter the quotas of " + entity + ": " + e));
                }
            });
            for (Map.Entry<WatchedNodes<Node>, List<CasUpdate.Outcome>> e : outcomes.entrySet()) {
                if (!e.getKey().awaitReflected(e.getValue(), visibilityWait)) {
                    LOG.info("Client quota changes are in ZooKeeper but not yet in this broker's copy after {}",
                            visibilityWait);
                }
            }
        }
        List<Result> results = new ArrayList<>();
        failures.forEach((key, failure) -> results.add(new Result(key, failure)));
        return results;
    }

    /**
     * DescribeClientQuotas with Kafka's filter rules ({@code ClientQuotasImage.describe}): each
     * component matches a name exactly, the default, or any name of its type; every component must
     * match, and with {@code strict} the entity may have no other component; no component and not
     * strict: every entity.
     *
     * @throws IllegalArgumentException         for a malformed filter (INVALID_REQUEST)
     * @throws UnsupportedEntityTypeException   for an entity type Kafka does not know (UNSUPPORTED_VERSION)
     */
    public Map<QuotaEntity, Map<QuotaKey, Double>> describe(List<Filter> filters, boolean strict) {
        Map<String, Filter> byType = new LinkedHashMap<>();
        for (Filter filter : filters) {
            if (filter.type() == null || filter.type().isEmpty()) {
                throw new IllegalArgumentException("Invalid empty entity type.");
            }
            if (byType.containsKey(filter.type())) {
                throw new IllegalArgumentException("Entity type " + filter.type()
                        + " cannot appear more than once in the filter.");
            }
            if (!List.of(QuotaEntity.USER, QuotaEntity.CLIENT_ID, QuotaEntity.IP).contains(filter.type())) {
                throw new UnsupportedEntityTypeException("Unsupported entity type " + filter.type());
            }
            switch (filter.matchType()) {
                case Filter.EXACT -> {
                    if (filter.match() == null) {
                        throw new IllegalArgumentException(
                                "Request specified MATCH_TYPE_EXACT, but set match string to null.");
                    }
                }
                case Filter.DEFAULT -> {
                    if (filter.match() != null) {
                        throw new IllegalArgumentException(
                                "Request specified MATCH_TYPE_DEFAULT, but also specified a match string.");
                    }
                }
                case Filter.SPECIFIED -> {
                    if (filter.match() != null) {
                        throw new IllegalArgumentException(
                                "Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.");
                    }
                }
                default -> throw new IllegalArgumentException("Unknown match type " + filter.matchType());
            }
            byType.put(filter.type(), filter);
        }
        if (byType.containsKey(QuotaEntity.IP)
                && (byType.containsKey(QuotaEntity.USER) || byType.containsKey(QuotaEntity.CLIENT_ID))) {
            throw new IllegalArgumentException("Invalid entity filter component combination. IP filter component "
                    + "should not be used with user or clientId filter component.");
        }
        Map<QuotaEntity, Map<QuotaKey, Double>> matched = new LinkedHashMap<>();
        all.forEach((entity, quotas) -> {
            Map<String, String> components = entity.components();
            boolean matches = byType.values().stream().allMatch(filter -> components.containsKey(filter.type())
                    && switch (filter.matchType()) {
                        case Filter.EXACT -> filter.match().equals(components.get(filter.type()));
                        case Filter.DEFAULT -> components.get(filter.type()) == null;
                        default -> true;
                    });
            if (matches && (!strict || components.size() == byType.size()) && (!strict || !byType.isEmpty())) {
                matched.put(entity, quotas);
            }
        });
        return matched;
    }

    /** An entity from its components, or why it is not one. */
    static QuotaEntity entity(List<Component> components) {
        if (components.isEmpty()) {
            throw new IllegalArgumentException("Invalid empty client quota entity");
        }
        boolean hasUser = false;
        boolean hasClient = false;
        String user = null;
        String clientId = null;
        for (Component component : components) {
            String type = component.type();
            if ((QuotaEntity.USER.equals(type) && hasUser) || (QuotaEntity.CLIENT_ID.equals(type) && hasClient)) {
                throw new IllegalArgumentException("Invalid client quota entity, duplicate entity entry " + type);
            }
            if (component.name() != null && component.name().isEmpty()) {
                throw new IllegalArgumentException("Empty " + type + " not supported");
            }
            if (QuotaEntity.USER.equals(type)) {
                hasUser = true;
                user = component.name();
            } else if (QuotaEntity.CLIENT_ID.equals(type)) {
                hasClient = true;
                clientId = component.name();
            } else if (QuotaEntity.IP.equals(type)) {
                throw new IllegalArgumentException("Runnel does not support ip quotas (connection_creation_rate)");
            } else {
                throw new IllegalArgumentException("Unhandled client quota entity type: " + type);
            }
        }
        return new QuotaEntity(hasUser, user, hasClient, clientId);
    }

    /** The changes of one entity by key (null to remove), or why they are invalid. */
    private static Map<QuotaKey, Double> ops(List<Op> ops, QuotaEntity entity) {
        Map<QuotaKey, Double> changes = new EnumMap<>(QuotaKey.class);
        List<String> seen = new ArrayList<>();
        for (Op op : ops) {
            if (seen.contains(op.key())) {
                throw new IllegalArgumentException("Duplicate quota key " + op.key()
                        + " not updating quota for this entity " + entity);
            }
            seen.add(op.key());
            QuotaKey key = QuotaKey.of(op.key()).orElseThrow(() -> new IllegalArgumentException(
                    "Invalid configuration key " + op.key() + " (valid keys: producer_byte_rate, "
                            + "consumer_byte_rate, request_percentage, controller_mutation_rate)"));
            if (op.value() != null) {
                String invalid = key.invalid(op.value());
                if (invalid != null) {
                    throw new IllegalArgumentException(invalid);
                }
            }
            changes.put(key, op.value());
        }
        return changes;
    }

    private Optional<CasUpdate.Outcome> write(QuotaEntity entity, Map<QuotaKey, Double> changes) throws Exception {
        String path = path(entity);
        UnaryOperator<Map<String, String>> change = current -> {
            Map<String, String> next = new TreeMap<>(current);
            changes.forEach((key, value) -> {
                if (value == null) {
                    next.remove(key.config());
                } else {
                    next.put(key.config(), format(key, value));
                }
            });
            return next;
        };
        try {
            return CasUpdate.update(zk, path, DELETING, change);
        } catch (KeeperException.NotEmptyException e) {
            // a user's node without quotas of its own stays while it is the parent of client-id nodes
            return CasUpdate.update(zk, path, KEEPING, change);
        }
    }

    private static String format(QuotaKey key, double value) {
        return key == QuotaKey.PRODUCER_BYTE_RATE || key == QuotaKey.CONSUMER_BYTE_RATE
                ? Long.toString(Math.round(value)) : Double.toString(value);
    }

    private static String path(QuotaEntity entity) {
        if (entity.hasUser() && entity.hasClient()) {
            return ZkPaths.userClientQuota(entity.user(), entity.clientId());
        }
        return entity.hasUser() ? ZkPaths.userQuota(entity.user()) : ZkPaths.clientQuota(entity.clientId());
    }

    private WatchedNodes<Node> watchOf(QuotaEntity entity) {
        return entity.hasUser() && entity.hasClient() ? userClients : entity.hasUser() ? users : clients;
    }

    private static String describe(List<Component> components) {
        StringBuilder text = new StringBuilder();
        components.forEach(c -> text.append(text.isEmpty() ? "" : " ").append(c.type()).append(' ')
                .append(c.name() == null ? "<default>" : c.name()));
        return text.toString();
    }

    /** A node as an entity with its quotas; null for a node without any (a parent of client-id nodes). */
    private static Node parse(String path, byte[] data) {
        QuotaEntity entity;
        if (path.startsWith(ZkPaths.CLIENT_QUOTAS + "/")) {
            entity = QuotaEntity.client(ZkPaths.quotaName(path.substring(ZkPaths.CLIENT_QUOTAS.length() + 1)));
        } else {
            String[] segments = path.substring(ZkPaths.USER_QUOTAS.length() + 1).split("/");
            if (segments.length == 1) {
                entity = QuotaEntity.user(ZkPaths.quotaName(segments[0]));
            } else if (segments.length == 3 && segments[1].equals("clients")) {
                entity = QuotaEntity.userClient(ZkPaths.quotaName(segments[0]), ZkPaths.quotaName(segments[2]));
            } else {
                return null;
            }
        }
        Map<QuotaKey, Double> quotas = new EnumMap<>(QuotaKey.class);
        DELETING.decode(data, path).forEach((name, text) -> {
            Optional<QuotaKey> key = QuotaKey.of(name);
            double value;
            try {
                value = Double.parseDouble(text);
            } catch (NumberFormatException | NullPointerException e) {
                value = Double.NaN;
            }
            if (key.isEmpty() || key.get().invalid(value) != null) {
                LOG.warn("Ignoring the quota {}={} of {} in {}", name, text, entity, path);
            } else {
                quotas.put(key.get(), value);
            }
        });
        return quotas.isEmpty() ? null : new Node(entity, Map.copyOf(quotas));
    }

    private void publish(Collection<Node> nodes, int source) {
        Map<QuotaEntity, Map<QuotaKey, Double>> mirrored = new HashMap<>();
        nodes.forEach(node -> mirrored.put(node.entity(), node.quotas()));
        synchronized (publishLock) {
            switch (source) {
                case 0 -> userNodes = Map.copyOf(mirrored);
                case 1 -> userClientNodes = Map.copyOf(mirrored);
                default -> clientNodes = Map.copyOf(mirrored);
            }
            Map<QuotaEntity, Map<QuotaKey, Double>> next = new HashMap<>(userNodes);
            next.putAll(userClientNodes);
            next.putAll(clientNodes);
            all = Map.copyOf(next);
            listener.accept(all);
        }
    }

    @Override
    public void close() {
        users.close();
        userClients.close();
        clients.close();
    }
}
