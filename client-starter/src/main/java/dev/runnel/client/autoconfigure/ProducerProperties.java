package dev.runnel.client.autoconfigure;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.springframework.util.unit.DataSize;

/** The producer behind {@code LogTemplate}: {@code runnel.client.producer.*}. */
public class ProducerProperties {

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

    /**
     * The longest a send may block its caller (Kafka's max.block.ms): waiting for the topic's
     * metadata when the cluster cannot be reached, or for buffer space. Past it the send's future
     * fails with a TimeoutException; the caller is never held longer.
     */
    private Duration maxBlock = Duration.ofSeconds(10);

    /** The producer's client id; the shared one when unset. */
    private String clientId;

    /**
     * Turns Kafka transactions on. The producer factory becomes transactional, its producers'
     * transactional.ids starting with this prefix (give each application instance its own); every
     * {@code @LogListener} and {@code @KafkaListener} container then runs each delivery in a Kafka
     * transaction (Spring Kafka's {@code KafkaTransactionManager}, the {@code kafkaTransactionManager}
     * bean) holding what the listener sent through {@code LogTemplate} or {@code KafkaTemplate} and the
     * consumed offsets: a listener that throws aborts both, and the record is delivered again. The
     * listeners' consumers read committed (isolation.level=read_committed, unless
     * {@code runnel.client.consumer.properties} says otherwise). Needs acks=all and idempotence.
     * Sends outside a listener must then run in {@code KafkaTemplate.executeInTransaction}.
     * Unset (the default), nothing is transactional.
     */
    private String transactionIdPrefix;

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

    public Duration getMaxBlock() {
        return maxBlock;
    }

    public void setMaxBlock(Duration maxBlock) {
        requireNotNegative("max-block", maxBlock);
        this.maxBlock = maxBlock;
    }

    public String getClientId() {
        return clientId;
    }

    public void setClientId(String clientId) {
        this.clientId = clientId;
    }

    public String getTransactionIdPrefix() {
        return transactionIdPrefix;
    }

    public void setTransactionIdPrefix(String transactionIdPrefix) {
        if (transactionIdPrefix != null && transactionIdPrefix.isBlank()) {
            throw new IllegalArgumentException("runnel.client.producer.transaction-id-prefix must not be blank;"
                    + " leave it unset for a producer without transactions");
        }
        this.transactionIdPrefix = transactionIdPrefix == null ? null : transactionIdPrefix.trim();
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

    /** Compression codecs a producer may use for its batches. */
    public enum Compression {
        NONE, GZIP, SNAPPY, LZ4, ZSTD
    }
}
