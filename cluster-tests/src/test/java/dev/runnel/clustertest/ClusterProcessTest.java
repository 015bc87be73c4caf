package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.replication.HostedPartition;
import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.ClusterError;
import dev.runnel.cluster.CommandResponse;
import dev.runnel.cluster.ControllerInfo;
import dev.runnel.cluster.InternalApi;
import dev.runnel.cluster.InternalHttpClient;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.cluster.UpdateMetadataRequest;

/**
 * Real processes from the built jars: two controllers and three brokers on a ZooKeeper in this JVM.
 * {@code kill -9} of a broker moves its leaderships once its ZooKeeper session expires, the killed
 * broker rejoins with its data, and {@code kill -9} of the active controller hands the cluster to
 * the standby with a higher epoch, which keeps serving the admin API while brokers refuse the old
 * epoch.
 */
class ClusterProcessTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);

    private ProcessCluster cluster;

    /** What GET /api/v1/controller answers. */
    record ControllerStatus(int controllerId, String role, Integer epoch, ControllerInfo activeController) {
    }

    /** What GET /api/v1/broker answers. */
    record BrokerStatus(BrokerInfo registration, int highestControllerEpoch, MetadataCache.Snapshot metadata,
            Map<String, HostedPartition> hostedPartitions) {
    }

    @AfterEach
    void stopEverything() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void killingABrokerAndTheActiveControllerWithSigkillKeepsTheClusterServing() throws Exception {
        cluster = new ProcessCluster("processes");
        cluster.startController(1);
        awaitController(1, "ACTIVE");
        cluster.startController(2);
        for (int id = 1; id <= 3; id++) {
            cluster.startBroker(id);
        }
        await("three brokers registered").atMost(DEADLINE).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .until(() -> List.of(cluster.get(cluster.controllerUrl(1) + "/api/v1/brokers", BrokerInfo[].class)).size() == 3);

        assertThat(cluster.post(cluster.controllerUrl(1) + "/api/v1/topics",
                "{\"name\":\"orders\",\"partitions\":6,\"replicationFactor\":3}")).isEqualTo(201);
        TopicInfo orders = cluster.get(cluster.controllerUrl(1) + "/api/v1/topics/orders", TopicInfo.class);
        awaitBrokersAgree(List.of(1, 2, 3), orders);

        // kill -9 a broker: its registration lasts until its ZooKeeper session expires.
        cluster.node("broker-2").kill();
        await("leaderships off the killed broker").atMost(DEADLINE).pollInterval(Duration.ofMillis(250))
                .ignoreExceptions().untilAsserted(() -> {
                    TopicInfo now = cluster.get(cluster.controllerUrl(1) + "/api/v1/topics/orders", TopicInfo.class);
                    for (PartitionInfo p : now.partitions()) {
                        assertThat(p.state().leader()).isIn(1, 3);
                        assertThat(p.state().isr()).doesNotContain(2);
                    }
                });
        TopicInfo afterBrokerLoss = cluster.get(cluster.controllerUrl(1) + "/api/v1/topics/orders", TopicInfo.class);
        awaitBrokersAgree(List.of(1, 3), afterBrokerLoss);

        // The killed broker restarts on its data and gets its replicas back.
        cluster.startBroker(2);
        await("broker 2 back").atMost(DEADLINE).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .untilAsserted(() -> assertThat(brokerStatus(2).hostedPartitions()).hasSize(6));

        // kill -9 the active controller: the standby takes over when the old session expires.
        int oldEpoch = controllerStatus(1).epoch();
        cluster.node("controller-1").kill();
        ControllerStatus standby = await("the standby takes over").atMost(DEADLINE).pollInterval(Duration.ofMillis(250))
                .ignoreExceptions().until(() -> controllerStatus(2), s -> "ACTIVE".equals(s.role()));
        assertThat(standby.epoch()).isGreaterThan(oldEpoch);
        await("every broker follows the new epoch").atMost(DEADLINE).pollInterval(Duration.ofMillis(250))
                .ignoreExceptions().untilAsserted(() -> {
                    for (int id = 1; id <= 3; id++) {
                        assertThat(brokerStatus(id).highestControllerEpoch()).isEqualTo(standby.epoch());
                    }
                });
        assertThat(cluster.get(cluster.controllerUrl(2) + "/api/v1/topics/orders", TopicInfo.class).partitions()).hasSize(6);
        assertThat(cluster.post(cluster.controllerUrl(2) + "/api/v1/topics",
                "{\"name\":\"after-failover\",\"partitions\":3,\"replicationFactor\":3}")).isEqualTo(201);
        awaitBrokersAgree(List.of(1, 2, 3), cluster.get(cluster.controllerUrl(2) + "/api/v1/topics/after-failover", TopicInfo.class));

        // A command in the deposed controller's epoch changes nothing.
        InternalHttpClient deposed = new InternalHttpClient(ProcessCluster.SECRET, Duration.ofSeconds(10));
        CommandResponse refused = deposed.post(cluster.brokerUrl(1), InternalApi.UPDATE_METADATA,
                new UpdateMetadataRequest(1, oldEpoch, 0, Long.MAX_VALUE, true, List.of(), List.of(), List.of()), CommandResponse.class);
        assertThat(refused.error()).isEqualTo(ClusterError.STALE_CONTROLLER_EPOCH);
        assertThat(brokerStatus(1).metadata().topics()).containsKeys("orders", "after-failover");
    }

    private void awaitBrokersAgree(List<Integer> brokers, TopicInfo expected) {
        await("brokers " + brokers + " agree on " + expected.name()).atMost(DEADLINE).pollInterval(Duration.ofMillis(250))
                .ignoreExceptions().untilAsserted(() -> {
                    for (int id : brokers) {
                        assertThat(brokerStatus(id).metadata().topic(expected.name())).as("broker " + id).contains(expected);
                    }
                });
    }

    private void awaitController(int id, String role) {
        await("controller " + id + " " + role).atMost(DEADLINE).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .until(() -> role.equals(controllerStatus(id).role()));
    }

    private ControllerStatus controllerStatus(int id) throws IOException {
        return cluster.get(cluster.controllerUrl(id) + "/api/v1/controller", ControllerStatus.class);
    }

    private BrokerStatus brokerStatus(int id) throws IOException {
        return cluster.get(cluster.brokerUrl(id) + "/api/v1/broker", BrokerStatus.class);
    }
}
