package dev.runnel.cluster.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.zookeeper.LocalZooKeeper;

/**
 * The cluster's ACLs on a real ZooKeeper server: what a client authenticated as Runnel's services
 * creates, an anonymous client can neither create under, change nor delete, and it cannot read the
 * private subtrees; nodes created before authentication get the ACLs from the repair.
 */
class NamespaceAclsTest {

    private static final String USER = "runnel";
    private static final String PASSWORD = "zk-test-password";

    @TempDir
    Path dir;

    private LocalZooKeeper zookeeper;
    private final List<CuratorFramework> clients = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        zookeeper = LocalZooKeeper.start(new LocalZooKeeper.Options("127.0.0.1", 0, Files.createDirectories(dir.resolve("zk"))));
    }

    @AfterEach
    void stop() {
        clients.forEach(CuratorFramework::close);
        zookeeper.close();
    }

    /** A client as a service with authentication on builds it (see {@link ZooKeeperAuthConfiguration}). */
    private CuratorFramework service(String password) throws InterruptedException {
        return connect(CuratorFrameworkFactory.builder()
                .authorization("digest", NamespaceAcls.credentials(USER, password))
                .aclProvider(new NamespaceAcls("runnel", USER, password)));
    }

    private CuratorFramework anonymous() throws InterruptedException {
        return connect(CuratorFrameworkFactory.builder());
    }

    private CuratorFramework connect(CuratorFrameworkFactory.Builder builder) throws InterruptedException {
        CuratorFramework client = builder.connectString(zookeeper.connectString()).retryPolicy(new RetryOneTime(100))
                .sessionTimeoutMs(30_000).connectionTimeoutMs(10_000).build();
        clients.add(client);
        client.start();
        assertThat(client.blockUntilConnected(20, TimeUnit.SECONDS)).isTrue();
        return client;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void anAnonymousClientCannotChangeAnyNodeTheServicesCreated() throws Exception {
        CuratorFramework runnel = service(PASSWORD).usingNamespace("runnel");
        runnel.create().creatingParentsIfNeeded().forPath("/topics/orders/partitions/0/state", bytes("{\"leader\":1}"));
        runnel.create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL).forPath("/brokers/ids/1", bytes("{}"));
        runnel.create().forPath("/controller", bytes("{\"url\":\"http://127.0.0.1:8090\"}"));
        runnel.create().creatingParentsIfNeeded().forPath("/users/alice", bytes("SCRAM-SHA-256 salt and keys"));
        runnel.create().creatingParentsIfNeeded().forPath("/acls/topic/orders", bytes("alice may read"));

        CuratorFramework anyone = anonymous();
        List<String> nodes = List.of("/runnel", "/runnel/topics", "/runnel/topics/orders",
                "/runnel/topics/orders/partitions", "/runnel/topics/orders/partitions/0",
                "/runnel/topics/orders/partitions/0/state", "/runnel/brokers", "/runnel/brokers/ids",
                "/runnel/brokers/ids/1", "/runnel/controller", "/runnel/users", "/runnel/users/alice", "/runnel/acls",
                "/runnel/acls/topic", "/runnel/acls/topic/orders");
        for (String node : nodes) {
            assertThatThrownBy(() -> anyone.create().forPath(node + "/planted", bytes("x"))).as("create under " + node)
                    .isInstanceOf(KeeperException.NoAuthException.class);
            assertThatThrownBy(() -> anyone.setData().forPath(node, bytes("{\"url\":\"http://evil:80\"}")))
                    .as("set " + node).isInstanceOf(KeeperException.NoAuthException.class);
            assertThatThrownBy(() -> anyone.setACL().withACL(ZooDefs.Ids.OPEN_ACL_UNSAFE).forPath(node))
                    .as("setAcl " + node).isInstanceOf(KeeperException.NoAuthException.class);
        }
        for (String leaf : List.of("/runnel/topics/orders/partitions/0/state", "/runnel/brokers/ids/1",
                "/runnel/controller", "/runnel/users/alice", "/runnel/acls/topic/orders")) {
            assertThatThrownBy(() -> anyone.delete().forPath(leaf)).as("delete " + leaf)
                    .isInstanceOf(KeeperException.NoAuthException.class);
        }

        assertThat(new String(anyone.getData().forPath("/runnel/controller"), StandardCharsets.UTF_8))
                .as("the rest of the layout stays readable").contains("8090");
        for (String secret : List.of("/runnel/users", "/runnel/users/alice", "/runnel/acls", "/runnel/acls/topic/orders")) {
            assertThatThrownBy(() -> anyone.getData().forPath(secret)).as("read " + secret)
                    .isInstanceOf(KeeperException.NoAuthException.class);
            assertThatThrownBy(() -> anyone.getChildren().forPath(secret)).as("list " + secret)
                    .isInstanceOf(KeeperException.NoAuthException.class);
        }
        assertThat(runnel.getData().forPath("/users/alice")).as("the services read it").isNotEmpty();
        runnel.setData().forPath("/controller", bytes("{}"));
        runnel.delete().forPath("/brokers/ids/1");
    }

    @Test
    void nodesCreatedBeforeAuthenticationGetTheAclsFromTheRepair() throws Exception {
        CuratorFramework before = anonymous().usingNamespace("runnel");
        before.create().creatingParentsIfNeeded().forPath("/topics/orders/partitions/0/state", bytes("{}"));
        before.create().creatingParentsIfNeeded().forPath("/users/alice", bytes("keys"));
        assertThat(before.getACL().forPath("/topics/orders")).isEqualTo(ZooDefs.Ids.OPEN_ACL_UNSAFE);

        CuratorFramework service = service(PASSWORD);
        NamespaceAcls acls = new NamespaceAcls("runnel", USER, PASSWORD);
        NamespaceAclRepair.Result repaired = NamespaceAclRepair.run(service, acls);

        assertThat(repaired.complete()).isTrue();
        assertThat(repaired.changed()).isEqualTo(repaired.visited()).isEqualTo(8);
        CuratorFramework anyone = anonymous();
        assertThatThrownBy(() -> anyone.setData().forPath("/runnel/topics/orders", bytes("{}")))
                .isInstanceOf(KeeperException.NoAuthException.class);
        assertThatThrownBy(() -> anyone.create().forPath("/runnel/controller", bytes("{}")))
                .isInstanceOf(KeeperException.NoAuthException.class);
        assertThatThrownBy(() -> anyone.getData().forPath("/runnel/users/alice"))
                .isInstanceOf(KeeperException.NoAuthException.class);
        assertThat(service.getACL().forPath("/runnel/users/alice")).isEqualTo(acls.getAclForPath("/runnel/users/alice"));

        assertThat(NamespaceAclRepair.run(service, acls)).as("once the namespace node has its ACL, no walk")
                .isEqualTo(new NamespaceAclRepair.Result(1, 0, List.of()));
    }

    @Test
    void aRepairThatMayNotChangeANodeLeavesTheNamespaceNodeForTheNextRun() throws Exception {
        CuratorFramework before = anonymous().usingNamespace("runnel");
        before.create().creatingParentsIfNeeded().forPath("/topics/orders", bytes("{}"));
        CuratorFramework otherIdentity = service("an-older-password").usingNamespace("runnel");
        otherIdentity.create().forPath("/producer_ids", bytes("{}"));

        CuratorFramework service = service(PASSWORD);
        NamespaceAcls acls = new NamespaceAcls("runnel", USER, PASSWORD);
        NamespaceAclRepair.Result repaired = NamespaceAclRepair.run(service, acls);

        assertThat(repaired.complete()).isFalse();
        assertThat(repaired.refused()).containsExactly("/runnel/producer_ids");
        assertThat(service.getACL().forPath("/runnel/topics/orders")).isEqualTo(acls.getAclForPath("/runnel/topics"));
        assertThat(service.getACL().forPath("/runnel")).as("left open, so the next start walks again")
                .isEqualTo(ZooDefs.Ids.OPEN_ACL_UNSAFE);
    }

    @Test
    void privateSubtreesHaveNoWorldAccessAndTheRestIsWorldReadable() {
        NamespaceAcls acls = new NamespaceAcls("runnel", USER, PASSWORD);
        ACL services = new ACL(ZooDefs.Perms.ALL, new org.apache.zookeeper.data.Id("digest",
                NamespaceAcls.digest(USER, PASSWORD)));

        assertThat(acls.getAclForPath("/runnel/users")).containsExactly(services);
        assertThat(acls.getAclForPath("/runnel/acls/topic/orders")).containsExactly(services);
        assertThat(acls.getAclForPath("/runnel/usersx")).contains(new ACL(ZooDefs.Perms.READ, ZooDefs.Ids.ANYONE_ID_UNSAFE));
        assertThat(acls.getAclForPath("/runnel")).containsExactly(services,
                new ACL(ZooDefs.Perms.READ, ZooDefs.Ids.ANYONE_ID_UNSAFE));
        assertThat(acls.getDefaultAcl()).isEqualTo(acls.getAclForPath("/runnel/topics"));
    }
}
