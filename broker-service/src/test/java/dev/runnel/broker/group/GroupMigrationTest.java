package dev.runnel.broker.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.tuple;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.runnel.broker.KafkaConsumerProtocolCodec;
import dev.runnel.common.TopicPartition;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

/**
 * Kafka's online migration between the classic and the consumer group protocols, with a fake
 * clock and scheduler and an in-memory offsets topic: a classic group upgraded by a
 * consumer-protocol member, classic members served inside a consumer group (their assignment
 * from the server-side assignor, handed out by JoinGroup and SyncGroup, and a new epoch making
 * them rejoin), the downgrade when the last consumer-protocol member leaves, the migration
 * policy, and a coordinator that loads the group rebuilding what the live one had. The classic
 * members' subscriptions and assignments are kafka-clients' own bytes.
 */
@Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class GroupMigrationTest {

    static final String GROUP = "orders-service";
    static final UUID ORDERS = UUID.fromString("00000000-0000-4000-8000-0000000000aa");
    static final int SESSION_MS = 10_000;
    static final int REBALANCE_MS = 30_000;
    static final Executor DIRECT = Runnable::run;

    final ManualClock clock = new ManualClock(1_000_000);
    final ManualScheduler scheduler = new ManualScheduler(clock);
    final FakeGroupLog log = new FakeGroupLog();
    final TopicsView topics = new TopicsView() {
        final Topic orders = new Topic(ORDERS, "orders", 6);

        @Override
        public Optional<Topic> byName(String name) {
            return name.equals("orders") ? Optional.of(orders) : Optional.empty();
        }

        @Override
        public Optional<Topic> byId(UUID id) {
            return id.equals(ORDERS) ? Optional.of(orders) : Optional.empty();
        }

        @Override
        public Collection<String> names() {
            return List.of("orders");
        }
    };
    GroupSettings settings = GroupCoordinatorTest.SETTINGS;
    GroupMetadataManager manager;
    GroupCoordinator classic;
    ConsumerGroupCoordinator coordinator;
    GroupOffsets offsets;

    @BeforeEach
    void start() {
        startCoordinator();
    }

    void startCoordinator() {
        manager = new GroupMetadataManager(log, clock, DIRECT, DIRECT, settings, settings::offsetsTopicPartitions);
        classic = new GroupCoordinator(manager, clock, scheduler);
        coordinator = new ConsumerGroupCoordinator(classic, clock, scheduler, topics, KafkaConsumerProtocolCodec.INSTANCE);
        offsets = new GroupOffsets(classic, clock, bytes -> Set.of(), name -> topics.byName(name)
                .map(TopicsView.Topic::id).orElse(null));
        for (int p = 0; p < settings.offsetsTopicPartitions(); p++) {
            manager.becameLeader(p);
        }
    }

    void withPolicy(GroupSettings.MigrationPolicy policy) {
        settings = GroupCoordinatorTest.SETTINGS.withConsumerProtocol(new GroupSettings.ConsumerProtocol(45_000, 5_000,
                List.of("uniform", "range"), policy));
        startCoordinator();
    }

    void failover() {
        for (int p = 0; p < settings.offsetsTopicPartitions(); p++) {
            manager.resigned(p);
        }
        startCoordinator();
    }

    ClassicGroup group() {
        return manager.group(GROUP);
    }

    // ---------------------------------------------------------------- a classic consumer, as kafka-clients speaks

    /** A classic consumer of "orders": its id, generation and the partitions it owns. */
    final class Classic {
        String memberId = "";
        String instanceId;
        int generation = -1;
        Set<Integer> owned = new TreeSet<>();
        String protocol = "range";

        byte[] subscription() {
            List<org.apache.kafka.common.TopicPartition> tps = owned.stream()
                    .map(p -> new org.apache.kafka.common.TopicPartition("orders", p)).toList();
            return Utils.toArray(ConsumerProtocol.serializeSubscription(
                    new ConsumerPartitionAssignor.Subscription(List.of("orders"), null, tps)));
        }

        JoinRequest joinRequest() {
            return new JoinRequest(GROUP, memberId, instanceId, "client", "/10.0.0.9", SESSION_MS, REBALANCE_MS, "consumer",
                    List.of(new MemberProtocol(protocol, subscription()), new MemberProtocol("cooperative-sticky",
                            subscription())), true, null);
        }

        CompletableFuture<JoinResult> join() {
            return classic.join(joinRequest()).thenApply(r -> {
                if (r.error() == Errors.MEMBER_ID_REQUIRED || r.error() == Errors.NONE) {
                    memberId = r.memberId();
                }
                if (r.error() == Errors.NONE) {
                    generation = r.generationId();
                }
                return r;
            });
        }

        /** JoinGroup (twice, the first time: MEMBER_ID_REQUIRED) and SyncGroup, in a consumer group. */
        void rejoin() {
            JoinResult joined = join().join();
            if (joined.error() == Errors.MEMBER_ID_REQUIRED) {
                joined = join().join();
            }
            assertThat(joined.error()).as("join of %s", memberId).isEqualTo(Errors.NONE);
            assertThat(joined.leaderId()).as("nobody leads a consumer group").isEmpty();
            SyncResult synced = sync(Map.of()).join();
            assertThat(synced.error()).as("sync of %s", memberId).isEqualTo(Errors.NONE);
            owned = partitions(synced.assignment());
        }

        CompletableFuture<SyncResult> sync(Map<String, byte[]> assignments) {
            return classic.sync(GROUP, generation, memberId, instanceId, "consumer", protocol, assignments);
        }

        Errors heartbeat() {
            return classic.heartbeat(GROUP, generation, memberId, instanceId).join();
        }
    }

    static Set<Integer> partitions(byte[] assignment) {
        Set<Integer> ps = new TreeSet<>();
        ConsumerProtocol.deserializeAssignment(ByteBuffer.wrap(assignment)).partitions().forEach(tp -> ps.add(tp.partition()));
        return ps;
    }

    static byte[] assignment(Integer... partitions) {
        List<org.apache.kafka.common.TopicPartition> tps = new ArrayList<>();
        for (int p : partitions) {
            tps.add(new org.apache.kafka.common.TopicPartition("orders", p));
        }
        return Utils.toArray(ConsumerProtocol.serializeAssignment(new ConsumerPartitionAssignor.Assignment(tps)));
    }

    /** Two classic consumers in a Stable classic group at generation 1: a owns 0-2, b 3-5. */
    Map<String, Classic> classicGroupOfTwo() {
        Classic a = new Classic();
        Classic b = new Classic();
        assertThat(a.join().join().error()).isEqualTo(Errors.MEMBER_ID_REQUIRED);
        assertThat(b.join().join().error()).isEqualTo(Errors.MEMBER_ID_REQUIRED);
        CompletableFuture<JoinResult> aJoin = a.join();
        CompletableFuture<JoinResult> bJoin = b.join();
        scheduler.advance(Duration.ofSeconds(6)); // members kept arriving: the 3 s initial delay ran twice
        assertThat(aJoin).isDone();
        JoinResult leader = aJoin.join().leaderId().equals(a.memberId) ? aJoin.join() : bJoin.join();
        assertThat(leader.members()).hasSize(2);
        bJoin.join();
        Classic first = leader.memberId().equals(a.memberId) ? a : b;
        Classic second = first == a ? b : a;
        CompletableFuture<SyncResult> secondSync = second.sync(Map.of());
        SyncResult firstSync = first.sync(Map.of(a.memberId, assignment(0, 1, 2), b.memberId, assignment(3, 4, 5))).join();
        assertThat(firstSync.error()).isEqualTo(Errors.NONE);
        assertThat(secondSync.join().error()).isEqualTo(Errors.NONE);
        a.owned = new TreeSet<>(Set.of(0, 1, 2));
        b.owned = new TreeSet<>(Set.of(3, 4, 5));
        assertThat(group().state()).isEqualTo(GroupState.STABLE);
        Map<String, Classic> members = new LinkedHashMap<>();
        members.put("a", a);
        members.put("b", b);
        return members;
    }

    ConsumerHeartbeatResult consumerJoins(String memberId) {
        return coordinator.heartbeat(new ConsumerHeartbeat(GROUP, memberId, 0, null, null, REBALANCE_MS,
                List.of("orders"), null, null, PartitionSet.EMPTY, "client-" + memberId, "/10.0.0.1")).join();
    }

    ConsumerHeartbeatResult beat(String memberId, int epoch, PartitionSet owned) {
        return coordinator.heartbeat(new ConsumerHeartbeat(GROUP, memberId, epoch, null, null, -1, null, null, null,
                owned, "client-" + memberId, "/10.0.0.1")).join();
    }

    /**
     * Runs every member until nothing changes: classic members heartbeat and, told to, rejoin and
     * sync; consumer members heartbeat with what they own. Returns what each owns.
     */
    Map<String, Set<Integer>> settle(Map<String, Classic> classics, Map<String, ConsumerHeartbeatResult> consumers) {
        Map<String, Set<Integer>> owned = new HashMap<>();
        consumers.forEach((m, r) -> owned.put(m, ordersOf(r.assignment() == null ? PartitionSet.EMPTY : r.assignment())));
        for (int round = 0; round < 12; round++) {
            boolean changed = false;
            for (Map.Entry<String, Classic> e : classics.entrySet()) {
                Errors beat = e.getValue().heartbeat();
                if (beat == Errors.REBALANCE_IN_PROGRESS) {
                    e.getValue().rejoin();
                    changed = true;
                } else {
                    assertThat(beat).as("heartbeat of %s", e.getKey()).isEqualTo(Errors.NONE);
                }
            }
            for (String m : List.copyOf(consumers.keySet())) {
                ConsumerHeartbeatResult r = beat(m, consumers.get(m).memberEpoch(), orders(owned.get(m)));
                assertThat(r.error()).as("heartbeat of %s", m).isEqualTo(Errors.NONE);
                if (r.memberEpoch() != consumers.get(m).memberEpoch()
                        || (r.assignment() != null && !ordersOf(r.assignment()).equals(owned.get(m)))) {
                    changed = true;
                }
                if (r.assignment() != null) {
                    owned.put(m, ordersOf(r.assignment()));
                }
                consumers.put(m, r);
            }
            if (!changed) {
                classics.forEach((m, c) -> owned.put(m, c.owned));
                return owned;
            }
        }
        throw new AssertionError("the group did not settle");
    }

    static Set<Integer> ordersOf(PartitionSet set) {
        return new TreeSet<>(set.partitions(ORDERS));
    }

    static PartitionSet orders(Collection<Integer> partitions) {
        PartitionSet.Builder b = new PartitionSet.Builder();
        partitions.forEach(p -> b.add(ORDERS, p));
        return b.build();
    }

    static void assertSplit(Map<String, Set<Integer>> owned, int each) {
        List<Integer> all = new ArrayList<>();
        owned.values().forEach(all::addAll);
        assertThat(all).as("every partition once").containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5);
        owned.forEach((m, ps) -> assertThat(ps).as("%s's share", m).hasSize(each));
    }

    static Map<TopicPartition, GroupOffsets.Commit> commitOf(int partition, long offset) {
        return Map.of(new TopicPartition("orders", partition), new GroupOffsets.Commit(offset, 0, "", -1));
    }

    // ---------------------------------------------------------------- upgrade

    @Test
    void aConsumerProtocolMemberJoiningAClassicGroupUpgradesItInOneWriteKeepingMembersAssignmentsAndOffsets() {
        Map<String, Classic> classics = classicGroupOfTwo();
        Classic a = classics.get("a");
        assertThat(offsets.commit(GROUP, 1, a.memberId, null, commitOf(1, 42)).join().error()).isEqualTo(Errors.NONE);
        int appends = log.appends;

        ConsumerHeartbeatResult c = consumerJoins("c");

        assertThat(c.error()).isEqualTo(Errors.NONE);
        assertThat(log.appends - appends).as("one write").isEqualTo(1);
        assertThat(group().isConsumerGroup()).isTrue();
        assertThat(group().isEmpty()).as("no classic membership left").isTrue();
        ConsumerGroup cg = group().consumer();
        assertThat(cg.groupEpoch()).as("the generation, bumped by c's join").isEqualTo(2);
        assertThat(c.memberEpoch()).isEqualTo(2);
        ConsumerGroup.Member ma = cg.member(a.memberId);
        assertThat(ma.assignment.memberEpoch()).as("its generation").isEqualTo(1);
        assertThat(ordersOf(ma.assignment.assigned())).containsExactly(0, 1, 2);
        assertThat(ma.metadata.subscribedTopicNames()).containsExactly("orders");
        assertThat(ma.metadata.classic().sessionTimeoutMs()).isEqualTo(SESSION_MS);
        assertThat(ma.metadata.classic().protocols()).extracting(MemberProtocol::name)
                .containsExactly("range", "cooperative-sticky");
        assertThat(ordersOf(cg.member(classics.get("b").memberId).assignment.assigned())).containsExactly(3, 4, 5);
        assertThat(offsets.fetch(GROUP, null).join().offsets().values()).extracting(OffsetAndMetadata::offset)
                .containsExactly(42L);

        assertThat(a.heartbeat()).as("a new epoch: rejoin").isEqualTo(Errors.REBALANCE_IN_PROGRESS);
        Map<String, ConsumerHeartbeatResult> consumers = new HashMap<>(Map.of("c", c));
        Map<String, Set<Integer>> owned = settle(classics, consumers);
        assertSplit(owned, 2);
        assertThat(group().consumer().stateName()).isEqualTo("Stable");
        assertThat(a.generation).as("a classic member's generation is its member epoch").isEqualTo(2);
        assertThat(offsets.commit(GROUP, a.generation, a.memberId, null, commitOf(a.owned.iterator().next(), 43)).join()
                .error()).isEqualTo(Errors.NONE);
        int notOwned = owned.get("c").iterator().next();
        assertThat(offsets.commit(GROUP, 1, a.memberId, null, commitOf(notOwned, 44)).join().error())
                .as("a stale generation, as a classic client understands it").isEqualTo(Errors.ILLEGAL_GENERATION);
    }

    @Test
    void aClassicMembersParkedJoinIsToldToRejoinAndComesBackAsAConsumerGroupMember() {
        Map<String, Classic> classics = classicGroupOfTwo();
        Classic a = classics.get("a");
        Classic b = classics.get("b");
        a.protocol = "range";
        CompletableFuture<JoinResult> parked = a.join(); // a rebalance of the classic group: a waits for b
        assertThat(parked).isNotDone();

        assertThat(consumerJoins("c").error()).isEqualTo(Errors.NONE);

        assertThat(parked.join().error()).isEqualTo(Errors.REBALANCE_IN_PROGRESS);
        a.rejoin();
        assertThat(group().consumer().member(a.memberId).metadata.isClassic()).isTrue();
        assertThat(b.heartbeat()).isEqualTo(Errors.REBALANCE_IN_PROGRESS);
    }

    @Test
    void classicRequestsArrivingWhileTheUpgradeIsBeingWrittenAreServedByTheConsumerGroupItMakes() {
        Map<String, Classic> classics = classicGroupOfTwo();
        Classic a = classics.get("a");
        Classic b = classics.get("b");
        log.hold = true;
        CompletableFuture<ConsumerHeartbeatResult> c = coordinator.heartbeat(new ConsumerHeartbeat(GROUP, "c", 0, null,
                null, REBALANCE_MS, List.of("orders"), null, null, PartitionSet.EMPTY, "client-c", "/10.0.0.1"));
        CompletableFuture<Errors> bBeat = classic.heartbeat(GROUP, b.generation, b.memberId, null);
        CompletableFuture<GroupCoordinator.LeaveResult> aLeaves = classic.leave(GROUP,
                List.of(new GroupCoordinator.LeavingMember(a.memberId, null)), "closing");
        assertThat(bBeat).as("waits for the upgrade").isNotDone();
        assertThat(aLeaves).isNotDone();

        log.hold = false;
        log.release();

        assertThat(c.join().error()).isEqualTo(Errors.NONE);
        assertThat(bBeat.join()).as("a member of the consumer group now, behind its epoch")
                .isEqualTo(Errors.REBALANCE_IN_PROGRESS);
        assertThat(aLeaves.join().members()).containsExactly(Errors.NONE);
        assertThat(group().consumer().members()).extracting(m -> m.memberId)
                .containsExactlyInAnyOrder(b.memberId, "c");
    }

    @Test
    void aCoordinatorLoadingTheUpgradedGroupRebuildsWhatTheLiveOneHad() {
        Map<String, Classic> classics = classicGroupOfTwo();
        Map<String, ConsumerHeartbeatResult> consumers = new HashMap<>(Map.of("c", consumerJoins("c")));
        classics.get("a").heartbeat();
        classics.get("a").rejoin(); // mid-way: a revokes, b and c have not moved yet
        ConsumerGroup live = group().consumer();
        Map<String, MemberAssignment> assignments = new HashMap<>();
        Map<String, GroupRecord.StoredConsumerMember> metadata = new HashMap<>();
        live.members().forEach(m -> {
            assignments.put(m.memberId, m.assignment);
            metadata.put(m.memberId, m.metadata);
        });

        failover();

        ConsumerGroup loaded = group().consumer();
        assertThat(group().isEmpty()).as("no classic members after the tombstone").isTrue();
        assertThat(loaded.groupEpoch()).isEqualTo(live.groupEpoch());
        assertThat(loaded.assignmentEpoch()).isEqualTo(live.assignmentEpoch());
        assertThat(loaded.metadataHash()).isEqualTo(live.metadataHash());
        assertThat(loaded.targets()).isEqualTo(live.targets());
        loaded.members().forEach(m -> {
            assertThat(m.assignment).isEqualTo(assignments.get(m.memberId));
            assertThat(m.metadata).isEqualTo(metadata.get(m.memberId));
        });
        assertThat(loaded.members()).hasSize(3);
        assertSplit(settle(classics, consumers), 2);
    }

    @Test
    void afterCompactionALoadStillRebuildsTheUpgradedGroupWithTheOffsetsCommittedBeforeTheUpgrade() {
        Map<String, Classic> classics = classicGroupOfTwo();
        assertThat(offsets.commit(GROUP, 1, classics.get("a").memberId, null, commitOf(1, 42)).join().error())
                .isEqualTo(Errors.NONE);
        Map<String, ConsumerHeartbeatResult> consumers = new HashMap<>(Map.of("c", consumerJoins("c")));
        assertSplit(settle(classics, consumers), 2);
        ConsumerGroup live = group().consumer();

        // As the cleaner leaves the partition: the last record of each key, tombstones kept. Every
        // consumer group record written before the upgrade's tombstone has been written again since.
        FakeGroupLog compacted = compact(log, manager.partitionFor(GROUP));
        manager = new GroupMetadataManager(compacted, clock, DIRECT, DIRECT, settings, settings::offsetsTopicPartitions);
        classic = new GroupCoordinator(manager, clock, scheduler);
        coordinator = new ConsumerGroupCoordinator(classic, clock, scheduler, topics, KafkaConsumerProtocolCodec.INSTANCE);
        offsets = new GroupOffsets(classic, clock, bytes -> Set.of(), name -> topics.byName(name)
                .map(TopicsView.Topic::id).orElse(null));
        manager.becameLeader(manager.partitionFor(GROUP));

        assertThat(group().isConsumerGroup()).isTrue();
        assertThat(group().consumer().groupEpoch()).isEqualTo(live.groupEpoch());
        assertThat(group().consumer().targets()).isEqualTo(live.targets());
        assertThat(offsets.fetch(GROUP, null).join().offsets().values()).extracting(OffsetAndMetadata::offset)
                .as("committed before the upgrade, never since").containsExactly(42L);
    }

    /** The partition's records as compaction leaves them: the last of each key, in log order. */
    static FakeGroupLog compact(FakeGroupLog log, int partition) {
        Map<String, GroupLog.Logged> last = new LinkedHashMap<>();
        for (GroupLog.Batch batch : log.batches(partition)) {
            for (GroupLog.Logged r : batch.records()) {
                last.put(java.util.HexFormat.of().formatHex(r.key()), r);
            }
        }
        FakeGroupLog compacted = new FakeGroupLog();
        last.values().stream().sorted(java.util.Comparator.comparingLong(GroupLog.Logged::offset))
                .forEach(r -> compacted.append(partition, List.of(new GroupLog.Entry(r.key(), r.value()))).join());
        return compacted;
    }

    @Test
    void aClassicMemberSilentForItsOwnSessionTimeoutIsRemoved() {
        Map<String, Classic> classics = classicGroupOfTwo();
        ConsumerHeartbeatResult c = consumerJoins("c");
        Classic b = classics.get("b");
        scheduler.advance(Duration.ofMillis(SESSION_MS / 2));
        b.heartbeat();
        beat("c", c.memberEpoch(), PartitionSet.EMPTY);
        scheduler.advance(Duration.ofMillis(SESSION_MS / 2));

        assertThat(group().consumer().member(classics.get("a").memberId))
                .as("a's session.timeout.ms, not the broker's 45 s").isNull();
        assertThat(group().consumer().member(b.memberId)).isNotNull();
        assertThat(classics.get("a").heartbeat()).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
    }

    // ---------------------------------------------------------------- classic members in a consumer group

    @Test
    void aClassicMemberJoiningAConsumerGroupGetsItsTargetThroughJoinAndSyncAndRejoinsOnANewEpoch() {
        Map<String, ConsumerHeartbeatResult> consumers = new HashMap<>(Map.of("c", consumerJoins("c")));
        Classic a = new Classic();
        a.rejoin();
        Map<String, Classic> classics = new LinkedHashMap<>(Map.of("a", a));
        assertSplit(settle(classics, consumers), 3);
        int epoch = a.generation;

        consumers.put("d", consumerJoins("d"));
        assertThat(a.heartbeat()).isEqualTo(Errors.REBALANCE_IN_PROGRESS);
        assertSplit(settle(classics, consumers), 2);
        assertThat(a.generation).isGreaterThan(epoch);

        assertThat(coordinator.describe(GROUP).join().members()).extracting(
                ConsumerGroupCoordinator.MemberDescription::memberId, ConsumerGroupCoordinator.MemberDescription::classic)
                .containsExactlyInAnyOrder(tuple("c", false),
                        tuple("d", false), tuple(a.memberId, true));
    }

    @Test
    void classicAndConsumerProtocolMembersCommitInTransactionsWithTheirMemberEpoch() {
        Map<String, Classic> classics = classicGroupOfTwo();
        Map<String, ConsumerHeartbeatResult> consumers = new HashMap<>(Map.of("c", consumerJoins("c")));
        settle(classics, consumers);
        Classic a = classics.get("a");
        int cEpoch = group().consumer().member("c").assignment.memberEpoch();
        TransactionVerifier inTransaction = (id, producerId, epoch, offsetsPartition) ->
                CompletableFuture.completedFuture(Errors.NONE);
        TransactionalOffsets transactions = new TransactionalOffsets(classic, clock, () -> inTransaction);
        java.util.function.BiFunction<String, Integer, Errors> commit = (member, epoch) -> transactions.commit(
                new TransactionalOffsets.Request("txn", 7L, (short) 0, GROUP, epoch, member, null,
                        Map.of(new TopicPartition("orders", 0), new TransactionalOffsets.Commit(5, -1, ""))))
                .join().error();

        assertThat(commit.apply(a.memberId, a.generation)).isEqualTo(Errors.NONE);
        assertThat(commit.apply("c", cEpoch)).isEqualTo(Errors.NONE);
        assertThat(commit.apply(a.memberId, a.generation - 1)).isEqualTo(Errors.ILLEGAL_GENERATION);
        assertThat(commit.apply("c", cEpoch - 1)).isEqualTo(Errors.STALE_MEMBER_EPOCH);
        assertThat(commit.apply("nobody", cEpoch)).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
    }

    @Test
    void badClassicRequestsToAConsumerGroupGetTheirErrorAndChangeNothing() {
        ConsumerHeartbeatResult c = consumerJoins("c");
        Classic a = new Classic();
        a.rejoin();
        int appends = log.appends;
        int epoch = group().consumer().groupEpoch();

        JoinRequest malformed = new JoinRequest(GROUP, "m-1", null, "client", "/h", SESSION_MS, REBALANCE_MS,
                "consumer", List.of(new MemberProtocol("range", new byte[] {9})), true, null);
        assertThat(classic.join(malformed).join().error()).isEqualTo(Errors.INCONSISTENT_GROUP_PROTOCOL);
        JoinRequest connect = new JoinRequest(GROUP, "m-2", null, "client", "/h", SESSION_MS, REBALANCE_MS,
                "connect", List.of(new MemberProtocol("sessioned", new byte[0])), true, null);
        assertThat(classic.join(connect).join().error()).isEqualTo(Errors.INCONSISTENT_GROUP_PROTOCOL);
        assertThat(classic.heartbeat(GROUP, c.memberEpoch(), "c", null).join())
                .as("c speaks the consumer protocol").isEqualTo(Errors.UNKNOWN_MEMBER_ID);
        assertThat(classic.sync(GROUP, a.generation + 5, a.memberId, null, "consumer", "range", Map.of()).join()
                .error()).isEqualTo(Errors.ILLEGAL_GENERATION);
        assertThat(classic.sync(GROUP, a.generation, a.memberId, null, "consumer", "roundrobin", Map.of()).join()
                .error()).isEqualTo(Errors.INCONSISTENT_GROUP_PROTOCOL);
        GroupCoordinator.LeaveResult left = classic.leave(GROUP, List.of(new GroupCoordinator.LeavingMember("c", null),
                new GroupCoordinator.LeavingMember("nobody", null)), null).join();
        assertThat(left.members()).containsExactly(Errors.UNKNOWN_MEMBER_ID, Errors.UNKNOWN_MEMBER_ID);

        assertThat(log.appends).as("nothing written").isEqualTo(appends);
        assertThat(group().consumer().groupEpoch()).isEqualTo(epoch);
        assertThat(group().consumer().members()).hasSize(2);
    }

    @Test
    void aClassicMemberLeavingAConsumerGroupHandsItsPartitionsOver() {
        Map<String, ConsumerHeartbeatResult> consumers = new HashMap<>(Map.of("c", consumerJoins("c")));
        Classic a = new Classic();
        a.rejoin();
        settle(new LinkedHashMap<>(Map.of("a", a)), consumers);

        GroupCoordinator.LeaveResult left = classic.leave(GROUP,
                List.of(new GroupCoordinator.LeavingMember(a.memberId, null)), "closing").join();

        assertThat(left.members()).containsExactly(Errors.NONE);
        assertThat(group().isConsumerGroup()).isTrue();
        assertThat(settle(new LinkedHashMap<>(), consumers).get("c")).containsExactly(0, 1, 2, 3, 4, 5);
    }

    @Test
    void aStaticClassicMemberRestartingUnderANewMemberIdTakesItsOwnPlaceWithoutARebalance() {
        Map<String, ConsumerHeartbeatResult> consumers = new HashMap<>(Map.of("c", consumerJoins("c")));
        Classic a = new Classic();
        a.instanceId = "orders-a";
        a.rejoin();
        Map<String, Set<Integer>> owned = settle(new LinkedHashMap<>(Map.of("a", a)), consumers);
        int epoch = group().consumer().groupEpoch();
        String before = a.memberId;

        Classic restarted = new Classic();
        restarted.instanceId = "orders-a";
        restarted.owned = new TreeSet<>(); // a new process owns nothing yet
        restarted.rejoin();

        assertThat(restarted.memberId).isNotEqualTo(before);
        assertThat(restarted.owned).as("its predecessor's partitions").isEqualTo(owned.get("a"));
        assertThat(group().consumer().groupEpoch()).as("no rebalance").isEqualTo(epoch);
        assertThat(group().consumer().member(before)).isNull();
        assertThat(group().consumer().staticMemberId("orders-a")).isEqualTo(restarted.memberId);
        assertThat(a.heartbeat()).as("the old instance is fenced").isEqualTo(Errors.FENCED_INSTANCE_ID);
    }

    @Test
    void aClassicMemberThatDoesNotRejoinOrSyncWithinItsRebalanceTimeoutIsRemoved() {
        Map<String, ConsumerHeartbeatResult> consumers = new HashMap<>(Map.of("c", consumerJoins("c")));
        Classic a = new Classic();
        a.rejoin();
        settle(new LinkedHashMap<>(Map.of("a", a)), consumers);

        consumers.put("d", consumerJoins("d")); // a new epoch: a is told to rejoin
        assertThat(a.heartbeat()).isEqualTo(Errors.REBALANCE_IN_PROGRESS);
        Classic b = new Classic();
        assertThat(b.join().join().error()).isEqualTo(Errors.MEMBER_ID_REQUIRED);
        assertThat(b.join().join().error()).isEqualTo(Errors.NONE); // b joins, but never syncs
        for (int elapsed = 0; elapsed < REBALANCE_MS; elapsed += 5_000) {
            scheduler.advance(Duration.ofMillis(5_000 - 1));
            assertThat(a.heartbeat()).as("a keeps its session, but not its place").isEqualTo(Errors.REBALANCE_IN_PROGRESS);
            assertThat(b.heartbeat()).as("so does b").isIn(Errors.NONE, Errors.REBALANCE_IN_PROGRESS);
            consumers.forEach((m, r) -> beat(m, r.memberEpoch(), null));
            scheduler.advance(Duration.ofMillis(1));
        }

        assertThat(group().consumer().member(a.memberId)).as("it did not rejoin in time").isNull();
        assertThat(group().consumer().member(b.memberId)).as("it did not sync in time").isNull();
        assertThat(group().consumer().members()).extracting(m -> m.memberId).containsExactlyInAnyOrder("c", "d");
    }

    // ---------------------------------------------------------------- downgrade

    @Test
    void theLastConsumerProtocolMemberLeavingMakesTheGroupClassicAgainAndItRebalances() {
        Map<String, Classic> classics = classicGroupOfTwo();
        Map<String, ConsumerHeartbeatResult> consumers = new HashMap<>(Map.of("c", consumerJoins("c")));
        settle(classics, consumers);
        assertThat(offsets.commit(GROUP, classics.get("a").generation, classics.get("a").memberId, null,
                commitOf(classics.get("a").owned.iterator().next(), 7)).join().error()).isEqualTo(Errors.NONE);
        int epoch = group().consumer().groupEpoch();

        assertThat(beat("c", -1, null).error()).isEqualTo(Errors.NONE);

        ClassicGroup g = group();
        assertThat(g.isConsumerGroup()).isFalse();
        assertThat(g.state()).isEqualTo(GroupState.PREPARING_REBALANCE);
        assertThat(g.generationId()).as("the group epoch").isEqualTo(epoch);
        assertThat(g.protocolName()).isEqualTo("range");
        assertThat(g.members()).extracting(m -> m.memberId)
                .containsExactlyInAnyOrder(classics.get("a").memberId, classics.get("b").memberId);
        assertThat(offsets.fetch(GROUP, null).join().offsets()).hasSize(1);

        // Both rejoin as classic members; the leader assigns.
        Classic a = classics.get("a");
        Classic b = classics.get("b");
        assertThat(a.heartbeat()).isEqualTo(Errors.REBALANCE_IN_PROGRESS);
        CompletableFuture<JoinResult> aJoin = a.join();
        CompletableFuture<JoinResult> bJoin = b.join();
        JoinResult leader = aJoin.join().leaderId().equals(a.memberId) ? aJoin.join() : bJoin.join();
        assertThat(leader.members()).hasSize(2);
        assertThat(leader.generationId()).isEqualTo(epoch + 1);
        Classic first = leader.memberId().equals(a.memberId) ? a : b;
        Classic second = first == a ? b : a;
        CompletableFuture<SyncResult> secondSync = second.sync(Map.of());
        assertThat(first.sync(Map.of(a.memberId, assignment(0, 1, 2), b.memberId, assignment(3, 4, 5))).join().error())
                .isEqualTo(Errors.NONE);
        assertThat(secondSync.join().error()).isEqualTo(Errors.NONE);
        assertThat(group().state()).isEqualTo(GroupState.STABLE);

        failover();
        assertThat(group().isConsumerGroup()).as("after a load too").isFalse();
        assertThat(group().members()).hasSize(2);
        assertThat(group().generationId()).isEqualTo(epoch + 1);
        assertThat(offsets.fetch(GROUP, null).join().offsets()).hasSize(1);
    }

    @Test
    void theDowngradeRecordsAloneRebuildTheClassicGroupOnLoad() {
        Map<String, Classic> classics = classicGroupOfTwo();
        Map<String, ConsumerHeartbeatResult> consumers = new HashMap<>(Map.of("c", consumerJoins("c")));
        settle(classics, consumers);
        int epoch = group().consumer().groupEpoch();
        beat("c", -1, null);

        failover();

        ClassicGroup g = group();
        assertThat(g.isConsumerGroup()).isFalse();
        assertThat(g.state()).as("as written: the rebalance is not").isEqualTo(GroupState.STABLE);
        assertThat(g.generationId()).isEqualTo(epoch);
        for (Classic c : classics.values()) {
            assertThat(partitions(g.member(c.memberId).assignment)).as("its target, in the consumer protocol")
                    .isEqualTo(c.owned);
        }
    }

    // ---------------------------------------------------------------- the policy

    @Test
    void theMigrationPolicyIsNamedAsKafkaNamesItAndAnUnknownNameIsRefused() {
        assertThat(GroupSettings.ConsumerProtocol.DEFAULTS.migrationPolicy())
                .isEqualTo(GroupSettings.MigrationPolicy.BIDIRECTIONAL);
        assertThat(GroupSettings.MigrationPolicy.named("Upgrade")).isEqualTo(GroupSettings.MigrationPolicy.UPGRADE);
        assertThat(GroupSettings.MigrationPolicy.named("disabled")).isEqualTo(GroupSettings.MigrationPolicy.DISABLED);
        assertThat(GroupSettings.MigrationPolicy.UPGRADE.downgrades()).isFalse();
        assertThat(GroupSettings.MigrationPolicy.DOWNGRADE.downgrades()).isTrue();
        assertThatIllegalArgumentException()
                .isThrownBy(() -> GroupSettings.MigrationPolicy.named("sideways"))
                .withMessageContaining("group.consumer.migration.policy");
    }

    @Test
    void withTheMigrationPolicyDisabledNothingConverts() {
        withPolicy(GroupSettings.MigrationPolicy.DISABLED);
        classicGroupOfTwo();
        int appends = log.appends;

        ConsumerHeartbeatResult c = consumerJoins("c");

        assertThat(c.error()).isEqualTo(Errors.GROUP_ID_NOT_FOUND);
        assertThat(log.appends).isEqualTo(appends);
        assertThat(group().isConsumerGroup()).isFalse();
        assertThat(group().state()).isEqualTo(GroupState.STABLE);
    }

    @Test
    void anUpgradeOnlyPolicyKeepsTheConsumerGroupWhenTheLastConsumerProtocolMemberLeaves() {
        withPolicy(GroupSettings.MigrationPolicy.UPGRADE);
        Map<String, Classic> classics = classicGroupOfTwo();
        Map<String, ConsumerHeartbeatResult> consumers = new HashMap<>(Map.of("c", consumerJoins("c")));
        settle(classics, consumers);

        beat("c", -1, null);

        assertThat(group().isConsumerGroup()).isTrue();
        assertSplit(settle(classics, new HashMap<>()), 3);
    }

    @Test
    void aDowngradeOnlyPolicyRefusesTheUpgradeButServesClassicMembersAndDowngrades() {
        withPolicy(GroupSettings.MigrationPolicy.DOWNGRADE);
        classicGroupOfTwo();
        assertThat(consumerJoins("c").error()).isEqualTo(Errors.GROUP_ID_NOT_FOUND);

        manager.removeGroup(group()); // start afresh: a consumer group first
        Map<String, ConsumerHeartbeatResult> consumers = new HashMap<>(Map.of("c", consumerJoins("c")));
        Classic a = new Classic();
        a.rejoin();
        settle(new LinkedHashMap<>(Map.of("a", a)), consumers);
        beat("c", -1, null);
        assertThat(group().isConsumerGroup()).isFalse();
    }
}
