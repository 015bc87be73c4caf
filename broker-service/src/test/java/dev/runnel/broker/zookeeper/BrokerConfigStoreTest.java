package dev.runnel.broker.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.runnel.broker.config.DynamicBrokerConfigs;
import dev.runnel.cluster.ZkPaths;

/** Dynamic broker configs kept in ZooKeeper by two brokers' stores: per broker, the default, bad ones refused. */
class BrokerConfigStoreTest {

    private static final Duration DEADLINE = Duration.ofSeconds(20);
    private static final String LEADER = DynamicBrokerConfigs.LEADER_REPLICATION_THROTTLED_RATE;
    private static final String FOLLOWER = DynamicBrokerConfigs.FOLLOWER_REPLICATION_THROTTLED_RATE;

    private TestingServer server;
    private CuratorFramework zkA;
    private CuratorFramework zkB;
    private BrokerConfigStore broker1;
    private BrokerConfigStore broker2;

    @BeforeEach
    void start() throws Exception {
        server = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, -1, -1,
                Map.of("clientPortAddress", "127.0.0.1"), "127.0.0.1"), true);
        zkA = client();
        zkB = client();
        broker1 = new BrokerConfigStore(zkA, Duration.ofSeconds(10));
        broker2 = new BrokerConfigStore(zkB, Duration.ofSeconds(10));
        broker1.start();
        broker2.start();
        assertThat(broker1.awaitInitialized(DEADLINE)).isTrue();
        assertThat(broker2.awaitInitialized(DEADLINE)).isTrue();
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
        for (AutoCloseable c : new AutoCloseable[] {broker1, broker2, zkA, zkB, server}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private static UnaryOperator<Map<String, String>> set(String name, String value) {
        return current -> {
            Map<String, String> next = new HashMap<>(current);
            next.put(name, value);
            return next;
        };
    }

    @Test
    void aBrokersOwnRateWinsOverTheDefaultAndUnsetRatesAreUnlimited() throws Exception {
        broker1.alter(BrokerConfigStore.entity(""), set(FOLLOWER, "7000"), false);
        broker1.alter(BrokerConfigStore.entity("2"), set(FOLLOWER, "5000"), false);
        broker1.alter(BrokerConfigStore.entity("2"), set(LEADER, "3000"), false);

        await().atMost(DEADLINE).pollInterval(Duration.ofMillis(20)).untilAsserted(() -> {
            assertThat(broker2.rate(2, FOLLOWER)).isEqualTo(5000);
            assertThat(broker2.rate(2, LEADER)).isEqualTo(3000);
            assertThat(broker2.rate(1, FOLLOWER)).isEqualTo(7000);
        });
        assertThat(broker1.rate(1, LEADER)).isEqualTo(Long.MAX_VALUE);
        assertThat(broker1.defaults()).isEqualTo(Map.of(FOLLOWER, "7000"));
        // Kafka's ZooKeeper layout
        assertThat(new String(zkA.getData().forPath("/config/brokers/<default>"), StandardCharsets.UTF_8))
                .isEqualTo("{\"version\":1,\"config\":{\"follower.replication.throttled.rate\":\"7000\"}}");
    }

    @Test
    void removingTheLastConfigDeletesTheNode() throws Exception {
        broker1.alter("3", set(LEADER, "1000"), false);

        broker1.alter("3", current -> Map.of(), false);

        assertThat(zkA.checkExists().forPath(ZkPaths.brokerConfig("3"))).isNull();
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(broker2.rate(3, LEADER)).isEqualTo(Long.MAX_VALUE));
    }

    @Test
    void staticConfigsBadValuesAndBadNamesAreRefusedAndChangeNothing() throws Exception {
        broker1.alter("1", set(LEADER, "1000"), false);

        assertThatThrownBy(() -> broker1.alter("1", set("log.retention.ms", "1"), false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot be changed while");
        assertThatThrownBy(() -> broker1.alter("1", set(LEADER, "-1"), false))
                .hasMessageContaining("expected an integer of at least 0");
        assertThatThrownBy(() -> broker1.alter("1", set(FOLLOWER, "fast"), true))
                .hasMessageContaining("expected an integer of at least 0");
        assertThatThrownBy(() -> BrokerConfigStore.entity("one")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BrokerConfigStore.entity("-1")).isInstanceOf(IllegalArgumentException.class);
        broker1.alter("1", set(FOLLOWER, "2000"), true); // validate only

        assertThat(broker1.overrides(1)).isEqualTo(Map.of(LEADER, "1000"));
    }

    @Test
    void aNodeThatDoesNotValidateIsIgnored() throws Exception {
        zkA.create().creatingParentsIfNeeded().forPath(ZkPaths.brokerConfig("4"),
                "{\"version\":1,\"config\":{\"leader.replication.throttled.rate\":\"-5\"}}".getBytes(StandardCharsets.UTF_8));
        broker1.alter("5", set(LEADER, "10"), false);

        assertThat(broker1.rate(5, LEADER)).isEqualTo(10);
        assertThat(broker1.overrides(4)).isEmpty();
    }
}
