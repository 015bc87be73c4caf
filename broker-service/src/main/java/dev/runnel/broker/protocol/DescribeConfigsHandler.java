package dev.runnel.broker.protocol;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.message.DescribeConfigsRequestData;
import org.apache.kafka.common.message.DescribeConfigsResponseData;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResourceResult;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResult;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.config.DynamicBrokerConfigs;
import dev.runnel.broker.config.GroupConfigDefinitions;
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
 * DescribeConfigs: a topic's configs (its overrides, and Kafka's default for every other accepted
 * config) from the metadata the controller sent, this broker's own settings, read-only, with its
 * dynamic configs (the replication throttles: this broker's override, else the cluster default
 * (also described alone, for the empty broker name), else unlimited), and a
 * group's configs (its overrides from {@link GroupConfigStore}, the broker's defaults for the rest).
 *
 * <p>As in Kafka, a topic needs DESCRIBE_CONFIGS on the topic (else TOPIC_AUTHORIZATION_FAILED),
 * a broker's configs (and its loggers' and client metrics') DESCRIBE_CONFIGS on the cluster (else
 * CLUSTER_AUTHORIZATION_FAILED) and a group's DESCRIBE_CONFIGS on the group (else
 * GROUP_AUTHORIZATION_FAILED), decided before anything else about the resource.
 */
final class DescribeConfigsHandler implements ApiHandler {

    /** Kafka's ConfigResource.Type ids. */
    private static final byte TOPIC = 2;
    private static final byte BROKER = 4;
    private static final byte BROKER_LOGGER = 8;
    private static final byte CLIENT_METRICS = 16;
    private static final byte GROUP = 32;
    /** Kafka's DescribeConfigsResponse.ConfigSource ids. */
    private static final byte DYNAMIC_TOPIC_CONFIG = 1;
    private static final byte DYNAMIC_BROKER_CONFIG = 2;
    private static final byte DYNAMIC_DEFAULT_BROKER_CONFIG = 3;
    private static final byte STATIC_BROKER_CONFIG = 4;
    private static final byte DEFAULT_CONFIG = 5;
    private static final byte GROUP_CONFIG = 8;

    private final MetadataCache metadata;
    private final int brokerId;
    private final Map<String, String> brokerConfigs;
    private final GroupConfigStore groupConfigs;
    /** The dynamic broker configs, or null when there are none. */
    private final BrokerConfigStore dynamicConfigs;

    /**
     * @param brokerConfigs this broker's settings by Kafka name, as DescribeConfigs shows them
     * @param groupConfigs  the groups' config overrides
     */
    DescribeConfigsHandler(MetadataCache metadata, int brokerId, Map<String, String> brokerConfigs,
            GroupConfigStore groupConfigs) {
        this(metadata, brokerId, brokerConfigs, groupConfigs, null);
    }

    /** @param dynamicConfigs the dynamic broker configs, or null when there are none */
    DescribeConfigsHandler(MetadataCache metadata, int brokerId, Map<String, String> brokerConfigs,
            GroupConfigStore groupConfigs, BrokerConfigStore dynamicConfigs) {
        this.metadata = metadata;
        this.brokerId = brokerId;
        this.brokerConfigs = Map.copyOf(brokerConfigs);
        this.groupConfigs = groupConfigs;
        this.dynamicConfigs = dynamicConfigs;
    }

    @Override
    public CompletableFuture<ApiMessage> handle(KafkaWire.Request request) {
        DescribeConfigsRequestData body = (DescribeConfigsRequestData) request.body();
        DescribeConfigsResponseData response = new DescribeConfigsResponseData();
        for (DescribeConfigsRequestData.DescribeConfigsResource resource : body.resources()) {
            Errors refusal = refusal(request.session(), resource.resourceType(), resource.resourceName());
            response.results().add(refusal == null ? describe(resource, body.includeDocumentation(), request.version())
                    : new DescribeConfigsResult().setResourceType(resource.resourceType())
                            .setResourceName(resource.resourceName()).setErrorCode(refusal.code())
                            .setErrorMessage(refusal.message()));
        }
        return CompletableFuture.completedFuture(response);
    }

    /** The authorization error for describing the resource, or null if the connection may (Kafka's rules). */
    private static Errors refusal(Session session, byte type, String name) {
        return switch (type) {
            case BROKER, BROKER_LOGGER, CLIENT_METRICS -> session.allowed(AclOperation.DESCRIBE_CONFIGS,
                    ResourceType.CLUSTER, ResourceType.CLUSTER_NAME) ? null : Errors.CLUSTER_AUTHORIZATION_FAILED;
            case TOPIC -> session.allowed(AclOperation.DESCRIBE_CONFIGS, ResourceType.TOPIC, name) ? null
                    : Errors.TOPIC_AUTHORIZATION_FAILED;
            case GROUP -> session.allowed(AclOperation.DESCRIBE_CONFIGS, ResourceType.GROUP, name) ? null
                    : Errors.GROUP_AUTHORIZATION_FAILED;
            default -> null;
        };
    }

    private DescribeConfigsResult describe(DescribeConfigsRequestData.DescribeConfigsResource resource,
            boolean documentation, short version) {
        DescribeConfigsResult result = new DescribeConfigsResult().setResourceType(resource.resourceType())
                .setResourceName(resource.resourceName());
        List<String> keys = resource.configurationKeys();
        if (resource.resourceType() == TOPIC) {
            Optional<TopicInfo> topic = metadata.snapshot().topic(resource.resourceName());
            if (topic.isEmpty()) {
                return result.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code())
                        .setErrorMessage("Topic '" + resource.resourceName() + "' does not exist");
            }
            for (String name : TopicConfigs.names()) {
                if (keys != null && !keys.contains(name)) {
                    continue;
                }
                String override = topic.get().configs().get(name);
                DescribeConfigsResourceResult config = new DescribeConfigsResourceResult().setName(name)
                        .setValue(override != null ? override : TopicConfigs.defaultValue(name))
                        .setReadOnly(false)
                        .setConfigSource(override != null ? DYNAMIC_TOPIC_CONFIG : DEFAULT_CONFIG);
                if (version >= 3) {
                    config.setConfigType(configType(TopicConfigs.type(name)));
                }
                result.configs().add(config);
            }
            return result;
        }
        if (resource.resourceType() == BROKER) {
            if (!resource.resourceName().isEmpty() && !resource.resourceName().equals(Integer.toString(brokerId))) {
                return result.setErrorCode(Errors.INVALID_REQUEST.code())
                        .setErrorMessage("Broker " + brokerId + " describes its own configs only, not broker "
                                + resource.resourceName() + "'s");
            }
            if (resource.resourceName().isEmpty() && dynamicConfigs != null) {
                // the cluster's default: Kafka lists the dynamic defaults set, nothing else
                new TreeMap<>(dynamicConfigs.defaults()).forEach((name, value) -> {
                    if (keys == null || keys.contains(name)) {
                        result.configs().add(new DescribeConfigsResourceResult().setName(name).setValue(value)
                                .setReadOnly(false).setConfigSource(DYNAMIC_DEFAULT_BROKER_CONFIG));
                    }
                });
                return result;
            }
            new LinkedHashMap<>(brokerConfigs).forEach((name, value) -> {
                if (keys == null || keys.contains(name)) {
                    result.configs().add(new DescribeConfigsResourceResult().setName(name).setValue(value)
                            .setReadOnly(true).setConfigSource(STATIC_BROKER_CONFIG));
                }
            });
            if (dynamicConfigs != null) {
                Map<String, String> own = dynamicConfigs.overrides(brokerId);
                Map<String, String> defaults = dynamicConfigs.defaults();
                for (String name : new TreeSet<>(DynamicBrokerConfigs.names())) {
                    if (keys != null && !keys.contains(name)) {
                        continue;
                    }
                    byte source = own.containsKey(name) ? DYNAMIC_BROKER_CONFIG
                            : defaults.containsKey(name) ? DYNAMIC_DEFAULT_BROKER_CONFIG : DEFAULT_CONFIG;
                    DescribeConfigsResourceResult config = new DescribeConfigsResourceResult().setName(name)
                            .setValue(Long.toString(DynamicBrokerConfigs.rate(name, own, defaults))).setReadOnly(false)
                            .setConfigSource(source);
                    if (version >= 3) {
                        config.setConfigType((byte) 5); // LONG
                    }
                    result.configs().add(config);
                }
            }
            return result;
        }
        if (resource.resourceType() == GROUP) {
            if (resource.resourceName().isEmpty()) {
                return result.setErrorCode(Errors.INVALID_REQUEST.code()).setErrorMessage("A group id is needed");
            }
            // Kafka describes any group id: one without overrides has the broker's defaults
            for (GroupConfigDefinitions.Described config : groupConfigs.definitions()
                    .describe(groupConfigs.overrides(resource.resourceName()), keys)) {
                DescribeConfigsResourceResult described = new DescribeConfigsResourceResult().setName(config.name())
                        .setValue(config.value()).setReadOnly(false)
                        .setConfigSource(config.overridden() ? GROUP_CONFIG : DEFAULT_CONFIG);
                if (version >= 3) {
                    described.setConfigType(config.type() == GroupConfigDefinitions.Type.INT ? (byte) 3 : (byte) 2);
                }
                result.configs().add(described);
            }
            return result;
        }
        return result.setErrorCode(Errors.INVALID_REQUEST.code())
                .setErrorMessage("Only topic, broker and group configs can be described");
    }

    /** Kafka's DescribeConfigsResponse.ConfigType ids. */
    private static byte configType(TopicConfigs.Type type) {
        return switch (type) {
            case BOOLEAN -> 1;
            case STRING -> 2;
            case INT -> 3;
            case LONG -> 5;
            case DOUBLE -> 6;
            case LIST -> 7;
        };
    }
}
