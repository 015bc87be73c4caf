package dev.runnel.client.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.NestedConfigurationProperty;

/**
 * Settings of the Runnel client under {@code runnel.client}: where the cluster is, and how the
 * producer behind {@code LogTemplate} behaves. Anything Kafka's clients accept can also be given
 * raw under {@code properties}; the named settings win over raw ones.
 *
 * <p>Each group of settings is its own class: {@link ProducerProperties},
 * {@link ConsumerProperties}, {@link ListenerProperties} (with {@link RetryProperties} and
 * {@link DeadLetterProperties}) and {@link TemplateProperties}. Values are checked as they bind,
 * so a bad one stops the application at startup with the property's name in the message.
 */
@ConfigurationProperties("runnel.client")
public class RunnelClientProperties {

    /** The brokers to bootstrap from, as host:port. */
    private List<String> bootstrapServers = new ArrayList<>(List.of("127.0.0.1:9092"));

    /** The client id the brokers see in their logs and quotas; Kafka's default when unset. */
    private String clientId;

    /** Raw Kafka client properties for the producer and the consumers, such as security settings. */
    private Map<String, String> properties = new HashMap<>();

    /**
     * Whether the application fails to start when the cluster does not answer within
     * {@code fail-fast-timeout} (and when declared topics cannot be created). Off by default: the
     * application starts, logs, and its sends fail (after {@code producer.max-block}) until the
     * cluster is there; the listeners connect when it is.
     */
    private boolean failFast;

    /** How long startup waits for the cluster with {@code fail-fast}. */
    private Duration failFastTimeout = Duration.ofSeconds(10);

    @NestedConfigurationProperty
    private final ProducerProperties producer = new ProducerProperties();

    @NestedConfigurationProperty
    private final TemplateProperties template = new TemplateProperties();

    @NestedConfigurationProperty
    private final ConsumerProperties consumer = new ConsumerProperties();

    @NestedConfigurationProperty
    private final ListenerProperties listener = new ListenerProperties();

    public List<String> getBootstrapServers() {
        return bootstrapServers;
    }

    public void setBootstrapServers(List<String> bootstrapServers) {
        if (bootstrapServers == null || bootstrapServers.isEmpty()
                || bootstrapServers.stream().anyMatch(s -> s == null || s.isBlank())) {
            throw new IllegalArgumentException("runnel.client.bootstrap-servers needs at least one host:port");
        }
        for (String server : bootstrapServers) {
            int colon = server.lastIndexOf(':');
            if (colon <= 0 || !server.substring(colon + 1).matches("\\d{1,5}")) {
                throw new IllegalArgumentException("runnel.client.bootstrap-servers: '" + server + "' is not host:port");
            }
        }
        this.bootstrapServers = new ArrayList<>(bootstrapServers);
    }

    public String getClientId() {
        return clientId;
    }

    public void setClientId(String clientId) {
        this.clientId = clientId;
    }

    public Map<String, String> getProperties() {
        return properties;
    }

    public void setProperties(Map<String, String> properties) {
        this.properties = properties;
    }

    public boolean isFailFast() {
        return failFast;
    }

    public void setFailFast(boolean failFast) {
        this.failFast = failFast;
    }

    public Duration getFailFastTimeout() {
        return failFastTimeout;
    }

    public void setFailFastTimeout(Duration failFastTimeout) {
        this.failFastTimeout = PropertyChecks.positive("fail-fast-timeout", failFastTimeout);
    }

    public ProducerProperties getProducer() {
        return producer;
    }

    public TemplateProperties getTemplate() {
        return template;
    }

    public ConsumerProperties getConsumer() {
        return consumer;
    }

    public ListenerProperties getListener() {
        return listener;
    }

    /** The settings every client shares, as Kafka names them. */
    public Map<String, Object> buildCommonProperties() {
        Map<String, Object> config = new HashMap<>(properties);
        config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, String.join(",", bootstrapServers));
        if (clientId != null) {
            config.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
        }
        return config;
    }

    /** The producer's settings, as Kafka names them: the common ones, then the producer's own. */
    public Map<String, Object> buildProducerProperties() {
        Map<String, Object> config = buildCommonProperties();
        config.putAll(producer.getProperties());
        config.put(ProducerConfig.ACKS_CONFIG, producer.getAcks());
        if (producer.getIdempotence() != null) {
            config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, producer.getIdempotence());
        }
        config.put(ProducerConfig.LINGER_MS_CONFIG, (int) producer.getLinger().toMillis());
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, (int) producer.getBatchSize().toBytes());
        config.put(ProducerConfig.BUFFER_MEMORY_CONFIG, producer.getBufferMemory().toBytes());
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, producer.getCompression().name().toLowerCase(Locale.ROOT));
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) producer.getDeliveryTimeout().toMillis());
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, producer.getMaxBlock().toMillis());
        if (producer.getClientId() != null) {
            config.put(CommonClientConfigs.CLIENT_ID_CONFIG, producer.getClientId());
        }
        return config;
    }

    /**
     * The listener consumers' settings, as Kafka names them: the common ones, then the consumer's
     * own. Auto-commit is always off: the listener containers commit after processing. With
     * {@code producer.transaction-id-prefix}, isolation.level is read_committed unless set raw. The
     * deserializers are Kafka's byte-array ones: payloads are converted per listener, to the
     * declared parameter types.
     */
    public Map<String, Object> buildConsumerProperties() {
        Map<String, Object> config = buildCommonProperties();
        config.putAll(consumer.getProperties());
        if (consumer.getGroupId() != null) {
            config.put(ConsumerConfig.GROUP_ID_CONFIG, consumer.getGroupId());
        }
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                consumer.getAutoOffsetReset().name().toLowerCase(Locale.ROOT));
        putIfSet(config, ConsumerConfig.MAX_POLL_RECORDS_CONFIG, consumer.getMaxPollRecords());
        putIfSet(config, ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, millis(consumer.getSessionTimeout()));
        putIfSet(config, ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, millis(consumer.getHeartbeatInterval()));
        putIfSet(config, ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, millis(consumer.getMaxPollInterval()));
        putIfSet(config, CommonClientConfigs.CLIENT_ID_CONFIG, consumer.getClientId());
        if (producer.getTransactionIdPrefix() != null) {
            // A transactional pipeline reads only what committed upstream; a raw setting still wins.
            config.putIfAbsent(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        }
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return config;
    }

    private static void putIfSet(Map<String, Object> config, String key, Object value) {
        if (value != null) {
            config.put(key, value);
        }
    }

    private static Integer millis(Duration d) {
        return d == null ? null : (int) d.toMillis();
    }
}
