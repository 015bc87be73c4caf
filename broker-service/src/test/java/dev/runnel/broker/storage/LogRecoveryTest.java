package dev.runnel.broker.storage;

import static dev.runnel.broker.storage.LogTestSupport.openFresh;
import static dev.runnel.broker.storage.LogTestSupport.readAll;
import static dev.runnel.broker.storage.LogTestSupport.reopenAfterCrash;
import static dev.runnel.broker.storage.LogTestSupport.reopenClean;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.broker.record.RecordCodec;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

/**
 * Corruption tests for every file of a partition directory: after recovery the log holds exactly
 * the valid prefix of what was appended, and appends continue at the offset after it.
 */
class LogRecoveryTest {

    /** Small segments and a dense index, so a few dozen batches make several segments and index entries. */
    private static final LogConfig CONFIG = LogConfig.DEFAULTS.withSegmentBytes(600).withIndexIntervalBytes(100)
            .withSegmentIndexBytes(4096);
    private static final int BATCHES = 40;
    private static final int RECORDS_PER_BATCH = 3;

    @TempDir
    Path dir;

    private final ManualScheduler scheduler = new ManualScheduler(new ManualClock());
    private final long now = scheduler.clock().millis();

    /** Appends {@link #BATCHES} batches; batch b holds values "b-0".."b-2" with timestamp now + b. */
    private void writeLog(boolean closeCleanly) {
        writeLog(CONFIG, closeCleanly);
    }

    private void writeLog(LogConfig config, boolean closeCleanly) {
        PartitionLog log = openFresh(dir, config, scheduler);
        for (int b = 0; b < BATCHES; b++) {
            log.appendAsLeader(TestBatches.batch(RecordCodec.NONE, RECORDS_PER_BATCH, now + b,
                    b + "-"), b / 10);
        }
        if (closeCleanly) {
            log.close();
        }
    }

    private static List<String> expectedValues(int batches) {
        List<String> values = new ArrayList<>();
        for (int b = 0; b < batches; b++) {
            for (int r = 0; r < RECORDS_PER_BATCH; r++) {
                values.add(b + "-" + r);
            }
        }
        return values;
    }

    /** Asserts that the log holds exactly the first {@code batches} batches and takes the next append right after. */
    private void assertValidPrefix(PartitionLog log, int batches) {
        long expectedEnd = (long) batches * RECORDS_PER_BATCH;
        assertThat(log.logEndOffset()).isEqualTo(expectedEnd);
        ByteBuffer bytes = readAll(log, 0);
        assertThat(TestBatches.values(bytes)).containsExactlyElementsOf(expectedValues(batches));
        List<Long> offsets = TestBatches.offsets(bytes);
        for (int i = 0; i < offsets.size(); i++) {
            assertThat(offsets.get(i)).isEqualTo(i);
        }
        AppendInfo next = log.appendAsLeader(TestBatches.batch(2, now), 9);
        assertThat(next.firstOffset()).isEqualTo(expectedEnd);
        assertThat(TestBatches.values(readAll(log, expectedEnd))).containsExactly("v0", "v1");
    }

    private List<Path> files(String suffix) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
        }
    }

    private Path lastLogFile() throws IOException {
        List<Path> logs = files(LogSegment.LOG_SUFFIX);
        return logs.get(logs.size() - 1);
    }

    /** Batch boundaries (start positions) in a .log file, read from the size fields. */
    private static List<Integer> batchStarts(Path logFile) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(logFile));
        List<Integer> starts = new ArrayList<>();
        for (int at = 0; at < bytes.limit(); at += RecordBatchHeader.sizeInBytes(bytes, at)) {
            starts.add(at);
        }
        return starts;
    }

    /** How many batches the segments before {@code logFile} hold, from their names (base offsets). */
    private static int batchesBefore(Path logFile) {
        long base = LogRecovery.baseOffsetOf(logFile.getFileName().toString(), LogSegment.LOG_SUFFIX);
        return (int) (base / RECORDS_PER_BATCH);
    }

    private static void flipByte(Path file, long position) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, position);
            one.put(0, (byte) (one.get(0) ^ 0x5a)).rewind();
            channel.write(one, position);
        }
    }

    @Test
    void junkAppendedAfterTheLastBatchIsCut() throws Exception {
        writeLog(true);
        byte[] junk = new byte[777];
        new java.util.Random(42).nextBytes(junk);
        Files.write(lastLogFile(), junk, StandardOpenOption.APPEND);

        try (PartitionLog log = reopenAfterCrash(dir, CONFIG, scheduler, 0)) {
            assertValidPrefix(log, BATCHES);
        }
    }

    @Test
    void zerosLeftByAPreallocatedTailAreCut() throws Exception {
        writeLog(true);
        Files.write(lastLogFile(), new byte[4096], StandardOpenOption.APPEND);

        try (PartitionLog log = reopenAfterCrash(dir, CONFIG, scheduler, 0)) {
            assertValidPrefix(log, BATCHES);
        }
    }

    @Test
    void aBatchCutInHalfIsRemovedWithEverythingAfterIt() throws Exception {
        writeLog(true);
        Path last = lastLogFile();
        List<Integer> starts = batchStarts(last);
        int lastStart = starts.get(starts.size() - 1);
        long size = Files.size(last);
        try (FileChannel channel = FileChannel.open(last, StandardOpenOption.WRITE)) {
            channel.truncate(lastStart + (size - lastStart) / 2);
        }

        try (PartitionLog log = reopenAfterCrash(dir, CONFIG, scheduler, 0)) {
            assertValidPrefix(log, BATCHES - 1);
        }
    }

    @Test
    void aHeaderCutShortIsRemoved() throws Exception {
        writeLog(true);
        Path last = lastLogFile();
        List<Integer> starts = batchStarts(last);
        try (FileChannel channel = FileChannel.open(last, StandardOpenOption.WRITE)) {
            channel.truncate(starts.get(starts.size() - 1) + 20);
        }

        try (PartitionLog log = reopenAfterCrash(dir, CONFIG, scheduler, 0)) {
            assertValidPrefix(log, BATCHES - 1);
        }
    }

    @Test
    void aFlippedByteInTheMiddleCutsTheLogBeforeThatBatchAndDropsLaterSegments() throws Exception {
        writeLog(true);
        List<Path> logs = files(LogSegment.LOG_SUFFIX);
        assertThat(logs).hasSizeGreaterThan(3);
        Path middle = logs.get(logs.size() / 2);
        List<Integer> starts = batchStarts(middle);
        int victim = starts.size() / 2;
        int start = starts.get(victim);
        int end = victim + 1 < starts.size() ? starts.get(victim + 1) : (int) Files.size(middle);
        flipByte(middle, start + RecordBatchHeader.RECORDS + (end - start - RecordBatchHeader.RECORDS) / 2);

        try (PartitionLog log = reopenAfterCrash(dir, CONFIG, scheduler, 0)) {
            assertValidPrefix(log, batchesBefore(middle) + victim);
            assertThat(log.segmentBaseOffsets()).last().isEqualTo(
                    LogRecovery.baseOffsetOf(middle.getFileName().toString(), LogSegment.LOG_SUFFIX));
        }
    }

    @Test
    void aFlippedByteInABatchHeaderIsCaught() throws Exception {
        writeLog(true);
        Path last = lastLogFile();
        List<Integer> starts = batchStarts(last);
        int victim = starts.size() - 2;
        flipByte(last, starts.get(victim) + RecordBatchHeader.MAX_TIMESTAMP + 3);

        try (PartitionLog log = reopenAfterCrash(dir, CONFIG, scheduler, 0)) {
            assertValidPrefix(log, batchesBefore(last) + victim);
        }
    }

    @Test
    void aCorruptSizeFieldIsCaught() throws Exception {
        writeLog(true);
        Path last = lastLogFile();
        List<Integer> starts = batchStarts(last);
        int victim = starts.size() - 1;
        try (FileChannel channel = FileChannel.open(last, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.allocate(4).putInt(0, 1 << 30), starts.get(victim) + RecordBatchHeader.LENGTH);
        }

        try (PartitionLog log = reopenAfterCrash(dir, CONFIG, scheduler, 0)) {
            assertValidPrefix(log, batchesBefore(last) + victim);
        }
    }

    @Test
    void segmentsBelowTheRecoveryPointAreNotScanned() throws Exception {
        writeLog(true);
        List<Path> logs = files(LogSegment.LOG_SUFFIX);
        Path first = logs.get(0);
        // Damage below the recovery point is not looked for (it was fsynced): like Kafka, only
        // segments from the recovery point on are checked.
        flipByte(first, Files.size(first) - 3);
        long recoveryPoint = LogRecovery.baseOffsetOf(logs.get(1).getFileName().toString(), LogSegment.LOG_SUFFIX);

        try (PartitionLog log = reopenAfterCrash(dir, CONFIG, scheduler, recoveryPoint)) {
            assertThat(log.logEndOffset()).isEqualTo((long) BATCHES * RECORDS_PER_BATCH);
            assertThat(log.recoveryPoint()).isEqualTo(log.logEndOffset());
        }
    }

    @Test
    void aLogThatWasNeverClosedRecoversWithItsPreallocatedIndexes() throws Exception {
        writeLog(false);
        Path activeIndex = files(LogSegment.INDEX_SUFFIX).get(files(LogSegment.INDEX_SUFFIX).size() - 1);
        assertThat(Files.size(activeIndex)).isEqualTo(CONFIG.segmentIndexBytes() / 8 * 8);

        try (PartitionLog log = reopenAfterCrash(dir, CONFIG, scheduler, 0)) {
            assertValidPrefix(log, BATCHES);
        }
    }

    @Test
    void segmentsRecoveredAfterACrashLeaveNoPreallocatedIndexesForTheNextCrash() throws Exception {
        writeLog(false);
        // Recovery from offset 0 rebuilds the indexes of every segment, at their preallocated size.
        PartitionLog recovered = reopenAfterCrash(dir, CONFIG, scheduler, 0);
        List<LogSegment> segments = recovered.segments();
        assertThat(segments).hasSizeGreaterThan(2);
        // Not closed: this is the state a second crash leaves. Only the active segment's indexes may
        // have room; padding in another's would be read back as entries out of order, and rebuilt.
        for (LogSegment segment : segments.subList(0, segments.size() - 1)) {
            assertIndexFilesHoldExactlyTheirEntries(segment);
        }

        try (PartitionLog log = reopenAfterCrash(dir, CONFIG, scheduler, 0)) {
            assertValidPrefix(log, BATCHES);
            assertReadsFromEveryOffset(log);
        }
    }

    @Test
    void anEmptyIndexOfASegmentThatIsNotActiveStaysEmptyAfterALoad() throws Exception {
        // An index interval larger than a segment: no segment gets an index entry, so every index file is empty.
        LogConfig unindexed = CONFIG.withIndexIntervalBytes(CONFIG.segmentBytes() * 2);
        writeLog(unindexed, true);
        assertThat(files(LogSegment.INDEX_SUFFIX)).hasSizeGreaterThan(2)
                .allSatisfy(index -> assertThat(Files.size(index)).isZero());

        PartitionLog reopened = reopenClean(dir, unindexed, scheduler);
        List<LogSegment> segments = reopened.segments();
        for (LogSegment segment : segments.subList(0, segments.size() - 1)) {
            assertIndexFilesHoldExactlyTheirEntries(segment);
            assertThat(segment.offsetIndexBytes()).isZero();
        }

        try (PartitionLog log = reopenAfterCrash(dir, unindexed, scheduler, 0)) {
            assertValidPrefix(log, BATCHES);
        }
    }

    /** The segment's offset and time index files are exactly as long as their entries. */
    private void assertIndexFilesHoldExactlyTheirEntries(LogSegment segment) throws IOException {
        assertThat(Files.size(dir.resolve(LogSegment.fileName(segment.baseOffset(), LogSegment.INDEX_SUFFIX))))
                .as("offset index file of %s", segment).isEqualTo(segment.offsetIndexBytes());
        assertThat(Files.size(dir.resolve(LogSegment.fileName(segment.baseOffset(), LogSegment.TIME_INDEX_SUFFIX))))
                .as("time index file of %s", segment).isEqualTo(segment.timeIndexBytes());
    }

    @Test
    void aMissingOffsetIndexIsRebuilt() throws Exception {
        writeLog(true);
        List<Path> indexes = files(LogSegment.INDEX_SUFFIX);
        Path victim = indexes.get(indexes.size() / 2);
        assertThat(victim).isNotEqualTo(indexes.get(indexes.size() - 1));
        long entriesBefore = Files.size(victim) / OffsetIndex.ENTRY_SIZE;
        Files.delete(victim);

        try (PartitionLog log = reopenClean(dir, CONFIG, scheduler)) {
            assertThat(Files.exists(victim)).isTrue();
            assertValidPrefix(log, BATCHES);
            assertReadsFromEveryOffset(log);
        }
        assertThat(Files.size(victim) / OffsetIndex.ENTRY_SIZE).isEqualTo(entriesBefore);
    }

    @Test
    void aMissingTimeIndexIsRebuilt() throws Exception {
        writeLog(true);
        List<Path> timeIndexes = files(LogSegment.TIME_INDEX_SUFFIX);
        Path victim = timeIndexes.get(timeIndexes.size() / 2);
        Files.delete(victim);

        try (PartitionLog log = reopenClean(dir, CONFIG, scheduler)) {
            assertThat(Files.exists(victim)).isTrue();
            assertTimestampLookups(log);
            assertValidPrefix(log, BATCHES);
        }
    }

    @Test
    void anOffsetIndexWithEntriesOutOfOrderIsRebuilt() throws Exception {
        writeLog(true);
        Path victim = files(LogSegment.INDEX_SUFFIX).get(1);
        assertThat(Files.size(victim)).isGreaterThanOrEqualTo(2L * OffsetIndex.ENTRY_SIZE);
        try (FileChannel channel = FileChannel.open(victim, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.allocate(8).putInt(0, 1_000_000).putInt(4, 0), 0);
        }

        try (PartitionLog log = reopenClean(dir, CONFIG, scheduler)) {
            assertReadsFromEveryOffset(log);
            assertValidPrefix(log, BATCHES);
        }
    }

    @Test
    void anIndexThatIsNotAWholeNumberOfEntriesIsRebuilt() throws Exception {
        writeLog(true);
        Path offsetIndex = files(LogSegment.INDEX_SUFFIX).get(0);
        Path timeIndex = files(LogSegment.TIME_INDEX_SUFFIX).get(0);
        Files.write(offsetIndex, new byte[] {1, 2, 3}, StandardOpenOption.APPEND);
        Files.write(timeIndex, new byte[] {9}, StandardOpenOption.APPEND);

        try (PartitionLog log = reopenClean(dir, CONFIG, scheduler)) {
            assertReadsFromEveryOffset(log);
            assertTimestampLookups(log);
            assertValidPrefix(log, BATCHES);
        }
        assertThat(Files.size(offsetIndex) % OffsetIndex.ENTRY_SIZE).isZero();
        assertThat(Files.size(timeIndex) % TimeIndex.ENTRY_SIZE).isZero();
    }

    @Test
    void aTimeIndexWithDecreasingTimestampsIsRebuilt() throws Exception {
        writeLog(true);
        Path victim = files(LogSegment.TIME_INDEX_SUFFIX).get(1);
        assertThat(Files.size(victim)).isGreaterThanOrEqualTo(2L * TimeIndex.ENTRY_SIZE);
        try (FileChannel channel = FileChannel.open(victim, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.allocate(8).putLong(0, Long.MAX_VALUE - 1), TimeIndex.ENTRY_SIZE);
        }

        try (PartitionLog log = reopenClean(dir, CONFIG, scheduler)) {
            assertTimestampLookups(log);
            assertValidPrefix(log, BATCHES);
        }
    }

    @Test
    void leftoverFilesOfInterruptedWorkAreRemoved() throws Exception {
        writeLog(true);
        Path deleted = dir.resolve(LogSegment.fileName(999_999, LogSegment.LOG_SUFFIX + LogRecovery.DELETED_SUFFIX));
        Path tmp = dir.resolve(LeaderEpochCache.FILE_NAME + LogRecovery.TMP_SUFFIX);
        Path orphanIndex = dir.resolve(LogSegment.fileName(888_888, LogSegment.INDEX_SUFFIX));
        Files.write(deleted, new byte[10]);
        Files.write(tmp, new byte[10]);
        Files.write(orphanIndex, new byte[16]);

        try (PartitionLog log = reopenAfterCrash(dir, CONFIG, scheduler, 0)) {
            assertThat(deleted).doesNotExist();
            assertThat(tmp).doesNotExist();
            assertThat(orphanIndex).doesNotExist();
            assertValidPrefix(log, BATCHES);
        }
    }

    @Test
    void theLeaderEpochCacheForgetsEpochsOfCutRecords() throws Exception {
        writeLog(true);
        // Epoch 3 starts at batch 30; cut the log inside epoch 2 by corrupting the first segment holding batch 25.
        List<Path> logs = files(LogSegment.LOG_SUFFIX);
        Path victim = logs.stream().filter(p -> batchesBefore(p) <= 25).reduce((a, b) -> b).orElseThrow();
        int victimBatch = 25 - batchesBefore(victim);
        flipByte(victim, batchStarts(victim).get(victimBatch) + RecordBatchHeader.RECORDS + 2);

        try (PartitionLog log = reopenAfterCrash(dir, CONFIG, scheduler, 0)) {
            assertThat(log.logEndOffset()).isEqualTo(25L * RECORDS_PER_BATCH);
            assertThat(log.leaderEpochs().latest()).hasValueSatisfying(e -> assertThat(e.epoch()).isEqualTo(2));
            assertThat(log.leaderEpochs().entries()).extracting(LeaderEpochCache.EpochEntry::epoch).containsExactly(0, 1, 2);
        }
    }

    /** Reads from every offset and checks the first record returned is that offset's. */
    private static void assertReadsFromEveryOffset(PartitionLog log) throws IOException {
        for (long offset = 0; offset < (long) BATCHES * RECORDS_PER_BATCH; offset++) {
            ByteBuffer bytes = log.read(offset, 1, Long.MAX_VALUE, true).slice().readFully();
            List<Long> offsets = TestBatches.offsets(bytes);
            assertThat(offsets).contains(offset);
            assertThat(offsets.get(0)).isEqualTo(offset - offset % RECORDS_PER_BATCH);
        }
    }

    /** Batch b has timestamp now + b: the lookup of now + b finds its first record. */
    private void assertTimestampLookups(PartitionLog log) {
        for (int b = 0; b < BATCHES; b++) {
            TimestampOffset found = log.offsetForTimestamp(now + b);
            assertThat(found).isNotNull();
            assertThat(found.offset()).isEqualTo((long) b * RECORDS_PER_BATCH);
            assertThat(found.timestamp()).isEqualTo(now + b);
        }
        assertThat(log.offsetForTimestamp(now + BATCHES)).isNull();
    }
}
