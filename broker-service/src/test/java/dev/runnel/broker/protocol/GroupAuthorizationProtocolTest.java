package dev.runnel.broker.protocol;

import static dev.runnel.broker.protocol.AuthorizationProtocolTest.bits;
import static dev.runnel.broker.protocol.SecuredBroker.allow;
import static dev.runnel.broker.protocol.SecuredBroker.allowPrefixed;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.kafka.common.message.DeleteGroupsRequestData;
import org.apache.kafka.common.message.DeleteGroupsResponseData;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.ListGroupsRequestData;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.OffsetDeleteResponseData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.ResourceType;

/**
 * FindCoordinator and the consumer-group APIs under Kafka's authorization rules, over the wire
 * ({@link SecuredBroker}): what a principal may not do to a group or a topic is refused with
 * Kafka's error and leaves the group and its offsets as they were; listings leave out what it may
 * not see.
 */
class GroupAuthorizationProtocolTest {

    private static final byte GROUP_KEY = 0;
    private static final byte TRANSACTION_KEY = 1;

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

    // ---- FindCoordinator --------------------------------------------------------------------

    @Test
    void theCoordinatorOfAGroupOrTransactionalIdIsToldOnlyToWhomMayDescribeIt() {
        broker.acls(allow("alice", AclOperation.DESCRIBE, ResourceType.GROUP, "g1"),
                allow("alice", AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, "tx1"));
        SecuredBroker.Connection alice = broker.connect("alice");

        FindCoordinatorResponseData groups = (FindCoordinatorResponseData) alice.send(ApiKeys.FIND_COORDINATOR,
                (short) 4, new FindCoordinatorRequestData().setKeyType(GROUP_KEY).setCoordinatorKeys(List.of("g1", "g2")));
        FindCoordinatorResponseData ids = (FindCoordinatorResponseData) alice.send(ApiKeys.FIND_COORDINATOR,
                (short) 4, new FindCoordinatorRequestData().setKeyType(TRANSACTION_KEY)
                        .setCoordinatorKeys(List.of("tx1", "tx2")));
        FindCoordinatorResponseData old = (FindCoordinatorResponseData) alice.send(ApiKeys.FIND_COORDINATOR,
                (short) 3, new FindCoordinatorRequestData().setKeyType(GROUP_KEY).setKey("g2"));

        assertThat(groups.coordinators()).extracting(c -> c.key() + ":" + Errors.forCode(c.errorCode()) + "@" + c.nodeId())
                .containsExactly("g1:NONE@1", "g2:GROUP_AUTHORIZATION_FAILED@-1");
        assertThat(ids.coordinators()).extracting(c -> c.key() + ":" + Errors.forCode(c.errorCode()))
                .containsExactly("tx1:NONE", "tx2:TRANSACTIONAL_ID_AUTHORIZATION_FAILED");
        assertThat(Errors.forCode(old.errorCode())).isEqualTo(Errors.GROUP_AUTHORIZATION_FAILED);
        assertThat(old.errorMessage()).isEqualTo(Errors.GROUP_AUTHORIZATION_FAILED.message());
        assertThat(old.nodeId()).isEqualTo(-1);
    }

    // ---- membership -------------------------------------------------------------------------

    @Test
    void theMembershipApisNeedReadOnTheGroupAndARefusedJoinCreatesNoGroup() {
        broker.acls(allow("alice", AclOperation.DESCRIBE, ResourceType.GROUP, "g1"),
                allow("bob", AclOperation.READ, ResourceType.GROUP, "g1"));
        SecuredBroker.Connection alice = broker.connect("alice");

        assertThat(Errors.forCode(join(alice, "g1").errorCode())).isEqualTo(Errors.GROUP_AUTHORIZATION_FAILED);
        assertThat(Errors.forCode(((SyncGroupResponseData) alice.send(ApiKeys.SYNC_GROUP, (short) 5,
                new SyncGroupRequestData().setGroupId("g1").setGenerationId(1).setMemberId("m")
                        .setProtocolType("consumer").setProtocolName("range"))).errorCode()))
                .isEqualTo(Errors.GROUP_AUTHORIZATION_FAILED);
        assertThat(Errors.forCode(((HeartbeatResponseData) alice.send(ApiKeys.HEARTBEAT, (short) 4,
                new HeartbeatRequestData().setGroupId("g1").setGenerationId(1).setMemberId("m"))).errorCode()))
                .isEqualTo(Errors.GROUP_AUTHORIZATION_FAILED);
        LeaveGroupRequestData leave = new LeaveGroupRequestData().setGroupId("g1");
        leave.members().add(new LeaveGroupRequestData.MemberIdentity().setMemberId("m"));
        assertThat(Errors.forCode(((LeaveGroupResponseData) alice.send(ApiKeys.LEAVE_GROUP, (short) 5, leave))
                .errorCode())).isEqualTo(Errors.GROUP_AUTHORIZATION_FAILED);
        assertThat(listGroups(admin)).as("nothing was created").isEmpty();

        JoinGroupResponseData joined = join(broker.connect("bob"), "g1");
        assertThat(Errors.forCode(joined.errorCode())).as("a first join is told its member id (KIP-394)")
                .isEqualTo(Errors.MEMBER_ID_REQUIRED);
    }

    // ---- offsets ----------------------------------------------------------------------------

    @Test
    void offsetCommitNeedsReadOnTheGroupAndOnEachTopicAndCommitsNothingRefused() {
        broker.acls(allow("alice", AclOperation.READ, ResourceType.GROUP, "g"),
                allow("alice", AclOperation.READ, ResourceType.TOPIC, "orders"));

        OffsetCommitResponseData byAlice = commit(broker.connect("alice"), "g", Map.of("orders", 5L, "payments", 6L));
        OffsetCommitResponseData byBob = commit(broker.connect("bob"), "g", Map.of("orders", 7L));

        assertThat(commitErrors(byAlice)).containsExactly("orders:NONE", "payments:TOPIC_AUTHORIZATION_FAILED");
        assertThat(commitErrors(byBob)).containsExactly("orders:GROUP_AUTHORIZATION_FAILED");
        assertThat(fetchOffsets(admin, "g", null)).containsExactly("orders-0:NONE@5");
    }

    @Test
    void offsetFetchNeedsDescribeOnTheGroupAndHidesTheTopicsThePrincipalMayNotDescribe() {
        commit(admin, "g", Map.of("orders", 5L, "payments", 6L));
        commit(admin, "h", Map.of("orders", 1L));
        broker.acls(allow("alice", AclOperation.DESCRIBE, ResourceType.GROUP, "g"),
                allow("alice", AclOperation.DESCRIBE, ResourceType.TOPIC, "orders"));
        SecuredBroker.Connection alice = broker.connect("alice");

        assertThat(fetchOffsets(alice, "g", List.of("orders", "payments")))
                .containsExactly("orders-0:NONE@5", "payments-0:TOPIC_AUTHORIZATION_FAILED@-1");
        assertThat(fetchOffsets(alice, "g", null)).as("all the group's offsets: the refused topic left out")
                .containsExactly("orders-0:NONE@5");
        assertThat(fetchOffsets(alice, "h", null)).containsExactly("GROUP_AUTHORIZATION_FAILED");

        OffsetFetchRequestData v7 = new OffsetFetchRequestData().setGroupId("h").setTopics(List.of(
                new OffsetFetchRequestData.OffsetFetchRequestTopic().setName("orders").setPartitionIndexes(List.of(0))));
        assertThat(Errors.forCode(((OffsetFetchResponseData) alice.send(ApiKeys.OFFSET_FETCH, (short) 7, v7))
                .errorCode())).isEqualTo(Errors.GROUP_AUTHORIZATION_FAILED);
        OffsetFetchResponseData v1 = (OffsetFetchResponseData) alice.send(ApiKeys.OFFSET_FETCH, (short) 1, v7);
        assertThat(v1.topics().get(0).partitions()).as("v1 has no top-level error: each partition carries it")
                .extracting(p -> Errors.forCode(p.errorCode()) + "@" + p.committedOffset())
                .containsExactly("GROUP_AUTHORIZATION_FAILED@-1");
    }

    @Test
    void offsetDeleteNeedsDeleteOnTheGroupAndReadOnEachTopic() {
        commit(admin, "g", Map.of("orders", 5L, "payments", 6L));
        broker.acls(allow("alice", AclOperation.DELETE, ResourceType.GROUP, "g"),
                allow("alice", AclOperation.READ, ResourceType.TOPIC, "orders"));
        OffsetDeleteRequestData delete = new OffsetDeleteRequestData().setGroupId("g");
        for (String topic : List.of("orders", "payments")) {
            OffsetDeleteRequestData.OffsetDeleteRequestTopic t = new OffsetDeleteRequestData.OffsetDeleteRequestTopic()
                    .setName(topic);
            t.partitions().add(new OffsetDeleteRequestData.OffsetDeleteRequestPartition().setPartitionIndex(0));
            delete.topics().add(t);
        }

        OffsetDeleteResponseData byBob = (OffsetDeleteResponseData) broker.connect("bob").send(ApiKeys.OFFSET_DELETE,
                (short) 0, delete);
        OffsetDeleteResponseData byAlice = (OffsetDeleteResponseData) broker.connect("alice").send(
                ApiKeys.OFFSET_DELETE, (short) 0, delete);

        assertThat(Errors.forCode(byBob.errorCode())).isEqualTo(Errors.GROUP_AUTHORIZATION_FAILED);
        assertThat(byAlice.topics()).extracting(t -> t.name() + ":"
                + Errors.forCode(t.partitions().iterator().next().errorCode()))
                .containsExactly("orders:NONE", "payments:TOPIC_AUTHORIZATION_FAILED");
        assertThat(fetchOffsets(admin, "g", null)).containsExactly("payments-0:NONE@6");
    }

    // ---- ListGroups, DescribeGroups, DeleteGroups -------------------------------------------

    @Test
    void listGroupsListsEveryGroupToWhomMayDescribeTheClusterAndOtherwiseOnlyTheDescribableOnes() {
        commit(admin, "g1", Map.of("orders", 1L));
        commit(admin, "g2", Map.of("orders", 1L));
        broker.acls(allowPrefixed("alice", AclOperation.DESCRIBE, ResourceType.GROUP, "g1"),
                allow("bob", AclOperation.DESCRIBE, ResourceType.CLUSTER, ResourceType.CLUSTER_NAME));

        assertThat(listGroups(broker.connect("alice"))).containsExactly("g1");
        assertThat(listGroups(broker.connect("bob"))).containsExactlyInAnyOrder("g1", "g2");
        assertThat(listGroups(broker.connect("carol"))).isEmpty();
        assertThat(broker.deniedLines()).as("a listing logs no denials").isEmpty();
    }

    @Test
    void describeGroupsRefusesWhatThePrincipalMayNotDescribeAndTellsItsOperationsWhenAsked() {
        commit(admin, "g1", Map.of("orders", 1L));
        commit(admin, "g2", Map.of("orders", 1L));
        broker.acls(allow("alice", AclOperation.READ, ResourceType.GROUP, "g1"),
                allow("alice", AclOperation.DELETE, ResourceType.GROUP, "g1"));
        SecuredBroker.Connection alice = broker.connect("alice");

        DescribeGroupsResponseData asked = (DescribeGroupsResponseData) alice.send(ApiKeys.DESCRIBE_GROUPS, (short) 5,
                new DescribeGroupsRequestData().setGroups(List.of("g1", "g2")).setIncludeAuthorizedOperations(true));
        DescribeGroupsResponseData notAsked = (DescribeGroupsResponseData) alice.send(ApiKeys.DESCRIBE_GROUPS,
                (short) 5, new DescribeGroupsRequestData().setGroups(List.of("g1")));

        DescribeGroupsResponseData.DescribedGroup g1 = asked.groups().get(0);
        DescribeGroupsResponseData.DescribedGroup g2 = asked.groups().get(1);
        assertThat(Errors.forCode(g1.errorCode())).isEqualTo(Errors.NONE);
        assertThat(g1.groupState()).isEqualTo("Empty");
        assertThat(g1.authorizedOperations()).isEqualTo(bits(AclOperation.READ, AclOperation.DELETE,
                AclOperation.DESCRIBE));
        assertThat(Errors.forCode(g2.errorCode())).isEqualTo(Errors.GROUP_AUTHORIZATION_FAILED);
        assertThat(g2.groupState()).as("nothing of the group told").isEmpty();
        assertThat(g2.authorizedOperations()).isEqualTo(Integer.MIN_VALUE);
        assertThat(notAsked.groups().get(0).authorizedOperations()).isEqualTo(Integer.MIN_VALUE);

        DescribeGroupsResponseData open = (DescribeGroupsResponseData) broker.connectWithoutAuthorizer("alice").send(
                ApiKeys.DESCRIBE_GROUPS, (short) 5, new DescribeGroupsRequestData().setGroups(List.of("g2"))
                        .setIncludeAuthorizedOperations(true));
        assertThat(open.groups().get(0).authorizedOperations()).as("without an authorizer: every group operation")
                .isEqualTo(bits(AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE,
                        AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS));
    }

    @Test
    void deleteGroupsNeedsDeleteOnEachGroupAndKeepsTheRefusedOnes() {
        commit(admin, "g1", Map.of("orders", 1L));
        commit(admin, "g2", Map.of("orders", 1L));
        broker.acls(allow("alice", AclOperation.DELETE, ResourceType.GROUP, "g1"));

        DeleteGroupsResponseData answer = (DeleteGroupsResponseData) broker.connect("alice").send(
                ApiKeys.DELETE_GROUPS, (short) 2, new DeleteGroupsRequestData().setGroupsNames(List.of("g1", "g2")));

        assertThat(answer.results()).extracting(r -> r.groupId() + ":" + Errors.forCode(r.errorCode()))
                .containsExactly("g1:NONE", "g2:GROUP_AUTHORIZATION_FAILED");
        assertThat(listGroups(admin)).containsExactly("g2");
    }

    // ---- helpers ----------------------------------------------------------------------------

    private static JoinGroupResponseData join(SecuredBroker.Connection via, String group) {
        JoinGroupRequestData.JoinGroupRequestProtocolCollection protocols =
                new JoinGroupRequestData.JoinGroupRequestProtocolCollection();
        protocols.add(new JoinGroupRequestData.JoinGroupRequestProtocol().setName("range").setMetadata(new byte[0]));
        return (JoinGroupResponseData) via.send(ApiKeys.JOIN_GROUP, (short) 9, new JoinGroupRequestData()
                .setGroupId(group).setMemberId("").setSessionTimeoutMs(10_000).setRebalanceTimeoutMs(10_000)
                .setProtocolType("consumer").setProtocols(protocols));
    }

    /** A simple (generation -1) commit of partition 0 of each topic. */
    private static OffsetCommitResponseData commit(SecuredBroker.Connection via, String group,
            Map<String, Long> offsets) {
        OffsetCommitRequestData request = new OffsetCommitRequestData().setGroupId(group)
                .setGenerationIdOrMemberEpoch(-1).setMemberId("");
        new TreeMap<>(offsets).forEach((topic, offset) -> request.topics().add(
                new OffsetCommitRequestData.OffsetCommitRequestTopic().setName(topic).setPartitions(List.of(
                        new OffsetCommitRequestData.OffsetCommitRequestPartition().setPartitionIndex(0)
                                .setCommittedOffset(offset)))));
        return (OffsetCommitResponseData) via.send(ApiKeys.OFFSET_COMMIT, (short) 8, request);
    }

    private static List<String> commitErrors(OffsetCommitResponseData answer) {
        return answer.topics().stream().map(t -> t.name() + ":" + Errors.forCode(t.partitions().get(0).errorCode()))
                .toList();
    }

    /**
     * "topic-partition:ERROR@offset" for each partition of the group's answer to OffsetFetch v8
     * (of partition 0 of {@code topics}, or of all its offsets when null), or the group's error.
     */
    private static List<String> fetchOffsets(SecuredBroker.Connection via, String group, List<String> topics) {
        List<OffsetFetchRequestData.OffsetFetchRequestTopics> wanted = topics == null ? null : topics.stream()
                .map(t -> new OffsetFetchRequestData.OffsetFetchRequestTopics().setName(t).setPartitionIndexes(List.of(0)))
                .toList();
        OffsetFetchResponseData answer = (OffsetFetchResponseData) via.send(ApiKeys.OFFSET_FETCH, (short) 8,
                new OffsetFetchRequestData().setGroups(List.of(new OffsetFetchRequestData.OffsetFetchRequestGroup()
                        .setGroupId(group).setTopics(wanted))));
        OffsetFetchResponseData.OffsetFetchResponseGroup answered = answer.groups().get(0);
        if (answered.errorCode() != 0) {
            return List.of(Errors.forCode(answered.errorCode()).name());
        }
        List<String> offsets = new ArrayList<>();
        answered.topics().forEach(t -> t.partitions().forEach(p -> offsets.add(t.name() + "-" + p.partitionIndex()
                + ":" + Errors.forCode(p.errorCode()) + "@" + p.committedOffset())));
        offsets.sort(null);
        return offsets;
    }

    private static List<String> listGroups(SecuredBroker.Connection via) {
        ListGroupsResponseData answer = (ListGroupsResponseData) via.send(ApiKeys.LIST_GROUPS, (short) 4,
                new ListGroupsRequestData());
        return answer.groups().stream().map(ListGroupsResponseData.ListedGroup::groupId).toList();
    }
}
