package dev.runnel.broker.security;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.ZooKeeper;

import dev.runnel.cluster.ZkPaths;

/** An in-JVM ZooKeeper on loopback and the clients of a test, each in its own session; closes them all. */
final class SecurityZooKeeper implements AutoCloseable {

    private final TestingServer server;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    SecurityZooKeeper() throws Exception {
        InstanceSpec loopbackOnly = new InstanceSpec(null, -1, -1, -1, true, -1, -1, -1,
                Map.of("clientPortAddress", "127.0.0.1"), "127.0.0.1");
        server = new TestingServer(loopbackOnly, true);
    }

    /** A client rooted at the cluster's namespace, as a broker's is. */
    CuratorFramework newClient() throws InterruptedException {
        CuratorFramework client = CuratorFrameworkFactory.builder()
                .connectString(server.getConnectString())
                .namespace(ZkPaths.DEFAULT_NAMESPACE)
                .sessionTimeoutMs(30_000)
                .connectionTimeoutMs(10_000)
                .retryPolicy(new RetryOneTime(100))
                .build();
        client.start();
        closeables.add(0, client);
        if (!client.blockUntilConnected(20, TimeUnit.SECONDS)) {
            throw new IllegalStateException("not connected to ZooKeeper");
        }
        return client;
    }

    /** Closes {@code closeable} before the clients and the server. */
    <T extends AutoCloseable> T owned(T closeable) {
        closeables.add(0, closeable);
        return closeable;
    }

    /** Ends {@code client}'s session from outside, as ZooKeeper does when a session times out. */
    void expireSession(CuratorFramework client) throws Exception {
        ZooKeeper current = client.getZookeeperClient().getZooKeeper();
        ZooKeeper sameSession = new ZooKeeper(server.getConnectString(), 30_000, event -> { },
                current.getSessionId(), current.getSessionPasswd());
        sameSession.close();
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable closeable : closeables) {
            closeable.close();
        }
        server.close();
    }
}
