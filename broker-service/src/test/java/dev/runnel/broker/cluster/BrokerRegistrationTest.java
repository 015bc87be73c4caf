package dev.runnel.broker.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.ClusterJson;
import dev.runnel.cluster.ZkPaths;
import dev.runnel.cluster.ZkReads;
import dev.runnel.common.time.Ticker;

class BrokerRegistrationTest {

    private static final String PATH = "/brokers/ids/1";
    private static final Duration SHORT_WAIT = Duration.ofSeconds(1);

    private TestingServer zookeeper;
    private final List<CuratorFramework> clients = new ArrayList<>();
    private final List<BrokerRegistration> registrations = new ArrayList<>();

    @BeforeEach
    void startZooKeeper() throws Exception {
        InstanceSpec loopbackOnly = new InstanceSpec(null, -1, -1, -1, true, -1, -1, -1,
                Map.of("clientPortAddress", "127.0.0.1"), "127.0.0.1");
        zookeeper = new TestingServer(loopbackOnly, true);
    }

    @AfterEach
    void stopZooKeeper() throws Exception {
        registrations.forEach(BrokerRegistration::deregister);
        clients.forEach(CuratorFramework::close);
        zookeeper.close();
    }

    /** A client in its own ZooKeeper session, rooted at the cluster's namespace. */
    private CuratorFramework newClient() throws InterruptedException {
        CuratorFramework client = CuratorFrameworkFactory.builder()
                .connectString(zookeeper.getConnectString())
                .namespace(ZkPaths.DEFAULT_NAMESPACE)
                .sessionTimeoutMs(30_000)
                .connectionTimeoutMs(10_000)
                .retryPolicy(new RetryOneTime(100))
                .build();
        clients.add(client);
        client.start();
        assertThat(client.blockUntilConnected(20, TimeUnit.SECONDS)).as("connected to ZooKeeper").isTrue();
        return client;
    }

    private BrokerRegistration registration(CuratorFramework client, int kafkaPort, Duration takenIdWait) {
        BrokerRegistration registration = new BrokerRegistration(client, 1, "127.0.0.1", () -> kafkaPort, "rack-a",
                () -> kafkaPort + 1000, takenIdWait, Ticker.SYSTEM);
        registrations.add(registration);
        return registration;
    }

    private static long sessionOf(CuratorFramework client) throws Exception {
        return client.getZookeeperClient().getZooKeeper().getSessionId();
    }

    @Test
    void registerCreatesAnEphemeralNodeWithTheBrokerInfoAndTheCreatingZxidAsEpoch() throws Exception {
        CuratorFramework zk = newClient();
        BrokerRegistration registration = registration(zk, 9092, SHORT_WAIT);
        assertThat(registration.current()).isNull();
        assertThat(registration.epoch()).isEqualTo(-1);

        BrokerInfo registered = registration.register();

        Stat stat = new Stat();
        byte[] data = zk.getData().storingStatIn(stat).forPath(PATH);
        assertThat(stat.getEphemeralOwner()).isEqualTo(sessionOf(zk));
        assertThat(ClusterJson.read(data, BrokerInfo.class, PATH))
                .isEqualTo(new BrokerInfo(1, "127.0.0.1", 9092, 10092, "rack-a", 0));
        assertThat(registered).isEqualTo(new BrokerInfo(1, "127.0.0.1", 9092, 10092, "rack-a", stat.getCzxid()));
        assertThat(registration.current()).isEqualTo(registered);
        assertThat(registration.epoch()).isEqualTo(stat.getCzxid());
        assertThat(ZkReads.broker(zk, PATH)).contains(registered);
    }

    @Test
    void theRegistrationLivesUnderTheClusterNamespace() throws Exception {
        CuratorFramework zk = newClient();
        registration(zk, 9092, SHORT_WAIT).register();

        assertThat(zk.usingNamespace(null).checkExists().forPath("/runnel/brokers/ids/1")).isNotNull();
    }

    @Test
    void theBoundPortsAreReadWhenRegistering() throws Exception {
        CuratorFramework zk = newClient();
        AtomicInteger kafkaPort = new AtomicInteger(-1);
        AtomicInteger httpPort = new AtomicInteger(0);
        BrokerRegistration registration = new BrokerRegistration(zk, 1, "127.0.0.1", kafkaPort::get, null,
                httpPort::get, SHORT_WAIT, Ticker.SYSTEM);
        registrations.add(registration);
        kafkaPort.set(19092);
        httpPort.set(18081);

        BrokerInfo registered = registration.register();

        assertThat(registered.kafkaPort()).isEqualTo(19092);
        assertThat(registered.httpPort()).isEqualTo(18081);
        assertThat(registered.rack()).isNull();
        BrokerInfo stored = ClusterJson.read(zk.getData().forPath(PATH), BrokerInfo.class, PATH);
        assertThat(stored.kafkaPort()).isEqualTo(19092);
        assertThat(stored.httpPort()).isEqualTo(18081);
    }

    @Test
    void aBrokerWhoseKafkaListenerHasNotBoundDoesNotRegister() throws Exception {
        CuratorFramework zk = newClient();
        BrokerRegistration registration = new BrokerRegistration(zk, 1, "127.0.0.1", () -> -1, null, () -> 18081,
                SHORT_WAIT, Ticker.SYSTEM);
        registrations.add(registration);

        assertThatThrownBy(registration::register).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("has not bound a port");
        assertThat(zk.checkExists().forPath(PATH)).isNull();
    }

    @Test
    void registeringAgainFromTheSameSessionReplacesTheNodeWithANewEpoch() throws Exception {
        CuratorFramework zk = newClient();
        BrokerRegistration registration = registration(zk, 9092, SHORT_WAIT);
        BrokerInfo first = registration.register();

        BrokerInfo second = registration.register();

        assertThat(second.epoch()).isGreaterThan(first.epoch());
        assertThat(zk.checkExists().forPath(PATH).getCzxid()).isEqualTo(second.epoch());
    }

    @Test
    void aSecondBrokerWithTheSameIdFailsAfterTheWaitAndLeavesTheFirstRegistered() throws Exception {
        CuratorFramework first = newClient();
        BrokerInfo registered = registration(first, 9092, SHORT_WAIT).register();
        CuratorFramework second = newClient();
        BrokerRegistration duplicate = registration(second, 9192, SHORT_WAIT);

        long started = System.nanoTime();
        assertThatThrownBy(duplicate::register)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Broker id 1 is already registered")
                .hasMessageContaining("Broker ids must be unique")
                .hasMessageContaining("session 0x" + Long.toHexString(sessionOf(first)))
                .hasMessageContaining("127.0.0.1:9092");
        Duration waited = Duration.ofNanos(System.nanoTime() - started);

        assertThat(waited).isGreaterThanOrEqualTo(SHORT_WAIT);
        assertThat(duplicate.current()).isNull();
        Stat stat = second.checkExists().forPath(PATH);
        assertThat(stat.getEphemeralOwner()).isEqualTo(sessionOf(first));
        assertThat(stat.getCzxid()).isEqualTo(registered.epoch());
    }

    @Test
    void aWaitingRegistrationSucceedsOnceThePreviousHolderOfTheIdIsGone() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(BrokerRegistration.class);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        logger.addAppender(logs);
        try {
            CuratorFramework first = newClient();
            BrokerInfo previous = registration(first, 9092, SHORT_WAIT).register();
            CuratorFramework second = newClient();
            BrokerRegistration restarted = registration(second, 9192, Duration.ofSeconds(30));

            CompletableFuture<BrokerInfo> registering = CompletableFuture.supplyAsync(() -> {
                try {
                    return restarted.register();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            await().atMost(Duration.ofSeconds(20)).until(() -> logs.list.stream()
                    .anyMatch(e -> e.getFormattedMessage().contains("waiting up to")));
            assertThat(registering).isNotDone();

            first.close();

            BrokerInfo registered = registering.get(20, TimeUnit.SECONDS);
            assertThat(registered.kafkaPort()).isEqualTo(9192);
            assertThat(registered.epoch()).isGreaterThan(previous.epoch());
            Stat stat = second.checkExists().forPath(PATH);
            assertThat(stat.getEphemeralOwner()).isEqualTo(sessionOf(second));
            assertThat(stat.getCzxid()).isEqualTo(registered.epoch());
        } finally {
            logger.detachAppender(logs);
        }
    }

    @Test
    void theNodeDisappearsWhenTheSessionCloses() throws Exception {
        CuratorFramework first = newClient();
        registration(first, 9092, SHORT_WAIT).register();
        CuratorFramework observer = newClient();

        first.close();

        await().atMost(Duration.ofSeconds(20)).until(() -> observer.checkExists().forPath(PATH) == null);
    }

    @Test
    void deregisterRemovesTheNodeOnlyIfItIsThisSessions() throws Exception {
        CuratorFramework owner = newClient();
        BrokerRegistration registered = registration(owner, 9092, SHORT_WAIT);
        BrokerInfo info = registered.register();
        CuratorFramework other = newClient();
        BrokerRegistration notRegistered = registration(other, 9192, SHORT_WAIT);

        notRegistered.deregister();

        Stat stat = owner.checkExists().forPath(PATH);
        assertThat(stat).isNotNull();
        assertThat(stat.getCzxid()).isEqualTo(info.epoch());

        registered.deregister();

        assertThat(owner.checkExists().forPath(PATH)).isNull();
        assertThat(registered.current()).isNull();
        assertThat(registered.epoch()).isEqualTo(-1);
    }

    @Test
    void deregisterWithoutARegistrationIsHarmless() throws Exception {
        CuratorFramework zk = newClient();
        BrokerRegistration registration = registration(zk, 9092, SHORT_WAIT);

        registration.deregister();

        assertThat(zk.checkExists().forPath(PATH)).isNull();
        assertThat(registration.current()).isNull();
    }

    @Test
    void afterALostSessionReconnectsTheBrokerRegistersAgainWithANewEpoch() throws Exception {
        CuratorFramework zk = newClient();
        BrokerRegistration registration = registration(zk, 9092, Duration.ofSeconds(10));
        BrokerInfo before = registration.register();

        // What an expired session leaves behind: the ephemeral node is gone, then the client reconnects.
        registration.stateChanged(zk, ConnectionState.LOST);
        newClient().delete().forPath(PATH);
        registration.stateChanged(zk, ConnectionState.RECONNECTED);

        await().atMost(Duration.ofSeconds(20)).until(() -> registration.epoch() > before.epoch());
        Stat stat = zk.checkExists().forPath(PATH);
        assertThat(stat).isNotNull();
        assertThat(stat.getCzxid()).isEqualTo(registration.epoch());
        assertThat(stat.getEphemeralOwner()).isEqualTo(sessionOf(zk));
    }
}
