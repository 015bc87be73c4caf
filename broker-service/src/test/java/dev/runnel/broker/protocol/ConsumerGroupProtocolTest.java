package dev.runnel.broker.protocol;

import static dev.runnel.broker.protocol.SecuredBroker.allow;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.ConsumerGroupDescribeRequestData;
import org.apache.kafka.common.message.ConsumerGroupDescribeResponseData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatResponseData;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.ListGroupsRequestData;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.broker.security.AclOperation;
import dev.runnel.broker.security.ResourceType;

/**
 * ConsumerGroupHeartbeat and ConsumerGroupDescribe over the wire at every version advertised
 * ({@link SecuredBroker}), with Kafka's authorization rules: READ on the group and DESCRIBE on the
 * subscribed topics to heartbeat, DESCRIBE on the group to describe it.
 */
class ConsumerGroupProtocolTest {

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

    private static ConsumerGroupHeartbeatRequestData join(String group, String member, String... topics) {
        return new ConsumerGroupHeartbeatRequestData().setGroupId(group).setMemberId(member).setMemberEpoch(0)
                .setRebalanceTimeoutMs(30_000).setSubscribedTopicNames(List.of(topics)).setTopicPartitions(List.of());
    }

    private ConsumerGroupHeartbeatResponseData heartbeat(SecuredBroker.Connection c, short version,
            ConsumerGroupHeartbeatRequestData request) {
        return (ConsumerGroupHeartbeatResponseData) c.send(ApiKeys.CONSUMER_GROUP_HEARTBEAT, version, request);
    }

    private ConsumerGroupDescribeResponseData describe(SecuredBroker.Connection c, short version, String... groups) {
        return (ConsumerGroupDescribeResponseData) c.send(ApiKeys.CONSUMER_GROUP_DESCRIBE, version,
                new ConsumerGroupDescribeRequestData().setGroupIds(List.of(groups)).setIncludeAuthorizedOperations(true));
    }

    @Test
    void apiVersionsAdvertisesBothApisAtVersionsZeroAndOne() {
        ApiVersionsResponseData versions = (ApiVersionsResponseData) admin.send(ApiKeys.API_VERSIONS, (short) 3,
                new ApiVersionsRequestData().setClientSoftwareName("t").setClientSoftwareVersion("1"));

        for (ApiKeys key : List.of(ApiKeys.CONSUMER_GROUP_HEARTBEAT, ApiKeys.CONSUMER_GROUP_DESCRIBE)) {
            ApiVersionsResponseData.ApiVersion v = versions.apiKeys().find(key.id);
            assertThat(v).as("%s advertised", key).isNotNull();
            assertThat(v.minVersion()).isEqualTo((short) 0);
            assertThat(v.maxVersion()).isEqualTo((short) 1);
        }
    }

    @Test
    void aMemberJoinsIsAssignedByTopicIdAndIsDescribedAtEveryVersion() {
        for (short version = 0; version <= 1; version++) {
            String group = "g" + version;
            ConsumerGroupHeartbeatResponseData joined = heartbeat(admin, version, join(group, "m-" + version,
                    "payments"));

            assertThat(Errors.forCode(joined.errorCode())).isEqualTo(Errors.NONE);
            assertThat(joined.memberId()).isEqualTo("m-" + version);
            assertThat(joined.memberEpoch()).isEqualTo(1);
            assertThat(joined.heartbeatIntervalMs()).isEqualTo(5_000);
            assertThat(joined.assignment().topicPartitions()).hasSize(1);
            ConsumerGroupHeartbeatResponseData.TopicPartitions tp = joined.assignment().topicPartitions().get(0);
            assertThat(tp.topicId()).isEqualTo(new Uuid(SecuredBroker.PAYMENTS_ID.getMostSignificantBits(),
                    SecuredBroker.PAYMENTS_ID.getLeastSignificantBits()));
            assertThat(tp.partitions()).containsExactly(0);

            ConsumerGroupHeartbeatResponseData steady = heartbeat(admin, version, new ConsumerGroupHeartbeatRequestData()
                    .setGroupId(group).setMemberId("m-" + version).setMemberEpoch(1));
            assertThat(Errors.forCode(steady.errorCode())).isEqualTo(Errors.NONE);
            assertThat(steady.assignment()).as("nothing new to tell").isNull();

            for (short dv = 0; dv <= 1; dv++) {
                ConsumerGroupDescribeResponseData described = describe(admin, dv, group, "nobody");
                ConsumerGroupDescribeResponseData.DescribedGroup g = described.groups().get(0);
                assertThat(Errors.forCode(g.errorCode())).isEqualTo(Errors.NONE);
                assertThat(g.groupState()).isEqualTo("Stable");
                assertThat(g.groupEpoch()).isEqualTo(1);
                assertThat(g.assignmentEpoch()).isEqualTo(1);
                assertThat(g.assignorName()).isEqualTo("uniform");
                assertThat(g.authorizedOperations()).isNotEqualTo(Integer.MIN_VALUE);
                ConsumerGroupDescribeResponseData.Member m = g.members().get(0);
                assertThat(m.memberId()).isEqualTo("m-" + version);
                assertThat(m.memberEpoch()).isEqualTo(1);
                assertThat(m.clientId()).isEqualTo("authorization-test");
                assertThat(m.subscribedTopicNames()).containsExactly("payments");
                assertThat(m.assignment().topicPartitions().get(0).topicName()).isEqualTo("payments");
                assertThat(m.targetAssignment().topicPartitions().get(0).partitions()).containsExactly(0);
                assertThat(m.memberType()).isEqualTo(dv >= 1 ? (byte) 1 : (byte) -1);
                assertThat(Errors.forCode(described.groups().get(1).errorCode())).isEqualTo(Errors.GROUP_ID_NOT_FOUND);
            }

            ConsumerGroupHeartbeatResponseData left = heartbeat(admin, version, new ConsumerGroupHeartbeatRequestData()
                    .setGroupId(group).setMemberId("m-" + version).setMemberEpoch(-1));
            assertThat(Errors.forCode(left.errorCode())).isEqualTo(Errors.NONE);
            assertThat(left.memberEpoch()).isEqualTo(-1);
            assertThat(describe(admin, (short) 1, group).groups().get(0).groupState()).isEqualTo("Empty");
        }
    }

    @Test
    void aRegexSubscriptionAtVersionOneGetsTheTopicsItMatchesAndABadOneIsRefused() {
        ConsumerGroupHeartbeatResponseData r = heartbeat(admin, (short) 1, join("g", "m").setSubscribedTopicNames(null)
                .setSubscribedTopicRegex("pay.*"));

        assertThat(Errors.forCode(r.errorCode())).isEqualTo(Errors.NONE);
        assertThat(r.assignment().topicPartitions()).hasSize(1);
        assertThat(r.assignment().topicPartitions().get(0).topicId()).isEqualTo(new Uuid(
                SecuredBroker.PAYMENTS_ID.getMostSignificantBits(), SecuredBroker.PAYMENTS_ID.getLeastSignificantBits()));
        assertThat(describe(admin, (short) 1, "g").groups().get(0).members().get(0).subscribedTopicRegex())
                .isEqualTo("pay.*");
        ConsumerGroupHeartbeatResponseData bad = heartbeat(admin, (short) 1, join("g", "m2")
                .setSubscribedTopicNames(null).setSubscribedTopicRegex("pay(("));
        assertThat(Errors.forCode(bad.errorCode())).isEqualTo(Errors.INVALID_REGULAR_EXPRESSION);
    }

    @Test
    void aClassicGroupWhoseMembersCannotBeReadIsNotAConsumerGroupAndAConsumerGroupTakesAClassicMember() {
        JoinGroupRequestData classicJoin = new JoinGroupRequestData().setGroupId("classic").setMemberId("")
                .setSessionTimeoutMs(10_000).setRebalanceTimeoutMs(10_000).setProtocolType("consumer");
        classicJoin.protocols().add(new JoinGroupRequestData.JoinGroupRequestProtocol().setName("range")
                .setMetadata(new byte[0]));
        // A v3 join is parked in the initial rebalance (on its own connection: answers go in order).
        broker.connect(SecuredBroker.ADMIN_USER).sendOneWay(ApiKeys.JOIN_GROUP, (short) 3, classicJoin.duplicate());

        assertThat(Errors.forCode(heartbeat(admin, (short) 1, join("classic", "m", "payments")).errorCode()))
                .isEqualTo(Errors.GROUP_ID_NOT_FOUND);
        assertThat(Errors.forCode(describe(admin, (short) 1, "classic").groups().get(0).errorCode()))
                .isEqualTo(Errors.GROUP_ID_NOT_FOUND);

        // Kafka's online migration: a classic consumer joins a consumer group as a member of it.
        heartbeat(admin, (short) 1, join("consumer", "m", "payments"));
        JoinGroupRequestData toConsumer = classicJoin.duplicate().setGroupId("consumer");
        toConsumer.protocols().clear();
        toConsumer.protocols().add(new JoinGroupRequestData.JoinGroupRequestProtocol().setName("range")
                .setMetadata(Utils.toArray(ConsumerProtocol.serializeSubscription(
                        new ConsumerPartitionAssignor.Subscription(List.of("payments"))))));
        JoinGroupResponseData first = (JoinGroupResponseData) admin.send(ApiKeys.JOIN_GROUP, (short) 9, toConsumer);
        assertThat(Errors.forCode(first.errorCode())).isEqualTo(Errors.MEMBER_ID_REQUIRED);
        JoinGroupResponseData joined = (JoinGroupResponseData) admin.send(ApiKeys.JOIN_GROUP, (short) 9,
                toConsumer.duplicate().setMemberId(first.memberId()));
        assertThat(Errors.forCode(joined.errorCode())).isEqualTo(Errors.NONE);
        assertThat(joined.memberId()).isEqualTo(first.memberId());
        assertThat(joined.generationId()).as("its member epoch").isEqualTo(2);
        assertThat(joined.protocolName()).isEqualTo("range");
        assertThat(joined.leader()).as("nobody assigns: the broker does").isEmpty();
        assertThat(describe(admin, (short) 1, "consumer").groups().get(0).members())
                .extracting(ConsumerGroupDescribeResponseData.Member::memberType).as("consumer (1) and classic (0)")
                .containsExactlyInAnyOrder((byte) 1, (byte) 0);
    }

    @Test
    void heartbeatingNeedsReadOnTheGroupAndDescribeOnEveryTopicSubscribed() {
        broker.acls(allow("alice", AclOperation.DESCRIBE, ResourceType.GROUP, "g"),
                allow("bob", AclOperation.READ, ResourceType.GROUP, "g"),
                allow("carol", AclOperation.READ, ResourceType.GROUP, "g"),
                allow("carol", AclOperation.DESCRIBE, ResourceType.TOPIC, "payments"));

        assertThat(Errors.forCode(heartbeat(broker.connect("alice"), (short) 1, join("g", "m", "payments")).errorCode()))
                .isEqualTo(Errors.GROUP_AUTHORIZATION_FAILED);
        assertThat(Errors.forCode(heartbeat(broker.connect("bob"), (short) 1, join("g", "m", "payments")).errorCode()))
                .isEqualTo(Errors.TOPIC_AUTHORIZATION_FAILED);
        assertThat(Errors.forCode(describe(admin, (short) 1, "g").groups().get(0).errorCode()))
                .as("nothing was created").isEqualTo(Errors.GROUP_ID_NOT_FOUND);
        SecuredBroker.Connection carol = broker.connect("carol");
        assertThat(Errors.forCode(heartbeat(carol, (short) 1, join("g", "m", "payments")).errorCode()))
                .isEqualTo(Errors.NONE);
    }

    @Test
    void describingNeedsDescribeOnTheGroupAndOnTheTopicsItsMembersUse() {
        heartbeat(admin, (short) 1, join("g", "m", "payments"));
        broker.acls(allow("alice", AclOperation.DESCRIBE, ResourceType.GROUP, "g"),
                allow("bob", AclOperation.DESCRIBE, ResourceType.GROUP, "g"),
                allow("bob", AclOperation.DESCRIBE, ResourceType.TOPIC, "payments"));

        assertThat(Errors.forCode(describe(broker.connect("carol"), (short) 1, "g").groups().get(0).errorCode()))
                .isEqualTo(Errors.GROUP_AUTHORIZATION_FAILED);
        assertThat(Errors.forCode(describe(broker.connect("alice"), (short) 1, "g").groups().get(0).errorCode()))
                .isEqualTo(Errors.TOPIC_AUTHORIZATION_FAILED);
        assertThat(Errors.forCode(describe(broker.connect("bob"), (short) 1, "g").groups().get(0).errorCode()))
                .isEqualTo(Errors.NONE);
    }

    @Test
    void listGroupsTellsTheTypeAndFiltersByItAndDescribeGroupsLeavesConsumerGroupsToConsumerGroupDescribe() {
        heartbeat(admin, (short) 1, join("cg", "m", "payments"));
        JoinGroupRequestData classicJoin = new JoinGroupRequestData().setGroupId("classic").setMemberId("")
                .setSessionTimeoutMs(10_000).setRebalanceTimeoutMs(10_000).setProtocolType("consumer");
        classicJoin.protocols().add(new JoinGroupRequestData.JoinGroupRequestProtocol().setName("range")
                .setMetadata(new byte[0]));
        broker.connect(SecuredBroker.ADMIN_USER).sendOneWay(ApiKeys.JOIN_GROUP, (short) 3, classicJoin);

        ListGroupsResponseData all = (ListGroupsResponseData) admin.send(ApiKeys.LIST_GROUPS, (short) 5,
                new ListGroupsRequestData());
        assertThat(all.groups()).extracting(g -> g.groupId() + ":" + g.groupType() + ":" + g.groupState() + ":"
                + g.protocolType()).containsExactlyInAnyOrder("cg:consumer:Stable:consumer",
                "classic:classic:PreparingRebalance:consumer");
        ListGroupsResponseData consumers = (ListGroupsResponseData) admin.send(ApiKeys.LIST_GROUPS, (short) 5,
                new ListGroupsRequestData().setTypesFilter(List.of("Consumer")));
        assertThat(consumers.groups()).extracting(ListGroupsResponseData.ListedGroup::groupId).containsExactly("cg");
        ListGroupsResponseData stable = (ListGroupsResponseData) admin.send(ApiKeys.LIST_GROUPS, (short) 4,
                new ListGroupsRequestData().setStatesFilter(List.of("stable")));
        assertThat(stable.groups()).extracting(ListGroupsResponseData.ListedGroup::groupId).containsExactly("cg");

        DescribeGroupsResponseData described = (DescribeGroupsResponseData) admin.send(ApiKeys.DESCRIBE_GROUPS,
                (short) 6, new DescribeGroupsRequestData().setGroups(List.of("cg")));
        assertThat(Errors.forCode(described.groups().get(0).errorCode())).isEqualTo(Errors.GROUP_ID_NOT_FOUND);
    }

    @Test
    void metadataByTopicIdWithAnEmptyNameResolvesTheIdsAConsumerIsAssigned() {
        // kafka-clients' consumer asks for the topic ids of its assignment with the name left empty.
        MetadataRequestData request = new MetadataRequestData().setAllowAutoTopicCreation(false);
        request.topics().add(new MetadataRequestData.MetadataRequestTopic().setName("").setTopicId(new Uuid(
                SecuredBroker.PAYMENTS_ID.getMostSignificantBits(), SecuredBroker.PAYMENTS_ID.getLeastSignificantBits())));
        request.topics().add(new MetadataRequestData.MetadataRequestTopic().setName("").setTopicId(Uuid.randomUuid()));

        MetadataResponseData answer = (MetadataResponseData) admin.send(ApiKeys.METADATA, (short) 12, request);

        assertThat(answer.topics()).extracting(t -> t.name() + ":" + Errors.forCode(t.errorCode()))
                .containsExactlyInAnyOrder("payments:NONE", ":UNKNOWN_TOPIC_ID");
    }
}
