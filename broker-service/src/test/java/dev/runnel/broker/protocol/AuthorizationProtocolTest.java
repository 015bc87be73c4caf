package dev.runnel.broker.protocol;

import static dev.runnel.broker.protocol.SecuredBroker.ORDERS_0;
import static dev.runnel.broker.protocol.SecuredBroker.PAYMENTS_0;
import static dev.runnel.broker.protocol.SecuredBroker.PAYMENTS_ID;
import static dev.runnel.broker.protocol.SecuredBroker.acl;
import static dev.runnel.broker.protocol.SecuredBroker.allow;
import static dev.runnel.broker.protocol.SecuredBroker.allowPrefixed;
import static dev.runnel.broker.protocol.SecuredBroker.deny;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.DeleteRecordsRequestData;
import org.apache.kafka.common.message.DeleteRecordsResponseData;
import org.apache.kafka.common.message.DescribeClusterRequestData;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.DescribeProducersRequestData;
import org.apache.kafka.common.message.DescribeProducersResponseData;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.AclPermissionType;
import dev.runnel.broker.security.PatternType;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.common.TopicPartition;

/**
 * Kafka's authorization rules on the data path and in Metadata, over the wire: each request from
 * a SASL user is decided by the ACLs loaded into the broker's authorizer ({@link SecuredBroker}),
 * and what is refused answers Kafka's error in Kafka's place and changes nothing. The topic and
 * config admin APIs are {@link TopicAdminAuthorizationTest}'s, the group APIs
 * {@link GroupAuthorizationProtocolTest}'s, the transaction APIs
 * {@link TransactionAuthorizationProtocolTest}'s.
 */
class AuthorizationProtocolTest {

    private static final short PRODUCE_V = 9;
    private static final short FETCH_V = 12;
    private static final short METADATA_V = 10;
    /** The {@code *_authorized_operations} value that means "not asked for". */
    private static final int NOT_ASKED = Integer.MIN_VALUE;

    @TempDir
    Path root;

    private SecuredBroker broker;

    @BeforeEach
    void start() throws Exception {
        broker = new SecuredBroker(root, null, false);
    }

    @AfterEach
    void stop() throws Exception {
        broker.close();
    }

    // ---- Produce ----------------------------------------------------------------------------

    @Test
    void produceAppendsToTheTopicsThePrincipalMayWriteAndRefusesTheOthersWithoutAppending() {
        broker.acls(allow("alice", AclOperation.WRITE, ResourceType.TOPIC, "orders"));
        SecuredBroker.Connection alice = broker.connect("alice");

        ProduceResponseData answer = produce(alice, (short) 1, null, records("o"), "orders", "payments");

        assertThat(errors(answer)).containsExactly("orders-0:NONE", "payments-0:TOPIC_AUTHORIZATION_FAILED");
        assertThat(logEnd(ORDERS_0)).isEqualTo(1);
        assertThat(logEnd(PAYMENTS_0)).as("nothing appended").isZero();
        assertThat(broker.deniedLines()).singleElement().asString().contains("User:alice", "Denied", "WRITE",
                "payments");
    }

    @Test
    void aTopicThatDoesNotExistIsTopicAuthorizationFailedToWhomMayNotWriteIt() {
        broker.acls(allow("alice", AclOperation.WRITE, ResourceType.TOPIC, "orders"));

        ProduceResponseData answer = produce(broker.connect("alice"), (short) 1, null, records("o"), "ghost");

        assertThat(errors(answer)).containsExactly("ghost-0:TOPIC_AUTHORIZATION_FAILED");
    }

    @Test
    void anAcksZeroProduceToATopicThePrincipalMayNotWriteClosesTheConnection() {
        SecuredBroker.Connection alice = broker.connect("alice");

        alice.sendOneWay(ApiKeys.PRODUCE, PRODUCE_V, produceRequest((short) 0, null, records("o"), "orders"));

        assertThat(alice.isOpen()).isFalse();
        assertThat(logEnd(ORDERS_0)).isZero();
    }

    @Test
    void transactionalBatchesNeedWriteOnTheTransactionalIdOrTheWholeRequestIsRefused() {
        broker.acls(allow("alice", AclOperation.WRITE, ResourceType.TOPIC, "orders"));
        SecuredBroker.Connection alice = broker.connect("alice");
        MemoryRecords transactional = MemoryRecords.withTransactionalRecords(Compression.NONE, 77L, (short) 0, 0,
                simple("t"));

        ProduceResponseData refused = produce(alice, (short) -1, "tx-1", transactional, "orders", "payments");

        assertThat(errors(refused)).containsExactly("orders-0:TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
                "payments-0:TRANSACTIONAL_ID_AUTHORIZATION_FAILED");
        assertThat(logEnd(ORDERS_0)).isZero();
        assertThat(errors(produce(alice, (short) -1, null, transactional, "orders")))
                .as("transactional batches without a transactional id, as Kafka")
                .containsExactly("orders-0:TRANSACTIONAL_ID_AUTHORIZATION_FAILED");
    }

    @Test
    void anIdempotentProducerNeedsOnlyWriteOnItsTopics() {
        broker.acls(allow("alice", AclOperation.WRITE, ResourceType.TOPIC, "orders"));
        SecuredBroker.Connection alice = broker.connect("alice");

        InitProducerIdResponseData id = (InitProducerIdResponseData) alice.send(ApiKeys.INIT_PRODUCER_ID, (short) 4,
                new InitProducerIdRequestData().setTransactionalId(null).setTransactionTimeoutMs(60_000)
                        .setProducerId(-1).setProducerEpoch((short) -1));
        assertThat(Errors.forCode(id.errorCode())).as("KIP-679: WRITE on some topic is enough").isEqualTo(Errors.NONE);
        MemoryRecords idempotent = MemoryRecords.withIdempotentRecords(Compression.NONE, id.producerId(),
                id.producerEpoch(), 0, simple("i"));

        assertThat(errors(produce(alice, (short) -1, null, idempotent, "orders"))).containsExactly("orders-0:NONE");

        InitProducerIdResponseData refused = (InitProducerIdResponseData) broker.connect("bob").send(
                ApiKeys.INIT_PRODUCER_ID, (short) 4, new InitProducerIdRequestData().setTransactionalId(null)
                        .setTransactionTimeoutMs(60_000).setProducerId(-1).setProducerEpoch((short) -1));
        assertThat(Errors.forCode(refused.errorCode())).isEqualTo(Errors.CLUSTER_AUTHORIZATION_FAILED);
        assertThat(refused.producerId()).isEqualTo(-1);
    }

    @Test
    void idempotentWriteOnTheClusterAlsoLetsAProducerInitialize() {
        broker.acls(allow("bob", AclOperation.IDEMPOTENT_WRITE, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME));

        InitProducerIdResponseData id = (InitProducerIdResponseData) broker.connect("bob").send(
                ApiKeys.INIT_PRODUCER_ID, (short) 4, new InitProducerIdRequestData().setTransactionalId(null)
                        .setTransactionTimeoutMs(60_000).setProducerId(-1).setProducerEpoch((short) -1));

        assertThat(Errors.forCode(id.errorCode())).isEqualTo(Errors.NONE);
    }

    // ---- Fetch and the offset lookups -------------------------------------------------------

    @Test
    void fetchReadsTheTopicsAPrefixedAclAllowsAndRefusesTheOthers() {
        appendAsAdmin("orders", "payments");
        broker.acls(allowPrefixed("alice", AclOperation.READ, ResourceType.TOPIC, "ord"));

        FetchResponseData answer = fetch(broker.connect("alice"), "orders", "payments");

        assertThat(answer.responses()).extracting(t -> t.topic() + ":"
                + Errors.forCode(t.partitions().get(0).errorCode()) + ":" + t.partitions().get(0).records().sizeInBytes())
                .satisfiesExactly(o -> assertThat(o).startsWith("orders:NONE:").doesNotEndWith(":0"),
                        p -> assertThat(p).isEqualTo("payments:TOPIC_AUTHORIZATION_FAILED:0"));
    }

    @Test
    void aDenyBeatsAWildcardAllow() {
        appendAsAdmin("orders", "payments");
        broker.acls(acl("*", AclPermissionType.ALLOW, AclOperation.READ, ResourceType.TOPIC, "*", PatternType.LITERAL),
                deny("alice", AclOperation.READ, ResourceType.TOPIC, "payments"));

        assertThat(fetchErrors(fetch(broker.connect("alice"), "orders", "payments")))
                .containsExactly("orders:NONE", "payments:TOPIC_AUTHORIZATION_FAILED");
        assertThat(fetchErrors(fetch(broker.connect("bob"), "orders", "payments")))
                .containsExactly("orders:NONE", "payments:NONE");
    }

    @Test
    void aFollowerFetchFromAUserIsRefusedButTheBrokerItselfMayFetch() {
        appendAsAdmin("orders");
        broker.acls(allow("alice", AclOperation.CLUSTER_ACTION, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME),
                allow("alice", AclOperation.READ, ResourceType.TOPIC, "orders"));
        FetchResponseData fromAlice = (FetchResponseData) broker.connect("alice").send(ApiKeys.FETCH, FETCH_V,
                fetchRequest("orders").setReplicaId(SecuredBroker.FOLLOWER));
        FetchResponseData fromBroker = (FetchResponseData) broker.connectAsBroker(SecuredBroker.FOLLOWER).send(
                ApiKeys.FETCH, FETCH_V, fetchRequest("orders").setReplicaId(SecuredBroker.FOLLOWER));

        assertThat(fetchErrors(fromAlice)).as("only the broker it names may fetch as a replica")
                .containsExactly("orders:TOPIC_AUTHORIZATION_FAILED");
        assertThat(fetchErrors(fromBroker)).containsExactly("orders:NONE");
    }

    @Test
    void listOffsetsAndOffsetForLeaderEpochNeedDescribeOnTheTopic() {
        appendAsAdmin("orders", "payments");
        // READ implies DESCRIBE.
        broker.acls(allow("alice", AclOperation.READ, ResourceType.TOPIC, "orders"));
        SecuredBroker.Connection alice = broker.connect("alice");

        ListOffsetsRequestData list = new ListOffsetsRequestData().setReplicaId(-1);
        for (String topic : List.of("orders", "payments")) {
            list.topics().add(new ListOffsetsRequestData.ListOffsetsTopic().setName(topic).setPartitions(List.of(
                    new ListOffsetsRequestData.ListOffsetsPartition().setPartitionIndex(0).setTimestamp(-1))));
        }
        ListOffsetsResponseData offsets = (ListOffsetsResponseData) alice.send(ApiKeys.LIST_OFFSETS, (short) 7, list);
        assertThat(offsets.topics()).extracting(t -> t.name() + ":" + Errors.forCode(t.partitions().get(0).errorCode())
                + "@" + t.partitions().get(0).offset()).containsExactly("orders:NONE@1", "payments:TOPIC_AUTHORIZATION_FAILED@-1");

        OffsetForLeaderEpochRequestData.OffsetForLeaderTopicCollection topics =
                new OffsetForLeaderEpochRequestData.OffsetForLeaderTopicCollection();
        for (String topic : List.of("orders", "payments")) {
            topics.add(new OffsetForLeaderEpochRequestData.OffsetForLeaderTopic().setTopic(topic).setPartitions(List.of(
                    new OffsetForLeaderEpochRequestData.OffsetForLeaderPartition().setPartition(0)
                            .setCurrentLeaderEpoch(-1).setLeaderEpoch(0))));
        }
        OffsetForLeaderEpochResponseData epochs = (OffsetForLeaderEpochResponseData) alice.send(
                ApiKeys.OFFSET_FOR_LEADER_EPOCH, (short) 4, new OffsetForLeaderEpochRequestData().setReplicaId(-1)
                        .setTopics(topics));
        assertThat(epochs.topics()).extracting(t -> t.topic() + ":" + Errors.forCode(t.partitions().get(0).errorCode()))
                .containsExactly("orders:NONE", "payments:TOPIC_AUTHORIZATION_FAILED");
    }

    @Test
    void deleteRecordsNeedsDeleteOnTheTopicAndOtherwiseKeepsTheRecords() {
        appendAsAdmin("orders");
        broker.acls(allow("alice", AclOperation.READ, ResourceType.TOPIC, "orders"),
                allow("bob", AclOperation.DELETE, ResourceType.TOPIC, "orders"));
        DeleteRecordsRequestData delete = new DeleteRecordsRequestData().setTimeoutMs(1000).setTopics(List.of(
                new DeleteRecordsRequestData.DeleteRecordsTopic().setName("orders").setPartitions(List.of(
                        new DeleteRecordsRequestData.DeleteRecordsPartition().setPartitionIndex(0).setOffset(-1)))));

        DeleteRecordsResponseData.DeleteRecordsPartitionResult refused = ((DeleteRecordsResponseData) broker
                .connect("alice").send(ApiKeys.DELETE_RECORDS, (short) 2, delete)).topics().find("orders").partitions().find(0);
        assertThat(Errors.forCode(refused.errorCode())).isEqualTo(Errors.TOPIC_AUTHORIZATION_FAILED);
        assertThat(refused.lowWatermark()).isEqualTo(-1);
        assertThat(broker.replicas.partition(ORDERS_0).orElseThrow().log().logStartOffset()).isZero();

        DeleteRecordsResponseData.DeleteRecordsPartitionResult deleted = ((DeleteRecordsResponseData) broker
                .connect("bob").send(ApiKeys.DELETE_RECORDS, (short) 2, delete)).topics().find("orders").partitions().find(0);
        assertThat(Errors.forCode(deleted.errorCode())).isEqualTo(Errors.NONE);
        assertThat(deleted.lowWatermark()).isEqualTo(1);
    }

    @Test
    void describeProducersNeedsReadOnTheTopic() {
        broker.acls(allow("alice", AclOperation.DESCRIBE, ResourceType.TOPIC, "orders"),
                allow("bob", AclOperation.READ, ResourceType.TOPIC, "orders"));
        DescribeProducersRequestData request = new DescribeProducersRequestData();
        request.topics().add(new DescribeProducersRequestData.TopicRequest().setName("orders")
                .setPartitionIndexes(List.of(0, 1)));

        DescribeProducersResponseData refused = (DescribeProducersResponseData) broker.connect("alice").send(
                ApiKeys.DESCRIBE_PRODUCERS, (short) 0, request);
        DescribeProducersResponseData described = (DescribeProducersResponseData) broker.connect("bob").send(
                ApiKeys.DESCRIBE_PRODUCERS, (short) 0, request);

        assertThat(refused.topics().get(0).partitions()).extracting(p -> Errors.forCode(p.errorCode()))
                .containsExactly(Errors.TOPIC_AUTHORIZATION_FAILED, Errors.TOPIC_AUTHORIZATION_FAILED);
        assertThat(described.topics().get(0).partitions()).extracting(p -> Errors.forCode(p.errorCode()))
                .containsExactly(Errors.NONE, Errors.NONE);
    }

    // ---- Metadata and DescribeCluster -------------------------------------------------------

    @Test
    void theListingOfAllTopicsLeavesOutWhatThePrincipalMayNotDescribeWithoutLoggingDenials() {
        broker.acls(allow("alice", AclOperation.DESCRIBE, ResourceType.TOPIC, "orders"),
                allowPrefixed("alice", AclOperation.WRITE, ResourceType.TOPIC, "pay"));

        MetadataResponseData all = metadata(broker.connect("alice"), new MetadataRequestData().setTopics(null));

        assertThat(all.topics()).extracting(MetadataResponseData.MetadataResponseTopic::name)
                .containsExactly("orders", "payments");
        assertThat(broker.deniedLines()).as("a listing logs no denials").isEmpty();
    }

    @Test
    void aTopicAskedForByNameThatThePrincipalMayNotDescribeIsRefusedWhetherOrNotItExists() {
        broker.acls(allow("alice", AclOperation.DESCRIBE, ResourceType.TOPIC, "orders"));

        MetadataResponseData answer = metadata(broker.connect("alice"), byName("orders", "secrets", "ghost"));

        assertThat(answer.topics()).extracting(t -> t.name() + ":" + Errors.forCode(t.errorCode()))
                .containsExactly("orders:NONE", "secrets:TOPIC_AUTHORIZATION_FAILED", "ghost:TOPIC_AUTHORIZATION_FAILED");
        MetadataResponseData.MetadataResponseTopic secrets = answer.topics().find("secrets");
        assertThat(secrets.partitions()).isEmpty();
        assertThat(secrets.topicId()).as("no id given away").isEqualTo(Uuid.ZERO_UUID);
        assertThat(broker.deniedLines()).hasSize(2);
    }

    @Test
    void aTopicAskedForByIdThatThePrincipalMayNotDescribeKeepsItsIdButNotItsName() {
        MetadataRequestData request = new MetadataRequestData();
        request.topics().add(new MetadataRequestData.MetadataRequestTopic().setName(null).setTopicId(wire(PAYMENTS_ID)));

        MetadataResponseData answer = (MetadataResponseData) broker.connect("alice").send(ApiKeys.METADATA,
                (short) 12, request);

        MetadataResponseData.MetadataResponseTopic payments = answer.topics().iterator().next();
        assertThat(Errors.forCode(payments.errorCode())).isEqualTo(Errors.TOPIC_AUTHORIZATION_FAILED);
        assertThat(payments.name()).isNull();
        assertThat(payments.topicId()).isEqualTo(wire(PAYMENTS_ID));
    }

    @Test
    void authorizedOperationsAreFilledInOnlyWhenAskedFor() {
        broker.acls(allow("alice", AclOperation.READ, ResourceType.TOPIC, "orders"),
                allow("alice", AclOperation.WRITE, ResourceType.TOPIC, "orders"));
        SecuredBroker.Connection alice = broker.connect("alice");

        MetadataResponseData asked = metadata(alice, byName("orders", "secrets")
                .setIncludeTopicAuthorizedOperations(true).setIncludeClusterAuthorizedOperations(true));
        MetadataResponseData notAsked = metadata(alice, byName("orders"));

        assertThat(asked.topics().find("orders").topicAuthorizedOperations())
                .isEqualTo(bits(AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE));
        assertThat(asked.topics().find("secrets").topicAuthorizedOperations()).as("refused: left at its default")
                .isEqualTo(NOT_ASKED);
        assertThat(asked.clusterAuthorizedOperations()).as("no DESCRIBE on the cluster: none").isZero();
        assertThat(notAsked.topics().find("orders").topicAuthorizedOperations()).isEqualTo(NOT_ASKED);
        assertThat(notAsked.clusterAuthorizedOperations()).isEqualTo(NOT_ASKED);

        broker.acls(allow("alice", AclOperation.DESCRIBE, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME),
                allow("alice", AclOperation.IDEMPOTENT_WRITE, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME));
        assertThat(metadata(alice, byName().setIncludeClusterAuthorizedOperations(true)).clusterAuthorizedOperations())
                .isEqualTo(bits(AclOperation.DESCRIBE, AclOperation.IDEMPOTENT_WRITE));
        DescribeClusterResponseData cluster = (DescribeClusterResponseData) alice.send(ApiKeys.DESCRIBE_CLUSTER,
                (short) 1, new DescribeClusterRequestData().setEndpointType((byte) 1)
                        .setIncludeClusterAuthorizedOperations(true));
        assertThat(cluster.clusterAuthorizedOperations()).isEqualTo(bits(AclOperation.DESCRIBE,
                AclOperation.IDEMPOTENT_WRITE));
    }

    @Test
    void describeClusterNeedsNoPermissionButTellsNoOperationsWithoutDescribe() {
        DescribeClusterResponseData cluster = (DescribeClusterResponseData) broker.connect("alice").send(
                ApiKeys.DESCRIBE_CLUSTER, (short) 1, new DescribeClusterRequestData().setEndpointType((byte) 1)
                        .setIncludeClusterAuthorizedOperations(true));

        assertThat(cluster.errorCode()).isZero();
        assertThat(cluster.brokers()).hasSize(2);
        assertThat(cluster.clusterAuthorizedOperations()).isZero();
    }

    // ---- super users, brokers, no authorizer ------------------------------------------------

    @Test
    void aSuperUserMayDoEverythingWithoutAnyAcl() {
        SecuredBroker.Connection admin = broker.connect(SecuredBroker.ADMIN_USER);

        assertThat(errors(produce(admin, (short) 1, null, records("a"), "orders", "secrets")))
                .containsExactly("orders-0:NONE", "secrets-0:NONE");
        MetadataResponseData all = metadata(admin, new MetadataRequestData().setTopics(null)
                .setIncludeClusterAuthorizedOperations(true));
        assertThat(all.topics()).hasSize(5);
        assertThat(all.clusterAuthorizedOperations()).isEqualTo(bits(AclOperation.CREATE, AclOperation.CLUSTER_ACTION,
                AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS, AclOperation.IDEMPOTENT_WRITE,
                AclOperation.ALTER, AclOperation.DESCRIBE));
    }

    @Test
    void aBrokerMayDoEverythingWithoutAnyAcl() {
        SecuredBroker.Connection broker2 = broker.connectAsBroker(2);

        assertThat(errors(produce(broker2, (short) 1, null, records("b"), "secrets"))).containsExactly("secrets-0:NONE");
        assertThat(metadata(broker2, new MetadataRequestData().setTopics(null)).topics()).hasSize(5);
    }

    @Test
    void withoutAnAuthorizerEverythingIsAllowed() {
        SecuredBroker.Connection alice = broker.connectWithoutAuthorizer("alice");

        assertThat(errors(produce(alice, (short) 1, null, records("a"), "orders", "secrets")))
                .containsExactly("orders-0:NONE", "secrets-0:NONE");
        assertThat(fetchErrors(fetch(alice, "orders", "secrets"))).containsExactly("orders:NONE", "secrets:NONE");
        MetadataResponseData all = metadata(alice, new MetadataRequestData().setTopics(null)
                .setIncludeTopicAuthorizedOperations(true));
        assertThat(all.topics()).hasSize(5);
        assertThat(all.topics().find("orders").topicAuthorizedOperations()).as("every topic operation")
                .isEqualTo(bits(AclOperation.READ, AclOperation.WRITE, AclOperation.CREATE, AclOperation.DESCRIBE,
                        AclOperation.DELETE, AclOperation.ALTER, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS));
        assertThat(broker.deniedLines()).isEmpty();
    }

    // ---- helpers ----------------------------------------------------------------------------

    private long logEnd(TopicPartition tp) {
        return broker.replicas.partition(tp).orElseThrow().log().logEndOffset();
    }

    /** One record in each topic's partition 0, produced by the super user. */
    private void appendAsAdmin(String... topics) {
        assertThat(errors(produce(broker.connect(SecuredBroker.ADMIN_USER), (short) 1, null, records("x"), topics)))
                .allMatch(e -> e.endsWith(":NONE"));
    }

    private static SimpleRecord[] simple(String... values) {
        return Arrays.stream(values).map(v -> new SimpleRecord(1_000L, v.getBytes(StandardCharsets.UTF_8),
                v.getBytes(StandardCharsets.UTF_8))).toArray(SimpleRecord[]::new);
    }

    private static MemoryRecords records(String... values) {
        return MemoryRecords.withRecords(Compression.NONE, simple(values));
    }

    static ProduceRequestData produceRequest(short acks, String transactionalId, MemoryRecords records,
            String... topics) {
        ProduceRequestData.TopicProduceDataCollection data = new ProduceRequestData.TopicProduceDataCollection();
        for (String topic : topics) {
            data.add(new ProduceRequestData.TopicProduceData().setName(topic).setPartitionData(List.of(
                    new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(records))));
        }
        return new ProduceRequestData().setAcks(acks).setTimeoutMs(1000).setTransactionalId(transactionalId)
                .setTopicData(data);
    }

    private static ProduceResponseData produce(SecuredBroker.Connection via, short acks, String transactionalId,
            MemoryRecords records, String... topics) {
        return (ProduceResponseData) via.send(ApiKeys.PRODUCE, PRODUCE_V,
                produceRequest(acks, transactionalId, records, topics));
    }

    /** "topic-partition:ERROR" for each partition of the answer, in order. */
    private static List<String> errors(ProduceResponseData answer) {
        List<String> errors = new ArrayList<>();
        answer.responses().forEach(t -> t.partitionResponses().forEach(p -> errors.add(t.name() + "-" + p.index()
                + ":" + Errors.forCode(p.errorCode()))));
        return errors;
    }

    private static FetchRequestData fetchRequest(String... topics) {
        List<FetchRequestData.FetchTopic> wanted = new ArrayList<>();
        for (String topic : topics) {
            wanted.add(new FetchRequestData.FetchTopic().setTopic(topic).setPartitions(List.of(
                    new FetchRequestData.FetchPartition().setPartition(0).setFetchOffset(0).setPartitionMaxBytes(1 << 20))));
        }
        return new FetchRequestData().setReplicaId(-1).setMaxWaitMs(0).setMinBytes(1).setMaxBytes(4 << 20)
                .setTopics(wanted);
    }

    private static FetchResponseData fetch(SecuredBroker.Connection via, String... topics) {
        return (FetchResponseData) via.send(ApiKeys.FETCH, FETCH_V, fetchRequest(topics));
    }

    private static List<String> fetchErrors(FetchResponseData answer) {
        return answer.responses().stream().map(t -> t.topic() + ":" + Errors.forCode(t.partitions().get(0).errorCode()))
                .toList();
    }

    private static MetadataRequestData byName(String... topics) {
        MetadataRequestData request = new MetadataRequestData().setAllowAutoTopicCreation(false);
        for (String topic : topics) {
            request.topics().add(new MetadataRequestData.MetadataRequestTopic().setName(topic));
        }
        return request;
    }

    private static MetadataResponseData metadata(SecuredBroker.Connection via, MetadataRequestData request) {
        return (MetadataResponseData) via.send(ApiKeys.METADATA, METADATA_V, request);
    }

    static int bits(AclOperation... operations) {
        int bits = 0;
        for (AclOperation operation : operations) {
            bits |= 1 << operation.code();
        }
        return bits;
    }

    private static Uuid wire(UUID id) {
        return new Uuid(id.getMostSignificantBits(), id.getLeastSignificantBits());
    }
}
