package dev.runnel.broker;

import java.time.Clock;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.runnel.broker.config.BrokerProperties;
import dev.runnel.broker.protocol.KafkaApis;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.share.ShareFetcher;
import dev.runnel.broker.config.ShareGroupConfigs;
import dev.runnel.broker.share.SharePartitionManager;
import dev.runnel.broker.share.ShareSessionCache;
import dev.runnel.broker.sharestate.ShareStatePersister;
import dev.runnel.common.time.Scheduler;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Wires share partitions on partition leaders and share sessions (KIP-932): ShareFetch and
 * ShareAcknowledge are served from these, with the share groups' state kept through the
 * {@link ShareStatePersister} (the share coordinator) and each group's settings from
 * {@link ShareGroupConfigs} (the group coordinator's group configs).
 */
@Configuration(proxyBeanMethods = false)
class SharePartitionConfiguration {

    @Bean
    SharePartitionManager sharePartitionManager(ReplicaManager replicaManager, ShareStatePersister persister,
            ShareGroupConfigs shareGroupConfigs, Scheduler scheduler, BrokerProperties properties,
            MeterRegistry meterRegistry) {
        SharePartitionManager manager = new SharePartitionManager(replicaManager, persister, shareGroupConfigs,
                scheduler, properties.getGroup().getShare().getPartitionMaxRecordLocks());
        Gauge.builder("runnel.broker.share.partitions", manager, SharePartitionManager::hosted)
                .description("Share partitions served by this broker as partition leader, loaded or loading")
                .register(meterRegistry);
        return manager;
    }

    @Bean
    ShareSessionCache shareSessionCache(ShareGroupConfigs shareGroupConfigs, Clock clock, BrokerProperties properties,
            MeterRegistry meterRegistry) {
        ShareSessionCache sessions = new ShareSessionCache(properties.getGroup().getShare().getMaxShareSessions(),
                shareGroupConfigs, clock);
        Gauge.builder("runnel.broker.share.sessions", sessions, ShareSessionCache::size)
                .description("Share sessions open on this broker (at most group.share.max.share.sessions)")
                .register(meterRegistry);
        return sessions;
    }

    /** What the Kafka listener's share handlers use; idle sessions are closed and their records released on a timer. */
    @Bean
    KafkaApis.Shares kafkaShares(SharePartitionManager partitions, ShareSessionCache sessions,
            ReplicaManager replicaManager, Scheduler scheduler, BrokerProperties properties) {
        scheduler.schedulePeriodically("share-session-expiry", () -> partitions.expireIdleSessions(sessions),
                properties.getGroup().getShare().getSessionExpiryInterval(),
                properties.getGroup().getShare().getSessionExpiryInterval());
        return new KafkaApis.Shares(partitions, new ShareFetcher(partitions, replicaManager, scheduler), sessions);
    }
}
