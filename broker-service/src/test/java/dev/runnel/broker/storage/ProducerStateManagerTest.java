package dev.runnel.broker.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.broker.record.KafkaRecordBatches;
import dev.runnel.broker.record.KafkaRecordBatches.ProducerInfo;
import dev.runnel.broker.record.KafkaRecordBatches.SimpleRecord;
import dev.runnel.broker.record.RecordCodec;
import dev.runnel.broker.storage.ProducerStateEntry.BatchMetadata;
import dev.runnel.broker.storage.ProducerStateManager.DuplicateBatch;
import dev.runnel.testing.ManualClock;

class ProducerStateManagerTest {

    private static final long PID = 1000L;
    private static final long OTHER_PID = 2000L;
    private static final long EXPIRATION_MS = Duration.ofDays(1).toMillis();

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock();
    private ProducerStateManager state;

    @BeforeEach
    void openEmptyState() throws IOException {
        state = reopen(0, 0);
    }

    // ---- sequences --------------------------------------------------------------------------

    @Test
    void inOrderBatchesAreAcceptedAndRecordedWithTheirOffsets() {
        long ts = clock.millis();

        assertThat(produce(batch(PID, 0, 0, 3))).isNull();
        assertThat(produce(batch(PID, 0, 3, 2))).isNull();

        ProducerStateEntry entry = state.activeProducers().get(PID);
        assertThat(entry.producerEpoch()).isZero();
        assertThat(entry.batches())
                .containsExactly(new BatchMetadata(0, 2, 0, 2, ts), new BatchMetadata(3, 4, 3, 4, ts));
        assertThat(entry.lastSeq()).isEqualTo(4);
        assertThat(entry.lastAppendTimeMs()).isEqualTo(ts);
        assertThat(state.mapEndOffset()).isEqualTo(5);
    }

    @Test
    void aRetriedBatchIsADuplicateAnsweredWithItsOriginalOffsets() {
        produce(batch(PID, 0, 0, 2));
        produce(batch(PID, 0, 2, 2));

        DuplicateBatch duplicate = state.checkLeaderAppend(batch(PID, 0, 2, 2));

        assertThat(duplicate).isEqualTo(new DuplicateBatch(2, 3, clock.millis()));
        assertThat(state.mapEndOffset()).isEqualTo(4);
    }

    @Test
    void aRetryOfAnyOfTheLastFiveBatchesIsADuplicate() {
        for (int seq = 0; seq < 5; seq++) {
            produce(plainBatch(1));
            produce(batch(PID, 0, seq, 1));
        }

        assertThat(state.checkLeaderAppend(batch(PID, 0, 0, 1))).isEqualTo(new DuplicateBatch(1, 1, clock.millis()));
        assertThat(state.checkLeaderAppend(batch(PID, 0, 2, 1))).isEqualTo(new DuplicateBatch(5, 5, clock.millis()));
    }

    @Test
    void aRetryOfABatchOlderThanTheLastFiveIsADuplicateWhoseOffsetsAreForgotten() {
        for (int seq = 0; seq < 6; seq++) {
            produce(plainBatch(1));
            produce(batch(PID, 0, seq, 1));
        }

        assertThat(state.activeProducers().get(PID).batches()).extracting(BatchMetadata::firstSeq)
                .containsExactly(1, 2, 3, 4, 5);
        // Sequence 0 went to offset 1; the oldest retained batch (sequence 1) is at offset 3.
        DuplicateBatch forgotten = state.checkLeaderAppend(batch(PID, 0, 0, 1));
        assertThat(forgotten).isEqualTo(DuplicateBatch.beforeRetained(3));
        assertThat(forgotten.offsetsKnown()).isFalse();
        assertThat(forgotten.toAppendInfo(0).offsetsUnknown()).isTrue();
        assertThat(forgotten.toAppendInfo(0).nextOffset()).as("an acks=all answer waits for the HW to pass it")
                .isEqualTo(3);
        // Reaching into the retained ones it is no retry: refused as before; at a new epoch, a new start.
        assertRefused(batch(PID, 0, 0, 2), LogError.OUT_OF_ORDER_SEQUENCE);
        assertThat(state.checkLeaderAppend(batch(PID, 1, 0, 1))).isNull();
    }

    @Test
    void whileTheRetainedSequencesWrapAnOlderBatchIsStillOutOfOrder() {
        for (int seq : new int[] {Integer.MAX_VALUE - 2, Integer.MAX_VALUE - 1, Integer.MAX_VALUE, 0, 1}) {
            produce(batch(PID, 0, seq, 1));
        }

        assertThat(state.activeProducers().get(PID).batches()).extracting(BatchMetadata::firstSeq)
                .containsExactly(Integer.MAX_VALUE - 2, Integer.MAX_VALUE - 1, Integer.MAX_VALUE, 0, 1);
        assertRefused(batch(PID, 0, Integer.MAX_VALUE - 3, 1), LogError.OUT_OF_ORDER_SEQUENCE);
        assertThat(produce(batch(PID, 0, 2, 1))).as("the next batch is appended, not taken for an old one").isNull();
    }

    @Test
    void aRetryWithAnotherSequenceRangeIsNotADuplicate() {
        produce(batch(PID, 0, 0, 3));

        assertRefused(batch(PID, 0, 0, 2), LogError.OUT_OF_ORDER_SEQUENCE);
    }

    @Test
    void aGapInTheSequenceIsOutOfOrder() {
        produce(batch(PID, 0, 0, 3));

        assertRefused(batch(PID, 0, 4, 1), LogError.OUT_OF_ORDER_SEQUENCE);
    }

    @Test
    void sequencesWrapFromIntegerMaxValueToZero() {
        assertThat(produce(batch(PID, 0, Integer.MAX_VALUE - 1, 3))).isNull();
        assertThat(state.activeProducers().get(PID).lastSeq()).isZero();

        assertThat(produce(batch(PID, 0, 1, 1))).isNull();
        assertThat(state.checkLeaderAppend(batch(PID, 0, Integer.MAX_VALUE - 1, 3)))
                .isEqualTo(new DuplicateBatch(0, 2, clock.millis()));
    }

    @Test
    void aBatchEndingAtIntegerMaxValueIsFollowedBySequenceZero() {
        produce(batch(PID, 0, Integer.MAX_VALUE - 1, 2));

        assertRefused(batch(PID, 0, 1, 1), LogError.OUT_OF_ORDER_SEQUENCE);
        assertThat(produce(batch(PID, 0, 0, 1))).isNull();
    }

    @Test
    void anUnknownProducerIsAcceptedAtAnySequence() {
        assertThat(produce(batch(PID, 3, 42, 2))).isNull();

        assertThat(state.activeProducers().get(PID).lastSeq()).isEqualTo(43);
        assertRefused(batch(PID, 3, 45, 1), LogError.OUT_OF_ORDER_SEQUENCE);
    }

    @Test
    void batchesWithoutAProducerIdAreNotCheckedButMoveTheMapEnd() {
        assertThat(produce(plainBatch(4))).isNull();
        assertThat(state.checkLeaderAppend(plainBatch(4))).isNull();

        assertThat(state.activeProducers()).isEmpty();
        assertThat(state.mapEndOffset()).isEqualTo(4);
    }

    @Test
    void aBatchWithAProducerIdButNoSequenceIsInvalid() {
        ByteBuffer noSequence = batch(PID, 0, 0, 1);
        // kafka-clients will not build such a batch; the check reads only the header, not the CRC.
        noSequence.putInt(RecordBatchHeader.BASE_SEQUENCE, -1);

        assertRefused(noSequence, LogError.INVALID_RECORD);
    }

    @Test
    void theBatchesOfOneProducerInOneRequestMustFollowEachOther() {
        ByteBuffer inOrder = TestBatches.concat(batch(PID, 0, 0, 2), batch(OTHER_PID, 0, 7, 1), batch(PID, 0, 2, 2));
        assertThat(produce(inOrder)).isNull();
        assertThat(state.activeProducers().get(PID).lastSeq()).isEqualTo(3);

        assertRefused(TestBatches.concat(batch(PID, 0, 4, 1), batch(PID, 0, 6, 1)), LogError.OUT_OF_ORDER_SEQUENCE);
        assertRefused(TestBatches.concat(batch(OTHER_PID, 0, 8, 1), batch(OTHER_PID, 0, 8, 1)),
                LogError.OUT_OF_ORDER_SEQUENCE);
    }

    @Test
    void aRetriedBatchInsideAMultiBatchRequestIsNotAnsweredAsADuplicate() {
        produce(batch(PID, 0, 0, 1));

        assertRefused(TestBatches.concat(batch(PID, 0, 0, 1), batch(PID, 0, 1, 1)), LogError.OUT_OF_ORDER_SEQUENCE);
        assertRefused(TestBatches.concat(plainBatch(1), batch(PID, 0, 0, 1)), LogError.OUT_OF_ORDER_SEQUENCE);
    }

    @Test
    void aCheckChangesNothingWhetherItPassesOrThrows() {
        produce(batch(PID, 0, 0, 2));
        Map<Long, ProducerStateEntry> before = state.activeProducers();

        assertThat(state.checkLeaderAppend(batch(PID, 0, 2, 1))).isNull();
        assertRefused(TestBatches.concat(batch(PID, 0, 2, 1), batch(PID, 0, 9, 1)), LogError.OUT_OF_ORDER_SEQUENCE);
        assertRefused(TestBatches.concat(batch(OTHER_PID, 0, 0, 1), batch(PID, 1, 5, 1)),
                LogError.OUT_OF_ORDER_SEQUENCE);

        assertThat(state.activeProducers()).isEqualTo(before);
        assertThat(state.mapEndOffset()).isEqualTo(2);
        assertThat(state.checkLeaderAppend(batch(PID, 0, 2, 1))).isNull();
    }

    // ---- epochs -----------------------------------------------------------------------------

    @Test
    void anOlderEpochIsAnInvalidProducerEpoch() {
        produce(batch(PID, 1, 0, 1));

        assertRefused(batch(PID, 0, 1, 1), LogError.INVALID_PRODUCER_EPOCH);
    }

    @Test
    void aRetryOfABatchFromBeforeAnEpochBumpIsAnInvalidProducerEpoch() {
        produce(batch(PID, 0, 0, 1));
        produce(batch(PID, 1, 0, 1));

        assertRefused(batch(PID, 0, 0, 1), LogError.INVALID_PRODUCER_EPOCH);
    }

    @Test
    void aNewEpochMustStartAtSequenceZeroAndForgetsTheOldBatches() {
        produce(batch(PID, 0, 0, 3));

        assertRefused(batch(PID, 1, 3, 1), LogError.OUT_OF_ORDER_SEQUENCE);
        assertThat(produce(batch(PID, 1, 0, 1))).isNull();

        ProducerStateEntry entry = state.activeProducers().get(PID);
        assertThat(entry.producerEpoch()).isEqualTo((short) 1);
        assertThat(entry.batches()).containsExactly(new BatchMetadata(0, 0, 3, 3, clock.millis()));
    }

    @Test
    void updateRecordsAFollowersBatchesWithoutCheckingThem() {
        produce(batch(PID, 2, 0, 1));

        state.update(withOffsets(batch(PID, 1, 9, 2), 10), clock.millis());

        assertThat(state.activeProducers().get(PID).batches()).containsExactly(new BatchMetadata(9, 10, 10, 11,
                clock.millis()));
        assertThat(state.mapEndOffset()).isEqualTo(12);
    }

    // ---- expiry -----------------------------------------------------------------------------

    @Test
    void aProducerExpiresOnceItHasNotAppendedForTheExpirationTime() {
        produce(batch(PID, 0, 0, 1));
        clock.advance(Duration.ofMillis(EXPIRATION_MS / 2));
        produce(batch(OTHER_PID, 0, 0, 1));

        clock.advance(Duration.ofMillis(EXPIRATION_MS / 2 - 1));
        state.removeExpiredProducers(clock.millis());
        assertThat(state.activeProducers()).containsOnlyKeys(PID, OTHER_PID);

        clock.advance(Duration.ofMillis(1));
        state.removeExpiredProducers(clock.millis());
        assertThat(state.activeProducers()).containsOnlyKeys(OTHER_PID);
        assertThat(produce(batch(PID, 0, 7, 1))).as("an expired producer is unknown: any sequence").isNull();
    }

    @Test
    void expiredProducersAreNotLoadedFromASnapshot() throws IOException {
        produce(batch(PID, 0, 0, 1));
        clock.advance(Duration.ofHours(1));
        produce(batch(OTHER_PID, 0, 0, 1));
        state.takeSnapshot();

        clock.advance(Duration.ofMillis(EXPIRATION_MS - Duration.ofHours(1).toMillis()));
        ProducerStateManager reopened = reopen(0, 2);

        assertThat(reopened.activeProducers()).containsOnlyKeys(OTHER_PID);
        assertThat(reopened.mapEndOffset()).isEqualTo(2);
    }

    // ---- snapshots --------------------------------------------------------------------------

    @Test
    void aSnapshotRestoresTheSameStateAndMapEndInANewManager() throws IOException {
        for (int seq = 0; seq < 7; seq++) {
            produce(batch(PID, 2, seq * 2, 2));
            clock.advance(Duration.ofSeconds(1));
        }
        produce(batch(OTHER_PID, 0, 100, 3));
        produce(plainBatch(2));
        state.takeSnapshot();

        ProducerStateManager reopened = reopen(0, state.mapEndOffset());

        assertThat(Files.exists(dir.resolve("00000000000000000019.snapshot"))).isTrue();
        assertThat(reopened.activeProducers()).isEqualTo(state.activeProducers());
        assertThat(reopened.mapEndOffset()).isEqualTo(19);
        assertThat(reopened.latestSnapshotOffset()).hasValue(19);
        assertThat(reopened.checkLeaderAppend(batch(PID, 2, 4, 2))).isEqualTo(new DuplicateBatch(4, 5,
                clock.millis() - 5000));
    }

    @Test
    void aReloadWithoutSnapshotsStartsEmptyAtTheLogStart() throws IOException {
        produce(batch(PID, 0, 0, 3));

        state.truncateAndReload(7, 20, clock.millis());

        assertThat(state.activeProducers()).isEmpty();
        assertThat(state.mapEndOffset()).isEqualTo(7);
        assertThat(state.latestSnapshotOffset()).isEmpty();
    }

    @Test
    void aReloadDeletesSnapshotsAboveTheLogEndAndLoadsTheNewestBelow() throws IOException {
        Map<Long, Map<Long, ProducerStateEntry>> stateAt = produceWithSnapshotsAt2And4And6();

        ProducerStateManager reopened = reopen(0, 5);

        assertThat(snapshotFiles()).containsExactly(2L, 4L);
        assertThat(reopened.mapEndOffset()).isEqualTo(4);
        assertThat(reopened.activeProducers()).isEqualTo(stateAt.get(4L));
    }

    @Test
    void truncatingTheLogEndReloadsTheLiveStateFromAnOlderSnapshot() throws IOException {
        Map<Long, Map<Long, ProducerStateEntry>> stateAt = produceWithSnapshotsAt2And4And6();

        state.truncateAndReload(0, 3, clock.millis());

        assertThat(snapshotFiles()).containsExactly(2L);
        assertThat(state.mapEndOffset()).isEqualTo(2);
        assertThat(state.activeProducers()).isEqualTo(stateAt.get(2L));
        assertThat(produce(batch(PID, 0, 1, 1))).as("the truncated batch's sequence is free again").isNull();
    }

    @Test
    void aReloadDeletesSnapshotsBelowTheLogStart() throws IOException {
        Map<Long, Map<Long, ProducerStateEntry>> stateAt = produceWithSnapshotsAt2And4And6();

        ProducerStateManager reopened = reopen(5, 6);

        assertThat(snapshotFiles()).containsExactly(6L);
        assertThat(reopened.activeProducers()).isEqualTo(stateAt.get(6L));
    }

    @Test
    void aCorruptNewestSnapshotIsDeletedAndTheOlderOneLoaded() throws IOException {
        Map<Long, Map<Long, ProducerStateEntry>> stateAt = produceWithSnapshotsAt2And4And6();
        Path newest = ProducerSnapshotFile.at(dir, 6).file();
        byte[] bytes = Files.readAllBytes(newest);
        bytes[bytes.length - 1] ^= 0x01;
        Files.write(newest, bytes);

        ProducerStateManager reopened = reopen(0, 6);

        assertThat(snapshotFiles()).containsExactly(2L, 4L);
        assertThat(reopened.mapEndOffset()).isEqualTo(4);
        assertThat(reopened.activeProducers()).isEqualTo(stateAt.get(4L));
    }

    @Test
    void aTruncatedOnlySnapshotIsDeletedAndTheStateStartsEmpty() throws IOException {
        produce(batch(PID, 0, 0, 2));
        state.takeSnapshot();
        Path file = ProducerSnapshotFile.at(dir, 2).file();
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length / 2));

        ProducerStateManager reopened = reopen(0, 2);

        assertThat(snapshotFiles()).isEmpty();
        assertThat(reopened.latestSnapshotOffset()).isEmpty();
        assertThat(reopened.activeProducers()).isEmpty();
        assertThat(reopened.mapEndOffset()).isZero();
    }

    @Test
    void takeSnapshotKeepsAnExistingSnapshotAtTheSameOffset() throws IOException {
        produce(batch(PID, 0, 0, 2));
        state.takeSnapshot();

        state.removeExpiredProducers(clock.millis() + EXPIRATION_MS);
        state.takeSnapshot();

        assertThat(reopen(0, 2).activeProducers()).containsOnlyKeys(PID);
    }

    @Test
    void deleteSnapshotsBelowKeepsTheSnapshotAtTheOffsetAndAbove() throws IOException {
        produceWithSnapshotsAt2And4And6();

        state.deleteSnapshotsBelow(4);

        assertThat(snapshotFiles()).containsExactly(4L, 6L);
        assertThat(state.latestSnapshotOffset()).hasValue(6);
    }

    @Test
    void truncateFullyForgetsEveryProducerAndSnapshot() throws IOException {
        produceWithSnapshotsAt2And4And6();

        state.truncateFullyAndStartAt(50);

        assertThat(snapshotFiles()).isEmpty();
        assertThat(state.activeProducers()).isEmpty();
        assertThat(state.mapEndOffset()).isEqualTo(50);
    }

    @Test
    void openDeletesASnapshotACrashLeftHalfWritten() throws IOException {
        Path temp = dir.resolve("00000000000000000009.snapshot.tmp");
        Files.write(temp, new byte[] {0, 1, 2});

        ProducerStateManager reopened = reopen(0, 9);

        assertThat(Files.exists(temp)).isFalse();
        assertThat(reopened.latestSnapshotOffset()).isEmpty();
    }

    // ---- helpers ----------------------------------------------------------------------------

    private ProducerStateManager reopen(long logStartOffset, long logEndOffset) throws IOException {
        ProducerStateManager manager = ProducerStateManager.open(dir, EXPIRATION_MS);
        manager.truncateAndReload(logStartOffset, logEndOffset, clock.millis());
        return manager;
    }

    /** Two producers' batches at offsets 0-5, a snapshot after every two; returns the state at each snapshot. */
    private Map<Long, Map<Long, ProducerStateEntry>> produceWithSnapshotsAt2And4And6() throws IOException {
        Map<Long, Map<Long, ProducerStateEntry>> stateAt = new HashMap<>();
        for (int seq = 0; seq < 3; seq++) {
            produce(batch(PID, 0, seq, 1));
            produce(batch(OTHER_PID, 0, seq, 1));
            state.takeSnapshot();
            stateAt.put(state.mapEndOffset(), state.activeProducers());
        }
        assertThat(snapshotFiles()).containsExactly(2L, 4L, 6L);
        return stateAt;
    }

    /** What the leader does with a request: check it, then unless it is a duplicate, assign offsets and record it. */
    private DuplicateBatch produce(ByteBuffer records) {
        DuplicateBatch duplicate = state.checkLeaderAppend(records);
        if (duplicate == null) {
            state.update(withOffsets(records, state.mapEndOffset()), clock.millis());
        }
        return duplicate;
    }

    private void assertRefused(ByteBuffer records, LogError error) {
        assertThatThrownBy(() -> state.checkLeaderAppend(records))
                .isInstanceOfSatisfying(LogException.class, e -> assertThat(e.error()).isEqualTo(error));
    }

    /** {@code count} records from producer {@code pid}, sequences from {@code firstSeq}, stamped now. */
    private ByteBuffer batch(long pid, int epoch, int firstSeq, int count) {
        return KafkaRecordBatches.batch(RecordCodec.NONE, new ProducerInfo(pid, (short) epoch, firstSeq),
                records(count));
    }

    private ByteBuffer plainBatch(int count) {
        return KafkaRecordBatches.batch(RecordCodec.NONE, ProducerInfo.NONE, records(count));
    }

    private List<SimpleRecord> records(int count) {
        List<SimpleRecord> records = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            records.add(new SimpleRecord(clock.millis(), null, new byte[] {(byte) i}));
        }
        return records;
    }

    /** Gives the batches offsets from {@code nextOffset}, as the leader's append does. */
    private static ByteBuffer withOffsets(ByteBuffer records, long nextOffset) {
        long offset = nextOffset;
        for (int at = records.position(); at < records.limit(); at += RecordBatchHeader.sizeInBytes(records, at)) {
            RecordBatchHeader.setBaseOffset(records, at, offset);
            offset += RecordBatchHeader.lastOffsetDelta(records, at) + 1L;
        }
        return records;
    }

    private List<Long> snapshotFiles() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(ProducerSnapshotFile::of).flatMap(Optional::stream)
                    .map(ProducerSnapshotFile::offset).sorted().toList();
        }
    }
}
