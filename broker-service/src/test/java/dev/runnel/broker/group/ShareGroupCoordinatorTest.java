package dev.runnel.broker.group;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executor;

import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.runnel.broker.KafkaConsumerProtocolCodec;
import dev.runnel.broker.config.ShareGroupConfigs;
import dev.runnel.common.TopicPartition;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

/**
 * Share groups (KIP-932) in the group coordinator, with a fake clock and scheduler, direct
 * executors and an in-memory offsets topic: joins and leaves, the group epoch, the simple
 * assignor (more members than partitions included), sessions, fencing, the type of a group id,
 * and a coordinator that loads the group from the log.
 */
@Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ShareGroupCoordinatorTest {

    static final String GROUP = "invoices";
    static final UUID ORDERS = ConsumerGroupCoordinatorTest.ORDERS;
    static final UUID PAYMENTS = ConsumerGroupCoordinatorTest.PAYMENTS;
    static final GroupSettings SETTINGS = GroupCoordinatorTest.SETTINGS;
    static final Executor DIRECT = Runnable::run;
    static final ShareGroupConfigs.Settings DEFAULTS = new ShareGroupConfigs.Settings(
            ShareGroupConfigs.AutoOffsetReset.LATEST, Duration.ofSeconds(30), 5, false, Duration.ofSeconds(45),
            Duration.ofSeconds(5));

    final ManualClock clock = new ManualClock(1_000_000);
    final ManualScheduler scheduler = new ManualScheduler(clock);
    final FakeGroupLog log = new FakeGroupLog();
    final Map<String, TopicsView.Topic> topics = new HashMap<>();
    final Map<String, ShareGroupConfigs.Settings> overrides = new HashMap<>();
    final ShareGroupConfigs configs = groupId -> overrides.getOrDefault(groupId, DEFAULTS);
    final InMemoryShareStatePersister persister = new InMemoryShareStatePersister();
    final TopicsView view = new TopicsView() {
        @Override
        public Optional<Topic> byName(String name) {
            return Optional.ofNullable(topics.get(name));
        }

        @Override
        public Optional<Topic> byId(UUID id) {
            return topics.values().stream().filter(t -> t.id().equals(id)).findFirst();
        }

        @Override
        public Collection<String> names() {
            return List.copyOf(topics.keySet());
        }
    };
    GroupMetadataManager manager;
    GroupCoordinator classic;
    ShareGroupCoordinator coordinator;
    int maxSize = 200;

    @BeforeEach
    void start() {
        topics.put("orders", new TopicsView.Topic(ORDERS, "orders", 12));
        topics.put("payments", new TopicsView.Topic(PAYMENTS, "payments", 2));
        startCoordinator();
    }

    void startCoordinator() {
        manager = new GroupMetadataManager(log, clock, DIRECT, DIRECT, SETTINGS, SETTINGS::offsetsTopicPartitions);
        classic = new GroupCoordinator(manager, clock, scheduler);
        coordinator = new ShareGroupCoordinator(classic, clock, scheduler, view, configs, () -> persister, maxSize);
        for (int p = 0; p < SETTINGS.offsetsTopicPartitions(); p++) {
            manager.becameLeader(p);
        }
    }

    /** The coordinator moves: the old one resigns, a new one loads the partition from the same log. */
    void failover() {
        for (int p = 0; p < SETTINGS.offsetsTopicPartitions(); p++) {
            manager.resigned(p);
        }
        startCoordinator();
    }

    ShareHeartbeatResult joins(String memberId, String... topicNames) {
        return coordinator.heartbeat(new ShareHeartbeat(GROUP, memberId, 0, null, List.of(topicNames),
                "client-" + memberId, "/10.0.0.1")).join();
    }

    ShareHeartbeatResult beat(String memberId, int epoch) {
        return coordinator.heartbeat(new ShareHeartbeat(GROUP, memberId, epoch, null, null, "client-" + memberId,
                "/10.0.0.1")).join();
    }

    ShareGroup group() {
        return manager.group(GROUP).share();
    }

    int records() {
        return log.records(manager.partitionFor(GROUP));
    }

    static PartitionSet orders(int... partitions) {
        PartitionSet.Builder b = new PartitionSet.Builder();
        for (int p : partitions) {
            b.add(ORDERS, p);
        }
        return b.build();
    }

    static PartitionSet allOf(UUID topic, int count) {
        PartitionSet.Builder b = new PartitionSet.Builder();
        for (int p = 0; p < count; p++) {
            b.add(topic, p);
        }
        return b.build();
    }

    // ---------------------------------------------------------------- joins, the assignor, leaves

    @Test
    void aMemberJoinsWithItsOwnIdAndGetsThePartitionsOnceTheirStateIsInitialized() {
        ShareHeartbeatResult a = joins("a", "orders");

        assertThat(a.error()).isEqualTo(Errors.NONE);
        assertThat(a.memberId()).isEqualTo("a");
        assertThat(a.memberEpoch()).isEqualTo(1);
        assertThat(a.heartbeatIntervalMs()).isEqualTo(5_000);
        assertThat(a.assignment()).as("nothing is assignable before the share coordinator has its state").isEqualTo(PartitionSet.EMPTY);
        assertThat(group().groupEpoch()).as("bumped once the state is initialized").isEqualTo(2);
        assertThat(group().assignmentEpoch()).isEqualTo(1);
        assertThat(group().stateName()).isEqualTo("Stable");

        a = beat("a", 1);
        assertThat(a.memberEpoch()).isEqualTo(2);
        assertThat(a.assignment()).isEqualTo(allOf(ORDERS, 12));
        ShareHeartbeatResult again = beat("a", 2);
        assertThat(again.memberEpoch()).isEqualTo(2);
        assertThat(again.assignment()).as("unchanged, so not told again").isNull();
    }

    @Test
    void membersSplitThePartitionsAndAMemberTakesItsNewPartOnItsNextHeartbeatWithNothingRevokedFirst() {
        joins("a", "orders");
        beat("a", 1);
        ShareHeartbeatResult b = joins("b", "orders");
        assertThat(b.memberEpoch()).isEqualTo(3);
        assertThat(b.assignment().size()).as("orders is initialized: at once").isEqualTo(6);
        ShareHeartbeatResult a = beat("a", 2);
        assertThat(a.memberEpoch()).as("straight to the group's epoch").isEqualTo(3);
        ShareHeartbeatResult c = joins("c", "orders");
        a = beat("a", 3);
        b = beat("b", 3);

        List<PartitionSet> parts = List.of(a.assignment(), b.assignment(), c.assignment());
        PartitionSet union = PartitionSet.EMPTY;
        for (PartitionSet p : parts) {
            assertThat(p.size()).isEqualTo(4);
            assertThat(union.intersects(p)).as("each partition to one member while there are enough").isFalse();
            union = union.union(p);
        }
        assertThat(union).isEqualTo(allOf(ORDERS, 12));
        assertThat(List.of(a.memberEpoch(), b.memberEpoch(), c.memberEpoch())).containsOnly(4);
    }

    @Test
    void withMoreMembersThanPartitionsEveryMemberGetsOneAndEveryPartitionIsShared() {
        List<String> members = List.of("a", "b", "c", "d", "e");
        members.forEach(m -> joins(m, "payments"));
        members.forEach(m -> assertThat(beat(m, group().member(m).memberEpoch()).memberEpoch())
                .isEqualTo(group().groupEpoch()));

        Map<Integer, List<String>> holders = new HashMap<>();
        for (String m : members) {
            PartitionSet assigned = group().member(m).assignment.assigned();
            assertThat(assigned.size()).as("member %s", m).isEqualTo(1);
            assigned.partitions(PAYMENTS).forEach(p -> holders.computeIfAbsent(p, x -> new ArrayList<>()).add(m));
        }
        assertThat(holders).containsOnlyKeys(0, 1);
        assertThat(holders.values()).allSatisfy(h -> assertThat(h).hasSizeGreaterThanOrEqualTo(2));
    }

    @Test
    void membersOfDifferentSubscriptionsGetOnlyTheirTopics() {
        joins("a", "orders");
        ShareHeartbeatResult b = joins("b", "payments");
        ShareHeartbeatResult a = beat("a", 1);
        b = beat("b", b.memberEpoch());

        assertThat(a.assignment()).isEqualTo(allOf(ORDERS, 12));
        assertThat(b.assignment()).isEqualTo(allOf(PAYMENTS, 2));
        assertThat(a.memberEpoch()).isEqualTo(b.memberEpoch());
    }

    @Test
    void aLeavingMemberIsGoneAndTheOthersTakeItsPartitions() {
        joins("a", "orders");
        beat("a", 1);
        joins("b", "orders");
        assertThat(beat("a", 2).assignment().size()).isEqualTo(6);
        ShareHeartbeatResult left = beat("b", ShareHeartbeat.LEAVE);

        assertThat(left.error()).isEqualTo(Errors.NONE);
        assertThat(left.memberEpoch()).isEqualTo(-1);
        assertThat(group().members()).extracting(m -> m.memberId).containsExactly("a");
        assertThat(group().groupEpoch()).isEqualTo(4);
        ShareHeartbeatResult a = beat("a", 3);
        assertThat(a.memberEpoch()).isEqualTo(4);
        assertThat(a.assignment()).isEqualTo(allOf(ORDERS, 12));

        assertThat(beat("a", ShareHeartbeat.LEAVE).error()).isEqualTo(Errors.NONE);
        assertThat(group().stateName()).isEqualTo("Empty");
        assertThat(beat("b", ShareHeartbeat.LEAVE).error()).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
    }

    @Test
    void aChangedSubscriptionOrNewPartitionsBumpTheEpochAndANewPartitionOfAKnownTopicStartsAtZero() {
        joins("a", "orders");
        beat("a", 1);
        ShareHeartbeatResult a = coordinator.heartbeat(new ShareHeartbeat(GROUP, "a", 2, null,
                List.of("orders", "payments"), "client-a", "/10.0.0.1")).join();
        assertThat(a.memberEpoch()).isEqualTo(3);
        assertThat(a.assignment()).as("payments is being initialized").isNull();
        a = beat("a", 3);
        assertThat(a.memberEpoch()).isEqualTo(4);
        assertThat(a.assignment()).isEqualTo(allOf(ORDERS, 12).union(allOf(PAYMENTS, 2)));

        persister.calls.clear();
        topics.put("payments", new TopicsView.Topic(PAYMENTS, "payments", 3));
        assertThat(beat("a", 4).memberEpoch()).isEqualTo(5);
        assertThat(persister.calls()).contains("initialize " + ShareGroupOffsets.key(GROUP, PAYMENTS, 2) + " 0 0");
        a = beat("a", 5);
        assertThat(a.memberEpoch()).isEqualTo(6);
        assertThat(a.assignment()).isEqualTo(allOf(ORDERS, 12).union(allOf(PAYMENTS, 3)));
        assertThat(beat("a", 6).memberEpoch()).as("nothing changed").isEqualTo(6);
    }

    @Test
    void theStatePartitionsRecordEveryPartitionTheGroupWasAssignedOnceTheShareCoordinatorInitializedIt() {
        joins("a", "payments");
        assertThat(persister.calls()).containsExactly(
                "summary " + ShareGroupOffsets.key(GROUP, PAYMENTS, 0), "initialize " + ShareGroupOffsets.key(GROUP,
                        PAYMENTS, 0) + " 0 -1",
                "summary " + ShareGroupOffsets.key(GROUP, PAYMENTS, 1), "initialize " + ShareGroupOffsets.key(GROUP,
                        PAYMENTS, 1) + " 0 -1");
        assertThat(group().statePartitions().initializing()).isEmpty();
        assertThat(group().statePartitions().initialized()).containsExactly(
                new GroupRecord.ShareTopicPartitions(PAYMENTS, "payments", List.of(0, 1)));
        coordinator.heartbeat(new ShareHeartbeat(GROUP, "a", 1, null, List.of("orders"), "c", "/h")).join();

        assertThat(group().initialized()).as("payments stays: its state is kept until deleted")
                .containsOnlyKeys(ORDERS, PAYMENTS);
        assertThat(group().initialized().get(ORDERS).topicName()).isEqualTo("orders");
    }

    @Test
    void aPartitionWhoseStateCannotBeInitializedStaysInitializingAndIsRetriedAfterTheNextHeartbeatOrALoad() {
        persister.failWith = Errors.COORDINATOR_NOT_AVAILABLE;
        joins("a", "payments");
        assertThat(group().statePartitions().initializing()).containsExactly(
                new GroupRecord.ShareTopicPartitions(PAYMENTS, "payments", List.of(0, 1)));
        assertThat(group().initialized()).as("the deletions still know of them").containsOnlyKeys(PAYMENTS);

        failover();
        assertThat(group().statePartitions().initializing()).hasSize(1);
        persister.failWith = null;
        persister.initialize(ShareGroupOffsets.key(GROUP, PAYMENTS, 1), 3, 77).join();
        persister.calls.clear();
        beat("a", 1);

        assertThat(group().statePartitions().initializing()).isEmpty();
        assertThat(group().statePartitions().initialized()).singleElement()
                .satisfies(t -> assertThat(t.partitions()).containsExactly(0, 1));
        assertThat(persister.calls()).as("state that exists is kept").doesNotContain(
                "initialize " + ShareGroupOffsets.key(GROUP, PAYMENTS, 1) + " 0 -1");
        assertThat(persister.states.get(ShareGroupOffsets.key(GROUP, PAYMENTS, 1)).startOffset()).isEqualTo(77);

        persister.failWith = Errors.COORDINATOR_NOT_AVAILABLE;
        coordinator.heartbeat(new ShareHeartbeat(GROUP, "a", 1, null, List.of("payments", "orders"), "c", "/h")).join();
        assertThat(group().statePartitions().initializing()).extracting(GroupRecord.ShareTopicPartitions::topicId)
                .containsExactly(ORDERS);
        persister.failWith = null;
        failover();
        assertThat(group().statePartitions().initializing()).as("a coordinator that loads the group initializes")
                .isEmpty();
        assertThat(group().initialized()).containsOnlyKeys(ORDERS, PAYMENTS);
    }

    // ---------------------------------------------------------------- refusals

    @Test
    void malformedHeartbeatsAreInvalidRequestsAndWriteNothing() {
        joins("a", "orders");
        int before = records();
        List<ShareHeartbeat> malformed = List.of(
                new ShareHeartbeat("", "a", 0, null, List.of("orders"), "c", "/h"),
                new ShareHeartbeat(GROUP, "", 0, null, List.of("orders"), "c", "/h"),
                new ShareHeartbeat(GROUP, "b", 0, null, null, "c", "/h"),
                new ShareHeartbeat(GROUP, "b", 0, null, List.of(), "c", "/h"),
                new ShareHeartbeat(GROUP, "b", 0, "", List.of("orders"), "c", "/h"),
                new ShareHeartbeat(GROUP, "a", -2, null, null, "c", "/h"));
        for (ShareHeartbeat r : malformed) {
            ShareHeartbeatResult answer = coordinator.heartbeat(r).join();
            assertThat(answer.error()).as("%s", r).isEqualTo(Errors.INVALID_REQUEST);
            assertThat(answer.errorMessage()).as("%s", r).isNotBlank();
        }
        assertThat(records()).isEqualTo(before);
        assertThat(group().members()).hasSize(1);
    }

    @Test
    void anEpochTheCoordinatorDoesNotKnowIsFencedButThePreviousOneIsAccepted() {
        joins("a", "orders");
        joins("b", "orders");
        assertThat(beat("a", 5).error()).isEqualTo(Errors.FENCED_MEMBER_EPOCH);
        ShareHeartbeatResult a = beat("a", 1);
        assertThat(a.memberEpoch()).isEqualTo(3);
        assertThat(beat("a", 1).error()).as("its previous epoch: the answer may have been lost").isEqualTo(Errors.NONE);
        joins("c", "orders");
        beat("a", 3);
        assertThat(beat("a", 1).error()).as("two epochs back").isEqualTo(Errors.FENCED_MEMBER_EPOCH);
        assertThat(beat("z", 1).error()).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
    }

    @Test
    void aMemberJoiningAgainWithItsIdGetsItsWholeAssignment() {
        joins("a", "orders");
        beat("a", 1);
        ShareHeartbeatResult again = joins("a", "orders");
        assertThat(again.error()).isEqualTo(Errors.NONE);
        assertThat(again.memberEpoch()).isEqualTo(2);
        assertThat(again.assignment()).isEqualTo(allOf(ORDERS, 12));
    }

    @Test
    void theGroupsMaximumSizeRefusesNewMembersOnly() {
        maxSize = 2;
        startCoordinator();
        joins("a", "orders");
        joins("b", "orders");
        ShareHeartbeatResult c = joins("c", "orders");
        assertThat(c.error()).isEqualTo(Errors.GROUP_MAX_SIZE_REACHED);
        assertThat(joins("a", "orders").error()).isEqualTo(Errors.NONE);
    }

    @Test
    void aGroupIdIsAShareGroupOrAnotherTypeNeverBoth() {
        ConsumerGroupCoordinator consumers = new ConsumerGroupCoordinator(classic, clock, scheduler, view,
                KafkaConsumerProtocolCodec.INSTANCE);
        ConsumerHeartbeatResult consumer = consumers.heartbeat(new ConsumerHeartbeat("consumers", "m", 0, null, null,
                30_000, List.of("orders"), null, null, PartitionSet.EMPTY, "c", "/h")).join();
        assertThat(consumer.error()).isEqualTo(Errors.NONE);
        ShareHeartbeatResult refused = coordinator.heartbeat(new ShareHeartbeat("consumers", "s", 0, null,
                List.of("orders"), "c", "/h")).join();
        assertThat(refused.error()).isEqualTo(Errors.GROUP_ID_NOT_FOUND);
        assertThat(refused.errorMessage()).isEqualTo("Group consumers is not a share group.");

        GroupOffsets offsets = new GroupOffsets(classic, clock, bytes -> Set.of(), name -> null);
        assertThat(offsets.commit("classic", -1, "", null, Map.of(new TopicPartition("orders", 0),
                new GroupOffsets.Commit(5, 0, "", -1))).join().partitions()).containsValue(Errors.NONE);
        assertThat(coordinator.heartbeat(new ShareHeartbeat("classic", "s", 0, null, List.of("orders"), "c", "/h"))
                .join().error()).as("a classic group with offsets").isEqualTo(Errors.GROUP_ID_NOT_FOUND);

        joins("a", "orders");
        assertThat(consumers.heartbeat(new ConsumerHeartbeat(GROUP, "m", 0, null, null, 30_000, List.of("orders"),
                null, null, PartitionSet.EMPTY, "c", "/h")).join().error()).isEqualTo(Errors.GROUP_ID_NOT_FOUND);
        JoinResult join = classic.join(new JoinRequest(GROUP, "", null, "c", "/h", 10_000, 30_000, "consumer",
                List.of(new MemberProtocol("range", new byte[0])), false, null)).join();
        assertThat(join.error()).isEqualTo(Errors.INCONSISTENT_GROUP_PROTOCOL);
        beat("a", ShareHeartbeat.LEAVE);
        assertThat(classic.join(new JoinRequest(GROUP, "", null, "c", "/h", 10_000, 30_000, "consumer",
                List.of(new MemberProtocol("range", new byte[0])), false, null)).join().error())
                .as("an empty share group is still a share group").isEqualTo(Errors.INCONSISTENT_GROUP_PROTOCOL);
    }

    @Test
    void aShareGroupHasNoCommittedOffsetsAndTheirExpiryLeavesItAlone() {
        joins("a", "orders");
        GroupOffsets offsets = new GroupOffsets(classic, clock, bytes -> Set.of(), name -> null);
        Map<TopicPartition, GroupOffsets.Commit> commit = Map.of(new TopicPartition("orders", 0),
                new GroupOffsets.Commit(5, 0, "", -1));
        int before = records();

        assertThat(offsets.commit(GROUP, -1, "", null, commit).join().error()).isEqualTo(Errors.GROUP_ID_NOT_FOUND);
        assertThat(offsets.fetch(GROUP, null).join().error()).isEqualTo(Errors.GROUP_ID_NOT_FOUND);
        assertThat(offsets.delete(GROUP, List.of(new TopicPartition("orders", 0))).join().error())
                .isEqualTo(Errors.GROUP_ID_NOT_FOUND);
        assertThat(records()).isEqualTo(before);

        offsets.expireOffsets();
        assertThat(group().members()).as("a share group with members is no empty group with nothing left").hasSize(1);
        beat("a", ShareHeartbeat.LEAVE);
        clock.advance(Duration.ofDays(8));
        offsets.expireOffsets();
        assertThat(manager.group(GROUP).share()).as("an empty share group stays until deleted").isNotNull();
    }

    // ---------------------------------------------------------------- sessions

    @Test
    void aSilentMemberIsRemovedWhenItsSessionEndsAndAHeartbeatingOneStays() {
        joins("a", "orders");
        joins("b", "orders");
        int epoch = beat("a", 1).memberEpoch();
        for (int i = 0; i < 3; i++) {
            scheduler.advance(Duration.ofSeconds(30));
            epoch = beat("a", epoch).memberEpoch();
        }

        assertThat(group().members()).extracting(m -> m.memberId).containsExactly("a");
        ShareHeartbeatResult a = beat("a", epoch);
        assertThat(a.memberEpoch()).isEqualTo(group().groupEpoch());
        assertThat(group().member("a").assignment.assigned()).isEqualTo(allOf(ORDERS, 12));
        assertThat(beat("b", 2).error()).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
    }

    @Test
    void theSessionTimeoutIsTheGroupsOwn() {
        overrides.put(GROUP, new ShareGroupConfigs.Settings(ShareGroupConfigs.AutoOffsetReset.EARLIEST,
                Duration.ofSeconds(30), 5, false, Duration.ofSeconds(10), Duration.ofSeconds(2)));
        ShareHeartbeatResult a = joins("a", "orders");
        assertThat(a.heartbeatIntervalMs()).isEqualTo(2_000);

        scheduler.advance(Duration.ofSeconds(9));
        assertThat(group().members()).hasSize(1);
        scheduler.advance(Duration.ofSeconds(2));
        assertThat(group().members()).isEmpty();
        assertThat(group().stateName()).isEqualTo("Empty");
    }

    // ---------------------------------------------------------------- a coordinator that takes over

    @Test
    void aNewCoordinatorLoadsTheGroupAndItCarriesOn() {
        joins("a", "orders", "payments");
        joins("b", "orders");
        joins("c", "orders");
        beat("a", 1);
        ShareGroup before = group();
        Map<String, GroupRecord.StoredShareAssignment> assignments = new HashMap<>();
        Map<String, GroupRecord.StoredShareMember> metadata = new HashMap<>();
        before.members().forEach(m -> {
            assignments.put(m.memberId, m.assignment);
            metadata.put(m.memberId, m.metadata);
        });

        failover();

        ShareGroup after = group();
        assertThat(after).isNotSameAs(before);
        assertThat(after.groupEpoch()).isEqualTo(before.groupEpoch());
        assertThat(after.metadataHash()).isEqualTo(before.metadataHash());
        assertThat(after.assignmentEpoch()).isEqualTo(before.assignmentEpoch());
        assertThat(after.targets()).isEqualTo(before.targets());
        assertThat(after.statePartitions()).isEqualTo(before.statePartitions());
        after.members().forEach(m -> {
            assertThat(m.assignment).isEqualTo(assignments.get(m.memberId));
            assertThat(m.metadata).isEqualTo(metadata.get(m.memberId));
        });
        assertThat(after.members()).hasSize(3);

        ShareHeartbeatResult b = beat("b", 3);
        assertThat(b.error()).isEqualTo(Errors.NONE);
        assertThat(b.memberEpoch()).isEqualTo(4);
        scheduler.advance(Duration.ofSeconds(46));
        assertThat(group().members()).as("sessions start afresh on the new coordinator, and end").isEmpty();
        failover();
        assertThat(group().members()).isEmpty();
        assertThat(group().groupEpoch()).isEqualTo(7);
    }

    // ---------------------------------------------------------------- describe

    @Test
    void describeShowsTheGroupAndItsMembers() {
        coordinator.heartbeat(new ShareHeartbeat(GROUP, "a", 0, "rack-1", List.of("payments"), "client-a", "/10.0.0.1"))
                .join();
        beat("a", 1);
        ShareGroupCoordinator.Description d = coordinator.describe(GROUP).join();

        assertThat(d.error()).isEqualTo(Errors.NONE);
        assertThat(d.state()).isEqualTo("Stable");
        assertThat(d.groupEpoch()).isEqualTo(2);
        assertThat(d.assignmentEpoch()).isEqualTo(2);
        assertThat(d.assignorName()).isEqualTo("simple");
        assertThat(d.members()).singleElement().satisfies(m -> {
            assertThat(m.memberId()).isEqualTo("a");
            assertThat(m.rackId()).isEqualTo("rack-1");
            assertThat(m.clientId()).isEqualTo("client-a");
            assertThat(m.clientHost()).isEqualTo("/10.0.0.1");
            assertThat(m.memberEpoch()).isEqualTo(2);
            assertThat(m.subscribedTopicNames()).containsExactly("payments");
            assertThat(m.assignment()).isEqualTo(allOf(PAYMENTS, 2));
        });
        assertThat(coordinator.describe("nobody").join().error()).isEqualTo(Errors.GROUP_ID_NOT_FOUND);
    }
}
