package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.utils.ZKPaths;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A cluster whose services authenticate to ZooKeeper ({@code runnel.zookeeper.auth.*}): it works
 * end to end with kafka-clients, and an anonymous ZooKeeper client can change none of its nodes,
 * nor read the private subtrees ({@code /users}, {@code /acls}). A node that was there before the
 * services authenticated gets the ACLs when the controller starts.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecuredZooKeeperClusterTest {

    private InJvmCluster cluster;
    private CuratorFramework anonymous;

    @BeforeAll
    void start() throws Exception {
        cluster = new InJvmCluster().withZooKeeperAuth("in-jvm-zookeeper-password");
        anonymous = CuratorFrameworkFactory.builder().connectString(cluster.connectString())
                .retryPolicy(new RetryOneTime(100)).sessionTimeoutMs(30_000).connectionTimeoutMs(10_000).build();
        anonymous.start();
        assertThat(anonymous.blockUntilConnected(20, TimeUnit.SECONDS)).isTrue();
        // As a service without credentials would have made it, before authentication was switched on.
        anonymous.create().creatingParentsIfNeeded().forPath("/runnel/topics");
        assertThat(anonymous.getACL().forPath("/runnel/topics")).isEqualTo(ZooDefs.Ids.OPEN_ACL_UNSAFE);
        cluster.startControllerAndBrokers(3);
    }

    @AfterAll
    void stop() throws Exception {
        if (anonymous != null) {
            anonymous.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void producesAndConsumesEndToEnd() throws Exception {
        String bootstrap = cluster.bootstrap(1, 2, 3);
        try (Admin admin = KafkaClients.admin(bootstrap)) {
            admin.createTopics(List.of(new NewTopic("secured", 3, (short) 3))).all().get(30, TimeUnit.SECONDS);
        }
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap, Map.of(ProducerConfig.ACKS_CONFIG, "all"))) {
            for (int i = 0; i < 300; i++) {
                producer.send(new ProducerRecord<>("secured", i % 3, null, KafkaClients.bytes("v" + i))).get(30, TimeUnit.SECONDS);
            }
        }
        List<String> read = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(bootstrap)) {
            consumer.assign(List.of(new TopicPartition("secured", 0), new TopicPartition("secured", 1),
                    new TopicPartition("secured", 2)));
            consumer.seekToBeginning(consumer.assignment());
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (read.size() < 300 && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    read.add(KafkaClients.text(record.value()));
                }
            }
        }
        assertThat(read).hasSize(300).doesNotHaveDuplicates();
    }

    @Test
    void anAnonymousZooKeeperClientCannotChangeAnyNodeOfTheCluster() throws Exception {
        List<String> nodes = nodesUnder("/runnel");
        assertThat(nodes).as("the layout, with registrations, the election and discovery")
                .contains("/runnel", "/runnel/topics", "/runnel/cluster/id", "/runnel/controller", "/runnel/controller_epoch",
                        "/runnel/brokers/ids/1", "/runnel/brokers/ids/3")
                .anyMatch(n -> n.startsWith("/runnel/services/"));
        for (String node : nodes) {
            assertThatThrownBy(() -> anonymous.create().forPath(node + "/planted")).as("create under " + node)
                    .isInstanceOf(KeeperException.NoAuthException.class);
            assertThatThrownBy(() -> anonymous.setData().forPath(node, "{}".getBytes(StandardCharsets.UTF_8)))
                    .as("set " + node).isInstanceOf(KeeperException.NoAuthException.class);
            assertThatThrownBy(() -> anonymous.setACL().withACL(ZooDefs.Ids.OPEN_ACL_UNSAFE).forPath(node))
                    .as("setAcl " + node).isInstanceOf(KeeperException.NoAuthException.class);
            if (!node.equals("/runnel")) {
                assertThatThrownBy(() -> anonymous.delete().deletingChildrenIfNeeded().forPath(node)).as("delete " + node)
                        .isInstanceOf(KeeperException.NoAuthException.class);
            }
        }
    }

    @Test
    void theSubtreesForCredentialsAndAclsAreNotReadableAnonymously() throws Exception {
        CuratorFramework controllerZk = cluster.controller(1).getBean(CuratorFramework.class);
        controllerZk.create().creatingParentsIfNeeded().forPath("/runnel/users/alice", "salted keys".getBytes(StandardCharsets.UTF_8));
        controllerZk.create().creatingParentsIfNeeded().forPath("/runnel/acls/topic/secured", "alice: read".getBytes(StandardCharsets.UTF_8));

        for (String node : List.of("/runnel/users", "/runnel/users/alice", "/runnel/acls", "/runnel/acls/topic/secured")) {
            assertThatThrownBy(() -> anonymous.getData().forPath(node)).as("read " + node)
                    .isInstanceOf(KeeperException.NoAuthException.class);
            assertThatThrownBy(() -> anonymous.getChildren().forPath(node)).as("list " + node)
                    .isInstanceOf(KeeperException.NoAuthException.class);
        }
        assertThat(new String(controllerZk.getData().forPath("/runnel/users/alice"), StandardCharsets.UTF_8))
                .isEqualTo("salted keys");
    }

    /** Every node under {@code root} that an anonymous client can list, {@code root} first. */
    private List<String> nodesUnder(String root) throws Exception {
        List<String> found = new ArrayList<>(List.of(root));
        for (int i = 0; i < found.size(); i++) {
            String node = found.get(i);
            Optional<List<String>> children;
            try {
                children = Optional.of(anonymous.getChildren().forPath(node));
            } catch (KeeperException.NoAuthException | KeeperException.NoNodeException e) {
                children = Optional.empty();
            }
            children.ifPresent(names -> names.forEach(name -> found.add(ZKPaths.makePath(node, name))));
        }
        return found;
    }
}
