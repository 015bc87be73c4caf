package dev.runnel.client.autoconfigure;

import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.common.Node;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

import dev.runnel.client.listener.LogListenerContainer;
import dev.runnel.client.listener.LogListenerEndpointRegistry;

/**
 * {@code runnel} in the health endpoint: up when the cluster answers and every consumer of every
 * listener container that should run does; the details name the brokers and, per listener,
 * whether it runs, its live consumers, whether it is paused, its partitions and its lag.
 */
final class RunnelHealthIndicator extends AbstractHealthIndicator implements DisposableBean {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final Map<String, Object> adminConfig;
    private final ObjectProvider<LogListenerEndpointRegistry> registries;
    private Admin admin;

    RunnelHealthIndicator(Map<String, Object> adminConfig, ObjectProvider<LogListenerEndpointRegistry> registries) {
        super("Runnel health check failed");
        this.adminConfig = Map.copyOf(adminConfig);
        this.registries = registries;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) throws Exception {
        DescribeClusterResult cluster = admin().describeCluster(
                new DescribeClusterOptions().timeoutMs((int) TIMEOUT.toMillis()));
        Collection<Node> nodes = cluster.nodes().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        builder.up().withDetail("clusterId", cluster.clusterId().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
                .withDetail("brokers", nodes.size());
        LogListenerEndpointRegistry registry = registries.getIfAvailable();
        if (registry == null) {
            return;
        }
        Map<String, Object> listeners = new LinkedHashMap<>();
        for (LogListenerContainer c : registry.getListenerContainers()) {
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("running", c.isRunning());
            detail.put("consumers", c.aliveConsumers() + "/" + c.concurrency());
            detail.put("paused", c.isPaused());
            detail.put("partitions", c.assignment().size());
            detail.put("lag", c.lag());
            listeners.put(c.id(), detail);
            if (registry.isRunning() && c.isAutoStartup() && c.aliveConsumers() < c.concurrency()) {
                builder.down(); // a consumer died on an error it could not go on from
            }
        }
        builder.withDetail("listeners", listeners);
    }

    private synchronized Admin admin() {
        if (admin == null) {
            admin = Admin.create(adminConfig);
        }
        return admin;
    }

    @Override
    public synchronized void destroy() {
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
    }
}
