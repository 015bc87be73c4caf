package dev.runnel.controller.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.runnel.cluster.AlterPartitionRequest;
import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.ClusterJson;
import dev.runnel.cluster.PartitionReassignments;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.cluster.ZkPaths;
import dev.runnel.common.time.Ticker;

/**
 * Topics too big for one ZooKeeper transaction, created, grown and deleted through the state machine
 * and the store, and controllers crashing between the transactions of such a change.
 */
class ZkMetadataStoreTopicTest {

    /** A budget small enough that a topic of a few hundred partitions takes several transactions. */
    private static final int SMALL_TRANSACTIONS = 16 * 1024;

    private ZooKeeperFixture zookeeper;
    private int nextControllerId = 1;

    @BeforeEach
    void start() throws Exception {
        zookeeper = new ZooKeeperFixture();
        CuratorFramework zk = zookeeper.newClient();
        for (int id = 1; id <= 3; id++) {
            zk.create().creatingParentsIfNeeded().forPath(ZkPaths.broker(id),
                    ClusterJson.write(new BrokerInfo(id, "127.0.0.1", 9090 + id, 8080 + id, null, 0)));
        }
    }

    @AfterEach
    void stop() throws Exception {
        zookeeper.close();
    }

    /** A controller that took over and loaded, in its own session. */
    private final class Controller {

        final CuratorFramework zk;
        final ZkMetadataStore store;
        final ControllerStateMachine machine;
        final AtomicInteger transactions = new AtomicInteger();

        /** Commits at most {@code crashAfter} transactions, then fails every later one as if it died. */
        Controller(int transactionBytes, int crashAfter) throws Exception {
            int id = nextControllerId++;
            zk = zookeeper.newClient();
            store = new ZkMetadataStore(zk, transactionBytes, ops -> {
                if (transactions.getAndIncrement() >= crashAfter) {
                    throw new IllegalStateException("controller " + id + " crashed");
                }
                return zk.transaction().forOperations(ops);
            }, ZkMetadataStore.DEFAULT_LOAD_TIMEOUT, Ticker.SYSTEM);
            int epoch = store.takeOver(id, "http://127.0.0.1:" + id, ZooKeeperFixture.latch(zk, id));
            machine = new ControllerStateMachine(id, epoch, store.load(), new Random(id));
        }

        Controller() throws Exception {
            this(ZkMetadataStore.DEFAULT_TRANSACTION_BYTES, Integer.MAX_VALUE);
        }

        /** Decides {@code event} and commits the decision. */
        Decision apply(ControllerEvent event) throws Exception {
            Decision decision = machine.handle(event);
            store.commit(decision.writes());
            return decision;
        }
    }

    private static ControllerEvent.CreateTopic create(String name, int partitions) {
        return new ControllerEvent.CreateTopic(name, partitions, 2, Map.of());
    }

    private int partitionNodes(CuratorFramework zk, String topic) throws Exception {
        return zk.getChildren().forPath(ZkPaths.partitions(topic)).size();
    }

    @Test
    void aTenThousandPartitionTopicIsCreatedThenDeleted() throws Exception {
        Controller controller = new Controller();

        long start = System.nanoTime();
        TopicInfo created = (TopicInfo) controller.apply(create("big", ControllerStateMachine.MAX_PARTITIONS)).reply();
        System.out.printf("Creating a topic of 10,000 partitions: %d ms in %d transactions%n",
                (System.nanoTime() - start) / 1_000_000, controller.transactions.get());

        assertThat(controller.transactions.get()).as("transactions").isGreaterThan(1);
        // The store knows the version its last transaction gave the topic node.
        TopicInfo altered = (TopicInfo) controller.apply(new ControllerEvent.AlterConfigs("big",
                Map.of("retention.ms", "60000"), Set.of())).reply();
        assertThat(altered.partitions()).isEqualTo(created.partitions());
        Controller next = new Controller();
        assertThat(next.machine.view().topic("big")).contains(altered);
        assertThat(next.machine.view().partitionCount()).isEqualTo(10_000);

        next.apply(new ControllerEvent.DeleteTopic("big"));

        assertThat(next.zk.checkExists().forPath(ZkPaths.topic("big"))).isNull();
        assertThat(new Controller().machine.view().topics()).isEmpty();
    }

    @Test
    void aReassignmentWrittenByOneControllerIsLoadedAndCompletedByTheNext() throws Exception {
        Controller first = new Controller();
        first.apply(new ControllerEvent.CreateTopic("moving", 0, 0, Map.of(), false,
                List.of(List.of(1, 2), List.of(2, 3))));
        first.apply(new ControllerEvent.ReassignPartitions(List.of(
                new PartitionReassignments.Target("moving", 0, List.of(2, 3)))));

        Controller next = new Controller();

        PartitionReassignments.Progress moving = new PartitionReassignments.Progress("moving", 0, List.of(2, 3, 1),
                List.of(3), List.of(1));
        assertThat(next.machine.view().reassignments()).containsExactly(moving);
        assertThat(next.machine.view().topics()).isEqualTo(first.machine.view().topics());
        PartitionState s = next.machine.view().state("moving", 0).orElseThrow();
        BrokerInfo leader = next.machine.view().brokers().get(s.leader());
        next.apply(new ControllerEvent.AlterPartition(new AlterPartitionRequest(leader.id(), leader.epoch(), List.of(
                new AlterPartitionRequest.Change("moving", 0, s.leaderEpoch(), s.partitionEpoch(), List.of(1, 2, 3))))));

        ClusterView last = new Controller().machine.view();
        assertThat(last.reassignments()).isEmpty();
        assertThat(last.topic("moving").orElseThrow().partitions().get(0).replicas()).containsExactly(2, 3);
        assertThat(last.state("moving", 0).orElseThrow().isr()).containsExactly(2, 3);
    }

    @Test
    void aCreationCutShortByACrashIsUndoneByTheNextLoadAndTheNameCanBeUsedAgain() throws Exception {
        Controller crashing = new Controller(SMALL_TRANSACTIONS, 2);

        assertThatThrownBy(() -> crashing.apply(create("half", 1_000))).hasMessageContaining("crashed");

        assertThat(crashing.zk.getData().forPath(ZkPaths.topic("half"))).as("the uncommitted topic node").isEmpty();
        assertThat(partitionNodes(crashing.zk, "half")).as("partitions written before the crash").isPositive();
        Controller next = new Controller();
        assertThat(next.machine.view().topics()).isEmpty();
        assertThat(next.zk.checkExists().forPath(ZkPaths.topic("half"))).as("removed by the load").isNull();

        TopicInfo again = (TopicInfo) next.apply(create("half", 1_000)).reply();
        assertThat(new Controller().machine.view().topic("half")).contains(again);
    }

    @Test
    void aGrowthCutShortByACrashIsUndoneByTheNextLoad() throws Exception {
        TopicInfo small = (TopicInfo) new Controller().apply(create("growing", 10)).reply();
        Controller crashing = new Controller(SMALL_TRANSACTIONS, 1);

        assertThatThrownBy(() -> crashing.apply(new ControllerEvent.CreatePartitions("growing", 1_000)))
                .hasMessageContaining("crashed");

        assertThat(partitionNodes(crashing.zk, "growing")).as("partitions written before the crash").isGreaterThan(10);
        Controller next = new Controller();
        assertThat(next.machine.view().topic("growing")).contains(small);
        assertThat(partitionNodes(next.zk, "growing")).as("left after the load").isEqualTo(10);

        next.apply(new ControllerEvent.CreatePartitions("growing", 1_000));
        assertThat(new Controller().machine.view().topic("growing").orElseThrow().partitions()).hasSize(1_000);
    }

    @Test
    void aDeletionCutShortByACrashIsCompletedByTheNextLoad() throws Exception {
        new Controller().apply(create("doomed", 1_000));
        Controller crashing = new Controller(SMALL_TRANSACTIONS, 2);

        assertThatThrownBy(() -> crashing.apply(new ControllerEvent.DeleteTopic("doomed")))
                .hasMessageContaining("crashed");

        assertThat(crashing.zk.getData().forPath(ZkPaths.topic("doomed"))).as("the deleted topic node").isEmpty();
        assertThat(partitionNodes(crashing.zk, "doomed")).as("partitions left by the crash").isBetween(1, 999);
        Controller next = new Controller();
        assertThat(next.machine.view().topics()).isEmpty();
        assertThat(next.zk.checkExists().forPath(ZkPaths.topic("doomed"))).as("removed by the load").isNull();
        next.apply(create("doomed", 3));
        assertThat(new Controller().machine.view().topic("doomed").orElseThrow().partitions()).hasSize(3);
    }

    @Test
    void aCleanupCutShortByACrashIsFinishedByTheLoadAfter() throws Exception {
        Controller crashing = new Controller(SMALL_TRANSACTIONS, 2);
        assertThatThrownBy(() -> crashing.apply(create("half", 1_000))).hasMessageContaining("crashed");

        assertThatThrownBy(() -> new Controller(SMALL_TRANSACTIONS, 1)).hasMessageContaining("crashed");

        Controller next = new Controller();
        assertThat(next.machine.view().topics()).isEmpty();
        assertThat(next.zk.checkExists().forPath(ZkPaths.topic("half"))).isNull();
    }

    @Test
    void smallChangesStayOneTransaction() throws Exception {
        Controller controller = new Controller();

        controller.apply(create("small", 100));
        controller.apply(new ControllerEvent.CreatePartitions("small", 200));
        controller.apply(new ControllerEvent.DeleteTopic("small"));

        assertThat(controller.transactions.get()).isEqualTo(3);
        assertThat(new Controller().machine.view().topics()).isEmpty();
    }
}
