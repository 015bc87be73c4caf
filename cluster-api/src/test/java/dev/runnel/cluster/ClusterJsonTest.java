package dev.runnel.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import tools.jackson.core.JacksonException;

class ClusterJsonTest {

    private static final UUID ORDERS_ID = UUID.fromString("0b4e7d52-9c1a-4f7e-8a31-5d2c6e9f0a17");
    private static final BrokerInfo BROKER_1 = new BrokerInfo(1, "127.0.0.1", 9092, 8081, "rack-a", 4294967301L);
    private static final BrokerInfo BROKER_2 = new BrokerInfo(2, "127.0.0.1", 9093, 8082, null, 4294967302L);
    private static final PartitionState STATE = new PartitionState(1, 7, List.of(1, 2), 12);
    private static final TopicInfo ORDERS = new TopicInfo("orders", ORDERS_ID,
            Map.of("retention.ms", "3600000", "cleanup.policy", "compact,delete"),
            List.of(new PartitionInfo(0, List.of(1, 2), STATE),
                    new PartitionInfo(1, List.of(2, 1),
                            new PartitionState(PartitionState.NO_LEADER, 3, List.of(), 5))));

    private static byte[] utf8(String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(byte[] json) {
        return ClusterJson.read(json, Map.class, "a test value");
    }

    static Stream<Object> records() {
        return Stream.of(
                new TopicRecord(ORDERS_ID, List.of(List.of(1, 2, 3), List.of(2, 3, 1)), Map.of("segment.bytes",
                        "1048576")),
                new TopicRecord(UUID.randomUUID(), List.of(), Map.of()),
                STATE,
                new PartitionState(PartitionState.NO_LEADER, 0, List.of(), 0),
                BROKER_1,
                BROKER_2,
                new ControllerInfo(3000, "http://127.0.0.1:8090", 4),
                new LeaderAndIsrRequest(3000, 4, 4294967301L, List.of(ORDERS), List.of(BROKER_1, BROKER_2)),
                new UpdateMetadataRequest(3000, 4, 4294967301L, 17, true, List.of(BROKER_1, BROKER_2), List.of(ORDERS), List.of()),
                new UpdateMetadataRequest(3000, 4, 4294967301L, 18, false, List.of(BROKER_1), List.of(), List.of("payments")),
                new StopReplicaRequest(3000, 4, 4294967301L, true,
                        List.of(new PartitionRef("orders", 0), new PartitionRef("orders", 1))),
                CommandResponse.ok(List.of(new CommandResponse.PartitionError("orders", 0,
                        ClusterError.STALE_LEADER_EPOCH, "leader epoch 3 is older than the held 7"))),
                CommandResponse.refused(ClusterError.STALE_CONTROLLER_EPOCH, "controller epoch 3 is older than 4"),
                new AlterPartitionRequest(1, 4294967301L, List.of(new AlterPartitionRequest.Change("orders", 0, 7, 12,
                        List.of(1)))),
                new AlterPartitionResponse(ClusterError.NONE, List.of(
                        new AlterPartitionResponse.Result("orders", 0, ClusterError.NONE, STATE),
                        new AlterPartitionResponse.Result("orders", 1, ClusterError.FENCED_LEADER_EPOCH, null))),
                new ControlledShutdownRequest(1, 4294967301L),
                new ControlledShutdownResponse(ClusterError.NONE, List.of(new PartitionRef("orders", 1))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("records")
    void everyRecordReadsBackEqualToWhatWasWritten(Object record) {
        byte[] json = ClusterJson.write(record);

        Object read = ClusterJson.read(json, record.getClass(), "a " + record.getClass().getSimpleName());

        assertThat(read).isEqualTo(record);
    }

    @Test
    void aTopicRecordIsStoredWithItsIdAsAStringAndItsAssignmentAsNestedLists() {
        TopicRecord topic = new TopicRecord(ORDERS_ID, List.of(List.of(1, 2), List.of(2, 1)),
                Map.of("retention.ms", "3600000"));

        Map<String, Object> json = asMap(ClusterJson.write(topic));

        assertThat(json).containsOnlyKeys("topicId", "replicas", "configs");
        assertThat(json.get("topicId")).isEqualTo(ORDERS_ID.toString());
        assertThat(json.get("replicas")).isEqualTo(List.of(List.of(1, 2), List.of(2, 1)));
        assertThat(json.get("configs")).isEqualTo(Map.of("retention.ms", "3600000"));
    }

    @Test
    void aTopicRecordKeepsItsOngoingReassignmentsByPartitionAndReadsThemBack() {
        TopicRecord topic = new TopicRecord(ORDERS_ID, List.of(List.of(2, 3, 4, 1), List.of(2, 3, 4)), Map.of(),
                Map.of(0, new TopicRecord.Reassignment(List.of(4), List.of(1))));

        Map<String, Object> json = asMap(ClusterJson.write(topic));

        assertThat(json.get("reassignments")).isEqualTo(Map.of("0", Map.of("adding", List.of(4), "removing",
                List.of(1))));
        assertThat(ClusterJson.read(ClusterJson.write(topic), TopicRecord.class, "/topics/orders")).isEqualTo(topic);
    }

    @Test
    void aPartitionInfoNamesItsAddingAndRemovingReplicasOnlyWhileReassigned() {
        PartitionInfo moving = new PartitionInfo(0, List.of(2, 1), STATE, List.of(2), List.of(1));

        assertThat(asMap(ClusterJson.write(new PartitionInfo(0, List.of(1, 2), STATE))))
                .containsOnlyKeys("partition", "replicas", "state");
        assertThat(asMap(ClusterJson.write(moving))).containsEntry("addingReplicas", List.of(2))
                .containsEntry("removingReplicas", List.of(1));
        assertThat(ClusterJson.read(ClusterJson.write(moving), PartitionInfo.class, "a partition")).isEqualTo(moving);
    }

    @Test
    void aPartitionStateIsStoredWithExactlyItsFourFields() {
        Map<String, Object> json = asMap(ClusterJson.write(STATE));

        assertThat(json).containsExactlyInAnyOrderEntriesOf(
                Map.of("leader", 1, "leaderEpoch", 7, "isr", List.of(1, 2), "partitionEpoch", 12));
    }

    @Test
    void aBrokerInfoWithoutARackIsStoredWithANullRack() {
        Map<String, Object> json = asMap(ClusterJson.write(BROKER_2.withEpoch(0)));

        assertThat(json).containsEntry("rack", null).containsEntry("epoch", 0).containsEntry("host", "127.0.0.1");
    }

    @Test
    void aRegistrationWrittenBeforeListenersWereNamedHasOnePlaintextEndpoint() {
        byte[] old = """
                {"id":3,"host":"10.0.0.3","kafkaPort":9094,"httpPort":8093,"rack":null,"epoch":0}
                """.getBytes(StandardCharsets.UTF_8);

        BrokerInfo read = ClusterJson.read(old, BrokerInfo.class, "/brokers/ids/3");

        assertThat(read.endpoints()).containsExactly(new BrokerInfo.Endpoint("PLAINTEXT", "10.0.0.3", 9094, "PLAINTEXT"));
        assertThat(read.interBroker().port()).isEqualTo(9094);
    }

    @Test
    void aBrokerWithSeveralListenersKeepsEveryEndpointInOrder() {
        BrokerInfo broker = new BrokerInfo(1, "broker-1", 9092, 8081, null, 0, List.of(
                new BrokerInfo.Endpoint("INTERNAL", "broker-1", 9092, "SASL_PLAINTEXT"),
                new BrokerInfo.Endpoint("EXTERNAL", "localhost", 19092, "SASL_SSL")));

        BrokerInfo read = ClusterJson.read(ClusterJson.write(broker), BrokerInfo.class, "/brokers/ids/1");

        assertThat(read).isEqualTo(broker);
        assertThat(read.endpoint("EXTERNAL")).contains(new BrokerInfo.Endpoint("EXTERNAL", "localhost", 19092, "SASL_SSL"));
        assertThat(read.endpoint("CLIENT")).isEmpty();
    }

    @Test
    void aTopicRecordWrittenByHandIsRead() {
        String json = """
                {"topicId":"0b4e7d52-9c1a-4f7e-8a31-5d2c6e9f0a17","replicas":[[1,2],[2,1]],
                 "configs":{"retention.ms":"60000"}}
                """;

        TopicRecord topic = ClusterJson.read(utf8(json), TopicRecord.class, "/topics/orders");

        assertThat(topic.topicId()).isEqualTo(ORDERS_ID);
        assertThat(topic.partitionCount()).isEqualTo(2);
        assertThat(topic.replicas().get(1)).containsExactly(2, 1);
        assertThat(topic.configs()).containsExactly(Map.entry("retention.ms", "60000"));
    }

    @Test
    void unknownFieldsFromANewerVersionAreIgnored() {
        String json = """
                {"leader":2,"leaderEpoch":9,"isr":[2,3],"partitionEpoch":14,
                 "elr":[1],"recovery":{"state":"RECOVERED","since":1700000000000},"directoryIds":["a","b"]}
                """;

        PartitionState state = ClusterJson.read(utf8(json), PartitionState.class, "/topics/orders/partitions/0/state");

        assertThat(state).isEqualTo(new PartitionState(2, 9, List.of(2, 3), 14));
    }

    @Test
    void unknownFieldsInNestedRecordsAreIgnored() {
        String json = """
                {"controllerId":3000,"controllerEpoch":4,"brokerEpoch":77,"priority":"high",
                 "topics":[{"name":"orders","topicId":"0b4e7d52-9c1a-4f7e-8a31-5d2c6e9f0a17","configs":{},
                            "partitions":[{"partition":0,"replicas":[1],"addingReplicas":[],
                                           "state":{"leader":1,"leaderEpoch":0,"isr":[1],"partitionEpoch":0,"x":1}}]}],
                 "liveLeaders":[{"id":1,"host":"127.0.0.1","kafkaPort":9092,"httpPort":8081,"rack":null,"epoch":77,
                                 "listeners":{"SSL":9093}}]}
                """;

        LeaderAndIsrRequest request = ClusterJson.read(utf8(json), LeaderAndIsrRequest.class, "a LeaderAndIsr");

        assertThat(request).isEqualTo(new LeaderAndIsrRequest(3000, 4, 77,
                List.of(new TopicInfo("orders", ORDERS_ID, Map.of(), List.of(new PartitionInfo(0, List.of(1),
                        new PartitionState(1, 0, List.of(1), 0))))),
                List.of(new BrokerInfo(1, "127.0.0.1", 9092, 8081, null, 77))));
    }

    @ParameterizedTest
    @ValueSource(strings = {"not json", "{\"leader\":", "[1,2,3]", "\"a string\"", "{\"leader\":\"one\"}",
            "{\"leader\":1,\"leaderEpoch\":0,\"isr\":\"1,2\",\"partitionEpoch\":0}"})
    void aGarbagePayloadIsAnIllegalStateNamingWhatWasRead(String payload) {
        assertThatThrownBy(() -> ClusterJson.read(utf8(payload), PartitionState.class,
                "/topics/orders/partitions/0/state"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("Cannot read /topics/orders/partitions/0/state as PartitionState: ")
                .hasCauseInstanceOf(JacksonException.class);
    }

    @Test
    void anEmptyPayloadIsAnIllegalStateNamingWhatWasRead() {
        assertThatThrownBy(() -> ClusterJson.read(new byte[0], BrokerInfo.class, "/brokers/ids/1"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("Cannot read /brokers/ids/1 as BrokerInfo: ");
    }

    @Test
    void aRecordMissingARequiredListIsAnIllegalStateNamingWhatWasRead() {
        String json = "{\"leader\":1,\"leaderEpoch\":0,\"partitionEpoch\":0}";

        assertThatThrownBy(() -> ClusterJson.read(utf8(json), PartitionState.class,
                "/topics/orders/partitions/0/state"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("Cannot read /topics/orders/partitions/0/state as PartitionState: ");
    }
}
