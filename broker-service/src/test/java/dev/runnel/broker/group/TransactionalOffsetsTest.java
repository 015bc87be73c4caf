package dev.runnel.broker.group;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
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
 * TxnOffsetCommit and the transaction markers of {@code __consumer_offsets}, on a fake clock with
 * direct executors and an in-memory offsets topic. The cases follow Kafka's
 * {@code OffsetMetadataManagerTest} (named in each test's comment) and add Runnel's own: the
 * verification, markers whose acknowledgements overtake the offsets they complete, and loads.
 */
@Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TransactionalOffsetsTest {

    static final String GROUP = GroupCoordinatorTest.GROUP;
    static final GroupSettings SETTINGS = GroupCoordinatorTest.SETTINGS;
    static final Executor DIRECT = Runnable::run;
    static final String TXN_ID = "payments-tx";
    static final long PRODUCER = 4_000L;
    static final short EPOCH = 2;
    static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);
    static final TopicPartition ORDERS_1 = new TopicPartition("orders", 1);

    final ManualClock clock = new ManualClock(1_000_000);
    final ManualScheduler scheduler = new ManualScheduler(clock);
    final FakeGroupLog log = new FakeGroupLog();
    final List<String> verifications = new ArrayList<>();
    /** What the fake transaction coordinator answers; null: no verifier (no transaction coordinator yet). */
    CompletableFuture<Errors> verification = CompletableFuture.completedFuture(Errors.NONE);
    boolean hasVerifier = true;
    GroupMetadataManager manager;
    GroupCoordinator coordinator;
    GroupOffsets offsets;
    GroupAdmin admin;
    TransactionalOffsets transactions;
    int partition;
    /** Group ids of the partition this broker leads, with nothing of them written yet. */
    String simple;
    String unknown;

    @BeforeEach
    void leadTheGroupsPartition() {
        start();
        manager.becameLeader(partition);
        simple = groupOnThisPartition("simple");
        unknown = groupOnThisPartition("unknown");
    }

    void start() {
        manager = new GroupMetadataManager(log, clock, DIRECT, DIRECT, SETTINGS, SETTINGS::offsetsTopicPartitions);
        coordinator = new GroupCoordinator(manager, clock, scheduler);
        offsets = new GroupOffsets(coordinator, clock, bytes -> Set.of(GroupReplayTest.text(bytes).split(",")));
        admin = new GroupAdmin(coordinator);
        TransactionVerifier verifier = (id, producerId, epoch, offsetsPartition) -> {
            verifications.add(id + "/" + producerId + "/" + epoch + "/" + offsetsPartition);
            return verification;
        };
        transactions = new TransactionalOffsets(coordinator, clock, () -> hasVerifier ? verifier : null);
        partition = manager.partitionFor(GROUP);
    }

    // ---------------------------------------------------------------- validation (ClassicGroup in Kafka)

    @Test
    void aMembersTransactionalCommitIsPendingUntilTheCommitMarker() {
        // testGenericGroupTransactionalOffsetCommit
        String member = stableGroup(1).get(0);

        GroupOffsets.CommitResult result = txnCommit(GROUP, PRODUCER, EPOCH, 1, member, null, ORDERS_0, 100).join();

        assertThat(result.error()).isEqualTo(Errors.NONE);
        assertThat(result.partitions()).containsExactly(Map.entry(ORDERS_0, Errors.NONE));
        assertThat(verifications).containsExactly(TXN_ID + "/" + PRODUCER + "/" + EPOCH + "/" + partition);
        assertThat(committed(GROUP)).isEmpty();
        OffsetAndMetadata pending = store(GROUP).pending(PRODUCER, ORDERS_0);
        assertThat(pending.offset()).isEqualTo(100);
        assertThat(pending.commitTimestamp()).isEqualTo(clock.millis());
        assertThat(lastBatch().producerId()).isEqualTo(PRODUCER);

        assertThat(complete(PRODUCER, true)).isEqualTo(Errors.NONE);

        assertThat(committed(GROUP)).containsOnlyKeys(ORDERS_0);
        assertThat(committed(GROUP).get(ORDERS_0).offset()).isEqualTo(100);
        assertThat(store(GROUP).hasPending()).isFalse();
        assertThat(lastBatch().marker()).isEqualTo(GroupLog.Marker.COMMIT);
    }

    @Test
    void anUnknownGroupIsASimpleGroupOnlyWithoutAGeneration() {
        // testGenericGroupTransactionalOffsetCommitWithUnknownGroupId
        assertThat(txnCommit(unknown, PRODUCER, EPOCH, 1, "member", null, ORDERS_0, 1).join().error())
                .isEqualTo(Errors.ILLEGAL_GENERATION);
        assertThat(manager.group(unknown)).isNull();

        assertThat(txnCommit(simple, PRODUCER, EPOCH, -1, "", null, ORDERS_0, 1).join().error())
                .isEqualTo(Errors.NONE);
        assertThat(manager.group(simple).state()).isEqualTo(GroupState.EMPTY);
        assertThat(store(simple).pending(PRODUCER, ORDERS_0).offset()).isEqualTo(1);
    }

    @Test
    void aDeadGroupIsNotAvailable() {
        // testGenericGroupTransactionalOffsetCommitWithDeadGroup
        stableGroup(1);
        manager.group(GROUP).transitionTo(GroupState.DEAD, clock.millis());

        assertThat(txnCommit(GROUP, PRODUCER, EPOCH, 1, "member", null, ORDERS_0, 1).join().error())
                .isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
    }

    @Test
    void theMemberAndGenerationAreChecked() {
        // testGenericGroupTransactionalOffsetCommitWithUnknownMemberId, ...WithIllegalGenerationId,
        // ...WithFencedInstanceId
        String member = stableGroup(1).get(0);

        assertThat(txnCommit(GROUP, PRODUCER, EPOCH, 1, "stranger", null, ORDERS_0, 1).join().error())
                .isEqualTo(Errors.UNKNOWN_MEMBER_ID);
        assertThat(txnCommit(GROUP, PRODUCER, EPOCH, 2, member, null, ORDERS_0, 1).join().error())
                .isEqualTo(Errors.ILLEGAL_GENERATION);
        assertThat(txnCommit(GROUP, PRODUCER, EPOCH, -1, member, null, ORDERS_0, 1).join().error())
                .as("a member id without its generation").isEqualTo(Errors.ILLEGAL_GENERATION);
        assertThat(txnCommit(GROUP, PRODUCER, EPOCH, 1, member, "instance-1", ORDERS_0, 1).join().error())
                .as("an instance id the group does not know").isEqualTo(Errors.UNKNOWN_MEMBER_ID);
        assertThat(store(GROUP).hasPending()).isFalse();
    }

    @Test
    void aStaticMembersOldIdIsFenced() {
        // testGenericGroupTransactionalOffsetCommitWithFencedInstanceId
        JoinResult first = joinStatic("instance-1");
        String oldId = first.memberId();
        coordinator.sync(GROUP, 1, oldId, "instance-1", "consumer", "range", Map.of(oldId, GroupReplayTest.bytes("a")))
                .join();
        JoinResult restarted = coordinator.join(GroupCoordinatorTest.joinRequest("", "instance-1",
                GroupCoordinatorTest.range("orders"))).join();
        assertThat(restarted.memberId()).isNotEqualTo(oldId);

        assertThat(txnCommit(GROUP, PRODUCER, EPOCH, 1, oldId, "instance-1", ORDERS_0, 1).join().error())
                .isEqualTo(Errors.FENCED_INSTANCE_ID);
        assertThat(txnCommit(GROUP, PRODUCER, EPOCH, restarted.generationId(), restarted.memberId(), "instance-1",
                ORDERS_0, 1).join().error()).isEqualTo(Errors.NONE);
    }

    @Test
    void aGroupCompletingItsRebalanceTakesTransactionalCommitsAsOffsetCommitDoesNot() {
        // testGenericGroupTransactionalOffsetCommitWithCompletingRebalanceState (accepted, unlike OffsetCommit)
        String member = newMemberId();
        CompletableFuture<JoinResult> joined = join(member);
        scheduler.advance(Duration.ofSeconds(3));
        assertThat(joined.join().generationId()).isEqualTo(1);
        assertThat(manager.group(GROUP).state()).isEqualTo(GroupState.COMPLETING_REBALANCE);

        assertThat(offsets.commit(GROUP, 1, member, null, Map.of(ORDERS_0, new GroupOffsets.Commit(1, -1, "", -1)))
                .join().error()).isEqualTo(Errors.REBALANCE_IN_PROGRESS);
        assertThat(txnCommit(GROUP, PRODUCER, EPOCH, 1, member, null, ORDERS_0, 1).join().error())
                .isEqualTo(Errors.NONE);
    }

    @Test
    void anOldClientWithoutMemberOrGenerationCommitsInAnyState() {
        // TxnOffsetCommit v0-v2 carries no member: accepted whatever the group's state
        stableGroup(2);

        assertThat(txnCommit(GROUP, PRODUCER, EPOCH, -1, "", null, ORDERS_0, 7).join().error()).isEqualTo(Errors.NONE);
        assertThat(store(GROUP).pending(PRODUCER, ORDERS_0).offset()).isEqualTo(7);
    }

    @Test
    void metadataTooLongIsRefusedForItsPartitionOnly() {
        Map<TopicPartition, TransactionalOffsets.Commit> commits = new LinkedHashMap<>();
        commits.put(ORDERS_0, new TransactionalOffsets.Commit(5, 1, "x".repeat(65)));
        commits.put(ORDERS_1, new TransactionalOffsets.Commit(6, 1, "fine"));

        GroupOffsets.CommitResult result = transactions.commit(new TransactionalOffsets.Request(TXN_ID, PRODUCER, EPOCH,
                simple, -1, "", null, commits)).join();

        assertThat(result.partitions()).containsEntry(ORDERS_0, Errors.OFFSET_METADATA_TOO_LARGE)
                .containsEntry(ORDERS_1, Errors.NONE);
        assertThat(store(simple).pendingPartitions()).containsExactly(ORDERS_1);
    }

    // ---------------------------------------------------------------- verification and the log's checks

    @Test
    void aFailedVerificationWritesNothingAndCreatesNoGroup() {
        int appends = log.appends;
        verification = CompletableFuture.completedFuture(Errors.TRANSACTION_ABORTABLE);
        assertThat(txnCommit(simple, PRODUCER, EPOCH, -1, "", null, ORDERS_0, 1).join().error())
                .isEqualTo(Errors.TRANSACTION_ABORTABLE);
        verification = CompletableFuture.completedFuture(Errors.PRODUCER_FENCED);
        assertThat(txnCommit(simple, PRODUCER, EPOCH, -1, "", null, ORDERS_0, 1).join().error())
                .as("fencing, as Kafka's verification answers it").isEqualTo(Errors.INVALID_PRODUCER_EPOCH);
        verification = CompletableFuture.completedFuture(Errors.NOT_COORDINATOR);
        assertThat(txnCommit(simple, PRODUCER, EPOCH, -1, "", null, ORDERS_0, 1).join().error())
                .as("the transaction coordinator moved, not the group's").isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
        verification = CompletableFuture.failedFuture(new IllegalStateException("connection lost"));
        assertThat(txnCommit(simple, PRODUCER, EPOCH, -1, "", null, ORDERS_0, 1).join().error())
                .isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
        hasVerifier = false;
        assertThat(txnCommit(simple, PRODUCER, EPOCH, -1, "", null, ORDERS_0, 1).join().error())
                .as("no transaction coordinator to verify with").isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);

        assertThat(log.appends).isEqualTo(appends);
        assertThat(manager.group(simple)).isNull();
    }

    @Test
    void theCoordinatorsOwnErrorsComeBeforeTheVerification() {
        assertThat(txnCommit("", PRODUCER, EPOCH, -1, "", null, ORDERS_0, 1).join().error())
                .isEqualTo(Errors.INVALID_GROUP_ID);
        manager.resigned(partition);
        assertThat(txnCommit(GROUP, PRODUCER, EPOCH, -1, "", null, ORDERS_0, 1).join().error())
                .isEqualTo(Errors.NOT_COORDINATOR);
        assertThat(verifications).isEmpty();
    }

    @Test
    void aFencedEpochIsRefusedByTheLogAndChangesNothing() {
        assertThat(txnCommit(simple, PRODUCER, (short) 5, -1, "", null, ORDERS_0, 10).join().error())
                .isEqualTo(Errors.NONE);

        GroupOffsets.CommitResult stale = txnCommit(simple, PRODUCER, (short) 4, -1, "", null, ORDERS_0, 11).join();

        assertThat(stale.partitions()).containsExactly(Map.entry(ORDERS_0, Errors.INVALID_PRODUCER_EPOCH));
        assertThat(store(simple).pending(PRODUCER, ORDERS_0).offset()).isEqualTo(10);
    }

    @Test
    void aWriteTheIsrDoesNotTakeIsNotPending() {
        log.failWith = Errors.NOT_ENOUGH_REPLICAS;
        assertThat(txnCommit(simple, PRODUCER, EPOCH, -1, "", null, ORDERS_0, 1).join().partitions())
                .containsExactly(Map.entry(ORDERS_0, Errors.COORDINATOR_NOT_AVAILABLE));
        assertThat(store(simple).hasPending()).isFalse();
    }

    // ---------------------------------------------------------------- markers

    @Test
    void anAbortMarkerDropsThePendingOffsetsAndKeepsTheCommittedOnes() {
        // testTransactionalReplay, testReplayTransactionEndMarkerWithAbort
        commit(simple, ORDERS_0, 50);
        txnCommit(simple, PRODUCER, EPOCH, -1, "", null, ORDERS_0, 100).join();
        txnCommit(simple, PRODUCER + 1, EPOCH, -1, "", null, ORDERS_1, 200).join();

        assertThat(complete(PRODUCER, false)).isEqualTo(Errors.NONE);

        assertThat(committed(simple)).containsOnlyKeys(ORDERS_0);
        assertThat(committed(simple).get(ORDERS_0).offset()).isEqualTo(50);
        assertThat(store(simple).openTransactions()).containsExactly(PRODUCER + 1);
        assertThat(complete(PRODUCER + 1, true)).isEqualTo(Errors.NONE);
        assertThat(committed(simple).get(ORDERS_1).offset()).isEqualTo(200);
    }

    @Test
    void aCommitMarkerKeepsAPlainCommitWrittenAfterTheTransactionalOne() {
        // testReplayTransactionEndMarkerKeepsTheMostRecentCommittedOffset
        txnCommit(simple, PRODUCER, EPOCH, -1, "", null, ORDERS_0, 100).join();
        commit(simple, ORDERS_0, 150);
        commit(simple, ORDERS_1, 10);
        txnCommit(simple, PRODUCER, EPOCH, -1, "", null, ORDERS_1, 20).join();

        complete(PRODUCER, true);

        assertThat(committed(simple).get(ORDERS_0).offset()).as("the plain commit came later").isEqualTo(150);
        assertThat(committed(simple).get(ORDERS_1).offset()).as("the transactional commit came later").isEqualTo(20);
        assertThat(loadedAgain()).isEqualTo(live());
    }

    @Test
    void aMarkerCompletesEveryGroupTheTransactionWroteTo() {
        String first = groupOnThisPartition("first");
        String second = groupOnThisPartition("second");
        txnCommit(first, PRODUCER, EPOCH, -1, "", null, ORDERS_0, 1).join();
        txnCommit(second, PRODUCER, EPOCH, -1, "", null, ORDERS_0, 2).join();

        complete(PRODUCER, true);

        assertThat(committed(first).get(ORDERS_0).offset()).isEqualTo(1);
        assertThat(committed(second).get(ORDERS_0).offset()).isEqualTo(2);
    }

    @Test
    void aMarkerAcknowledgedBeforeTheOffsetsItCompletesIsAppliedAfterThem() {
        log.hold = true;
        CompletableFuture<GroupOffsets.CommitResult> committing =
                txnCommit(simple, PRODUCER, EPOCH, -1, "", null, ORDERS_0, 100);
        CompletableFuture<Errors> marker = transactions.completeTransaction(partition, PRODUCER, EPOCH, 7, true);
        assertThat(committing).isNotDone();
        assertThat(marker).isNotDone();

        log.releaseNewestFirst();

        assertThat(committing.join().error()).isEqualTo(Errors.NONE);
        assertThat(marker.join()).isEqualTo(Errors.NONE);
        assertThat(committed(simple).get(ORDERS_0).offset()).isEqualTo(100);
        assertThat(store(simple).hasPending()).isFalse();
    }

    @Test
    void markersAreAnsweredSoTheTransactionCoordinatorRetriesElsewhere() {
        int elsewhere = (partition + 1) % SETTINGS.offsetsTopicPartitions();
        assertThat(transactions.completeTransaction(elsewhere, PRODUCER, EPOCH, 7, true).join())
                .as("not the coordinator of that partition").isEqualTo(Errors.NOT_LEADER_OR_FOLLOWER);
        txnCommit(simple, PRODUCER, EPOCH, -1, "", null, ORDERS_0, 100).join();

        log.failWith = Errors.NOT_ENOUGH_REPLICAS;
        assertThat(complete(PRODUCER, true)).isEqualTo(Errors.NOT_ENOUGH_REPLICAS);
        log.failWith = null;
        assertThat(complete(PRODUCER, (short) (EPOCH - 1), true)).isEqualTo(Errors.INVALID_PRODUCER_EPOCH);
        assertThat(store(simple).pending(PRODUCER, ORDERS_0).offset()).as("no marker was written").isEqualTo(100);

        List<Runnable> loads = new ArrayList<>();
        GroupMetadataManager loading = new GroupMetadataManager(log, clock, DIRECT, loads::add, SETTINGS,
                SETTINGS::offsetsTopicPartitions);
        loading.becameLeader(partition);
        assertThat(new TransactionalOffsets(new GroupCoordinator(loading, clock, scheduler), clock, () -> null)
                .completeTransaction(partition, PRODUCER, EPOCH, 7, true).join())
                .as("still loading").isEqualTo(Errors.NOT_LEADER_OR_FOLLOWER);
    }

    @Test
    void aMarkerOfAProducerWithoutOffsetsHereIsWrittenAndChangesNothing() {
        commit(simple, ORDERS_0, 5);
        Map<String, GroupReplayTest.GroupSnapshot> before = live();

        assertThat(complete(PRODUCER, true)).isEqualTo(Errors.NONE);

        assertThat(lastBatch().marker()).isEqualTo(GroupLog.Marker.COMMIT);
        assertThat(live()).isEqualTo(before);
    }

    // ---------------------------------------------------------------- fetch, delete, expiry

    @Test
    void requireStableFetchesAnswerUnstableForPendingPartitions() {
        // testFetchOffsetsWithPendingTransactionalOffsets, testFetchAllOffsetsWithPendingTransactionalOffsets
        commit(simple, ORDERS_0, 5);
        commit(simple, new TopicPartition("other", 0), 9);
        txnCommit(simple, PRODUCER, EPOCH, -1, "", null, ORDERS_0, 6).join();
        txnCommit(simple, PRODUCER, EPOCH, -1, "", null, ORDERS_1, 7).join();

        GroupOffsets.FetchResult some = offsets.fetch(simple, List.of(ORDERS_0, ORDERS_1), true).join();
        assertThat(some.unstable()).containsExactlyInAnyOrder(ORDERS_0, ORDERS_1);
        GroupOffsets.FetchResult all = offsets.fetch(simple, null, true).join();
        assertThat(all.unstable()).as("all committed offsets, of which one is pending").containsExactly(ORDERS_0);
        GroupOffsets.FetchResult unstableAllowed = offsets.fetch(simple, List.of(ORDERS_0, ORDERS_1), false).join();
        assertThat(unstableAllowed.unstable()).isEmpty();
        assertThat(unstableAllowed.offsets()).containsOnlyKeys(ORDERS_0);
        assertThat(unstableAllowed.offsets().get(ORDERS_0).offset()).isEqualTo(5);

        complete(PRODUCER, true);
        assertThat(offsets.fetch(simple, List.of(ORDERS_0, ORDERS_1), true).join().unstable()).isEmpty();
    }

    @Test
    void offsetDeleteDropsPendingOffsetsOfItsPartitions() {
        // testReplayWithTombstoneAndPendingTransactionalOffsets, testOffsetDeleteWithPendingTransactionalOffsets
        txnCommit(simple, PRODUCER, EPOCH, -1, "", null, ORDERS_0, 1).join();
        txnCommit(simple, PRODUCER, EPOCH, -1, "", null, ORDERS_1, 2).join();
        int records = log.records(partition);

        assertThat(offsets.delete(simple, List.of(ORDERS_0)).join().partitions())
                .containsExactly(Map.entry(ORDERS_0, Errors.NONE));

        assertThat(log.records(partition)).as("a tombstone, though nothing was committed").isEqualTo(records + 1);
        assertThat(store(simple).pendingPartitions()).containsExactly(ORDERS_1);
        complete(PRODUCER, true);
        assertThat(committed(simple)).containsOnlyKeys(ORDERS_1);
        assertThat(loadedAgain()).isEqualTo(live());
    }

    @Test
    void deletingTheGroupDropsItsPendingOffsets() {
        // testDeleteGroupAllOffsetsWithPendingTransactionalOffsets
        commit(simple, ORDERS_0, 1);
        txnCommit(simple, PRODUCER, EPOCH, -1, "", null, ORDERS_0, 2).join();
        txnCommit(simple, PRODUCER, EPOCH, -1, "", null, ORDERS_1, 3).join();

        assertThat(admin.delete(simple).join()).isEqualTo(Errors.NONE);
        assertThat(manager.group(simple)).isNull();
        assertThat(complete(PRODUCER, true)).isEqualTo(Errors.NONE);

        assertThat(manager.group(simple)).isNull();
        assertThat(loadedAgain()).isEmpty();
        assertThat(pendingAfterLoad()).isEmpty();
    }

    @Test
    void expirySparesPartitionsWithPendingOffsetsAndTheirGroup() {
        // testCleanupExpiredOffsetsWithPendingTransactionalOffsets
        commit(simple, ORDERS_0, 1);
        commit(simple, ORDERS_1, 2);
        txnCommit(simple, PRODUCER, EPOCH, -1, "", null, ORDERS_0, 3).join();
        scheduler.advance(Duration.ofDays(8));

        offsets.expireOffsets();

        assertThat(committed(simple)).containsOnlyKeys(ORDERS_0);
        assertThat(manager.group(simple)).isNotNull();
        complete(PRODUCER, false);
        offsets.expireOffsets();
        assertThat(manager.group(simple)).as("expired and empty once the transaction ended").isNull();
    }

    @Test
    void aGroupWithOnlyPendingOffsetsIsNotRemovedByExpiry() {
        txnCommit(simple, PRODUCER, EPOCH, -1, "", null, ORDERS_0, 3).join();
        scheduler.advance(Duration.ofDays(8));

        offsets.expireOffsets();

        assertThat(manager.group(simple)).isNotNull();
        assertThat(store(simple).pending(PRODUCER, ORDERS_0).offset()).isEqualTo(3);
    }

    // ---------------------------------------------------------------- loading

    @Test
    void aLoadReplaysMarkersInLogOrderAndKeepsOpenTransactionsPending() {
        String first = groupOnThisPartition("first");
        String second = groupOnThisPartition("second");
        txnCommit(first, PRODUCER, EPOCH, -1, "", null, ORDERS_0, 10).join();
        txnCommit(second, PRODUCER + 1, EPOCH, -1, "", null, ORDERS_0, 20).join();
        txnCommit(second, PRODUCER + 2, EPOCH, -1, "", null, ORDERS_1, 30).join();
        commit(first, ORDERS_1, 5);
        complete(PRODUCER, true);
        complete(PRODUCER + 1, false);

        assertThat(loadedAgain()).isEqualTo(live());
        assertThat(pendingAfterLoad()).containsExactly(Map.entry(second, Map.of(PRODUCER + 2, Set.of(ORDERS_1))));

        // The open transaction ends after the load: the new coordinator knows which group it wrote to.
        start();
        manager.becameLeader(partition);
        assertThat(complete(PRODUCER + 2, true)).isEqualTo(Errors.NONE);
        assertThat(committed(second).get(ORDERS_1).offset()).isEqualTo(30);
    }

    @Test
    void aLoadedMarkerKeepsAPlainCommitWrittenAfterTheTransactionalOne() {
        txnCommit(simple, PRODUCER, EPOCH, -1, "", null, ORDERS_0, 100).join();
        commit(simple, ORDERS_0, 150);
        complete(PRODUCER, true);

        start();
        manager.becameLeader(partition);

        assertThat(committed(simple).get(ORDERS_0).offset()).isEqualTo(150);
    }

    // ---------------------------------------------------------------- helpers

    CompletableFuture<GroupOffsets.CommitResult> txnCommit(String groupId, long producerId, short epoch, int generation,
            String memberId, String instanceId, TopicPartition tp, long offset) {
        return transactions.commit(new TransactionalOffsets.Request(TXN_ID, producerId, epoch, groupId, generation,
                memberId, instanceId, Map.of(tp, new TransactionalOffsets.Commit(offset, 3, "txn"))));
    }

    Errors complete(long producerId, boolean commit) {
        return complete(producerId, EPOCH, commit);
    }

    Errors complete(long producerId, short epoch, boolean commit) {
        return transactions.completeTransaction(partition, producerId, epoch, 7, commit).join();
    }

    void commit(String groupId, TopicPartition tp, long offset) {
        GroupOffsets.CommitResult result = offsets.commit(groupId, -1, "", null,
                Map.of(tp, new GroupOffsets.Commit(offset, 3, "plain", -1))).join();
        assertThat(result.partitions()).containsExactly(Map.entry(tp, Errors.NONE));
    }

    Map<TopicPartition, OffsetAndMetadata> committed(String groupId) {
        return offsets.fetch(groupId, null).join().offsets();
    }

    GroupLog.Batch lastBatch() {
        List<GroupLog.Batch> batches = log.batches(partition);
        return batches.get(batches.size() - 1);
    }

    OffsetStore store(String groupId) {
        return manager.group(groupId).offsetStore();
    }

    Map<String, GroupReplayTest.GroupSnapshot> live() {
        return GroupReplayTest.snapshot(manager);
    }

    /** A new coordinator's view after loading the partition the live one wrote. */
    Map<String, GroupReplayTest.GroupSnapshot> loadedAgain() {
        return GroupReplayTest.snapshot(load());
    }

    /** After a load: each group's producers with open transactions, and the partitions they hold. */
    Map<String, Map<Long, Set<TopicPartition>>> pendingAfterLoad() {
        Map<String, Map<Long, Set<TopicPartition>>> pending = new LinkedHashMap<>();
        for (ClassicGroup g : load().groups()) {
            Map<Long, Set<TopicPartition>> byProducer = new LinkedHashMap<>();
            for (long producerId : g.offsetStore().openTransactions()) {
                Set<TopicPartition> partitions = new HashSet<>();
                g.offsetStore().pendingPartitions().stream()
                        .filter(tp -> g.offsetStore().pending(producerId, tp) != null).forEach(partitions::add);
                byProducer.put(producerId, partitions);
            }
            if (!byProducer.isEmpty()) {
                pending.put(g.groupId, byProducer);
            }
        }
        return pending;
    }

    private GroupMetadataManager load() {
        GroupMetadataManager fresh = new GroupMetadataManager(log, clock, DIRECT, DIRECT, SETTINGS,
                SETTINGS::offsetsTopicPartitions);
        fresh.becameLeader(partition);
        assertThat(fresh.isActive(partition)).isTrue();
        return fresh;
    }

    CompletableFuture<JoinResult> join(String memberId) {
        return coordinator.join(GroupCoordinatorTest.joinRequest(memberId, null, GroupCoordinatorTest.range("orders")));
    }

    JoinResult joinStatic(String instanceId) {
        CompletableFuture<JoinResult> joined = coordinator.join(GroupCoordinatorTest.joinRequest("", instanceId,
                GroupCoordinatorTest.range("orders")));
        scheduler.advance(Duration.ofSeconds(3));
        return joined.join();
    }

    String newMemberId() {
        JoinResult first = join("").join();
        assertThat(first.error()).isEqualTo(Errors.MEMBER_ID_REQUIRED);
        return first.memberId();
    }

    /** A Stable group of {@code members} at generation 1. */
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
        List<CompletableFuture<SyncResult>> syncs = new ArrayList<>();
        for (int i = members - 1; i >= 0; i--) {
            syncs.add(coordinator.sync(GROUP, 1, ids.get(i), null, "consumer", "range",
                    i == 0 ? Map.of(ids.get(0), GroupReplayTest.bytes("p0")) : Map.of()));
        }
        assertThat(syncs).allMatch(f -> f.join().error() == Errors.NONE);
        assertThat(manager.group(GROUP).state()).isEqualTo(GroupState.STABLE);
        return ids;
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
