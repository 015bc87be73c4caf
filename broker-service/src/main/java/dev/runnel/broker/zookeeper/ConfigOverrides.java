package dev.runnel.broker.zookeeper;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.UnaryOperator;

import org.apache.curator.framework.CuratorFramework;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Config overrides kept in ZooKeeper, one node per entity under {@code root} holding that entity's
 * overrides only, and mirrored by every broker: the groups' configs and the dynamic broker configs
 * are two of these. An alteration is a compare-and-set on the entity's node whose result is
 * validated as a whole before it is written, so no node ever holds a bad config; it returns once
 * ZooKeeper has it and, up to {@code visibilityWait}, once this broker's copy has it (the other
 * brokers see it moments later). A node that does not parse or validate is logged and ignored.
 * Thread-safe.
 */
final class ConfigOverrides implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigOverrides.class);

    /** How a kind of override node is named, read, written and checked. */
    record Kind(String description, String root, Function<String, String> entityOfSegment,
            Function<String, String> pathOf, CasUpdate.Codec<Map<String, String>> codec,
            Consumer<Map<String, String>> validator) {
    }

    private record EntityNode(String entity, Map<String, String> configs) {
    }

    private final CuratorFramework zk;
    private final Kind kind;
    private final Duration visibilityWait;
    private final WatchedNodes<EntityNode> watch;
    private volatile Map<String, Map<String, String>> overrides = Map.of();

    ConfigOverrides(CuratorFramework zk, Kind kind, Duration visibilityWait) {
        this.zk = zk;
        this.kind = kind;
        this.visibilityWait = visibilityWait;
        this.watch = new WatchedNodes<>(zk, kind.root(), 1, this::parse, this::publish);
    }

    /** A node's codec from how its JSON (at a path) is read into the overrides and how it is written. */
    static CasUpdate.Codec<Map<String, String>> mapCodec(BiFunction<byte[], String, Map<String, String>> read,
            Function<Map<String, String>, byte[]> write) {
        return new CasUpdate.Codec<>() {
            @Override
            public Map<String, String> empty() {
                return new TreeMap<>();
            }

            @Override
            public boolean isEmpty(Map<String, String> value) {
                return value.isEmpty();
            }

            @Override
            public Map<String, String> decode(byte[] data, String path) {
                Map<String, String> configs = read.apply(data, path);
                return configs == null ? new TreeMap<>() : new TreeMap<>(configs);
            }

            @Override
            public byte[] encode(Map<String, String> value) {
                return write.apply(new TreeMap<>(value));
            }
        };
    }

    void start() throws Exception {
        watch.start();
    }

    boolean awaitInitialized(Duration timeout) throws InterruptedException {
        return watch.awaitInitialized(timeout);
    }

    /** {@code entity}'s overrides as this broker last saw them; empty if it has none. */
    Map<String, String> overrides(String entity) {
        return overrides.getOrDefault(entity, Map.of());
    }

    /**
     * Replaces {@code entity}'s overrides with {@code change} applied to the current ones, after
     * validating the result; {@code validateOnly} checks without writing.
     *
     * @throws IllegalArgumentException if the result is not valid
     * @throws Exception                as ZooKeeper fails
     */
    void alter(String entity, UnaryOperator<Map<String, String>> change, boolean validateOnly) throws Exception {
        if (validateOnly) {
            kind.validator().accept(change.apply(new TreeMap<>(overrides(entity))));
            return;
        }
        Optional<CasUpdate.Outcome> outcome = CasUpdate.update(zk, kind.pathOf().apply(entity), kind.codec(),
                current -> {
                    Map<String, String> next = new TreeMap<>(change.apply(new TreeMap<>(current)));
                    kind.validator().accept(next);
                    return next;
                });
        if (outcome.isPresent() && !watch.awaitReflected(List.of(outcome.get()), visibilityWait)) {
            LOG.info("The configs of {} {} are in ZooKeeper but not yet in this broker's copy after {}",
                    kind.description(), entity, visibilityWait);
        }
    }

    private EntityNode parse(String path, byte[] data) {
        String entity = kind.entityOfSegment().apply(path.substring(kind.root().length() + 1));
        Map<String, String> configs = kind.codec().decode(data, path);
        try {
            kind.validator().accept(configs);
        } catch (IllegalArgumentException e) {
            LOG.warn("Ignoring the configs of {} {} in {}: {}", kind.description(), entity, path, e.getMessage());
            return null;
        }
        return new EntityNode(entity, Map.copyOf(configs));
    }

    private void publish(Collection<EntityNode> nodes) {
        Map<String, Map<String, String>> next = new HashMap<>();
        nodes.forEach(node -> next.put(node.entity(), node.configs()));
        overrides = Map.copyOf(next);
    }

    @Override
    public void close() {
        watch.close();
    }
}
