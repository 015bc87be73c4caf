package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.context.ConfigurableApplicationContext;

import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.cluster.AlterPartitionRequest;
import dev.runnel.cluster.AlterPartitionResponse;
import dev.runnel.cluster.ClusterError;
import dev.runnel.cluster.InternalApi;
import dev.runnel.cluster.InternalHttpClient;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.controller.election.ActiveController;
import dev.runnel.testing.RawHttp;

/**
 * The admin and internal APIs of a running cluster (an active and a standby controller, three
 * brokers): problem responses for bad input that change nothing, who may call them (users with a
 * role, the cluster secret), forwarding by the standby, AlterPartition at the API level, partition
 * reassignment through the API, and a broker id that is already taken.
 */
class AdminApiClusterTest {

    private static final Duration DEADLINE = Duration.ofSeconds(20);

    private static InJvmCluster cluster;
    private static String active;
    private static String standby;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = new InJvmCluster();
        cluster.startController(1);
        await().atMost(DEADLINE).until(() -> controller(1).role() == ActiveController.Role.ACTIVE);
        cluster.startController(2);
        for (int id = 1; id <= 3; id++) {
            cluster.startBroker(id, "rack-" + id);
        }
        await().atMost(DEADLINE).until(() -> controller(1).view().brokers().size() == 3);
        active = InJvmCluster.url(cluster.controller(1));
        standby = InJvmCluster.url(cluster.controller(2));
        InJvmCluster.Response placed = cluster.call("POST", active + "/api/v1/topics",
                "{\"name\":\"placed\",\"assignments\":[[1,2],[2,3]]}");
        assertThat(placed.status()).as(placed.body()).isEqualTo(201);
    }

    @AfterAll
    static void stopCluster() throws Exception {
        cluster.close();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "invalid name          | {\"name\":\"bad/name\",\"partitions\":1,\"replicationFactor\":1}          | 400 | invalid-topic",
        "dot name              | {\"name\":\"..\",\"partitions\":1,\"replicationFactor\":1}                | 400 | invalid-topic",
        "zero partitions       | {\"name\":\"t-zero\",\"partitions\":0,\"replicationFactor\":1}            | 400 | invalid-partitions",
        "negative partitions   | {\"name\":\"t-neg\",\"partitions\":-3,\"replicationFactor\":1}            | 400 | invalid-partitions",
        "rf above brokers      | {\"name\":\"t-rf\",\"partitions\":1,\"replicationFactor\":4}              | 400 | invalid-replication-factor",
        "unknown config        | {\"name\":\"t-cfg\",\"partitions\":1,\"replicationFactor\":1,\"configs\":{\"retention.mss\":\"1\"}} | 400 | invalid-config",
        "bad config value      | {\"name\":\"t-val\",\"partitions\":1,\"replicationFactor\":1,\"configs\":{\"retention.ms\":\"soon\"}} | 400 | invalid-config",
        "null config value     | {\"name\":\"t-null\",\"partitions\":1,\"configs\":{\"retention.ms\":null}} | 400 | invalid-config",
        "overflowing number    | {\"name\":\"t-inf\",\"partitions\":1,\"configs\":{\"retention.ms\":1e999999999}} | 400 | invalid-config",
        "infinite ratio        | {\"name\":\"t-ratio\",\"partitions\":1,\"configs\":{\"min.cleanable.dirty.ratio\":1e999999999}} | 400 | invalid-config",
        "malformed json        | {\"name\":                                                              | 400 | -",
    })
    void aBadTopicRequestIsAProblemAndChangesNothing(String label, String body, int status, String type) throws Exception {
        String topicsBefore = cluster.call("GET", active + "/api/v1/topics", null).body();

        InJvmCluster.Response response = cluster.call("POST", active + "/api/v1/topics", body);

        assertThat(response.status()).as(response.body()).isEqualTo(status);
        assertThat(response.contentType()).startsWith("application/problem+json");
        assertThat(response.body()).contains("\"detail\"");
        if (!type.equals("-")) {
            assertThat(response.body()).contains("\"type\":\"https://runnel.dev/problems/" + type + "\"");
        }
        assertThat(cluster.call("GET", active + "/api/v1/topics", null).body()).isEqualTo(topicsBefore);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "unknown topic         | {\"partitions\":[{\"topic\":\"nope\",\"partition\":0,\"replicas\":[1]}]}          | 404 | unknown-topic",
        "unknown partition     | {\"partitions\":[{\"topic\":\"placed\",\"partition\":7,\"replicas\":[1]}]}        | 404 | unknown-partition",
        "no replicas           | {\"partitions\":[{\"topic\":\"placed\",\"partition\":0,\"replicas\":[]}]}         | 400 | invalid-replica-assignment",
        "broker twice          | {\"partitions\":[{\"topic\":\"placed\",\"partition\":0,\"replicas\":[2,2]}]}      | 400 | invalid-replica-assignment",
        "unknown broker        | {\"partitions\":[{\"topic\":\"placed\",\"partition\":0,\"replicas\":[2,9]}]}      | 400 | invalid-replica-assignment",
        "one bad of two        | {\"partitions\":[{\"topic\":\"placed\",\"partition\":0,\"replicas\":[2,3]},{\"topic\":\"placed\",\"partition\":1,\"replicas\":[0]}]} | 400 | invalid-replica-assignment",
        "nothing to cancel     | {\"partitions\":[{\"topic\":\"placed\",\"partition\":0,\"replicas\":null}]}       | 409 | no-reassignment-in-progress",
        "no partitions         | {}                                                                                 | 400 | invalid-request",
        "malformed json        | {\"partitions\":[                                                                | 400 | -",
    })
    void aBadReassignmentIsAProblemAndChangesNothing(String label, String body, int status, String type)
            throws Exception {
        String before = cluster.call("GET", active + "/api/v1/topics/placed", null).body();

        InJvmCluster.Response response = cluster.call("POST", standby + "/api/v1/reassignments", body);

        assertThat(response.status()).as(response.body()).isEqualTo(status);
        assertThat(response.contentType()).startsWith("application/problem+json");
        if (!type.equals("-")) {
            assertThat(response.body()).contains("\"type\":\"https://runnel.dev/problems/" + type + "\"");
        }
        assertThat(cluster.call("GET", active + "/api/v1/topics/placed", null).body()).isEqualTo(before);
        assertThat(cluster.call("GET", active + "/api/v1/reassignments", null).body()).isEqualTo("[]");
    }

    @Test
    void aJsonNumberGivenAsAConfigValueIsKeptAsItWasWritten() throws Exception {
        InJvmCluster.Response created = cluster.call("POST", active + "/api/v1/topics", "{\"name\":\"t-exact\","
                + "\"partitions\":1,\"configs\":{\"min.cleanable.dirty.ratio\":1e-999999999,\"retention.ms\":86400000}}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        InJvmCluster.Response described = cluster.call("GET", active + "/api/v1/topics/t-exact", null);
        assertThat(described.body()).contains("\"min.cleanable.dirty.ratio\":\"1e-999999999\"",
                "\"retention.ms\":\"86400000\"").doesNotContain("Infinity");
    }

    @Test
    void theDetailNamesWhatIsWrong() throws Exception {
        InJvmCluster.Response response = cluster.call("POST", active + "/api/v1/topics",
                "{\"name\":\"t-rf5\",\"partitions\":1,\"replicationFactor\":5}");
        assertThat(response.body()).contains("Replication factor 5 is larger than the 3 live brokers");
        InJvmCluster.Response config = cluster.call("POST", active + "/api/v1/topics",
                "{\"name\":\"t-x\",\"partitions\":1,\"replicationFactor\":1,\"configs\":{\"min.insync.replicas\":\"0\"}}");
        assertThat(config.body()).contains("min.insync.replicas");
    }

    @Test
    void unknownTopicsAndDuplicatesAreProblems() throws Exception {
        assertThat(cluster.call("GET", active + "/api/v1/topics/nope", null).status()).isEqualTo(404);
        assertThat(cluster.call("DELETE", active + "/api/v1/topics/nope", null).status()).isEqualTo(404);
        assertThat(cluster.call("POST", active + "/api/v1/topics", "{\"name\":\"dup\",\"partitions\":1}").status())
                .isEqualTo(201);
        InJvmCluster.Response again = cluster.call("POST", active + "/api/v1/topics", "{\"name\":\"dup\",\"partitions\":2}");
        assertThat(again.status()).isEqualTo(409);
        assertThat(controller(1).view().topic("dup").orElseThrow().partitions()).hasSize(1);
        assertThat(cluster.call("POST", active + "/api/v1/topics/dup/partitions", "{\"count\":1}").status())
                .isEqualTo(400);
    }

    @Test
    void topicsCanBeGrownReconfiguredAndDeletedEverywhere() throws Exception {
        assertThat(cluster.call("POST", active + "/api/v1/topics",
                "{\"name\":\"life\",\"partitions\":2,\"replicationFactor\":3,\"configs\":{\"retention.ms\":\"60000\"}}")
                .status()).isEqualTo(201);
        InJvmCluster.Response grown = cluster.call("POST", active + "/api/v1/topics/life/partitions", "{\"count\":4}");
        assertThat(grown.status()).as(grown.body()).isEqualTo(200);
        InJvmCluster.Response altered = cluster.call("PATCH", active + "/api/v1/topics/life/configs",
                "{\"set\":{\"cleanup.policy\":\"compact\"},\"delete\":[\"retention.ms\"]}");
        assertThat(altered.status()).as(altered.body()).isEqualTo(200);
        TopicInfo topic = controller(1).view().topic("life").orElseThrow();
        assertThat(topic.partitions()).hasSize(4);
        assertThat(topic.configs()).isEqualTo(Map.of("cleanup.policy", "compact"));
        await().atMost(DEADLINE).untilAsserted(() -> {
            for (ConfigurableApplicationContext broker : cluster.brokers().values()) {
                assertThat(broker.getBean(MetadataCache.class).snapshot().topic("life")).contains(topic);
            }
        });

        assertThat(cluster.call("DELETE", active + "/api/v1/topics/life", null).status()).isEqualTo(204);
        await().atMost(DEADLINE).untilAsserted(() -> {
            for (ConfigurableApplicationContext broker : cluster.brokers().values()) {
                assertThat(broker.getBean(MetadataCache.class).snapshot().topic("life")).isEmpty();
                assertThat(broker.getBean(dev.runnel.broker.replication.ReplicaManager.class).hostedPartitions().keySet())
                        .noneMatch(tp -> tp.topic().equals("life"));
            }
        });
    }

    @Test
    void theAdminApiNeedsAReaderToReadAndAnAdminToChangeOnEitherController() throws Exception {
        String topic = "{\"name\":\"not-created\",\"partitions\":1}";
        Map<String, String> reader = InJvmCluster.basic(InJvmCluster.READER_USER, InJvmCluster.READER_PASSWORD);
        for (String controller : List.of(active, standby)) {
            InJvmCluster.Response anonymous = cluster.callWith("POST", controller + "/api/v1/topics", topic, Map.of());
            assertThat(anonymous.status()).as(controller).isEqualTo(401);
            assertThat(anonymous.contentType()).startsWith("application/problem+json");
            assertThat(cluster.callWith("GET", controller + "/api/v1/topics", null, Map.of()).status()).isEqualTo(401);
            assertThat(cluster.callWith("POST", controller + "/api/v1/topics", topic, reader).status()).isEqualTo(403);
            assertThat(cluster.callWith("GET", controller + "/api/v1/brokers", null, reader).status()).isEqualTo(200);
        }
        assertThat(controller(1).view().topic("not-created")).isEmpty();
        InJvmCluster.Response asAService = cluster.callWith("POST", standby + "/api/v1/topics",
                "{\"name\":\"by-secret\",\"partitions\":1}", Map.of(InternalApi.SECRET_HEADER, InJvmCluster.SECRET));
        assertThat(asAService.status()).as("the cluster secret is an admin's credential").isEqualTo(201);
    }

    @Test
    void aBrokersStatusActuatorAndHealthDetailsNeedACallerButItsProbesDoNot() throws Exception {
        String broker = InJvmCluster.url(cluster.broker(1));
        Map<String, String> reader = InJvmCluster.basic(InJvmCluster.READER_USER, InJvmCluster.READER_PASSWORD);
        for (String path : List.of("/api/v1/broker", "/actuator/prometheus", "/actuator/metrics")) {
            assertThat(cluster.callWith("GET", broker + path, null, Map.of()).status()).as(path).isEqualTo(401);
            assertThat(cluster.callWith("GET", broker + path, null, reader).status()).as(path).isEqualTo(200);
        }
        assertThat(cluster.callWith("GET", broker + "/actuator/health/liveness", null, Map.of()).status()).isEqualTo(200);
        for (String probe : List.of("/actuator/health", "/actuator/health/liveness", "/actuator/health/readiness")) {
            InJvmCluster.Response open = cluster.callWith("GET", broker + probe, null, Map.of());
            assertThat(open.status()).as(probe).isIn(200, 503);
            assertThat(open.body()).as(probe).contains("\"status\"").doesNotContain("components");
        }
        assertThat(cluster.callWith("GET", broker + "/actuator/health", null, reader).body())
                .contains("components", "servesClients");
    }

    @Test
    void controllersAndBrokersRefuseHostNamesThatAreNotTheirs() throws Exception {
        String reader = "Authorization: Basic " + Base64.getEncoder().encodeToString(
                (InJvmCluster.READER_USER + ":" + InJvmCluster.READER_PASSWORD).getBytes(StandardCharsets.UTF_8));
        for (ConfigurableApplicationContext node : List.of(cluster.controller(1), cluster.controller(2), cluster.broker(1))) {
            int port = Integer.parseInt(node.getEnvironment().getProperty("local.server.port"));
            String path = node == cluster.broker(1) ? "/api/v1/broker" : "/api/v1/brokers";
            RawHttp.Answer rebound = RawHttp.get(port, path, "rebound.attacker.example:" + port, reader);
            assertThat(rebound.status()).as(path).isEqualTo(421);
            assertThat(rebound.body()).contains("host-not-allowed");
            assertThat(RawHttp.get(port, path, "localhost:" + port, reader).status()).isEqualTo(200);
        }
    }

    @Test
    void theStandbyForwardsAdminCallsToTheActiveController() throws Exception {
        InJvmCluster.Response created = cluster.call("POST", standby + "/api/v1/topics",
                "{\"name\":\"via-standby\",\"partitions\":3,\"replicationFactor\":2}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        assertThat(controller(1).view().topic("via-standby")).isPresent();
        InJvmCluster.Response brokers = cluster.call("GET", standby + "/api/v1/brokers", null);
        assertThat(brokers.status()).isEqualTo(200);
        assertThat(brokers.body()).contains("\"rack\":\"rack-1\"", "\"rack\":\"rack-2\"", "\"rack\":\"rack-3\"");
        InJvmCluster.Response status = cluster.call("GET", standby + "/api/v1/controller", null);
        assertThat(status.body()).contains("\"role\":\"STANDBY\"", "\"controllerId\":2");
    }

    @Test
    void internalCallsWithoutTheClusterSecretAreRefused() throws Exception {
        String body = "{\"controllerId\":1,\"controllerEpoch\":999,\"full\":true,\"liveBrokers\":[],\"topics\":[],\"deletedTopics\":[]}";
        String broker = InJvmCluster.url(cluster.broker(1));
        InJvmCluster.Response none = cluster.call("POST", broker + InternalApi.UPDATE_METADATA, body);
        InJvmCluster.Response wrong = cluster.call("POST", broker + InternalApi.UPDATE_METADATA, body,
                Map.of(InternalApi.SECRET_HEADER, "guess"));
        InJvmCluster.Response toController = cluster.call("POST", active + InternalApi.CONTROLLED_SHUTDOWN,
                "{\"brokerId\":1,\"brokerEpoch\":1}");
        assertThat(List.of(none.status(), wrong.status(), toController.status())).containsOnly(401);
        for (String disguised : List.of("/internal;x=1/v1/update-metadata", "/%69nternal/v1/update-metadata",
                "//internal/v1/update-metadata", "/internal/v1/./update-metadata", "/INTERNAL/v1/update-metadata",
                "/internal/v1/update-metadata;x=1")) {
            InJvmCluster.Response sneaky = cluster.call("POST", broker + disguised, body);
            assertThat(sneaky.status()).as(disguised + ": " + sneaky.body()).isIn(400, 401, 404);
        }
        assertThat(cluster.broker(1).getBean(dev.runnel.broker.replication.ReplicaManager.class).highestControllerEpoch())
                .isLessThan(999);
        assertThat(none.contentType()).startsWith("application/problem+json");
        assertThat(cluster.broker(1).getBean(MetadataCache.class).snapshot().brokers()).hasSize(3);
        assertThat(controller(1).view().brokers()).containsKey(1);
    }

    @Test
    void alterPartitionIsValidatedAndCommittedByTheController() throws Exception {
        assertThat(cluster.call("POST", active + "/api/v1/topics",
                "{\"name\":\"isr\",\"partitions\":1,\"replicationFactor\":3}").status()).isEqualTo(201);
        PartitionInfo partition = controller(1).view().topic("isr").orElseThrow().partitions().get(0);
        int leader = partition.state().leader();
        long leaderEpoch = controller(1).view().brokers().get(leader).epoch();
        List<Integer> shrunk = List.of(leader);
        InternalHttpClient http = new InternalHttpClient(InJvmCluster.SECRET, Duration.ofSeconds(10));

        AlterPartitionResponse stale = http.post(standby, InternalApi.ALTER_PARTITION, new AlterPartitionRequest(leader,
                leaderEpoch, List.of(new AlterPartitionRequest.Change("isr", 0, partition.state().leaderEpoch(),
                        partition.state().partitionEpoch() + 7, shrunk))), AlterPartitionResponse.class);
        assertThat(stale.partitions().get(0).error()).isEqualTo(ClusterError.INVALID_UPDATE_VERSION);

        AlterPartitionResponse ok = http.post(standby, InternalApi.ALTER_PARTITION, new AlterPartitionRequest(leader,
                leaderEpoch, List.of(new AlterPartitionRequest.Change("isr", 0, partition.state().leaderEpoch(),
                        partition.state().partitionEpoch(), shrunk))), AlterPartitionResponse.class);
        assertThat(ok.partitions().get(0).error()).isEqualTo(ClusterError.NONE);
        assertThat(ok.partitions().get(0).state().isr()).isEqualTo(shrunk);
        assertThat(ok.partitions().get(0).state().partitionEpoch()).isEqualTo(partition.state().partitionEpoch() + 1);
        assertThat(controller(1).view().state("isr", 0).orElseThrow().isr()).isEqualTo(shrunk);

        int epochBefore = controller(1).view().controllerEpoch();
        InJvmCluster.Response malformed = cluster.call("POST", active + InternalApi.ALTER_PARTITION,
                "{\"brokerId\":" + leader + ",\"brokerEpoch\":" + leaderEpoch + ",\"partitions\":["
                        + "{\"topic\":null,\"partition\":0,\"leaderEpoch\":0,\"partitionEpoch\":0,\"newIsr\":[1]},"
                        + "{\"topic\":\"isr\",\"partition\":0,\"leaderEpoch\":" + partition.state().leaderEpoch()
                        + ",\"partitionEpoch\":" + (partition.state().partitionEpoch() + 1) + ",\"newIsr\":" + shrunk + "},"
                        + "{\"topic\":\"isr\",\"partition\":0,\"leaderEpoch\":" + partition.state().leaderEpoch()
                        + ",\"partitionEpoch\":" + (partition.state().partitionEpoch() + 2) + ",\"newIsr\":" + shrunk + "}]}",
                Map.of(InternalApi.SECRET_HEADER, InJvmCluster.SECRET));
        assertThat(malformed.status()).as(malformed.body()).isEqualTo(200);
        assertThat(malformed.body()).contains("\"error\":\"INVALID_REQUEST\"");
        assertThat(controller(1).role()).isEqualTo(ActiveController.Role.ACTIVE);
        assertThat(controller(1).view().controllerEpoch()).isEqualTo(epochBefore);

        int follower = partition.replicas().stream().filter(r -> r != leader).findFirst().orElseThrow();
        AlterPartitionResponse notLeader = http.post(active, InternalApi.ALTER_PARTITION, new AlterPartitionRequest(
                follower, controller(1).view().brokers().get(follower).epoch(), List.of(new AlterPartitionRequest.Change(
                        "isr", 0, partition.state().leaderEpoch(), partition.state().partitionEpoch() + 1,
                        List.of(follower)))), AlterPartitionResponse.class);
        assertThat(notLeader.partitions().get(0).error()).isEqualTo(ClusterError.NOT_LEADER_OR_FOLLOWER);
    }

    @Test
    void aSecondBrokerWithATakenIdFailsToStartWithAClearMessage() {
        assertThatThrownBy(() -> cluster.startBroker(2, null, "second-broker-2"))
                .hasStackTraceContaining("Broker id 2 is already registered")
                .hasStackTraceContaining("Broker ids must be unique");
        assertThat(controller(1).view().brokers()).containsKey(2);
    }

    @Test
    void aSecondControllerWithATakenIdFailsToStartWithAClearMessage() {
        assertThatThrownBy(() -> cluster.startController(2))
                .hasStackTraceContaining("Controller id 2 is already taken by the controller at " + standby)
                .hasStackTraceContaining("Controller ids must be unique");
        assertThat(controller(1).role()).isEqualTo(ActiveController.Role.ACTIVE);
    }

    private static ActiveController controller(int id) {
        return cluster.controller(id).getBean(ActiveController.class);
    }
}
