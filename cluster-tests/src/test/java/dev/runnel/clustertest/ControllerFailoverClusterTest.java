package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.cluster.ClusterError;
import dev.runnel.cluster.CommandResponse;
import dev.runnel.cluster.ControlledShutdownRequest;
import dev.runnel.cluster.ControlledShutdownResponse;
import dev.runnel.cluster.InternalApi;
import dev.runnel.cluster.InternalHttpClient;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.cluster.UpdateMetadataRequest;
import dev.runnel.controller.election.ActiveController;
import dev.runnel.controller.metadata.ClusterView;

/**
 * Two controllers and three brokers in one JVM on a real ZooKeeper: topic creation reaches every
 * broker, a stopped broker's leaderships move, and a killed active controller is replaced by the
 * standby with a higher epoch while the deposed epoch is refused by the brokers.
 */
class ControllerFailoverClusterTest {

    private static final Duration DEADLINE = Duration.ofSeconds(20);

    private InJvmCluster cluster;

    @BeforeEach
    void startCluster() throws Exception {
        cluster = new InJvmCluster();
        cluster.startController(1);
        await().atMost(DEADLINE).until(() -> active(1).role() == ActiveController.Role.ACTIVE);
        cluster.startController(2);
        for (int id = 1; id <= 3; id++) {
            cluster.startBroker(id, null);
        }
        await().atMost(DEADLINE).until(() -> active(1).view().brokers().size() == 3);
    }

    @AfterEach
    void stopCluster() throws Exception {
        cluster.close();
    }

    @Test
    void everyBrokerAgreesOnANewTopicAndHostsItsReplicas() throws Exception {
        InJvmCluster.Response created = cluster.call("POST", InJvmCluster.url(cluster.controller(1)) + "/api/v1/topics",
                "{\"name\":\"orders\",\"partitions\":6,\"replicationFactor\":3}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);

        TopicInfo decided = active(1).view().topic("orders").orElseThrow();
        assertThat(decided.partitions()).hasSize(6);
        await().atMost(DEADLINE).untilAsserted(() -> {
            for (ConfigurableApplicationContext broker : cluster.brokers().values()) {
                assertThat(metadata(broker).topic("orders")).contains(decided);
                assertThat(broker.getBean(ReplicaManager.class).hostedPartitions()).hasSize(6);
            }
        });
        Map<Integer, Long> leadersPerBroker = decided.partitions().stream()
                .collect(Collectors.groupingBy(p -> p.state().leader(), Collectors.counting()));
        assertThat(leadersPerBroker).containsOnlyKeys(1, 2, 3).allSatisfy((broker, count) -> assertThat(count).isEqualTo(2));
    }

    @Test
    void aStoppedBrokersLeadershipsMoveToInSyncReplicas() throws Exception {
        createTopic("events", 6, 3);
        TopicInfo before = active(1).view().topic("events").orElseThrow();
        Set<Integer> ledByTwo = before.partitions().stream().filter(p -> p.state().leader() == 2)
                .map(PartitionInfo::partition).collect(Collectors.toSet());
        assertThat(ledByTwo).isNotEmpty();

        cluster.stopBroker(2);

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            TopicInfo after = active(1).view().topic("events").orElseThrow();
            for (PartitionInfo p : after.partitions()) {
                assertThat(p.state().leader()).isIn(1, 3);
                assertThat(p.state().isr()).doesNotContain(2);
            }
            for (int moved : ledByTwo) {
                assertThat(after.partitions().get(moved).state().leaderEpoch())
                        .isGreaterThan(before.partitions().get(moved).state().leaderEpoch());
            }
            assertThat(active(1).view().brokers()).containsOnlyKeys(1, 3);
            for (ConfigurableApplicationContext broker : cluster.brokers().values()) {
                assertThat(metadata(broker).topic("events")).contains(after);
                assertThat(metadata(broker).brokers()).containsOnlyKeys(1, 3);
            }
        });
    }

    @Test
    void theStandbyTakesOverWithAHigherEpochAndTheDeposedEpochIsRefused() throws Exception {
        createTopic("payments", 3, 3);
        int oldEpoch = active(1).view().controllerEpoch();

        cluster.stopController(1);

        await().atMost(DEADLINE).until(() -> active(2).role() == ActiveController.Role.ACTIVE);
        ClusterView view = active(2).view();
        assertThat(view.controllerEpoch()).isGreaterThan(oldEpoch);
        assertThat(view.topic("payments")).isPresent();
        await().atMost(DEADLINE).untilAsserted(() -> {
            for (ConfigurableApplicationContext broker : cluster.brokers().values()) {
                assertThat(broker.getBean(ReplicaManager.class).highestControllerEpoch()).isEqualTo(view.controllerEpoch());
            }
        });

        InJvmCluster.Response listed = cluster.call("GET", InJvmCluster.url(cluster.controller(2)) + "/api/v1/topics", null);
        assertThat(listed.status()).isEqualTo(200);
        assertThat(listed.body()).contains("\"payments\"");
        InJvmCluster.Response created = cluster.call("POST", InJvmCluster.url(cluster.controller(2)) + "/api/v1/topics",
                "{\"name\":\"after-failover\",\"partitions\":2,\"replicationFactor\":2}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);

        InternalHttpClient deposed = new InternalHttpClient(InJvmCluster.SECRET, Duration.ofSeconds(10));
        ConfigurableApplicationContext broker = cluster.broker(1);
        CommandResponse refused = deposed.post(InJvmCluster.url(broker), InternalApi.UPDATE_METADATA,
                new UpdateMetadataRequest(1, oldEpoch, 0, Long.MAX_VALUE, true, List.of(), List.of(), List.of()), CommandResponse.class);
        assertThat(refused.error()).isEqualTo(ClusterError.STALE_CONTROLLER_EPOCH);
        assertThat(metadata(broker).topic("payments")).isPresent();
        assertThat(metadata(broker).controllerEpoch()).isEqualTo(view.controllerEpoch());
    }

    @Test
    void controlledShutdownMovesLeadershipsAwayAndRefusesAStaleBrokerEpoch() throws Exception {
        createTopic("moving", 6, 2);
        InternalHttpClient http = new InternalHttpClient(InJvmCluster.SECRET, Duration.ofSeconds(10));
        long epoch = active(1).view().brokers().get(3).epoch();

        ControlledShutdownResponse stale = http.post(InJvmCluster.url(cluster.controller(2)), InternalApi.CONTROLLED_SHUTDOWN,
                new ControlledShutdownRequest(3, epoch - 1), ControlledShutdownResponse.class);
        assertThat(stale.error()).isEqualTo(ClusterError.STALE_BROKER_EPOCH);

        ControlledShutdownResponse moved = http.post(InJvmCluster.url(cluster.controller(2)), InternalApi.CONTROLLED_SHUTDOWN,
                new ControlledShutdownRequest(3, epoch), ControlledShutdownResponse.class);
        assertThat(moved.error()).isEqualTo(ClusterError.NONE);
        assertThat(moved.remainingLeaders()).isEmpty();
        TopicInfo after = active(1).view().topic("moving").orElseThrow();
        assertThat(after.partitions()).allSatisfy(p -> {
            assertThat(p.state().leader()).isNotEqualTo(3);
            assertThat(p.state().isr()).doesNotContain(3);
        });
        await().atMost(DEADLINE).untilAsserted(() -> assertThat(metadata(cluster.broker(1)).topic("moving")).contains(after));
    }

    @Test
    void leadershipReturnsToThePreferredReplicaOnceItIsBackInTheIsr() throws Exception {
        createTopic("preferred", 3, 3);
        TopicInfo before = active(1).view().topic("preferred").orElseThrow();
        PartitionInfo preferredByOne = before.partitions().stream().filter(p -> p.replicas().get(0) == 1).findFirst()
                .orElseThrow();
        cluster.stopBroker(1);
        await().atMost(DEADLINE).untilAsserted(() -> {
            PartitionInfo now = active(1).view().topic("preferred").orElseThrow().partitions()
                    .get(preferredByOne.partition());
            assertThat(now.state().leader()).isNotEqualTo(1);
            assertThat(now.state().isr()).doesNotContain(1);
        });
        int epochWhileAway = active(1).view().topic("preferred").orElseThrow().partitions()
                .get(preferredByOne.partition()).state().leaderEpoch();

        // Back on its data: it fetches from the leader, which proposes it for the ISR on catching up,
        // and the controller's rebalance then hands the partition back to its preferred replica.
        cluster.startBroker(1, null);
        await().atMost(DEADLINE).untilAsserted(() -> {
            PartitionInfo now = active(1).view().topic("preferred").orElseThrow().partitions()
                    .get(preferredByOne.partition());
            assertThat(now.state().isr()).contains(1);
            assertThat(now.state().leader()).isEqualTo(1);
            assertThat(now.state().leaderEpoch()).isGreaterThan(epochWhileAway);
            assertThat(cluster.broker(1).getBean(ReplicaManager.class).hostedPartitions()
                    .get(new dev.runnel.common.TopicPartition("preferred", now.partition())).leader()).isTrue();
        });
    }

    private void createTopic(String name, int partitions, int replicationFactor) throws Exception {
        InJvmCluster.Response created = cluster.call("POST", InJvmCluster.url(cluster.controller(1)) + "/api/v1/topics",
                "{\"name\":\"" + name + "\",\"partitions\":" + partitions + ",\"replicationFactor\":" + replicationFactor + "}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        await().atMost(DEADLINE).untilAsserted(() -> {
            for (ConfigurableApplicationContext broker : cluster.brokers().values()) {
                assertThat(metadata(broker).topic(name)).isPresent();
            }
        });
    }

    private ActiveController active(int controllerId) {
        return cluster.controller(controllerId).getBean(ActiveController.class);
    }

    private static MetadataCache.Snapshot metadata(ConfigurableApplicationContext broker) {
        return broker.getBean(MetadataCache.class).snapshot();
    }
}
