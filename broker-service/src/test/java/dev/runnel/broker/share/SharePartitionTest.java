package dev.runnel.broker.share;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

import dev.runnel.broker.config.ShareGroupConfigs;
import dev.runnel.broker.sharestate.ShareStatePersister;
import dev.runnel.common.TopicPartition;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

/**
 * A share partition's records through acquisition, acknowledgement, lock timeouts and restarts,
 * with an in-memory persister and time moved by the test.
 */
class SharePartitionTest {

    private static final TopicPartition TP = new TopicPartition("orders", 0);
    private static final ShareStatePersister.Key KEY = new ShareStatePersister.Key("g", new Uuid(7, 8), 0);
    private static final Duration LOCK = Duration.ofSeconds(30);
    private static final int LIMIT = 3;
    private static final List<InFlightRecords.BatchOffsets> TWO_BATCHES = List.of(
            new InFlightRecords.BatchOffsets(0, 4), new InFlightRecords.BatchOffsets(5, 9));

    /** Reads in these tests start at the partition's next fetch offset or below; the batches say where. */
    private static final long READ_FROM_START = 0;

    private final ManualScheduler scheduler = new ManualScheduler(new ManualClock());
    private final InMemorySharePersister persister = new InMemorySharePersister();
    private final ShareGroupConfigs configs = group -> new ShareGroupConfigs.Settings(
            ShareGroupConfigs.AutoOffsetReset.EARLIEST, LOCK, LIMIT, false, Duration.ofSeconds(45), Duration.ofSeconds(5));
    private final List<String> failures = new ArrayList<>();

    private SharePartition partition(InFlightRecords records, int maxLocks) {
        return new SharePartition(KEY, TP, 5, 0, records, persister, configs, scheduler, maxLocks,
                () -> failures.add("failed"));
    }

    private SharePartition fresh() {
        return partition(new InFlightRecords(0), 2000);
    }

    private static CompletableFuture<Void> ack(SharePartition p, String member, long first, long last,
            AcknowledgeType type) {
        return p.acknowledge(member, List.of(new AcknowledgementBatch(first, last, List.of(type))), false);
    }

    private static Errors refusal(CompletableFuture<Void> future) {
        assertThat(future).isCompletedExceptionally();
        Throwable cause = future.handle((ok, failure) -> failure).join();
        if (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause instanceof ShareException e ? e.error()
                : ((ShareStatePersister.ShareStateException) cause).error();
    }

    @Test
    void acquiredRecordsAreLockedToOneMember() {
        SharePartition p = fresh();

        assertThat(p.acquire("a", READ_FROM_START, TWO_BATCHES, 100, false)).containsExactly(new AcquiredRange(0, 9, (short) 1));
        assertThat(p.acquire("b", READ_FROM_START, TWO_BATCHES, 100, false)).isEmpty();
        assertThat(p.nextFetchOffset()).isEqualTo(10);
        assertThat(p.stateOf(3)).isEqualTo(RecordState.ACQUIRED);
    }

    @Test
    void acceptedRecordsAreDoneAndTheStartOffsetPassesThemOncePersisted() {
        SharePartition p = fresh();
        p.acquire("a", READ_FROM_START, TWO_BATCHES, 100, false);

        assertThat(ack(p, "a", 0, 4, AcknowledgeType.ACCEPT)).isCompleted();
        assertThat(p.startOffset()).isEqualTo(5);
        assertThat(persister.state(KEY).orElseThrow().startOffset()).isEqualTo(5);
        // Accepting 7..8 leaves 5..6 in front: the start offset stays.
        assertThat(ack(p, "a", 7, 8, AcknowledgeType.ACCEPT)).isCompleted();
        assertThat(p.startOffset()).isEqualTo(5);
        assertThat(persister.state(KEY).orElseThrow().batches()).containsExactly(
                new ShareStatePersister.StateBatch(5, 6, (byte) 0, (short) 1),
                new ShareStatePersister.StateBatch(7, 8, (byte) 2, (short) 1),
                new ShareStatePersister.StateBatch(9, 9, (byte) 0, (short) 1));
    }

    @Test
    void releasedRecordsAreRedeliveredWithTheNextDeliveryCount() {
        SharePartition p = fresh();
        p.acquire("a", READ_FROM_START, TWO_BATCHES, 100, false);

        assertThat(ack(p, "a", 2, 3, AcknowledgeType.RELEASE)).isCompleted();

        assertThat(p.nextFetchOffset()).isEqualTo(2);
        assertThat(p.acquire("b", READ_FROM_START, TWO_BATCHES, 100, false)).containsExactly(new AcquiredRange(2, 3, (short) 2));
    }

    @Test
    void rejectedRecordsAreArchivedAndNeverDeliveredAgain() {
        SharePartition p = fresh();
        p.acquire("a", READ_FROM_START, TWO_BATCHES, 100, false);

        assertThat(ack(p, "a", 0, 1, AcknowledgeType.REJECT)).isCompleted();
        assertThat(ack(p, "a", 2, 2, AcknowledgeType.GAP)).isCompleted();

        assertThat(p.startOffset()).isEqualTo(3);
        scheduler.advance(LOCK);
        assertThat(p.acquire("b", READ_FROM_START, TWO_BATCHES, 100, false)).containsExactly(new AcquiredRange(3, 9, (short) 2));
    }

    @Test
    void aLockThatTimesOutReleasesItsRecordsForRedelivery() {
        SharePartition p = fresh();
        p.acquire("a", READ_FROM_START, TWO_BATCHES, 100, false);

        scheduler.advance(LOCK.minusMillis(1));
        assertThat(p.stateOf(0)).isEqualTo(RecordState.ACQUIRED);
        scheduler.advance(Duration.ofMillis(1));

        assertThat(p.stateOf(0)).isEqualTo(RecordState.AVAILABLE);
        assertThat(persister.state(KEY).orElseThrow().batches())
                .containsExactly(new ShareStatePersister.StateBatch(0, 9, (byte) 0, (short) 1));
        assertThat(p.acquire("b", READ_FROM_START, TWO_BATCHES, 100, false)).containsExactly(new AcquiredRange(0, 9, (short) 2));
        // The timed-out member's acknowledgement is refused: the records are b's now.
        assertThat(refusal(ack(p, "a", 0, 4, AcknowledgeType.ACCEPT))).isEqualTo(Errors.INVALID_RECORD_STATE);
    }

    @Test
    void aRecordDeliveredUpToTheLimitIsArchivedWhenReleasedAgain() {
        SharePartition p = fresh();
        List<InFlightRecords.BatchOffsets> one = List.of(new InFlightRecords.BatchOffsets(0, 0));
        for (int delivery = 1; delivery <= LIMIT; delivery++) {
            assertThat(p.acquire("a", READ_FROM_START, one, 10, false)).containsExactly(new AcquiredRange(0, 0, (short) delivery));
            scheduler.advance(LOCK);
        }

        assertThat(p.startOffset()).isEqualTo(1);
        assertThat(p.acquire("a", READ_FROM_START, one, 10, false)).isEmpty();
        assertThat(persister.state(KEY).orElseThrow().startOffset()).isEqualTo(1);
    }

    @Test
    void badAcknowledgementsAreRefusedAndChangeNothing() {
        SharePartition p = fresh();
        p.acquire("a", READ_FROM_START, TWO_BATCHES, 100, false);
        int writes = persister.writes().size();

        assertThat(refusal(ack(p, "b", 0, 0, AcknowledgeType.ACCEPT))).isEqualTo(Errors.INVALID_RECORD_STATE);
        assertThat(refusal(ack(p, "a", 8, 12, AcknowledgeType.ACCEPT))).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(refusal(ack(p, "a", 4, 2, AcknowledgeType.ACCEPT))).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(refusal(ack(p, "a", 0, 0, AcknowledgeType.RENEW))).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(refusal(p.acknowledge("a", List.of(new AcknowledgementBatch(0, 3, List.of(AcknowledgeType.ACCEPT)),
                new AcknowledgementBatch(3, 5, List.of(AcknowledgeType.ACCEPT))), false))).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(refusal(p.acknowledge("a", List.of(new AcknowledgementBatch(0, 2,
                List.of(AcknowledgeType.ACCEPT, AcknowledgeType.ACCEPT))), false))).isEqualTo(Errors.INVALID_REQUEST);
        List<AcknowledgeType> unknown = new ArrayList<>();
        unknown.add(null);
        assertThat(refusal(p.acknowledge("a", List.of(new AcknowledgementBatch(0, 0, unknown)), false)))
                .isEqualTo(Errors.INVALID_REQUEST);
        // A valid batch next to a bad one is not applied either.
        assertThat(refusal(p.acknowledge("a", List.of(new AcknowledgementBatch(0, 1, List.of(AcknowledgeType.ACCEPT)),
                new AcknowledgementBatch(20, 21, List.of(AcknowledgeType.ACCEPT))), false))).isEqualTo(Errors.INVALID_REQUEST);

        assertThat(p.startOffset()).isZero();
        for (long o = 0; o <= 9; o++) {
            assertThat(p.stateOf(o)).isEqualTo(RecordState.ACQUIRED);
        }
        assertThat(persister.writes()).hasSize(writes);
        assertThat(ack(p, "a", 0, 9, AcknowledgeType.ACCEPT)).isCompleted();
        assertThat(refusal(ack(p, "a", 0, 0, AcknowledgeType.ACCEPT))).isEqualTo(Errors.INVALID_RECORD_STATE);
    }

    @Test
    void perOffsetTypesApplyOffsetByOffset() {
        SharePartition p = fresh();
        p.acquire("a", READ_FROM_START, TWO_BATCHES, 100, false);

        assertThat(p.acknowledge("a", List.of(new AcknowledgementBatch(0, 2, List.of(AcknowledgeType.ACCEPT,
                AcknowledgeType.RELEASE, AcknowledgeType.REJECT))), false)).isCompleted();

        assertThat(p.stateOf(1)).isEqualTo(RecordState.AVAILABLE);
        assertThat(p.stateOf(2)).isEqualTo(RecordState.ARCHIVED);
        assertThat(p.startOffset()).isEqualTo(1);
    }

    @Test
    void anAcknowledgementIsAnsweredOnlyOnceItsWriteSucceeded() {
        SharePartition p = fresh();
        p.acquire("a", READ_FROM_START, TWO_BATCHES, 100, false);
        persister.holdWrites();

        CompletableFuture<Void> accepted = ack(p, "a", 0, 4, AcknowledgeType.ACCEPT);
        CompletableFuture<Void> renewed = p.acknowledge("a", List.of(new AcknowledgementBatch(5, 9,
                List.of(AcknowledgeType.RENEW))), true);

        assertThat(accepted).isNotDone();
        assertThat(renewed).as("a renewal answers after earlier changes are persisted").isNotDone();
        persister.releaseWrites();
        assertThat(accepted).isCompleted();
        assertThat(renewed).isCompleted();
        assertThat(persister.state(KEY).orElseThrow().startOffset()).isEqualTo(5);
    }

    @Test
    void aRenewedLockStartsAgain() {
        SharePartition p = fresh();
        p.acquire("a", READ_FROM_START, TWO_BATCHES, 100, false);
        scheduler.advance(LOCK.minusSeconds(1));

        assertThat(p.acknowledge("a", List.of(new AcknowledgementBatch(0, 0, List.of(AcknowledgeType.RENEW))), true))
                .isCompleted();
        scheduler.advance(LOCK.minusSeconds(1));
        assertThat(p.stateOf(9)).isEqualTo(RecordState.ACQUIRED);
        scheduler.advance(Duration.ofSeconds(1));
        assertThat(p.stateOf(9)).isEqualTo(RecordState.AVAILABLE);
    }

    @Test
    void aFailedWriteFailsTheAcknowledgementAndStopsThePartition() {
        SharePartition p = fresh();
        p.acquire("a", READ_FROM_START, TWO_BATCHES, 100, false);
        persister.failNextWrite(Errors.COORDINATOR_NOT_AVAILABLE);

        assertThat(refusal(ack(p, "a", 0, 4, AcknowledgeType.ACCEPT))).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);

        assertThat(p.failed()).isTrue();
        assertThat(failures).hasSize(1);
        assertThat(refusal(ack(p, "a", 5, 5, AcknowledgeType.ACCEPT))).isEqualTo(Errors.NOT_LEADER_OR_FOLLOWER);
        assertThatThrownBy(() -> p.acquire("a", READ_FROM_START, TWO_BATCHES, 100, false)).isInstanceOf(ShareException.class);
    }

    @Test
    void aNewLeaderRedeliversOnlyWhatWasNotAcknowledged() {
        SharePartition p = fresh();
        p.acquire("a", READ_FROM_START, TWO_BATCHES, 100, false);
        assertThat(ack(p, "a", 0, 2, AcknowledgeType.ACCEPT)).isCompleted();
        assertThat(ack(p, "a", 3, 3, AcknowledgeType.RELEASE)).isCompleted();
        assertThat(ack(p, "a", 5, 6, AcknowledgeType.ACCEPT)).isCompleted();
        assertThat(ack(p, "a", 8, 8, AcknowledgeType.REJECT)).isCompleted();

        SharePartition next = partition(InFlightRecords.restore(persister.state(KEY).orElseThrow()), 2000);

        assertThat(next.startOffset()).isEqualTo(3);
        assertThat(next.acquire("b", READ_FROM_START, List.of(new InFlightRecords.BatchOffsets(3, 4),
                new InFlightRecords.BatchOffsets(5, 9), new InFlightRecords.BatchOffsets(10, 11)), 100, false))
                .containsExactly(new AcquiredRange(3, 4, (short) 2), new AcquiredRange(7, 7, (short) 2),
                        new AcquiredRange(9, 9, (short) 2), new AcquiredRange(10, 11, (short) 1));
    }

    @Test
    void theRecordLimitModeSplitsBatchesAndTheBatchModeFinishesThem() {
        assertThat(fresh().acquire("a", READ_FROM_START, TWO_BATCHES, 3, true)).containsExactly(new AcquiredRange(0, 2, (short) 1));
        assertThat(fresh().acquire("a", READ_FROM_START, TWO_BATCHES, 3, false)).containsExactly(new AcquiredRange(0, 4, (short) 1));
    }

    @Test
    void noNewRecordsAreAcquiredBeyondTheRecordLocks() {
        SharePartition p = partition(new InFlightRecords(0), 5);

        assertThat(p.acquire("a", READ_FROM_START, TWO_BATCHES, 100, false)).containsExactly(new AcquiredRange(0, 4, (short) 1));
        assertThat(p.nextFetchOffset()).isEqualTo(-1);
        assertThat(ack(p, "a", 0, 1, AcknowledgeType.ACCEPT)).isCompleted();
        assertThat(p.nextFetchOffset()).isEqualTo(5);
    }

    @Test
    void abortedTransactionsAreArchivedNotAcquired() {
        SharePartition p = fresh();

        assertThat(p.acquire("a", READ_FROM_START, List.of(new InFlightRecords.BatchOffsets(0, 4, true),
                new InFlightRecords.BatchOffsets(5, 9)), 100, false)).containsExactly(new AcquiredRange(5, 9, (short) 1));
        assertThat(p.startOffset()).isEqualTo(5);
    }

    @Test
    void availableRecordsBetweenTheBatchesOfARead() {
        SharePartition p = fresh();
        p.acquire("a", READ_FROM_START, TWO_BATCHES, 100, false);
        assertThat(ack(p, "a", 0, 9, AcknowledgeType.RELEASE)).isCompleted();

        // Compaction has since removed 3..4 and 6: the read from 0 has batches 0..2, 5..5, 7..9.
        assertThat(p.acquire("b", 0, List.of(new InFlightRecords.BatchOffsets(0, 2),
                new InFlightRecords.BatchOffsets(5, 5), new InFlightRecords.BatchOffsets(7, 9)), 100, false))
                .containsExactly(new AcquiredRange(0, 2, (short) 2), new AcquiredRange(5, 5, (short) 2),
                        new AcquiredRange(7, 9, (short) 2));
        assertThat(p.stateOf(3)).isEqualTo(RecordState.ARCHIVED);
        assertThat(p.stateOf(6)).isEqualTo(RecordState.ARCHIVED);
        assertThat(ack(p, "b", 0, 2, AcknowledgeType.RELEASE)).isCompleted();
        // A read from 1 says nothing of offset 0: it stays available.
        assertThat(p.acquire("c", 1, List.of(new InFlightRecords.BatchOffsets(2, 2)), 100, false))
                .containsExactly(new AcquiredRange(2, 2, (short) 3));
        assertThat(p.stateOf(0)).isEqualTo(RecordState.AVAILABLE);
        assertThat(p.stateOf(1)).isEqualTo(RecordState.ARCHIVED);
    }

    @Test
    void aPersistedRecordAlreadyAtTheDeliveryLimitIsArchivedNotDeliveredAgain() {
        SharePartition p = partition(InFlightRecords.restore(new ShareStatePersister.ShareState(0, 4, 0, 0, List.of(
                new ShareStatePersister.StateBatch(0, 1, (byte) 0, (short) LIMIT)))), 2000);

        assertThat(p.acquire("a", 0, TWO_BATCHES, 100, false)).containsExactly(new AcquiredRange(2, 9, (short) 1));
        assertThat(p.startOffset()).isEqualTo(2);
    }

    @Test
    void membersFetchingAtOnceNeverShareARecord() throws Exception {
        SharePartition p = fresh();
        int members = 4;
        long records = 2000;
        List<InFlightRecords.BatchOffsets> log = new ArrayList<>();
        for (long base = 0; base < records; base += 5) {
            log.add(new InFlightRecords.BatchOffsets(base, base + 4));
        }
        ExecutorService threads = Executors.newFixedThreadPool(members);
        try {
            List<Future<List<Long>>> delivered = new ArrayList<>();
            for (int m = 0; m < members; m++) {
                String member = "m" + m;
                delivered.add(threads.submit(() -> {
                    List<Long> mine = new ArrayList<>();
                    while (p.startOffset() < records) {
                        long from = p.nextFetchOffset();
                        if (from < 0) {
                            continue;
                        }
                        for (AcquiredRange range : p.acquire(member, from, log, 7, true)) {
                            for (long o = range.firstOffset(); o <= range.lastOffset(); o++) {
                                mine.add(o);
                            }
                            assertThat(ack(p, member, range.firstOffset(), range.lastOffset(), AcknowledgeType.ACCEPT)
                                    .get(10, TimeUnit.SECONDS)).isNull();
                        }
                    }
                    return mine;
                }));
            }
            List<Long> all = new ArrayList<>();
            for (Future<List<Long>> each : delivered) {
                all.addAll(each.get(60, TimeUnit.SECONDS));
            }
            assertThat(all).hasSize((int) records).doesNotHaveDuplicates();
        } finally {
            threads.shutdownNow();
        }
        assertThat(persister.state(KEY).orElseThrow().startOffset()).isEqualTo(records);
    }

    @Test
    void recordsTheLogNoLongerHasAreLeftBehind() {
        SharePartition p = fresh();
        p.acquire("a", READ_FROM_START, TWO_BATCHES, 100, false);

        p.advanceStartTo(7);

        assertThat(p.startOffset()).isEqualTo(7);
        assertThat(persister.state(KEY).orElseThrow().startOffset()).isEqualTo(7);
        assertThat(ack(p, "a", 7, 9, AcknowledgeType.ACCEPT)).isCompleted();
        assertThat(p.startOffset()).isEqualTo(10);
    }
}
