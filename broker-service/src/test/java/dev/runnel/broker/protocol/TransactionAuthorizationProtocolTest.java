package dev.runnel.broker.protocol;

import static dev.runnel.broker.protocol.SecuredBroker.ORDERS_0;
import static dev.runnel.broker.protocol.SecuredBroker.allow;
import static dev.runnel.broker.protocol.SecuredBroker.allowPrefixed;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.message.AddOffsetsToTxnRequestData;
import org.apache.kafka.common.message.AddOffsetsToTxnResponseData;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData;
import org.apache.kafka.common.message.DescribeTransactionsRequestData;
import org.apache.kafka.common.message.DescribeTransactionsResponseData;
import org.apache.kafka.common.message.EndTxnRequestData;
import org.apache.kafka.common.message.EndTxnResponseData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.message.ListTransactionsRequestData;
import org.apache.kafka.common.message.ListTransactionsResponseData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.TxnOffsetCommitRequestData;
import org.apache.kafka.common.message.TxnOffsetCommitResponseData;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.cluster.InternalTopics;

/**
 * The transaction APIs under Kafka's authorization rules, over the wire ({@link SecuredBroker}):
 * a transactional id needs WRITE to be used and DESCRIBE to be seen, and a refused request leaves
 * the transaction as it was.
 */
class TransactionAuthorizationProtocolTest {

    @TempDir
    Path root;

    private SecuredBroker broker;
    private SecuredBroker.Connection admin;

    @BeforeEach
    void start() throws Exception {
        broker = new SecuredBroker(root, null, false);
        admin = broker.connect(SecuredBroker.ADMIN_USER);
    }

    @AfterEach
    void stop() throws Exception {
        broker.close();
    }

    @Test
    void initProducerIdWithATransactionalIdNeedsWriteOnIt() {
        broker.acls(allowPrefixed("alice", AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, "tx-"));
        SecuredBroker.Connection alice = broker.connect("alice");

        assertThat(Errors.forCode(init(alice, "tx-1").errorCode())).isEqualTo(Errors.NONE);
        InitProducerIdResponseData refused = init(alice, "other");
        assertThat(Errors.forCode(refused.errorCode())).isEqualTo(Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
        assertThat(refused.producerId()).isEqualTo(-1);
        assertThat(Errors.forCode(init(alice, "").errorCode())).as("decided before the id is looked at, as Kafka")
                .isEqualTo(Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    }

    @Test
    void addPartitionsToTxnNeedsWriteOnTheIdAndOnEveryTopicAndAddsNothingWhenOneIsRefused() {
        broker.acls(allow("alice", AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, "tx-1"),
                allow("alice", AclOperation.WRITE, ResourceType.TOPIC, "orders"));
        SecuredBroker.Connection alice = broker.connect("alice");
        InitProducerIdResponseData producer = init(alice, "tx-1");

        assertThat(addPartitions(alice, "tx-1", producer, "orders", "payments"))
                .containsExactly("orders-0:OPERATION_NOT_ATTEMPTED", "payments-0:TOPIC_AUTHORIZATION_FAILED");
        assertThat(describe(admin, "tx-1").topics()).as("nothing added").isEmpty();
        assertThat(addPartitions(broker.connect("bob"), "tx-1", producer, "orders"))
                .containsExactly("orders-0:TRANSACTIONAL_ID_AUTHORIZATION_FAILED");

        assertThat(addPartitions(alice, "tx-1", producer, "orders")).containsExactly("orders-0:NONE");
        assertThat(describe(admin, "tx-1").topics()).extracting(DescribeTransactionsResponseData.TopicData::topic)
                .containsExactly("orders");
    }

    @Test
    void aProducerMayNeverAddAnInternalTopicToItsTransaction() {
        broker.acls(allow("alice", AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, "tx-1"),
                allow("alice", AclOperation.WRITE, ResourceType.TOPIC, "*"));
        SecuredBroker.Connection alice = broker.connect("alice");

        assertThat(addPartitions(alice, "tx-1", init(alice, "tx-1"), InternalTopics.CONSUMER_OFFSETS))
                .containsExactly("__consumer_offsets-0:TOPIC_AUTHORIZATION_FAILED");
    }

    @Test
    void theBatchedAddPartitionsToTxnIsForBrokersAndWhomMayClusterAction() {
        InitProducerIdResponseData producer = init(admin, "tx-1");
        AddPartitionsToTxnRequestData.AddPartitionsToTxnTopicCollection topics =
                new AddPartitionsToTxnRequestData.AddPartitionsToTxnTopicCollection();
        topics.add(new AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic().setName("orders").setPartitions(List.of(0)));
        AddPartitionsToTxnRequestData.AddPartitionsToTxnTransactionCollection transactions =
                new AddPartitionsToTxnRequestData.AddPartitionsToTxnTransactionCollection();
        transactions.add(new AddPartitionsToTxnRequestData.AddPartitionsToTxnTransaction().setTransactionalId("tx-1")
                .setProducerId(producer.producerId()).setProducerEpoch(producer.producerEpoch()).setVerifyOnly(true)
                .setTopics(topics));
        AddPartitionsToTxnRequestData batched = new AddPartitionsToTxnRequestData().setTransactions(transactions);

        AddPartitionsToTxnResponseData byAlice = (AddPartitionsToTxnResponseData) broker.connect("alice").send(
                ApiKeys.ADD_PARTITIONS_TO_TXN, (short) 4, batched);
        broker.acls(allow("bob", AclOperation.CLUSTER_ACTION, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME));
        AddPartitionsToTxnResponseData byBob = (AddPartitionsToTxnResponseData) broker.connect("bob").send(
                ApiKeys.ADD_PARTITIONS_TO_TXN, (short) 4, batched);
        AddPartitionsToTxnResponseData byBroker = (AddPartitionsToTxnResponseData) broker.connectAsBroker(2).send(
                ApiKeys.ADD_PARTITIONS_TO_TXN, (short) 4, batched);

        assertThat(Errors.forCode(byAlice.errorCode())).isEqualTo(Errors.CLUSTER_AUTHORIZATION_FAILED);
        assertThat(byAlice.resultsByTransaction()).isEmpty();
        assertThat(Errors.forCode(byBob.errorCode())).isEqualTo(Errors.NONE);
        assertThat(byBob.resultsByTransaction()).hasSize(1);
        assertThat(Errors.forCode(byBroker.errorCode())).isEqualTo(Errors.NONE);
    }

    @Test
    void addOffsetsToTxnNeedsWriteOnTheIdThenReadOnTheGroupAndEndTxnWriteOnTheId() {
        InitProducerIdResponseData producer = init(admin, "tx-1");
        broker.acls(allow("alice", AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, "tx-1"),
                allow("bob", AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, "tx-1"),
                allow("bob", AclOperation.READ, ResourceType.GROUP, "g"));

        assertThat(addOffsets(broker.connect("carol"), producer)).isEqualTo(Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
        assertThat(addOffsets(broker.connect("alice"), producer)).isEqualTo(Errors.GROUP_AUTHORIZATION_FAILED);
        assertThat(describe(admin, "tx-1").topics()).as("nothing added").isEmpty();
        assertThat(addOffsets(broker.connect("bob"), producer)).isEqualTo(Errors.NONE);

        EndTxnRequestData end = new EndTxnRequestData().setTransactionalId("tx-1").setProducerId(producer.producerId())
                .setProducerEpoch(producer.producerEpoch()).setCommitted(true);
        EndTxnResponseData refused = (EndTxnResponseData) broker.connect("carol").send(ApiKeys.END_TXN, (short) 3, end);
        assertThat(Errors.forCode(refused.errorCode())).isEqualTo(Errors.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
        assertThat(describe(admin, "tx-1").transactionState()).isEqualTo("Ongoing");
        EndTxnResponseData ended = (EndTxnResponseData) broker.connect("alice").send(ApiKeys.END_TXN, (short) 3, end);
        assertThat(Errors.forCode(ended.errorCode())).isEqualTo(Errors.NONE);
    }

    @Test
    void txnOffsetCommitNeedsWriteOnTheIdReadOnTheGroupAndReadOnEachTopic() {
        InitProducerIdResponseData producer = init(admin, "tx-1");
        broker.acls(allow("alice", AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, "tx-1"),
                allow("alice", AclOperation.READ, ResourceType.GROUP, "g"),
                allow("alice", AclOperation.READ, ResourceType.TOPIC, "orders"),
                allow("bob", AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, "tx-1"));
        assertThat(addOffsets(admin, producer)).isEqualTo(Errors.NONE);

        assertThat(txnOffsetCommit(broker.connect("carol"), producer))
                .containsExactly("orders:TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
                        "payments:TRANSACTIONAL_ID_AUTHORIZATION_FAILED");
        assertThat(txnOffsetCommit(broker.connect("bob"), producer))
                .containsExactly("orders:GROUP_AUTHORIZATION_FAILED", "payments:GROUP_AUTHORIZATION_FAILED");
        assertThat(txnOffsetCommit(broker.connect("alice"), producer))
                .containsExactly("orders:NONE", "payments:TOPIC_AUTHORIZATION_FAILED");

        OffsetFetchRequestData stable = new OffsetFetchRequestData().setGroupId("g").setRequireStable(true).setTopics(
                List.of(new OffsetFetchRequestData.OffsetFetchRequestTopic().setName("orders").setPartitionIndexes(List.of(0)),
                        new OffsetFetchRequestData.OffsetFetchRequestTopic().setName("payments")
                                .setPartitionIndexes(List.of(0))));
        OffsetFetchResponseData pending = (OffsetFetchResponseData) admin.send(ApiKeys.OFFSET_FETCH, (short) 7, stable);
        assertThat(pending.topics()).extracting(t -> t.name() + ":" + Errors.forCode(t.partitions().get(0).errorCode()))
                .as("only the authorized offset is in the transaction")
                .containsExactly("orders:UNSTABLE_OFFSET_COMMIT", "payments:NONE");
    }

    @Test
    void writeTxnMarkersNeedsClusterActionOrAlterOnTheClusterAndOtherwiseWritesNothing() {
        broker.acls(allow("bob", AclOperation.ALTER, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME));
        long logEnd = broker.replicas.partition(ORDERS_0).orElseThrow().log().logEndOffset();

        assertThat(writeMarker(broker.connect("alice"))).containsExactly("orders-0:CLUSTER_AUTHORIZATION_FAILED");
        assertThat(broker.replicas.partition(ORDERS_0).orElseThrow().log().logEndOffset()).isEqualTo(logEnd);

        assertThat(writeMarker(broker.connect("bob"))).as("ALTER on the cluster: kafka-transactions abort (KIP-664)")
                .containsExactly("orders-0:NONE");
        assertThat(writeMarker(broker.connectAsBroker(2))).containsExactly("orders-0:NONE");
        assertThat(writeMarker(broker.connectWithoutAuthorizer("alice"))).containsExactly("orders-0:NONE");
    }

    @Test
    void describeAndListTransactionsShowOnlyWhatThePrincipalMayDescribe() {
        for (String id : List.of("tx-1", "tx-2")) {
            assertThat(addPartitions(admin, id, init(admin, id), "orders", "payments"))
                    .containsExactly("orders-0:NONE", "payments-0:NONE");
        }
        broker.acls(allow("alice", AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, "tx-1"),
                allow("alice", AclOperation.DESCRIBE, ResourceType.TOPIC, "orders"));
        SecuredBroker.Connection alice = broker.connect("alice");

        DescribeTransactionsResponseData described = (DescribeTransactionsResponseData) alice.send(
                ApiKeys.DESCRIBE_TRANSACTIONS, (short) 0, new DescribeTransactionsRequestData()
                        .setTransactionalIds(List.of("tx-1", "tx-2")));
        ListTransactionsResponseData listed = (ListTransactionsResponseData) alice.send(ApiKeys.LIST_TRANSACTIONS,
                (short) 1, new ListTransactionsRequestData().setDurationFilter(-1));

        assertThat(described.transactionStates()).extracting(s -> s.transactionalId() + ":"
                + Errors.forCode(s.errorCode())).containsExactly("tx-1:NONE", "tx-2:TRANSACTIONAL_ID_AUTHORIZATION_FAILED");
        assertThat(described.transactionStates().get(0).topics()).as("only the topics alice may describe")
                .extracting(DescribeTransactionsResponseData.TopicData::topic).containsExactly("orders");
        DescribeTransactionsResponseData.TransactionState tx2 = described.transactionStates().get(1);
        assertThat(tx2.transactionState() + "/" + tx2.producerId() + "/" + tx2.topics()).as("nothing told of tx-2")
                .isEqualTo("/0/[]");
        assertThat(listed.transactionStates()).extracting(ListTransactionsResponseData.TransactionState::transactionalId)
                .containsExactly("tx-1");
    }

    // ---- helpers ----------------------------------------------------------------------------

    private static InitProducerIdResponseData init(SecuredBroker.Connection via, String transactionalId) {
        return (InitProducerIdResponseData) via.send(ApiKeys.INIT_PRODUCER_ID, (short) 4, new InitProducerIdRequestData()
                .setTransactionalId(transactionalId).setTransactionTimeoutMs(60_000).setProducerId(-1)
                .setProducerEpoch((short) -1));
    }

    /** AddPartitionsToTxn v3 of partition 0 of each topic: "topic-0:ERROR" for each, by topic. */
    private static List<String> addPartitions(SecuredBroker.Connection via, String transactionalId,
            InitProducerIdResponseData producer, String... topics) {
        AddPartitionsToTxnRequestData.AddPartitionsToTxnTopicCollection wanted =
                new AddPartitionsToTxnRequestData.AddPartitionsToTxnTopicCollection();
        for (String topic : topics) {
            wanted.add(new AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic().setName(topic).setPartitions(List.of(0)));
        }
        AddPartitionsToTxnResponseData answer = (AddPartitionsToTxnResponseData) via.send(ApiKeys.ADD_PARTITIONS_TO_TXN,
                (short) 3, new AddPartitionsToTxnRequestData().setV3AndBelowTransactionalId(transactionalId)
                        .setV3AndBelowProducerId(producer.producerId()).setV3AndBelowProducerEpoch(producer.producerEpoch())
                        .setV3AndBelowTopics(wanted));
        List<String> errors = new ArrayList<>();
        answer.resultsByTopicV3AndBelow().forEach(t -> t.resultsByPartition().forEach(p -> errors.add(t.name() + "-"
                + p.partitionIndex() + ":" + Errors.forCode(p.partitionErrorCode()))));
        errors.sort(null);
        return errors;
    }

    private static DescribeTransactionsResponseData.TransactionState describe(SecuredBroker.Connection via,
            String transactionalId) {
        DescribeTransactionsResponseData answer = (DescribeTransactionsResponseData) via.send(
                ApiKeys.DESCRIBE_TRANSACTIONS, (short) 0, new DescribeTransactionsRequestData()
                        .setTransactionalIds(List.of(transactionalId)));
        return answer.transactionStates().get(0);
    }

    private static Errors addOffsets(SecuredBroker.Connection via, InitProducerIdResponseData producer) {
        AddOffsetsToTxnResponseData answer = (AddOffsetsToTxnResponseData) via.send(ApiKeys.ADD_OFFSETS_TO_TXN,
                (short) 3, new AddOffsetsToTxnRequestData().setTransactionalId("tx-1").setProducerId(producer.producerId())
                        .setProducerEpoch(producer.producerEpoch()).setGroupId("g"));
        return Errors.forCode(answer.errorCode());
    }

    /** TxnOffsetCommit v3 of tx-1 for group g, offset 5 on orders-0 and payments-0: "topic:ERROR" for each. */
    private static List<String> txnOffsetCommit(SecuredBroker.Connection via, InitProducerIdResponseData producer) {
        TxnOffsetCommitRequestData request = new TxnOffsetCommitRequestData().setTransactionalId("tx-1")
                .setGroupId("g").setProducerId(producer.producerId()).setProducerEpoch(producer.producerEpoch())
                .setGenerationIdOrMemberEpoch(-1).setMemberId("");
        for (String topic : List.of("orders", "payments")) {
            request.topics().add(new TxnOffsetCommitRequestData.TxnOffsetCommitRequestTopic().setName(topic)
                    .setPartitions(List.of(new TxnOffsetCommitRequestData.TxnOffsetCommitRequestPartition()
                            .setPartitionIndex(0).setCommittedOffset(5))));
        }
        TxnOffsetCommitResponseData answer = (TxnOffsetCommitResponseData) via.send(ApiKeys.TXN_OFFSET_COMMIT,
                (short) 3, request);
        return answer.topics().stream().map(t -> t.name() + ":" + Errors.forCode(t.partitions().get(0).errorCode()))
                .toList();
    }

    /** A COMMIT marker of a producer that has no transaction, for orders-0: "orders-0:ERROR". */
    private static List<String> writeMarker(SecuredBroker.Connection via) {
        WriteTxnMarkersRequestData request = new WriteTxnMarkersRequestData().setMarkers(List.of(
                new WriteTxnMarkersRequestData.WritableTxnMarker().setProducerId(4242).setProducerEpoch((short) 0)
                        .setTransactionResult(true).setCoordinatorEpoch(0).setTopics(List.of(
                                new WriteTxnMarkersRequestData.WritableTxnMarkerTopic().setName("orders")
                                        .setPartitionIndexes(List.of(0))))));
        WriteTxnMarkersResponseData answer = (WriteTxnMarkersResponseData) via.send(ApiKeys.WRITE_TXN_MARKERS,
                (short) 1, request);
        List<String> errors = new ArrayList<>();
        answer.markers().forEach(m -> m.topics().forEach(t -> t.partitions().forEach(p -> errors.add(t.name() + "-"
                + p.partitionIndex() + ":" + Errors.forCode(p.errorCode())))));
        return errors;
    }
}
