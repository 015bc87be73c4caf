package dev.runnel.broker;

import java.time.Clock;
import java.util.Collection;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.runnel.broker.config.BrokerProperties;
import dev.runnel.broker.config.GroupProperties;
import dev.runnel.broker.config.OffsetsTopicProperties;
import dev.runnel.broker.group.ConsumerGroupCoordinator;
import dev.runnel.broker.group.GroupAdmin;
import dev.runnel.broker.group.GroupCoordinator;
import dev.runnel.broker.group.GroupMetadataManager;
import dev.runnel.broker.group.GroupOffsets;
import dev.runnel.broker.group.GroupSettings;
import dev.runnel.broker.group.ShareGroupCoordinator;
import dev.runnel.broker.group.ShareGroupOffsets;
import dev.runnel.broker.group.TopicsView;
import dev.runnel.broker.group.TransactionVerifier;
import dev.runnel.broker.group.TransactionalOffsets;
import dev.runnel.broker.kafka.ConsumerSubscriptions;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.replication.Partition;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.config.ShareGroupConfigs;
import dev.runnel.broker.sharestate.ShareStatePersister;
import dev.runnel.cluster.InternalTopics;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.common.TopicPartition;
import dev.runnel.common.time.Scheduler;

/**
 * Wires the group coordinator: it serves the groups of the {@code __consumer_offsets} partitions
 * this broker leads, on its own threads (group queues, a loader) and the broker's scheduler
 * (session and rebalance timeouts, offset expiry), and keeps its records through the replica
 * manager ({@link ReplicatedGroupLog}).
 */
@Configuration(proxyBeanMethods = false)
class GroupCoordinatorConfiguration {

    @Bean
    GroupSettings groupSettings(BrokerProperties properties) {
        GroupProperties group = properties.getGroup();
        OffsetsTopicProperties offsets = properties.getOffsetsTopic();
        return new GroupSettings(offsets.getPartitions(), offsets.getReplicationFactor(),
                group.getInitialRebalanceDelay(), (int) group.getMinSessionTimeout().toMillis(),
                (int) Math.min(Integer.MAX_VALUE, group.getMaxSessionTimeout().toMillis()), group.getMaxSize(),
                offsets.getRetention(), offsets.getRetentionCheckInterval(), offsets.getMetadataMaxBytes(),
                offsets.getCommitTimeout(), (int) Math.min(Integer.MAX_VALUE, offsets.getSegmentBytes().toBytes()),
                new GroupSettings.ConsumerProtocol((int) group.getConsumer().getSessionTimeout().toMillis(),
                        (int) group.getConsumer().getHeartbeatInterval().toMillis(), group.getConsumer().getAssignors(),
                        GroupSettings.MigrationPolicy.named(group.getConsumer().getMigrationPolicy())));
    }

    /** The group coordinator's threads: where group operations and partition loads run. */
    @Bean(destroyMethod = "close")
    CoordinatorThreads groupThreads() {
        return new CoordinatorThreads("group-coordinator", 2);
    }

    /** The groups and their state; leading an offsets partition makes this broker the coordinator of its groups. */
    @Bean
    GroupMetadataManager groupMetadataManager(ReplicaManager replicas, MetadataCache metadataCache,
            GroupSettings settings, CoordinatorThreads groupThreads, Clock clock) {
        GroupMetadataManager manager = new GroupMetadataManager(
                new ReplicatedGroupLog(replicas, clock, settings.commitTimeout()), clock, groupThreads.queues,
                groupThreads.loader, settings, () -> metadataCache.snapshot().topic(InternalTopics.CONSUMER_OFFSETS)
                        .map(t -> t.partitions().size()).orElse(settings.offsetsTopicPartitions()));
        replicas.onStateChange(tp -> {
            if (!tp.topic().equals(InternalTopics.CONSUMER_OFFSETS)) {
                return;
            }
            if (replicas.partition(tp).map(Partition::isLeader).orElse(false)) {
                manager.becameLeader(tp.partition());
            } else {
                manager.resigned(tp.partition());
            }
        });
        return manager;
    }

    @Bean
    GroupCoordinator groupCoordinator(GroupMetadataManager groupMetadataManager, Clock clock, Scheduler scheduler) {
        return new GroupCoordinator(groupMetadataManager, clock, scheduler);
    }

    /** The consumer group protocol (KIP-848), over the same groups, with topic ids and partitions from the metadata cache. */
    @Bean
    ConsumerGroupCoordinator consumerGroupCoordinator(GroupCoordinator groupCoordinator, MetadataCache metadataCache,
            Clock clock, Scheduler scheduler) {
        return new ConsumerGroupCoordinator(groupCoordinator, clock, scheduler, topicsView(metadataCache),
                KafkaConsumerProtocolCodec.INSTANCE);
    }

    /** The topics as the metadata cache has them. */
    private static TopicsView topicsView(MetadataCache metadataCache) {
        return new TopicsView() {
            @Override
            public Optional<Topic> byName(String name) {
                return metadataCache.snapshot().topic(name).map(GroupCoordinatorConfiguration::topic);
            }

            @Override
            public Optional<Topic> byId(UUID id) {
                return metadataCache.topicById(id).map(GroupCoordinatorConfiguration::topic);
            }

            @Override
            public Collection<String> names() {
                return metadataCache.snapshot().topics().keySet().stream().filter(t -> !InternalTopics.isInternal(t))
                        .toList();
            }
        };
    }

    private static TopicsView.Topic topic(TopicInfo t) {
        return new TopicsView.Topic(t.topicId(), t.name(), t.partitions().size());
    }

    @Bean
    GroupOffsets groupOffsets(GroupCoordinator groupCoordinator, GroupSettings settings, Clock clock,
            Scheduler scheduler, MetadataCache metadataCache) {
        GroupOffsets offsets = new GroupOffsets(groupCoordinator, clock, ConsumerSubscriptions::topics,
                name -> metadataCache.snapshot().topic(name).map(TopicInfo::topicId).orElse(null));
        scheduler.schedulePeriodically("offsets-expiry", offsets::expireOffsets, settings.retentionCheckInterval(),
                settings.retentionCheckInterval());
        return offsets;
    }

    /**
     * Share groups (KIP-932), over the same groups, with their settings from {@link ShareGroupConfigs};
     * the share coordinator's {@link ShareStatePersister}, which initializes the state of newly
     * subscribed share partitions (only then are they assigned), is looked up at each use.
     */
    @Bean
    ShareGroupCoordinator shareGroupCoordinator(GroupCoordinator groupCoordinator, MetadataCache metadataCache,
            Clock clock, Scheduler scheduler, ShareGroupConfigs shareGroupConfigs, BrokerProperties properties,
            ObjectProvider<ShareStatePersister> shareStatePersister) {
        return new ShareGroupCoordinator(groupCoordinator, clock, scheduler, topicsView(metadataCache),
                shareGroupConfigs, shareStatePersister::getIfAvailable, properties.getGroup().getShare().getMaxSize());
    }

    /**
     * A share group's offsets for admins, kept by the share coordinator: the {@link ShareStatePersister}
     * is looked up at each call (until one exists, these APIs answer COORDINATOR_NOT_AVAILABLE). A
     * partition's lag needs its high watermark: read here when this broker leads the partition, else
     * asked of its leader (ListOffsets over the share coordinator's inter-broker channels), -1 if it
     * cannot be had.
     */
    @Bean
    ShareGroupOffsets shareGroupOffsets(GroupCoordinator groupCoordinator, MetadataCache metadataCache,
            ReplicaManager replicas, ObjectProvider<ShareStatePersister> shareStatePersister,
            InterBrokerChannels shareStateChannels) {
        return new ShareGroupOffsets(groupCoordinator, topicsView(metadataCache), shareStatePersister::getIfAvailable,
                (topic, partition) -> {
                    TopicPartition tp = new TopicPartition(topic, partition);
                    Optional<Long> local = replicas.partition(tp).filter(Partition::isLeader)
                            .map(p -> p.log().highWatermark());
                    if (local.isPresent()) {
                        return CompletableFuture.completedFuture(local.get());
                    }
                    int leader = metadataCache.snapshot().topic(topic)
                            .filter(t -> partition < t.partitions().size())
                            .map(t -> t.partitions().get(partition).state().leader()).orElse(-1);
                    return leader < 0 ? CompletableFuture.completedFuture(-1L)
                            : shareStateChannels.call(leader, client -> client.highWatermark(tp));
                });
    }

    @Bean
    GroupAdmin groupAdmin(GroupCoordinator groupCoordinator, ShareGroupOffsets shareGroupOffsets) {
        return new GroupAdmin(groupCoordinator, shareGroupOffsets);
    }

    /**
     * TxnOffsetCommit and the transaction markers of {@code __consumer_offsets}. The transaction
     * coordinator's verification is looked up at each commit: until a {@link TransactionVerifier}
     * bean exists, TxnOffsetCommit answers COORDINATOR_NOT_AVAILABLE.
     */
    @Bean
    TransactionalOffsets transactionalOffsets(GroupCoordinator groupCoordinator, Clock clock,
            ObjectProvider<TransactionVerifier> transactionVerifier) {
        return new TransactionalOffsets(groupCoordinator, clock, transactionVerifier::getIfAvailable);
    }
}
