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

import dev.runnel.broker.config.GroupConfigDefinitions;
import dev.runnel.cluster.ZkPaths;

/** Group configs kept in ZooKeeper by two brokers' stores: written through one, read by both; bad ones refused. */
class GroupConfigStoreTest {

    private static final Duration DEADLINE = Duration.ofSeconds(20);

    private TestingServer server;
    private CuratorFramework zkA;
    private CuratorFramework zkB;
    private GroupConfigStore brokerA;
    private GroupConfigStore brokerB;

    @BeforeEach
    void start() throws Exception {
        server = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, -1, -1,
                Map.of("clientPortAddress", "127.0.0.1"), "127.0.0.1"), true);
        zkA = client();
        zkB = client();
        GroupConfigDefinitions definitions = new GroupConfigDefinitions(GroupConfigDefinitions.ShareDefaults.kafka());
        brokerA = new GroupConfigStore(zkA, definitions, Duration.ofSeconds(10));
        brokerB = new GroupConfigStore(zkB, definitions, Duration.ofSeconds(10));
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

    private static UnaryOperator<Map<String, String>> set(String name, String value) {
        return current -> {
            Map<String, String> next = new HashMap<>(current);
            next.put(name, value);
            return next;
        };
    }

    @Test
    void aWriteThroughOneBrokerIsReadByItAtOnceAndByTheOtherSoon() throws Exception {
        brokerA.alter("orders-workers", set("share.auto.offset.reset", "earliest"), false);
        brokerA.alter("orders-workers", set("share.record.lock.duration.ms", "20000"), false);

        Map<String, String> expected = Map.of("share.auto.offset.reset", "earliest",
                "share.record.lock.duration.ms", "20000");
        assertThat(brokerA.overrides("orders-workers")).isEqualTo(expected);
        await().atMost(DEADLINE).pollInterval(Duration.ofMillis(20))
                .untilAsserted(() -> assertThat(brokerB.overrides("orders-workers")).isEqualTo(expected));
        assertThat(brokerB.overrides("other-group")).isEmpty();
        assertThat(brokerB.definitions().intValue(brokerB.overrides("orders-workers"),
                GroupConfigDefinitions.SHARE_DELIVERY_COUNT_LIMIT)).isEqualTo(5);
    }

    @Test
    void removingTheLastOverrideDeletesTheNode() throws Exception {
        brokerA.alter("g", set("share.delivery.count.limit", "3"), false);
        assertThat(zkA.checkExists().forPath(ZkPaths.groupConfig("g"))).isNotNull();

        brokerA.alter("g", current -> Map.of(), false);

        assertThat(brokerA.overrides("g")).isEmpty();
        assertThat(zkA.checkExists().forPath(ZkPaths.groupConfig("g"))).isNull();
        await().atMost(DEADLINE).pollInterval(Duration.ofMillis(20))
                .untilAsserted(() -> assertThat(brokerB.overrides("g")).isEmpty());
    }

    @Test
    void badConfigsAreRefusedWithKafkasWordingAndChangeNothing() throws Exception {
        brokerA.alter("g", set("share.record.lock.duration.ms", "20000"), false);

        assertThatThrownBy(() -> brokerA.alter("g", set("share.record.lock.duration.ms", "1000"), false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("share.record.lock.duration.ms must be greater than or equal to "
                        + "group.share.min.record.lock.duration.ms (15000)");
        assertThatThrownBy(() -> brokerA.alter("g", set("share.delivery.count.limit", "11"), false))
                .hasMessage("share.delivery.count.limit must be less than or equal to "
                        + "group.share.max.delivery.count.limit (10)");
        assertThatThrownBy(() -> brokerA.alter("g", set("no.such.config", "1"), false))
                .hasMessage("Unknown group config name: no.such.config");
        assertThatThrownBy(() -> brokerA.alter("g", set("share.auto.offset.reset", "sometimes"), false))
                .hasMessageContaining("share.auto.offset.reset").hasMessageContaining("earliest, latest");
        assertThatThrownBy(() -> brokerA.alter("g", set("share.session.timeout.ms", "forty"), false))
                .hasMessageContaining("Not a number");
        assertThat(brokerA.overrides("g")).isEqualTo(Map.of("share.record.lock.duration.ms", "20000"));
    }

    @Test
    void theSessionTimeoutMustStayAboveTheHeartbeatInterval() {
        GroupConfigDefinitions definitions = new GroupConfigDefinitions(new GroupConfigDefinitions.ShareDefaults(
                45_000, new GroupConfigDefinitions.Bounds(10_000, 60_000, "min-s", "max-s"), 5_000,
                new GroupConfigDefinitions.Bounds(5_000, 30_000, "min-h", "max-h"), 30_000,
                new GroupConfigDefinitions.Bounds(15_000, 60_000, "min-l", "max-l"), 5,
                new GroupConfigDefinitions.Bounds(2, 10, "min-d", "max-d")));

        assertThatThrownBy(() -> definitions.validate(Map.of("share.session.timeout.ms", "20000",
                "share.heartbeat.interval.ms", "20000")))
                .hasMessage("share.session.timeout.ms must be greater than share.heartbeat.interval.ms");
        definitions.validate(Map.of("share.session.timeout.ms", "20000", "share.heartbeat.interval.ms", "10000"));
    }

    @Test
    void validateOnlyWritesNothing() throws Exception {
        brokerA.alter("g", set("share.isolation.level", "read_committed"), true);

        assertThat(brokerA.overrides("g")).isEmpty();
        assertThat(zkA.checkExists().forPath(ZkPaths.groupConfig("g"))).isNull();
        assertThatThrownBy(() -> brokerA.alter("g", set("share.isolation.level", "serializable"), true))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aNodeThatDoesNotParseLeavesItsGroupWithTheDefaultsAndTheOthersUntouched() throws Exception {
        brokerA.alter("good", set("share.delivery.count.limit", "4"), false);
        zkA.create().creatingParentsIfNeeded().forPath(ZkPaths.groupConfig("broken"),
                "{not json".getBytes(StandardCharsets.UTF_8));
        zkA.create().creatingParentsIfNeeded().forPath(ZkPaths.groupConfig("out-of-range"),
                "{\"version\":1,\"configs\":{\"share.delivery.count.limit\":\"99\"}}".getBytes(StandardCharsets.UTF_8));
        brokerA.alter("later", set("share.delivery.count.limit", "6"), false);

        await().atMost(DEADLINE).pollInterval(Duration.ofMillis(20))
                .untilAsserted(() -> assertThat(brokerB.overrides("later")).containsEntry("share.delivery.count.limit", "6"));
        assertThat(brokerB.overrides("broken")).isEmpty();
        assertThat(brokerB.overrides("out-of-range")).isEmpty();
        assertThat(brokerB.overrides("good")).containsEntry("share.delivery.count.limit", "4");
    }
}
