package dev.runnel.broker.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

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
import dev.runnel.common.TopicPartition;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

/**
 * The consumer group protocol (KIP-848) with a fake clock and scheduler, direct executors and an
 * in-memory offsets topic: joins and epochs, the uniform and range assignors, revocation before
 * assignment, sessions, fencing, static members, metadata changes, and a coordinator failover.
 */
@Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ConsumerGroupCoordinatorTest {

    static final String GROUP = "orders-service";
    static final UUID ORDERS = UUID.fromString("00000000-0000-4000-8000-0000000000aa");
    static final UUID PAYMENTS = UUID.fromString("00000000-0000-4000-8000-0000000000bb");
    static final int REBALANCE_MS = 30_000;
    static final GroupSettings SETTINGS = GroupCoordinatorTest.SETTINGS;
    static final Executor DIRECT = Runnable::run;

    final ManualClock clock = new ManualClock(1_000_000);
    final ManualScheduler scheduler = new ManualScheduler(clock);
    final FakeGroupLog log = new FakeGroupLog();
    final Map<String, TopicsView.Topic> topics = new HashMap<>();
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
    GroupSettings settings = SETTINGS;
    GroupMetadataManager manager;
    GroupCoordinator classic;
    ConsumerGroupCoordinator coordinator;

    @BeforeEach
    void start() {
        topics.put("orders", new TopicsView.Topic(ORDERS, "orders", 12));
        topics.put("payments", new TopicsView.Topic(PAYMENTS, "payments", 2));
        startCoordinator();
    }

    void startCoordinator() {
        manager = new GroupMetadataManager(log, clock, DIRECT, DIRECT, settings, settings::offsetsTopicPartitions);
        classic = new GroupCoordinator(manager, clock, scheduler);
        coordinator = new ConsumerGroupCoordinator(classic, clock, scheduler, view, KafkaConsumerProtocolCodec.INSTANCE);
        for (int p = 0; p < SETTINGS.offsetsTopicPartitions(); p++) {
            manager.becameLeader(p);
        }
    }

    // ---------------------------------------------------------------- helpers

    static ConsumerHeartbeat join(String memberId, String instanceId, String assignor, String... topicNames) {
        return new ConsumerHeartbeat(GROUP, memberId, 0, instanceId, null, REBALANCE_MS, List.of(topicNames), null,
                assignor, PartitionSet.EMPTY, "client-" + memberId, "/10.0.0.1");
    }

    ConsumerHeartbeatResult joins(String memberId, String... topicNames) {
        return heartbeat(join(memberId, null, null, topicNames));
    }

    ConsumerHeartbeatResult heartbeat(ConsumerHeartbeat r) {
        return coordinator.heartbeat(r).join();
    }

    /** A heartbeat that changes nothing but says what the member owns ({@code owned} null: not said). */
    ConsumerHeartbeatResult beat(String memberId, int epoch, PartitionSet owned) {
        return heartbeat(new ConsumerHeartbeat(GROUP, memberId, epoch, null, null, -1, null, null, null, owned,
                "client-" + memberId, "/10.0.0.1"));
    }

    static PartitionSet orders(int... partitions) {
        PartitionSet.Builder b = new PartitionSet.Builder();
        for (int p : partitions) {
            b.add(ORDERS, p);
        }
        return b.build();
    }

    static PartitionSet orderRange(int from, int to) {
        PartitionSet.Builder b = new PartitionSet.Builder();
        for (int p = from; p < to; p++) {
            b.add(ORDERS, p);
        }
        return b.build();
    }

    ConsumerGroup group() {
        return manager.group(GROUP).consumer();
    }

    /**
     * Heartbeats every member, each reporting what it was last told it owns, until nobody's
     * assignment or epoch changes; returns what each owns.
     */
    Map<String, PartitionSet> settle(Map<String, ConsumerHeartbeatResult> last) {
        Map<String, PartitionSet> owned = new HashMap<>();
        last.forEach((m, r) -> owned.put(m, r.assignment() == null ? PartitionSet.EMPTY : r.assignment()));
        for (int round = 0; round < 10; round++) {
            boolean changed = false;
            for (String m : List.copyOf(last.keySet())) {
                ConsumerHeartbeatResult r = beat(m, last.get(m).memberEpoch(), owned.get(m));
                assertThat(r.error()).as("heartbeat of %s", m).isEqualTo(Errors.NONE);
                if (r.assignment() != null && !r.assignment().equals(owned.get(m))) {
                    owned.put(m, r.assignment());
                    changed = true;
                }
                if (r.memberEpoch() != last.get(m).memberEpoch()) {
                    changed = true;
                }
                last.put(m, r);
            }
            if (!changed) {
                return owned;
            }
        }
        throw new AssertionError("the group did not settle: " + owned);
    }

    static void assertSplit(Map<String, PartitionSet> owned, PartitionSet all, int each) {
        PartitionSet union = PartitionSet.EMPTY;
        for (PartitionSet s : owned.values()) {
            assertThat(s.size()).isEqualTo(each);
            assertThat(union.intersects(s)).as("disjoint").isFalse();
            union = union.union(s);
        }
        assertThat(union).isEqualTo(all);
    }

    // ---------------------------------------------------------------- joining and assigning

    @Test
    void threeMembersSplitTwelvePartitionsFourEachAndTheGroupIsStable() {
        Map<String, ConsumerHeartbeatResult> last = new HashMap<>();
        for (String m : List.of("a", "b", "c")) {
            ConsumerHeartbeatResult r = joins(m, "orders");
            assertThat(r.error()).isEqualTo(Errors.NONE);
            assertThat(r.memberId()).isEqualTo(m);
            assertThat(r.heartbeatIntervalMs()).isEqualTo(5_000);
            last.put(m, r);
        }
        Map<String, PartitionSet> owned = settle(last);

        assertSplit(owned, orderRange(0, 12), 4);
        assertThat(group().groupEpoch()).isEqualTo(3);
        assertThat(group().assignmentEpoch()).isEqualTo(3);
        assertThat(last.values()).allMatch(r -> r.memberEpoch() == 3);
        assertThat(group().stateName()).isEqualTo("Stable");
    }

    @Test
    void aPartitionGoesToItsNewOwnerOnlyOnceTheOldOneHasRevokedIt() {
        ConsumerHeartbeatResult a = joins("a", "orders");
        assertThat(a.memberEpoch()).isEqualTo(1);
        assertThat(a.assignment()).isEqualTo(orderRange(0, 12));

        ConsumerHeartbeatResult b = joins("b", "orders");
        assertThat(b.memberEpoch()).as("at the new target's epoch, waiting").isEqualTo(2);
        assertThat(b.assignment()).as("everything b is to get is still a's").isEqualTo(PartitionSet.EMPTY);
        assertThat(group().member("b").assignment.state()).isEqualTo(MemberState.UNRELEASED_PARTITIONS);
        PartitionSet bTarget = group().target("b");
        assertThat(bTarget.size()).isEqualTo(6);

        ConsumerHeartbeatResult aRevoking = beat("a", 1, orderRange(0, 12));
        assertThat(aRevoking.memberEpoch()).as("a stays at its epoch until it revokes").isEqualTo(1);
        assertThat(aRevoking.assignment()).isEqualTo(orderRange(0, 12).minus(bTarget));
        assertThat(group().member("a").assignment.state()).isEqualTo(MemberState.UNREVOKED_PARTITIONS);

        assertThat(beat("b", 2, PartitionSet.EMPTY).assignment()).as("not yet released").isNull();

        ConsumerHeartbeatResult aDone = beat("a", 1, aRevoking.assignment());
        assertThat(aDone.memberEpoch()).isEqualTo(2);
        assertThat(group().member("a").assignment.state()).isEqualTo(MemberState.STABLE);

        ConsumerHeartbeatResult bNow = beat("b", 2, PartitionSet.EMPTY);
        assertThat(bNow.assignment()).isEqualTo(bTarget);
        assertThat(group().member("b").assignment.state()).isEqualTo(MemberState.STABLE);
        assertThat(group().stateName()).isEqualTo("Stable");
    }

    @Test
    void theRangeAssignorGivesConsecutivePartitionsWhenMembersAskForIt() {
        heartbeat(join("a", null, "range", "orders"));
        heartbeat(join("b", null, "range", "orders"));
        Map<String, ConsumerHeartbeatResult> last = new HashMap<>();
        last.put("a", beat("a", 1, orderRange(0, 12)));
        last.put("b", beat("b", 2, PartitionSet.EMPTY));
        settle(last);

        assertThat(group().target("a")).isEqualTo(orderRange(0, 6));
        assertThat(group().target("b")).isEqualTo(orderRange(6, 12));
        assertThat(coordinator.describe(GROUP).join().assignorName()).isEqualTo("range");
    }

    @Test
    void theUniformAssignorKeepsWhatMembersHaveWhenAMemberJoins() {
        Map<String, ConsumerHeartbeatResult> last = new HashMap<>();
        last.put("a", joins("a", "orders"));
        last.put("b", joins("b", "orders"));
        Map<String, PartitionSet> before = settle(last);

        last.put("c", joins("c", "orders"));
        Map<String, PartitionSet> after = settle(last);

        assertSplit(after, orderRange(0, 12), 4);
        assertThat(before.get("a").containsAll(after.get("a"))).as("a only gave up partitions").isTrue();
        assertThat(before.get("b").containsAll(after.get("b"))).as("b only gave up partitions").isTrue();
    }

    @Test
    void anUnknownAssignorABadRegexAndAMalformedJoinAreRefused() {
        assertThat(heartbeat(join("a", null, "sticky", "orders")).error()).isEqualTo(Errors.UNSUPPORTED_ASSIGNOR);
        ConsumerHeartbeatResult regex = heartbeat(new ConsumerHeartbeat(GROUP, "a", 0, null, null, REBALANCE_MS, null,
                "ord(ers", null, PartitionSet.EMPTY, "c", "/h"));
        assertThat(regex.error()).isEqualTo(Errors.INVALID_REGULAR_EXPRESSION);
        assertThat(regex.errorMessage()).contains("SubscribedTopicRegex");
        assertThat(heartbeat(new ConsumerHeartbeat(GROUP, "a", 0, null, null, REBALANCE_MS, null, "(a+)+\\1", null,
                PartitionSet.EMPTY, "c", "/h")).error()).as("a backreference is not RE2")
                .isEqualTo(Errors.INVALID_REGULAR_EXPRESSION);
        assertThat(heartbeat(new ConsumerHeartbeat(GROUP, "a", 0, null, null, REBALANCE_MS, null, null, null,
                PartitionSet.EMPTY, "c", "/h")).error()).as("neither names nor a regex").isEqualTo(Errors.INVALID_REQUEST);
        assertThat(heartbeat(new ConsumerHeartbeat(GROUP, "", 0, null, null, REBALANCE_MS, List.of("orders"), null,
                null, PartitionSet.EMPTY, "c", "/h")).error()).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(heartbeat(new ConsumerHeartbeat(GROUP, "a", 0, null, null, -1, List.of("orders"), null,
                null, PartitionSet.EMPTY, "c", "/h")).error()).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(log.appends).as("nothing written").isZero();
    }

    // ---------------------------------------------------------------- epochs and fencing

    @Test
    void aWrongEpochIsFencedAnUnknownMemberIsToldAndALostAnswerIsForgiven() {
        joins("a", "orders");
        Map<String, ConsumerHeartbeatResult> last = new HashMap<>();
        last.put("a", beat("a", 1, orderRange(0, 12)));
        last.put("b", joins("b", "orders"));
        settle(last);
        assertThat(group().member("a").assignment.memberEpoch()).isEqualTo(2);

        assertThat(beat("a", 3, null).error()).isEqualTo(Errors.FENCED_MEMBER_EPOCH);
        assertThat(beat("a", 0 + 1, null).error()).as("previous epoch, owned partitions not said")
                .isEqualTo(Errors.FENCED_MEMBER_EPOCH);
        assertThat(beat("a", 1, group().member("a").assignment.assigned()).error())
                .as("the previous epoch with a subset of its partitions: the bump's answer was lost")
                .isEqualTo(Errors.NONE);
        assertThat(beat("zed", 2, null).error()).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
    }

    @Test
    void aFencedMemberRejoiningWithEpochZeroGetsItsTargetBack() {
        joins("a", "orders");
        assertThat(beat("a", 7, null).error()).isEqualTo(Errors.FENCED_MEMBER_EPOCH);

        ConsumerHeartbeatResult again = joins("a", "orders");

        assertThat(again.error()).isEqualTo(Errors.NONE);
        assertThat(again.memberEpoch()).isEqualTo(1);
        assertThat(again.assignment()).isEqualTo(orderRange(0, 12));
    }

    // ---------------------------------------------------------------- members going away

    @Test
    void aSilentMemberIsRemovedAfterTheSessionTimeoutAndItsPartitionsMove() {
        Map<String, ConsumerHeartbeatResult> last = new HashMap<>();
        for (String m : List.of("a", "b", "c")) {
            last.put(m, joins(m, "orders"));
        }
        Map<String, PartitionSet> owned = settle(last);
        PartitionSet cHad = owned.get("c");

        for (int i = 0; i < 9; i++) { // a and b keep heartbeating, c is silent
            scheduler.advance(Duration.ofSeconds(5));
            last.put("a", beat("a", last.get("a").memberEpoch(), null));
            last.put("b", beat("b", last.get("b").memberEpoch(), null));
        }
        scheduler.advance(Duration.ofSeconds(1));

        assertThat(group().member("c")).as("gone after 45 s").isNull();
        last.remove("c");
        owned = settle(last);
        assertSplit(owned, orderRange(0, 12), 6);
        assertThat(owned.get("a").union(owned.get("b")).containsAll(cHad)).isTrue();
        assertThat(beat("c", 3, null).error()).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
    }

    @Test
    void aMemberThatDoesNotRevokeWithinItsRebalanceTimeoutIsFenced() {
        joins("a", "orders");
        joins("b", "orders");
        beat("a", 1, orderRange(0, 12)); // told to revoke six, it never says it did
        assertThat(group().member("a").assignment.state()).isEqualTo(MemberState.UNREVOKED_PARTITIONS);

        scheduler.advance(Duration.ofMillis(REBALANCE_MS - 1));
        beat("b", 2, PartitionSet.EMPTY);
        assertThat(group().member("a")).isNotNull();
        scheduler.advance(Duration.ofMillis(1));

        assertThat(group().member("a")).as("fenced").isNull();
        ConsumerHeartbeatResult b = beat("b", 2, PartitionSet.EMPTY);
        assertThat(b.memberEpoch()).isEqualTo(3);
        assertThat(b.assignment()).isEqualTo(orderRange(0, 12));
    }

    @Test
    void aMemberLeavingWithEpochMinusOneHandsItsPartitionsOver() {
        Map<String, ConsumerHeartbeatResult> last = new HashMap<>();
        last.put("a", joins("a", "orders"));
        last.put("b", joins("b", "orders"));
        settle(last);

        ConsumerHeartbeatResult left = beat("b", last.get("b").memberEpoch(), null);
        left = heartbeat(new ConsumerHeartbeat(GROUP, "b", -1, null, null, -1, null, null, null, null, "c", "/h"));

        assertThat(left.error()).isEqualTo(Errors.NONE);
        assertThat(left.memberEpoch()).isEqualTo(-1);
        assertThat(group().member("b")).isNull();
        last.remove("b");
        assertThat(settle(last).get("a")).isEqualTo(orderRange(0, 12));
    }

    @Test
    void aStaticMemberRestartingTakesItsOwnPlaceWithoutARebalance() {
        Map<String, ConsumerHeartbeatResult> last = new HashMap<>();
        last.put("a", heartbeat(join("a", "instance-a", null, "orders")));
        last.put("b", heartbeat(join("b", "instance-b", null, "orders")));
        Map<String, PartitionSet> owned = settle(last);
        int epoch = group().groupEpoch();

        ConsumerHeartbeatResult away = heartbeat(new ConsumerHeartbeat(GROUP, "b", -2, "instance-b", null, -1, null,
                null, null, null, "c", "/h"));
        assertThat(away.memberEpoch()).isEqualTo(-2);
        assertThat(heartbeat(join("b2", "instance-b", null, "orders")).error()).as("b is away: b2 takes its place")
                .isEqualTo(Errors.NONE);
        assertThat(group().member("b")).as("replaced").isNull();

        assertThat(group().groupEpoch()).as("no rebalance").isEqualTo(epoch);
        assertThat(group().member("b2").assignment.assigned()).isEqualTo(owned.get("b"));
        assertThat(group().target("b2")).isEqualTo(owned.get("b"));
        assertThat(beat("a", last.get("a").memberEpoch(), null).assignment()).as("a is not disturbed").isNull();
    }

    @Test
    void aSecondInstanceOfAnActiveStaticMemberIsRefused() {
        heartbeat(join("a", "instance-a", null, "orders"));

        assertThat(heartbeat(join("a2", "instance-a", null, "orders")).error())
                .isEqualTo(Errors.UNRELEASED_INSTANCE_ID);
    }

    // ---------------------------------------------------------------- topic metadata

    @Test
    void partitionsAddedToASubscribedTopicBumpTheGroupEpochAndAreAssigned() {
        Map<String, ConsumerHeartbeatResult> last = new HashMap<>();
        last.put("a", joins("a", "orders"));
        last.put("b", joins("b", "orders"));
        settle(last);
        int epoch = group().groupEpoch();

        topics.put("orders", new TopicsView.Topic(ORDERS, "orders", 16));
        Map<String, PartitionSet> owned = settle(last);

        assertThat(group().groupEpoch()).isEqualTo(epoch + 1);
        assertSplit(owned, orderRange(0, 16), 8);
    }

    @Test
    void aTopicCreatedAfterTheSubscriptionIsAssignedAndADeletedOneIsRevoked() {
        Map<String, ConsumerHeartbeatResult> last = new HashMap<>();
        last.put("a", joins("a", "orders", "invoices"));
        settle(last);
        UUID invoices = UUID.randomUUID();
        topics.put("invoices", new TopicsView.Topic(invoices, "invoices", 3));

        Map<String, PartitionSet> owned = settle(last);
        assertThat(owned.get("a").partitions(invoices)).containsExactly(0, 1, 2);

        topics.remove("invoices");
        owned = settle(last);
        assertThat(owned.get("a")).isEqualTo(orderRange(0, 12));
    }

    // ---------------------------------------------------------------- one type per group id

    @Test
    void withMigrationDisabledAClassicJoinToAConsumerGroupIsInconsistentAndAHeartbeatToAClassicGroupFindsNoConsumerGroup() {
        settings = SETTINGS.withConsumerProtocol(new GroupSettings.ConsumerProtocol(45_000, 5_000,
                List.of("uniform", "range"), GroupSettings.MigrationPolicy.DISABLED));
        startCoordinator();
        joins("a", "orders");
        JoinResult classicJoin = classic.join(new JoinRequest(GROUP, "", null, "c", "/h", 10_000, 30_000, "consumer",
                List.of(new MemberProtocol("range", new byte[0])), true, null)).join();
        assertThat(classicJoin.error()).isEqualTo(Errors.INCONSISTENT_GROUP_PROTOCOL);

        String other = "classic-group";
        classic.join(new JoinRequest(other, "", null, "c", "/h", 10_000, 30_000, "consumer",
                List.of(new MemberProtocol("range", new byte[0])), false, null));
        ConsumerHeartbeatResult r = heartbeat(new ConsumerHeartbeat(other, "m", 0, null, null, REBALANCE_MS,
                List.of("orders"), null, null, PartitionSet.EMPTY, "c", "/h"));
        assertThat(r.error()).isEqualTo(Errors.GROUP_ID_NOT_FOUND);
    }

    // ---------------------------------------------------------------- describe

    @Test
    void describeShowsEpochsMembersAndAssignments() {
        Map<String, ConsumerHeartbeatResult> last = new HashMap<>();
        last.put("a", joins("a", "orders"));
        last.put("b", joins("b", "orders", "payments"));
        settle(last);

        ConsumerGroupCoordinator.Description d = coordinator.describe(GROUP).join();

        assertThat(d.error()).isEqualTo(Errors.NONE);
        assertThat(d.state()).isEqualTo("Stable");
        assertThat(d.groupEpoch()).isEqualTo(2);
        assertThat(d.assignmentEpoch()).isEqualTo(2);
        assertThat(d.assignorName()).isEqualTo("uniform");
        assertThat(d.members()).extracting(ConsumerGroupCoordinator.MemberDescription::memberId)
                .containsExactly("a", "b");
        ConsumerGroupCoordinator.MemberDescription b = d.members().get(1);
        assertThat(b.subscribedTopicNames()).containsExactly("orders", "payments");
        assertThat(b.clientId()).isEqualTo("client-b");
        assertThat(b.assignment()).isEqualTo(b.targetAssignment());
        assertThat(d.members().get(0).assignment().size() + b.assignment().size()).isEqualTo(14);
        assertThat(coordinator.describe("nobody").join().error()).isEqualTo(Errors.GROUP_ID_NOT_FOUND);
    }

    // ---------------------------------------------------------------- writes

    @Test
    void aFailedWriteAnswersItsErrorAndChangesNothing() {
        joins("a", "orders");
        log.failWith = Errors.NOT_ENOUGH_REPLICAS;

        ConsumerHeartbeatResult b = joins("b", "orders");

        assertThat(b.error()).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
        assertThat(group().member("b")).isNull();
        assertThat(group().groupEpoch()).isEqualTo(1);
    }

    @Test
    void heartbeatsArrivingWhileAWriteIsInFlightDecideOnTheStateItLeaves() {
        joins("a", "orders");
        log.hold = true;
        var b = coordinator.heartbeat(join("b", null, null, "orders"));
        var c = coordinator.heartbeat(join("c", null, null, "orders"));
        assertThat(b).isNotDone();
        assertThat(c).isNotDone();

        log.hold = false;
        log.release();
        log.release();

        assertThat(b.join().memberEpoch()).isEqualTo(2);
        assertThat(c.join().memberEpoch()).isEqualTo(3);
        assertThat(group().groupEpoch()).isEqualTo(3);
    }

    // ---------------------------------------------------------------- failover and deletion

    /** The coordinator moves: the old one resigns, a new one loads the partition from the same log. */
    void failover() {
        for (int p = 0; p < SETTINGS.offsetsTopicPartitions(); p++) {
            manager.resigned(p);
        }
        startCoordinator();
    }

    @Test
    void aNewCoordinatorLoadsMembersEpochsAndAssignmentsAndTheGroupCarriesOn() {
        Map<String, ConsumerHeartbeatResult> last = new HashMap<>();
        for (String m : List.of("a", "b", "c")) {
            last.put(m, joins(m, "orders"));
        }
        Map<String, PartitionSet> owned = settle(last);
        last.put("d", heartbeat(join("d", "instance-d", "range", "orders", "payments")));
        last.put("a", beat("a", last.get("a").memberEpoch(), owned.get("a"))); // a is told to revoke, mid-way
        ConsumerGroup before = group();
        Map<String, MemberAssignment> assignments = new HashMap<>();
        before.members().forEach(m -> assignments.put(m.memberId, m.assignment));
        Map<String, PartitionSet> targets = before.targets();
        int groupEpoch = before.groupEpoch();
        long hash = before.metadataHash();

        failover();

        ConsumerGroup after = group();
        assertThat(after).isNotSameAs(before);
        assertThat(after.groupEpoch()).isEqualTo(groupEpoch);
        assertThat(after.metadataHash()).isEqualTo(hash);
        assertThat(after.assignmentEpoch()).isEqualTo(groupEpoch);
        assertThat(after.targets()).isEqualTo(targets);
        assertThat(after.members()).extracting(m -> m.memberId).containsExactlyInAnyOrder("a", "b", "c", "d");
        after.members().forEach(m -> assertThat(m.assignment).isEqualTo(assignments.get(m.memberId)));
        assertThat(after.member("d").metadata.instanceId()).isEqualTo("instance-d");
        assertThat(after.member("d").metadata.subscribedTopicNames()).containsExactly("orders", "payments");
        assertThat(after.staticMemberId("instance-d")).isEqualTo("d");
        assertThat(after.member("a").assignment.state()).isEqualTo(MemberState.UNREVOKED_PARTITIONS);

        // The members heartbeat with the epochs they had: nobody is fenced, and the group settles.
        Map<String, PartitionSet> settled = settle(last);
        assertThat(settled.values().stream().mapToInt(PartitionSet::size).sum()).isEqualTo(14);
        assertThat(group().stateName()).isEqualTo("Stable");
        assertThat(group().groupEpoch()).as("no rebalance for the move").isEqualTo(groupEpoch);
    }

    @Test
    void sessionsStartAgainOnLoadAndASilentMemberIsStillRemoved() {
        Map<String, ConsumerHeartbeatResult> last = new HashMap<>();
        last.put("a", joins("a", "orders"));
        last.put("b", joins("b", "orders"));
        settle(last);

        failover();
        for (int i = 0; i < 9; i++) {
            scheduler.advance(Duration.ofSeconds(5));
            last.put("a", beat("a", last.get("a").memberEpoch(), null));
        }
        scheduler.advance(Duration.ofSeconds(1));

        assertThat(group().member("b")).isNull();
        last.remove("b");
        assertThat(settle(last).get("a")).isEqualTo(orderRange(0, 12));
    }

    @Test
    void membersThatLeftStayGoneAfterALoad() {
        Map<String, ConsumerHeartbeatResult> last = new HashMap<>();
        last.put("a", joins("a", "orders"));
        last.put("b", joins("b", "orders"));
        settle(last);
        heartbeat(new ConsumerHeartbeat(GROUP, "b", -1, null, null, -1, null, null, null, null, "c", "/h"));

        failover();

        assertThat(group().members()).extracting(m -> m.memberId).containsExactly("a");
        assertThat(group().targets()).containsOnlyKeys("a");
        assertThat(group().owner(ORDERS, 11)).isIn("a", null);
    }

    @Test
    void anEmptyConsumerGroupIsDeletedWithItsOffsetsAndStaysDeletedAfterALoad() {
        GroupAdmin admin = new GroupAdmin(classic);
        joins("a", "orders");
        assertThat(admin.delete(GROUP).join()).isEqualTo(Errors.NON_EMPTY_GROUP);
        heartbeat(new ConsumerHeartbeat(GROUP, "a", -1, null, null, -1, null, null, null, null, "c", "/h"));

        assertThat(admin.delete(GROUP).join()).isEqualTo(Errors.NONE);
        assertThat(manager.group(GROUP)).isNull();

        failover();
        assertThat(manager.group(GROUP)).as("nothing comes back").isNull();
        assertThat(joins("a", "orders").memberEpoch()).as("a new group starts at epoch 1").isEqualTo(1);
    }

    // ---------------------------------------------------------------- offsets and admin

    GroupOffsets offsets() {
        return new GroupOffsets(classic, clock, bytes -> Set.of(), name -> view.byName(name).map(TopicsView.Topic::id)
                .orElse(null));
    }

    static Map<TopicPartition, GroupOffsets.Commit> commitOf(int partition, long offset) {
        return Map.of(new TopicPartition("orders", partition), new GroupOffsets.Commit(offset, 0, "", -1));
    }

    @Test
    void membersCommitAndFetchWithTheirMemberEpochAndAStaleOneIsRefused() {
        GroupOffsets offsets = offsets();
        Map<String, ConsumerHeartbeatResult> last = new HashMap<>();
        last.put("a", joins("a", "orders"));
        settle(last);
        last.put("b", joins("b", "orders"));
        settle(last);
        int epoch = group().member("a").assignment.memberEpoch();

        assertThat(offsets.commit(GROUP, epoch, "a", null, commitOf(0, 10)).join().error()).isEqualTo(Errors.NONE);
        int bs = group().member("b").assignment.assigned().partitions(ORDERS).first();
        assertThat(offsets.commit(GROUP, epoch - 1, "a", null, commitOf(bs, 11)).join().error())
                .as("an older epoch, for a partition a no longer owns").isEqualTo(Errors.STALE_MEMBER_EPOCH);
        assertThat(offsets.commit(GROUP, epoch, "zed", null, commitOf(0, 12)).join().error())
                .isEqualTo(Errors.UNKNOWN_MEMBER_ID);
        assertThat(offsets.commit(GROUP, -1, "", null, commitOf(0, 13)).join().error())
                .as("an admin commit while the group has members").isEqualTo(Errors.UNKNOWN_MEMBER_ID);
        assertThat(offsets.fetch(GROUP, null).join().offsets().values()).extracting(OffsetAndMetadata::offset)
                .containsExactly(10L);
        assertThat(offsets.fetch(GROUP, null, false, "a", epoch).join().offsets()).hasSize(1);
        assertThat(offsets.fetch(GROUP, null, false, "a", epoch - 1).join().error()).isEqualTo(Errors.STALE_MEMBER_EPOCH);
        assertThat(offsets.fetch(GROUP, null, false, "zed", epoch).join().error()).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
        assertThat(offsets.fetch(GROUP, null, false, null, -1).join().error()).as("the admin client's")
                .isEqualTo(Errors.NONE);

        for (String m : List.of("a", "b")) {
            heartbeat(new ConsumerHeartbeat(GROUP, m, -1, null, null, -1, null, null, null, null, "c", "/h"));
        }
        assertThat(offsets.commit(GROUP, -1, "", null, commitOf(0, 14)).join().error())
                .as("an admin commit to the empty group").isEqualTo(Errors.NONE);
        failover();
        assertThat(offsets().fetch(GROUP, null).join().offsets().values()).extracting(OffsetAndMetadata::offset)
                .containsExactly(14L);
    }

    @Test
    void listingsAndDescriptionsTellTheTypeAndTheConsumerGroupsState() {
        GroupAdmin admin = new GroupAdmin(classic);
        joins("a", "orders");
        joins("b", "orders");
        classic.join(new JoinRequest("classic-group", "", null, "c", "/h", 10_000, 30_000, "consumer",
                List.of(new MemberProtocol("range", new byte[0])), false, null));

        assertThat(admin.list().join()).extracting(GroupAdmin.Listing::groupId, GroupAdmin.Listing::type,
                GroupAdmin.Listing::state, GroupAdmin.Listing::protocolType).containsExactlyInAnyOrder(
                tuple(GROUP, "consumer", "Reconciling", "consumer"),
                tuple("classic-group", "classic", "PreparingRebalance", "consumer"));
        GroupAdmin.Description described = admin.describe(GROUP).join();
        assertThat(described.isConsumerGroup()).as("for the operators' views").isTrue();
        assertThat(described.stateName()).isEqualTo("Reconciling");
        assertThat(described.members()).extracting(GroupAdmin.MemberDescription::memberId)
                .containsExactlyInAnyOrder("a", "b");
    }

    // ---------------------------------------------------------------- regular expressions

    static ConsumerHeartbeat joinByRegex(String memberId, String regex) {
        return new ConsumerHeartbeat(GROUP, memberId, 0, null, null, REBALANCE_MS, null, regex, null,
                PartitionSet.EMPTY, "client-" + memberId, "/10.0.0.1");
    }

    @Test
    void aRegexSubscribesToEveryTopicItMatchesInFullAndToTopicsCreatedLater() {
        topics.put("orders-eu", new TopicsView.Topic(UUID.randomUUID(), "orders-eu", 2));
        Map<String, ConsumerHeartbeatResult> last = new HashMap<>();
        last.put("a", heartbeat(joinByRegex("a", "orders.*")));
        Map<String, PartitionSet> owned = settle(last);
        assertThat(owned.get("a").size()).as("orders (12) and orders-eu (2), not payments").isEqualTo(14);
        int epoch = group().groupEpoch();

        UUID us = UUID.randomUUID();
        topics.put("orders-us", new TopicsView.Topic(us, "orders-us", 3));
        topics.put("not-orders", new TopicsView.Topic(UUID.randomUUID(), "not-orders", 3));
        owned = settle(last);

        assertThat(group().groupEpoch()).isEqualTo(epoch + 1);
        assertThat(owned.get("a").partitions(us)).containsExactly(0, 1, 2);
        assertThat(owned.get("a").size()).isEqualTo(17);
        assertThat(coordinator.describe(GROUP).join().members().get(0).subscribedTopicRegex()).isEqualTo("orders.*");
        GroupOffsets offsets = offsets();
        offsets.commit(GROUP, group().member("a").assignment.memberEpoch(), "a", null, commitOf(0, 5)).join();
        assertThat(offsets.delete(GROUP, List.of(new TopicPartition("orders", 0))).join().partitions())
                .as("a topic the regex matches is consumed").containsValue(Errors.GROUP_SUBSCRIBED_TO_TOPIC);
    }

    @Test
    void anEmptyRegexClearsTheRegexSubscriptionForTopicNames() {
        Map<String, ConsumerHeartbeatResult> last = new HashMap<>();
        last.put("a", heartbeat(joinByRegex("a", "pay.*")));
        assertThat(settle(last).get("a")).isEqualTo(new PartitionSet.Builder().add(PAYMENTS, 0).add(PAYMENTS, 1).build());

        ConsumerHeartbeatResult switched = heartbeat(new ConsumerHeartbeat(GROUP, "a", last.get("a").memberEpoch(), null,
                null, -1, List.of("orders"), "", null, null, "c", "/h"));
        last.put("a", switched);

        assertThat(group().member("a").metadata.subscribedTopicRegex()).isNull();
        assertThat(settle(last).get("a")).isEqualTo(orderRange(0, 12));
    }

    @Test
    void aCommitSentJustBeforeAnEpochBumpCountsForThePartitionsTheMemberStillOwnsSinceThen() {
        GroupOffsets offsets = offsets();
        Map<String, ConsumerHeartbeatResult> last = new HashMap<>();
        last.put("a", joins("a", "orders"));
        settle(last);
        assertThat(group().member("a").assignment.memberEpoch()).isEqualTo(1);
        last.put("b", joins("b", "orders"));
        Map<String, PartitionSet> owned = settle(last);
        int now = group().member("a").assignment.memberEpoch();
        assertThat(now).isGreaterThan(1);
        int kept = owned.get("a").partitions(ORDERS).first();
        int given = owned.get("b").partitions(ORDERS).first();

        assertThat(offsets.commit(GROUP, 1, "a", null, commitOf(kept, 7)).join().error())
                .as("a has owned it since epoch 1").isEqualTo(Errors.NONE);
        assertThat(offsets.commit(GROUP, 1, "a", null, commitOf(given, 7)).join().error())
                .as("a gave it up").isEqualTo(Errors.STALE_MEMBER_EPOCH);
        assertThat(offsets.commit(GROUP, 1, "b", null, commitOf(given, 7)).join().error())
                .as("b was given it after epoch 1").isEqualTo(Errors.STALE_MEMBER_EPOCH);
        assertThat(offsets.commit(GROUP, now + 1, "a", null, commitOf(kept, 7)).join().error())
                .isEqualTo(Errors.STALE_MEMBER_EPOCH);

        failover();
        assertThat(offsets().commit(GROUP, 1, "a", null, commitOf(kept, 8)).join().error())
                .as("the assignment epochs are stored").isEqualTo(Errors.NONE);
    }

    @Test
    void aConsumerGroupsOffsetsDoNotExpireWhileItHasMembersAndExpireARetentionAfterItEmptied() {
        GroupOffsets offsets = offsets();
        Map<String, ConsumerHeartbeatResult> last = new HashMap<>();
        last.put("a", joins("a", "orders"));
        settle(last);
        offsets.commit(GROUP, last.get("a").memberEpoch(), "a", null, commitOf(0, 42)).join();

        for (int day = 0; day < 8; day++) { // a keeps heartbeating, never commits again
            for (int beat = 0; beat < 24 * 60 * 12; beat += 8) {
                scheduler.advance(Duration.ofSeconds(40));
                beat("a", last.get("a").memberEpoch(), null);
            }
            offsets.expireOffsets();
        }
        assertThat(offsets.fetch(GROUP, null).join().offsets()).as("kept while a member consumes").hasSize(1);

        heartbeat(new ConsumerHeartbeat(GROUP, "a", -1, null, null, -1, null, null, null, null, "c", "/h"));
        scheduler.advance(Duration.ofDays(6));
        offsets.expireOffsets();
        assertThat(offsets.fetch(GROUP, null).join().offsets()).as("the retention runs from when it emptied").hasSize(1);
        scheduler.advance(Duration.ofDays(1));
        offsets.expireOffsets();
        assertThat(offsets.fetch(GROUP, null).join().offsets()).isEmpty();
        assertThat(manager.group(GROUP)).as("an empty group without offsets goes").isNull();
    }

    @Test
    void aClassicMemberJoiningAnEmptyConsumerGroupMakesItAClassicGroupWithItsOffsets() {
        GroupOffsets offsets = offsets();
        ConsumerHeartbeatResult a = joins("a", "orders");
        offsets.commit(GROUP, a.memberEpoch(), "a", null, commitOf(3, 33)).join();
        heartbeat(new ConsumerHeartbeat(GROUP, "a", -1, null, null, -1, null, null, null, null, "c", "/h"));

        JoinResult joined = classic.join(new JoinRequest(GROUP, "", null, "c", "/h", 10_000, 30_000, "consumer",
                List.of(new MemberProtocol("range", new byte[0])), true, null)).join();

        assertThat(joined.error()).as("the classic protocol's first answer").isEqualTo(Errors.MEMBER_ID_REQUIRED);
        assertThat(manager.group(GROUP).isConsumerGroup()).isFalse();
        assertThat(offsets.fetch(GROUP, null).join().offsets().values()).extracting(OffsetAndMetadata::offset)
                .containsExactly(33L);
        failover();
        assertThat(manager.group(GROUP).isConsumerGroup()).as("after a load too").isFalse();
        assertThat(offsets().fetch(GROUP, null).join().offsets()).hasSize(1);
    }
}
