package dev.runnel.controller.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.client.ZKClientConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.runnel.cluster.ZkPaths;
import dev.runnel.common.time.Ticker;

class ZkBatchReaderTest {

    private static final Duration DEADLINE = Duration.ofSeconds(20);

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

    private List<String> writeNodes(int count) throws Exception {
        List<String> paths = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String path = "/nodes/" + i;
            zk.create().creatingParentsIfNeeded().forPath(path, ("node " + i).getBytes(StandardCharsets.US_ASCII));
            zk.setData().forPath(path, ("node " + i).getBytes(StandardCharsets.US_ASCII));
            paths.add(path);
        }
        return paths;
    }

    @Test
    void readsEveryNodeWithItsVersionAndLeavesOutMissingOnes() throws Exception {
        List<String> paths = writeNodes(50);
        List<String> asked = new ArrayList<>(paths);
        asked.add("/nodes/missing");

        // Two in flight at a time: most reads wait for a permit, none is lost.
        Map<String, ZkBatchReader.Node> nodes = new ZkBatchReader(zk, 2, DEADLINE, Ticker.SYSTEM).getData(asked);

        assertThat(nodes).hasSize(50).doesNotContainKey("/nodes/missing");
        for (int i = 0; i < 50; i++) {
            ZkBatchReader.Node node = nodes.get("/nodes/" + i);
            assertThat(new String(node.data(), StandardCharsets.US_ASCII)).isEqualTo("node " + i);
            assertThat(node.stat().getVersion()).isEqualTo(1);
        }
    }

    @Test
    void readsChildrenUnderTheNamespace() throws Exception {
        writeNodes(3);

        Map<String, List<String>> children = new ZkBatchReader(zk, 10, DEADLINE, Ticker.SYSTEM)
                .getChildren(List.of("/nodes", ZkPaths.TOPICS));

        assertThat(children).containsOnlyKeys("/nodes");
        assertThat(children.get("/nodes")).containsExactlyInAnyOrder("0", "1", "2");
    }

    @Test
    void aLostConnectionFailsTheBatch() throws Exception {
        List<String> paths = writeNodes(5);
        zookeeper.server().stop();

        assertThatThrownBy(() -> new ZkBatchReader(zk, 10, DEADLINE, Ticker.SYSTEM).getData(paths))
                .isInstanceOf(KeeperException.ConnectionLossException.class);
    }

    /** A client whose close waits half a second, not a session timeout, for a server that never answers. */
    private static ZKClientConfig closesQuickly() {
        ZKClientConfig config = new ZKClientConfig();
        config.setProperty(ZKClientConfig.ZOOKEEPER_REQUEST_TIMEOUT, "500");
        return config;
    }

    @Test
    void aServerThatNeverAnswersFailsTheBatchAtItsDeadline() throws Exception {
        // Accepts connections (in its backlog) and never says a word.
        try (ServerSocket silent = new ServerSocket(0, 10, InetAddress.getByName("127.0.0.1"));
                CuratorFramework client = CuratorFrameworkFactory.builder()
                        .connectString("127.0.0.1:" + silent.getLocalPort())
                        .namespace(ZkPaths.DEFAULT_NAMESPACE)
                        .sessionTimeoutMs(5_000)
                        .connectionTimeoutMs(5_000)
                        .retryPolicy(new RetryOneTime(100))
                        .zkClientConfig(closesQuickly())
                        .build()) {
            client.start();

            assertThatThrownBy(() -> new ZkBatchReader(client, 10, Duration.ofMillis(300), Ticker.SYSTEM).getData(List.of("/a")))
                    .isInstanceOf(TimeoutException.class).hasMessageContaining("0 of 1 reads");
        }
    }
}
