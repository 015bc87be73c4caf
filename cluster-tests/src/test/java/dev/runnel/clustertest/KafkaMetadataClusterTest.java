package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.controller.election.ActiveController;

/**
 * A real kafka-clients Admin against the brokers' Kafka listeners: the cluster, its brokers and
 * topics (with ids, leaders, replicas and ISR) as the controller decided them.
 */
class KafkaMetadataClusterTest {

    private static final Duration DEADLINE = Duration.ofSeconds(20);

    private static InJvmCluster cluster;
    private static Admin admin;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = new InJvmCluster();
        cluster.startController(1);
        await().atMost(DEADLINE).until(() -> controller().role() == ActiveController.Role.ACTIVE);
        for (int id = 1; id <= 3; id++) {
            cluster.startBroker(id, "rack-" + id);
        }
        await().atMost(DEADLINE).until(() -> controller().view().brokers().size() == 3);
        assertThat(cluster.call("POST", InJvmCluster.url(cluster.controller(1)) + "/api/v1/topics",
                "{\"name\":\"orders\",\"partitions\":6,\"replicationFactor\":3}").status()).isEqualTo(201);
        await().atMost(DEADLINE).until(() -> cluster.brokers().values().stream()
                .allMatch(b -> b.getBean(MetadataCache.class).snapshot().topic("orders").isPresent()));
        admin = KafkaClients.admin(cluster.bootstrap(2));
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
        cluster.close();
    }

    @Test
    void adminDescribesTheClusterAndItsBrokers() throws Exception {
        DescribeClusterResult described = admin.describeCluster();

        assertThat(described.clusterId().get(20, TimeUnit.SECONDS))
                .isEqualTo(cluster.broker(1).getBean(MetadataCache.class).clusterId());
        assertThat(described.nodes().get(20, TimeUnit.SECONDS)).extracting(Node::id, Node::port, Node::rack)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple(1, InJvmCluster.kafkaPort(cluster.broker(1)), "rack-1"),
                        org.assertj.core.groups.Tuple.tuple(2, InJvmCluster.kafkaPort(cluster.broker(2)), "rack-2"),
                        org.assertj.core.groups.Tuple.tuple(3, InJvmCluster.kafkaPort(cluster.broker(3)), "rack-3"));
        assertThat(described.controller().get(20, TimeUnit.SECONDS).id()).isIn(1, 2, 3);
    }

    @Test
    void adminListsAndDescribesTopicsAsTheControllerDecidedThem() throws Exception {
        assertThat(admin.listTopics().names().get(20, TimeUnit.SECONDS)).contains("orders");

        TopicDescription orders = admin.describeTopics(List.of("orders")).allTopicNames().get(20, TimeUnit.SECONDS)
                .get("orders");
        TopicInfo decided = controller().view().topic("orders").orElseThrow();
        UUID id = decided.topicId();
        assertThat(orders.topicId().getMostSignificantBits()).isEqualTo(id.getMostSignificantBits());
        assertThat(orders.topicId().getLeastSignificantBits()).isEqualTo(id.getLeastSignificantBits());
        assertThat(orders.partitions()).hasSize(6);
        for (TopicPartitionInfo partition : orders.partitions()) {
            PartitionInfo expected = decided.partitions().get(partition.partition());
            assertThat(partition.leader().id()).isEqualTo(expected.state().leader());
            assertThat(partition.replicas()).extracting(Node::id).containsExactlyElementsOf(expected.replicas());
            assertThat(partition.isr()).extracting(Node::id).containsExactlyElementsOf(expected.state().isr());
        }
        assertThat(admin.describeTopics(List.of("absent")).topicNameValues().get("absent"))
                .failsWithin(Duration.ofSeconds(20))
                .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .withCauseInstanceOf(org.apache.kafka.common.errors.UnknownTopicOrPartitionException.class);
    }

    @Test
    void adminCreatesGrowsAndDeletesTopicsThroughTheController() throws Exception {
        CreateTopicsResult created = admin.createTopics(List.of(
                new NewTopic("payments", 3, (short) 2).configs(Map.of("retention.ms", "60000"))));
        created.all().get(20, TimeUnit.SECONDS);
        TopicInfo decided = controller().view().topic("payments").orElseThrow();
        assertThat(created.topicId("payments").get().getMostSignificantBits())
                .isEqualTo(decided.topicId().getMostSignificantBits());
        assertThat(created.numPartitions("payments").get()).isEqualTo(3);
        assertThat(created.replicationFactor("payments").get()).isEqualTo(2);
        assertThat(created.config("payments").get().get("retention.ms").value()).isEqualTo("60000");

        admin.createPartitions(Map.of("payments", NewPartitions.increaseTo(5))).all().get(20, TimeUnit.SECONDS);
        assertThat(controller().view().topic("payments").orElseThrow().partitions()).hasSize(5);
        assertThatFuture(admin.createPartitions(Map.of("payments", NewPartitions.increaseTo(2))).all(),
                InvalidPartitionsException.class);

        admin.deleteTopics(List.of("payments")).all().get(20, TimeUnit.SECONDS);
        assertThat(controller().view().topic("payments")).isEmpty();
        assertThatFuture(admin.deleteTopics(List.of("payments")).all(), UnknownTopicOrPartitionException.class);
    }

    @Test
    void adminCreateTopicsRefusalsAndValidateOnlyChangeNothing() throws Exception {
        admin.createTopics(List.of(new NewTopic("dry-run", 2, (short) 3)), new CreateTopicsOptions().validateOnly(true))
                .all().get(20, TimeUnit.SECONDS);
        assertThatFuture(admin.createTopics(List.of(new NewTopic("orders", 1, (short) 1))).all(),
                TopicExistsException.class);
        assertThatFuture(admin.createTopics(List.of(new NewTopic("bad/name", 1, (short) 1))).all(),
                InvalidTopicException.class);
        assertThatFuture(admin.createTopics(List.of(new NewTopic("too-wide", 1, (short) 4))).all(),
                InvalidReplicationFactorException.class);
        assertThatFuture(admin.createTopics(List.of(new NewTopic("bad-config", 1, (short) 1)
                .configs(Map.of("retention.mss", "1")))).all(), InvalidConfigurationException.class);
        assertThat(controller().view().topics()).doesNotContainKeys("dry-run", "bad/name", "too-wide", "bad-config");
    }

    @Test
    void adminDescribesTopicOverridesDefaultsAndTheBrokersOwnConfigs() throws Exception {
        admin.createTopics(List.of(new NewTopic("configured", 1, (short) 1).configs(Map.of("retention.ms", "60000"))))
                .all().get(20, TimeUnit.SECONDS);
        await().atMost(DEADLINE).until(() -> cluster.broker(2).getBean(MetadataCache.class).snapshot()
                .topic("configured").isPresent());
        ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, "configured");
        ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, "2");

        Map<ConfigResource, Config> described = admin.describeConfigs(List.of(topic, broker)).all()
                .get(20, TimeUnit.SECONDS);

        ConfigEntry retention = described.get(topic).get("retention.ms");
        assertThat(retention.value()).isEqualTo("60000");
        assertThat(retention.source()).isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);
        ConfigEntry segment = described.get(topic).get("segment.bytes");
        assertThat(segment.value()).isEqualTo("1073741824");
        assertThat(segment.source()).isEqualTo(ConfigEntry.ConfigSource.DEFAULT_CONFIG);
        assertThat(described.get(broker).get("broker.id").value()).isEqualTo("2");
        assertThat(described.get(broker).get("broker.rack").value()).isEqualTo("rack-2");
        // Kafka's defaults for the threads: 8 request handlers, network threads one per core (at least 2).
        assertThat(described.get(broker).get("num.io.threads").value()).isEqualTo("8");
        assertThat(Integer.parseInt(described.get(broker).get("num.network.threads").value())).isGreaterThanOrEqualTo(2);
        assertThatFuture(admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, "absent"))).all(),
                UnknownTopicOrPartitionException.class);
    }

    @Test
    void adminPlacesReplicasByHandForNewTopicsAndNewPartitions() throws Exception {
        admin.createTopics(List.of(new NewTopic("by-hand", Map.of(0, List.of(3, 1), 1, List.of(2, 3)))))
                .all().get(20, TimeUnit.SECONDS);
        admin.createPartitions(Map.of("by-hand", NewPartitions.increaseTo(3, List.of(List.of(1, 2)))))
                .all().get(20, TimeUnit.SECONDS);

        await().atMost(DEADLINE).untilAsserted(() -> {
            TopicDescription placed = admin.describeTopics(List.of("by-hand")).allTopicNames().get(20, TimeUnit.SECONDS)
                    .get("by-hand");
            assertThat(placed.partitions()).extracting(p -> p.replicas().stream().map(Node::id).toList())
                    .containsExactly(List.of(3, 1), List.of(2, 3), List.of(1, 2));
            assertThat(placed.partitions()).extracting(p -> p.leader().id()).containsExactly(3, 2, 1);
        });
        assertThatFuture(admin.createTopics(List.of(new NewTopic("misplaced", Map.of(0, List.of(1, 7))))).all(),
                org.apache.kafka.common.errors.InvalidReplicaAssignmentException.class);
    }

    private static void assertThatFuture(KafkaFuture<?> future, Class<? extends Throwable> cause) {
        assertThat(future.toCompletionStage().toCompletableFuture()).failsWithin(Duration.ofSeconds(20))
                .withThrowableOfType(java.util.concurrent.ExecutionException.class).withCauseInstanceOf(cause);
    }

    private static ActiveController controller() {
        return cluster.controller(1).getBean(ActiveController.class);
    }

}
