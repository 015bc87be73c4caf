package dev.runnel.controller.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.ProducerIdBlock;
import dev.runnel.cluster.ZkPaths;
import dev.runnel.common.time.Ticker;

/**
 * Fencing of commits: a deposed controller's commit of several transactions, and a store that never
 * took over. ({@link ZkMetadataStoreLoadTest} commits 16,000 writes.)
 */
class ZkMetadataStoreCommitTest {

    private static final PartitionState MOVED = new PartitionState(2, 1, List.of(2, 3), 1);

    private ZooKeeperFixture zookeeper;
    private CuratorFramework zk;

    @BeforeEach
    void start() throws Exception {
        zookeeper = new ZooKeeperFixture();
        zk = zookeeper.newClient();
    }

    @AfterEach
    void stop() throws Exception {
        zookeeper.close();
    }

    private void writeTopics(int topics, int partitions) throws Exception {
        for (int t = 0; t < topics; t++) {
            ZooKeeperFixture.writeTopic(zk, "topic-" + t, ZooKeeperFixture.topicRecord(partitions));
        }
    }

    /** Leadership of every partition moves off broker 1, as when it dies. */
    private static List<ZkWrite> moveAllLeaders(int topics, int partitions) {
        List<ZkWrite> writes = new ArrayList<>();
        for (int t = 0; t < topics; t++) {
            for (int p = 0; p < partitions; p++) {
                writes.add(new ZkWrite.SetPartitionState("topic-" + t, p, MOVED));
            }
        }
        return writes;
    }

    /** A store in its own session that counts the transactions it attempts. */
    private ZkMetadataStore store(int transactionBytes, AtomicInteger attempts) throws Exception {
        CuratorFramework client = zookeeper.newClient();
        return new ZkMetadataStore(client, transactionBytes, ops -> {
            attempts.incrementAndGet();
            return client.transaction().forOperations(ops);
        }, ZkMetadataStore.DEFAULT_LOAD_TIMEOUT, Ticker.SYSTEM);
    }

    @Test
    void aDeposedControllersBigCommitFailsAtItsFirstTransactionAndChangesNothing() throws Exception {
        writeTopics(2, 500);
        AtomicInteger attempts = new AtomicInteger();
        ZkMetadataStore deposed = store(16 * 1024, attempts);
        deposed.takeOver(1, "http://127.0.0.1:1", ZooKeeperFixture.latch(zk, 1));
        LoadedMetadata before = deposed.load();
        ZkMetadataStore successor = new ZkMetadataStore(zookeeper.newClient(), Ticker.SYSTEM);
        successor.takeOver(2, "http://127.0.0.1:2", ZooKeeperFixture.latch(zk, 2));

        assertThatThrownBy(() -> deposed.commit(moveAllLeaders(2, 500)))
                .isInstanceOf(KeeperException.BadVersionException.class);

        assertThat(attempts.get()).as("transactions attempted").isEqualTo(1);
        assertThat(successor.load().states()).isEqualTo(before.states());
    }

    @Test
    void aStoreThatDidNotTakeOverWritesNothing() throws Exception {
        ZkMetadataStore store = new ZkMetadataStore(zk, Ticker.SYSTEM);
        store.ensureLayout();

        assertThatThrownBy(() -> store.commit(List.of(new ZkWrite.SetProducerIdBlock(
                new ProducerIdBlock(1, 0, ProducerIdBlock.SIZE), true))))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("epoch");
        assertThat(zk.checkExists().forPath(ZkPaths.PRODUCER_IDS)).isNull();
    }
}
