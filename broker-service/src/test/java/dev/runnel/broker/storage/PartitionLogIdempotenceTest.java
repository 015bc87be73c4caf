package dev.runnel.broker.storage;

import static dev.runnel.broker.storage.LogTestSupport.openFresh;
import static dev.runnel.broker.storage.LogTestSupport.readAll;
import static dev.runnel.broker.storage.LogTestSupport.reopenAfterCrash;
import static dev.runnel.broker.storage.LogTestSupport.reopenClean;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
 * An idempotent producer's retries against a {@link PartitionLog}: answered with the original
 * offsets and not written again, across a clean restart (the producer snapshot), a crash (the
 * state replayed from the log) and a truncation (the state forgets what was cut).
 */
class PartitionLogIdempotenceTest {

    /** Small indexes: crash tests copy the directory, preallocated indexes and all. */
    private static final LogConfig CONFIG = LogConfig.DEFAULTS.withSegmentIndexBytes(4096);
    /** Room for two of this test's batches per segment, so a few appends roll several times. */
    private static final LogConfig SMALL_SEGMENTS = CONFIG.withSegmentBytes(200);
    private static final long PRODUCER = 4242L;
    private static final int LEADER_EPOCH = 3;

    @TempDir
    Path root;

    private final ManualScheduler scheduler = new ManualScheduler(new ManualClock());
    private final long now = scheduler.clock().millis();

    private Path dir() {
        return root.resolve("orders-0");
    }

    /** One batch of {@code count} records "{firstSeq}.0".. from {@link #PRODUCER} at {@code epoch}. */
    private ByteBuffer batch(short epoch, int firstSeq, int count) {
        List<SimpleRecord> records = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            records.add(new SimpleRecord(now, null, ("s" + (firstSeq + i)).getBytes(StandardCharsets.UTF_8)));
        }
        return KafkaRecordBatches.batch(RecordCodec.NONE, new ProducerInfo(PRODUCER, epoch, firstSeq), records);
    }

    private ByteBuffer batch(int firstSeq, int count) {
        return batch((short) 0, firstSeq, count);
    }

    private static AppendInfo append(PartitionLog log, ByteBuffer batch) {
        return log.appendAsLeader(batch, LEADER_EPOCH);
    }

    private static List<String> values(PartitionLog log) {
        return TestBatches.values(readAll(log, log.logStartOffset()));
    }

    private static List<Long> snapshotOffsets(Path dir) throws IOException {
        return ProducerSnapshotFile.listIn(dir).stream().map(ProducerSnapshotFile::offset).toList();
    }

    /** A copy of a live log's directory: what a crash at this moment would leave on disk. */
    private static Path copyOf(Path dir, Path target) throws IOException {
        Files.createDirectories(target);
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.toList()) {
                Files.copy(file, target.resolve(file.getFileName()));
            }
        }
        return target;
    }

    private static void assertDuplicateOf(AppendInfo retry, long firstOffset, long lastOffset) {
        assertThat(retry.duplicate()).isTrue();
        assertThat(retry.firstOffset()).isEqualTo(firstOffset);
        assertThat(retry.lastOffset()).isEqualTo(lastOffset);
    }

    // ---- retries on a live log --------------------------------------------------------------

    @Test
    void aRetriedBatchIsAnsweredWithItsOriginalOffsetsAndTheLogEndDoesNotMove() {
        try (PartitionLog log = openFresh(dir(), CONFIG, scheduler)) {
            AppendInfo first = append(log, batch(0, 3));
            AppendInfo second = append(log, batch(3, 2));
            assertThat(first.duplicate()).isFalse();
            assertThat(second.firstOffset()).isEqualTo(3);

            assertDuplicateOf(append(log, batch(3, 2)), 3, 4);
            assertDuplicateOf(append(log, batch(0, 3)), 0, 2);

            assertThat(log.logEndOffset()).isEqualTo(5);
            assertThat(values(log)).containsExactly("s0", "s1", "s2", "s3", "s4");
            AppendInfo next = append(log, batch(5, 1));
            assertThat(next.duplicate()).isFalse();
            assertThat(next.firstOffset()).isEqualTo(5);
        }
    }

    @Test
    void aRetryStillAnswersWithTheOriginalOffsetsAfterItsBatchesWereRolledIntoOlderSegments() {
        try (PartitionLog log = openFresh(dir(), SMALL_SEGMENTS, scheduler)) {
            for (int seq = 0; seq < 10; seq += 2) {
                append(log, batch(seq, 2));
            }
            assertThat(log.numberOfSegments()).isGreaterThan(2);

            assertDuplicateOf(append(log, batch(0, 2)), 0, 1);
            assertDuplicateOf(append(log, batch(8, 2)), 8, 9);
            assertThat(log.logEndOffset()).isEqualTo(10);
        }
    }

    // ---- across restarts --------------------------------------------------------------------

    @Test
    void aRetryIsStillADuplicateAfterTheLogIsClosedAndReopenedFromItsSnapshot() throws IOException {
        try (PartitionLog log = openFresh(dir(), CONFIG, scheduler)) {
            append(log, batch(0, 3));
            append(log, batch(3, 2));
        }
        assertThat(snapshotOffsets(dir())).containsExactly(5L);

        try (PartitionLog log = reopenClean(dir(), CONFIG, scheduler)) {
            assertThat(log.activeProducers().get(PRODUCER).lastSeq()).isEqualTo(4);
            assertDuplicateOf(append(log, batch(3, 2)), 3, 4);
            assertDuplicateOf(append(log, batch(0, 3)), 0, 2);
            assertThat(log.logEndOffset()).isEqualTo(5);

            assertThat(append(log, batch(5, 1)).firstOffset()).isEqualTo(5);
            assertThatThrownBy(() -> append(log, batch(7, 1)))
                    .isInstanceOfSatisfying(LogException.class,
                            e -> assertThat(e.error()).isEqualTo(LogError.OUT_OF_ORDER_SEQUENCE));
        }
    }

    @Test
    void aRetryIsStillADuplicateAfterACrashWithNoSnapshotBecauseTheStateIsReplayedFromTheLog() throws IOException {
        Path crashed;
        try (PartitionLog log = openFresh(dir(), CONFIG, scheduler)) {
            append(log, batch(0, 3));
            append(log, batch(3, 2));
            crashed = copyOf(dir(), root.resolve("crashed").resolve("orders-0"));
        }
        assertThat(snapshotOffsets(crashed)).isEmpty();

        try (PartitionLog log = reopenAfterCrash(crashed, CONFIG, scheduler, 0)) {
            assertThat(log.logEndOffset()).isEqualTo(5);
            assertDuplicateOf(append(log, batch(3, 2)), 3, 4);
            assertDuplicateOf(append(log, batch(0, 3)), 0, 2);
            assertThat(log.logEndOffset()).isEqualTo(5);
            assertThat(values(log)).containsExactly("s0", "s1", "s2", "s3", "s4");
            assertThat(append(log, batch(5, 1)).firstOffset()).isEqualTo(5);
        }
    }

    @Test
    void afterACrashTheStateIsTheNewestRollSnapshotPlusTheBatchesReplayedAfterIt() throws IOException {
        Path crashed;
        long snapshotAt;
        try (PartitionLog log = openFresh(dir(), SMALL_SEGMENTS, scheduler)) {
            for (int seq = 0; seq < 10; seq += 2) {
                append(log, batch(seq, 2));
            }
            List<Long> snapshots = snapshotOffsets(dir());
            assertThat(snapshots).isNotEmpty();
            snapshotAt = snapshots.get(snapshots.size() - 1);
            // Some batches lie after the newest snapshot: only a replay can know them.
            assertThat(snapshotAt).isLessThan(log.logEndOffset());
            crashed = copyOf(dir(), root.resolve("crashed").resolve("orders-0"));
        }

        try (PartitionLog log = reopenAfterCrash(crashed, SMALL_SEGMENTS, scheduler, 0)) {
            assertThat(log.logEndOffset()).isEqualTo(10);
            assertThat(log.activeProducers().get(PRODUCER).lastSeq()).isEqualTo(9);
            // The last batch (after the snapshot) and the first (only in the snapshot's kept batches).
            assertDuplicateOf(append(log, batch(8, 2)), 8, 9);
            assertDuplicateOf(append(log, batch(0, 2)), 0, 1);
            assertThat(log.logEndOffset()).isEqualTo(10);
            assertThat(append(log, batch(10, 2)).firstOffset()).isEqualTo(10);
        }
    }

    @Test
    void aCrashRightAfterARetryWasRefusedLeavesTheLogHoldingTheBatchOnce() throws IOException {
        Path crashed;
        try (PartitionLog log = openFresh(dir(), CONFIG, scheduler)) {
            append(log, batch(0, 3));
            assertThat(append(log, batch(0, 3)).duplicate()).isTrue();
            crashed = copyOf(dir(), root.resolve("crashed").resolve("orders-0"));
        }

        try (PartitionLog log = reopenAfterCrash(crashed, CONFIG, scheduler, 0)) {
            assertThat(values(log)).containsExactly("s0", "s1", "s2");
            assertThat(append(log, batch(0, 3)).duplicate()).isTrue();
        }
    }

    // ---- expiry ------------------------------------------------------------------------------

    /** Records stamped two days ago: within retention.ms, beyond producer.id.expiration.ms. */
    private ByteBuffer oldTimestampBatch(int firstSeq) {
        long twoDaysAgo = now - 2 * PartitionLog.PRODUCER_ID_EXPIRATION_MS;
        return KafkaRecordBatches.batch(RecordCodec.NONE, new ProducerInfo(PRODUCER, (short) 0, firstSeq),
                List.of(new SimpleRecord(twoDaysAgo, null, ("s" + firstSeq).getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void aProducerIsRememberedByWallTimeOfItsAppendsWhateverTheTimestampsOfItsRecords() {
        try (PartitionLog log = openFresh(dir(), CONFIG, scheduler)) {
            append(log, oldTimestampBatch(0));

            // The retention pass (every few minutes from the log manager) also expires producers.
            log.deleteOldSegments();

            assertDuplicateOf(append(log, oldTimestampBatch(0)), 0, 0);
            assertThat(log.logEndOffset()).isEqualTo(1);
        }
    }

    /**
     * FAILS (production bug): recovery replays batches with their record timestamp as the
     * producer's last append time ({@code PartitionLog.rebuildProducerState}), while live appends
     * use the clock; a producer whose records carry old timestamps is expired by the first
     * retention pass after a crash, and its retry is written a second time.
     */
    @Test
    void aProducerWithOldRecordTimestampsIsStillRememberedAfterACrash() throws IOException {
        Path crashed;
        try (PartitionLog log = openFresh(dir(), CONFIG, scheduler)) {
            append(log, oldTimestampBatch(0));
            crashed = copyOf(dir(), root.resolve("crashed").resolve("orders-0"));
        }

        try (PartitionLog log = reopenAfterCrash(crashed, CONFIG, scheduler, 0)) {
            log.deleteOldSegments();

            assertDuplicateOf(append(log, oldTimestampBatch(0)), 0, 0);
            assertThat(values(log)).containsExactly("s0");
        }
    }

    // ---- truncation -------------------------------------------------------------------------

    @Test
    void truncatingBelowAProducersLastBatchForgetsItSoAResendIsAppendedAgain() {
        try (PartitionLog log = openFresh(dir(), CONFIG, scheduler)) {
            append(log, batch(0, 3));
            append(log, batch(3, 2));

            log.truncateTo(3);

            assertThat(log.logEndOffset()).isEqualTo(3);
            assertThat(log.activeProducers().get(PRODUCER).lastSeq()).isEqualTo(2);
            AppendInfo resend = append(log, batch(3, 2));
            assertThat(resend.duplicate()).isFalse();
            assertThat(resend.firstOffset()).isEqualTo(3);
            assertThat(values(log)).containsExactly("s0", "s1", "s2", "s3", "s4");
            // What survived the truncation is still recognised.
            assertDuplicateOf(append(log, batch(0, 3)), 0, 2);
        }
    }

    @Test
    void truncatingBelowEveryBatchOfAProducerForgetsTheProducer() {
        try (PartitionLog log = openFresh(dir(), CONFIG, scheduler)) {
            append(log, batch(0, 3));
            append(log, batch(3, 2));

            log.truncateTo(0);

            assertThat(log.logEndOffset()).isZero();
            assertThat(log.activeProducers()).doesNotContainKey(PRODUCER);
            AppendInfo resend = append(log, batch(0, 3));
            assertThat(resend.duplicate()).isFalse();
            assertThat(resend.firstOffset()).isZero();
            assertThat(values(log)).containsExactly("s0", "s1", "s2");
        }
    }

    @Test
    void truncatingBelowASnapshotDiscardsItAndRebuildsTheStateFromWhatRemains() throws IOException {
        try (PartitionLog log = openFresh(dir(), CONFIG, scheduler)) {
            append(log, batch(0, 3));
            append(log, batch(3, 2));
        }
        assertThat(snapshotOffsets(dir())).containsExactly(5L);

        try (PartitionLog log = reopenClean(dir(), CONFIG, scheduler)) {
            log.truncateTo(3);

            assertThat(snapshotOffsets(dir())).doesNotContain(5L);
            AppendInfo resend = append(log, batch(3, 2));
            assertThat(resend.duplicate()).isFalse();
            assertThat(resend.firstOffset()).isEqualTo(3);
        }
        try (PartitionLog log = reopenClean(dir(), CONFIG, scheduler)) {
            assertThat(values(log)).containsExactly("s0", "s1", "s2", "s3", "s4");
            assertDuplicateOf(append(log, batch(3, 2)), 3, 4);
        }
    }

    @Test
    void truncatingAcrossSegmentsForgetsTheBatchesOfTheRemovedSegments() throws IOException {
        try (PartitionLog log = openFresh(dir(), SMALL_SEGMENTS, scheduler)) {
            for (int seq = 0; seq < 10; seq += 2) {
                append(log, batch(seq, 2));
            }
            List<Long> bases = log.segmentBaseOffsets();
            assertThat(bases).hasSizeGreaterThan(2);
            long cut = bases.get(1);

            log.truncateTo(cut);

            assertThat(log.logEndOffset()).isEqualTo(cut);
            assertThat(snapshotOffsets(dir())).allSatisfy(offset -> assertThat(offset).isLessThanOrEqualTo(cut));
            assertThat(log.activeProducers().get(PRODUCER).lastSeq()).isEqualTo((int) cut - 1);
            AppendInfo resend = append(log, batch((int) cut, 2));
            assertThat(resend.duplicate()).isFalse();
            assertThat(resend.firstOffset()).isEqualTo(cut);
        }
    }

    // ---- snapshots --------------------------------------------------------------------------

    @Test
    void aProducerSnapshotIsWrittenAtEveryRollAtTheNewSegmentsBaseOffset() throws IOException {
        try (PartitionLog log = openFresh(dir(), SMALL_SEGMENTS, scheduler)) {
            for (int seq = 0; seq < 12; seq += 2) {
                append(log, batch(seq, 2));
            }
            List<Long> bases = log.segmentBaseOffsets();
            assertThat(bases).hasSizeGreaterThanOrEqualTo(3);

            assertThat(snapshotOffsets(dir())).containsExactlyElementsOf(bases.subList(1, bases.size()));
            for (ProducerSnapshotFile snapshot : ProducerSnapshotFile.listIn(dir())) {
                List<ProducerStateEntry> entries = snapshot.read();
                assertThat(entries).singleElement().satisfies(entry -> {
                    assertThat(entry.producerId()).isEqualTo(PRODUCER);
                    // As of the roll: the producer's last batch is the one just before the new segment.
                    assertThat(entry.lastBatch().lastOffset()).isEqualTo(snapshot.offset() - 1);
                    assertThat(entry.lastSeq()).isEqualTo((int) snapshot.offset() - 1);
                });
            }

            log.roll();
            assertThat(snapshotOffsets(dir())).last().isEqualTo(log.logEndOffset());
        }
    }
}
