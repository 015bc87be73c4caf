package dev.runnel.broker.protocol;

import static dev.runnel.broker.protocol.SecuredBroker.allow;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.AlterShareGroupOffsetsRequestData;
import org.apache.kafka.common.message.AlterShareGroupOffsetsResponseData;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatResponseData;
import org.apache.kafka.common.message.DeleteGroupsRequestData;
import org.apache.kafka.common.message.DeleteGroupsResponseData;
import org.apache.kafka.common.message.DeleteShareGroupOffsetsRequestData;
import org.apache.kafka.common.message.DeleteShareGroupOffsetsResponseData;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.DescribeShareGroupOffsetsRequestData;
import org.apache.kafka.common.message.DescribeShareGroupOffsetsResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.ListGroupsRequestData;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.message.ShareGroupDescribeRequestData;
import org.apache.kafka.common.message.ShareGroupDescribeResponseData;
import org.apache.kafka.common.message.ShareGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ShareGroupHeartbeatResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.ResourceType;
import dev.runnel.broker.sharestate.ShareStatePersister;

/**
 * Share groups (KIP-932) over the wire at every version advertised ({@link SecuredBroker}):
 * ShareGroupHeartbeat, ShareGroupDescribe, the share group offsets APIs, ListGroups' type filter,
 * DescribeGroups and DeleteGroups of a share group, and Kafka's authorization rules for each.
 */
class ShareGroupProtocolTest {

    static final Uuid PAYMENTS = new Uuid(SecuredBroker.PAYMENTS_ID.getMostSignificantBits(),
            SecuredBroker.PAYMENTS_ID.getLeastSignificantBits());

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

    private static ShareGroupHeartbeatRequestData join(String group, String member, String... topics) {
        return new ShareGroupHeartbeatRequestData().setGroupId(group).setMemberId(member).setMemberEpoch(0)
                .setSubscribedTopicNames(List.of(topics));
    }

    private static ShareGroupHeartbeatRequestData leave(String group, String member) {
        return new ShareGroupHeartbeatRequestData().setGroupId(group).setMemberId(member).setMemberEpoch(-1);
    }

    private static ShareGroupHeartbeatResponseData heartbeat(SecuredBroker.Connection c,
            ShareGroupHeartbeatRequestData request) {
        return (ShareGroupHeartbeatResponseData) c.send(ApiKeys.SHARE_GROUP_HEARTBEAT, (short) 1, request);
    }

    private static ShareGroupDescribeResponseData describe(SecuredBroker.Connection c, String... groups) {
        return (ShareGroupDescribeResponseData) c.send(ApiKeys.SHARE_GROUP_DESCRIBE, (short) 1,
                new ShareGroupDescribeRequestData().setGroupIds(List.of(groups)).setIncludeAuthorizedOperations(true));
    }

    private static DescribeShareGroupOffsetsResponseData describeOffsets(SecuredBroker.Connection c, short version,
            String group, List<DescribeShareGroupOffsetsRequestData.DescribeShareGroupOffsetsRequestTopic> topics) {
        return (DescribeShareGroupOffsetsResponseData) c.send(ApiKeys.DESCRIBE_SHARE_GROUP_OFFSETS, version,
                new DescribeShareGroupOffsetsRequestData().setGroups(List.of(
                        new DescribeShareGroupOffsetsRequestData.DescribeShareGroupOffsetsRequestGroup().setGroupId(group)
                                .setTopics(topics))));
    }

    private static AlterShareGroupOffsetsResponseData alter(SecuredBroker.Connection c, String group, String topic,
            int partition, long offset) {
        AlterShareGroupOffsetsRequestData request = new AlterShareGroupOffsetsRequestData().setGroupId(group);
        AlterShareGroupOffsetsRequestData.AlterShareGroupOffsetsRequestTopic t =
                new AlterShareGroupOffsetsRequestData.AlterShareGroupOffsetsRequestTopic().setTopicName(topic);
        t.partitions().add(new AlterShareGroupOffsetsRequestData.AlterShareGroupOffsetsRequestPartition()
                .setPartitionIndex(partition).setStartOffset(offset));
        request.topics().add(t);
        return (AlterShareGroupOffsetsResponseData) c.send(ApiKeys.ALTER_SHARE_GROUP_OFFSETS, (short) 0, request);
    }

    private static DeleteShareGroupOffsetsResponseData deleteOffsets(SecuredBroker.Connection c, String group,
            String topic) {
        return (DeleteShareGroupOffsetsResponseData) c.send(ApiKeys.DELETE_SHARE_GROUP_OFFSETS, (short) 0,
                new DeleteShareGroupOffsetsRequestData().setGroupId(group).setTopics(List.of(
                        new DeleteShareGroupOffsetsRequestData.DeleteShareGroupOffsetsRequestTopic().setTopicName(topic))));
    }

    private static ShareStatePersister.Key payments(String group) {
        return new ShareStatePersister.Key(group, PAYMENTS, 0);
    }

    @Test
    void apiVersionsAdvertisesTheShareGroupApisAtTheVersionsServed() {
        ApiVersionsResponseData versions = (ApiVersionsResponseData) admin.send(ApiKeys.API_VERSIONS, (short) 3,
                new ApiVersionsRequestData().setClientSoftwareName("t").setClientSoftwareVersion("1"));

        assertThat(List.of(ApiKeys.SHARE_GROUP_HEARTBEAT, ApiKeys.SHARE_GROUP_DESCRIBE,
                ApiKeys.DESCRIBE_SHARE_GROUP_OFFSETS, ApiKeys.ALTER_SHARE_GROUP_OFFSETS,
                ApiKeys.DELETE_SHARE_GROUP_OFFSETS)).extracting(key -> {
                    ApiVersionsResponseData.ApiVersion v = versions.apiKeys().find(key.id);
                    return key + " " + v.minVersion() + "-" + v.maxVersion();
                }).containsExactly("SHARE_GROUP_HEARTBEAT 1-1", "SHARE_GROUP_DESCRIBE 1-1",
                        "DESCRIBE_SHARE_GROUP_OFFSETS 0-1", "ALTER_SHARE_GROUP_OFFSETS 0-0",
                        "DELETE_SHARE_GROUP_OFFSETS 0-0");
    }

    @Test
    void aMemberJoinsIsAssignedByTopicIdIsDescribedAndLeaves() {
        ShareGroupHeartbeatResponseData joined = heartbeat(admin, join("sg", "m1", "payments"));

        assertThat(Errors.forCode(joined.errorCode())).isEqualTo(Errors.NONE);
        assertThat(joined.memberId()).isEqualTo("m1");
        assertThat(joined.memberEpoch()).isEqualTo(1);
        assertThat(joined.heartbeatIntervalMs()).isEqualTo(5_000);
        assertThat(joined.assignment().topicPartitions()).as("assigned once its state is initialized").isEmpty();
        assertThat(broker.shareState.states).containsKey(payments("sg"));
        ShareGroupHeartbeatResponseData assigned = heartbeat(admin, new ShareGroupHeartbeatRequestData()
                .setGroupId("sg").setMemberId("m1").setMemberEpoch(1));
        assertThat(assigned.memberEpoch()).isEqualTo(2);
        assertThat(assigned.assignment().topicPartitions()).singleElement().satisfies(tp -> {
            assertThat(tp.topicId()).isEqualTo(PAYMENTS);
            assertThat(tp.partitions()).containsExactly(0);
        });
        ShareGroupHeartbeatResponseData steady = heartbeat(admin, new ShareGroupHeartbeatRequestData()
                .setGroupId("sg").setMemberId("m1").setMemberEpoch(2));
        assertThat(steady.assignment()).as("nothing new to tell").isNull();

        ShareGroupDescribeResponseData described = describe(admin, "sg", "nobody");
        ShareGroupDescribeResponseData.DescribedGroup g = described.groups().get(0);
        assertThat(Errors.forCode(g.errorCode())).isEqualTo(Errors.NONE);
        assertThat(g.groupState()).isEqualTo("Stable");
        assertThat(g.groupEpoch()).isEqualTo(2);
        assertThat(g.assignmentEpoch()).isEqualTo(2);
        assertThat(g.assignorName()).isEqualTo("simple");
        assertThat(g.authorizedOperations()).isNotEqualTo(Integer.MIN_VALUE);
        ShareGroupDescribeResponseData.Member m = g.members().get(0);
        assertThat(m.memberId()).isEqualTo("m1");
        assertThat(m.memberEpoch()).isEqualTo(2);
        assertThat(m.clientId()).isEqualTo("authorization-test");
        assertThat(m.subscribedTopicNames()).containsExactly("payments");
        assertThat(m.assignment().topicPartitions().get(0).topicName()).isEqualTo("payments");
        assertThat(Errors.forCode(described.groups().get(1).errorCode())).isEqualTo(Errors.GROUP_ID_NOT_FOUND);

        ShareGroupHeartbeatResponseData left = heartbeat(admin, leave("sg", "m1"));
        assertThat(Errors.forCode(left.errorCode())).isEqualTo(Errors.NONE);
        assertThat(left.memberEpoch()).isEqualTo(-1);
        assertThat(describe(admin, "sg").groups().get(0).groupState()).isEqualTo("Empty");
        ShareGroupHeartbeatResponseData malformed = heartbeat(admin, join("sg", "", "payments"));
        assertThat(Errors.forCode(malformed.errorCode())).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(malformed.errorMessage()).isEqualTo("MemberId can't be empty.");
    }

    @Test
    void aShareGroupIsNoOtherTypeOfGroupForTheOtherApis() {
        ConsumerGroupHeartbeatResponseData consumer = (ConsumerGroupHeartbeatResponseData) admin.send(
                ApiKeys.CONSUMER_GROUP_HEARTBEAT, (short) 1, new ConsumerGroupHeartbeatRequestData().setGroupId("cg")
                        .setMemberId("c").setMemberEpoch(0).setRebalanceTimeoutMs(30_000)
                        .setSubscribedTopicNames(List.of("payments")).setTopicPartitions(List.of()));
        assertThat(Errors.forCode(consumer.errorCode())).isEqualTo(Errors.NONE);
        assertThat(Errors.forCode(heartbeat(admin, join("cg", "s", "payments")).errorCode()))
                .isEqualTo(Errors.GROUP_ID_NOT_FOUND);

        heartbeat(admin, join("sg", "m1", "payments"));
        JoinGroupRequestData classicJoin = new JoinGroupRequestData().setGroupId("sg").setMemberId("")
                .setSessionTimeoutMs(10_000).setRebalanceTimeoutMs(10_000).setProtocolType("consumer");
        classicJoin.protocols().add(new JoinGroupRequestData.JoinGroupRequestProtocol().setName("range")
                .setMetadata(new byte[0]));
        assertThat(Errors.forCode(((JoinGroupResponseData) admin.send(ApiKeys.JOIN_GROUP, (short) 9, classicJoin))
                .errorCode())).isEqualTo(Errors.INCONSISTENT_GROUP_PROTOCOL);

        DescribeGroupsResponseData described = (DescribeGroupsResponseData) admin.send(ApiKeys.DESCRIBE_GROUPS,
                (short) 6, new DescribeGroupsRequestData().setGroups(List.of("sg")));
        assertThat(Errors.forCode(described.groups().get(0).errorCode())).isEqualTo(Errors.GROUP_ID_NOT_FOUND);

        ListGroupsResponseData all = (ListGroupsResponseData) admin.send(ApiKeys.LIST_GROUPS, (short) 5,
                new ListGroupsRequestData());
        assertThat(all.groups()).extracting(g -> g.groupId() + ":" + g.groupType() + ":" + g.groupState() + ":"
                + g.protocolType()).containsExactlyInAnyOrder("cg:consumer:Stable:consumer", "sg:share:Stable:share");
        ListGroupsResponseData shares = (ListGroupsResponseData) admin.send(ApiKeys.LIST_GROUPS, (short) 5,
                new ListGroupsRequestData().setTypesFilter(List.of("Share")).setStatesFilter(List.of("stable")));
        assertThat(shares.groups()).extracting(ListGroupsResponseData.ListedGroup::groupId).containsExactly("sg");
    }

    @Test
    void heartbeatingNeedsReadOnTheGroupAndDescribeOnEveryTopicSubscribed() {
        broker.acls(allow("alice", AclOperation.DESCRIBE, ResourceType.GROUP, "sg"),
                allow("bob", AclOperation.READ, ResourceType.GROUP, "sg"),
                allow("carol", AclOperation.READ, ResourceType.GROUP, "sg"),
                allow("carol", AclOperation.DESCRIBE, ResourceType.TOPIC, "payments"));

        assertThat(Errors.forCode(heartbeat(broker.connect("alice"), join("sg", "m", "payments")).errorCode()))
                .isEqualTo(Errors.GROUP_AUTHORIZATION_FAILED);
        ShareGroupHeartbeatResponseData bob = heartbeat(broker.connect("bob"), join("sg", "m", "payments", "secrets"));
        assertThat(Errors.forCode(bob.errorCode())).isEqualTo(Errors.TOPIC_AUTHORIZATION_FAILED);
        assertThat(bob.errorMessage()).isEqualTo("Unauthorized topics: payments, secrets");
        assertThat(Errors.forCode(describe(admin, "sg").groups().get(0).errorCode()))
                .as("nothing was created").isEqualTo(Errors.GROUP_ID_NOT_FOUND);
        assertThat(Errors.forCode(heartbeat(broker.connect("carol"), join("sg", "m", "payments")).errorCode()))
                .isEqualTo(Errors.NONE);

        broker.acls(allow("dave", AclOperation.DESCRIBE, ResourceType.GROUP, "sg"));
        assertThat(Errors.forCode(describe(broker.connect("dave"), "sg").groups().get(0).errorCode()))
                .as("payments is assigned, and dave may not describe it").isEqualTo(Errors.TOPIC_AUTHORIZATION_FAILED);
        assertThat(Errors.forCode(describe(broker.connect("erin"), "sg").groups().get(0).errorCode()))
                .isEqualTo(Errors.GROUP_AUTHORIZATION_FAILED);
    }

    @Test
    void offsetsAreDescribedAtBothVersionsAndAlteredOrDeletedOnlyWhileTheGroupIsEmpty() {
        heartbeat(admin, join("sg", "m1", "payments"));
        broker.shareState.write(payments("sg"), new ShareStatePersister.ShareState(1, 0, 0, 0, List.of())).join();

        for (short version = 0; version <= 1; version++) {
            DescribeShareGroupOffsetsResponseData.DescribeShareGroupOffsetsResponseGroup g =
                    describeOffsets(admin, version, "sg", null).groups().get(0);
            assertThat(Errors.forCode(g.errorCode())).isEqualTo(Errors.NONE);
            assertThat(g.topics()).singleElement().satisfies(t -> {
                assertThat(t.topicName()).isEqualTo("payments");
                assertThat(t.topicId()).isEqualTo(PAYMENTS);
                assertThat(t.partitions()).singleElement().satisfies(p -> {
                    assertThat(p.partitionIndex()).isEqualTo(0);
                    assertThat(p.startOffset()).isEqualTo(0);
                    assertThat(p.leaderEpoch()).isEqualTo(0);
                });
            });
            assertThat(g.topics().get(0).partitions().get(0).lag()).as("v%d", version).isEqualTo(version >= 1 ? 0 : -1);
        }
        DescribeShareGroupOffsetsResponseData named = describeOffsets(admin, (short) 1, "sg", List.of(
                new DescribeShareGroupOffsetsRequestData.DescribeShareGroupOffsetsRequestTopic().setTopicName("nope")
                        .setPartitions(List.of(0))));
        assertThat(Errors.forCode(named.groups().get(0).topics().get(0).partitions().get(0).errorCode()))
                .isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);

        AlterShareGroupOffsetsResponseData busy = alter(admin, "sg", "payments", 0, 42);
        assertThat(Errors.forCode(busy.errorCode())).isEqualTo(Errors.NON_EMPTY_GROUP);
        assertThat(Errors.forCode(deleteOffsets(admin, "sg", "payments").errorCode())).isEqualTo(Errors.NON_EMPTY_GROUP);
        heartbeat(admin, leave("sg", "m1"));

        AlterShareGroupOffsetsResponseData altered = alter(admin, "sg", "payments", 0, 42);
        assertThat(Errors.forCode(altered.errorCode())).isEqualTo(Errors.NONE);
        assertThat(altered.responses()).singleElement().satisfies(t -> {
            assertThat(t.topicId()).isEqualTo(PAYMENTS);
            assertThat(Errors.forCode(t.partitions().get(0).errorCode())).isEqualTo(Errors.NONE);
        });
        assertThat(broker.shareState.states.get(payments("sg")).startOffset()).isEqualTo(42);
        assertThat(broker.shareState.states.get(payments("sg")).stateEpoch()).isEqualTo(2);

        DeleteShareGroupOffsetsResponseData deleted = deleteOffsets(admin, "sg", "payments");
        assertThat(Errors.forCode(deleted.errorCode())).isEqualTo(Errors.NONE);
        assertThat(Errors.forCode(deleted.responses().get(0).errorCode())).isEqualTo(Errors.NONE);
        assertThat(broker.shareState.states).doesNotContainKey(payments("sg"));
        assertThat(describeOffsets(admin, (short) 1, "sg", null).groups().get(0).topics()).isEmpty();
    }

    @Test
    void theOffsetsApisNeedTheirAclsOnTheGroupAndOnEachTopic() {
        heartbeat(admin, join("sg", "m1", "payments"));
        heartbeat(admin, leave("sg", "m1"));
        broker.acls(allow("alice", AclOperation.DESCRIBE, ResourceType.GROUP, "sg"),
                allow("alice", AclOperation.READ, ResourceType.GROUP, "sg"),
                allow("alice", AclOperation.DELETE, ResourceType.GROUP, "sg"),
                allow("bob", AclOperation.DESCRIBE, ResourceType.TOPIC, "payments"),
                allow("bob", AclOperation.READ, ResourceType.TOPIC, "payments"));
        SecuredBroker.Connection alice = broker.connect("alice");
        SecuredBroker.Connection bob = broker.connect("bob");
        broker.shareState.calls.clear();

        assertThat(Errors.forCode(describeOffsets(bob, (short) 1, "sg", null).groups().get(0).errorCode()))
                .isEqualTo(Errors.GROUP_AUTHORIZATION_FAILED);
        assertThat(describeOffsets(alice, (short) 1, "sg", null).groups().get(0).topics())
                .as("topics alice may not describe are left out").isEmpty();
        DescribeShareGroupOffsetsResponseData named = describeOffsets(alice, (short) 1, "sg", List.of(
                new DescribeShareGroupOffsetsRequestData.DescribeShareGroupOffsetsRequestTopic().setTopicName("payments")
                        .setPartitions(List.of(0))));
        assertThat(Errors.forCode(named.groups().get(0).topics().get(0).partitions().get(0).errorCode()))
                .isEqualTo(Errors.TOPIC_AUTHORIZATION_FAILED);

        assertThat(Errors.forCode(alter(bob, "sg", "payments", 0, 1).errorCode()))
                .isEqualTo(Errors.GROUP_AUTHORIZATION_FAILED);
        AlterShareGroupOffsetsResponseData refused = alter(alice, "sg", "payments", 0, 1);
        assertThat(Errors.forCode(refused.responses().iterator().next().partitions().get(0).errorCode()))
                .isEqualTo(Errors.TOPIC_AUTHORIZATION_FAILED);
        assertThat(Errors.forCode(deleteOffsets(bob, "sg", "payments").errorCode()))
                .isEqualTo(Errors.GROUP_AUTHORIZATION_FAILED);
        assertThat(Errors.forCode(deleteOffsets(alice, "sg", "payments").responses().get(0).errorCode()))
                .isEqualTo(Errors.TOPIC_AUTHORIZATION_FAILED);
        assertThat(broker.shareState.calls()).as("nothing refused reached the share coordinator").isEmpty();
    }

    @Test
    void deleteGroupsDeletesAnEmptyShareGroupWithItsSharePartitionsState() {
        heartbeat(admin, join("sg", "m1", "payments"));
        broker.shareState.initialize(payments("sg"), 0, 5).join();
        DeleteGroupsRequestData request = new DeleteGroupsRequestData().setGroupsNames(List.of("sg"));
        DeleteGroupsResponseData busy = (DeleteGroupsResponseData) admin.send(ApiKeys.DELETE_GROUPS, (short) 2, request);
        assertThat(Errors.forCode(busy.results().find("sg").errorCode())).isEqualTo(Errors.NON_EMPTY_GROUP);
        heartbeat(admin, leave("sg", "m1"));

        DeleteGroupsResponseData deleted = (DeleteGroupsResponseData) admin.send(ApiKeys.DELETE_GROUPS, (short) 2,
                request.duplicate());

        assertThat(Errors.forCode(deleted.results().find("sg").errorCode())).isEqualTo(Errors.NONE);
        assertThat(broker.shareState.states).isEmpty();
        assertThat(Errors.forCode(describe(admin, "sg").groups().get(0).errorCode())).isEqualTo(Errors.GROUP_ID_NOT_FOUND);
    }
}
