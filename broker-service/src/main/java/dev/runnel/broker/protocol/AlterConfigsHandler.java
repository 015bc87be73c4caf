package dev.runnel.broker.protocol;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.apache.kafka.common.message.AlterConfigsRequestData;
import org.apache.kafka.common.message.AlterConfigsResponseData;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.cluster.ControllerAdminClient;
import dev.runnel.broker.config.DynamicBrokerConfigs;
import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.broker.security.Session;
import dev.runnel.broker.zookeeper.BrokerConfigStore;
import dev.runnel.broker.zookeeper.GroupConfigStore;
import dev.runnel.cluster.TopicConfigs;
import dev.runnel.cluster.TopicInfo;

/**
 * AlterConfigs and IncrementalAlterConfigs for topics, forwarded to the active controller as one
 * {@code PATCH /api/v1/topics/{name}/configs} per topic (set and delete), and for groups.
 *
 * <ul>
 *   <li>AlterConfigs replaces the topic's whole set of overrides: what it names is set, every
 *       other override is deleted (Kafka's semantics for the legacy API).</li>
 *   <li>IncrementalAlterConfigs applies SET, DELETE, APPEND and SUBTRACT per config; APPEND and
 *       SUBTRACT work on list configs ({@code cleanup.policy}), starting from the current value; a
 *       DELETE of a name that is no topic config is a no-op, as in Kafka.</li>
 *   <li>{@code validateOnly} checks the names and values here and changes nothing.</li>
 * </ul>
 *
 * Group configs (Kafka's {@code share.*} group configs) are kept by the brokers in ZooKeeper
 * ({@link GroupConfigStore}): SET and DELETE, the result validated as a whole (INVALID_CONFIG names
 * the bad config). Broker configs are read-only (set at start-up from the broker's properties) and
 * are refused with INVALID_REQUEST, except the dynamic ones ({@link DynamicBrokerConfigs}: the
 * replication throttles), kept per broker id or as the default (empty name) in ZooKeeper
 * ({@link BrokerConfigStore}); deleting one that is not set is a no-op. Other resource types are
 * refused with INVALID_REQUEST too.
 *
 * <p>Authorization comes first, as in Kafka: a topic needs ALTER_CONFIGS on the topic (else
 * TOPIC_AUTHORIZATION_FAILED), a broker (its loggers, client metrics) ALTER_CONFIGS on the
 * cluster (else CLUSTER_AUTHORIZATION_FAILED), a group ALTER_CONFIGS on the group (else
 * GROUP_AUTHORIZATION_FAILED); a refused resource is neither validated nor changed.
 */
final class AlterConfigsHandler implements ApiHandler {

    static final byte TOPIC = 2;
    static final byte BROKER = 4;
    private static final byte BROKER_LOGGER = 8;
    private static final byte CLIENT_METRICS = 16;
    private static final byte GROUP = 32;

    private static final byte SET = 0;
    private static final byte DELETE = 1;
    private static final byte APPEND = 2;
    private static final byte SUBTRACT = 3;

    private final ControllerAdminClient controller;
    private final MetadataCache metadata;
    private final GroupConfigStore groupConfigs;
    /** The dynamic broker configs; null: every broker config is read-only. */
    private final BrokerConfigStore brokerConfigs;
    /** Where the ZooKeeper writes of group and broker configs run, off the request handlers. */
    private final Executor zookeeperCalls;

    AlterConfigsHandler(ControllerAdminClient controller, MetadataCache metadata, GroupConfigStore groupConfigs,
            Executor zookeeperCalls) {
        this(controller, metadata, groupConfigs, null, zookeeperCalls);
    }

    /** @param brokerConfigs the dynamic broker configs, or null to keep every broker config read-only */
    AlterConfigsHandler(ControllerAdminClient controller, MetadataCache metadata, GroupConfigStore groupConfigs,
            BrokerConfigStore brokerConfigs, Executor zookeeperCalls) {
        this.controller = controller;
        this.metadata = metadata;
        this.groupConfigs = groupConfigs;
        this.brokerConfigs = brokerConfigs;
        this.zookeeperCalls = zookeeperCalls;
    }

    /** One resource's outcome. */
    private record Result(byte type, String name, Errors error, String message) {
    }

    /** The overrides to set and the names to delete for one topic. */
    record Change(Map<String, String> set, Set<String> delete) {
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        if (request.apiKey() == ApiKeys.ALTER_CONFIGS) {
            AlterConfigsRequestData data = (AlterConfigsRequestData) request.body();
            List<CompletableFuture<Result>> results = new ArrayList<>();
            for (AlterConfigsRequestData.AlterConfigsResource resource : data.resources()) {
                Map<String, String> wanted = new LinkedHashMap<>();
                resource.configs().forEach(c -> wanted.put(c.name(), c.value()));
                results.add(alter(request.session(), resource.resourceType(), resource.resourceName(),
                        data.validateOnly(), current -> replaceAll(current, wanted)));
            }
            return all(results).thenApply(done -> {
                AlterConfigsResponseData response = new AlterConfigsResponseData();
                done.forEach(r -> response.responses().add(new AlterConfigsResponseData.AlterConfigsResourceResponse()
                        .setResourceType(r.type()).setResourceName(r.name()).setErrorCode(r.error().code())
                        .setErrorMessage(r.message())));
                return response;
            });
        }
        IncrementalAlterConfigsRequestData data = (IncrementalAlterConfigsRequestData) request.body();
        List<CompletableFuture<Result>> results = new ArrayList<>();
        for (IncrementalAlterConfigsRequestData.AlterConfigsResource resource : data.resources()) {
            List<IncrementalAlterConfigsRequestData.AlterableConfig> ops = new ArrayList<>(resource.configs());
            results.add(alter(request.session(), resource.resourceType(), resource.resourceName(), data.validateOnly(),
                    current -> switch (resource.resourceType()) {
                        case GROUP -> groupIncremental(ops, "group");
                        case BROKER -> groupIncremental(ops, "broker");
                        default -> incremental(current, ops);
                    }));
        }
        return all(results).thenApply(done -> {
            IncrementalAlterConfigsResponseData response = new IncrementalAlterConfigsResponseData();
            done.forEach(r -> response.responses().add(
                    new IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse().setResourceType(r.type())
                            .setResourceName(r.name()).setErrorCode(r.error().code()).setErrorMessage(r.message())));
            return response;
        });
    }

    /** A refusal of a change before it reaches the controller. */
    private static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final Errors error;

        Refused(Errors error, String message) {
            super(message, null, false, false);
            this.error = error;
        }
    }

    private CompletableFuture<Result> alter(Session session, byte type, String name, boolean validateOnly,
            Function<Map<String, String>, Change> plan) {
        Errors refusal = refusal(session, type, name);
        if (refusal != null) {
            return done(type, name, refusal, refusal.message());
        }
        if (type == BROKER && brokerConfigs != null) {
            return alterBroker(name, validateOnly, plan);
        }
        if (type == BROKER) {
            if (onlyDeletes(plan)) {
                // No broker config is dynamic here, so none is set to delete: a no-op, as Kafka answers
                // deleting one that is not set (kafka-reassign-partitions --verify clears its throttles so).
                return done(type, name, Errors.NONE, null);
            }
            return done(type, name, Errors.INVALID_REQUEST, "Broker configs are read-only: set them in the broker's "
                    + "properties (runnel.broker.*) and restart it");
        }
        if (type == GROUP) {
            return alterGroup(name, validateOnly, plan);
        }
        if (type != TOPIC) {
            return done(type, name, Errors.INVALID_REQUEST, "Only topic and group configs can be altered, not resource type "
                    + type);
        }
        Optional<TopicInfo> topic = metadata.snapshot().topic(name);
        if (topic.isEmpty()) {
            return done(type, name, Errors.UNKNOWN_TOPIC_OR_PARTITION, "Topic '" + name + "' does not exist");
        }
        Change change;
        try {
            change = plan.apply(topic.get().configs());
            Map<String, String> after = new LinkedHashMap<>(topic.get().configs());
            after.keySet().removeAll(change.delete());
            after.putAll(change.set());
            TopicConfigs.validate(after);
            for (String deleted : change.delete()) {
                if (!TopicConfigs.names().contains(deleted)) {
                    throw new IllegalArgumentException("Unknown topic config '" + deleted + "'");
                }
            }
        } catch (Refused e) {
            return done(type, name, e.error, e.getMessage());
        } catch (IllegalArgumentException e) {
            return done(type, name, Errors.INVALID_CONFIG, e.getMessage());
        }
        if (validateOnly) {
            return done(type, name, Errors.NONE, null);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("set", change.set());
        body.put("delete", List.copyOf(change.delete()));
        return controller.call("PATCH", "/topics/" + ControllerAdminClient.segment(name) + "/configs", body,
                Duration.ofSeconds(30)).thenApply(answer -> answer.ok()
                        ? new Result(type, name, Errors.NONE, null)
                        : new Result(type, name, TopicAdminHandler.error(answer), answer.detail()));
    }

    /** Whether {@code plan} sets nothing on a resource that has no overrides: it only deletes. */
    private static boolean onlyDeletes(Function<Map<String, String>, Change> plan) {
        try {
            return plan.apply(Map.of()).set().isEmpty();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The authorization error for altering the resource, or null if the connection may (Kafka's rules). */
    private static Errors refusal(Session session, byte type, String name) {
        return switch (type) {
            case BROKER, BROKER_LOGGER, CLIENT_METRICS -> session.allowed(AclOperation.ALTER_CONFIGS,
                    ResourceType.CLUSTER, ResourceType.CLUSTER_NAME) ? null : Errors.CLUSTER_AUTHORIZATION_FAILED;
            case TOPIC -> session.allowed(AclOperation.ALTER_CONFIGS, ResourceType.TOPIC, name) ? null
                    : Errors.TOPIC_AUTHORIZATION_FAILED;
            case GROUP -> session.allowed(AclOperation.ALTER_CONFIGS, ResourceType.GROUP, name) ? null
                    : Errors.GROUP_AUTHORIZATION_FAILED;
            default -> null;
        };
    }

    private static Change replaceAll(Map<String, String> current, Map<String, String> wanted) {
        for (Map.Entry<String, String> e : wanted.entrySet()) {
            if (e.getValue() == null) {
                throw new Refused(Errors.INVALID_CONFIG, "Topic config '" + e.getKey() + "' needs a value");
            }
        }
        Set<String> delete = new LinkedHashSet<>(current.keySet());
        delete.removeAll(wanted.keySet());
        return new Change(wanted, delete);
    }

    /**
     * The change IncrementalAlterConfigs {@code ops} make to a topic with overrides {@code current}.
     * A DELETE of a name Runnel has no topic config for is a no-op, as in Kafka (its broker removes
     * the name from the overrides, where it cannot be, and validates what is left): MirrorMaker 2
     * resets, by DELETE, every config the source reports as a default, among them configs of newer
     * Kafka versions (Kafka 4.4's {@code errors.deadletterqueue.group.enable}).
     */
    static Change incremental(Map<String, String> current,
            List<IncrementalAlterConfigsRequestData.AlterableConfig> ops) {
        Map<String, String> set = new LinkedHashMap<>();
        Set<String> delete = new LinkedHashSet<>();
        Set<String> seen = new LinkedHashSet<>();
        for (IncrementalAlterConfigsRequestData.AlterableConfig op : ops) {
            String name = op.name();
            if (!seen.add(name)) {
                throw new Refused(Errors.INVALID_REQUEST, "Config '" + name + "' appears more than once");
            }
            switch (op.configOperation()) {
                case SET -> {
                    if (op.value() == null) {
                        throw new Refused(Errors.INVALID_CONFIG, "SET of '" + name + "' needs a value");
                    }
                    set.put(name, op.value());
                }
                case DELETE -> {
                    if (TopicConfigs.names().contains(name)) {
                        delete.add(name);
                    }
                }
                case APPEND, SUBTRACT -> {
                    if (TopicConfigs.names().contains(name) && TopicConfigs.type(name) != TopicConfigs.Type.LIST) {
                        throw new Refused(Errors.INVALID_CONFIG, (op.configOperation() == APPEND ? "APPEND" : "SUBTRACT")
                                + " applies to list configs; '" + name + "' is not one");
                    }
                    String base = current.getOrDefault(name, TopicConfigs.names().contains(name)
                            ? TopicConfigs.defaultValue(name) : "");
                    List<String> items = split(base);
                    for (String item : split(op.value())) {
                        if (op.configOperation() == APPEND && !items.contains(item)) {
                            items.add(item);
                        } else if (op.configOperation() == SUBTRACT) {
                            items.remove(item);
                        }
                    }
                    set.put(name, String.join(",", items));
                }
                default -> throw new Refused(Errors.INVALID_REQUEST, "Unknown config operation " + op.configOperation()
                        + " for '" + name + "'");
            }
        }
        return new Change(set, delete);
    }

    /**
     * A group's configs changed in ZooKeeper, the result validated as a whole; the write runs on
     * {@link #zookeeperCalls}. A bad name or value is INVALID_CONFIG and changes nothing.
     */
    private CompletableFuture<Result> alterGroup(String group, boolean validateOnly,
            Function<Map<String, String>, Change> plan) {
        if (group.isEmpty()) {
            return done(GROUP, group, Errors.INVALID_REQUEST, "A group id is needed");
        }
        return CompletableFuture.supplyAsync(() -> {
            try {
                groupConfigs.alter(group, current -> {
                    Change change = plan.apply(current);
                    Map<String, String> next = new LinkedHashMap<>(current);
                    next.keySet().removeAll(change.delete());
                    next.putAll(change.set());
                    return next;
                }, validateOnly);
                return new Result(GROUP, group, Errors.NONE, null);
            } catch (Refused e) {
                return new Result(GROUP, group, e.error, e.getMessage());
            } catch (IllegalArgumentException e) {
                return new Result(GROUP, group, Errors.INVALID_CONFIG, e.getMessage());
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                return new Result(GROUP, group, Errors.UNKNOWN_SERVER_ERROR,
                        "Could not store the configs of group '" + group + "': " + e.getMessage());
            }
        }, zookeeperCalls);
    }

    /**
     * A broker's (or, for the empty name, every broker's) dynamic configs changed in ZooKeeper
     * ({@link BrokerConfigStore}); the write runs on {@link #zookeeperCalls}. Setting a config that
     * is not dynamic is INVALID_REQUEST (as Kafka refuses a read-only one), a bad value
     * INVALID_CONFIG; either changes nothing. Deleting a config that is not set is a no-op
     * ({@code kafka-reassign-partitions --verify} deletes every throttle it may have set).
     */
    private CompletableFuture<Result> alterBroker(String name, boolean validateOnly,
            Function<Map<String, String>, Change> plan) {
        String entity;
        try {
            entity = BrokerConfigStore.entity(name);
        } catch (IllegalArgumentException e) {
            return done(BROKER, name, Errors.INVALID_REQUEST, e.getMessage());
        }
        return CompletableFuture.supplyAsync(() -> {
            try {
                brokerConfigs.alter(entity, current -> {
                    Change change = plan.apply(current);
                    for (String set : change.set().keySet()) {
                        if (!DynamicBrokerConfigs.names().contains(set)) {
                            throw new Refused(Errors.INVALID_REQUEST, "Broker config '" + set + "' is read-only: set "
                                    + "it in the broker's properties (runnel.broker.*) and restart it; the dynamic "
                                    + "ones are " + String.join(", ", new TreeSet<>(DynamicBrokerConfigs.names())));
                        }
                    }
                    Map<String, String> next = new LinkedHashMap<>(current);
                    next.keySet().removeAll(change.delete());
                    next.putAll(change.set());
                    return next;
                }, validateOnly);
                return new Result(BROKER, name, Errors.NONE, null);
            } catch (Refused e) {
                return new Result(BROKER, name, e.error, e.getMessage());
            } catch (IllegalArgumentException e) {
                return new Result(BROKER, name, Errors.INVALID_CONFIG, e.getMessage());
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                return new Result(BROKER, name, Errors.UNKNOWN_SERVER_ERROR,
                        "Could not store the configs of broker '" + name + "': " + e.getMessage());
            }
        }, zookeeperCalls);
    }

    /**
     * The change IncrementalAlterConfigs {@code ops} make to a group's or a broker's overrides
     * ({@code kind}): SET and DELETE (a DELETE of a name not overridden is a no-op); these configs
     * are no lists, so APPEND and SUBTRACT are INVALID_CONFIG.
     */
    static Change groupIncremental(List<IncrementalAlterConfigsRequestData.AlterableConfig> ops, String kind) {
        Map<String, String> set = new LinkedHashMap<>();
        Set<String> delete = new LinkedHashSet<>();
        Set<String> seen = new LinkedHashSet<>();
        for (IncrementalAlterConfigsRequestData.AlterableConfig op : ops) {
            String name = op.name();
            if (!seen.add(name)) {
                throw new Refused(Errors.INVALID_REQUEST, "Config '" + name + "' appears more than once");
            }
            switch (op.configOperation()) {
                case SET -> {
                    if (op.value() == null) {
                        throw new Refused(Errors.INVALID_CONFIG, "SET of '" + name + "' needs a value");
                    }
                    set.put(name, op.value());
                }
                case DELETE -> delete.add(name);
                case APPEND, SUBTRACT -> throw new Refused(Errors.INVALID_CONFIG,
                        "APPEND and SUBTRACT apply to list configs; " + kind + " config '" + name + "' is not one");
                default -> throw new Refused(Errors.INVALID_REQUEST, "Unknown config operation " + op.configOperation()
                        + " for '" + name + "'");
            }
        }
        return new Change(set, delete);
    }

    private static List<String> split(String list) {
        if (list == null || list.isBlank()) {
            return new ArrayList<>();
        }
        return Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .collect(Collectors.toCollection(ArrayList::new));
    }

    private static CompletableFuture<Result> done(byte type, String name, Errors error, String message) {
        return CompletableFuture.completedFuture(new Result(type, name, error, message));
    }

    private static <T> CompletableFuture<List<T>> all(List<CompletableFuture<T>> results) {
        return CompletableFuture.allOf(results.toArray(CompletableFuture[]::new))
                .thenApply(done -> results.stream().map(CompletableFuture::join).toList());
    }
}
