package dev.runnel.broker.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.runnel.cluster.ZkReads;
import dev.runnel.testing.TempLogDirs;

class LogDirIdentityTest {

    private Path root;

    @BeforeEach
    void createDirs() {
        root = TempLogDirs.create("runnel-identity-");
    }

    @AfterEach
    void deleteDirs() {
        TempLogDirs.deleteRecursively(root);
    }

    @Test
    void aNewLogDirIsStampedWithTheClusterAndBrokerAndAcceptedAgain() throws Exception {
        Path dir = root.resolve("a");

        LogDirIdentity.verify(List.of(dir), "cluster-1", 3);
        LogDirIdentity.verify(List.of(dir), "cluster-1", 3);

        assertThat(Files.readString(dir.resolve(LogDirIdentity.FILE_NAME)))
                .contains("cluster.id=cluster-1", "broker.id=3", "version=0");
    }

    @Test
    void aLogDirOfAnotherClusterIsRefusedByName() throws Exception {
        Path dir = root.resolve("a");
        LogDirIdentity.verify(List.of(dir), "cluster-1", 3);

        assertThatThrownBy(() -> LogDirIdentity.verify(List.of(dir), "cluster-2", 3))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("belongs to cluster cluster-1, but ZooKeeper holds cluster cluster-2");
    }

    @Test
    void aLogDirOfAnotherBrokerIsRefused() throws Exception {
        Path first = root.resolve("a");
        Path second = root.resolve("b");
        LogDirIdentity.verify(List.of(first), "cluster-1", 3);

        assertThatThrownBy(() -> LogDirIdentity.verify(List.of(second, first), "cluster-1", 4))
                .hasMessageContaining("holds the data of broker 3, not of broker 4");
    }

    @Test
    void everyZooKeeperClientSeesTheClusterIdTheFirstOneCreated() throws Exception {
        try (TestingServer zk = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, -1, -1, null, "127.0.0.1"), true);
                CuratorFramework one = client(zk); CuratorFramework two = client(zk)) {
            String id = ZkReads.clusterId(one.usingNamespace("runnel"));

            assertThat(ZkReads.clusterId(two.usingNamespace("runnel"))).isEqualTo(id);
            assertThat(ZkReads.clusterId(two.usingNamespace("other"))).isNotEqualTo(id);
        }
    }

    private static CuratorFramework client(TestingServer zk) {
        CuratorFramework client = CuratorFrameworkFactory.newClient(zk.getConnectString(), new RetryOneTime(100));
        client.start();
        return client;
    }
}
