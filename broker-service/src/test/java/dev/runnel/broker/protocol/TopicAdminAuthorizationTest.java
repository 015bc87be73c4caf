package dev.runnel.broker.protocol;

import static dev.runnel.broker.protocol.SecuredBroker.PAYMENTS_ID;
import static dev.runnel.broker.protocol.SecuredBroker.allow;
import static dev.runnel.broker.protocol.SecuredBroker.allowPrefixed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.AlterConfigsRequestData;
import org.apache.kafka.common.message.AlterReplicaLogDirsRequestData;
import org.apache.kafka.common.message.AlterReplicaLogDirsResponseData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.AlterConfigsResponseData;
import org.apache.kafka.common.message.CreatePartitionsRequestData;
import org.apache.kafka.common.message.CreatePartitionsResponseData;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.DeleteTopicsRequestData;
import org.apache.kafka.common.message.DeleteTopicsResponseData;
import org.apache.kafka.common.message.DescribeConfigsRequestData;
import org.apache.kafka.common.message.DescribeConfigsResponseData;
import org.apache.kafka.common.message.DescribeLogDirsRequestData;
import org.apache.kafka.common.message.DescribeLogDirsResponseData;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData;
import org.apache.kafka.common.message.ListPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
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
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.PartitionReassignments;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.cluster.ZkPaths;

/**
 * The topic, config, reassignment and log-dir admin APIs and Metadata's auto-creation under
 * Kafka's authorization rules, with the active controller an HTTP server on a loopback port that
 * records every call: a refused topic, config or reassignment never reaches it.
 */
class TopicAdminAuthorizationTest {

    private static final byte TOPIC = 2;
    private static final byte BROKER = 4;

    /** "METHOD path" of every call the controller got, without {@code /api/v1} and the query. */
    private static final List<String> calls = new CopyOnWriteArrayList<>();
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
        controllerServer.createContext("/api/v1/topics", TopicAdminAuthorizationTest::answer);
        controllerServer.createContext("/api/v1/reassignments", TopicAdminAuthorizationTest::answer);
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

    /** Creates, grows, deletes and reconfigures whatever it is asked to. */
    private static void answer(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath().substring("/api/v1".length());
        calls.add(exchange.getRequestMethod() + " " + path);
        byte[] body = new byte[0];
        if (exchange.getRequestMethod().equals("POST") && path.equals("/topics")) {
            Map<?, ?> create = ClusterJson.read(exchange.getRequestBody().readAllBytes(), Map.class, "a creation");
            body = ClusterJson.write(new TopicInfo((String) create.get("name"), UUID.randomUUID(),
                    Map.of("retention.ms", "1000"), List.of(new PartitionInfo(0, List.of(1),
                            new PartitionState(1, 0, List.of(1), 0)))));
        } else if (path.endsWith("/partitions")) {
            body = ClusterJson.write(new TopicInfo("payments", PAYMENTS_ID, Map.of(), List.of(
                    new PartitionInfo(0, List.of(1), new PartitionState(1, 0, List.of(1), 0)),
                    new PartitionInfo(1, List.of(1), new PartitionState(1, 0, List.of(1), 0)))));
        } else if (path.equals("/reassignments")) {
            body = ClusterJson.write(List.of(new PartitionReassignments.Progress("payments", 0, List.of(2, 1),
                    List.of(2), List.of(1))));
        } else if (!exchange.getRequestMethod().equals("DELETE")) {
            body = "{}".getBytes();
        }
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @BeforeEach
    void start() throws Exception {
        calls.clear();
        broker = new SecuredBroker(root, controller, true);
    }

    @AfterEach
    void stop() throws Exception {
        broker.close();
    }

    // ---- CreateTopics -----------------------------------------------------------------------

    @Test
    void createTopicsNeedsCreateOnTheClusterOrOnTheTopic() {
        broker.acls(allowPrefixed("alice", AclOperation.CREATE, ResourceType.TOPIC, "new-"),
                allow("bob", AclOperation.CREATE, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME));

        CreateTopicsResponseData byAlice = createTopics(broker.connect("alice"), "new-a", "other");
        CreateTopicsResponseData byBob = createTopics(broker.connect("bob"), "other");

        assertThat(byAlice.topics().find("other").errorCode()).isEqualTo(Errors.TOPIC_AUTHORIZATION_FAILED.code());
        assertThat(byAlice.topics().find("other").errorMessage()).isEqualTo("Authorization failed.");
        assertThat(byAlice.topics().find("new-a").errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(byBob.topics().find("other").errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(calls).as("the refused topic never reached the controller")
                .containsExactly("POST /topics", "POST /topics");
    }

    @Test
    void aCreatedTopicsConfigsAreToldOnlyToWhomMayDescribeThem() {
        broker.acls(allow("alice", AclOperation.CREATE, ResourceType.TOPIC, "new-a"),
                allow("bob", AclOperation.CREATE, ResourceType.TOPIC, "new-b"),
                allow("bob", AclOperation.DESCRIBE_CONFIGS, ResourceType.TOPIC, "new-b"));

        CreateTopicsResponseData.CreatableTopicResult hidden = createTopics(broker.connect("alice"), "new-a").topics()
                .find("new-a");
        CreateTopicsResponseData.CreatableTopicResult shown = createTopics(broker.connect("bob"), "new-b").topics()
                .find("new-b");

        assertThat(hidden.errorCode()).isEqualTo(Errors.NONE.code());
        assertThat(hidden.topicConfigErrorCode()).isEqualTo(Errors.TOPIC_AUTHORIZATION_FAILED.code());
        assertThat(hidden.configs()).isEmpty();
        assertThat(hidden.numPartitions()).isEqualTo(-1);
        assertThat(shown.topicConfigErrorCode()).isZero();
        assertThat(shown.numPartitions()).isEqualTo(1);
        assertThat(shown.configs()).extracting(CreateTopicsResponseData.CreatableTopicConfigs::name)
                .containsExactly("retention.ms");
    }

    // ---- DeleteTopics -----------------------------------------------------------------------

    @Test
    void deleteTopicsHidesWhetherATopicExistsFromWhomMayNotDescribeIt() {
        DeleteTopicsResponseData answer = deleteTopics(broker.connect("alice"), "payments", "ghost");

        assertThat(answer.responses()).extracting(r -> r.name() + ":" + Errors.forCode(r.errorCode()))
                .containsExactlyInAnyOrder("payments:TOPIC_AUTHORIZATION_FAILED", "ghost:TOPIC_AUTHORIZATION_FAILED");
        assertThat(calls).isEmpty();
    }

    @Test
    void aPrincipalThatMayDescribeButNotDeleteLearnsOnlyWhetherTheTopicExists() {
        broker.acls(allow("alice", AclOperation.DESCRIBE, ResourceType.TOPIC, "*"));

        DeleteTopicsResponseData answer = deleteTopics(broker.connect("alice"), "payments", "ghost");

        assertThat(answer.responses()).extracting(r -> r.name() + ":" + Errors.forCode(r.errorCode()))
                .containsExactlyInAnyOrder("payments:TOPIC_AUTHORIZATION_FAILED", "ghost:UNKNOWN_TOPIC_OR_PARTITION");
        assertThat(calls).isEmpty();
    }

    @Test
    void aTopicDeletedByIdIsNamedOnlyToWhomMayDescribeIt() {
        DeleteTopicsRequestData byId = new DeleteTopicsRequestData().setTimeoutMs(1000);
        byId.topics().add(new DeleteTopicsRequestData.DeleteTopicState().setName(null).setTopicId(wire(PAYMENTS_ID)));
        broker.acls(allow("bob", AclOperation.DESCRIBE, ResourceType.TOPIC, "payments"));

        DeleteTopicsResponseData.DeletableTopicResult toAlice = ((DeleteTopicsResponseData) broker.connect("alice")
                .send(ApiKeys.DELETE_TOPICS, (short) 6, byId)).responses().iterator().next();
        DeleteTopicsResponseData.DeletableTopicResult toBob = ((DeleteTopicsResponseData) broker.connect("bob")
                .send(ApiKeys.DELETE_TOPICS, (short) 6, byId)).responses().iterator().next();

        assertThat(Errors.forCode(toAlice.errorCode())).isEqualTo(Errors.TOPIC_AUTHORIZATION_FAILED);
        assertThat(toAlice.name()).isNull();
        assertThat(toAlice.topicId()).isEqualTo(wire(PAYMENTS_ID));
        assertThat(Errors.forCode(toBob.errorCode())).isEqualTo(Errors.TOPIC_AUTHORIZATION_FAILED);
        assertThat(toBob.name()).isEqualTo("payments");
        assertThat(calls).isEmpty();
    }

    @Test
    void deleteOnTheTopicOrOnTheClusterDeletes() {
        broker.acls(allow("alice", AclOperation.DELETE, ResourceType.TOPIC, "payments"),
                allow("bob", AclOperation.DELETE, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME));

        assertThat(deleteTopics(broker.connect("alice"), "payments").responses().iterator().next().errorCode()).isZero();
        assertThat(deleteTopics(broker.connect("bob"), "secrets").responses().iterator().next().errorCode()).isZero();

        assertThat(calls).containsExactly("DELETE /topics/payments", "DELETE /topics/secrets");
    }

    // ---- CreatePartitions -------------------------------------------------------------------

    @Test
    void createPartitionsNeedsAlterOnTheTopic() {
        broker.acls(allow("alice", AclOperation.DESCRIBE, ResourceType.TOPIC, "payments"),
                allow("bob", AclOperation.ALTER, ResourceType.TOPIC, "payments"));
        CreatePartitionsRequestData grow = new CreatePartitionsRequestData().setTimeoutMs(0);
        grow.topics().add(new CreatePartitionsRequestData.CreatePartitionsTopic().setName("payments").setCount(2)
                .setAssignments(null));

        CreatePartitionsResponseData refused = (CreatePartitionsResponseData) broker.connect("alice").send(
                ApiKeys.CREATE_PARTITIONS, (short) 3, grow);
        assertThat(calls).isEmpty();
        CreatePartitionsResponseData grown = (CreatePartitionsResponseData) broker.connect("bob").send(
                ApiKeys.CREATE_PARTITIONS, (short) 3, grow);

        assertThat(Errors.forCode(refused.results().get(0).errorCode())).isEqualTo(Errors.TOPIC_AUTHORIZATION_FAILED);
        assertThat(Errors.forCode(grown.results().get(0).errorCode())).isEqualTo(Errors.NONE);
        assertThat(calls).containsExactly("POST /topics/payments/partitions");
    }

    // ---- AlterPartitionReassignments, ListPartitionReassignments ------------------------------

    @Test
    void reassigningNeedsAlterOnTheClusterAndARefusedRequestNeverReachesTheController() {
        broker.acls(allow("alice", AclOperation.ALTER, ResourceType.TOPIC, "payments"),
                allow("bob", AclOperation.ALTER, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME));
        AlterPartitionReassignmentsRequestData move = new AlterPartitionReassignmentsRequestData();
        move.topics().add(new AlterPartitionReassignmentsRequestData.ReassignableTopic().setName("payments")
                .setPartitions(List.of(new AlterPartitionReassignmentsRequestData.ReassignablePartition()
                        .setPartitionIndex(0).setReplicas(List.of(2, 1)))));

        AlterPartitionReassignmentsResponseData refused = (AlterPartitionReassignmentsResponseData) broker
                .connect("alice").send(ApiKeys.ALTER_PARTITION_REASSIGNMENTS, (short) 1, move);
        assertThat(calls).isEmpty();
        AlterPartitionReassignmentsResponseData moved = (AlterPartitionReassignmentsResponseData) broker
                .connect("bob").send(ApiKeys.ALTER_PARTITION_REASSIGNMENTS, (short) 1, move);

        assertThat(Errors.forCode(refused.errorCode())).isEqualTo(Errors.CLUSTER_AUTHORIZATION_FAILED);
        assertThat(Errors.forCode(refused.responses().get(0).partitions().get(0).errorCode()))
                .isEqualTo(Errors.CLUSTER_AUTHORIZATION_FAILED);
        assertThat(Errors.forCode(moved.errorCode())).isEqualTo(Errors.NONE);
        assertThat(Errors.forCode(moved.responses().get(0).partitions().get(0).errorCode())).isEqualTo(Errors.NONE);
        assertThat(calls).containsExactly("POST /reassignments");
    }

    @Test
    void aReplicationFactorChangeTheRequestDoesNotAllowAndAnUnknownPartitionAreRefusedByTheBroker() {
        broker.acls(allow("bob", AclOperation.ALTER, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME));
        AlterPartitionReassignmentsRequestData move = new AlterPartitionReassignmentsRequestData()
                .setAllowReplicationFactorChange(false);
        move.topics().add(new AlterPartitionReassignmentsRequestData.ReassignableTopic().setName("payments")
                .setPartitions(List.of(new AlterPartitionReassignmentsRequestData.ReassignablePartition()
                        .setPartitionIndex(0).setReplicas(List.of(2, 1)),
                        new AlterPartitionReassignmentsRequestData.ReassignablePartition().setPartitionIndex(5)
                                .setReplicas(List.of(1)))));

        AlterPartitionReassignmentsResponseData answer = (AlterPartitionReassignmentsResponseData) broker
                .connect("bob").send(ApiKeys.ALTER_PARTITION_REASSIGNMENTS, (short) 1, move);

        assertThat(answer.responses().get(0).partitions()).extracting(p -> Errors.forCode(p.errorCode()))
                .containsExactly(Errors.INVALID_REPLICATION_FACTOR, Errors.UNKNOWN_TOPIC_OR_PARTITION);
        assertThat(calls).isEmpty();
    }

    @Test
    void listingReassignmentsNeedsDescribeOnTheCluster() {
        broker.acls(allow("bob", AclOperation.DESCRIBE, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME));
        ListPartitionReassignmentsRequestData list = new ListPartitionReassignmentsRequestData().setTopics(null);

        ListPartitionReassignmentsResponseData refused = (ListPartitionReassignmentsResponseData) broker
                .connect("alice").send(ApiKeys.LIST_PARTITION_REASSIGNMENTS, (short) 0, list);
        assertThat(calls).isEmpty();
        ListPartitionReassignmentsResponseData listed = (ListPartitionReassignmentsResponseData) broker
                .connect("bob").send(ApiKeys.LIST_PARTITION_REASSIGNMENTS, (short) 0, list);

        assertThat(Errors.forCode(refused.errorCode())).isEqualTo(Errors.CLUSTER_AUTHORIZATION_FAILED);
        assertThat(refused.topics()).isEmpty();
        assertThat(listed.topics()).hasSize(1);
        ListPartitionReassignmentsResponseData.OngoingPartitionReassignment ongoing = listed.topics().get(0)
                .partitions().get(0);
        assertThat(ongoing.replicas()).containsExactly(2, 1);
        assertThat(ongoing.addingReplicas()).containsExactly(2);
        assertThat(ongoing.removingReplicas()).containsExactly(1);
        assertThat(calls).containsExactly("GET /reassignments");
    }

    @Test
    void describingLogDirsNeedsDescribeOnTheClusterAndShowsThePartitionLogsOfEachDirectory() {
        broker.acls(allow("bob", AclOperation.DESCRIBE, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME));
        DescribeLogDirsRequestData all = new DescribeLogDirsRequestData().setTopics(null);
        DescribeLogDirsRequestData payments = new DescribeLogDirsRequestData();
        payments.topics().add(new DescribeLogDirsRequestData.DescribableLogDirTopic().setTopic("payments")
                .setPartitions(List.of(0)));

        DescribeLogDirsResponseData refused = (DescribeLogDirsResponseData) broker.connect("alice")
                .send(ApiKeys.DESCRIBE_LOG_DIRS, (short) 4, all);
        DescribeLogDirsResponseData everything = (DescribeLogDirsResponseData) broker.connect("bob")
                .send(ApiKeys.DESCRIBE_LOG_DIRS, (short) 4, all);
        DescribeLogDirsResponseData one = (DescribeLogDirsResponseData) broker.connect("bob")
                .send(ApiKeys.DESCRIBE_LOG_DIRS, (short) 4, payments);

        assertThat(Errors.forCode(refused.errorCode())).isEqualTo(Errors.CLUSTER_AUTHORIZATION_FAILED);
        assertThat(refused.results()).isEmpty();
        assertThat(everything.results()).hasSize(1);
        DescribeLogDirsResponseData.DescribeLogDirsResult dir = everything.results().get(0);
        assertThat(dir.errorCode()).isZero();
        assertThat(Path.of(dir.logDir())).isAbsolute();
        assertThat(dir.totalBytes()).isPositive();
        assertThat(dir.topics()).extracting(DescribeLogDirsResponseData.DescribeLogDirsTopic::name)
                .contains("payments", "secrets");
        assertThat(one.results().get(0).topics()).hasSize(1);
        DescribeLogDirsResponseData.DescribeLogDirsPartition partition = one.results().get(0).topics().get(0)
                .partitions().get(0);
        assertThat(partition.partitionIndex()).isZero();
        assertThat(partition.partitionSize()).isNotNegative();
        assertThat(partition.isFutureKey()).isFalse();
    }

    @Test
    void alteringReplicaLogDirsNeedsAlterOnTheClusterAndAnswersEachPartitionAsKafkaDoes() {
        broker.acls(allow("bob", AclOperation.ALTER, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME),
                allow("bob", AclOperation.DESCRIBE, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME));
        String dir = ((DescribeLogDirsResponseData) broker.connect("bob").send(ApiKeys.DESCRIBE_LOG_DIRS, (short) 4,
                new DescribeLogDirsRequestData().setTopics(null))).results().get(0).logDir();
        for (short version = 1; version <= 2; version++) {
            AlterReplicaLogDirsRequestData request = new AlterReplicaLogDirsRequestData();
            request.dirs().add(logDir(dir, "payments", 0, "nope", 0));
            request.dirs().add(logDir(dir + "-elsewhere", "payments", 1));

            AlterReplicaLogDirsResponseData refused = (AlterReplicaLogDirsResponseData) broker.connect("alice")
                    .send(ApiKeys.ALTER_REPLICA_LOG_DIRS, version, request.duplicate());
            AlterReplicaLogDirsResponseData answered = (AlterReplicaLogDirsResponseData) broker.connect("bob")
                    .send(ApiKeys.ALTER_REPLICA_LOG_DIRS, version, request.duplicate());

            assertThat(errors(refused)).as("v" + version).containsOnly(
                    Map.entry("payments-0", Errors.CLUSTER_AUTHORIZATION_FAILED),
                    Map.entry("nope-0", Errors.CLUSTER_AUTHORIZATION_FAILED),
                    Map.entry("payments-1", Errors.CLUSTER_AUTHORIZATION_FAILED));
            // payments-0 is in that directory already; nope-0 does not exist; the other path is no log dir.
            assertThat(errors(answered)).as("v" + version).containsOnly(
                    Map.entry("payments-0", Errors.NONE),
                    Map.entry("nope-0", Errors.UNKNOWN_TOPIC_OR_PARTITION),
                    Map.entry("payments-1", Errors.LOG_DIR_NOT_FOUND));
        }
    }

    private static AlterReplicaLogDirsRequestData.AlterReplicaLogDir logDir(String path, Object... topicPartitions) {
        AlterReplicaLogDirsRequestData.AlterReplicaLogDir dir = new AlterReplicaLogDirsRequestData.AlterReplicaLogDir()
                .setPath(path);
        for (int i = 0; i < topicPartitions.length; i += 2) {
            String topic = (String) topicPartitions[i];
            AlterReplicaLogDirsRequestData.AlterReplicaLogDirTopic t = dir.topics().find(topic);
            if (t == null) {
                t = new AlterReplicaLogDirsRequestData.AlterReplicaLogDirTopic().setName(topic);
                dir.topics().add(t);
            }
            t.partitions().add((Integer) topicPartitions[i + 1]);
        }
        return dir;
    }

    private static Map<String, Errors> errors(AlterReplicaLogDirsResponseData response) {
        Map<String, Errors> errors = new TreeMap<>();
        for (AlterReplicaLogDirsResponseData.AlterReplicaLogDirTopicResult t : response.results()) {
            for (AlterReplicaLogDirsResponseData.AlterReplicaLogDirPartitionResult p : t.partitions()) {
                errors.put(t.topicName() + "-" + p.partitionIndex(), Errors.forCode(p.errorCode()));
            }
        }
        return errors;
    }

    // ---- DescribeConfigs, AlterConfigs, IncrementalAlterConfigs -----------------------------

    @Test
    void describeConfigsNeedsDescribeConfigsOnTheTopicOrOnTheClusterForABroker() {
        broker.acls(allow("alice", AclOperation.ALTER_CONFIGS, ResourceType.TOPIC, "payments"));
        DescribeConfigsRequestData request = new DescribeConfigsRequestData();
        request.resources().add(new DescribeConfigsRequestData.DescribeConfigsResource().setResourceType(TOPIC)
                .setResourceName("payments").setConfigurationKeys(null));
        request.resources().add(new DescribeConfigsRequestData.DescribeConfigsResource().setResourceType(TOPIC)
                .setResourceName("secrets").setConfigurationKeys(null));
        request.resources().add(new DescribeConfigsRequestData.DescribeConfigsResource().setResourceType(BROKER)
                .setResourceName("1").setConfigurationKeys(null));

        DescribeConfigsResponseData answer = (DescribeConfigsResponseData) broker.connect("alice").send(
                ApiKeys.DESCRIBE_CONFIGS, (short) 4, request);

        assertThat(answer.results()).extracting(r -> r.resourceName() + ":" + Errors.forCode(r.errorCode()))
                .containsExactly("payments:NONE", "secrets:TOPIC_AUTHORIZATION_FAILED", "1:CLUSTER_AUTHORIZATION_FAILED");
        assertThat(answer.results().get(0).configs()).as("ALTER_CONFIGS implies DESCRIBE_CONFIGS").isNotEmpty();
        assertThat(answer.results().get(1).configs()).isEmpty();
        assertThat(answer.results().get(1).errorMessage()).isEqualTo(Errors.TOPIC_AUTHORIZATION_FAILED.message());

        broker.acls(allow("alice", AclOperation.DESCRIBE_CONFIGS, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME));
        DescribeConfigsResponseData brokerConfigs = (DescribeConfigsResponseData) broker.connect("alice").send(
                ApiKeys.DESCRIBE_CONFIGS, (short) 4, request);
        assertThat(brokerConfigs.results().get(2).errorCode()).isZero();
    }

    @Test
    void alteringConfigsNeedsAlterConfigsAndARefusedResourceNeverReachesTheController() {
        broker.acls(allow("alice", AclOperation.ALTER_CONFIGS, ResourceType.TOPIC, "payments"));
        SecuredBroker.Connection alice = broker.connect("alice");
        IncrementalAlterConfigsRequestData incremental = new IncrementalAlterConfigsRequestData();
        for (String topic : List.of("payments", "secrets")) {
            IncrementalAlterConfigsRequestData.AlterConfigsResource resource =
                    new IncrementalAlterConfigsRequestData.AlterConfigsResource().setResourceType(TOPIC)
                            .setResourceName(topic);
            resource.configs().add(new IncrementalAlterConfigsRequestData.AlterableConfig().setName("retention.ms")
                    .setConfigOperation((byte) 0).setValue("1000"));
            incremental.resources().add(resource);
        }
        incremental.resources().add(new IncrementalAlterConfigsRequestData.AlterConfigsResource()
                .setResourceType(BROKER).setResourceName("1"));

        IncrementalAlterConfigsResponseData answer = (IncrementalAlterConfigsResponseData) alice.send(
                ApiKeys.INCREMENTAL_ALTER_CONFIGS, (short) 1, incremental);

        assertThat(answer.responses()).extracting(r -> r.resourceName() + ":" + Errors.forCode(r.errorCode()))
                .containsExactly("payments:NONE", "secrets:TOPIC_AUTHORIZATION_FAILED", "1:CLUSTER_AUTHORIZATION_FAILED");
        assertThat(calls).containsExactly("PATCH /topics/payments/configs");

        AlterConfigsRequestData legacy = new AlterConfigsRequestData();
        legacy.resources().add(new AlterConfigsRequestData.AlterConfigsResource().setResourceType(TOPIC)
                .setResourceName("secrets"));
        AlterConfigsResponseData refused = (AlterConfigsResponseData) alice.send(ApiKeys.ALTER_CONFIGS, (short) 2,
                legacy);
        assertThat(Errors.forCode(refused.responses().get(0).errorCode())).isEqualTo(Errors.TOPIC_AUTHORIZATION_FAILED);
        assertThat(calls).hasSize(1);
    }

    @Test
    void deletingABrokerConfigIsANoOpSinceNoneIsDynamicWhileSettingOneIsRefused() {
        broker.acls(allow("bob", AclOperation.ALTER_CONFIGS, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME));
        IncrementalAlterConfigsRequestData request = new IncrementalAlterConfigsRequestData();
        for (byte operation : new byte[] {1, 0}) { // DELETE (what kafka-reassign-partitions --verify sends), SET
            IncrementalAlterConfigsRequestData.AlterConfigsResource resource =
                    new IncrementalAlterConfigsRequestData.AlterConfigsResource().setResourceType(BROKER)
                            .setResourceName(String.valueOf(operation + 1));
            resource.configs().add(new IncrementalAlterConfigsRequestData.AlterableConfig()
                    .setName("leader.replication.throttled.rate").setConfigOperation(operation)
                    .setValue(operation == 0 ? "1000" : null));
            request.resources().add(resource);
        }

        IncrementalAlterConfigsResponseData answer = (IncrementalAlterConfigsResponseData) broker.connect("bob")
                .send(ApiKeys.INCREMENTAL_ALTER_CONFIGS, (short) 1, request);

        assertThat(answer.responses()).extracting(r -> r.resourceName() + ":" + Errors.forCode(r.errorCode()))
                .containsExactly("2:NONE", "1:INVALID_REQUEST");
        assertThat(calls).isEmpty();
    }

    // ---- Metadata's auto-creation -----------------------------------------------------------

    @Test
    void metadataCreatesAnUnknownTopicOnlyForWhomMayCreateIt() {
        broker.acls(allowPrefixed("alice", AclOperation.DESCRIBE, ResourceType.TOPIC, "new-"),
                allowPrefixed("bob", AclOperation.DESCRIBE, ResourceType.TOPIC, "new-"),
                allowPrefixed("bob", AclOperation.CREATE, ResourceType.TOPIC, "new-"),
                allow("carol", AclOperation.CREATE, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME));

        assertThat(autoCreate(broker.connect("alice"), "new-a")).isEqualTo(Errors.TOPIC_AUTHORIZATION_FAILED);
        assertThat(autoCreate(broker.connect("carol"), "new-c")).as("CREATE without DESCRIBE hides the topic")
                .isEqualTo(Errors.TOPIC_AUTHORIZATION_FAILED);
        assertThat(autoCreate(broker.connect("bob"), "new-b")).isEqualTo(Errors.LEADER_NOT_AVAILABLE);

        await().atMost(Duration.ofSeconds(20)).until(() -> !calls.isEmpty());
        assertThat(calls).containsExactly("POST /topics");
    }

    // ---- helpers ----------------------------------------------------------------------------

    private static CreateTopicsResponseData createTopics(SecuredBroker.Connection via, String... names) {
        CreateTopicsRequestData request = new CreateTopicsRequestData().setTimeoutMs(0);
        for (String name : names) {
            request.topics().add(new CreateTopicsRequestData.CreatableTopic().setName(name).setNumPartitions(1)
                    .setReplicationFactor((short) 1));
        }
        return (CreateTopicsResponseData) via.send(ApiKeys.CREATE_TOPICS, (short) 7, request);
    }

    private static DeleteTopicsResponseData deleteTopics(SecuredBroker.Connection via, String... names) {
        DeleteTopicsRequestData request = new DeleteTopicsRequestData().setTimeoutMs(1000);
        for (String name : names) {
            request.topics().add(new DeleteTopicsRequestData.DeleteTopicState().setName(name));
        }
        return (DeleteTopicsResponseData) via.send(ApiKeys.DELETE_TOPICS, (short) 6, request);
    }

    private static Errors autoCreate(SecuredBroker.Connection via, String topic) {
        MetadataRequestData request = new MetadataRequestData().setAllowAutoTopicCreation(true);
        request.topics().add(new MetadataRequestData.MetadataRequestTopic().setName(topic));
        MetadataResponseData answer = (MetadataResponseData) via.send(ApiKeys.METADATA, (short) 12, request);
        return Errors.forCode(answer.topics().find(topic).errorCode());
    }

    private static Uuid wire(UUID id) {
        return new Uuid(id.getMostSignificantBits(), id.getLeastSignificantBits());
    }
}
