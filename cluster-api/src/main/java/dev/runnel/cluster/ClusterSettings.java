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

    public Duration getRequestTimeout() {
        return requestTimeout;
    }

    public void setRequestTimeout(Duration requestTimeout) {
        this.requestTimeout = requestTimeout;
    }

    /** An internal API client with these settings. */
    public InternalHttpClient httpClient() {
        return new InternalHttpClient(secret, Duration.ofSeconds(2), requestTimeout);
    }
}
