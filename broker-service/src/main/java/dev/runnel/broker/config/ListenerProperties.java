package dev.runnel.broker.config;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The broker's Kafka listeners and who may use them, under {@code runnel.broker.*} like the rest of
 * the broker's settings ({@link BrokerProperties}): the named listeners (Kafka's {@code listeners},
 * {@code advertised.listeners}, {@code listener.security.protocol.map},
 * {@code inter.broker.listener.name}), connection limits, TLS ({@code ssl.*}), SASL ({@code sasl.*})
 * and the authorizer.
 */
@ConfigurationProperties("runnel.broker")
public class ListenerProperties {

    /** The most client connections of every listener but the inter-broker one ({@code max.connections}). */
    private int maxConnections = Integer.MAX_VALUE;

    /** The most connections from one address ({@code max.connections.per.ip}). */
    private int maxConnectionsPerIp = Integer.MAX_VALUE;

    /** Other per-address limits, {@code host:count,...} ({@code max.connections.per.ip.overrides}). */
    private String maxConnectionsPerIpOverrides;

    public int getMaxConnections() {
        return maxConnections;
    }

    public void setMaxConnections(int maxConnections) {
        this.maxConnections = maxConnections;
    }

    public int getMaxConnectionsPerIp() {
        return maxConnectionsPerIp;
    }

    public void setMaxConnectionsPerIp(int maxConnectionsPerIp) {
        this.maxConnectionsPerIp = maxConnectionsPerIp;
    }

    public String getMaxConnectionsPerIpOverrides() {
        return maxConnectionsPerIpOverrides;
    }

    public void setMaxConnectionsPerIpOverrides(String maxConnectionsPerIpOverrides) {
        this.maxConnectionsPerIpOverrides = maxConnectionsPerIpOverrides;
    }

    private final SaslProperties sasl = new SaslProperties();
    private final SslProperties ssl = new SslProperties();
    private final AuthorizerProperties authorizer = new AuthorizerProperties();

    /**
     * The Kafka listeners, {@code NAME://host:port,...} ({@code listeners}); unset: one {@code PLAINTEXT}
     * listener on {@code listen-host} and {@code kafka-port}, advertised as {@code host}.
     */
    private String listeners;

    /** What clients are told per listener, {@code NAME://host:port,...} ({@code advertised.listeners}). */
    private String advertisedListeners;

    /** {@code NAME:PROTOCOL,...} ({@code listener.security.protocol.map}); the protocol names map to themselves. */
    private String listenerSecurityProtocolMap;

    /** The listener brokers replicate over ({@code inter.broker.listener.name}); the first one unless set. */
    private String interBrokerListenerName;


    public String getListeners() {
        return listeners;
    }

    public void setListeners(String listeners) {
        this.listeners = listeners;
    }

    public String getAdvertisedListeners() {
        return advertisedListeners;
    }

    public void setAdvertisedListeners(String advertisedListeners) {
        this.advertisedListeners = advertisedListeners;
    }

    public String getListenerSecurityProtocolMap() {
        return listenerSecurityProtocolMap;
    }

    public void setListenerSecurityProtocolMap(String listenerSecurityProtocolMap) {
        this.listenerSecurityProtocolMap = listenerSecurityProtocolMap;
    }

    public String getInterBrokerListenerName() {
        return interBrokerListenerName;
    }

    public void setInterBrokerListenerName(String interBrokerListenerName) {
        this.interBrokerListenerName = interBrokerListenerName;
    }

    public SaslProperties getSasl() {
        return sasl;
    }

    public SslProperties getSsl() {
        return ssl;
    }

    public AuthorizerProperties getAuthorizer() {
        return authorizer;
    }
}
