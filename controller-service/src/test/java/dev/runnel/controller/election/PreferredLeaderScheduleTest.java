package dev.runnel.controller.election;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.ClusterJson;
import dev.runnel.cluster.InternalHttpClient;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.TopicRecord;
import dev.runnel.cluster.ZkPaths;
import dev.runnel.controller.metadata.ControllerEvent;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

/**
 * The automatic preferred-leader balancing as the active controller runs it: a periodic task on
 * the injected scheduler (a {@link ManualScheduler} here, so the test moves time) whose decision
 * is committed to ZooKeeper like any change of leader, where a later controller finds it.
 */
class PreferredLeaderScheduleTest {

    private static final Duration INTERVAL = Duration.ofSeconds(300);

    private TestingServer server;
    private CuratorFramework zk;
    private final ManualScheduler scheduler = new ManualScheduler(new ManualClock());
    /**
     * The broker channels' own time: their back-offs after failed sends (no broker listens) sleep
     * on it, which would move the scheduler's clock.
     */
    private final ManualClock channelTime = new ManualClock();
    private ActiveController controller;

    @BeforeEach
    void startZooKeeper() throws Exception {
        server = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, -1, -1,
                Map.of("clientPortAddress", "127.0.0.1"), "127.0.0.1"), true);
        zk = CuratorFrameworkFactory.builder().connectString(server.getConnectString())
                .namespace(ZkPaths.DEFAULT_NAMESPACE).retryPolicy(new RetryOneTime(100)).build();
        zk.start();
        assertThat(zk.blockUntilConnected(20, TimeUnit.SECONDS)).isTrue();
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (controller != null) {
                controller.close();
            }
        } finally {
            zk.close();
            server.close();
        }
    }

    /**
     * Brokers 1-3 (unreachable ports: the commands fail, which does not matter here) and topic "t"
     * of ten partitions preferring broker 1, all in sync, the first {@code ledByTwo} led by broker 2.
     */
    private void cluster(int ledByTwo) throws Exception {
        for (int id = 1; id <= 3; id++) {
            zk.create().creatingParentsIfNeeded().forPath(ZkPaths.broker(id),
                    ClusterJson.write(new BrokerInfo(id, "127.0.0.1", 1, 1, null, 0)));
        }
        List<List<Integer>> replicas = Collections.nCopies(10, List.of(1, 2, 3));
        zk.create().creatingParentsIfNeeded().forPath(ZkPaths.topic("t"),
                ClusterJson.write(new TopicRecord(UUID.randomUUID(), replicas, Map.of())));
        zk.create().forPath(ZkPaths.partitions("t"), new byte[0]);
        for (int p = 0; p < 10; p++) {
            zk.create().forPath(ZkPaths.partition("t", p), new byte[0]);
            zk.create().forPath(ZkPaths.partitionState("t", p), ClusterJson.write(p < ledByTwo
                    ? new PartitionState(2, 1, List.of(1, 2, 3), 1) : new PartitionState(1, 0, List.of(1, 2, 3), 0)));
        }
    }

    private void activate(int imbalancePercentage) throws Exception {
        String latch = zk.create().creatingParentsIfNeeded().forPath(ZkPaths.CONTROLLER + "/latch-1", new byte[0]);
        controller = new ActiveController(zk, new ActiveController.Settings(1, true, INTERVAL, imbalancePercentage),
                new InternalHttpClient("secret", Duration.ofSeconds(1)), scheduler, channelTime, channelTime, new Random(1));
        controller.bind(() -> { }, () -> true, "http://127.0.0.1:1", () -> latch);
        controller.elected();
        await().atMost(Duration.ofSeconds(30)).until(() -> controller.role() == ActiveController.Role.ACTIVE);
        assertThat(scheduler.pendingTaskNames()).contains("preferred-leader-check");
    }

    private PartitionState stored(int partition) throws Exception {
        return ClusterJson.read(zk.getData().forPath(ZkPaths.partitionState("t", partition)), PartitionState.class,
                "a partition state");
    }

    /** Waits until the event loop has handled everything submitted before: a check that never moves anything. */
    private void drainEventLoop() throws Exception {
        controller.submit(new ControllerEvent.PreferredLeaderCheck(100)).get(30, TimeUnit.SECONDS);
    }

    @Test
    void aboveTheThresholdTheCheckAtTheIntervalMovesLeadersBackAndZooKeeperKeepsIt() throws Exception {
        cluster(2);
        activate(10);

        scheduler.advance(INTERVAL.minusSeconds(1));
        drainEventLoop();
        assertThat(stored(0).leader()).as("before the interval").isEqualTo(2);

        scheduler.advance(Duration.ofSeconds(1));
        await().atMost(Duration.ofSeconds(30)).until(() -> stored(0).leader() == 1 && stored(1).leader() == 1);
        assertThat(stored(0)).isEqualTo(new PartitionState(1, 2, List.of(1, 2, 3), 2));
        assertThat(controller.view().preferredReplicaImbalanceCount()).isZero();
    }

    @Test
    void atTheThresholdTheCheckLeavesLeadersWhereTheyAre() throws Exception {
        cluster(1);
        activate(10);

        scheduler.advance(INTERVAL.multipliedBy(3));
        drainEventLoop();

        assertThat(stored(0).leader()).isEqualTo(2);
        assertThat(controller.view().preferredReplicaImbalanceCount()).isEqualTo(1);
    }
}
