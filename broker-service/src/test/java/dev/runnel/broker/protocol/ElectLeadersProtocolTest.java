package dev.runnel.broker.protocol;

import static dev.runnel.broker.protocol.SecuredBroker.allow;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.apache.kafka.common.message.ElectLeadersRequestData;
import org.apache.kafka.common.message.ElectLeadersResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.runnel.broker.cluster.ControllerAdminClient;
import dev.runnel.broker.cluster.ControllerClient;
import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.cluster.ClusterJson;
import dev.runnel.cluster.ControllerInfo;
import dev.runnel.cluster.InternalHttpClient;
import dev.runnel.cluster.LeaderElections;
import dev.runnel.cluster.ZkPaths;
import dev.runnel.cluster.web.Problems;

/**
 * ElectLeaders at every served version through a broker's real handlers, with the active
 * controller an HTTP server on a loopback port that records what it is asked and answers as told:
 * bad input (an unknown election type, an unknown topic, a negative partition) and a refused
 * principal are answered by the broker and never reach the controller.
 */
class ElectLeadersProtocolTest {

    /** The bodies of the controller's election calls. */
    private static final List<LeaderElections.Request> calls = new CopyOnWriteArrayList<>();
    /** How the controller answers: 200 with per-partition results, or a problem of this type. */
    private static volatile String problem;
    private static TestingServer zookeeper;
    private static CuratorFramework zk;
    private static HttpServer controllerServer;
    private static ControllerAdminClient controller;

    @TempDir
    Path root;

    private SecuredBroker broker;

    @BeforeAll
    static void startController() throws Exception {
        controllerServer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        controllerServer.createContext("/api/v1/elections", ElectLeadersProtocolTest::answer);
        controllerServer.start();
        zookeeper = new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, -1, -1,
                Map.of("clientPortAddress", "127.0.0.1"), "127.0.0.1"), true);
        zk = CuratorFrameworkFactory.builder().connectString(zookeeper.getConnectString())
                .namespace(ZkPaths.DEFAULT_NAMESPACE).retryPolicy(new RetryOneTime(100)).build();
        zk.start();
        assertThat(zk.blockUntilConnected(20, TimeUnit.SECONDS)).isTrue();
        zk.create().creatingParentsIfNeeded().forPath(ZkPaths.CONTROLLER, ClusterJson.write(new ControllerInfo(1,
                "http://127.0.0.1:" + controllerServer.getAddress().getPort(), 1)));
        controller = new ControllerAdminClient(new ControllerClient(zk,
                new InternalHttpClient("secret", Duration.ofSeconds(10))));
    }

    @AfterAll
    static void stopController() throws IOException {
        controllerServer.stop(0);
        zk.close();
        zookeeper.close();
    }

    /**
     * Elects every partition named, except that orders-1 needs no election; asked for every
     * partition, answers orders-0 elected and payments-0 without its preferred leader.
     */
    private static void answer(HttpExchange exchange) throws IOException {
        LeaderElections.Request request = ClusterJson.read(exchange.getRequestBody().readAllBytes(),
                LeaderElections.Request.class, "an election");
        calls.add(request);
        byte[] body;
        int status = 200;
        if (problem != null) {
            status = problem.equals("outcome-unknown") ? 504 : 503;
            body = ("{\"type\":\"" + Problems.TYPE_BASE + problem + "\",\"detail\":\"told to refuse\"}")
                    .getBytes(StandardCharsets.UTF_8);
        } else {
            List<LeaderElections.Result> results = new ArrayList<>();
            if (request.partitions() == null) {
                results.add(new LeaderElections.Result("orders", 0, LeaderElections.Outcome.NONE, 1, null));
                results.add(new LeaderElections.Result("payments", 0,
                        LeaderElections.Outcome.PREFERRED_LEADER_NOT_AVAILABLE, 1, "not in the ISR"));
            } else {
                for (LeaderElections.Partition p : request.partitions()) {
                    boolean notNeeded = p.topic().equals("orders") && p.partition() == 1;
                    results.add(new LeaderElections.Result(p.topic(), p.partition(), notNeeded
                            ? LeaderElections.Outcome.ELECTION_NOT_NEEDED : LeaderElections.Outcome.NONE, 1,
                            notNeeded ? "already" : null));
                }
            }
            body = ClusterJson.write(results);
        }
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @BeforeEach
    void start() throws Exception {
        calls.clear();
        problem = null;
        broker = new SecuredBroker(root, controller, false);
        broker.acls(allow("bob", AclOperation.ALTER, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME),
                allow("alice", AclOperation.ALTER, ResourceType.TOPIC, "orders"));
    }

    @AfterEach
    void stop() throws Exception {
        broker.close();
    }

    private static ElectLeadersRequestData request(byte type, Object... topicAndPartitions) {
        ElectLeadersRequestData data = new ElectLeadersRequestData().setElectionType(type).setTimeoutMs(5_000);
        ElectLeadersRequestData.TopicPartitionsCollection topics = new ElectLeadersRequestData.TopicPartitionsCollection();
        for (int i = 0; i < topicAndPartitions.length; i += 2) {
            @SuppressWarnings("unchecked")
            List<Integer> partitions = (List<Integer>) topicAndPartitions[i + 1];
            topics.add(new ElectLeadersRequestData.TopicPartitions().setTopic((String) topicAndPartitions[i])
                    .setPartitions(partitions));
        }
        return data.setTopicPartitions(topics);
    }

    /** "topic-partition:ERROR" for each partition of the answer, in its order. */
    private static List<String> outcomes(ElectLeadersResponseData response) {
        List<String> all = new ArrayList<>();
        response.replicaElectionResults().forEach(t -> t.partitionResult().forEach(p -> all.add(t.topic() + "-"
                + p.partitionId() + ":" + Errors.forCode(p.errorCode()))));
        return all;
    }

    private ElectLeadersResponseData send(String user, short version, ElectLeadersRequestData data) {
        return (ElectLeadersResponseData) broker.connect(user).send(ApiKeys.ELECT_LEADERS, version, data);
    }

    @Test
    void everyServedVersionForwardsThePartitionsAndAnswersEachWithTheControllersOutcome() {
        for (short v = 0; v <= 2; v++) {
            short version = v;
            calls.clear();
            ElectLeadersResponseData answer = send("bob", version, request((byte) (version == 0 ? 0 : 1), "orders", List.of(0, 1),
                    "payments", List.of(0)));

            assertThat(outcomes(answer)).as("v%d", version)
                    .containsExactly("orders-0:NONE", "orders-1:ELECTION_NOT_NEEDED", "payments-0:NONE");
            assertThat(Errors.forCode(answer.errorCode())).isEqualTo(Errors.NONE);
            // v0 has no election type: it is always PREFERRED.
            assertThat(calls).singleElement().satisfies(call -> {
                assertThat(call.type()).isEqualTo(version == 0 ? LeaderElections.Type.PREFERRED
                        : LeaderElections.Type.UNCLEAN);
                assertThat(call.partitions()).containsExactly(new LeaderElections.Partition("orders", 0),
                        new LeaderElections.Partition("orders", 1), new LeaderElections.Partition("payments", 0));
            });
        }
    }

    @Test
    void nullPartitionsElectEveryPartitionAndListWhatTheControllerAnswered() {
        for (short version = 0; version <= 2; version++) {
            calls.clear();
            ElectLeadersResponseData answer = send("bob", version,
                    new ElectLeadersRequestData().setElectionType((byte) 0).setTopicPartitions(null).setTimeoutMs(5_000));

            assertThat(outcomes(answer)).as("v%d", version)
                    .containsExactly("orders-0:NONE", "payments-0:PREFERRED_LEADER_NOT_AVAILABLE");
            assertThat(answer.replicaElectionResults().get(1).partitionResult().get(0).errorMessage())
                    .isEqualTo("not in the ISR");
            assertThat(calls).singleElement().satisfies(call -> {
                assertThat(call.type()).isEqualTo(LeaderElections.Type.PREFERRED);
                assertThat(call.partitions()).isNull();
            });
        }
    }

    @Test
    void unknownTopicsAndPartitionsAreAnsweredByTheBrokerAndTheRestForwarded() {
        ElectLeadersResponseData answer = send("bob", (short) 2, request((byte) 0, "orders", List.of(-1, 0, 2),
                "nope", List.of(0)));

        assertThat(outcomes(answer)).containsExactly("orders--1:UNKNOWN_TOPIC_OR_PARTITION", "orders-0:NONE",
                "orders-2:UNKNOWN_TOPIC_OR_PARTITION", "nope-0:UNKNOWN_TOPIC_OR_PARTITION");
        assertThat(answer.replicaElectionResults().get(0).partitionResult().get(0).errorMessage()).contains("no partition -1");
        assertThat(calls).singleElement().satisfies(call -> assertThat(call.partitions())
                .containsExactly(new LeaderElections.Partition("orders", 0)));
    }

    @Test
    void onlyUnknownPartitionsNeverReachTheController() {
        ElectLeadersResponseData answer = send("bob", (short) 1, request((byte) 0, "nope", List.of(0, 1)));

        assertThat(outcomes(answer)).containsExactly("nope-0:UNKNOWN_TOPIC_OR_PARTITION",
                "nope-1:UNKNOWN_TOPIC_OR_PARTITION");
        assertThat(Errors.forCode(answer.errorCode())).isEqualTo(Errors.NONE);
        assertThat(calls).isEmpty();
    }

    @Test
    void anUnknownElectionTypeIsAnInvalidRequestThatChangesNothing() {
        ElectLeadersResponseData answer = send("bob", (short) 2, request((byte) 2, "orders", List.of(0)));

        assertThat(Errors.forCode(answer.errorCode())).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(outcomes(answer)).containsExactly("orders-0:INVALID_REQUEST");
        assertThat(answer.replicaElectionResults().get(0).partitionResult().get(0).errorMessage())
                .contains("Unknown election type 2");
        assertThat(calls).isEmpty();
    }

    @Test
    void electingNeedsAlterOnTheClusterNotOnTheTopic() {
        ElectLeadersResponseData named = send("alice", (short) 2, request((byte) 0, "orders", List.of(0, 1)));
        ElectLeadersResponseData all = send("alice", (short) 2,
                new ElectLeadersRequestData().setElectionType((byte) 0).setTopicPartitions(null));
        ElectLeadersResponseData v0 = send("alice", (short) 0, request((byte) 0, "orders", List.of(0)));

        assertThat(Errors.forCode(named.errorCode())).isEqualTo(Errors.CLUSTER_AUTHORIZATION_FAILED);
        assertThat(outcomes(named)).containsExactly("orders-0:CLUSTER_AUTHORIZATION_FAILED",
                "orders-1:CLUSTER_AUTHORIZATION_FAILED");
        assertThat(Errors.forCode(all.errorCode())).isEqualTo(Errors.CLUSTER_AUTHORIZATION_FAILED);
        assertThat(all.replicaElectionResults()).isEmpty();
        assertThat(outcomes(v0)).containsExactly("orders-0:CLUSTER_AUTHORIZATION_FAILED");
        assertThat(calls).isEmpty();
    }

    @Test
    void aControllerThatCannotDecideInTimeOrIsNotThereFailsEachForwardedPartition() {
        Map<String, Errors> expected = new LinkedHashMap<>();
        expected.put("outcome-unknown", Errors.REQUEST_TIMED_OUT);
        expected.put("not-controller", Errors.NOT_CONTROLLER);
        expected.forEach((type, error) -> {
            problem = type;

            ElectLeadersResponseData answer = send("bob", (short) 2, request((byte) 0, "orders", List.of(0, 7)));

            assertThat(Errors.forCode(answer.errorCode())).as(type).isEqualTo(error);
            assertThat(outcomes(answer)).as(type).containsExactly("orders-0:" + error.name(),
                    "orders-7:UNKNOWN_TOPIC_OR_PARTITION");
            assertThat(answer.replicaElectionResults().get(0).partitionResult().get(0).errorMessage())
                    .isEqualTo("told to refuse");
        });
    }
}
