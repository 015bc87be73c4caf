package dev.runnel.client.autoconfigure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

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
