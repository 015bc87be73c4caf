package dev.runnel.controller.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.runnel.cluster.ClusterJson;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.TopicRecord;
import dev.runnel.cluster.ZkPaths;

class ZkMetadataStoreLoadTest {

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

    @Test
    void loadsTwentyThousandPartitionsWithVersionsThatFenceLaterWrites() throws Exception {
        Map<String, TopicRecord> written = new LinkedHashMap<>();
        for (int t = 0; t < 20; t++) {
            TopicRecord topic = ZooKeeperFixture.topicRecord(1_000);
            ZooKeeperFixture.writeTopic(zk, "topic-" + t, topic);
            written.put("topic-" + t, topic);
        }
        ZkMetadataStore store = new ZkMetadataStore(zk);
        store.takeOver(1, "http://127.0.0.1:1", latch());

        long start = System.nanoTime();
        LoadedMetadata loaded = store.load();
        long millis = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("ZkMetadataStore.load of 20 topics, 20,000 partitions: %d ms%n", millis);

        assertThat(loaded.topics()).containsExactlyInAnyOrderEntriesOf(written);
        for (Map.Entry<String, TopicRecord> e : written.entrySet()) {
            Map<Integer, PartitionState> states = loaded.states().get(e.getKey());
            assertThat(states).hasSize(1_000);
            for (int p = 0; p < 1_000; p++) {
                assertThat(states.get(p)).isEqualTo(ZooKeeperFixture.initialState(e.getValue(), p));
            }
        }
        PartitionState moved = new PartitionState(2, 1, List.of(2), 1);
        store.commit(List.of(new ZkWrite.SetPartitionState("topic-7", 999, moved)));
        assertThat(ClusterJson.read(zk.getData().forPath(ZkPaths.partitionState("topic-7", 999)),
                PartitionState.class, "state")).isEqualTo(moved);
    }

    @Test
    void aMissingPartitionStateFailsTheLoadNamingTheNode() throws Exception {
        ZooKeeperFixture.writeTopic(zk, "orders", ZooKeeperFixture.topicRecord(3));
        zk.delete().forPath(ZkPaths.partitionState("orders", 1));
        ZkMetadataStore store = new ZkMetadataStore(zk);
        store.takeOver(1, "http://127.0.0.1:1", latch());

        assertThatThrownBy(store::load).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("partition 1 of topic 'orders'")
                .hasMessageContaining(ZkPaths.partitionState("orders", 1));
    }

    @Test
    void aTopicWithoutItsPartitionsNodeFailsTheLoad() throws Exception {
        zk.create().creatingParentsIfNeeded().forPath(ZkPaths.topic("orders"),
                ClusterJson.write(ZooKeeperFixture.topicRecord(1)));
        ZkMetadataStore store = new ZkMetadataStore(zk);
        store.takeOver(1, "http://127.0.0.1:1", latch());

        assertThatThrownBy(store::load).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(ZkPaths.partitions("orders"));
    }

    private String latch() throws Exception {
        return zk.create().creatingParentsIfNeeded().forPath(ZkPaths.CONTROLLER + "/latch-1", new byte[0]);
    }
}
