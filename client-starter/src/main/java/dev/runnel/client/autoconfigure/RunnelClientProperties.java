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
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

import dev.runnel.client.listener.AckMode;

/**
 * Settings of the Runnel client under {@code runnel.client}: where the cluster is, and how the
 * producer behind {@code LogTemplate} behaves. Anything Kafka's clients accept can also be given
 * raw under {@code properties}; the named settings win over raw ones.
 *
 * <p>Values are checked as they bind, so a bad one stops the application at startup with the
 * property's name in the message.
 */
@ConfigurationProperties("runnel.client")
public class RunnelClientProperties {

    /** The brokers to bootstrap from, as host:port. */
    private List<String> bootstrapServers = new ArrayList<>(List.of("127.0.0.1:9092"));

    /** The client id the brokers see in their logs and quotas; Kafka's default when unset. */
    private String clientId;

    /** Raw Kafka client properties for the producer and the consumers, such as security settings. */
    private Map<String, String> properties = new HashMap<>();

    private final Producer producer = new Producer();

    private final Template template = new Template();

    private final Consumer consumer = new Consumer();

    private final Listener listener = new Listener();

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

    public Producer getProducer() {
        return producer;
    }

    public Template getTemplate() {
        return template;
    }

    public Consumer getConsumer() {
        return consumer;
    }

    public Listener getListener() {
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
        config.putAll(producer.properties);
        config.put(ProducerConfig.ACKS_CONFIG, producer.acks);
        if (producer.idempotence != null) {
            config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, producer.idempotence);
        }
        config.put(ProducerConfig.LINGER_MS_CONFIG, (int) producer.linger.toMillis());
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, (int) producer.batchSize.toBytes());
        config.put(ProducerConfig.BUFFER_MEMORY_CONFIG, producer.bufferMemory.toBytes());
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, producer.compression.name().toLowerCase(Locale.ROOT));
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) producer.deliveryTimeout.toMillis());
        if (producer.clientId != null) {
            config.put(CommonClientConfigs.CLIENT_ID_CONFIG, producer.clientId);
        }
        return config;
    }

    /**
     * The listener consumers' settings, as Kafka names them: the common ones, then the consumer's
     * own. Auto-commit is always off: the listener containers commit after processing.
     */
    public Map<String, Object> buildConsumerProperties() {
        Map<String, Object> config = buildCommonProperties();
        config.putAll(consumer.properties);
        if (consumer.groupId != null) {
            config.put(ConsumerConfig.GROUP_ID_CONFIG, consumer.groupId);
        }
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, consumer.autoOffsetReset.name().toLowerCase(Locale.ROOT));
        putIfSet(config, ConsumerConfig.MAX_POLL_RECORDS_CONFIG, consumer.maxPollRecords);
        putIfSet(config, ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, millis(consumer.sessionTimeout));
        putIfSet(config, ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, millis(consumer.heartbeatInterval));
        putIfSet(config, ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, millis(consumer.maxPollInterval));
        putIfSet(config, CommonClientConfigs.CLIENT_ID_CONFIG, consumer.clientId);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
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

    private static Duration positive(String name, Duration value) {
        if (value == null || value.isZero() || value.isNegative() || value.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("runnel.client." + name + " must be between 1 and " + Integer.MAX_VALUE
                    + " ms, not " + value);
        }
        return value;
    }

    /** Compression codecs a producer may use for its batches. */
    public enum Compression {
        NONE, GZIP, SNAPPY, LZ4, ZSTD
    }

    /** The producer behind {@code LogTemplate}. */
    public static class Producer {

        /**
         * How many replicas must have a record before a send completes: "all" (every in-sync
         * replica), "1" (the leader) or "0" (none; no offset comes back).
         */
        private String acks = "all";

        /**
         * Whether retries can never write a record twice (idempotent producer; needs acks=all).
         * Unset, Kafka's rule applies: on with acks=all, off otherwise.
         */
        private Boolean idempotence;

        /** How long a batch may wait for more records before it is sent. */
        private Duration linger = Duration.ofMillis(5);

        /** The most record bytes in one batch per partition. */
        private DataSize batchSize = DataSize.ofKilobytes(16);

        /** Memory for records waiting to be sent; a send blocks while it is full. */
        private DataSize bufferMemory = DataSize.ofMegabytes(32);

        /** The compression of record batches. */
        private Compression compression = Compression.NONE;

        /** How long a send may take, retries included, before it fails. */
        private Duration deliveryTimeout = Duration.ofMinutes(2);

        /** The producer's client id; the shared one when unset. */
        private String clientId;

        /** Raw Kafka producer properties; the named settings above win. */
        private Map<String, String> properties = new HashMap<>();

        public String getAcks() {
            return acks;
        }

        public void setAcks(String acks) {
            String value = acks == null ? "" : acks.trim().toLowerCase(Locale.ROOT);
            if (value.equals("-1")) {
                value = "all";
            }
            if (!List.of("all", "1", "0").contains(value)) {
                throw new IllegalArgumentException("runnel.client.producer.acks must be all, 1 or 0, not '" + acks + "'");
            }
            this.acks = value;
        }

        public Boolean getIdempotence() {
            return idempotence;
        }

        public void setIdempotence(Boolean idempotence) {
            this.idempotence = idempotence;
        }

        public Duration getLinger() {
            return linger;
        }

        public void setLinger(Duration linger) {
            requireNotNegative("linger", linger);
            this.linger = linger;
        }

        public DataSize getBatchSize() {
            return batchSize;
        }

        public void setBatchSize(DataSize batchSize) {
            if (batchSize.isNegative() || batchSize.toBytes() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("runnel.client.producer.batch-size must be between 0 and 2GB");
            }
            this.batchSize = batchSize;
        }

        public DataSize getBufferMemory() {
            return bufferMemory;
        }

        public void setBufferMemory(DataSize bufferMemory) {
            if (bufferMemory.toBytes() <= 0) {
                throw new IllegalArgumentException("runnel.client.producer.buffer-memory must be positive");
            }
            this.bufferMemory = bufferMemory;
        }

        public Compression getCompression() {
            return compression;
        }

        public void setCompression(Compression compression) {
            this.compression = compression;
        }

        public Duration getDeliveryTimeout() {
            return deliveryTimeout;
        }

        public void setDeliveryTimeout(Duration deliveryTimeout) {
            requireNotNegative("delivery-timeout", deliveryTimeout);
            this.deliveryTimeout = deliveryTimeout;
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

        private static void requireNotNegative(String name, Duration value) {
            if (value.isNegative() || value.toMillis() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("runnel.client.producer." + name + " must be between 0 and "
                        + Integer.MAX_VALUE + " ms, not " + value);
            }
        }
    }

    /** Where a consumer group without committed offsets starts reading a partition. */
    public enum AutoOffsetReset {
        /** At the partition's first record. */
        EARLIEST,
        /** At the partition's end: only records written from now on. */
        LATEST,
        /** Nowhere: the consumer fails. */
        NONE
    }

    /** The consumers of the {@code @LogListener} containers. */
    public static class Consumer {

        /** The consumer group of listeners that name none. */
        private String groupId;

        /** Where a group without committed offsets starts reading a partition. */
        private AutoOffsetReset autoOffsetReset = AutoOffsetReset.LATEST;

        /** The most records one poll returns; Kafka's default (500) when unset. */
        private Integer maxPollRecords;

        /** How long the coordinator waits for a silent consumer before it rebalances; Kafka's default when unset. */
        private Duration sessionTimeout;

        /** How often a consumer tells the coordinator it is alive; Kafka's default when unset. */
        private Duration heartbeatInterval;

        /** The longest a listener may take over one poll's records before the consumer leaves the group. */
        private Duration maxPollInterval;

        /** The consumers' client id prefix; the shared one when unset. */
        private String clientId;

        /** Raw Kafka consumer properties; the named settings above win. */
        private Map<String, String> properties = new HashMap<>();

        public String getGroupId() {
            return groupId;
        }

        public void setGroupId(String groupId) {
            this.groupId = groupId;
        }

        public AutoOffsetReset getAutoOffsetReset() {
            return autoOffsetReset;
        }

        public void setAutoOffsetReset(AutoOffsetReset autoOffsetReset) {
            this.autoOffsetReset = autoOffsetReset;
        }

        public Integer getMaxPollRecords() {
            return maxPollRecords;
        }

        public void setMaxPollRecords(Integer maxPollRecords) {
            if (maxPollRecords != null && maxPollRecords < 1) {
                throw new IllegalArgumentException("runnel.client.consumer.max-poll-records must be at least 1");
            }
            this.maxPollRecords = maxPollRecords;
        }

        public Duration getSessionTimeout() {
            return sessionTimeout;
        }

        public void setSessionTimeout(Duration sessionTimeout) {
            this.sessionTimeout = positive("consumer.session-timeout", sessionTimeout);
        }

        public Duration getHeartbeatInterval() {
            return heartbeatInterval;
        }

        public void setHeartbeatInterval(Duration heartbeatInterval) {
            this.heartbeatInterval = positive("consumer.heartbeat-interval", heartbeatInterval);
        }

        public Duration getMaxPollInterval() {
            return maxPollInterval;
        }

        public void setMaxPollInterval(Duration maxPollInterval) {
            this.maxPollInterval = positive("consumer.max-poll-interval", maxPollInterval);
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
    }

    /** The {@code @LogListener} containers. */
    public static class Listener {

        /** Consumers (threads) per container, unless the listener says otherwise. */
        private int concurrency = 1;

        /** When offsets are committed. */
        private AckMode ackMode = AckMode.BATCH;

        /** How long one poll waits for records. */
        private Duration pollTimeout = Duration.ofSeconds(1);

        /** Whether containers start with the application. */
        private boolean autoStartup = true;

        /** How long stopping waits for a container's current record and its commit. */
        private Duration shutdownTimeout = Duration.ofSeconds(30);

        private final Retry retry = new Retry();

        private final DeadLetter deadLetter = new DeadLetter();

        public int getConcurrency() {
            return concurrency;
        }

        public void setConcurrency(int concurrency) {
            if (concurrency < 1) {
                throw new IllegalArgumentException("runnel.client.listener.concurrency must be at least 1, not "
                        + concurrency);
            }
            this.concurrency = concurrency;
        }

        public AckMode getAckMode() {
            return ackMode;
        }

        public void setAckMode(AckMode ackMode) {
            this.ackMode = ackMode;
        }

        public Duration getPollTimeout() {
            return pollTimeout;
        }

        public void setPollTimeout(Duration pollTimeout) {
            this.pollTimeout = positive("listener.poll-timeout", pollTimeout);
        }

        public boolean isAutoStartup() {
            return autoStartup;
        }

        public void setAutoStartup(boolean autoStartup) {
            this.autoStartup = autoStartup;
        }

        public Duration getShutdownTimeout() {
            return shutdownTimeout;
        }

        public void setShutdownTimeout(Duration shutdownTimeout) {
            this.shutdownTimeout = positive("listener.shutdown-timeout", shutdownTimeout);
        }

        public Retry getRetry() {
            return retry;
        }

        public DeadLetter getDeadLetter() {
            return deadLetter;
        }
    }

    /** How the default error handler retries a record the listener failed on. */
    public static class Retry {

        /** Deliveries of a failing record in all, the first included; 1 means no retry. */
        private int maxAttempts = 3;

        /** The wait before the first retry. */
        private Duration initialInterval = Duration.ofSeconds(1);

        /** Each further wait is the previous one times this. */
        private double multiplier = 2.0;

        /** The longest wait between two retries. */
        private Duration maxInterval = Duration.ofSeconds(10);

        public int getMaxAttempts() {
            return maxAttempts;
        }

        public void setMaxAttempts(int maxAttempts) {
            if (maxAttempts < 1) {
                throw new IllegalArgumentException("runnel.client.listener.retry.max-attempts must be at least 1, not "
                        + maxAttempts);
            }
            this.maxAttempts = maxAttempts;
        }

        public Duration getInitialInterval() {
            return initialInterval;
        }

        public void setInitialInterval(Duration initialInterval) {
            this.initialInterval = positive("listener.retry.initial-interval", initialInterval);
        }

        public double getMultiplier() {
            return multiplier;
        }

        public void setMultiplier(double multiplier) {
            if (!(multiplier >= 1.0)) {
                throw new IllegalArgumentException("runnel.client.listener.retry.multiplier must be at least 1, not "
                        + multiplier);
            }
            this.multiplier = multiplier;
        }

        public Duration getMaxInterval() {
            return maxInterval;
        }

        public void setMaxInterval(Duration maxInterval) {
            this.maxInterval = positive("listener.retry.max-interval", maxInterval);
        }
    }

    /** Where records go that the listener cannot process. */
    public static class DeadLetter {

        /** Whether failed records are published to a dead-letter topic (else logged and skipped). */
        private boolean enabled = true;

        /** The dead-letter topic is the record's topic with this suffix. */
        private String suffix = ".DLT";

        public boolean isEnabled() {
            return enabled;
        }

        public void setEnabled(boolean enabled) {
            this.enabled = enabled;
        }

        public String getSuffix() {
            return suffix;
        }

        public void setSuffix(String suffix) {
            if (suffix == null || suffix.isEmpty()) {
                throw new IllegalArgumentException("runnel.client.listener.dead-letter.suffix must not be empty");
            }
            this.suffix = suffix;
        }
    }

    /** {@code LogTemplate}'s own settings. */
    public static class Template {

        /** The topic of sendDefault(...); none when unset. */
        private String defaultTopic;

        public String getDefaultTopic() {
            return defaultTopic;
        }

        public void setDefaultTopic(String defaultTopic) {
            this.defaultTopic = defaultTopic;
        }
    }
}
