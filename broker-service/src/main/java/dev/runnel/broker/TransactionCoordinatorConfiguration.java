package dev.runnel.broker;

import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.protocol.Errors;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.runnel.broker.cluster.ProducerIdManager;
import dev.runnel.broker.config.BrokerProperties;
import dev.runnel.broker.config.TransactionProperties;
import dev.runnel.broker.config.TransactionStateLogProperties;
import dev.runnel.broker.group.GroupMetadataManager;
import dev.runnel.broker.group.TransactionVerifier;
import dev.runnel.broker.group.TransactionalOffsets;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.protocol.TransactionVerification;
import dev.runnel.broker.replication.Partition;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.security.InterBrokerSecurity;
import dev.runnel.broker.transaction.TransactionCoordinator;
import dev.runnel.broker.transaction.TransactionResult;
import dev.runnel.broker.transaction.TransactionSettings;
import dev.runnel.broker.transaction.TransactionStateManager;
import dev.runnel.cluster.InternalTopics;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.common.TopicPartition;
import dev.runnel.common.time.Scheduler;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Wires the transaction coordinator: it serves the transactional ids of the
 * {@code __transaction_state} partitions this broker leads (loaded when it becomes their leader, at
 * the leader epoch, which is the coordinator epoch), keeps their records through the replica
 * manager ({@link ReplicatedTransactionLog}), writes markers through the
 * {@link TransactionMarkerChannel}, and answers partition leaders' KIP-890 verifications, here or
 * on the coordinating broker over {@link InterBrokerChannels}.
 */
@Configuration(proxyBeanMethods = false)
class TransactionCoordinatorConfiguration {

    /** Socket timeout of the inter-broker transaction connections. */
    private static final int SOCKET_TIMEOUT_MS = 30_000;

    /** The coordinator's threads: one queue per partition runs on these, and loads on their own. */
    @Bean(destroyMethod = "close")
    CoordinatorThreads transactionThreads() {
        return new CoordinatorThreads("transaction-coordinator", 2);
    }

    @Bean
    TransactionSettings transactionSettings(BrokerProperties properties) {
        TransactionProperties t = properties.getTransaction();
        return new TransactionSettings((int) Math.min(Integer.MAX_VALUE, t.getMaxTimeout().toMillis()),
                t.getIdExpiration(), t.getAbortTimedOutInterval(), t.getRemoveExpiredIdsInterval(),
                t.getMarkerRetryBackoff());
    }

    /** Connections to other brokers for markers; verifications get their own, so they never queue behind a marker. */
    @Bean(destroyMethod = "close")
    InterBrokerChannels markerChannels(BrokerProperties properties, MetadataCache metadata,
            InterBrokerSecurity authentication) {
        return new InterBrokerChannels("transaction-markers", properties.getId(), SOCKET_TIMEOUT_MS, metadata,
                authentication);
    }

    @Bean(destroyMethod = "close")
    InterBrokerChannels verificationChannels(BrokerProperties properties, MetadataCache metadata,
            InterBrokerSecurity authentication) {
        return new InterBrokerChannels("transaction-verifications", properties.getId(), SOCKET_TIMEOUT_MS, metadata,
                authentication);
    }

    @Bean
    TransactionMarkerChannel transactionMarkerChannel(BrokerProperties properties, MetadataCache metadata,
            ReplicaManager replicas, InterBrokerChannels markerChannels, Scheduler scheduler, Clock clock,
            MeterRegistry registry) {
        TransactionMarkerChannel channel = new TransactionMarkerChannel(properties.getId(), metadata, replicas,
                markerChannels, scheduler, clock, properties.getTransaction().getMarkerRetryBackoff(),
                properties.getTransactionStateLog().getWriteTimeout());
        Gauge.builder("runnel.broker.transaction.markers.pending", channel, TransactionMarkerChannel::pendingMarkers)
                .description("Partitions of transactions ended here whose COMMIT or ABORT marker is not yet written")
                .register(registry);
        return channel;
    }

    @Bean
    TransactionCoordinator transactionCoordinator(BrokerProperties properties, ReplicaManager replicas,
            MetadataCache metadata, CoordinatorThreads transactionThreads, TransactionMarkerChannel markers,
            TransactionSettings settings, ProducerIdManager producerIds, GroupMetadataManager groups, Clock clock,
            Scheduler scheduler) {
        TransactionStateLogProperties log = properties.getTransactionStateLog();
        TransactionStateManager manager = new TransactionStateManager(
                new ReplicatedTransactionLog(replicas, clock, log.getWriteTimeout()), clock, transactionThreads.queues,
                transactionThreads.loader, () -> metadata.snapshot().topic(InternalTopics.TRANSACTION_STATE)
                        .map(t -> t.partitions().size()).orElse(log.getPartitions()));
        TransactionCoordinator coordinator = new TransactionCoordinator(manager, markers, clock, scheduler, settings,
                () -> {
                    try {
                        return producerIds.nextProducerId();
                    } catch (ProducerIdManager.UnavailableException e) {
                        throw new IllegalStateException(e.getMessage(), e);
                    }
                },
                groupId -> new TopicPartition(InternalTopics.CONSUMER_OFFSETS, groups.partitionFor(groupId)));
        replicas.onStateChange(tp -> {
            if (!tp.topic().equals(InternalTopics.TRANSACTION_STATE)) {
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

    /** Starts the coordinator's timers with the broker, stops them before it closes. */
    @Bean
    SmartLifecycle transactionCoordinatorLifecycle(TransactionCoordinator coordinator) {
        return new SmartLifecycle() {
            private volatile boolean running;

            @Override
            public void start() {
                coordinator.startup();
                running = true;
            }

            @Override
            public void stop() {
                coordinator.shutdown();
                running = false;
            }

            @Override
            public boolean isRunning() {
                return running;
            }
        };
    }

    /**
     * What a partition leader asks before a transaction's first batch (KIP-890 part 1): the
     * coordinator here if this broker leads the id's {@code __transaction_state} partition, else its
     * leader through a verify-only AddPartitionsToTxn.
     */
    @Bean
    TransactionVerification transactionVerification(BrokerProperties properties, MetadataCache metadata,
            TransactionCoordinator coordinator, InterBrokerChannels verificationChannels) {
        int self = properties.getId();
        return (transactionalId, producerId, producerEpoch, partitions) -> {
            int partition = coordinator.partitionFor(transactionalId);
            int leader = metadata.snapshot().topic(InternalTopics.TRANSACTION_STATE)
                    .flatMap(t -> t.partitions().stream().filter(p -> p.partition() == partition).findFirst())
                    .map(PartitionInfo::state).map(s -> s.leader()).orElse(-1);
            if (leader == self) {
                return coordinator.verifyPartitionsInTxn(transactionalId, producerId, producerEpoch, partitions)
                        .thenApply(v -> v.partitionErrors(Errors.TRANSACTION_ABORTABLE));
            }
            if (leader < 0) {
                return CompletableFuture.completedFuture(all(partitions, Errors.COORDINATOR_NOT_AVAILABLE));
            }
            return verificationChannels.call(leader, client -> client.verifyPartitionsInTransaction(transactionalId,
                    producerId, producerEpoch, partitions)).exceptionally(failure -> all(partitions, Errors.NETWORK_EXCEPTION));
        };
    }

    /**
     * The group coordinator's check before a TxnOffsetCommit: the same verification, of the
     * {@code __consumer_offsets} partition the offsets go to.
     */
    @Bean
    TransactionVerifier groupTransactionVerifier(TransactionVerification verification) {
        return (transactionalId, producerId, producerEpoch, offsetsPartition) -> {
            TopicPartition tp = new TopicPartition(InternalTopics.CONSUMER_OFFSETS, offsetsPartition);
            return verification.verify(transactionalId, producerId, producerEpoch, Set.of(tp)).thenApply(errors -> {
                Errors error = errors.getOrDefault(tp, Errors.UNKNOWN_SERVER_ERROR);
                return error == Errors.NETWORK_EXCEPTION ? Errors.COORDINATOR_NOT_AVAILABLE : error;
            });
        };
    }

    /** Markers for {@code __consumer_offsets} partitions led here go through the group coordinator. */
    @Bean
    SmartInitializingSingleton offsetsMarkersThroughTheGroupCoordinator(TransactionMarkerChannel markers,
            TransactionalOffsets transactionalOffsets) {
        return () -> markers.offsetsMarkers((tp, m) -> transactionalOffsets.completeTransaction(tp.partition(),
                m.producerId(), m.producerEpoch(), m.coordinatorEpoch(), m.result() == TransactionResult.COMMIT));
    }

    private static Map<TopicPartition, Errors> all(Set<TopicPartition> partitions, Errors error) {
        Map<TopicPartition, Errors> errors = new HashMap<>();
        partitions.forEach(tp -> errors.put(tp, error));
        return errors;
    }
}
