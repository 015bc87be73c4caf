package dev.runnel.broker.quota;

import java.util.Optional;

/**
 * The quota configs a user or client-id entity may have, as Kafka 4 accepts them
 * ({@code QuotaConfigs}): the byte rates are whole numbers, the others decimals. Runnel enforces
 * the first three; {@code controller_mutation_rate} is stored and described but not enforced
 * (CreateTopics, CreatePartitions and DeleteTopics are not throttled).
 */
public enum QuotaKey {
    /** Bytes per second of produce requests. */
    PRODUCER_BYTE_RATE("producer_byte_rate", true, true),
    /** Bytes per second of fetch responses (consumers; followers are exempt). */
    CONSUMER_BYTE_RATE("consumer_byte_rate", true, true),
    /** Percent of one request-handler thread, per second of handler time. */
    REQUEST_PERCENTAGE("request_percentage", false, true),
    /** Partition mutations per second (accepted, not enforced). */
    CONTROLLER_MUTATION_RATE("controller_mutation_rate", false, false);

    private final String config;
    private final boolean whole;
    private final boolean enforced;

    QuotaKey(String config, boolean whole, boolean enforced) {
        this.config = config;
        this.whole = whole;
        this.enforced = enforced;
    }

    /** The name in the Kafka API and in ZooKeeper. */
    public String config() {
        return config;
    }

    public boolean enforced() {
        return enforced;
    }

    public static Optional<QuotaKey> of(String config) {
        for (QuotaKey key : values()) {
            if (key.config.equals(config)) {
                return Optional.of(key);
            }
        }
        return Optional.empty();
    }

    /**
     * Why {@code value} is not a valid quota of this key, or null when it is: it must be a finite
     * number above zero (Kafka accepts zero and negatives, which would throttle every request
     * forever), and a whole number for the byte rates.
     */
    public String invalid(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value) || value <= 0) {
            return "Configuration " + config + " must be a positive number, not " + value;
        }
        if (whole && Math.abs(value - Math.rint(value)) > 1e-6) {
            return "Configuration " + config + " must be a Long value";
        }
        return null;
    }
}
