package dev.runnel.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.CreateMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.BrokerInfo.Endpoint;
import dev.runnel.cluster.ClusterJson;
import dev.runnel.cluster.ZkPaths;
import dev.runnel.gateway.web.ProxyException;

/**
 * The gateway's clients bootstrap from the registered brokers' endpoints of the listener named by
 * {@code runnel.gateway.kafka.listener}, the inter-broker one when none is named, and every client
 * starts from {@code runnel.gateway.kafka.properties}.
 */
class ClusterDirectoryTest {

    private TestingServer server;
    private CuratorFramework zk;

    @BeforeEach
    void startZooKeeper() throws Exception {
        InstanceSpec loopbackOnly = new InstanceSpec(null, -1, -1, -1, true, -1, -1, -1,
                Map.of("clientPortAddress", "127.0.0.1"), "127.0.0.1");
        server = new TestingServer(loopbackOnly, true);
        zk = CuratorFrameworkFactory.builder().connectString(server.getConnectString())
                .namespace(ZkPaths.DEFAULT_NAMESPACE).retryPolicy(new RetryOneTime(100)).build();
        zk.start();
        assertThat(zk.blockUntilConnected(20, TimeUnit.SECONDS)).isTrue();
    }

    @AfterEach
    void stopZooKeeper() throws Exception {
        zk.close();
        server.close();
    }

    private void register(int id, Endpoint... endpoints) throws Exception {
        BrokerInfo broker = new BrokerInfo(id, "broker-" + id, endpoints[0].port(), 8090 + id, null, 0,
                List.of(endpoints));
        zk.create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL)
                .forPath(ZkPaths.BROKER_IDS + "/" + id, ClusterJson.write(broker));
    }

    private static Endpoint internal(int id) {
        return new Endpoint("INTERNAL", "broker-" + id, 19092, "PLAINTEXT");
    }

    private static Endpoint external(int id) {
        return new Endpoint("EXTERNAL", "127.0.0.1", 9091 + id, "SASL_SSL");
    }

    private static GatewayProperties listener(String name) {
        GatewayProperties properties = new GatewayProperties();
        properties.getKafka().setListener(name);
        return properties;
    }

    @Test
    void withoutAListenerTheClientsUseEachBrokersInterBrokerEndpoint() throws Exception {
        register(1, internal(1), external(1));
        register(2, internal(2), external(2));

        assertThat(new ClusterDirectory(listener(null), zk).bootstrapServers().split(","))
                .containsExactlyInAnyOrder("broker-1:19092", "broker-2:19092");
    }

    @Test
    void aNamedListenerTakesEachBrokersEndpointOfThatListener() throws Exception {
        register(1, internal(1), external(1));
        register(2, internal(2), external(2));

        assertThat(new ClusterDirectory(listener("EXTERNAL"), zk).bootstrapServers().split(","))
                .containsExactlyInAnyOrder("127.0.0.1:9092", "127.0.0.1:9093");
    }

    @Test
    void aBrokerWithoutTheListenerIsSkippedWhileAnotherHasIt() throws Exception {
        register(1, internal(1));
        register(2, internal(2), external(2));

        assertThat(new ClusterDirectory(listener("EXTERNAL"), zk).bootstrapServers()).isEqualTo("127.0.0.1:9093");
    }

    @Test
    void aListenerNoBrokerHasIsNamedInTheRefusal() throws Exception {
        register(1, internal(1));

        assertThatThrownBy(() -> new ClusterDirectory(listener("EXTERNAL"), zk).bootstrapServers())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("No registered broker has the listener EXTERNAL");
    }

    @Test
    void everyClientStartsFromTheConfiguredKafkaProperties() {
        GatewayProperties properties = new GatewayProperties();
        properties.setBootstrapServers(List.of("127.0.0.1:9092"));
        properties.getKafka().setProperties(Map.of("security.protocol", "SSL", "metadata.max.age.ms", "12345",
                "bootstrap.servers", "ignored:1"));
        GatewayClients clients = new GatewayClients(properties, new ClusterDirectory(properties, null));
        try {
            assertThat(clients.clientConfig()).containsEntry("security.protocol", "SSL")
                    .containsEntry("metadata.max.age.ms", "12345")
                    .containsEntry("bootstrap.servers", "127.0.0.1:9092");
        } finally {
            clients.destroy();
        }
    }

    @Test
    void theProducerAndAdminClientAreMadeWithTheConfiguredKafkaProperties() {
        GatewayProperties properties = new GatewayProperties();
        properties.setBootstrapServers(List.of("127.0.0.1:9092"));
        properties.getKafka().setProperties(Map.of("security.protocol", "SASL_SSL", "sasl.mechanism", "SCRAM-SHA-512"));
        GatewayClients clients = new GatewayClients(properties, new ClusterDirectory(properties, null));

        // SASL without a JAAS configuration: kafka-clients refuses to make the producer
        assertThatThrownBy(clients::producer).isInstanceOf(ProxyException.class)
                .hasMessageContaining("Cannot make the gateway's Kafka clients");
        clients.destroy();
    }
}
