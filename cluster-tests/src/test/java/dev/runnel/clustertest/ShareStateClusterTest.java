package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FindCoordinatorResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.runnel.broker.sharestate.ShareStatePersister;
import dev.runnel.broker.sharestate.ShareStatePersister.Key;
import dev.runnel.broker.sharestate.ShareStatePersister.ShareState;
import dev.runnel.broker.sharestate.ShareStatePersister.ShareStateException;
import dev.runnel.broker.sharestate.ShareStatePersister.StateBatch;
import dev.runnel.broker.sharestate.ShareCoordinator;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.controller.election.ActiveController;

/**
 * Share partition state across brokers (KIP-932): the persister on broker 1 creates
 * {@code __share_group_state} on first need, then initializes, takes over, and writes the state of
 * a share partition coordinated on another broker, B, over the inter-broker APIs (FindCoordinator's
 * share key names B too). B is stopped; the new coordinator, loaded by replaying the partition,
 * reads back exactly the last written state, and the fence of the leader epoch read at survives
 * the move.
 */
class ShareStateClusterTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);

    private InJvmCluster cluster;
    private Admin admin;

    @AfterEach
    void stop() throws Exception {
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void theStateWrittenThroughACoordinatorOnAnotherBrokerIsReadBackExactlyAfterThatBrokerStops() throws Exception {
        cluster = new InJvmCluster();
        cluster.startControllerAndBrokers(3, "--runnel.broker.share-coordinator.state-topic.partitions=6");
        admin = KafkaClients.admin(cluster.bootstrap(1, 2, 3));
        admin.createTopics(List.of(new NewTopic("orders", 2, (short) 3))).all().get(30, TimeUnit.SECONDS);
        Uuid topicId = admin.describeTopics(List.of("orders")).allTopicNames().get(30, TimeUnit.SECONDS)
                .get("orders").topicId();
        ShareStatePersister persister = cluster.broker(1).getBean(ShareStatePersister.class);
        ShareCoordinator coordinator = cluster.broker(1).getBean(ShareCoordinator.class);

        // The first call waits while the persister has the topic created and its partitions loaded.
        persister.initialize(new Key("warm-up", topicId, 0), 1, 0).get(60, TimeUnit.SECONDS);
        Key key = keyCoordinatedElsewhere(coordinator, topicId);
        int b = leaderOf(coordinator.partitionFor(key));
        assertThat(findShareCoordinator(1, key)).as("FindCoordinator's share key names the same broker")
                .isEqualTo(b);

        persister.initialize(key, 1, 0).get(30, TimeUnit.SECONDS);
        assertThat(persister.read(key, 3).get(30, TimeUnit.SECONDS)).contains(new ShareState(1, 3, 0, 0, List.of()));
        persister.write(key, new ShareState(1, 3, 0, 2, List.of(new StateBatch(0, 1, (byte) 2, (short) 1))))
                .get(30, TimeUnit.SECONDS);
        ShareState last = new ShareState(1, 3, 2, 6, List.of(new StateBatch(2, 4, (byte) 4, (short) 5),
                new StateBatch(5, 6, (byte) 0, (short) 2), new StateBatch(7, 9, (byte) 2, (short) 1)));
        persister.write(key, last).get(30, TimeUnit.SECONDS);

        cluster.stopBroker(b);
        await().atMost(DEADLINE).until(() -> {
            int leader = leaderOf(coordinator.partitionFor(key));
            return leader >= 0 && leader != b;
        });

        assertThat(persister.read(key, 3).get(60, TimeUnit.SECONDS)).as("read from the new coordinator")
                .contains(last);
        assertThat(persister.readSummary(key).get(30, TimeUnit.SECONDS).orElseThrow().startOffset()).isEqualTo(2);
        ExecutionException stale = catchThrowableOfType(ExecutionException.class,
                () -> persister.write(key, new ShareState(1, 2, 9, 0, List.of())).get(30, TimeUnit.SECONDS));
        assertThat(stale).as("the older leader is still fenced").isNotNull();
        assertThat(((ShareStateException) stale.getCause()).error()).isEqualTo(Errors.FENCED_LEADER_EPOCH);
        assertThat(persister.read(key, 3).get(30, TimeUnit.SECONDS)).as("the fenced write changed nothing")
                .contains(last);
    }

    /** A share partition whose coordinator is not broker 1, so broker 1's persister calls it over the wire. */
    private Key keyCoordinatedElsewhere(ShareCoordinator coordinator, Uuid topicId) {
        for (int i = 0; i < 100; i++) {
            Key key = new Key("queue-" + i, topicId, 1);
            int leader = leaderOf(coordinator.partitionFor(key));
            if (leader > 0 && leader != 1) {
                return key;
            }
        }
        throw new AssertionError("every key is coordinated on broker 1");
    }

    private int leaderOf(int partition) {
        TopicInfo topic = cluster.controller(1).getBean(ActiveController.class).view().topic("__share_group_state")
                .orElseThrow();
        return topic.partitions().stream().filter(p -> p.partition() == partition).findFirst()
                .map(PartitionInfo::state).map(s -> s.leader()).orElse(-1);
    }

    private int findShareCoordinator(int broker, Key key) throws Exception {
        FindCoordinatorResponseData data = ((FindCoordinatorResponse) KafkaWireClient.send(
                InJvmCluster.kafkaPort(cluster.broker(broker)), ApiKeys.FIND_COORDINATOR, (short) 6,
                new FindCoordinatorRequestData().setKeyType((byte) 2)
                        .setCoordinatorKeys(List.of(ShareCoordinator.coordinatorKey(key))))).data();
        FindCoordinatorResponseData.Coordinator c = data.coordinators().get(0);
        assertThat(Errors.forCode(c.errorCode())).as(c.errorMessage()).isEqualTo(Errors.NONE);
        return c.nodeId();
    }
}
