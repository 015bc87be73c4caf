package dev.runnel.client.autoconfigure;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;

/**
 * {@code runnel.client.fail-fast}: once every bean is made, the cluster must answer a describe
 * within {@code fail-fast-timeout}, or the application does not start. Without it nothing is
 * checked: the application starts with the cluster down and its clients connect when it is up.
 */
final class ClusterCheck implements SmartInitializingSingleton {

    private final ObjectProvider<RunnelClientProperties> properties;

    ClusterCheck(ObjectProvider<RunnelClientProperties> properties) {
        this.properties = properties;
    }

    @Override
    public void afterSingletonsInstantiated() {
        RunnelClientProperties p = properties.getObject();
        if (!p.isFailFast()) {
            return;
        }
        long timeout = p.getFailFastTimeout().toMillis();
        Admin admin = Admin.create(p.buildCommonProperties());
        try {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout)).clusterId()
                    .get(timeout, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("runnel.client.fail-fast: the cluster at " + p.getBootstrapServers()
                    + " did not answer within " + p.getFailFastTimeout() + " (" + e + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the cluster", e);
        } finally {
            admin.close(Duration.ofSeconds(1));
        }
    }
}
