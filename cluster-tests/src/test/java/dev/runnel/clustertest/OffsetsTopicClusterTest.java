package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;

import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FindCoordinatorResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.runnel.cluster.TopicInfo;
import dev.runnel.controller.election.ActiveController;

/**
 * {@code __consumer_offsets} is never created under-replicated: with fewer live brokers than
 * {@code offsets.topic.replication.factor} (3), FindCoordinator answers COORDINATOR_NOT_AVAILABLE
 * saying why, and the topic appears with all its replicas once the third broker is up (Kafka's
 * behaviour; a group's offsets on one replica would be lost with that broker).
 */
class OffsetsTopicClusterTest {

    private static final Duration DEADLINE = Duration.ofSeconds(30);

    private InJvmCluster cluster;

    @AfterEach
    void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void theOffsetsTopicWaitsForAsManyBrokersAsItsReplicationFactor() throws Exception {
        cluster = new InJvmCluster();
        cluster.startController(1);
        cluster.startBroker(1, null);
        cluster.startBroker(2, null);
        await().atMost(DEADLINE).until(() -> activeController().view().brokers().size() == 2
                && cluster.brokers().values().stream().allMatch(InJvmCluster::servesClients));

        FindCoordinatorResponseData.Coordinator refused = findCoordinator(1);
        assertThat(Errors.forCode(refused.errorCode())).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
        assertThat(refused.errorMessage()).contains("needs 3 live brokers").contains("2 are alive");
        assertThat(activeController().view().topic("__consumer_offsets")).as("never created under-replicated").isEmpty();

        cluster.startBroker(3, null);
        await().atMost(DEADLINE).until(() -> Errors.forCode(findCoordinator(2).errorCode()) == Errors.NONE);

        TopicInfo offsets = activeController().view().topic("__consumer_offsets").orElseThrow();
        assertThat(offsets.partitions()).allSatisfy(p -> assertThat(p.replicas()).hasSize(3));
    }

    private FindCoordinatorResponseData.Coordinator findCoordinator(int broker) throws Exception {
        FindCoordinatorResponseData data = ((FindCoordinatorResponse) KafkaWireClient.send(
                InJvmCluster.kafkaPort(cluster.broker(broker)), ApiKeys.FIND_COORDINATOR, (short) 4,
                new FindCoordinatorRequestData().setKeyType((byte) 0).setCoordinatorKeys(List.of("orders-app"))))
                .data();
        return data.coordinators().get(0);
    }

    private ActiveController activeController() {
        return cluster.controller(1).getBean(ActiveController.class);
    }
}
