package dev.runnel.broker;

import java.time.Clock;
import java.time.Duration;

import org.apache.curator.framework.CuratorFramework;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.runnel.broker.config.QuotaProperties;
import dev.runnel.broker.quota.ClientQuotaStore;
import dev.runnel.broker.quota.ClientQuotas;
import dev.runnel.cluster.ClusterSettings;
import dev.runnel.common.time.Scheduler;

/**
 * Client quotas: the enforcement ({@link ClientQuotas}, windows from {@code runnel.broker.quota.*})
 * and the quotas in ZooKeeper that feed it ({@link ClientQuotaStore}), read once before the broker
 * serves, so that its first requests are already measured against them.
 */
@Configuration(proxyBeanMethods = false)
class ClientQuotaConfiguration {

    private static final Duration VISIBILITY_WAIT = Duration.ofSeconds(5);
    private static final Duration INITIAL_LOAD = Duration.ofSeconds(30);

    @Bean(destroyMethod = "close")
    ClientQuotas clientQuotas(QuotaProperties properties, Clock clock, Scheduler scheduler) {
        return new ClientQuotas(properties.getWindowNum(), Duration.ofSeconds(properties.getWindowSizeSeconds()),
                clock, scheduler);
    }

    @Bean(destroyMethod = "close")
    ClientQuotaStore clientQuotaStore(CuratorFramework curator, ClusterSettings cluster, ClientQuotas quotas)
            throws Exception {
        ClientQuotaStore store = new ClientQuotaStore(curator.usingNamespace(cluster.getNamespace()), VISIBILITY_WAIT,
                quotas::apply);
        store.start();
        try {
            if (!store.awaitInitialized(INITIAL_LOAD)) {
                throw new IllegalStateException("the client quotas did not load from ZooKeeper within " + INITIAL_LOAD);
            }
        } catch (Exception | Error e) {
            store.close();
            throw e;
        }
        return store;
    }
}
