package dev.runnel.broker.group;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.runnel.common.TopicPartition;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

/**
 * The classic group protocol with a fake clock and scheduler, direct executors and an in-memory
 * offsets topic: every call completes before it returns unless a rebalance parks it. The timeout runs the
 * test on its own thread, since a join() on a future that never completes cannot be interrupted.
 */
@Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class GroupCoordinatorTest {

    static final String GROUP = "orders-service";
    static final int SESSION_MS = 10_000;
    static final int REBALANCE_MS = 30_000;
    static final GroupSettings SETTINGS = new GroupSettings(4, 1, Duration.ofSeconds(3), 1_000, 300_000, 100,
            Duration.ofDays(7), Duration.ofMinutes(10), 64, Duration.ofSeconds(5), 100 * 1024 * 1024);
    static final Executor DIRECT = Runnable::run;

    final ManualClock clock = new ManualClock(1_000_000);
    final ManualScheduler scheduler = new ManualScheduler(clock);
    final FakeGroupLog log = new FakeGroupLog();
    GroupMetadataManager manager;
    GroupCoordinator coordinator;
    GroupOffsets offsets;
    GroupAdmin admin;
    int partition;

    @BeforeEach
    void leadTheGroupsPartition() {
        start(DIRECT);
        manager.becameLeader(partition);
    }

    /** A coordinator over {@link #log}, loading with {@code loader}. */
    void start(Executor loader) {
        manager = new GroupMetadataManager(log, clock, DIRECT, loader, SETTINGS, SETTINGS::offsetsTopicPartitions);
        coordinator = new GroupCoordinator(manager, clock, scheduler);
        // Test subscriptions are the topic names, comma-separated.
        offsets = new GroupOffsets(coordinator, clock,
                bytes -> Set.of(new String(bytes, StandardCharsets.UTF_8).split(",")));
        admin = new GroupAdmin(coordinator);
        partition = manager.partitionFor(GROUP);
    }

    // ---------------------------------------------------------------- helpers

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static JoinRequest joinRequest(String memberId, String instanceId, List<MemberProtocol> protocols) {
        return new JoinRequest(GROUP, memberId, instanceId, "client", "/127.0.0.1", SESSION_MS, REBALANCE_MS,
                "consumer", protocols, true, null);
    }

    static List<MemberProtocol> range(String topics) {
        return List.of(new MemberProtocol("range", bytes(topics)));
    }

    CompletableFuture<JoinResult> join(String memberId) {
        return coordinator.join(joinRequest(memberId, null, range("orders")));
    }

    /** The first JoinGroup of a v4+ member: MEMBER_ID_REQUIRED and its id. */
    String newMemberId() {
        JoinResult first = join("").join();
        assertThat(first.error()).isEqualTo(Errors.MEMBER_ID_REQUIRED);
        assertThat(first.memberId()).startsWith("client-");
        return first.memberId();
    }

    CompletableFuture<SyncResult> sync(String memberId, int generation, Map<String, byte[]> assignment) {
        return coordinator.sync(GROUP, generation, memberId, null, "consumer", "range", assignment);
    }

    Errors heartbeat(String memberId, int generation) {
        return coordinator.heartbeat(GROUP, generation, memberId, null).join();
    }

    GroupState state() {
        return manager.group(GROUP).state();
    }

    /** A Stable group of the given members at generation 1, each assigned its own id as bytes. */
    List<String> stableGroup(int members) {
        List<String> ids = new ArrayList<>();
        List<CompletableFuture<JoinResult>> joins = new ArrayList<>();
        for (int i = 0; i < members; i++) {
            String id = newMemberId();
            ids.add(id);
            joins.add(join(id));
        }
        scheduler.advance(Duration.ofSeconds(6)); // members kept arriving: the 3 s initial delay ran twice
        assertThat(joins).allMatch(CompletableFuture::isDone);
        JoinResult leaderJoin = joins.get(0).join();
        assertThat(leaderJoin.leaderId()).isEqualTo(ids.get(0));
        List<CompletableFuture<SyncResult>> syncs = new ArrayList<>();
        for (int i = members - 1; i >= 0; i--) {
            Map<String, byte[]> assignment = new java.util.HashMap<>();
            if (i == 0) {
                ids.forEach(id -> assignment.put(id, bytes("assigned:" + id)));
            }
            syncs.add(sync(ids.get(i), 1, assignment));
        }
        assertThat(syncs).allMatch(f -> f.isDone() && f.join().error() == Errors.NONE);
        assertThat(state()).isEqualTo(GroupState.STABLE);
        return ids;
    }

    Map<TopicPartition, GroupOffsets.Commit> commit(String topic, int p, long offset) {
        return Map.of(new TopicPartition(topic, p), new GroupOffsets.Commit(offset, 3, "meta", -1));
    }

    // ---------------------------------------------------------------- state machine

    @Test
    void theStateMachineAllowsOnlyTheClassicTransitions() {
        assertThat(GroupState.PREPARING_REBALANCE.canFollow(GroupState.EMPTY)).isTrue();
        assertThat(GroupState.COMPLETING_REBALANCE.canFollow(GroupState.PREPARING_REBALANCE)).isTrue();
        assertThat(GroupState.STABLE.canFollow(GroupState.COMPLETING_REBALANCE)).isTrue();
        assertThat(GroupState.PREPARING_REBALANCE.canFollow(GroupState.STABLE)).isTrue();
        assertThat(GroupState.EMPTY.canFollow(GroupState.PREPARING_REBALANCE)).isTrue();
        assertThat(GroupState.DEAD.canFollow(GroupState.STABLE)).isTrue();
        assertThat(GroupState.STABLE.canFollow(GroupState.EMPTY)).isFalse();
        assertThat(GroupState.STABLE.canFollow(GroupState.PREPARING_REBALANCE)).isFalse();
        assertThat(GroupState.COMPLETING_REBALANCE.canFollow(GroupState.STABLE)).isFalse();
        assertThat(GroupState.EMPTY.canFollow(GroupState.STABLE)).isFalse();
        assertThat(GroupState.PREPARING_REBALANCE.canFollow(GroupState.DEAD)).isFalse();

        ClassicGroup group = new ClassicGroup("g", 0, DIRECT, 0);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> group.transitionTo(GroupState.STABLE, 1))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("Empty to Stable");
        assertThat(GroupState.forKafkaName("preparingrebalance")).isEqualTo(GroupState.PREPARING_REBALANCE);
    }

    // ---------------------------------------------------------------- joins and syncs

    @Test
    void aNewMemberGetsItsIdFirstAndTheGenerationFormsAfterTheInitialDelay() {
        String id = newMemberId();
        CompletableFuture<JoinResult> joined = join(id);

        assertThat(joined).isNotDone();
        assertThat(state()).isEqualTo(GroupState.PREPARING_REBALANCE);
        scheduler.advance(Duration.ofMillis(2_999));
        assertThat(joined).isNotDone();
        scheduler.advance(Duration.ofMillis(1));

        JoinResult result = joined.join();
        assertThat(result.error()).isEqualTo(Errors.NONE);
        assertThat(result.generationId()).isEqualTo(1);
        assertThat(result.leaderId()).isEqualTo(id);
        assertThat(result.protocolName()).isEqualTo("range");
        assertThat(result.members()).extracting(JoinResult.MemberMetadata::memberId).containsExactly(id);
        assertThat(state()).isEqualTo(GroupState.COMPLETING_REBALANCE);
    }

    @Test
    void membersArrivingDuringTheInitialDelayFormOneGeneration() {
        String a = newMemberId();
        CompletableFuture<JoinResult> joinA = join(a);
        scheduler.advance(Duration.ofSeconds(1));
        String b = newMemberId();
        CompletableFuture<JoinResult> joinB = join(b);
        scheduler.advance(Duration.ofSeconds(1));
        String c = newMemberId();
        CompletableFuture<JoinResult> joinC = join(c);

        scheduler.advance(Duration.ofSeconds(1));
        assertThat(joinA).as("a member arrived during the delay: it is extended").isNotDone();
        scheduler.advance(Duration.ofSeconds(6)); // members kept arriving: the 3 s initial delay ran twice

        assertThat(List.of(joinA, joinB, joinC)).allMatch(f -> f.join().generationId() == 1);
        assertThat(joinA.join().members()).extracting(JoinResult.MemberMetadata::memberId).containsExactly(a, b, c);
        assertThat(joinB.join().members()).as("only the leader gets the members").isEmpty();
        assertThat(joinC.join().leaderId()).isEqualTo(a);
    }

    @Test
    void theProtocolIsTheOneMostMembersPreferAmongThoseAllOffer() {
        List<MemberProtocol> xy = List.of(new MemberProtocol("x", bytes("1")), new MemberProtocol("y", bytes("1")),
                new MemberProtocol("z", bytes("1")));
        List<MemberProtocol> yx = List.of(new MemberProtocol("y", bytes("2")), new MemberProtocol("x", bytes("2")));
        List<CompletableFuture<JoinResult>> joins = new ArrayList<>();
        for (List<MemberProtocol> offered : List.of(xy, yx, yx)) {
            String id = coordinator.join(joinRequest("", null, offered)).join().memberId();
            joins.add(coordinator.join(joinRequest(id, null, offered)));
        }
        assertThat(coordinator.join(joinRequest("", null, List.of(new MemberProtocol("w", bytes("3"))))).join().error())
                .as("a member sharing no protocol with the group").isEqualTo(Errors.INCONSISTENT_GROUP_PROTOCOL);

        scheduler.advance(Duration.ofSeconds(6)); // members kept arriving: the 3 s initial delay ran twice

        assertThat(joins).allMatch(f -> f.join().protocolName().equals("y"));
        assertThat(joins.get(0).join().members()).extracting(m -> new String(m.metadata(), StandardCharsets.UTF_8))
                .containsExactly("1", "2", "2");
    }

    @Test
    void followersWaitForTheLeadersAssignmentAndGetTheirPart() {
        String leader = newMemberId();
        CompletableFuture<JoinResult> joinLeader = join(leader);
        String follower = newMemberId();
        join(follower);
        scheduler.advance(Duration.ofSeconds(6)); // the follower arrived during the delay: it ran twice
        int generation = joinLeader.join().generationId();

        CompletableFuture<SyncResult> followerSync = sync(follower, generation, Map.of());
        assertThat(followerSync).isNotDone();
        assertThat(sync(follower, generation, Map.of()))
                .as("a second SyncGroup replaces the first").isNotDone();
        assertThat(followerSync.join().error()).isEqualTo(Errors.REBALANCE_IN_PROGRESS);
        int before = log.records(partition);

        SyncResult leaderSync = sync(leader, generation, Map.of(leader, bytes("p0"), follower, bytes("p1"))).join();

        assertThat(leaderSync.error()).isEqualTo(Errors.NONE);
        assertThat(new String(leaderSync.assignment(), StandardCharsets.UTF_8)).isEqualTo("p0");
        assertThat(log.records(partition)).as("the assignment is written before it is handed out").isEqualTo(before + 1);
        assertThat(state()).isEqualTo(GroupState.STABLE);
        assertThat(new String(sync(follower, generation, Map.of()).join().assignment(), StandardCharsets.UTF_8))
                .isEqualTo("p1");
    }

    @Test
    void anAssignmentThatCannotBeWrittenIsNotHandedOutAndTheGroupRebalances() {
        String leader = newMemberId();
        join(leader);
        scheduler.advance(Duration.ofSeconds(3));
        log.failWith = Errors.NOT_ENOUGH_REPLICAS;

        SyncResult result = sync(leader, 1, Map.of(leader, bytes("p0"))).join();

        assertThat(result.error()).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
        assertThat(state()).isEqualTo(GroupState.PREPARING_REBALANCE);
    }

    @Test
    void aJoiningMemberMakesAStableGroupRebalanceAndTheOthersRejoin() {
        List<String> ids = stableGroup(2);
        String newcomer = newMemberId();
        CompletableFuture<JoinResult> newJoin = join(newcomer);

        assertThat(state()).isEqualTo(GroupState.PREPARING_REBALANCE);
        assertThat(heartbeat(ids.get(0), 1)).isEqualTo(Errors.REBALANCE_IN_PROGRESS);
        assertThat(sync(ids.get(1), 1, Map.of()).join().error()).isEqualTo(Errors.REBALANCE_IN_PROGRESS);
        CompletableFuture<JoinResult> rejoin0 = join(ids.get(0));
        assertThat(newJoin).isNotDone();
        CompletableFuture<JoinResult> rejoin1 = join(ids.get(1));

        assertThat(List.of(newJoin, rejoin0, rejoin1)).as("everyone rejoined: no need to wait")
                .allMatch(f -> f.isDone() && f.join().generationId() == 2);
        assertThat(rejoin0.join().members()).hasSize(3);
        assertThat(heartbeat(ids.get(0), 1)).isEqualTo(Errors.ILLEGAL_GENERATION);
    }

    @Test
    void membersThatDoNotRejoinWithinTheRebalanceTimeoutAreRemoved() {
        List<String> ids = stableGroup(3);
        CompletableFuture<JoinResult> follower = join(ids.get(1));
        assertThat(follower.join().generationId()).as("a follower rejoining unchanged keeps its generation")
                .isEqualTo(1);
        assertThat(state()).isEqualTo(GroupState.STABLE);
        CompletableFuture<JoinResult> rejoin = join(ids.get(0));
        assertThat(state()).as("the leader rejoining starts a rebalance").isEqualTo(GroupState.PREPARING_REBALANCE);
        // The others keep heartbeating but never rejoin.
        for (int s = 0; s < 29; s++) {
            scheduler.advance(Duration.ofSeconds(1));
            heartbeat(ids.get(1), 1);
            heartbeat(ids.get(2), 1);
        }
        assertThat(rejoin).isNotDone();

        scheduler.advance(Duration.ofSeconds(1));

        JoinResult result = rejoin.join();
        assertThat(result.generationId()).isEqualTo(2);
        assertThat(result.leaderId()).isEqualTo(ids.get(0));
        assertThat(result.members()).extracting(JoinResult.MemberMetadata::memberId).containsExactly(ids.get(0));
        assertThat(heartbeat(ids.get(1), 2)).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
    }

    @Test
    void aMemberSilentForItsSessionTimeoutIsRemovedAndTheGroupRebalances() {
        List<String> ids = stableGroup(2);
        for (int s = 0; s < 9; s++) {
            scheduler.advance(Duration.ofSeconds(1));
            assertThat(heartbeat(ids.get(0), 1)).isEqualTo(Errors.NONE);
        }
        assertThat(state()).isEqualTo(GroupState.STABLE);

        scheduler.advance(Duration.ofSeconds(1));

        assertThat(state()).isEqualTo(GroupState.PREPARING_REBALANCE);
        assertThat(heartbeat(ids.get(1), 1)).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
        assertThat(heartbeat(ids.get(0), 1)).isEqualTo(Errors.REBALANCE_IN_PROGRESS);
        JoinResult rejoined = join(ids.get(0)).join();
        assertThat(rejoined.generationId()).isEqualTo(2);
        assertThat(rejoined.members()).hasSize(1);
    }

    @Test
    void membersThatNeverSyncAreRemovedAfterTheRebalanceTimeout() {
        String leader = newMemberId();
        CompletableFuture<JoinResult> joinLeader = join(leader);
        String lazy = newMemberId();
        join(lazy);
        scheduler.advance(Duration.ofSeconds(6)); // members kept arriving: the 3 s initial delay ran twice
        sync(leader, 1, Map.of(leader, bytes("p0"), lazy, bytes("p1"))).join();
        assertThat(joinLeader.join().generationId()).isEqualTo(1);

        // Both heartbeat, only the leader ever synced.
        for (int s = 0; s < 30; s++) {
            heartbeat(leader, 1);
            heartbeat(lazy, 1);
            scheduler.advance(Duration.ofSeconds(1));
        }

        assertThat(heartbeat(lazy, 1)).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
        assertThat(state()).isEqualTo(GroupState.PREPARING_REBALANCE);
    }

    @Test
    void leavingMembersAreRemovedAndStaticLeavesAreCheckedAgainstTheInstance() {
        List<String> ids = stableGroup(2);
        GroupCoordinator.LeaveResult left = coordinator.leave(GROUP, List.of(
                new GroupCoordinator.LeavingMember(ids.get(1), null),
                new GroupCoordinator.LeavingMember("nobody", null),
                new GroupCoordinator.LeavingMember("", "no-such-instance")), "closing").join();

        assertThat(left.error()).isEqualTo(Errors.NONE);
        assertThat(left.members()).containsExactly(Errors.NONE, Errors.UNKNOWN_MEMBER_ID, Errors.UNKNOWN_MEMBER_ID);
        assertThat(state()).isEqualTo(GroupState.PREPARING_REBALANCE);
        assertThat(join(ids.get(0)).join().members()).hasSize(1);

        assertThat(coordinator.leave(GROUP, List.of(new GroupCoordinator.LeavingMember(ids.get(0), null)), null).join()
                .members()).containsExactly(Errors.NONE);
        assertThat(state()).as("the last member left").isEqualTo(GroupState.EMPTY);
    }

    @Test
    void staticMembersRestartWithoutARebalanceAndFenceTheirOldInstance() {
        CompletableFuture<JoinResult> staticJoin = coordinator.join(joinRequest("", "instance-1", range("orders")));
        assertThat(staticJoin).as("a static member needs no second round").isNotDone();
        scheduler.advance(Duration.ofSeconds(3));
        String oldId = staticJoin.join().memberId();
        assertThat(oldId).startsWith("instance-1-");
        sync(oldId, 1, Map.of(oldId, bytes("p0-p3"))).join();
        int rebalancesBefore = (int) coordinator.rebalances();

        // The process restarts: same instance id, no member id.
        JoinResult restarted = coordinator.join(joinRequest("", "instance-1", range("orders"))).join();

        assertThat(restarted.error()).isEqualTo(Errors.NONE);
        assertThat(restarted.memberId()).isNotEqualTo(oldId);
        assertThat(restarted.generationId()).isEqualTo(1);
        assertThat(restarted.skipAssignment()).as("the restarted leader need not reassign").isTrue();
        assertThat(coordinator.rebalances()).isEqualTo(rebalancesBefore);
        assertThat(state()).isEqualTo(GroupState.STABLE);
        assertThat(coordinator.heartbeat(GROUP, 1, oldId, "instance-1").join()).isEqualTo(Errors.FENCED_INSTANCE_ID);
        SyncResult assignment = coordinator.sync(GROUP, 1, restarted.memberId(), "instance-1", "consumer", "range",
                Map.of()).join();
        assertThat(new String(assignment.assignment(), StandardCharsets.UTF_8)).isEqualTo("p0-p3");
        assertThat(coordinator.leave(GROUP, List.of(new GroupCoordinator.LeavingMember(oldId, "instance-1")), null)
                .join().members()).containsExactly(Errors.FENCED_INSTANCE_ID);
    }

    @Test
    void requestsFromOldGenerationsAndUnknownMembersAreFenced() {
        List<String> ids = stableGroup(1);
        String id = ids.get(0);

        assertThat(heartbeat(id, 0)).isEqualTo(Errors.ILLEGAL_GENERATION);
        assertThat(heartbeat("stranger", 1)).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
        assertThat(sync(id, 7, Map.of()).join().error()).isEqualTo(Errors.ILLEGAL_GENERATION);
        assertThat(sync("stranger", 1, Map.of()).join().error()).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
        assertThat(coordinator.sync(GROUP, 1, id, null, "consumer", "roundrobin", Map.of()).join().error())
                .isEqualTo(Errors.INCONSISTENT_GROUP_PROTOCOL);
        assertThat(offsets.commit(GROUP, 0, id, null, commit("orders", 0, 5)).join().error())
                .isEqualTo(Errors.ILLEGAL_GENERATION);
        assertThat(offsets.commit(GROUP, 1, "stranger", null, commit("orders", 0, 5)).join().error())
                .isEqualTo(Errors.UNKNOWN_MEMBER_ID);
        assertThat(join("stranger").join().error()).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
        assertThat(coordinator.join(new JoinRequest(GROUP, "", null, "c", "h", 500, REBALANCE_MS, "consumer",
                range("orders"), true, null)).join().error()).isEqualTo(Errors.INVALID_SESSION_TIMEOUT);
    }

    // ---------------------------------------------------------------- offsets

    @Test
    void membersCommitAndFetchOffsetsWithMetadataAndLeaderEpoch() {
        String id = stableGroup(1).get(0);

        GroupOffsets.CommitResult result = offsets.commit(GROUP, 1, id, null, commit("orders", 2, 42)).join();

        TopicPartition tp = new TopicPartition("orders", 2);
        assertThat(result.error()).isEqualTo(Errors.NONE);
        assertThat(result.partitions()).containsEntry(tp, Errors.NONE);
        OffsetAndMetadata fetched = offsets.fetch(GROUP, List.of(tp)).join().offsets().get(tp);
        assertThat(fetched.offset()).isEqualTo(42);
        assertThat(fetched.leaderEpoch()).isEqualTo(3);
        assertThat(fetched.metadata()).isEqualTo("meta");
        assertThat(fetched.commitTimestamp()).isEqualTo(clock.millis());
        assertThat(offsets.fetch(GROUP, null).join().offsets()).containsOnlyKeys(tp);
        assertThat(offsets.fetch("another-group", null).join().offsets()).isEmpty();
        assertThat(offsets.commits()).isEqualTo(1);
    }

    @Test
    void aSimpleConsumerCommitsWithoutMembership() {
        String simple = groupOnThisPartition("simple");
        assertThat(offsets.commit(simple, -1, "", null, commit("orders", 0, 10)).join().error())
                .isEqualTo(Errors.NONE);
        assertThat(offsets.commit(groupOnThisPartition("never-seen"), 3, "m", null, commit("orders", 0, 10)).join()
                .error()).isEqualTo(Errors.ILLEGAL_GENERATION);
        assertThat(manager.group(simple).state()).isEqualTo(GroupState.EMPTY);
        assertThat(offsets.fetch(simple, null).join().offsets().get(new TopicPartition("orders", 0)).offset())
                .isEqualTo(10);
    }

    @Test
    void commitsWhileTheGenerationFormsAreRefusedAndOversizedMetadataIsRejected() {
        String id = newMemberId();
        join(id);
        scheduler.advance(Duration.ofSeconds(3));
        assertThat(offsets.commit(GROUP, 1, id, null, commit("orders", 0, 1)).join().error())
                .isEqualTo(Errors.REBALANCE_IN_PROGRESS);
        sync(id, 1, Map.of()).join();

        TopicPartition tp = new TopicPartition("orders", 0);
        GroupOffsets.CommitResult result = offsets.commit(GROUP, 1, id, null,
                Map.of(tp, new GroupOffsets.Commit(1, -1, "x".repeat(65), -1))).join();

        assertThat(result.partitions()).containsEntry(tp, Errors.OFFSET_METADATA_TOO_LARGE);
        assertThat(offsets.fetch(GROUP, null).join().offsets()).isEmpty();
    }

    @Test
    void aCommitThatCannotBeReplicatedChangesNothing() {
        String id = stableGroup(1).get(0);
        TopicPartition tp = new TopicPartition("orders", 0);

        log.failWith = Errors.NOT_ENOUGH_REPLICAS;
        assertThat(offsets.commit(GROUP, 1, id, null, commit("orders", 0, 5)).join().partitions())
                .containsEntry(tp, Errors.COORDINATOR_NOT_AVAILABLE);
        log.failWith = Errors.NOT_LEADER_OR_FOLLOWER;
        assertThat(offsets.commit(GROUP, 1, id, null, commit("orders", 0, 6)).join().partitions())
                .containsEntry(tp, Errors.NOT_COORDINATOR);
        log.failWith = Errors.RECORD_LIST_TOO_LARGE;
        assertThat(offsets.commit(GROUP, 1, id, null, commit("orders", 0, 7)).join().partitions())
                .containsEntry(tp, Errors.INVALID_COMMIT_OFFSET_SIZE);

        assertThat(offsets.fetch(GROUP, null).join().offsets()).isEmpty();
    }

    @Test
    void aCommitIsVisibleOnlyOnceItsRecordIsReplicated() {
        String id = stableGroup(1).get(0);
        log.hold = true;

        CompletableFuture<GroupOffsets.CommitResult> pending = offsets.commit(GROUP, 1, id, null, commit("orders", 0, 9));

        assertThat(pending).isNotDone();
        assertThat(offsets.fetch(GROUP, null).join().offsets()).isEmpty();
        log.release();
        assertThat(pending.join().error()).isEqualTo(Errors.NONE);
        assertThat(offsets.fetch(GROUP, null).join().offsets().get(new TopicPartition("orders", 0)).offset())
                .isEqualTo(9);
    }

    @Test
    void offsetDeleteSparesTopicsAMemberConsumes() {
        String id = stableGroup(1).get(0);
        Map<TopicPartition, GroupOffsets.Commit> both = Map.of(new TopicPartition("orders", 0),
                new GroupOffsets.Commit(5, -1, "", -1), new TopicPartition("old-topic", 0),
                new GroupOffsets.Commit(8, -1, "", -1));
        offsets.commit(GROUP, 1, id, null, both).join();

        GroupOffsets.CommitResult deleted = offsets.delete(GROUP,
                List.of(new TopicPartition("orders", 0), new TopicPartition("old-topic", 0))).join();

        assertThat(deleted.partitions()).containsEntry(new TopicPartition("orders", 0), Errors.GROUP_SUBSCRIBED_TO_TOPIC)
                .containsEntry(new TopicPartition("old-topic", 0), Errors.NONE);
        assertThat(offsets.fetch(GROUP, null).join().offsets()).containsOnlyKeys(new TopicPartition("orders", 0));
        assertThat(offsets.delete("no-such-group", List.of()).join().error()).isEqualTo(Errors.GROUP_ID_NOT_FOUND);
    }

    @Test
    void anEmptyGroupsOffsetsExpireAfterTheRetentionAndTheGroupGoes() {
        String idle = groupOnThisPartition("idle");
        assertThat(offsets.commit(idle, -1, "", null, commit("orders", 0, 10)).join().error()).isEqualTo(Errors.NONE);
        scheduler.advance(Duration.ofDays(7).minusSeconds(1));
        offsets.expireOffsets();
        assertThat(offsets.fetch(idle, null).join().offsets()).hasSize(1);

        scheduler.advance(Duration.ofSeconds(1));
        offsets.expireOffsets();

        assertThat(offsets.fetch(idle, null).join().offsets()).isEmpty();
        assertThat(manager.group(idle)).isNull();
        assertThat(admin.describe(idle).join().error()).isEqualTo(Errors.GROUP_ID_NOT_FOUND);
    }

    @Test
    void aStableGroupsOffsetsDoNotExpire() {
        String id = stableGroup(1).get(0);
        offsets.commit(GROUP, 1, id, null, commit("orders", 0, 10)).join();
        for (int day = 0; day < 8; day++) {
            scheduler.advance(Duration.ofSeconds(5));
            heartbeat(id, 1);
            clock.advance(Duration.ofDays(1));
            heartbeat(id, 1);
        }
        offsets.expireOffsets();
        assertThat(offsets.fetch(GROUP, null).join().offsets()).hasSize(1);
    }

    // ---------------------------------------------------------------- admin

    @Test
    void listDescribeAndDeleteGroups() {
        List<String> ids = stableGroup(2);
        offsets.commit(GROUP, 1, ids.get(0), null, commit("orders", 0, 3)).join();

        assertThat(admin.list().join()).extracting(GroupAdmin.Listing::groupId, GroupAdmin.Listing::state)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(GROUP, "Stable"));
        GroupAdmin.Description described = admin.describe(GROUP).join();
        assertThat(described.state()).isEqualTo(GroupState.STABLE);
        assertThat(described.protocolName()).isEqualTo("range");
        assertThat(described.members()).extracting(m -> new String(m.assignment(), StandardCharsets.UTF_8))
                .containsExactlyInAnyOrder("assigned:" + ids.get(0), "assigned:" + ids.get(1));
        assertThat(described.offsets()).hasSize(1);

        assertThat(admin.delete(GROUP).join()).isEqualTo(Errors.NON_EMPTY_GROUP);
        assertThat(admin.delete("no-such-group").join()).isEqualTo(Errors.GROUP_ID_NOT_FOUND);
        coordinator.leave(GROUP, ids.stream().map(id -> new GroupCoordinator.LeavingMember(id, null)).toList(), null)
                .join();
        assertThat(state()).isEqualTo(GroupState.EMPTY);
        assertThat(admin.delete(GROUP).join()).isEqualTo(Errors.NONE);
        assertThat(manager.group(GROUP)).isNull();
        assertThat(offsets.fetch(GROUP, null).join().offsets()).isEmpty();

        start(DIRECT);
        manager.becameLeader(partition);
        assertThat(manager.group(GROUP)).as("the deletion is in the log too").isNull();
    }

    // ---------------------------------------------------------------- loading and moving

    @Test
    void aNewLeaderRebuildsGroupsAndOffsetsFromTheLog() {
        List<String> ids = stableGroup(2);
        offsets.commit(GROUP, 1, ids.get(0), null, commit("orders", 0, 100)).join();
        offsets.commit(GROUP, 1, ids.get(1), null, commit("orders", 1, 200)).join();
        offsets.commit(GROUP, 1, ids.get(1), null, commit("orders", 1, 250)).join();
        String simple = groupOnThisPartition("simple");
        offsets.commit(simple, -1, "", null, commit("orders", 0, 7)).join();
        List<Runnable> loads = new ArrayList<>();

        start(loads::add);
        manager.becameLeader(partition);

        assertThat(heartbeat(ids.get(0), 1)).isEqualTo(Errors.COORDINATOR_LOAD_IN_PROGRESS);
        assertThat(offsets.fetch(GROUP, null).join().error()).isEqualTo(Errors.COORDINATOR_LOAD_IN_PROGRESS);
        String elsewhere = groupOnAnotherPartition();
        assertThat(offsets.fetch(elsewhere, null).join().error()).isEqualTo(Errors.NOT_COORDINATOR);
        loads.forEach(Runnable::run);

        assertThat(state()).isEqualTo(GroupState.STABLE);
        assertThat(heartbeat(ids.get(0), 1)).isEqualTo(Errors.NONE);
        assertThat(new String(sync(ids.get(1), 1, Map.of()).join().assignment(), StandardCharsets.UTF_8))
                .isEqualTo("assigned:" + ids.get(1));
        Map<TopicPartition, OffsetAndMetadata> restored = offsets.fetch(GROUP, null).join().offsets();
        assertThat(restored.get(new TopicPartition("orders", 0)).offset()).isEqualTo(100);
        assertThat(restored.get(new TopicPartition("orders", 1)).offset()).isEqualTo(250);
        assertThat(restored.get(new TopicPartition("orders", 1)).leaderEpoch()).isEqualTo(3);
        assertThat(manager.group(simple).state()).isEqualTo(GroupState.EMPTY);
        assertThat(offsets.fetch(simple, null).join().offsets().get(new TopicPartition("orders", 0)).offset())
                .isEqualTo(7);
        // The restored members' sessions run from the load: a silent one expires.
        for (int s = 0; s < 10; s++) {
            heartbeat(ids.get(0), 1);
            scheduler.advance(Duration.ofSeconds(1));
        }
        assertThat(heartbeat(ids.get(1), 1)).isEqualTo(Errors.UNKNOWN_MEMBER_ID);
    }

    @Test
    void aCoordinatorThatStopsLeadingDropsItsGroupsAndAnswersWaitingJoins() {
        List<String> ids = stableGroup(2);
        CompletableFuture<JoinResult> parked = join(ids.get(0));
        assertThat(parked).isNotDone();

        manager.resigned(partition);

        assertThat(parked.join().error()).isEqualTo(Errors.NOT_COORDINATOR);
        assertThat(heartbeat(ids.get(1), 1)).isEqualTo(Errors.NOT_COORDINATOR);
        assertThat(offsets.commit(GROUP, 1, ids.get(1), null, commit("orders", 0, 1)).join().error())
                .isEqualTo(Errors.NOT_COORDINATOR);
        assertThat(manager.group(GROUP)).isNull();
    }

    @Test
    void groupsMapToPartitionsAsKafkaMapsThem() {
        assertThat(manager.partitionFor("orders-service")).isEqualTo(Math.abs("orders-service".hashCode()) % 4);
        // "polygenelubricants".hashCode() is Integer.MIN_VALUE: Kafka's abs maps it to 0.
        assertThat("polygenelubricants".hashCode()).isEqualTo(Integer.MIN_VALUE);
        assertThat(manager.partitionFor("polygenelubricants")).isZero();
        assertThat(coordinator.heartbeat("", 1, "m", null).join()).isEqualTo(Errors.INVALID_GROUP_ID);
    }

    /** A group id starting with {@code prefix} that this coordinator's partition holds. */
    private String groupOnThisPartition(String prefix) {
        for (int i = 0; ; i++) {
            String candidate = prefix + "-" + i;
            if (manager.partitionFor(candidate) == partition) {
                return candidate;
            }
        }
    }

    private String groupOnAnotherPartition() {
        for (int i = 0; ; i++) {
            String candidate = "group-" + i;
            if (manager.partitionFor(candidate) != partition) {
                return candidate;
            }
        }
    }
}
