package dev.runnel.gateway;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/** The gateway's settings under {@code runnel.gateway}. */
@ConfigurationProperties("runnel.gateway")
public class GatewayProperties {

    /**
     * The brokers the gateway's clients bootstrap from, as host:port. Empty (the default): the
     * brokers registered in ZooKeeper when the gateway starts.
     */
    private List<String> bootstrapServers = new ArrayList<>();

    /** The largest request body the REST proxy reads; a larger one is refused with 413. */
    private DataSize maxRequestSize = DataSize.ofMegabytes(1);

    /** How long a produce request waits for the brokers to acknowledge its records. */
    private Duration produceTimeout = Duration.ofSeconds(30);

    /** How long an admin read (topics, partitions, offsets) waits for the cluster. */
    private Duration adminTimeout = Duration.ofSeconds(10);

    /**
     * How long an admin call routed to the controllers ({@code /api/v1/**}) keeps trying while no
     * controller answers (a failover under way) before it is answered 503.
     */
    private Duration adminRouteTimeout = Duration.ofSeconds(30);

    /** A consumer instance not used for this long is closed (it leaves its group). */
    private Duration consumerIdleTimeout = Duration.ofMinutes(5);

    /** How the gateway's Kafka clients reach and prove themselves to the brokers. */
    private final Kafka kafka = new Kafka();

    /** The gateway's Kafka clients' settings, under {@code runnel.gateway.kafka}. */
    public static class Kafka {

        /**
         * The broker listener the gateway's clients bootstrap from, by name (for example
         * {@code EXTERNAL}): each registered broker's advertised endpoint of that listener. Empty
         * (the default): the inter-broker listener's. Not used with {@code bootstrap-servers}.
         */
        private String listener;

        /**
         * kafka-clients settings merged into every client the gateway makes (producer, admin client,
         * browsers and REST consumers), for a secured listener: {@code security.protocol},
         * {@code sasl.mechanism}, {@code sasl.jaas.config}, {@code ssl.truststore.location} and
         * the like. The gateway's own settings (bootstrap servers, client ids, acks, timeouts, the
         * consumer group) are not taken from here.
         */
        private Map<String, String> properties = new LinkedHashMap<>();

        public String getListener() {
            return listener;
        }

        public void setListener(String listener) {
            this.listener = listener == null || listener.isBlank() ? null : listener.trim();
        }

        public Map<String, String> getProperties() {
            return properties;
        }

        public void setProperties(Map<String, String> properties) {
            this.properties = properties == null ? new LinkedHashMap<>() : new LinkedHashMap<>(properties);
        }
    }

    public Kafka getKafka() {
        return kafka;
    }

    public List<String> getBootstrapServers() {
        return bootstrapServers;
    }

    public void setBootstrapServers(List<String> bootstrapServers) {
        this.bootstrapServers = bootstrapServers == null ? new ArrayList<>() : new ArrayList<>(bootstrapServers);
    }

    public Duration getAdminRouteTimeout() {
        return adminRouteTimeout;
    }

    public void setAdminRouteTimeout(Duration adminRouteTimeout) {
        if (adminRouteTimeout.isNegative()) {
            throw new IllegalArgumentException("runnel.gateway.admin-route-timeout must not be negative");
        }
        this.adminRouteTimeout = adminRouteTimeout;
    }

    public DataSize getMaxRequestSize() {
        return maxRequestSize;
    }

    public void setMaxRequestSize(DataSize maxRequestSize) {
        if (maxRequestSize.toBytes() <= 0 || maxRequestSize.toBytes() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("runnel.gateway.max-request-size must be between 1 byte and 2GB");
        }
        this.maxRequestSize = maxRequestSize;
    }

    public Duration getProduceTimeout() {
        return produceTimeout;
    }

    public void setProduceTimeout(Duration produceTimeout) {
        this.produceTimeout = produceTimeout;
    }

    public Duration getAdminTimeout() {
        return adminTimeout;
    }

    public void setAdminTimeout(Duration adminTimeout) {
        this.adminTimeout = adminTimeout;
    }

    public Duration getConsumerIdleTimeout() {
        return consumerIdleTimeout;
    }

    public void setConsumerIdleTimeout(Duration consumerIdleTimeout) {
        if (consumerIdleTimeout.isZero() || consumerIdleTimeout.isNegative()) {
            throw new IllegalArgumentException("runnel.gateway.consumer-idle-timeout must be positive");
        }
        this.consumerIdleTimeout = consumerIdleTimeout;
    }

}
