package dev.runnel.controller.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.runnel.cluster.ClusterJson;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.TopicRecord;
import dev.runnel.cluster.ZkPaths;
import dev.runnel.common.time.Ticker;

class ZkMetadataStoreLoadTest {

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

    /** A store in its own session that took over, counting the transactions it commits. */
    private ZkMetadataStore takeOver(int controllerId, AtomicInteger transactions) throws Exception {
        CuratorFramework client = zookeeper.newClient();
        ZkMetadataStore store = new ZkMetadataStore(client, ZkMetadataStore.DEFAULT_TRANSACTION_BYTES, ops -> {
            transactions.incrementAndGet();
            return client.transaction().forOperations(ops);
        }, ZkMetadataStore.DEFAULT_LOAD_TIMEOUT, Ticker.SYSTEM);
        store.takeOver(controllerId, "http://127.0.0.1:" + controllerId, ZooKeeperFixture.latch(zk, controllerId));
        return store;
    }

    @Test
    void loadsTwentyThousandPartitionsWhoseVersionsFenceTheNextSixteenThousandWrites() throws Exception {
        Map<String, TopicRecord> written = new LinkedHashMap<>();
        for (int t = 0; t < 20; t++) {
            TopicRecord topic = ZooKeeperFixture.topicRecord(1_000);
            ZooKeeperFixture.writeTopic(zk, "topic-" + t, topic);
            written.put("topic-" + t, topic);
        }
        AtomicInteger transactions = new AtomicInteger();
        ZkMetadataStore store = takeOver(1, transactions);

        long start = System.nanoTime();
        LoadedMetadata loaded = store.load();
        System.out.printf("ZkMetadataStore.load of 20 topics, 20,000 partitions: %d ms%n",
                (System.nanoTime() - start) / 1_000_000);

        assertThat(loaded.topics()).containsExactlyInAnyOrderEntriesOf(written);
        for (Map.Entry<String, TopicRecord> e : written.entrySet()) {
            Map<Integer, PartitionState> states = loaded.states().get(e.getKey());
            assertThat(states).hasSize(1_000);
            for (int p = 0; p < 1_000; p++) {
                assertThat(states.get(p)).isEqualTo(ZooKeeperFixture.initialState(e.getValue(), p));
            }
        }

        // Leadership of 16,000 partitions moves, as when a broker dies: about 2 MB of writes, which
        // ZooKeeper (jute.maxbuffer 1 MiB) refuses as one transaction.
        List<ZkWrite> moves = new ArrayList<>();
        for (int t = 0; t < 16; t++) {
            for (int p = 0; p < 1_000; p++) {
                moves.add(new ZkWrite.SetPartitionState("topic-" + t, p, MOVED));
            }
        }
        start = System.nanoTime();
        store.commit(moves);
        System.out.printf("ZkMetadataStore.commit of 16,000 partition states: %d ms in %d transactions%n",
                (System.nanoTime() - start) / 1_000_000, transactions.get());
        assertThat(transactions.get()).isGreaterThan(1);

        // The versions it wrote are current, so it writes again; one changed behind its back is not.
        PartitionState again = new PartitionState(3, 2, List.of(3), 2);
        store.commit(List.of(new ZkWrite.SetPartitionState("topic-3", 3, again)));
        zk.setData().forPath(ZkPaths.partitionState("topic-19", 5), ClusterJson.write(MOVED));
        assertThatThrownBy(() -> store.commit(List.of(new ZkWrite.SetPartitionState("topic-19", 5, again))))
                .isInstanceOf(KeeperException.BadVersionException.class);

        Map<String, Map<Integer, PartitionState>> states = takeOver(2, new AtomicInteger()).load().states();
        for (int t = 0; t < 20; t++) {
            for (int p = 0; p < 1_000; p++) {
                PartitionState expected = t == 3 && p == 3 ? again : t < 16 || t == 19 && p == 5 ? MOVED
                        : ZooKeeperFixture.initialState(written.get("topic-" + t), p);
                assertThat(states.get("topic-" + t).get(p)).as("topic-%d-%d", t, p).isEqualTo(expected);
            }
        }
    }

    @Test
    void aMissingPartitionStateFailsTheLoadNamingTheNode() throws Exception {
        ZooKeeperFixture.writeTopic(zk, "orders", ZooKeeperFixture.topicRecord(3));
        zk.delete().forPath(ZkPaths.partitionState("orders", 1));
        ZkMetadataStore store = takeOver(1, new AtomicInteger());

        assertThatThrownBy(store::load).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("partition 1 of topic 'orders'")
                .hasMessageContaining(ZkPaths.partitionState("orders", 1));
    }

    @Test
    void aTopicWithoutItsPartitionsNodeFailsTheLoad() throws Exception {
        zk.create().creatingParentsIfNeeded().forPath(ZkPaths.topic("orders"),
                ClusterJson.write(ZooKeeperFixture.topicRecord(1)));
        ZkMetadataStore store = takeOver(1, new AtomicInteger());

        assertThatThrownBy(store::load).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(ZkPaths.partitions("orders"));
    }
}
