package dev.runnel.cluster;

import java.time.Duration;


/**
 * Settings every Runnel service shares, bound from {@code runnel.cluster.*} by each service.
 */
public class ClusterSettings {

    /** The shared secret that authenticates internal calls between controllers and brokers. Required. */
    private String secret;

    /** The ZooKeeper namespace (chroot, without the slash) that holds this cluster's metadata. */
    private String namespace = ZkPaths.DEFAULT_NAMESPACE;

    /**
     * The Spring SSL bundle ({@code spring.ssl.bundle.pem|jks.<name>.*}) that puts the internal HTTP
     * API on TLS: the service's HTTP server (internal API, admin API, Actuator) serves HTTPS only
     * with the bundle's key, and its calls to other services trust the bundle's trust store and
     * check host names. Unset: plain HTTP. Every service of a cluster sets the same name.
     */
    private String sslBundle;

    /** How long an internal HTTP call may take before it is retried. */
    private Duration requestTimeout = Duration.ofSeconds(10);

    public String getSecret() {
        return secret;
    }

    public void setSecret(String secret) {
        this.secret = secret;
    }

    public String getNamespace() {
        return namespace;
    }

    public void setNamespace(String namespace) {
        this.namespace = namespace;
    }

    public String getSslBundle() {
        return sslBundle;
    }

    public void setSslBundle(String sslBundle) {
        this.sslBundle = sslBundle;
    }

    public Duration getRequestTimeout() {
        return requestTimeout;
    }

    public void setRequestTimeout(Duration requestTimeout) {
        this.requestTimeout = requestTimeout;
    }

    /** An internal API client with these settings, calling over {@code http}. */
    public InternalHttpClient httpClient(InternalHttp http) {
        return new InternalHttpClient(http, secret, requestTimeout);
    }
}
