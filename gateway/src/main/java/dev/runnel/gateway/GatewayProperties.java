package dev.runnel.gateway;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

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
