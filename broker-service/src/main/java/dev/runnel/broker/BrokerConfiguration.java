package dev.runnel.broker;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.curator.framework.CuratorFramework;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import org.springframework.util.unit.DataSize;

import dev.runnel.broker.cluster.BrokerRegistration;
import dev.runnel.broker.cluster.ClusterMembership;
import dev.runnel.broker.cluster.ControllerAdminClient;
import dev.runnel.broker.cluster.ControllerClient;
import dev.runnel.broker.cluster.ControllerCommands;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.cluster.ProducerIdManager;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.group.GroupSettings;
import dev.runnel.broker.protocol.KafkaServer;
import dev.runnel.broker.protocol.ListenerLimits;
import dev.runnel.broker.replication.AlterPartitionManager;
import dev.runnel.broker.replication.ReplicaFetcherManager;
import dev.runnel.broker.storage.LogConfig;
import dev.runnel.broker.storage.LogManager;
import dev.runnel.broker.security.BrokerAuthentication;
import dev.runnel.cluster.ClusterSettings;
import dev.runnel.cluster.process.ListenerPort;
import dev.runnel.cluster.process.ProcessConfiguration;
import dev.runnel.cluster.web.ClusterWebConfiguration;
import dev.runnel.common.time.ExecutorScheduler;
import dev.runnel.common.time.Scheduler;
import io.micrometer.core.instrument.MeterRegistry;

/** Wires the broker: log directories, cluster membership, the controller's commands. */
@Configuration(proxyBeanMethods = false)
@Import({ClusterWebConfiguration.class, ProcessConfiguration.class})
class BrokerConfiguration {

    /** The broker's log directories, each with its own {@link LogManager}. */
    static final class LogDirectories implements AutoCloseable {

        final List<LogManager> managers;

        LogDirectories(List<LogManager> managers) {
            this.managers = List.copyOf(managers);
        }

        @Override
        public void close() throws IOException {
            for (LogManager manager : managers) {
                manager.close();
            }
        }
    }

    @Bean(destroyMethod = "close")
    Scheduler brokerScheduler() {
        return new ExecutorScheduler("broker-scheduler-", 1);
    }

    @Bean(destroyMethod = "close")
    LogDirectories logDirectories(BrokerProperties properties, Scheduler brokerScheduler) throws IOException {
        List<LogManager> managers = new ArrayList<>();
        for (Path dir : properties.getLogDirs()) {
            managers.add(LogManager.open(dir, LogConfig.DEFAULTS, Clock.systemUTC(), brokerScheduler,
                    LogManager.Settings.DEFAULTS));
        }
        return new LogDirectories(managers);
    }

    @Bean
    MetadataCache metadataCache() {
        return new MetadataCache();
    }

    /** Registers the ports the listeners bound (the Kafka listener starts before, see {@link ClusterMembership}). */
    @Bean
    BrokerRegistration brokerRegistration(CuratorFramework curator, ClusterSettings cluster,
            BrokerProperties properties, Environment environment, ObjectProvider<KafkaServer> kafkaServer) {
        Duration sessionTimeout = environment.getProperty("spring.cloud.zookeeper.session-timeout", Duration.class,
                Duration.ofSeconds(60));
        return new BrokerRegistration(curator.usingNamespace(cluster.getNamespace()), properties.getId(),
                properties.getHost(), () -> kafkaServer.getObject().port(), properties.getRack(),
                () -> environment.getRequiredProperty("local.server.port", Integer.class),
                sessionTimeout.plusSeconds(2));
    }

    @Bean(destroyMethod = "close")
    AlterPartitionManager alterPartitionManager(BrokerProperties properties, BrokerRegistration registration,
            ControllerClient controllerClient, ObjectProvider<ReplicaManager> replicaManager) {
        return new AlterPartitionManager(properties.getId(), registration::epoch, controllerClient::alterPartition,
                tp -> replicaManager.getObject().highWatermarkMoved(tp));
    }

    @Bean
    ReplicaManager replicaManager(BrokerProperties properties, LogDirectories logDirectories, MetadataCache metadata,
            BrokerRegistration registration, AlterPartitionManager alterPartitionManager) {
        return new ReplicaManager(properties.getId(), logDirectories.managers, metadata, registration::epoch,
                Clock.systemUTC(), alterPartitionManager);
    }

    /** The controller's commands, applied in order on their own thread. */
    @Bean(destroyMethod = "close")
    ControllerCommands controllerCommands(BrokerProperties properties, ReplicaManager replicaManager,
            MetadataCache metadata, BrokerRegistration registration) {
        return new ControllerCommands(replicaManager, metadata, registration::epoch, Clock.systemUTC(),
                properties.getControllerCommandWait());
    }

    /** How brokers prove to each other, on Kafka connections, that they hold the cluster secret. */
    @Bean
    BrokerAuthentication brokerAuthentication(ClusterSettings cluster) {
        return new BrokerAuthentication(cluster.getSecret());
    }

    /** Followers fetch from their leaders; leaders drop followers that fall behind from the ISR. */
    @Bean(destroyMethod = "close")
    ReplicaFetcherManager replicaFetcherManager(BrokerProperties properties, MetadataCache metadata,
            ReplicaManager replicaManager, Scheduler brokerScheduler, BrokerAuthentication brokerAuthentication) {
        ReplicaFetcherManager fetchers = new ReplicaFetcherManager(properties.getId(), metadata, Clock.systemUTC(),
                brokerAuthentication);
        replicaManager.beforeLeadershipChange(fetchers::stopFetching);
        replicaManager.onStateChange(tp -> fetchers.reconcile(tp, replicaManager.partition(tp)));
        long lagMs = properties.getReplicaLagTimeMax().toMillis();
        Duration check = Duration.ofMillis(Math.max(100, lagMs / 2));
        brokerScheduler.schedulePeriodically("isr-expiration", () -> replicaManager.shrinkIsrs(lagMs), check, check);
        return fetchers;
    }

    @Bean
    ControllerClient controllerClient(CuratorFramework curator, ClusterSettings cluster) {
        return new ControllerClient(curator.usingNamespace(cluster.getNamespace()), cluster.httpClient());
    }

    /** Times out parked requests (long-poll fetches, acks=all); kept apart from flushes that may block on the disk. */
    @Bean(destroyMethod = "close")
    Scheduler purgatoryTimer() {
        return new ExecutorScheduler("kafka-purgatory-", 1);
    }

    @Bean
    KafkaServer kafkaServer(BrokerProperties properties, MetadataCache metadata, ControllerClient controllerClient,
            BrokerRegistration registration, ReplicaManager replicaManager, Scheduler purgatoryTimer,
            BrokerAuthentication brokerAuthentication, MeterRegistry meterRegistry) {
        return new KafkaServer(properties.getListenHost(), properties.getKafkaPort(), listenerLimits(properties),
                metadata, metadata::clusterId,
                new ControllerAdminClient(controllerClient),
                new ProducerIdManager(properties.getId(), registration::epoch, controllerClient::allocateProducerIds),
                properties.getId(), brokerConfigs(properties), replicaManager, purgatoryTimer,
                properties.isAutoCreateTopicsEnable(), groupSettings(properties), brokerAuthentication, meterRegistry);
    }

    /** The Kafka listener's bound port, for the port file ({@code runnel.process.port-file}). */
    @Bean
    ListenerPort kafkaListenerPort(KafkaServer kafkaServer) {
        return new ListenerPort("kafka", kafkaServer::port);
    }

    static ListenerLimits listenerLimits(BrokerProperties properties) {
        DataSize configured = properties.getQueuedMaxRequestBytes();
        // Unset: a quarter of the heap. Zero or negative (Kafka's -1): unbounded.
        long queued = configured == null ? Runtime.getRuntime().maxMemory() / 4
                : configured.toBytes() <= 0 ? Long.MAX_VALUE : configured.toBytes();
        return new ListenerLimits((int) Math.min(Integer.MAX_VALUE, properties.getSocketRequestMaxBytes().toBytes()),
                queued, properties.getConnectionsMaxIdle());
    }

    static GroupSettings groupSettings(BrokerProperties properties) {
        BrokerProperties.Group group = properties.getGroup();
        BrokerProperties.OffsetsTopic offsets = properties.getOffsetsTopic();
        return new GroupSettings(offsets.getPartitions(), offsets.getReplicationFactor(),
                group.getInitialRebalanceDelay(), (int) group.getMinSessionTimeout().toMillis(),
                (int) Math.min(Integer.MAX_VALUE, group.getMaxSessionTimeout().toMillis()), group.getMaxSize(),
                offsets.getRetention(), offsets.getRetentionCheckInterval(), offsets.getMetadataMaxBytes(),
                offsets.getCommitTimeout());
    }

    /** This broker's settings under Kafka's names, for DescribeConfigs. */
    private static Map<String, String> brokerConfigs(BrokerProperties properties) {
        Map<String, String> configs = new LinkedHashMap<>();
        configs.put("broker.id", Integer.toString(properties.getId()));
        if (properties.getRack() != null) {
            configs.put("broker.rack", properties.getRack());
        }
        configs.put("log.dirs", properties.getLogDirs().stream().map(Path::toString)
                .collect(java.util.stream.Collectors.joining(",")));
        configs.put("socket.request.max.bytes", Long.toString(properties.getSocketRequestMaxBytes().toBytes()));
        configs.put("queued.max.request.bytes", Long.toString(listenerLimits(properties).queuedMaxRequestBytes()));
        configs.put("connections.max.idle.ms", Long.toString(properties.getConnectionsMaxIdle().toMillis()));
        configs.put("auto.create.topics.enable", Boolean.toString(properties.isAutoCreateTopicsEnable()));
        return configs;
    }

    @Bean
    ClusterMembership clusterMembership(CuratorFramework curator, ClusterSettings cluster, MetadataCache metadata,
            BrokerRegistration registration, ControllerClient controllerClient, BrokerProperties properties) {
        return new ClusterMembership(curator.usingNamespace(cluster.getNamespace()), properties.getLogDirs(),
                metadata, registration, controllerClient, properties.getControlledShutdown());
    }
}
