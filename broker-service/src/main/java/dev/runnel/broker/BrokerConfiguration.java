package dev.runnel.broker;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.apache.curator.framework.CuratorFramework;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;

import dev.runnel.broker.cluster.BrokerRegistration;
import dev.runnel.broker.cluster.ClusterMembership;
import dev.runnel.broker.cluster.ControllerClient;
import dev.runnel.broker.cluster.ControllerCommands;
import dev.runnel.broker.config.BrokerProperties;
import dev.runnel.broker.config.ListenerProperties;
import dev.runnel.broker.config.LogCleanerProperties;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.protocol.FileTlsContexts;
import dev.runnel.broker.protocol.KafkaServer;
import dev.runnel.broker.protocol.Listener;
import dev.runnel.broker.protocol.Listeners;
import dev.runnel.broker.replication.AlterPartitionManager;
import dev.runnel.broker.replication.LogDirFailureHandler;
import dev.runnel.broker.replication.ReplicaFetcherManager;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.replication.ReplicationQuotas;
import dev.runnel.broker.security.BrokerAuthentication;
import dev.runnel.broker.security.InterBrokerSecurity;
import dev.runnel.broker.storage.LogConfig;
import dev.runnel.broker.storage.LogCleaner;
import dev.runnel.broker.storage.LogManager;
import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.ClusterError;
import dev.runnel.cluster.ClusterSettings;
import dev.runnel.cluster.InternalHttp;
import dev.runnel.cluster.PartitionRef;
import dev.runnel.cluster.ReplicasOfflineRequest;
import dev.runnel.cluster.ReplicasOfflineResponse;
import dev.runnel.cluster.process.ProcessConfiguration;
import dev.runnel.cluster.security.ClusterHttpSecurityConfiguration;
import dev.runnel.cluster.web.AdvertisedHost;
import dev.runnel.cluster.web.ClusterWebConfiguration;
import dev.runnel.cluster.web.HostCheckConfiguration;
import dev.runnel.cluster.zookeeper.ZooKeeperAuthConfiguration;
import dev.runnel.common.time.ExecutorScheduler;
import dev.runnel.common.time.Scheduler;
import dev.runnel.common.time.Ticker;

/**
 * Wires the broker's core: time and the scheduler, log directories, cluster membership, the
 * controller's commands, the replica manager and replication. The Kafka listener and its APIs are
 * {@link KafkaListenerConfiguration}'s, the group coordinator {@link GroupCoordinatorConfiguration}'s.
 */
@Configuration(proxyBeanMethods = false)
@Import({ClusterWebConfiguration.class, HostCheckConfiguration.class, ClusterHttpSecurityConfiguration.class,
        ProcessConfiguration.class, ZooKeeperAuthConfiguration.class, KafkaListenerConfiguration.class,
        GroupCoordinatorConfiguration.class, SecurityConfiguration.class})
class BrokerConfiguration {

    /** How often the moves between log directories copy their next step. */
    private static final Duration LOG_DIR_MOVE_PASS = Duration.ofMillis(100);

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

    /** The name others reach this broker at, which its HTTP server answers to. */
    @Bean
    AdvertisedHost brokerHost(BrokerProperties properties) {
        return new AdvertisedHost(properties.getHost());
    }

    /** The broker's one wall clock: every component that reads the time gets this one. */
    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    /** The broker's one monotonic time, for deadlines and back-offs of threads that wait. */
    @Bean
    Ticker ticker() {
        return Ticker.SYSTEM;
    }

    /**
     * The broker's one scheduler ({@code background.threads}): log flushes and retention, ISR expiry,
     * the timeouts of parked requests and of group members. Several threads, so that a flush
     * blocked on the disk does not hold back a timeout.
     */
    @Bean(destroyMethod = "close")
    Scheduler scheduler(BrokerProperties properties) {
        return new ExecutorScheduler("broker-scheduler-", properties.getBackgroundThreads());
    }

    @Bean(destroyMethod = "close")
    LogDirectories logDirectories(BrokerProperties properties, Clock clock, Ticker ticker, Scheduler scheduler)
            throws IOException {
        List<LogManager> managers = new ArrayList<>();
        LogCleanerProperties cleaner = properties.getLogCleaner();
        LogManager.Settings settings = LogManager.Settings.DEFAULTS.withCleaner(new LogCleaner.Settings(
                cleaner.isEnabled(), cleaner.getThreads(), cleaner.getDedupeBufferSize().toBytes(),
                cleaner.getIoBufferLoadFactor(), (int) Math.min(Integer.MAX_VALUE, cleaner.getIoBufferSize().toBytes()),
                cleaner.getIoMaxBytesPerSecond() == null ? Double.MAX_VALUE : cleaner.getIoMaxBytesPerSecond().toBytes(),
                cleaner.getBackoff()));
        for (Path dir : properties.getLogDirs()) {
            managers.add(LogManager.open(dir, LogConfig.DEFAULTS, clock, ticker, scheduler, settings));
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
            BrokerProperties properties, Environment environment, ObjectProvider<KafkaServer> kafkaServer, Ticker ticker) {
        Duration sessionTimeout = environment.getProperty("spring.cloud.zookeeper.session-timeout", Duration.class,
                Duration.ofSeconds(60));
        return new BrokerRegistration(curator.usingNamespace(cluster.getNamespace()), properties.getId(),
                properties.getHost(), () -> kafkaServer.getObject().port(), () -> endpoints(kafkaServer.getObject()),
                properties.getRack(),
                () -> environment.getRequiredProperty("local.server.port", Integer.class),
                sessionTimeout.plusSeconds(2), ticker);
    }

    /** Every listener's advertised endpoint, the inter-broker listener's first. */
    private static List<BrokerInfo.Endpoint> endpoints(KafkaServer server) {
        String interBroker = server.listeners().interBroker().name();
        List<BrokerInfo.Endpoint> endpoints = new ArrayList<>();
        for (Listener listener : server.advertised()) {
            BrokerInfo.Endpoint endpoint = new BrokerInfo.Endpoint(listener.name(), listener.advertisedHost(),
                    listener.advertisedPort(), listener.protocol().name());
            if (listener.name().equals(interBroker)) {
                endpoints.add(0, endpoint);
            } else {
                endpoints.add(endpoint);
            }
        }
        return endpoints;
    }

    @Bean(destroyMethod = "close")
    AlterPartitionManager alterPartitionManager(BrokerProperties properties, BrokerRegistration registration,
            ControllerClient controllerClient, ObjectProvider<ReplicaManager> replicaManager) {
        return new AlterPartitionManager(properties.getId(), registration::epoch, controllerClient::alterPartition,
                tp -> replicaManager.getObject().highWatermarkMoved(tp));
    }

    /** The partitions this broker hosts, and the one way records are appended to and read from them. */
    @Bean(destroyMethod = "close")
    ReplicaManager replicaManager(BrokerProperties properties, LogDirectories logDirectories, MetadataCache metadata,
            BrokerRegistration registration, AlterPartitionManager alterPartitionManager, Clock clock,
            Scheduler scheduler) {
        ReplicaManager replicas = new ReplicaManager(properties.getId(), logDirectories.managers, metadata,
                registration::epoch, clock, alterPartitionManager, scheduler);
        // Moves between log directories (AlterReplicaLogDirs) copy a step per pass on the scheduler.
        scheduler.schedulePeriodically("replica-log-dir-moves", replicas::moveReplicas, LOG_DIR_MOVE_PASS,
                LOG_DIR_MOVE_PASS);
        return replicas;
    }

    /** A failed log directory's replicas are reported offline to the controller, which moves their leadership. */
    @Bean(destroyMethod = "")
    LogDirFailureHandler offlineReplicasReporting(ReplicaManager replicaManager, ControllerClient controllerClient,
            BrokerProperties properties, BrokerRegistration registration) {
        replicaManager.logDirFailureHandler().reportTo(offline -> {
            List<PartitionRef> refs = offline.stream().map(tp -> new PartitionRef(tp.topic(), tp.partition())).toList();
            ReplicasOfflineResponse response = controllerClient.replicasOffline(
                    new ReplicasOfflineRequest(properties.getId(), registration.epoch(), refs));
            return response.error() == ClusterError.NONE || response.error() == ClusterError.STALE_BROKER_EPOCH;
        });
        return replicaManager.logDirFailureHandler();
    }

    /** The controller's commands, applied in order on their own thread. */
    @Bean(destroyMethod = "close")
    ControllerCommands controllerCommands(BrokerProperties properties, ReplicaManager replicaManager,
            MetadataCache metadata, BrokerRegistration registration, Clock clock) {
        return new ControllerCommands(replicaManager, metadata, registration::epoch, clock,
                properties.getControllerCommandWait());
    }

    /** How brokers prove to each other, on Kafka connections, that they hold the cluster secret. */
    @Bean
    BrokerAuthentication brokerAuthentication(ClusterSettings cluster) {
        return new BrokerAuthentication(cluster.getSecret());
    }

    /**
     * How this broker reaches the others' inter-broker listener: TLS when that listener uses it
     * (checking their certificates and host names against {@code runnel.broker.ssl.truststore-*}).
     */
    @Bean
    InterBrokerSecurity interBrokerSecurity(BrokerAuthentication brokerAuthentication, Listeners listeners,
            ListenerProperties properties) {
        if (!listeners.interBroker().protocol().tls()) {
            return InterBrokerSecurity.plaintext(brokerAuthentication);
        }
        return new InterBrokerSecurity(brokerAuthentication,
                FileTlsContexts.clientSockets(KafkaListenerConfiguration.tlsSettings(properties)),
                properties.getSsl().isEndpointIdentification());
    }

    /** Followers fetch from their leaders; leaders drop followers that fall behind from the ISR. */
    @Bean(destroyMethod = "close")
    ReplicaFetcherManager replicaFetcherManager(BrokerProperties properties, MetadataCache metadata,
            ReplicaManager replicaManager, Scheduler scheduler, InterBrokerSecurity interBrokerSecurity, Clock clock,
            Ticker ticker, ReplicationQuotas replicationQuotas) {
        ReplicaFetcherManager fetchers = new ReplicaFetcherManager(properties.getId(), metadata, clock, ticker,
                interBrokerSecurity, replicationQuotas.follower());
        replicaManager.leaderReplicationQuota(replicationQuotas.leader());
        replicaManager.beforeLeadershipChange(fetchers::stopFetching);
        replicaManager.onStateChange(tp -> fetchers.reconcile(tp, replicaManager.partition(tp)));
        long lagMs = properties.getReplicaLagTimeMax().toMillis();
        Duration check = Duration.ofMillis(Math.max(100, lagMs / 2));
        scheduler.schedulePeriodically("isr-expiration", () -> replicaManager.shrinkIsrs(lagMs), check, check);
        return fetchers;
    }

    @Bean
    ControllerClient controllerClient(CuratorFramework curator, ClusterSettings cluster, InternalHttp internalHttp) {
        return new ControllerClient(curator.usingNamespace(cluster.getNamespace()), cluster.httpClient(internalHttp));
    }

    @Bean
    ClusterMembership clusterMembership(CuratorFramework curator, ClusterSettings cluster, MetadataCache metadata,
            BrokerRegistration registration, ControllerClient controllerClient, BrokerProperties properties,
            Ticker ticker) {
        return new ClusterMembership(curator.usingNamespace(cluster.getNamespace()), properties.getLogDirs(),
                metadata, registration, controllerClient, properties.getControlledShutdown(), ticker);
    }
}
