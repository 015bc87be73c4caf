package dev.runnel.broker.storage;

import static dev.runnel.broker.storage.LogTestSupport.openFresh;
import static dev.runnel.broker.storage.LogTestSupport.reopenAfterCrash;
import static dev.runnel.broker.storage.LogTestSupport.reopenClean;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.broker.record.KafkaRecordBatches;
import dev.runnel.broker.record.KafkaRecordBatches.ProducerInfo;
import dev.runnel.broker.record.KafkaRecordBatches.SimpleRecord;
import dev.runnel.broker.record.RecordCodec;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

/**
 * Transactions in a partition log: the last stable offset, the aborted-transaction index and its
 * lookups, and both after truncation, log start moves, a clean reopen and a crash (the cases of
 * Kafka's {@code UnifiedLogTest} and {@code LogLoaderTest} on transactions).
 */
class PartitionLogTransactionsTest {

    private static final LogConfig CONFIG = LogConfig.DEFAULTS.withSegmentIndexBytes(4096);
    /** Room for about two of this test's batches per segment. */
    private static final LogConfig SMALL_SEGMENTS = CONFIG.withSegmentBytes(260);
    private static final int EPOCH = 1;
    private static final long A = 10L;
    private static final long B = 20L;
    private static final long C = 30L;

    @TempDir
    Path root;

    private final ManualScheduler scheduler = new ManualScheduler(new ManualClock());
    private final int[] sequences = new int[64];

    private Path dir() {
        return root.resolve("orders-0");
    }

    @Test
    void theLastStableOffsetStopsAtAnOpenTransactionUntilItsMarkerIsBelowTheHighWatermark() {
        try (PartitionLog log = openFresh(dir(), CONFIG, scheduler)) {
            data(log, A, 2);  // 0-1
            plain(log, 1);    // 2
            log.updateHighWatermark(3);
            assertThat(log.lastStableOffset()).isZero();
            assertThat(log.read(0, Integer.MAX_VALUE, log.lastStableOffset(), true).isEmpty()).isTrue();

            marker(log, A, true); // 3
            log.updateHighWatermark(3);
            assertThat(log.lastStableOffset()).as("the marker is not yet replicated").isZero();
            assertThat(log.maybeIncrementHighWatermark(4)).isTrue();
            assertThat(log.lastStableOffset()).isEqualTo(4);
            assertThat(log.firstUnstableOffset()).isEqualTo(-1);
            PartitionLog.ReadResult read = log.read(0, Integer.MAX_VALUE, log.lastStableOffset(), true);
            assertThat(read.lastStableOffset()).isEqualTo(4);
            assertThat(offsets(read)).containsExactly(0L, 2L, 3L);
        }
    }

    @Test
    void aClientsTransactionalBatchWithoutVerificationIsRefusedAndChangesNothing() {
        try (PartitionLog log = openFresh(dir(), CONFIG, scheduler)) {
            ByteBuffer unverified = KafkaRecordBatches.batch(RecordCodec.NONE, new ProducerInfo(A, (short) 0, 0), true,
                    records(2));

            org.assertj.core.api.Assertions.assertThatThrownBy(() -> log.appendAsLeader(unverified, EPOCH))
                    .isInstanceOfSatisfying(LogException.class,
                            e -> assertThat(e.error()).isEqualTo(LogError.INVALID_TXN_STATE));
            assertThat(log.logEndOffset()).isZero();
            assertThat(log.firstUnstableOffset()).isEqualTo(-1);
        }
    }

    @Test
    void withoutTransactionsTheLastStableOffsetIsTheHighWatermark() {
        try (PartitionLog log = openFresh(dir(), CONFIG, scheduler)) {
            plain(log, 3);
            assertThat(log.lastStableOffset()).isZero();
            log.updateHighWatermark(2);
            assertThat(log.lastStableOffset()).isEqualTo(2);
        }
    }

    @Test
    void anAbortIsIndexedWithTheLastStableOffsetOfItsMomentAndFoundByAReadCommittedFetch() {
        try (PartitionLog log = openFresh(dir(), CONFIG, scheduler)) {
            data(log, A, 2);      // 0-1
            data(log, B, 2);      // 2-3
            marker(log, A, false); // 4: abort A; B is open from 2
            marker(log, B, true);  // 5
            log.updateHighWatermark(6);

            assertThat(log.segments().get(0).abortedTxns())
                    .containsExactly(new TransactionIndex.AbortedTxn(A, 0, 4, 2));
            PartitionLog.ReadResult read = log.read(0, Integer.MAX_VALUE, log.lastStableOffset(), true);
            assertThat(log.abortedTransactions(0, read)).containsExactly(new AbortedTransaction(A, 0));
            PartitionLog.ReadResult later = log.read(5, Integer.MAX_VALUE, log.lastStableOffset(), true);
            assertThat(log.abortedTransactions(5, later)).as("the abort marker lies before the read").isEmpty();
        }
    }

    @Test
    void anAbortedTransactionSpanningSegmentsIsFoundFromAnyOfThem() {
        try (PartitionLog log = openFresh(dir(), SMALL_SEGMENTS, scheduler)) {
            data(log, A, 1);
            for (int i = 0; i < 6; i++) {
                plain(log, 1);
            }
            long abortAt = log.logEndOffset();
            marker(log, A, false);
            plain(log, 1);
            log.updateHighWatermark(log.logEndOffset());
            assertThat(log.numberOfSegments()).isGreaterThanOrEqualTo(3);

            for (long fetchOffset = 0; fetchOffset <= abortAt; fetchOffset++) {
                PartitionLog.ReadResult read = log.read(fetchOffset, 100, log.lastStableOffset(), true);
                assertThat(log.abortedTransactions(fetchOffset, read)).as("fetch at %d", fetchOffset)
                        .containsExactly(new AbortedTransaction(A, 0));
            }
            PartitionLog.ReadResult after = log.read(abortAt + 1, 100, log.lastStableOffset(), true);
            assertThat(log.abortedTransactions(abortAt + 1, after)).isEmpty();
        }
    }

    @Test
    void aFollowerIndexesTheAbortsItReplicatesAndKeepsTheSameLastStableOffset() throws IOException {
        ByteBuffer leaderBytes;
        try (PartitionLog leader = openFresh(dir(), CONFIG, scheduler)) {
            data(leader, A, 2);
            data(leader, B, 1);
            marker(leader, A, false);
            leaderBytes = LogTestSupport.readAll(leader, 0);
        }
        try (PartitionLog follower = openFresh(root.resolve("follower").resolve("orders-0"), CONFIG, scheduler)) {
            follower.appendAsFollower(leaderBytes);
            follower.updateHighWatermark(4);

            assertThat(follower.segments().get(0).abortedTxns())
                    .containsExactly(new TransactionIndex.AbortedTxn(A, 0, 3, 2));
            assertThat(follower.lastStableOffset()).isEqualTo(2);
        }
    }

    @Test
    void truncatingBelowAMarkerReopensItsTransactionAndDropsItsIndexEntry() {
        try (PartitionLog log = openFresh(dir(), CONFIG, scheduler)) {
            data(log, A, 2);       // 0-1
            marker(log, A, false); // 2
            plain(log, 1);         // 3
            log.updateHighWatermark(2);

            log.truncateTo(2);

            assertThat(log.segments().get(0).abortedTxns()).isEmpty();
            assertThat(log.firstUnstableOffset()).isZero();
            assertThat(log.lastStableOffset()).isZero();
            marker(log, A, true);
            log.updateHighWatermark(3);
            assertThat(log.lastStableOffset()).isEqualTo(3);
        }
    }

    @Test
    void theLastStableOffsetNeverFallsBelowTheLogStart() {
        try (PartitionLog log = openFresh(dir(), CONFIG, scheduler)) {
            plain(log, 2);   // 0-1
            data(log, A, 2); // 2-3
            plain(log, 2);   // 4-5
            log.updateHighWatermark(6);
            assertThat(log.lastStableOffset()).isEqualTo(2);

            log.advanceLogStartOffset(3);

            assertThat(log.lastStableOffset()).isEqualTo(3);
        }
    }

    @Test
    void aCleanReopenKeepsOpenTransactionsAndTheIndex() {
        try (PartitionLog log = openFresh(dir(), SMALL_SEGMENTS, scheduler)) {
            data(log, A, 1);
            plain(log, 1);
            marker(log, A, false);
            data(log, B, 1);
            plain(log, 1);
            log.updateHighWatermark(log.logEndOffset());
        }
        try (PartitionLog log = reopenClean(dir(), SMALL_SEGMENTS, scheduler)) {
            log.updateHighWatermark(log.logEndOffset());
            assertThat(log.firstUnstableOffset()).isEqualTo(3);
            PartitionLog.ReadResult read = log.read(0, Integer.MAX_VALUE, log.lastStableOffset(), true);
            assertThat(log.abortedTransactions(0, read)).containsExactly(new AbortedTransaction(A, 0));
        }
    }

    @Test
    void afterACrashTheIndexesOfRecoveredSegmentsAreRebuiltAndOpenTransactionsFound() throws IOException {
        Path crashed;
        List<List<TransactionIndex.AbortedTxn>> before = new ArrayList<>();
        try (PartitionLog log = openFresh(dir(), SMALL_SEGMENTS, scheduler)) {
            data(log, A, 1);
            data(log, B, 1);
            plain(log, 1);
            marker(log, A, false);
            data(log, C, 1);
            plain(log, 1);
            marker(log, B, false);
            plain(log, 1);
            marker(log, C, true);
            data(log, A, 1); // open at the crash
            plain(log, 1);
            log.updateHighWatermark(log.logEndOffset());
            assertThat(log.numberOfSegments()).isGreaterThanOrEqualTo(4);
            for (LogSegment segment : log.segments()) {
                before.add(segment.abortedTxns());
            }
            assertThat(before.stream().mapToInt(List::size).sum()).isEqualTo(2);
            crashed = copyOf(dir(), root.resolve("crashed").resolve("orders-0"));
        }
        // The crash lost every transaction index (they are rebuilt from the log either way).
        try (Stream<Path> files = Files.list(crashed)) {
            for (Path file : files.filter(f -> f.toString().endsWith(TransactionIndex.SUFFIX)).toList()) {
                Files.delete(file);
            }
        }

        try (PartitionLog log = reopenAfterCrash(crashed, SMALL_SEGMENTS, scheduler, 0)) {
            List<List<TransactionIndex.AbortedTxn>> after = new ArrayList<>();
            for (LogSegment segment : log.segments()) {
                after.add(segment.abortedTxns());
            }
            assertThat(after).isEqualTo(before);
            log.updateHighWatermark(log.logEndOffset());
            long openAt = log.ongoingTransactions().get(0).firstOffset();
            assertThat(log.ongoingTransactions()).hasSize(1);
            assertThat(log.ongoingTransactions().get(0).producerId()).isEqualTo(A);
            assertThat(log.ongoingTransactions().get(0).lastOffset()).as("still open").isEqualTo(-1);
            assertThat(log.lastStableOffset()).isEqualTo(openAt);
        }
    }

    @Test
    void aTornIndexIsRebuiltFromAnOlderSnapshotAsAreTheSegmentsPastTheRecoveryPoint() throws IOException {
        Path crashed;
        List<List<TransactionIndex.AbortedTxn>> before = new ArrayList<>();
        long recoveryPoint;
        try (PartitionLog log = openFresh(dir(), SMALL_SEGMENTS, scheduler)) {
            data(log, A, 1);
            plain(log, 1);
            plain(log, 1);
            marker(log, A, false);
            data(log, B, 1);
            plain(log, 1);
            plain(log, 1);
            marker(log, B, false);
            plain(log, 1);
            log.updateHighWatermark(log.logEndOffset());
            for (LogSegment segment : log.segments()) {
                before.add(segment.abortedTxns());
            }
            List<Long> bases = log.segmentBaseOffsets();
            recoveryPoint = bases.get(bases.size() - 2);
            crashed = copyOf(dir(), root.resolve("crashed").resolve("orders-0"));
        }
        Path lastAbortIndex = null;
        try (Stream<Path> files = Files.list(crashed)) {
            for (Path file : files.filter(f -> f.toString().endsWith(TransactionIndex.SUFFIX)).sorted().toList()) {
                lastAbortIndex = file;
            }
        }
        Files.write(lastAbortIndex, new byte[] {1, 2, 3}); // torn

        try (PartitionLog log = reopenAfterCrash(crashed, SMALL_SEGMENTS, scheduler, recoveryPoint)) {
            List<List<TransactionIndex.AbortedTxn>> after = new ArrayList<>();
            for (LogSegment segment : log.segments()) {
                after.add(segment.abortedTxns());
            }
            assertThat(after).isEqualTo(before);
        }
    }

    // ---- helpers ----------------------------------------------------------------------------

    private void data(PartitionLog log, long pid, int count) {
        int seq = sequences[(int) (pid % sequences.length)];
        sequences[(int) (pid % sequences.length)] += count;
        log.appendAsLeader(KafkaRecordBatches.batch(RecordCodec.NONE, new ProducerInfo(pid, (short) 0, seq), true,
                records(count)), EPOCH, AppendOrigin.CLIENT, log.maybeStartTransactionVerification(pid, (short) 0));
    }

    private void plain(PartitionLog log, int count) {
        log.appendAsLeader(KafkaRecordBatches.batch(RecordCodec.NONE, ProducerInfo.NONE, records(count)), EPOCH);
    }

    private void marker(PartitionLog log, long pid, boolean commit) {
        log.appendAsLeader(KafkaRecordBatches.endTxnMarker(pid, (short) 0, 0, commit, scheduler.clock().millis()),
                EPOCH, AppendOrigin.COORDINATOR, null);
    }

    private List<SimpleRecord> records(int count) {
        List<SimpleRecord> records = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            records.add(new SimpleRecord(scheduler.clock().millis(), ("k" + i).getBytes(StandardCharsets.UTF_8),
                    ("v" + i).getBytes(StandardCharsets.UTF_8)));
        }
        return records;
    }

    private static List<Long> offsets(PartitionLog.ReadResult read) {
        try {
            ByteBuffer bytes = read.slice().readFully();
            List<Long> bases = new ArrayList<>();
            for (int at = 0; at < bytes.limit(); at += RecordBatchHeader.sizeInBytes(bytes, at)) {
                bases.add(RecordBatchHeader.baseOffset(bytes, at));
            }
            return bases;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Path copyOf(Path dir, Path target) throws IOException {
        Files.createDirectories(target);
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.toList()) {
                Files.copy(file, target.resolve(file.getFileName()));
            }
        }
        return target;
    }
}
