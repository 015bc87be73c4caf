package dev.runnel.broker;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;

import org.apache.curator.framework.CuratorFramework;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.runnel.broker.config.BrokerProperties;
import dev.runnel.broker.config.GroupConfigDefinitions;
import dev.runnel.broker.config.ShareGroupProperties;
import dev.runnel.broker.config.ShareGroupProperties;
import dev.runnel.broker.config.ShareGroupConfigs;
import dev.runnel.broker.zookeeper.GroupConfigStore;
import dev.runnel.cluster.ClusterSettings;

/**
 * Wires the groups' configs: the store of their overrides in ZooKeeper, loaded before the Kafka
 * listener starts, and the share groups' settings read through it (an override where a group has
 * one, the broker's {@code group.share.*} default elsewhere).
 */
@Configuration(proxyBeanMethods = false)
class GroupConfigsConfiguration {

    /** How long a broker waits at start for the overrides' first load from ZooKeeper. */
    private static final Duration INITIAL_LOAD = Duration.ofSeconds(60);
    /** How long an alteration through this broker waits to show in its own copy. */
    private static final Duration VISIBILITY_WAIT = Duration.ofSeconds(10);

    /** The group configs, with the broker's {@code group.share.*} defaults and bounds (checked here, at start). */
    @Bean
    GroupConfigDefinitions groupConfigDefinitions(BrokerProperties properties) {
        ShareGroupProperties share = properties.getGroup().getShare();
        return new GroupConfigDefinitions(new GroupConfigDefinitions.ShareDefaults(
                millis(share.getSessionTimeout()), new GroupConfigDefinitions.Bounds(millis(share.getMinSessionTimeout()),
                        millis(share.getMaxSessionTimeout()), "group.share.min.session.timeout.ms",
                        "group.share.max.session.timeout.ms"),
                millis(share.getHeartbeatInterval()), new GroupConfigDefinitions.Bounds(
                        millis(share.getMinHeartbeatInterval()), millis(share.getMaxHeartbeatInterval()),
                        "group.share.min.heartbeat.interval.ms", "group.share.max.heartbeat.interval.ms"),
                millis(share.getRecordLockDuration()), new GroupConfigDefinitions.Bounds(
                        millis(share.getMinRecordLockDuration()), millis(share.getMaxRecordLockDuration()),
                        "group.share.min.record.lock.duration.ms", "group.share.max.record.lock.duration.ms"),
                share.getDeliveryCountLimit(), new GroupConfigDefinitions.Bounds(share.getMinDeliveryCountLimit(),
                        share.getMaxDeliveryCountLimit(), "group.share.min.delivery.count.limit",
                        "group.share.max.delivery.count.limit")));
    }

    private static int millis(Duration duration) {
        return (int) Math.min(Integer.MAX_VALUE, duration.toMillis());
    }

    @Bean(destroyMethod = "close")
    GroupConfigStore groupConfigStore(CuratorFramework curator, ClusterSettings cluster,
            GroupConfigDefinitions definitions) throws Exception {
        GroupConfigStore store = new GroupConfigStore(curator.usingNamespace(cluster.getNamespace()), definitions,
                VISIBILITY_WAIT);
        store.start();
        try {
            if (!store.awaitInitialized(INITIAL_LOAD)) {
                throw new IllegalStateException("the group configs did not load from ZooKeeper within " + INITIAL_LOAD);
            }
        } catch (Exception | Error e) {
            store.close();
            throw e;
        }
        return store;
    }

    /** Each share group's settings now: its overrides over the broker's defaults. */
    @Bean
    ShareGroupConfigs shareGroupConfigs(GroupConfigStore store) {
        GroupConfigDefinitions definitions = store.definitions();
        return groupId -> {
            Map<String, String> overrides = store.overrides(groupId);
            return new ShareGroupConfigs.Settings(
                    "earliest".equals(definitions.value(overrides, GroupConfigDefinitions.SHARE_AUTO_OFFSET_RESET)
                            .toLowerCase(Locale.ROOT)) ? ShareGroupConfigs.AutoOffsetReset.EARLIEST
                                    : ShareGroupConfigs.AutoOffsetReset.LATEST,
                    Duration.ofMillis(definitions.intValue(overrides, GroupConfigDefinitions.SHARE_RECORD_LOCK_DURATION_MS)),
                    definitions.intValue(overrides, GroupConfigDefinitions.SHARE_DELIVERY_COUNT_LIMIT),
                    "read_committed".equals(definitions.value(overrides, GroupConfigDefinitions.SHARE_ISOLATION_LEVEL)
                            .toLowerCase(Locale.ROOT)),
                    Duration.ofMillis(definitions.intValue(overrides, GroupConfigDefinitions.SHARE_SESSION_TIMEOUT_MS)),
                    Duration.ofMillis(definitions.intValue(overrides, GroupConfigDefinitions.SHARE_HEARTBEAT_INTERVAL_MS)));
        };
    }
}
