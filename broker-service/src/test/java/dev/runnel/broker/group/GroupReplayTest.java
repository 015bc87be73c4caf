package dev.runnel.broker.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
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
 * The one apply path: what live operations leave in a group's persisted state (its offsets, and
 * its generation with members and assignments) is exactly what a fresh coordinator rebuilds by
 * replaying the records they wrote. Each test drives the live coordinator, then loads the same
 * in-memory {@code __consumer_offsets} into a new manager and compares the two.
 *
 * <p>Only settled groups are compared: a rebalance in progress is not persisted (Kafka's classic
 * protocol writes a group when its assignment is stored or it becomes empty), and a Stable group's
 * state time is when the live group became Stable but, after a load, the record's time.
 */
@Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class GroupReplayTest {

    static final String GROUP = "orders-service";
    static final GroupSettings SETTINGS = GroupCoordinatorTest.SETTINGS;
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
        manager = new GroupMetadataManager(log, clock, DIRECT, DIRECT, SETTINGS, SETTINGS::offsetsTopicPartitions);
        coordinator = new GroupCoordinator(manager, clock, scheduler);
        offsets = new GroupOffsets(coordinator, clock, bytes -> Set.of(text(bytes).split(",")));
        admin = new GroupAdmin(coordinator);
        partition = manager.partitionFor(GROUP);
        manager.becameLeader(partition);
    }

    // ---------------------------------------------------------------- live operations, then a load

    @Test
    void commitsAndOffsetDeletesReplayToTheOffsetsTheLiveGroupHas() {
        List<String> ids = stableGroup(2);
        commit(GROUP, 1, ids.get(0), "orders", 0, 100);
        commit(GROUP, 1, ids.get(1), "orders", 1, 200);
        commit(GROUP, 1, ids.get(1), "orders", 1, 250);
        commit(GROUP, 1, ids.get(0), "old-topic", 0, 8);
        assertThat(offsets.delete(GROUP, List.of(new TopicPartition("old-topic", 0))).join().partitions())
                .containsValue(Errors.NONE);
        String simple = groupOnThisPartition("simple");
        commit(simple, -1, "", "orders", 3, 7);

        assertThat(loadedAgain()).isEqualTo(live()).containsKeys(GROUP, simple);
    }

    @Test
    void aRebalanceReplaysToTheGenerationAndAssignmentTheLiveGroupHas() {
        List<String> ids = stableGroup(2);
        String newcomer = newMemberId();
        CompletableFuture<JoinResult> joined = join(newcomer);
        join(ids.get(0));
        join(ids.get(1));
        assertThat(joined.join().generationId()).isEqualTo(2);
        List<CompletableFuture<SyncResult>> syncs = new ArrayList<>();
        syncs.add(sync(newcomer, 2, Map.of()));
        syncs.add(sync(ids.get(1), 2, Map.of()));
        syncs.add(sync(ids.get(0), 2, Map.of(ids.get(0), bytes("p0"), ids.get(1), bytes("p1"), newcomer, bytes("p2"))));
        assertThat(syncs).allMatch(f -> f.join().error() == Errors.NONE);

        Map<String, GroupSnapshot> live = live();
        assertThat(live.get(GROUP).state()).isEqualTo(GroupState.STABLE);
        assertThat(live.get(GROUP).members()).extracting(MemberSnapshot::assignment).containsExactly("p0", "p1", "p2");
        assertThat(loadedAgain()).isEqualTo(live);
    }

    @Test
    void aGroupEveryoneLeftReplaysAsEmptyAtItsGeneration() {
        List<String> ids = stableGroup(2);
        commit(GROUP, 1, ids.get(0), "orders", 0, 5);
        coordinator.leave(GROUP, ids.stream().map(id -> new GroupCoordinator.LeavingMember(id, null)).toList(), null)
                .join();

        Map<String, GroupSnapshot> live = live();
        assertThat(live.get(GROUP).state()).isEqualTo(GroupState.EMPTY);
        assertThat(live.get(GROUP).generationId()).isEqualTo(2);
        assertThat(loadedAgain()).isEqualTo(live);
    }

    @Test
    void aRestartedStaticMemberReplaysUnderItsNewId() {
        CompletableFuture<JoinResult> first = coordinator.join(joinRequest("", "instance-1", range("orders")));
        scheduler.advance(Duration.ofSeconds(3));
        String oldId = first.join().memberId();
        sync(oldId, 1, Map.of(oldId, bytes("p0-p3"))).join();

        JoinResult restarted = coordinator.join(joinRequest("", "instance-1", range("orders"))).join();

        assertThat(restarted.error()).isEqualTo(Errors.NONE);
        Map<String, GroupSnapshot> live = live();
        assertThat(live.get(GROUP).members()).extracting(MemberSnapshot::memberId).containsExactly(restarted.memberId());
        assertThat(live.get(GROUP).members()).extracting(MemberSnapshot::assignment).containsExactly("p0-p3");
        assertThat(loadedAgain()).isEqualTo(live);
    }

    @Test
    void deletedAndExpiredGroupsReplayAsGone() {
        List<String> ids = stableGroup(1);
        commit(GROUP, 1, ids.get(0), "orders", 0, 3);
        coordinator.leave(GROUP, List.of(new GroupCoordinator.LeavingMember(ids.get(0), null)), null).join();
        assertThat(admin.delete(GROUP).join()).isEqualTo(Errors.NONE);
        String idle = groupOnThisPartition("idle");
        commit(idle, -1, "", "orders", 0, 10);
        String kept = groupOnThisPartition("kept");
        scheduler.advance(Duration.ofDays(7));
        commit(kept, -1, "", "orders", 0, 11);
        offsets.expireOffsets();

        Map<String, GroupSnapshot> live = live();
        assertThat(live).containsOnlyKeys(kept);
        assertThat(loadedAgain()).isEqualTo(live);
    }

    @Test
    void aCommitRacingTheGroupsDeletionIsGoneAfterALoadAsItIsLive() {
        String simple = groupOnThisPartition("simple");
        commit(simple, -1, "", "orders", 0, 1);
        log.hold = true;
        CompletableFuture<GroupOffsets.CommitResult> racing = offsets.commit(simple, -1, "", null, offset("orders", 1, 2));
        CompletableFuture<Errors> deleted = admin.delete(simple);
        log.release();

        assertThat(racing.join().error()).isEqualTo(Errors.NONE);
        assertThat(deleted.join()).isEqualTo(Errors.NONE);
        assertThat(live()).isEmpty();
        assertThat(loadedAgain()).as("the group's tombstone replays as the live deletion applied it").isEmpty();
    }

    // ---------------------------------------------------------------- replay itself

    @Test
    void aMetadataRecordDoesNotReplayIntoAGroupThatMovedOn() {
        List<String> ids = stableGroup(2);
        ClassicGroup group = manager.group(GROUP);
        GroupRecord.GroupMetadata written = group.metadataRecord(Map.of());
        assertThat(group.holds(written)).isTrue();

        join(ids.get(0)); // the leader rejoins: the generation is being rebalanced
        assertThat(group.state()).isEqualTo(GroupState.PREPARING_REBALANCE);
        assertThat(group.holds(written)).isFalse();
        assertThatThrownBy(() -> group.replayMetadata(written.value(), clock.millis()))
                .isInstanceOf(IllegalStateException.class);

        join(ids.get(1)); // the next generation forms
        assertThat(group.state()).isEqualTo(GroupState.COMPLETING_REBALANCE);
        assertThat(group.holds(written)).isFalse();
        assertThatThrownBy(() -> group.replayMetadata(written.value(), clock.millis()))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void replayingAGroupsTombstoneForgetsIt() {
        String simple = groupOnThisPartition("simple");
        commit(simple, -1, "", "orders", 0, 1);
        ClassicGroup group = manager.group(simple);

        manager.replay(group, group.deletionRecords());

        assertThat(group.state()).isEqualTo(GroupState.DEAD);
        assertThat(group.offsets()).isEmpty();
        assertThat(manager.group(simple)).isNull();
    }

    // ---------------------------------------------------------------- snapshots

    /** A member's persisted part: metadata for the group's protocol, and its assignment. */
    record MemberSnapshot(String memberId, String groupInstanceId, String clientId, String clientHost,
            int rebalanceTimeoutMs, int sessionTimeoutMs, String metadata, String assignment) {
    }

    /** A group's persisted part; the state time only for an Empty group, whose offsets it ages. */
    record GroupSnapshot(GroupState state, Long emptySinceMs, int generationId, String protocolType,
            String protocolName, String leaderId, List<MemberSnapshot> members,
            Map<TopicPartition, OffsetAndMetadata> offsets) {
    }

    Map<String, GroupSnapshot> live() {
        return snapshot(manager);
    }

    /** A new coordinator's view after loading the partition the live one wrote. */
    Map<String, GroupSnapshot> loadedAgain() {
        GroupMetadataManager fresh = new GroupMetadataManager(log, clock, DIRECT, DIRECT, SETTINGS,
                SETTINGS::offsetsTopicPartitions);
        fresh.becameLeader(partition);
        assertThat(fresh.isActive(partition)).isTrue();
        return snapshot(fresh);
    }

    static Map<String, GroupSnapshot> snapshot(GroupMetadataManager m) {
        Map<String, GroupSnapshot> groups = new TreeMap<>();
        for (ClassicGroup g : m.groups()) {
            if (!g.hasState() && g.generationId() == 0) {
                continue; // nothing persisted: a load has nothing to rebuild
            }
            List<MemberSnapshot> members = new ArrayList<>();
            for (GroupMember member : g.members()) {
                members.add(new MemberSnapshot(member.memberId, member.groupInstanceId, member.clientId,
                        member.clientHost, member.rebalanceTimeoutMs, member.sessionTimeoutMs,
                        text(member.metadata(g.protocolName())), text(member.assignment)));
            }
            groups.put(g.groupId, new GroupSnapshot(g.state(), g.is(GroupState.EMPTY) ? g.stateTimestampMs() : null,
                    g.generationId(), g.protocolType(), g.protocolName(), g.leaderId(), members, Map.copyOf(g.offsets())));
        }
        return groups;
    }

    // ---------------------------------------------------------------- helpers

    static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static JoinRequest joinRequest(String memberId, String instanceId, List<MemberProtocol> protocols) {
        return GroupCoordinatorTest.joinRequest(memberId, instanceId, protocols);
    }

    /** Two protocols offered, so a loaded member (which knows only the chosen one) is compared on that one. */
    static List<MemberProtocol> range(String topics) {
        return List.of(new MemberProtocol("range", bytes(topics)), new MemberProtocol("roundrobin", bytes(topics)));
    }

    CompletableFuture<JoinResult> join(String memberId) {
        return coordinator.join(joinRequest(memberId, null, range("orders")));
    }

    String newMemberId() {
        JoinResult first = join("").join();
        assertThat(first.error()).isEqualTo(Errors.MEMBER_ID_REQUIRED);
        return first.memberId();
    }

    CompletableFuture<SyncResult> sync(String memberId, int generation, Map<String, byte[]> assignment) {
        return coordinator.sync(GROUP, generation, memberId, null, "consumer", "range", assignment);
    }

    /** A Stable group of {@code members} at generation 1, each assigned "assigned:" and its id. */
    List<String> stableGroup(int members) {
        List<String> ids = new ArrayList<>();
        List<CompletableFuture<JoinResult>> joins = new ArrayList<>();
        for (int i = 0; i < members; i++) {
            String id = newMemberId();
            ids.add(id);
            joins.add(join(id));
        }
        scheduler.advance(Duration.ofSeconds(6));
        assertThat(joins).allMatch(f -> f.join().generationId() == 1);
        Map<String, byte[]> assignment = new java.util.HashMap<>();
        ids.forEach(id -> assignment.put(id, bytes("assigned:" + id)));
        List<CompletableFuture<SyncResult>> syncs = new ArrayList<>();
        for (int i = members - 1; i >= 0; i--) {
            syncs.add(sync(ids.get(i), 1, i == 0 ? assignment : Map.of()));
        }
        assertThat(syncs).allMatch(f -> f.join().error() == Errors.NONE);
        return ids;
    }

    static Map<TopicPartition, GroupOffsets.Commit> offset(String topic, int p, long offset) {
        return Map.of(new TopicPartition(topic, p), new GroupOffsets.Commit(offset, 3, "meta", -1));
    }

    void commit(String groupId, int generation, String memberId, String topic, int p, long offset) {
        GroupOffsets.CommitResult result = offsets.commit(groupId, generation, memberId, null,
                offset(topic, p, offset)).join();
        assertThat(result.error()).isEqualTo(Errors.NONE);
        assertThat(result.partitions()).containsOnly(Map.entry(new TopicPartition(topic, p), Errors.NONE));
    }

    private String groupOnThisPartition(String prefix) {
        for (int i = 0; ; i++) {
            String candidate = prefix + "-" + i;
            if (manager.partitionFor(candidate) == partition) {
                return candidate;
            }
        }
    }
}
