package dev.runnel.broker.storage;

import static dev.runnel.broker.storage.LogTestSupport.openFresh;
import static dev.runnel.broker.storage.LogTestSupport.readAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

/** Rolling by size and age, retention by time, size and log start, flushing: all on a manual clock. */
class RetentionAndRollingTest {

    @TempDir
    Path dir;

    private final ManualScheduler scheduler = new ManualScheduler(new ManualClock());
    private final ManualClock clock = scheduler.clock();

    private AppendInfo appendNow(PartitionLog log, int records) {
        return log.appendAsLeader(TestBatches.batch(records, clock.millis()), 0);
    }

    private long filesEndingWith(String suffix) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(suffix)).count();
        }
    }

    @Test
    void segmentsRollWhenTheNextAppendWouldPassSegmentBytes() {
        LogConfig config = LogConfig.DEFAULTS.withSegmentBytes(500);
        try (PartitionLog log = openFresh(dir, config, scheduler)) {
            int batchSize = TestBatches.batch(5, clock.millis()).remaining();
            int perSegment = 500 / batchSize;
            for (int i = 0; i < perSegment * 3; i++) {
                appendNow(log, 5);
            }
            assertThat(log.segmentBaseOffsets()).containsExactly(0L, 5L * perSegment, 10L * perSegment);
            assertThat(log.logEndOffset()).isEqualTo(15L * perSegment);
        }
    }

    @Test
    void aRolledSegmentIsFlushedInTheBackgroundAndMovesTheRecoveryPoint() {
        try (PartitionLog log = openFresh(dir, LogConfig.DEFAULTS.withSegmentBytes(300), scheduler)) {
            while (log.numberOfSegments() < 3) {
                appendNow(log, 3);
            }
            assertThat(log.recoveryPoint()).isZero();
            assertThat(scheduler.pendingTaskNames()).contains("flush-orders-0");

            scheduler.runDueTasks();

            List<Long> bases = log.segmentBaseOffsets();
            assertThat(log.recoveryPoint()).isEqualTo(bases.get(bases.size() - 1));
        }
    }

    @Test
    void segmentsRollWhenRecordTimestampsPassSegmentMs() {
        try (PartitionLog log = openFresh(dir, LogConfig.DEFAULTS.withSegmentMs(60_000), scheduler)) {
            appendNow(log, 2);
            scheduler.advance(Duration.ofSeconds(59));
            appendNow(log, 2);
            assertThat(log.numberOfSegments()).isEqualTo(1);

            scheduler.advance(Duration.ofSeconds(2));
            appendNow(log, 2);

            assertThat(log.segmentBaseOffsets()).containsExactly(0L, 4L);
        }
    }

    @Test
    void aQuietLogRollsOnceSegmentMsHasPassed() {
        try (PartitionLog log = openFresh(dir, LogConfig.DEFAULTS.withSegmentMs(60_000), scheduler)) {
            appendNow(log, 2);
            log.rollIfExpired();
            assertThat(log.numberOfSegments()).isEqualTo(1);

            scheduler.advance(Duration.ofSeconds(61));
            log.rollIfExpired();

            assertThat(log.segmentBaseOffsets()).containsExactly(0L, 2L);
            log.rollIfExpired();
            assertThat(log.numberOfSegments()).as("an empty active segment does not roll").isEqualTo(2);
        }
    }

    @Test
    void retentionMsDeletesSegmentsWhoseNewestRecordIsTooOld() throws Exception {
        LogConfig config = LogConfig.DEFAULTS.withSegmentBytes(300).withRetentionMs(3_600_000).withFileDeleteDelayMs(60_000);
        try (PartitionLog log = openFresh(dir, config, scheduler)) {
            while (log.numberOfSegments() < 3) {
                appendNow(log, 3);
            }
            long oldEnd = log.logEndOffset();
            scheduler.advance(Duration.ofMinutes(50));
            while (log.numberOfSegments() < 5) {
                appendNow(log, 3);
            }
            // The segment that was active at oldEnd also took new records, so it stays.
            long firstKept = log.segmentBaseOffsets().stream().filter(b -> b <= oldEnd).reduce((a, b) -> b).orElseThrow();
            log.updateHighWatermark(log.logEndOffset()); // committed: retention may delete
            assertThat(log.deleteOldSegments()).isZero();

            scheduler.advance(Duration.ofMinutes(11));
            int deleted = log.deleteOldSegments();

            assertThat(deleted).isGreaterThanOrEqualTo(2);
            assertThat(log.segmentBaseOffsets().get(0)).isEqualTo(firstKept);
            assertThat(log.logStartOffset()).isEqualTo(log.segmentBaseOffsets().get(0));
            assertThatThrownBy(() -> log.read(0, 100, Long.MAX_VALUE, true))
                    .isInstanceOfSatisfying(LogException.class, e -> assertThat(e.error()).isEqualTo(LogError.OFFSET_OUT_OF_RANGE));
            assertThat(TestBatches.offsets(readAll(log, log.logStartOffset()))).first().isEqualTo(log.logStartOffset());

            // The files linger as ".deleted" for in-flight reads, then go.
            assertThat(filesEndingWith(".log.deleted")).isEqualTo(deleted);
            scheduler.advance(Duration.ofSeconds(61));
            assertThat(filesEndingWith(".deleted")).isZero();
        }
    }

    @Test
    void anExpiredActiveSegmentIsRolledAndDeletedAndOffsetsContinue() {
        LogConfig config = LogConfig.DEFAULTS.withRetentionMs(1_000).withFileDeleteDelayMs(0);
        try (PartitionLog log = openFresh(dir, config, scheduler)) {
            appendNow(log, 4);
            log.updateHighWatermark(log.logEndOffset()); // committed: retention may delete
            scheduler.advance(Duration.ofSeconds(2));

            assertThat(log.deleteOldSegments()).isEqualTo(1);

            assertThat(log.segmentBaseOffsets()).containsExactly(4L);
            assertThat(log.logStartOffset()).isEqualTo(4);
            assertThat(log.logEndOffset()).isEqualTo(4);
            assertThat(appendNow(log, 1).firstOffset()).isEqualTo(4);
        }
    }

    @Test
    void retentionBytesDeletesTheOldestSegmentsUntilTheLogFits() {
        LogConfig config = LogConfig.DEFAULTS.withSegmentBytes(300).withRetentionBytes(700);
        try (PartitionLog log = openFresh(dir, config, scheduler)) {
            while (log.numberOfSegments() < 6) {
                appendNow(log, 3);
            }
            long sizeBefore = log.sizeInBytes();
            log.updateHighWatermark(log.logEndOffset()); // committed: retention may delete

            int deleted = log.deleteOldSegments();

            // As in Kafka, a segment goes only while the log stays at or above retention.bytes without it.
            assertThat(deleted).isGreaterThan(0);
            assertThat(log.sizeInBytes()).isGreaterThanOrEqualTo(700).isLessThan(sizeBefore);
            assertThat(log.sizeInBytes() - firstSegmentSize(log)).isLessThan(700);
            assertThat(log.logStartOffset()).isEqualTo(log.segmentBaseOffsets().get(0));
        }
    }

    private static long firstSegmentSize(PartitionLog log) {
        List<Long> bases = log.segmentBaseOffsets();
        long secondBase = bases.size() > 1 ? bases.get(1) : log.logEndOffset();
        return readAllBetween(log, bases.get(0), secondBase);
    }

    private static long readAllBetween(PartitionLog log, long from, long to) {
        PartitionLog.ReadResult result = log.read(from, Integer.MAX_VALUE, to, true);
        return result.isEmpty() ? 0 : result.slice().size();
    }

    @Test
    void unlimitedRetentionKeepsEverything() {
        LogConfig config = LogConfig.DEFAULTS.withSegmentBytes(300).withRetentionMs(-1).withRetentionBytes(-1);
        try (PartitionLog log = openFresh(dir, config, scheduler)) {
            while (log.numberOfSegments() < 4) {
                appendNow(log, 3);
            }
            scheduler.advance(Duration.ofDays(3650));
            assertThat(log.deleteOldSegments()).isZero();
            assertThat(log.logStartOffset()).isZero();
        }
    }

    @Test
    void advancingTheLogStartOffsetHidesRecordsAndDeletesWholeSegmentsBelowIt() {
        try (PartitionLog log = openFresh(dir, LogConfig.DEFAULTS.withSegmentBytes(300), scheduler)) {
            while (log.numberOfSegments() < 4) {
                appendNow(log, 3);
            }
            List<Long> bases = log.segmentBaseOffsets();
            long target = bases.get(2) + 1;
            assertThatThrownBy(() -> log.advanceLogStartOffset(target))
                    .as("DeleteRecords may not pass the high watermark")
                    .isInstanceOfSatisfying(LogException.class, e -> assertThat(e.error()).isEqualTo(LogError.OFFSET_OUT_OF_RANGE));
            log.updateHighWatermark(log.logEndOffset());

            assertThat(log.advanceLogStartOffset(target)).isTrue();

            assertThat(log.logStartOffset()).isEqualTo(target);
            assertThat(log.segmentBaseOffsets()).startsWith(bases.get(2));
            assertThat(log.advanceLogStartOffset(target - 1)).isFalse();
            assertThatThrownBy(() -> log.read(target - 1, 100, Long.MAX_VALUE, true)).isInstanceOf(LogException.class);
        }
    }

    @Test
    void truncationRemovesTheSuffixAcrossSegmentsAndAppendsContinueThere() {
        try (PartitionLog log = openFresh(dir, LogConfig.DEFAULTS.withSegmentBytes(300), scheduler)) {
            for (int epoch = 0; epoch < 3; epoch++) {
                for (int i = 0; i < 6; i++) {
                    log.appendAsLeader(TestBatches.batch(3, clock.millis()), epoch);
                }
            }
            log.updateHighWatermark(log.logEndOffset());
            assertThat(log.numberOfSegments()).isGreaterThan(3);

            log.truncateTo(20);

            // Offset 20 lies inside the batch 18..20: the whole batch goes.
            assertThat(log.logEndOffset()).isEqualTo(18);
            assertThat(log.highWatermark()).isEqualTo(18);
            assertThat(log.segmentBaseOffsets()).allMatch(base -> base <= 18);
            // Epoch 1 began at offset 18, which is gone now.
            assertThat(log.leaderEpochs().entries()).extracting(LeaderEpochCache.EpochEntry::epoch).containsExactly(0);
            assertThat(TestBatches.offsets(readAll(log, 0))).hasSize(18).last().isEqualTo(17L);
            assertThat(log.appendAsLeader(TestBatches.batch(1, clock.millis()), 3).firstOffset()).isEqualTo(18);
        }
    }

    @Test
    void truncatingBelowTheLogStartRestartsTheLogThere() {
        try (PartitionLog log = openFresh(dir, LogConfig.DEFAULTS, scheduler)) {
            appendNow(log, 10);
            log.updateHighWatermark(10);
            log.advanceLogStartOffset(5);

            log.truncateTo(2);

            assertThat(log.logStartOffset()).isEqualTo(2);
            assertThat(log.logEndOffset()).isEqualTo(2);
            assertThat(appendNow(log, 1).firstOffset()).isEqualTo(2);
        }
    }

    @Test
    void flushMessagesFsyncsAfterThatManyRecords() {
        try (PartitionLog log = openFresh(dir, LogConfig.DEFAULTS.withFlushMessages(10), scheduler)) {
            appendNow(log, 6);
            assertThat(log.recoveryPoint()).isZero();
            appendNow(log, 6);
            assertThat(log.recoveryPoint()).isEqualTo(12);
        }
    }

    @Test
    void flushMsFsyncsOnceThatMuchTimeHasPassed() {
        try (PartitionLog log = openFresh(dir, LogConfig.DEFAULTS.withFlushMs(5_000), scheduler)) {
            appendNow(log, 3);
            log.flushIfDue();
            assertThat(log.recoveryPoint()).isZero();

            scheduler.advance(Duration.ofSeconds(5));
            log.flushIfDue();

            assertThat(log.recoveryPoint()).isEqualTo(3);
        }
    }

    @Test
    void timestampLookupFindsTheFirstRecordAtOrAfterTheTarget() {
        try (PartitionLog log = openFresh(dir, LogConfig.DEFAULTS.withSegmentBytes(300).withIndexIntervalBytes(50), scheduler)) {
            long start = clock.millis();
            for (int i = 0; i < 30; i++) {
                appendNow(log, 2);
                scheduler.advance(Duration.ofSeconds(1));
            }
            assertThat(log.offsetForTimestamp(start).offset()).isZero();
            assertThat(log.offsetForTimestamp(start + 10_000).offset()).isEqualTo(20);
            assertThat(log.offsetForTimestamp(start + 10_500).offset()).isEqualTo(22);
            assertThat(log.offsetForTimestamp(start + 29_000).offset()).isEqualTo(58);
            assertThat(log.offsetForTimestamp(start + 29_001)).isNull();
        }
    }
}
