package dev.runnel.broker.storage;

import static dev.runnel.broker.storage.LogTestSupport.openFresh;
import static dev.runnel.broker.storage.LogTestSupport.readAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import dev.runnel.broker.record.RecordCodec;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

/**
 * Batch validation as appends see it: every refusal carries its {@link LogError} and leaves the
 * log, its epochs and the caller's buffer exactly as they were.
 */
class BatchValidatorTest {

    private static final int EPOCH = 3;

    @TempDir
    Path dir;

    private final ManualScheduler scheduler = new ManualScheduler(new ManualClock());
    private final long now = scheduler.clock().millis();
    private PartitionLog log;

    @AfterEach
    void closeLog() {
        if (log != null) {
            log.close();
        }
    }

    /** Opens a log with {@code config} holding one batch of two records (offsets 0 and 1). */
    private PartitionLog openLogWithTwoRecords(LogConfig config) {
        log = openFresh(dir, config, scheduler);
        log.appendAsLeader(TestBatches.batch(2, now), EPOCH);
        assertThat(log.logEndOffset()).isEqualTo(2);
        return log;
    }

    private PartitionLog openLogWithTwoRecords() {
        return openLogWithTwoRecords(LogConfig.DEFAULTS);
    }

    // ---- single-batch rejections ------------------------------------------------------------

    @ParameterizedTest(name = "magic {0}")
    @ValueSource(bytes = {0, 1, 3})
    void aBatchWithMagicOtherThanTwoIsUnsupported(byte magic) {
        openLogWithTwoRecords();

        assertLeaderAppendRejected(withMagic(magic).apply(TestBatches.batch(3, now)), LogError.UNSUPPORTED_MAGIC);
    }

    @Test
    void aFlippedByteInTheRecordsFailsTheCrc() {
        openLogWithTwoRecords();

        assertLeaderAppendRejected(flipLastByte().apply(TestBatches.batch(3, now)), LogError.CORRUPT_RECORD);
    }

    @Test
    void aFlippedByteInTheHeaderUnderTheCrcFailsTheCrc() {
        openLogWithTwoRecords();
        ByteBuffer batch = copyOf(TestBatches.batch(3, now));
        batch.put(RecordBatchHeader.MAX_TIMESTAMP + 7, (byte) (batch.get(RecordBatchHeader.MAX_TIMESTAMP + 7) ^ 0x10));

        assertLeaderAppendRejected(batch, LogError.CORRUPT_RECORD);
    }

    @Test
    void aFollowerBatchWithAFlippedByteFailsTheCrcToo() {
        openLogWithTwoRecords();
        ByteBuffer batch = flipLastByte().apply(TestBatches.batch(3, now));
        RecordBatchHeader.setBaseOffset(batch, 0, 2);

        assertFollowerAppendRejected(batch, LogError.CORRUPT_RECORD);
    }

    @Test
    void aSmallBatchCutInHalfIsCorrupt() {
        openLogWithTwoRecords();
        ByteBuffer whole = TestBatches.batch(3, now);
        assertThat(whole.remaining() / 2).isLessThan(RecordBatchHeader.HEADER_SIZE);

        assertLeaderAppendRejected(cutInHalf().apply(whole), LogError.CORRUPT_RECORD);
    }

    @Test
    void aBatchCutInHalfAfterItsHeaderIsCorrupt() {
        openLogWithTwoRecords();
        ByteBuffer whole = TestBatches.batchOfSize(3, 100, now);
        assertThat(whole.remaining() / 2).isGreaterThan(RecordBatchHeader.HEADER_SIZE);

        assertLeaderAppendRejected(cutInHalf().apply(whole), LogError.CORRUPT_RECORD);
    }

    @Test
    void aSizeFieldLargerThanTheBytesIsCorrupt() {
        openLogWithTwoRecords();

        assertLeaderAppendRejected(sizeFieldBeyondTheBytes().apply(TestBatches.batch(3, now)), LogError.CORRUPT_RECORD);
    }

    @Test
    void aSizeFieldSmallerThanAHeaderIsCorrupt() {
        openLogWithTwoRecords();
        ByteBuffer batch = copyOf(TestBatches.batch(3, now));
        batch.putInt(RecordBatchHeader.LENGTH, 0);

        assertLeaderAppendRejected(batch, LogError.CORRUPT_RECORD);
    }

    @Test
    void aBatchLargerThanMaxMessageBytesIsTooLarge() {
        openLogWithTwoRecords(LogConfig.DEFAULTS.withMaxMessageBytes(200));
        ByteBuffer batch = TestBatches.batchOfSize(1, 300, now);
        assertThat(batch.remaining()).isGreaterThan(200);

        assertLeaderAppendRejected(batch, LogError.RECORD_TOO_LARGE);
    }

    @Test
    void aBatchOfExactlyMaxMessageBytesIsAccepted() {
        ByteBuffer batch = TestBatches.batchOfSize(1, 300, now);
        openLogWithTwoRecords(LogConfig.DEFAULTS.withMaxMessageBytes(batch.remaining()));

        assertThat(log.appendAsLeader(batch, EPOCH).firstOffset()).isEqualTo(2);
        assertThat(log.logEndOffset()).isEqualTo(3);
    }

    @Test
    void aFollowerTakesALeaderBatchLargerThanMaxMessageBytes() {
        // As Kafka's follower does: the leader's cleaner may have rewritten a batch larger than it came.
        openLogWithTwoRecords(LogConfig.DEFAULTS.withMaxMessageBytes(200));
        ByteBuffer batch = copyOf(TestBatches.batchOfSize(1, 300, now));
        RecordBatchHeader.setBaseOffset(batch, 0, 2);

        assertThat(log.appendAsFollower(batch).firstOffset()).isEqualTo(2);
        assertThat(log.logEndOffset()).isEqualTo(3);
    }

    @Test
    void anAppendLargerThanSegmentBytesIsRefusedAsAWhole() {
        openLogWithTwoRecords(LogConfig.DEFAULTS.withSegmentBytes(500));
        ByteBuffer append = TestBatches.concat(TestBatches.batchOfSize(1, 150, now),
                TestBatches.batchOfSize(1, 150, now), TestBatches.batchOfSize(1, 150, now));
        assertThat(append.remaining()).isGreaterThan(500);

        assertLeaderAppendRejected(append, LogError.RECORD_BATCH_TOO_LARGE);
    }

    @Test
    void aFollowerAppendLargerThanSegmentBytesIsRefusedAsAWhole() {
        openLogWithTwoRecords(LogConfig.DEFAULTS.withSegmentBytes(500));
        ByteBuffer batch = copyOf(TestBatches.batchOfSize(1, 600, now));
        RecordBatchHeader.setBaseOffset(batch, 0, 2);

        assertFollowerAppendRejected(batch, LogError.RECORD_BATCH_TOO_LARGE);
    }

    @Test
    void aRecordCountBelowTheRecordsHeldIsInvalid() {
        openLogWithTwoRecords();

        assertLeaderAppendRejected(withRecordCount(2).apply(TestBatches.batch(3, now)), LogError.INVALID_RECORD);
    }

    @Test
    void aRecordCountAboveTheRecordsHeldIsInvalid() {
        openLogWithTwoRecords();

        assertLeaderAppendRejected(withRecordCount(4).apply(TestBatches.batch(3, now)), LogError.INVALID_RECORD);
    }

    @ParameterizedTest
    @EnumSource(value = RecordCodec.class, names = {"GZIP", "LZ4", "ZSTD"})
    void aCompressedBatchWithARecordCountBelowTheRecordsHeldIsInvalid(RecordCodec codec) {
        openLogWithTwoRecords();
        ByteBuffer batch = TestBatches.batch(codec, 3, now, "c");

        assertLeaderAppendRejected(withRecordCount(2).apply(batch), LogError.INVALID_RECORD);
    }

    @ParameterizedTest
    @EnumSource(value = RecordCodec.class, names = {"GZIP", "LZ4", "ZSTD"})
    void aCompressedBatchWithARecordCountAboveTheRecordsHeldIsInvalid(RecordCodec codec) {
        openLogWithTwoRecords();
        ByteBuffer batch = TestBatches.batch(codec, 3, now, "c");

        assertLeaderAppendRejected(withRecordCount(4).apply(batch), LogError.INVALID_RECORD);
    }

    /** A 100-byte request once made the broker allocate an array of 2^31-1 ints (OutOfMemoryError). */
    @ParameterizedTest
    @EnumSource(value = RecordCodec.class, names = {"GZIP", "LZ4", "ZSTD"})
    void aCompressedBatchClaimingTwoBillionRecordsIsRefusedWithoutSizingAnythingByTheClaim(RecordCodec codec) {
        openLogWithTwoRecords();
        ByteBuffer batch = TestBatches.batch(codec, 1, now, "c");

        assertLeaderAppendRejected(withRecordCount(Integer.MAX_VALUE).apply(batch), LogError.INVALID_RECORD);
    }

    /**
     * A small gzip batch of 100,000 identical 7-byte records (offset delta 0 each) under a claim of
     * 2^31-1: refused at its second record, before the rest is decompressed or anything is kept
     * per record (such a batch of a few hundred KiB once decompressed to millions of records).
     */
    @Test
    void aCompressedBatchOfRepeatedRecordsIsRefusedAtItsFirstWrongOffsetDelta() throws Exception {
        openLogWithTwoRecords();
        java.io.ByteArrayOutputStream compressed = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream gzip = new java.util.zip.GZIPOutputStream(compressed)) {
            byte[] record = {0x0c, 0, 0, 0, 1, 0, 0}; // length 6; attributes, timestamp and offset deltas 0; null key; empty value; no headers
            for (int i = 0; i < 100_000; i++) {
                gzip.write(record);
            }
        }
        byte[] records = compressed.toByteArray();
        ByteBuffer batch = ByteBuffer.allocate(RecordBatchHeader.RECORDS + records.length);
        batch.putLong(0).putInt(batch.capacity() - 12).putInt(-1).put((byte) 2).putInt(0)
                .putShort((short) 1).putInt(Integer.MAX_VALUE - 1).putLong(now).putLong(now)
                .putLong(-1).putShort((short) -1).putInt(-1).putInt(Integer.MAX_VALUE).put(records).flip();
        recomputeCrc(batch, 0);

        assertLeaderAppendRejected(batch, LogError.INVALID_RECORD);
    }

    @ParameterizedTest
    @EnumSource(value = RecordCodec.class, names = {"GZIP", "LZ4", "ZSTD"})
    void aCompressedBatchWhoseRecordsCannotBeDecompressedIsCorrupt(RecordCodec codec) {
        openLogWithTwoRecords();
        ByteBuffer batch = copyOf(TestBatches.batch(codec, 3, now, "c"));
        for (int i = RecordBatchHeader.RECORDS; i < batch.limit(); i++) {
            batch.put(i, (byte) 0);
        }
        recomputeCrc(batch, 0);

        assertLeaderAppendRejected(batch, LogError.CORRUPT_RECORD);
    }

    @ParameterizedTest
    @EnumSource(value = RecordCodec.class, names = {"GZIP", "LZ4", "ZSTD"})
    void aValidCompressedBatchIsAcceptedWithItsRecordCount(RecordCodec codec) {
        openLogWithTwoRecords();

        AppendInfo info = log.appendAsLeader(TestBatches.batch(codec, 3, now, "c"), EPOCH);

        assertThat(info.firstOffset()).isEqualTo(2);
        assertThat(info.lastOffset()).isEqualTo(4);
        assertThat(info.recordCount()).isEqualTo(3);
        assertThat(TestBatches.values(readAll(log, 2))).containsExactly("c0", "c1", "c2");
    }

    @ParameterizedTest
    @EnumSource(value = RecordCodec.class, names = {"NONE", "GZIP", "LZ4", "ZSTD"})
    void aCompactedTopicRefusesABatchWithARecordWithoutAKeyAndTakesKeyedOnes(RecordCodec codec) {
        log = openFresh(dir, LogConfig.DEFAULTS.withCompact(true), scheduler);
        assertThat(log.appendAsLeader(TestBatches.keyed(codec, now, "k0", "k1"), EPOCH).lastOffset()).isEqualTo(1);
        ByteBuffer keyless = TestBatches.keyed(codec, now, "k2", null, "k3");
        ByteBuffer before = copyOf(keyless);

        assertThatThrownBy(() -> log.appendAsLeader(keyless, EPOCH)).isInstanceOfSatisfying(LogException.class, e -> {
            assertThat(e.error()).isEqualTo(LogError.INVALID_RECORD);
            assertThat(e.getMessage()).contains("compacted topic").contains("without a key").contains("record 1");
        });

        assertThat(keyless).isEqualTo(before);
        assertThat(log.logEndOffset()).isEqualTo(2);
        assertThat(log.appendAsLeader(TestBatches.keyed(codec, now, "k2"), EPOCH).firstOffset()).isEqualTo(2);
    }

    @Test
    void aTopicThatIsNotCompactedTakesRecordsWithoutKeys() {
        openLogWithTwoRecords();

        AppendInfo info = log.appendAsLeader(TestBatches.keyed(RecordCodec.NONE, now, "k", null), EPOCH);

        assertThat(info.lastOffset()).isEqualTo(3);
    }

    @Test
    void aLastOffsetDeltaBeyondTheRecordCountIsInvalid() {
        openLogWithTwoRecords();

        assertLeaderAppendRejected(withLastOffsetDelta(5).apply(TestBatches.batch(3, now)), LogError.INVALID_RECORD);
    }

    @Test
    void aLastOffsetDeltaBelowTheRecordCountIsInvalid() {
        openLogWithTwoRecords();

        assertLeaderAppendRejected(withLastOffsetDelta(1).apply(TestBatches.batch(3, now)), LogError.INVALID_RECORD);
    }

    @Test
    void aRecordWhoseOffsetDeltaSkipsIsInvalid() {
        openLogWithTwoRecords();
        ByteBuffer batch = copyOf(TestBatches.batch(3, now));
        int deltaAt = offsetDeltaPosition(batch, 1);
        assertThat(batch.get(deltaAt)).isEqualTo((byte) 2); // zig-zag 1
        batch.put(deltaAt, (byte) 4); // zig-zag 2
        recomputeCrc(batch, 0);

        assertLeaderAppendRejected(batch, LogError.INVALID_RECORD);
    }

    @Test
    void aControlBatchFromAClientIsInvalid() {
        openLogWithTwoRecords();

        assertLeaderAppendRejected(asControlBatch().apply(TestBatches.batch(1, now)), LogError.INVALID_RECORD);
    }

    @Test
    void anEmptyLeaderAppendIsInvalid() {
        openLogWithTwoRecords();

        assertLeaderAppendRejected(ByteBuffer.allocate(0), LogError.INVALID_RECORD);
    }

    @Test
    void anEmptyFollowerAppendIsInvalid() {
        openLogWithTwoRecords();

        assertFollowerAppendRejected(ByteBuffer.allocate(0), LogError.INVALID_RECORD);
    }

    @Test
    void aRejectionOnAnEmptyLogLeavesItEmpty() {
        log = openFresh(dir, LogConfig.DEFAULTS, scheduler);

        assertLeaderAppendRejected(flipLastByte().apply(TestBatches.batch(2, now)), LogError.CORRUPT_RECORD);
        assertThat(log.leaderEpochs().entries()).containsExactly(new LeaderEpochCache.EpochEntry(EPOCH, 0));
    }

    // ---- a bad batch later in a multi-batch append --------------------------------------------

    static Stream<Arguments> corruptions() {
        return Stream.of(
                Arguments.of("magic 0", withMagic((byte) 0), LogError.UNSUPPORTED_MAGIC),
                Arguments.of("magic 1", withMagic((byte) 1), LogError.UNSUPPORTED_MAGIC),
                Arguments.of("a flipped record byte", flipLastByte(), LogError.CORRUPT_RECORD),
                Arguments.of("cut in half", cutInHalf(), LogError.CORRUPT_RECORD),
                Arguments.of("a size field beyond the bytes", sizeFieldBeyondTheBytes(), LogError.CORRUPT_RECORD),
                Arguments.of("larger than max.message.bytes", replacedBy(TestBatches.batchOfSize(1, 2_000, 0)),
                        LogError.RECORD_TOO_LARGE),
                Arguments.of("a record count below the records", withRecordCount(2), LogError.INVALID_RECORD),
                Arguments.of("a last offset delta beyond the count", withLastOffsetDelta(5), LogError.INVALID_RECORD),
                Arguments.of("a control batch", asControlBatch(), LogError.INVALID_RECORD));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corruptions")
    void aBadThirdBatchRejectsTheWholeAppendAndLeavesTheFirstTwoUntouched(String description,
            UnaryOperator<ByteBuffer> corruption, LogError expected) {
        openLogWithTwoRecords(LogConfig.DEFAULTS.withMaxMessageBytes(1_024));
        ByteBuffer append = TestBatches.concat(TestBatches.batch(2, now), TestBatches.batch(3, now),
                corruption.apply(TestBatches.batch(3, now)));

        assertLeaderAppendRejected(append, expected);

        // The first two batches were not stamped: offsets and epochs are as the producer sent them.
        int second = RecordBatchHeader.sizeInBytes(append, 0);
        assertThat(RecordBatchHeader.baseOffset(append, 0)).isZero();
        assertThat(RecordBatchHeader.baseOffset(append, second)).isZero();
        assertThat(RecordBatchHeader.partitionLeaderEpoch(append, 0)).isEqualTo(-1);
        assertThat(RecordBatchHeader.partitionLeaderEpoch(append, second)).isEqualTo(-1);
    }

    @Test
    void aFollowerAppendWhoseSecondBatchGoesBackwardsIsRejectedWhole() {
        openLogWithTwoRecords();
        ByteBuffer first = followerBatch(3, 2, 7);
        ByteBuffer second = followerBatch(2, 4, 7);

        assertFollowerAppendRejected(TestBatches.concat(first, second), LogError.UNEXPECTED_OFFSET);
    }

    // ---- follower appends ---------------------------------------------------------------------

    @Test
    void aFollowerBatchStartingBelowTheLogEndIsUnexpected() {
        openLogWithTwoRecords();

        assertFollowerAppendRejected(followerBatch(2, 1, EPOCH), LogError.UNEXPECTED_OFFSET);
        assertFollowerAppendRejected(followerBatch(2, 0, EPOCH), LogError.UNEXPECTED_OFFSET);
    }

    @Test
    void aFollowerAppendKeepsTheLeadersOffsetsAndEpochs() throws Exception {
        openLogWithTwoRecords();
        ByteBuffer append = TestBatches.concat(followerBatch(3, 2, 4), followerBatch(2, 5, 6));
        ByteBuffer sent = copyOf(append);

        AppendInfo info = log.appendAsFollower(append);

        assertThat(info.firstOffset()).isEqualTo(2);
        assertThat(info.lastOffset()).isEqualTo(6);
        assertThat(info.batchCount()).isEqualTo(2);
        assertThat(info.recordCount()).isEqualTo(5);
        assertThat(info.firstBatchEpoch()).isEqualTo(4);
        assertThat(append).isEqualTo(sent);
        assertThat(log.logEndOffset()).isEqualTo(7);

        ByteBuffer stored = log.read(2, 1 << 20, Long.MAX_VALUE, false).slice().readFully();
        assertThat(stored).isEqualTo(sent);
        assertThat(TestBatches.offsets(stored)).containsExactly(2L, 3L, 4L, 5L, 6L);
        assertThat(log.leaderEpochs().entries()).containsExactly(new LeaderEpochCache.EpochEntry(EPOCH, 0),
                new LeaderEpochCache.EpochEntry(4, 2), new LeaderEpochCache.EpochEntry(6, 5));
    }

    @Test
    void aFollowerMayLeaveAGapAfterTheLogEnd() throws Exception {
        openLogWithTwoRecords();

        AppendInfo info = log.appendAsFollower(followerBatch(3, 10, EPOCH));

        assertThat(info.firstOffset()).isEqualTo(10);
        assertThat(info.lastOffset()).isEqualTo(12);
        assertThat(log.logEndOffset()).isEqualTo(13);
        assertThat(TestBatches.offsets(readAll(log, 0))).containsExactly(0L, 1L, 10L, 11L, 12L);
        assertThat(log.appendAsLeader(TestBatches.batch(1, now), EPOCH).firstOffset()).isEqualTo(13);
    }

    @Test
    void aFollowerBatchStartingExactlyAtTheLogEndIsAccepted() {
        openLogWithTwoRecords();

        assertThat(log.appendAsFollower(followerBatch(2, 2, EPOCH)).firstOffset()).isEqualTo(2);
        assertThat(log.logEndOffset()).isEqualTo(4);
    }

    // ---- leader appends -----------------------------------------------------------------------

    @Test
    void aLeaderAppendOfThreeBatchesAssignsContiguousOffsets() throws Exception {
        openLogWithTwoRecords();
        ByteBuffer append = TestBatches.concat(TestBatches.batch(2, now), TestBatches.batch(3, now + 5),
                TestBatches.batch(4, now + 1));
        int size = append.remaining();

        AppendInfo info = log.appendAsLeader(append, EPOCH);

        assertThat(info.firstOffset()).isEqualTo(2);
        assertThat(info.lastOffset()).isEqualTo(10);
        assertThat(info.batchCount()).isEqualTo(3);
        assertThat(info.recordCount()).isEqualTo(9);
        assertThat(info.sizeInBytes()).isEqualTo(size);
        assertThat(info.maxTimestamp()).isEqualTo(now + 5);
        assertThat(info.offsetOfMaxTimestamp()).isEqualTo(6);
        assertThat(log.logEndOffset()).isEqualTo(11);

        ByteBuffer stored = log.read(2, 1 << 20, Long.MAX_VALUE, false).slice().readFully();
        assertThat(TestBatches.offsets(stored)).containsExactly(2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
        assertThat(batchBaseOffsets(stored)).containsExactly(2L, 4L, 7L);
        for (int at = 0; at < stored.limit(); at += RecordBatchHeader.sizeInBytes(stored, at)) {
            assertThat(RecordBatchHeader.partitionLeaderEpoch(stored, at)).isEqualTo(EPOCH);
            assertThat(RecordBatchHeader.isCrcValid(stored, at)).isTrue();
        }
    }

    @Test
    void aBatchStartingInsideALargerBufferIsAppendedFromItsPosition() throws Exception {
        openLogWithTwoRecords();
        ByteBuffer batch = TestBatches.batch(3, now);
        ByteBuffer request = ByteBuffer.allocate(7 + batch.remaining() + 5);
        request.put(new byte[] {9, 9, 9, 9, 9, 9, 9}).put(batch.duplicate()).put(new byte[] {8, 8, 8, 8, 8});
        request.position(7).limit(7 + batch.remaining());

        AppendInfo info = log.appendAsLeader(request, EPOCH);

        assertThat(info.firstOffset()).isEqualTo(2);
        assertThat(log.logEndOffset()).isEqualTo(5);
        assertThat(TestBatches.values(readAll(log, 2))).containsExactly("v0", "v1", "v2");
    }

    // ---- assertions -------------------------------------------------------------------------

    private void assertLeaderAppendRejected(ByteBuffer records, LogError expected) {
        assertRejected(records, expected, true);
    }

    private void assertFollowerAppendRejected(ByteBuffer records, LogError expected) {
        assertRejected(records, expected, false);
    }

    /**
     * Asserts the append is refused with {@code expected} and changes nothing: not the log end,
     * size, stored bytes or epochs, nor the caller's buffer; and that the log still takes a valid
     * append at its end.
     */
    private void assertRejected(ByteBuffer records, LogError expected, boolean asLeader) {
        long endBefore = log.logEndOffset();
        long sizeBefore = log.sizeInBytes();
        ByteBuffer storedBefore = readAll(log, log.logStartOffset());
        List<LeaderEpochCache.EpochEntry> epochsBefore = log.leaderEpochs().entries();
        ByteBuffer inputBefore = copyOf(records);
        int positionBefore = records.position();
        int limitBefore = records.limit();

        assertThatThrownBy(() -> {
            if (asLeader) {
                log.appendAsLeader(records, EPOCH + 1);
            } else {
                log.appendAsFollower(records);
            }
        }).isInstanceOfSatisfying(LogException.class, e -> assertThat(e.error()).isEqualTo(expected));

        assertThat(records.position()).isEqualTo(positionBefore);
        assertThat(records.limit()).isEqualTo(limitBefore);
        assertThat(records).isEqualTo(inputBefore);
        assertThat(log.logEndOffset()).isEqualTo(endBefore);
        assertThat(log.sizeInBytes()).isEqualTo(sizeBefore);
        assertThat(readAll(log, log.logStartOffset())).isEqualTo(storedBefore);
        assertThat(log.leaderEpochs().entries()).isEqualTo(epochsBefore);

        AppendInfo next = log.appendAsLeader(TestBatches.batch(1, now), EPOCH);
        assertThat(next.firstOffset()).isEqualTo(endBefore);
        assertThat(log.logEndOffset()).isEqualTo(endBefore + 1);
        List<Long> offsets = TestBatches.offsets(readAll(log, log.logStartOffset()));
        assertThat(offsets).endsWith(endBefore);
    }

    // ---- building bad batches -----------------------------------------------------------------

    /** A batch of {@code count} records as a leader would send it to a follower. */
    private ByteBuffer followerBatch(int count, long baseOffset, int epoch) {
        ByteBuffer batch = copyOf(TestBatches.batch(count, now));
        RecordBatchHeader.setBaseOffset(batch, 0, baseOffset);
        RecordBatchHeader.setPartitionLeaderEpoch(batch, 0, epoch);
        return batch;
    }

    private static UnaryOperator<ByteBuffer> withMagic(byte magic) {
        return b -> {
            ByteBuffer batch = copyOf(b);
            batch.put(RecordBatchHeader.MAGIC, magic);
            return batch;
        };
    }

    private static UnaryOperator<ByteBuffer> flipLastByte() {
        return b -> {
            ByteBuffer batch = copyOf(b);
            int last = batch.limit() - 1;
            batch.put(last, (byte) (batch.get(last) ^ 0x01));
            return batch;
        };
    }

    private static UnaryOperator<ByteBuffer> cutInHalf() {
        return b -> {
            ByteBuffer batch = copyOf(b);
            return copyOf(batch.limit(batch.limit() / 2));
        };
    }

    private static UnaryOperator<ByteBuffer> sizeFieldBeyondTheBytes() {
        return b -> {
            ByteBuffer batch = copyOf(b);
            batch.putInt(RecordBatchHeader.LENGTH, batch.getInt(RecordBatchHeader.LENGTH) + 10);
            return batch;
        };
    }

    /** Sets the record count and a consistent last offset delta, then fixes the CRC. */
    private static UnaryOperator<ByteBuffer> withRecordCount(int count) {
        return b -> {
            ByteBuffer batch = copyOf(b);
            batch.putInt(RecordBatchHeader.RECORD_COUNT, count);
            batch.putInt(RecordBatchHeader.LAST_OFFSET_DELTA, count - 1);
            recomputeCrc(batch, 0);
            return batch;
        };
    }

    private static UnaryOperator<ByteBuffer> withLastOffsetDelta(int delta) {
        return b -> {
            ByteBuffer batch = copyOf(b);
            batch.putInt(RecordBatchHeader.LAST_OFFSET_DELTA, delta);
            recomputeCrc(batch, 0);
            return batch;
        };
    }

    private static UnaryOperator<ByteBuffer> asControlBatch() {
        return b -> {
            ByteBuffer batch = copyOf(b);
            batch.putShort(RecordBatchHeader.ATTRIBUTES,
                    (short) (batch.getShort(RecordBatchHeader.ATTRIBUTES) | 0x20));
            recomputeCrc(batch, 0);
            return batch;
        };
    }

    private static UnaryOperator<ByteBuffer> replacedBy(ByteBuffer other) {
        return b -> copyOf(other);
    }

    /** Stores the CRC-32C of bytes 21 to the end of the batch at {@code at} in its CRC field. */
    private static void recomputeCrc(ByteBuffer b, int at) {
        CRC32C crc = new CRC32C();
        int end = at + RecordBatchHeader.sizeInBytes(b, at);
        crc.update(b.duplicate().limit(end).position(at + RecordBatchHeader.ATTRIBUTES));
        b.putInt(at + RecordBatchHeader.CRC, (int) crc.getValue());
    }

    /** Where record {@code n}'s offset delta varint lies in an uncompressed batch at position 0. */
    private static int offsetDeltaPosition(ByteBuffer batch, int n) {
        Varints r = new Varints(batch, RecordBatchHeader.RECORDS, batch.limit());
        for (int i = 0; i < n; i++) {
            int length = r.readVarint();
            r.skip(length);
        }
        r.readVarint(); // length
        r.readByte(); // attributes
        r.readVarlong(); // timestamp delta
        return r.position();
    }

    private static List<Long> batchBaseOffsets(ByteBuffer bytes) {
        List<Long> bases = new ArrayList<>();
        for (int at = 0; at < bytes.limit(); at += RecordBatchHeader.sizeInBytes(bytes, at)) {
            bases.add(RecordBatchHeader.baseOffset(bytes, at));
        }
        return bases;
    }

    /** A copy of the remaining bytes, at position 0 of a buffer of its own. */
    private static ByteBuffer copyOf(ByteBuffer b) {
        return TestBatches.concat(b);
    }
}
