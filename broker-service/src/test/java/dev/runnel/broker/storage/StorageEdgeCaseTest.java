package dev.runnel.broker.storage;

import static dev.runnel.broker.storage.LogTestSupport.openFresh;
import static dev.runnel.broker.storage.LogTestSupport.reopenClean;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.common.TopicPartition;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

/**
 * Edge cases found in review: failed appends, corrupt index positions, config changes on the
 * active segment, retention and truncation against the high watermark, deleted-then-recreated
 * partitions across a crash.
 */
class StorageEdgeCaseTest {

    @TempDir
    Path dir;

    private final ManualScheduler scheduler = new ManualScheduler(new ManualClock());
    private final long now = scheduler.clock().millis();

    // 1. retention deletes records above the high watermark; log start passes the HW
    @Test
    void retentionNeverDeletesAboveTheHighWatermark() {
        LogConfig cfg = LogConfig.DEFAULTS.withSegmentBytes(300).withRetentionBytes(0);
        try (PartitionLog log = openFresh(dir, cfg, scheduler)) {
            for (int i = 0; i < 20; i++) {
                log.appendAsLeader(TestBatches.batch(1, now), 0);
            }
            log.updateHighWatermark(2);
            int deleted = log.deleteOldSegments();
            assertThat(log.logStartOffset()).isLessThanOrEqualTo(log.highWatermark());
        }
    }

    // 2. a record with a broken key length passes leader validation
    @Test
    void aMalformedRecordIsRefused() throws Exception {
        ByteBuffer b = TestBatches.batch(1, now);
        // record: len(1) attrs(1) tsDelta(1) offDelta(1) keyLen(1 = zigzag -1)
        int keyLenAt = RecordBatchHeader.HEADER_SIZE + 4;
        assertThat(b.get(keyLenAt)).isEqualTo((byte) 1);
        b.put(keyLenAt, (byte) 0x7E); // key length 63: past the record
        CRC32C crc = new CRC32C();
        crc.update(b.duplicate().position(RecordBatchHeader.ATTRIBUTES));
        b.putInt(RecordBatchHeader.CRC, (int) crc.getValue());
        try (PartitionLog log = openFresh(dir, LogConfig.DEFAULTS, scheduler)) {
            Throwable t = null;
            try {
                log.appendAsLeader(b, 0);
            } catch (Throwable e) {
                t = e;
            }
            if (t == null) {
                try {
                    log.offsetForTimestamp(0);
                } catch (Throwable e) {
                }
            }
            assertThat(t).isInstanceOf(LogException.class);
        }
    }

    // 3. a flipped index position that still increases passes the sanity check
    @Test
    void aCorruptIndexPositionIsDetected() throws Exception {
        LogConfig cfg = LogConfig.DEFAULTS.withIndexIntervalBytes(200).withSegmentIndexBytes(4096);
        List<Integer> boundaries = new ArrayList<>();
        try (PartitionLog log = openFresh(dir, cfg, scheduler)) {
            for (int i = 0; i < 30; i++) {
                log.appendAsLeader(TestBatches.batch(1, now), 0);
            }
        }
        Path logFile = dir.resolve(LogSegment.fileName(0, LogSegment.LOG_SUFFIX));
        ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(logFile));
        for (int at = 0; at < all.limit(); at += RecordBatchHeader.sizeInBytes(all, at)) {
            boundaries.add(at);
        }
        Path index = dir.resolve(LogSegment.fileName(0, LogSegment.INDEX_SUFFIX));
        ByteBuffer idx = ByteBuffer.wrap(Files.readAllBytes(index));
        int entries = idx.limit() / 8;
        int k = 1; // second entry
        int rel = idx.getInt(k * 8);
        int pos = idx.getInt(k * 8 + 4);
        int nextPos = idx.getInt((k + 1) * 8 + 4);
        int batchIdx = boundaries.indexOf(pos);
        int laterBoundary = boundaries.get(batchIdx + 1);
        assertThat(laterBoundary).isLessThan(nextPos);
        try (FileChannel ch = FileChannel.open(index, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(4).putInt(0, laterBoundary), k * 8 + 4);
        }
        try (PartitionLog log = reopenClean(dir, cfg, scheduler)) {
            ByteBuffer got = log.read(rel, 1 << 20, Long.MAX_VALUE, false).slice().readFully();
            long firstOffset = RecordBatchHeader.baseOffset(got, 0);
            assertThat(firstOffset).isEqualTo(rel);
        }
    }

    // 3b. the last entry pointing inside a batch: clean reopen fails
    @Test
    void aCorruptLastIndexEntryDoesNotStopTheLogOpening() throws Exception {
        LogConfig cfg = LogConfig.DEFAULTS.withIndexIntervalBytes(200).withSegmentIndexBytes(4096);
        try (PartitionLog log = openFresh(dir, cfg, scheduler)) {
            for (int i = 0; i < 30; i++) {
                log.appendAsLeader(TestBatches.batch(1, now), 0);
            }
        }
        Path index = dir.resolve(LogSegment.fileName(0, LogSegment.INDEX_SUFFIX));
        long n = Files.size(index) / 8;
        try (FileChannel ch = FileChannel.open(index, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer e = ByteBuffer.allocate(4);
            ch.read(e, (n - 1) * 8 + 4);
            ch.write(ByteBuffer.allocate(4).putInt(0, e.getInt(0) + 1), (n - 1) * 8 + 4);
        }
        assertThatCode(() -> reopenClean(dir, cfg, scheduler).close()).doesNotThrowAnyException();
    }

    // 4. an append that fails half way leaves bytes the next clean open takes as data
    @Test
    void aFailedAppendLeavesNothingBehind() throws Exception {
        LogConfig cfg = LogConfig.DEFAULTS.withIndexIntervalBytes(0).withSegmentIndexBytes(24);
        try (PartitionLog log = openFresh(dir, cfg, scheduler)) {
            ByteBuffer five = unindexableFollowerAppend();
            try {
                log.appendAsFollower(five);
            } catch (Throwable t) {
            }
            log.appendAsLeader(TestBatches.batch(1, now + 10), 0);
            log.appendAsLeader(TestBatches.batch(1, now + 11), 0);
        }
        PartitionLog reopened = null;
        try {
            reopened = reopenClean(dir, cfg, scheduler);
            List<Long> offsets = new ArrayList<>();
            for (long base : reopened.segmentBaseOffsets()) {
                Path f = dir.resolve(LogSegment.fileName(base, LogSegment.LOG_SUFFIX));
                offsets.addAll(TestBatches.offsets(ByteBuffer.wrap(Files.readAllBytes(f))));
            }
            assertThat(offsets).doesNotHaveDuplicates();
            assertThat(reopened.logEndOffset()).isEqualTo(2);
        } finally {
            if (reopened != null) {
                reopened.close();
            }
        }
    }

    // 5. a new segment.ms does not apply to the active segment
    @Test
    void aLowerSegmentMsRollsTheActiveSegment() {
        try (PartitionLog log = openFresh(dir, LogConfig.DEFAULTS, scheduler)) {
            log.appendAsLeader(TestBatches.batch(1, now), 0);
            log.updateConfig(LogConfig.DEFAULTS.withSegmentMs(1000));
            scheduler.clock().advance(Duration.ofSeconds(5));
            log.rollIfExpired();
            log.appendAsLeader(TestBatches.batch(1, scheduler.clock().millis()), 0);
            assertThat(log.numberOfSegments()).isEqualTo(2);
        }
    }

    // 6. log start offset checkpoint of a deleted partition applies to a recreated one after kill -9
    @Test
    void aRecreatedPartitionKeepsItsRecordsAfterACrash() throws Exception {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        TopicPartition tp = new TopicPartition("orders", 0);
        LogManager.Settings settings = new LogManager.Settings(Duration.ofMinutes(5), Duration.ofSeconds(1),
                Duration.ofMinutes(1), Duration.ofSeconds(5));
        LogManager m = LogManager.open(a, LogConfig.DEFAULTS, scheduler.clock(), scheduler, settings);
        PartitionLog log = m.getOrCreateLog(tp, LogConfig.DEFAULTS);
        for (int i = 0; i < 10; i++) {
            log.appendAsLeader(TestBatches.batch(1, now), 0);
        }
        log.updateHighWatermark(10);
        log.advanceLogStartOffset(8);
        m.checkpointRecoveryPointsAndStarts();
        m.deleteLog(tp);
        PartitionLog fresh = m.getOrCreateLog(tp, LogConfig.DEFAULTS);
        for (int i = 0; i < 5; i++) {
            fresh.appendAsLeader(TestBatches.batch(1, now), 0);
        }
        // kill -9 now: the page cache holds exactly what the files hold. Snapshot them.
        copyTree(a, b);
        m.close();
        try (LogManager m2 = LogManager.open(b, LogConfig.DEFAULTS, scheduler.clock(), scheduler, settings)) {
            PartitionLog after = m2.getLog(tp).orElseThrow();
            assertThat(after.logStartOffset()).isZero();
        }
    }

    // 7. truncateFullyAndStartAt above the HW leaves HW < log start
    @Test
    void truncateFullyKeepsTheHighWatermarkInsideTheLog() {
        try (PartitionLog log = openFresh(dir, LogConfig.DEFAULTS, scheduler)) {
            log.appendAsLeader(TestBatches.batch(3, now), 0);
            log.updateHighWatermark(3);
            log.truncateFullyAndStartAt(100);
            assertThat(log.highWatermark()).isGreaterThanOrEqualTo(log.logStartOffset());
        }
    }

    // 8. a slice read before a truncation dies with the segment (no delete delay)
    @Test
    void aSliceSurvivesTruncationForTheDeleteDelay() throws Exception {
        LogConfig cfg = LogConfig.DEFAULTS.withSegmentBytes(300);
        try (PartitionLog log = openFresh(dir, cfg, scheduler)) {
            for (int i = 0; i < 20; i++) {
                log.appendAsLeader(TestBatches.batch(1, now), 0);
            }
            List<Long> bases = log.segmentBaseOffsets();
            long last = bases.get(bases.size() - 1);
            FileSlice slice = log.read(last, 1 << 20, Long.MAX_VALUE, false).slice();
            log.truncateTo(bases.get(1));
            assertThatCode(slice::readFully).doesNotThrowAnyException();
        }
    }


    // 4b. a partial write (ENOSPC) leaves a tail past size(); a clean reopen trusts it
    @Test
    void aTornTailLeftByAFailedWriteDoesNotBreakACleanReopen() throws Exception {
        try (PartitionLog log = openFresh(dir, LogConfig.DEFAULTS, scheduler)) {
            for (int i = 0; i < 3; i++) {
                log.appendAsLeader(TestBatches.batch(1, now), 0);
            }
            long size = log.sizeInBytes();
            // what a channel.write that failed half way through a 1000-byte batch leaves behind
            ByteBuffer half = ByteBuffer.allocate(500);
            half.putLong(0, 3).putInt(8, 1000 - 12).put(16, (byte) 2);
            try (FileChannel ch = FileChannel.open(dir.resolve(LogSegment.fileName(0, LogSegment.LOG_SUFFIX)),
                    StandardOpenOption.WRITE)) {
                ch.write(half, size);
            }
            log.appendAsLeader(TestBatches.batch(1, now), 0); // succeeds, overwrites the first ~70 bytes
        }
        assertThatCode(() -> reopenClean(dir, LogConfig.DEFAULTS, scheduler).close()).doesNotThrowAnyException();
    }

    // 4c. after the index-full failure every later append fails
    @Test
    void theLogTakesAppendsAfterARefusedOne() throws Exception {
        LogConfig cfg = LogConfig.DEFAULTS.withIndexIntervalBytes(0).withSegmentIndexBytes(24);
        try (PartitionLog log = openFresh(dir, cfg, scheduler)) {
            ByteBuffer five = unindexableFollowerAppend();
            assertThatThrownBy(() -> log.appendAsFollower(five)).isInstanceOf(LogException.class);
            assertThat(log.logEndOffset()).isZero();
            int failures = 0;
            for (int i = 0; i < 10; i++) {
                try {
                    log.appendAsLeader(TestBatches.batch(1, now + 10 + i), 0);
                } catch (Throwable t) {
                    failures++;
                }
            }
            assertThat(failures).isZero();
        }
    }

    // 9. segment.index.bytes lowered between runs: the active index is cut below its entries
    @Test
    void aSmallerSegmentIndexBytesDoesNotBreakReads() throws Exception {
        LogConfig big = LogConfig.DEFAULTS.withIndexIntervalBytes(0).withSegmentIndexBytes(4096);
        try (PartitionLog log = openFresh(dir, big, scheduler)) {
            for (int i = 0; i < 40; i++) {
                log.appendAsLeader(TestBatches.batch(1, now), 0);
            }
        }
        LogConfig small = big.withSegmentIndexBytes(80);
        try (PartitionLog log = reopenClean(dir, small, scheduler)) {
            assertThatCode(() -> log.read(35, 1 << 20, Long.MAX_VALUE, false)).doesNotThrowAnyException();
        }
    }

    /**
     * A follower append that passes validation but fails inside the segment: its second batch's
     * offset is more than 2^31 past the first, so it cannot go into the segment's offset index.
     */
    private ByteBuffer unindexableFollowerAppend() {
        ByteBuffer far = TestBatches.batch(1, now + 1);
        RecordBatchHeader.setBaseOffset(far, 0, 3_000_000_000L);
        return TestBatches.concat(TestBatches.batch(1, now), far);
    }

    private static void copyTree(Path from, Path to) throws Exception {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else if (!p.getFileName().toString().equals(".lock")) {
                    Files.copy(p, target);
                }
            }
        }
    }
}
