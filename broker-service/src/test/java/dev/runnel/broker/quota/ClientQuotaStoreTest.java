package dev.runnel.broker.quota;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.runnel.broker.security.ScramCredentialStore;
import dev.runnel.broker.security.ScramCrypto;
import dev.runnel.broker.security.ScramMechanism;
import dev.runnel.cluster.ZkPaths;

/**
 * Client quotas kept in ZooKeeper by two brokers' stores: a write through one reaches the other's
 * enforcement; a user's SCRAM credentials and quotas live side by side; nodes that do not parse are
 * left out.
 */
class ClientQuotaStoreTest {

    private static final Duration DEADLINE = Duration.ofSeconds(20);

    private TestingServer server;
    private CuratorFramework zkA;
    private CuratorFramework zkB;
    private ClientQuotaStore brokerA;
    private ClientQuotaStore brokerB;
    private final AtomicReference<Map<QuotaEntity, Map<QuotaKey, Double>>> seenByB = new AtomicReference<>(Map.of());

    @BeforeEach
    void start() throws Exception {
        server = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, -1, -1,
                Map.of("clientPortAddress", "127.0.0.1"), "127.0.0.1"), true);
        zkA = client();
        zkB = client();
        brokerA = new ClientQuotaStore(zkA, Duration.ofSeconds(10), quotas -> { });
        brokerB = new ClientQuotaStore(zkB, Duration.ofSeconds(10), seenByB::set);
        brokerA.start();
        brokerB.start();
        assertThat(brokerA.awaitInitialized(DEADLINE)).isTrue();
        assertThat(brokerB.awaitInitialized(DEADLINE)).isTrue();
    }

    private CuratorFramework client() throws InterruptedException {
        CuratorFramework client = CuratorFrameworkFactory.builder().connectString(server.getConnectString())
                .namespace(ZkPaths.DEFAULT_NAMESPACE).retryPolicy(new RetryOneTime(100)).build();
        client.start();
        assertThat(client.blockUntilConnected(20, TimeUnit.SECONDS)).isTrue();
        return client;
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {brokerA, brokerB, zkA, zkB, server}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private static ClientQuotaStore.Alteration set(String key, Double value, String... entity) {
        List<ClientQuotaStore.Component> components = new ArrayList<>();
        for (int i = 0; i < entity.length; i += 2) {
            components.add(new ClientQuotaStore.Component(entity[i], entity[i + 1]));
        }
        return new ClientQuotaStore.Alteration(components, List.of(new ClientQuotaStore.Op(key, value)));
    }

    @Test
    void aQuotaWrittenThroughOneBrokerReachesTheOthersEnforcement() throws Exception {
        List<ClientQuotaStore.Result> results = brokerA.alter(List.of(
                set("producer_byte_rate", 1024.0, "client-id", "limited"),
                set("request_percentage", 25.0, "user", "a/b", "client-id", null)), false);

        assertThat(results).extracting(ClientQuotaStore.Result::failure).containsOnly((ClientQuotaStore.Failure) null);
        assertThat(brokerA.quotas()).as("read back by the broker that wrote it").hasSize(2);
        await().atMost(DEADLINE).until(() -> seenByB.get().size() == 2);
        assertThat(seenByB.get()).containsEntry(QuotaEntity.client("limited"), Map.of(QuotaKey.PRODUCER_BYTE_RATE, 1024.0))
                .containsEntry(QuotaEntity.userClient("a/b", null), Map.of(QuotaKey.REQUEST_PERCENTAGE, 25.0));
        assertThat(zkA.checkExists().forPath("/config/users/a%2Fb/clients/<default>")).isNotNull();

        brokerA.alter(List.of(set("producer_byte_rate", null, "client-id", "limited")), false);
        await().atMost(DEADLINE).until(() -> seenByB.get().size() == 1);
    }

    @Test
    void aUsersScramCredentialsAndQuotasLiveSideBySide() throws Exception {
        try (ScramCredentialStore credentials = new ScramCredentialStore(zkA, Duration.ofSeconds(10))) {
            credentials.start();
            assertThat(credentials.awaitInitialized(DEADLINE)).isTrue();
            credentials.upsert("alice", ScramMechanism.SCRAM_SHA_256,
                    ScramCrypto.newCredential(ScramMechanism.SCRAM_SHA_256, "secret", 4096, new SecureRandom()));

            brokerA.alter(List.of(set("consumer_byte_rate", 2048.0, "user", "alice")), false);
            brokerA.alter(List.of(set("consumer_byte_rate", null, "user", "alice")), false);

            assertThat(credentials.credential("alice", ScramMechanism.SCRAM_SHA_256)).isPresent();
            assertThat(zkA.checkExists().forPath(ZkPaths.user("alice"))).isNotNull();
            assertThat(zkA.checkExists().forPath("/config/users/alice")).isNull();
        }
    }

    @Test
    void aNodeThatDoesNotParseIsLeftOutAndTheOthersStay() throws Exception {
        brokerA.alter(List.of(set("producer_byte_rate", 1024.0, "client-id", "good")), false);
        zkA.create().creatingParentsIfNeeded().forPath("/config/clients/bad", "not json".getBytes());
        zkA.create().creatingParentsIfNeeded().forPath("/config/clients/odd",
                "{\"version\":1,\"config\":{\"producer_byte_rate\":\"-5\",\"unknown\":\"1\"}}".getBytes());

        await().atMost(DEADLINE).until(() -> seenByB.get().containsKey(QuotaEntity.client("good")));
        assertThat(brokerA.alter(List.of(set("consumer_byte_rate", 1.0, "client-id", "later")), false)).hasSize(1);
        await().atMost(DEADLINE).until(() -> seenByB.get().containsKey(QuotaEntity.client("later")));
        assertThat(seenByB.get()).containsOnlyKeys(QuotaEntity.client("good"), QuotaEntity.client("later"));
    }
}
