package dev.runnel.broker;

import java.time.Clock;
import java.util.UUID;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.runnel.broker.cluster.ControllerAdminClient;
import dev.runnel.broker.cluster.ControllerClient;
import dev.runnel.broker.config.BrokerProperties;
import dev.runnel.broker.config.ShareCoordinatorProperties;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.protocol.CoordinatorTopics;
import dev.runnel.broker.protocol.KafkaApis;
import dev.runnel.broker.replication.Partition;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.security.InterBrokerSecurity;
import dev.runnel.broker.sharestate.ShareStatePersister;
import dev.runnel.broker.sharestate.ShareCoordinator;
import dev.runnel.cluster.InternalTopics;
import dev.runnel.common.time.Scheduler;

/**
 * Wires the share coordinator (KIP-932): it serves the share partitions of the
 * {@code __share_group_state} partitions this broker leads (loaded when it becomes their leader, at
 * the leader epoch, dropped when it stops), keeps their records through the replica manager
 * ({@link ReplicatedShareStateLog}), and answers the state APIs ({@link KafkaApis.ShareStates}).
 * Share-partition leaders and the group coordinator reach it through the
 * {@link ShareStatePersister} bean ({@link ShareCoordinatorPersister}), here or on the coordinating
 * broker over {@link InterBrokerChannels} of their own.
 */
@Configuration(proxyBeanMethods = false)
class ShareCoordinatorConfiguration {

    /** Socket timeout of the inter-broker share state connections. */
    private static final int SOCKET_TIMEOUT_MS = 30_000;

    /** The coordinator's threads: one queue per partition runs on these, and loads on their own. */
    @Bean(destroyMethod = "close")
    CoordinatorThreads shareCoordinatorThreads() {
        return new CoordinatorThreads("share-coordinator", 2);
    }

    @Bean
    ShareCoordinator shareCoordinator(BrokerProperties properties, ReplicaManager replicas, MetadataCache metadata,
            CoordinatorThreads shareCoordinatorThreads, Clock clock) {
        ShareCoordinatorProperties share = properties.getShareCoordinator();
        ShareCoordinator coordinator = new ShareCoordinator(
                new ReplicatedShareStateLog(replicas, clock, share.getWriteTimeout()), clock,
                shareCoordinatorThreads.queues, shareCoordinatorThreads.loader,
                () -> metadata.snapshot().topic(InternalTopics.SHARE_GROUP_STATE).map(t -> t.partitions().size())
                        .orElse(share.getStateTopic().getPartitions()),
                (topicId, partition) -> metadata.topicById(
                        new UUID(topicId.getMostSignificantBits(), topicId.getLeastSignificantBits()))
                        .map(t -> t.partitions().stream().anyMatch(p -> p.partition() == partition)).orElse(false));
        replicas.onStateChange(tp -> {
            if (!tp.topic().equals(InternalTopics.SHARE_GROUP_STATE)) {
                return;
            }
            var partition = replicas.partition(tp);
            if (partition.map(Partition::isLeader).orElse(false)) {
                coordinator.onElection(tp.partition(), partition.get().leaderEpoch());
            } else {
                coordinator.onResignation(tp.partition(), -1);
            }
        });
        return coordinator;
    }

    /** The state APIs and FindCoordinator's share keys: the coordinator and {@code __share_group_state}. */
    @Bean
    KafkaApis.ShareStates shareStates(BrokerProperties properties, ShareCoordinator shareCoordinator) {
        ShareCoordinatorProperties.StateTopic topic = properties.getShareCoordinator().getStateTopic();
        return new KafkaApis.ShareStates(shareCoordinator, KafkaApis.shareStateTopic(topic.getPartitions(),
                topic.getReplicationFactor(), topic.getMinInsyncReplicas(), topic.getSegmentBytes().toBytes()));
    }

    @Bean(destroyMethod = "close")
    InterBrokerChannels shareStateChannels(BrokerProperties properties, MetadataCache metadata,
            InterBrokerSecurity authentication) {
        return new InterBrokerChannels("share-state", properties.getId(), SOCKET_TIMEOUT_MS, metadata, authentication);
    }

    @Bean
    ShareStatePersister shareStatePersister(BrokerProperties properties, ShareCoordinator shareCoordinator,
            KafkaApis.ShareStates shareStates, MetadataCache metadata, ControllerClient controllerClient,
            InterBrokerChannels shareStateChannels, Scheduler scheduler, Clock clock) {
        ShareCoordinatorProperties share = properties.getShareCoordinator();
        CoordinatorTopics topics = new CoordinatorTopics(metadata, new ControllerAdminClient(controllerClient), clock);
        return new ShareCoordinatorPersister(properties.getId(), shareCoordinator, metadata,
                () -> topics.find(shareStates.topic()), shareStateChannels::call, scheduler, clock,
                share.getPersisterTimeout(), share.getPersisterRetryBackoff(), share.getPersisterRetryBackoffMax());
    }
}
