package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;

import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.InitProducerIdResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

import dev.runnel.controller.election.ActiveController;

/** Producer ids for idempotent producers: unique across brokers and across a controller failover. */
class ProducerIdClusterTest {

    private static final Duration DEADLINE = Duration.ofSeconds(20);

    private InJvmCluster cluster;

    @AfterEach
    void stopCluster() throws Exception {
        cluster.close();
    }

    @Test
    void brokersHandOutProducerIdsFromDisjointBlocksThatSurviveAControllerFailover() throws Exception {
        cluster = new InJvmCluster();
        cluster.startController(1);
        await().atMost(DEADLINE).until(() -> controller(1).role() == ActiveController.Role.ACTIVE);
        cluster.startController(2);
        cluster.startBroker(1, null);
        cluster.startBroker(2, null);
        await().atMost(DEADLINE).until(() -> controller(1).view().brokers().size() == 2
                && cluster.brokers().values().stream().allMatch(InJvmCluster::servesClients));

        InitProducerIdResponseData first = initProducerId(cluster.broker(1));
        InitProducerIdResponseData second = initProducerId(cluster.broker(1));
        InitProducerIdResponseData other = initProducerId(cluster.broker(2));
        assertThat(first.errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(first.producerEpoch()).isZero();
        assertThat(second.producerId()).isEqualTo(first.producerId() + 1);
        assertThat(Math.abs(other.producerId() - first.producerId())).as("blocks of 1000 never overlap")
                .isGreaterThanOrEqualTo(1000);

        cluster.stopController(1);
        await().atMost(DEADLINE).until(() -> controller(2).role() == ActiveController.Role.ACTIVE);
        cluster.startBroker(3, null);
        await().atMost(DEADLINE).until(() -> controller(2).view().brokers().containsKey(3)
                && InJvmCluster.servesClients(cluster.broker(3)));

        long third = initProducerId(cluster.broker(3)).producerId();
        // Both earlier blocks are in ZooKeeper: the new controller continues after them.
        assertThat(third).isGreaterThanOrEqualTo(Math.max(first.producerId(), other.producerId()) + 1000);

        // A transactional id goes to its coordinator: none leads its __transaction_state partition
        // before FindCoordinator created the topic, so this broker answers NOT_COORDINATOR.
        InitProducerIdResponseData transactional = ((InitProducerIdResponse) KafkaWireClient.send(InJvmCluster.kafkaPort(cluster.broker(1)),
                ApiKeys.INIT_PRODUCER_ID, (short) 4, new InitProducerIdRequestData().setTransactionalId("tx")
                        .setTransactionTimeoutMs(60_000).setProducerId(-1).setProducerEpoch((short) -1))).data();
        assertThat(transactional.errorCode()).isEqualTo(Errors.NOT_COORDINATOR.code());
        InitProducerIdResponseData empty = ((InitProducerIdResponse) KafkaWireClient.send(InJvmCluster.kafkaPort(cluster.broker(1)),
                ApiKeys.INIT_PRODUCER_ID, (short) 4, new InitProducerIdRequestData().setTransactionalId("")
                        .setTransactionTimeoutMs(60_000).setProducerId(-1).setProducerEpoch((short) -1))).data();
        assertThat(empty.errorCode()).as("an empty transactional id").isEqualTo(Errors.INVALID_REQUEST.code());
    }

    private static InitProducerIdResponseData initProducerId(ConfigurableApplicationContext broker) throws Exception {
        return ((InitProducerIdResponse) KafkaWireClient.send(InJvmCluster.kafkaPort(broker), ApiKeys.INIT_PRODUCER_ID, (short) 5,
                new InitProducerIdRequestData().setTransactionalId(null).setTransactionTimeoutMs(60_000)
                        .setProducerId(-1).setProducerEpoch((short) -1))).data();
    }

    private ActiveController controller(int id) {
        return cluster.controller(id).getBean(ActiveController.class);
    }
}
