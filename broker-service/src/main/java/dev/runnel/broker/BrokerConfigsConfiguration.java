package dev.runnel.broker;

import java.time.Clock;
import java.time.Duration;

import org.apache.curator.framework.CuratorFramework;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.runnel.broker.config.BrokerProperties;
import dev.runnel.broker.config.DynamicBrokerConfigs;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.replication.ReplicationQuotas;
import dev.runnel.broker.zookeeper.BrokerConfigStore;
import dev.runnel.cluster.ClusterSettings;

/**
 * Wires the dynamic broker configs: their store in ZooKeeper, loaded before the Kafka listener
 * starts, and the replication throttles that read their rates from it.
 */
@Configuration(proxyBeanMethods = false)
class BrokerConfigsConfiguration {

    /** How long a broker waits at start for the configs' first load from ZooKeeper. */
    private static final Duration INITIAL_LOAD = Duration.ofSeconds(60);
    /** How long an alteration through this broker waits to show in its own copy. */
    private static final Duration VISIBILITY_WAIT = Duration.ofSeconds(10);

    @Bean(destroyMethod = "close")
    BrokerConfigStore brokerConfigStore(CuratorFramework curator, ClusterSettings cluster) throws Exception {
        BrokerConfigStore store = new BrokerConfigStore(curator.usingNamespace(cluster.getNamespace()), VISIBILITY_WAIT);
        store.start();
        try {
            if (!store.awaitInitialized(INITIAL_LOAD)) {
                throw new IllegalStateException("the dynamic broker configs did not load from ZooKeeper within "
                        + INITIAL_LOAD);
            }
        } catch (Exception | Error e) {
            store.close();
            throw e;
        }
        return store;
    }

    /** The leader's and the follower's replication throttles of this broker. */
    @Bean
    ReplicationQuotas replicationQuotas(BrokerProperties properties, MetadataCache metadata, BrokerConfigStore store,
            Clock clock) {
        int id = properties.getId();
        return ReplicationQuotas.of(id, metadata,
                () -> store.rate(id, DynamicBrokerConfigs.LEADER_REPLICATION_THROTTLED_RATE),
                () -> store.rate(id, DynamicBrokerConfigs.FOLLOWER_REPLICATION_THROTTLED_RATE), clock);
    }
}
