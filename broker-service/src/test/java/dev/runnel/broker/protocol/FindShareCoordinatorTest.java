package dev.runnel.broker.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.RequestUtils;
import org.junit.jupiter.api.Test;

import dev.runnel.broker.group.GroupMetadataManager;
import dev.runnel.broker.kafka.KafkaWire;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.security.AclIndex;
import dev.runnel.broker.security.Authorizer;
import dev.runnel.broker.security.Principal;
import dev.runnel.broker.security.SecurityProtocol;
import dev.runnel.broker.security.Session;
import dev.runnel.broker.sharestate.ShareStatePersister.Key;
import dev.runnel.broker.sharestate.ShareCoordinator;
import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.InternalTopics;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.cluster.UpdateMetadataRequest;
import dev.runnel.testing.ManualClock;

/**
 * FindCoordinator's share partition keys (key type 2, v6): the coordinator of
 * {@code groupId:topicId:partition} is the leader of the {@code __share_group_state} partition the
 * key hashes to; only brokers may ask; a malformed key, or a broker not serving share groups, is
 * INVALID_REQUEST; while too few brokers are alive the topic is not created and the answer says why.
 */
class FindShareCoordinatorTest {

    static final Uuid TOPIC = Uuid.fromString("K7kMuMVhQ9K3L4nq1Hq3Ew");
    static final int PARTITIONS = 8;

    final ManualClock clock = new ManualClock(1_000_000);
    final MetadataCache metadata = new MetadataCache();
    final ShareCoordinator coordinator = new ShareCoordinator(new ShareStateProtocolTest.InMemoryStateLog(), clock,
            Runnable::run, Runnable::run, () -> PARTITIONS, (t, p) -> true);
    final GroupMetadataManager groups = new GroupMetadataManager(new TxnOffsetCommitHandlerTest.InMemoryLog(), clock,
            Runnable::run, Runnable::run, TxnOffsetCommitHandlerTest.SETTINGS, () -> 1);

    FindCoordinatorHandler handler(int replicationFactor) {
        KafkaApis.ShareStates shares = new KafkaApis.ShareStates(coordinator,
                KafkaApis.shareStateTopic(PARTITIONS, replicationFactor, 2, 1 << 20));
        return new FindCoordinatorHandler(metadata, groups, null, TxnOffsetCommitHandlerTest.SETTINGS, null, shares,
                clock);
    }

    void brokersAndTopic(boolean withTopic) {
        List<BrokerInfo> brokers = List.of(new BrokerInfo(1, "127.0.0.1", 9092, 8081, null, 11),
                new BrokerInfo(2, "127.0.0.1", 9093, 8082, null, 12));
        List<TopicInfo> topics = new ArrayList<>();
        if (withTopic) {
            List<PartitionInfo> partitions = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) {
                int leader = p % 2 + 1;
                partitions.add(new PartitionInfo(p, List.of(1, 2), new PartitionState(leader, 0, List.of(1, 2), 0)));
            }
            topics.add(new TopicInfo(InternalTopics.SHARE_GROUP_STATE, UUID.randomUUID(), Map.of(), partitions));
        }
        metadata.apply(new UpdateMetadataRequest(7, 1, 11, 1, true, brokers, topics, List.of()));
    }

    @Test
    void aSharePartitionsCoordinatorIsTheLeaderOfItsStatePartition() {
        brokersAndTopic(true);
        FindCoordinatorHandler handler = handler(2);
        List<String> keys = List.of("queue:" + TOPIC + ":0", "queue:" + TOPIC + ":1", "other:" + TOPIC + ":0",
                "a:b:" + TOPIC + ":7");

        FindCoordinatorResponseData answer = find(handler, Session.anonymous(), keys);

        assertThat(answer.coordinators()).hasSize(keys.size());
        for (FindCoordinatorResponseData.Coordinator c : answer.coordinators()) {
            Key key = ShareCoordinator.parseCoordinatorKey(c.key()).orElseThrow();
            int partition = coordinator.partitionFor(key);
            assertThat(Errors.forCode(c.errorCode())).isEqualTo(Errors.NONE);
            assertThat(c.nodeId()).as(c.key() + " in partition " + partition).isEqualTo(partition % 2 + 1);
            assertThat(c.port()).isEqualTo(partition % 2 == 0 ? 9092 : 9093);
        }
        assertThat(answer.coordinators().stream().map(FindCoordinatorResponseData.Coordinator::nodeId).distinct())
                .as("the keys spread over both leaders").hasSize(2);
    }

    @Test
    void aMalformedKeyIsInvalidRequest() {
        brokersAndTopic(true);

        FindCoordinatorResponseData answer = find(handler(2), Session.anonymous(),
                List.of("queue", "queue:" + TOPIC, "queue:nope:1", "queue:" + TOPIC + ":-1", ""));

        assertThat(answer.coordinators()).extracting(c -> Errors.forCode(c.errorCode()))
                .containsOnly(Errors.INVALID_REQUEST);
    }

    @Test
    void onlyABrokerMayAsk() {
        brokersAndTopic(true);
        Authorizer authorizer = new Authorizer(Set.of(Principal.user("broker")), false);
        authorizer.load(AclIndex.EMPTY);
        Session client = Session.on("PLAINTEXT", SecurityProtocol.PLAINTEXT, Principal.user("alice"), "127.0.0.1",
                authorizer);

        FindCoordinatorResponseData answer = find(handler(2), client, List.of("queue:" + TOPIC + ":0"));

        assertThat(Errors.forCode(answer.coordinators().get(0).errorCode()))
                .isEqualTo(Errors.CLUSTER_AUTHORIZATION_FAILED);
    }

    @Test
    void withTooFewBrokersTheTopicIsNotCreatedAndTheAnswerSaysWhy() {
        brokersAndTopic(false);

        FindCoordinatorResponseData answer = find(handler(3), Session.anonymous(), List.of("queue:" + TOPIC + ":0"));

        FindCoordinatorResponseData.Coordinator c = answer.coordinators().get(0);
        assertThat(Errors.forCode(c.errorCode())).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
        assertThat(c.errorMessage()).contains("__share_group_state needs 3 live brokers")
                .contains("share.coordinator.state.topic.replication.factor");
    }

    @Test
    void aBrokerNotServingShareGroupsAnswersInvalidRequest() {
        brokersAndTopic(true);
        FindCoordinatorHandler without = new FindCoordinatorHandler(metadata, groups, null,
                TxnOffsetCommitHandlerTest.SETTINGS, null, clock);

        FindCoordinatorResponseData answer = find(without, Session.anonymous(), List.of("queue:" + TOPIC + ":0"));

        assertThat(Errors.forCode(answer.coordinators().get(0).errorCode())).isEqualTo(Errors.INVALID_REQUEST);
    }

    static FindCoordinatorResponseData find(FindCoordinatorHandler handler, Session session, List<String> keys) {
        FindCoordinatorRequestData body = new FindCoordinatorRequestData().setKeyType((byte) 2)
                .setCoordinatorKeys(keys);
        RequestHeader header = new RequestHeader(ApiKeys.FIND_COORDINATOR, (short) 6, "test", 1);
        ByteBuffer frame = RequestUtils.serialize(header.data(), header.headerVersion(), body, (short) 6);
        return (FindCoordinatorResponseData) handler.handle(KafkaWire.decode(frame).withSession(session))
                .orTimeout(10, TimeUnit.SECONDS).join();
    }
}
