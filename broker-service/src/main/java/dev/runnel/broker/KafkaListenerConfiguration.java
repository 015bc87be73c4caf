package dev.runnel.broker;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.unit.DataSize;

import dev.runnel.broker.cluster.BrokerRegistration;
import dev.runnel.broker.cluster.ControllerAdminClient;
import dev.runnel.broker.cluster.ControllerClient;
import dev.runnel.broker.cluster.ProducerIdManager;
import dev.runnel.broker.protocol.TransactionVerification;
import dev.runnel.broker.transaction.TransactionCoordinator;
import dev.runnel.broker.zookeeper.BrokerConfigStore;
import dev.runnel.broker.zookeeper.GroupConfigStore;
import dev.runnel.broker.config.BrokerProperties;
import dev.runnel.broker.config.ListenerProperties;
import dev.runnel.broker.config.SaslProperties;
import dev.runnel.broker.config.SslProperties;
import dev.runnel.broker.config.TransactionStateLogProperties;
import dev.runnel.broker.group.ConsumerGroupCoordinator;
import dev.runnel.broker.group.GroupAdmin;
import dev.runnel.broker.group.GroupCoordinator;
import dev.runnel.broker.group.GroupMetadataManager;
import dev.runnel.broker.group.GroupOffsets;
import dev.runnel.broker.group.GroupSettings;
import dev.runnel.broker.group.ShareGroupCoordinator;
import dev.runnel.broker.group.ShareGroupOffsets;
import dev.runnel.broker.group.TransactionalOffsets;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.protocol.KafkaApis;
import dev.runnel.broker.protocol.FileTlsContexts;
import dev.runnel.broker.protocol.KafkaServer;
import dev.runnel.broker.protocol.Listener;
import dev.runnel.broker.protocol.ListenerSecurity;
import dev.runnel.broker.protocol.Listeners;
import dev.runnel.broker.protocol.TlsContexts;
import dev.runnel.broker.protocol.TlsSettings;
import dev.runnel.broker.protocol.ListenerLimits;
import dev.runnel.broker.protocol.RequestDispatcher;
import dev.runnel.broker.quota.ClientQuotaStore;
import dev.runnel.broker.quota.ClientQuotas;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.security.AclStore;
import dev.runnel.broker.security.SaslMechanisms;
import dev.runnel.broker.security.ScramCredentialStore;
import dev.runnel.cluster.process.ListenerPort;
import dev.runnel.cluster.process.ListenerPorts;
import dev.runnel.common.time.Scheduler;
import dev.runnel.common.time.Ticker;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Wires the Kafka listener: the table of API handlers ({@link KafkaApis}), the request-handler
 * threads ({@link RequestDispatcher}) and the network listener ({@link KafkaServer}).
 */
@Configuration(proxyBeanMethods = false)
class KafkaListenerConfiguration {

    /** Where handlers wait on the controller (InitProducerId), off the request-handler threads. */
    @Bean(destroyMethod = "shutdownNow")
    ExecutorService controllerCalls() {
        return Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "kafka-controller-calls");
            t.setDaemon(true);
            return t;
        });
    }

    /** Producer ids from the controller's blocks, for idempotent and transactional producers alike. */
    @Bean
    ProducerIdManager producerIdManager(BrokerProperties properties, BrokerRegistration registration,
            ControllerClient controllerClient) {
        return new ProducerIdManager(properties.getId(), registration::epoch, controllerClient::allocateProducerIds);
    }

    @Bean
    KafkaApis kafkaApis(BrokerProperties properties, ListenerProperties listenerProperties,
            ReplicaManager replicaManager, MetadataCache metadata,
            ControllerClient controllerClient, ProducerIdManager producerIds, ExecutorService controllerCalls,
            GroupMetadataManager groupMetadata,
            GroupCoordinator groupCoordinator, GroupOffsets groupOffsets, GroupAdmin groupAdmin,
            GroupSettings groupSettings, TransactionalOffsets transactionalOffsets,
            ConsumerGroupCoordinator consumerGroupCoordinator, ShareGroupCoordinator shareGroupCoordinator,
            ShareGroupOffsets shareGroupOffsets, TransactionCoordinator transactionCoordinator,
            TransactionVerification transactionVerification, KafkaApis.ShareStates shareStates, Clock clock,
            Scheduler scheduler, Ticker ticker, SaslMechanisms saslMechanisms, AclStore aclStore,
            ScramCredentialStore scramCredentialStore, GroupConfigStore groupConfigStore, KafkaApis.Shares shares,
            ClientQuotaStore clientQuotaStore, BrokerConfigStore brokerConfigStore) {
        SaslProperties sasl = listenerProperties.getSasl();
        KafkaApis.Security security = new KafkaApis.Security(saslMechanisms, sasl.getConnectionsMaxReauth(),
                sasl.getFailedAuthenticationDelay(), ticker, aclStore, scramCredentialStore);
        KafkaApis.Cluster cluster = new KafkaApis.Cluster(properties.getId(), metadata::clusterId,
                brokerConfigs(properties, listenerProperties), new ControllerAdminClient(controllerClient), producerIds,
                controllerCalls, properties.isAutoCreateTopicsEnable(), security, groupConfigStore, brokerConfigStore);
        KafkaApis.Groups groups = new KafkaApis.Groups(groupMetadata, groupCoordinator, groupOffsets, groupAdmin,
                groupSettings, transactionalOffsets, consumerGroupCoordinator, shareGroupCoordinator, shareGroupOffsets);
        TransactionStateLogProperties log = properties.getTransactionStateLog();
        KafkaApis.Transactions transactions = new KafkaApis.Transactions(transactionCoordinator,
                transactionVerification, KafkaApis.transactionStateTopic(log.getPartitions(), log.getReplicationFactor(),
                        log.getMinInsyncReplicas(), log.getSegmentBytes().toBytes()),
                (tp, producerId, producerEpoch, coordinatorEpoch, commit) -> transactionalOffsets.completeTransaction(
                        tp.partition(), producerId, producerEpoch, coordinatorEpoch, commit),
                log.getWriteTimeout());
        return new KafkaApis(replicaManager, metadata, cluster, groups, transactions, shareStates, shares,
                clientQuotaStore, clock, scheduler);
    }

    @Bean(destroyMethod = "close")
    RequestDispatcher requestDispatcher(KafkaApis kafkaApis, BrokerProperties properties, ClientQuotas clientQuotas,
            Scheduler scheduler, Ticker ticker) {
        return RequestDispatcher.of(kafkaApis, properties.getNumIoThreads(), properties.getQueuedMaxRequests(), ticker)
                .throttling(clientQuotas, scheduler);
    }

    /** The Kafka listeners: {@code runnel.broker.listeners}, or one PLAINTEXT listener on listen-host and kafka-port. */
    @Bean
    Listeners listeners(BrokerProperties properties, ListenerProperties listenerProperties) {
        if (listenerProperties.getListeners() == null || listenerProperties.getListeners().isBlank()) {
            return Listeners.single(Listener.plaintext(properties.getListenHost(), properties.getKafkaPort(),
                    properties.getHost()));
        }
        return Listeners.parse(listenerProperties.getListeners(), listenerProperties.getAdvertisedListeners(),
                listenerProperties.getListenerSecurityProtocolMap(), listenerProperties.getInterBrokerListenerName(),
                properties.getHost());
    }

    @Bean
    ListenerSecurity listenerSecurity(Listeners listeners, ListenerProperties properties, Ticker ticker,
            SecurityConfiguration.AuthorizerHolder authorizer) {
        TlsContexts tls = null;
        if (listeners.all().stream().anyMatch(l -> l.protocol().tls())) {
            tls = new FileTlsContexts(tlsSettings(properties), ticker);
        }
        SaslProperties sasl = properties.getSasl();
        return new ListenerSecurity(tls, (int) Math.min(Integer.MAX_VALUE, sasl.getServerMaxReceiveSize().toBytes()),
                sasl.getAuthenticationTimeout(), ticker, authorizer.authorizer());
    }

    @Bean
    KafkaServer kafkaServer(BrokerProperties properties, ListenerProperties listenerProperties, Listeners listeners, ListenerSecurity listenerSecurity,
            RequestDispatcher requestDispatcher, KafkaApis kafkaApis, ReplicaManager replicaManager,
            MeterRegistry meterRegistry) {
        FunctionCounter.builder("runnel.broker.authentication.failures", kafkaApis, KafkaApis::failedAuthentications)
                .description("SASL authentications that failed (wrong password, unknown user, bad messages)")
                .register(meterRegistry);
        Gauge.builder("runnel.broker.purgatory.size", replicaManager, ReplicaManager::waitingAppends)
                .tag("operation", "produce").description("Requests waiting, per watched partition")
                .register(meterRegistry);
        Gauge.builder("runnel.broker.purgatory.size", replicaManager, ReplicaManager::waitingFetches)
                .tag("operation", "fetch").description("Requests waiting, per watched partition").register(meterRegistry);
        return new KafkaServer(listeners, listenerSecurity, listenerLimits(properties, listenerProperties),
                properties.getNumNetworkThreads(), requestDispatcher, meterRegistry,
                replicaManager::completeWaitingRequests);
    }

    /** The Kafka listener's bound port, for the port file ({@code runnel.process.port-file}). */
    @Bean
    ListenerPort kafkaListenerPort(KafkaServer kafkaServer) {
        return new ListenerPort("kafka", kafkaServer::port);
    }

    /** Every Kafka listener's bound port, as {@code kafka.<NAME>} in the port file. */
    @Bean
    ListenerPorts namedKafkaListenerPorts(KafkaServer kafkaServer) {
        return new ListenerPorts(() -> {
            Map<String, Integer> ports = new LinkedHashMap<>();
            kafkaServer.listeners().all().forEach(l -> ports.put("kafka." + l.name(), kafkaServer.port(l.name())));
            return ports;
        });
    }

    static TlsSettings tlsSettings(ListenerProperties properties) {
        SslProperties ssl = properties.getSsl();
        return new TlsSettings(ssl.getKeystoreType(), ssl.getKeystoreLocation(), ssl.getKeystorePassword(),
                ssl.getKeyPassword(), ssl.getTruststoreType(), ssl.getTruststoreLocation(), ssl.getTruststorePassword(),
                ssl.getClientAuth(), ssl.getEnabledProtocols(), ssl.getCipherSuites(), ssl.getPrincipalMappingRules());
    }

    static ListenerLimits listenerLimits(BrokerProperties properties, ListenerProperties listenerProperties) {
        DataSize configured = properties.getQueuedMaxRequestBytes();
        // Unset: a quarter of the heap. Zero or negative (Kafka's -1): unbounded.
        long queued = configured == null ? Runtime.getRuntime().maxMemory() / 4
                : configured.toBytes() <= 0 ? Long.MAX_VALUE : configured.toBytes();
        return new ListenerLimits((int) Math.min(Integer.MAX_VALUE, properties.getSocketRequestMaxBytes().toBytes()),
                queued, properties.getConnectionsMaxIdle(), listenerProperties.getMaxConnections(),
                listenerProperties.getMaxConnectionsPerIp(),
                perIpOverrides(listenerProperties.getMaxConnectionsPerIpOverrides()));
    }

    /** {@code host:count,...}, each host a name or an address; a name is looked up once, at start. */
    static Map<InetAddress, Integer> perIpOverrides(String text) {
        Map<InetAddress, Integer> overrides = new LinkedHashMap<>();
        if (text == null || text.isBlank()) {
            return overrides;
        }
        for (String entry : text.split(",")) {
            int colon = entry.lastIndexOf(':');
            try {
                overrides.put(InetAddress.getByName(entry.substring(0, colon).trim()),
                        Integer.parseInt(entry.substring(colon + 1).trim()));
            } catch (IndexOutOfBoundsException | NumberFormatException | UnknownHostException e) {
                throw new IllegalArgumentException("max.connections.per.ip.overrides: '" + entry.trim()
                        + "' is not host:count (" + e.getMessage() + ")");
            }
        }
        return overrides;
    }

    /** This broker's settings under Kafka's names, for DescribeConfigs. */
    private static Map<String, String> brokerConfigs(BrokerProperties properties, ListenerProperties listeners) {
        Map<String, String> configs = new LinkedHashMap<>();
        configs.put("broker.id", Integer.toString(properties.getId()));
        if (properties.getRack() != null) {
            configs.put("broker.rack", properties.getRack());
        }
        configs.put("log.dirs", properties.getLogDirs().stream().map(Path::toString).collect(Collectors.joining(",")));
        configs.put("socket.request.max.bytes", Long.toString(properties.getSocketRequestMaxBytes().toBytes()));
        configs.put("queued.max.request.bytes", Long.toString(listenerLimits(properties, listeners).queuedMaxRequestBytes()));
        configs.put("connections.max.idle.ms", Long.toString(properties.getConnectionsMaxIdle().toMillis()));
        configs.put("max.connections", Integer.toString(listeners.getMaxConnections()));
        configs.put("max.connections.per.ip", Integer.toString(listeners.getMaxConnectionsPerIp()));
        configs.put("sasl.enabled.mechanisms", String.join(",", listeners.getSasl().getEnabledMechanisms()));
        configs.put("connections.max.reauth.ms", Long.toString(listeners.getSasl().getConnectionsMaxReauth().toMillis()));
        if (listeners.getListeners() != null) {
            configs.put("listeners", listeners.getListeners());
        }
        if (listeners.getInterBrokerListenerName() != null) {
            configs.put("inter.broker.listener.name", listeners.getInterBrokerListenerName());
        }
        configs.put("auto.create.topics.enable", Boolean.toString(properties.isAutoCreateTopicsEnable()));
        configs.put("num.network.threads",
                Integer.toString(KafkaServer.networkThreads(properties.getNumNetworkThreads())));
        configs.put("num.io.threads", Integer.toString(properties.getNumIoThreads()));
        configs.put("queued.max.requests", Integer.toString(properties.getQueuedMaxRequests()));
        configs.put("background.threads", Integer.toString(properties.getBackgroundThreads()));
        return configs;
    }
}
