package dev.runnel.controller.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;

import dev.runnel.cluster.ClusterJson;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.TopicRecord;
import dev.runnel.cluster.ZkPaths;

/**
 * A ZooKeeper server on 127.0.0.1 for the store tests, with clients rooted at the cluster's
 * namespace and a way to write topics directly, as an earlier controller would have.
 */
final class ZooKeeperFixture implements AutoCloseable {

    private final TestingServer server;
    private final List<CuratorFramework> clients = new ArrayList<>();

    ZooKeeperFixture() throws Exception {
        InstanceSpec loopbackOnly = new InstanceSpec(null, -1, -1, -1, true, -1, -1, -1,
                Map.of("clientPortAddress", "127.0.0.1"), "127.0.0.1");
        server = new TestingServer(loopbackOnly, true);
    }

    /** A client in its own session, rooted at the cluster's namespace. */
    CuratorFramework newClient() throws InterruptedException {
        CuratorFramework client = CuratorFrameworkFactory.builder()
                .connectString(server.getConnectString())
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

    TestingServer server() {
        return server;
    }

    /** The record of a topic whose partition {@code p} has replicas {@code p % 3, p % 3 + 1}. */
    static TopicRecord topicRecord(int partitions) {
        List<List<Integer>> replicas = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            replicas.add(List.of(1 + p % 3, 1 + (p + 1) % 3));
        }
        return new TopicRecord(UUID.randomUUID(), replicas, Map.of());
    }

    /** The state {@link #writeTopic} gives partition {@code p}. */
    static PartitionState initialState(TopicRecord topic, int p) {
        List<Integer> replicas = topic.replicas().get(p);
        return new PartitionState(replicas.get(0), 0, replicas, 0);
    }

    /** Writes a topic and its partitions directly, in transactions of a few hundred nodes. */
    static void writeTopic(CuratorFramework zk, String name, TopicRecord topic) throws Exception {
        zk.create().creatingParentsIfNeeded().forPath(ZkPaths.topic(name), ClusterJson.write(topic));
        zk.create().forPath(ZkPaths.partitions(name), new byte[0]);
        List<CuratorOp> ops = new ArrayList<>();
        for (int p = 0; p < topic.partitionCount(); p++) {
            ops.add(zk.transactionOp().create().forPath(ZkPaths.partition(name, p), new byte[0]));
            ops.add(zk.transactionOp().create().forPath(ZkPaths.partitionState(name, p),
                    ClusterJson.write(initialState(topic, p))));
            if (ops.size() >= 1_000) {
                zk.transaction().forOperations(ops);
                ops.clear();
            }
        }
        if (!ops.isEmpty()) {
            zk.transaction().forOperations(ops);
        }
    }

    /** A latch node for controller {@code id}, as its election would create: the condition of its takeover. */
    static String latch(CuratorFramework zk, int id) throws Exception {
        return zk.create().creatingParentsIfNeeded().forPath(ZkPaths.CONTROLLER + "/latch-" + id, new byte[0]);
    }

    @Override
    public void close() throws Exception {
        clients.forEach(CuratorFramework::close);
        server.close();
    }
}
