package dev.runnel.broker.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.zip.CRC32C;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.broker.record.KafkaRecordBatches;
import dev.runnel.broker.record.KafkaRecordBatches.ProducerInfo;
import dev.runnel.broker.record.KafkaRecordBatches.SimpleRecord;
import dev.runnel.broker.record.RecordCodec;
import dev.runnel.broker.storage.ProducerStateManager.CompletedTxn;
import dev.runnel.broker.storage.ProducerStateManager.TxnMetadata;
import dev.runnel.broker.storage.ProducerStateManager.VerificationGuard;
import dev.runnel.testing.ManualClock;

/**
 * The transactional side of {@link ProducerStateManager}: transactions opened by transactional
 * batches and ended by markers, the checks on both, the first unstable offset, expiry and
 * snapshots. The cases follow Kafka's {@code ProducerStateManagerTest}.
 */
class ProducerStateTransactionsTest {

    private static final long PID = 1000L;
    private static final long OTHER = 2000L;
    private static final long EXPIRATION_MS = Duration.ofDays(1).toMillis();

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock();
    private ProducerStateManager state;

    @BeforeEach
    void open() throws IOException {
        state = ProducerStateManager.open(dir, EXPIRATION_MS);
        state.truncateAndReload(0, 0, clock.millis());
    }

    // ---- opening and ending transactions ----------------------------------------------------

    @Test
    void aTransactionalBatchOpensATransactionThatACommitMarkerCompletes() {
        assertThat(append(txnBatch(PID, 0, 0, 3))).isEmpty();
        assertThat(state.producer(PID).orElseThrow().currentTxnFirstOffset()).isZero();
        assertThat(state.transactions().firstUnstableOffset()).isZero();
        assertThat(append(txnBatch(PID, 0, 3, 2))).isEmpty();
        assertThat(state.producer(PID).orElseThrow().currentTxnFirstOffset()).isZero();

        List<CompletedTxn> completed = appendMarker(PID, 0, 5, true);

        assertThat(completed).containsExactly(new CompletedTxn(PID, 0, 5, false));
        assertThat(state.producer(PID).orElseThrow().hasOpenTransaction()).isFalse();
        assertThat(state.producer(PID).orElseThrow().coordinatorEpoch()).isEqualTo(5);
        // Until completeTxn, the transaction is still ongoing: the LSO is computed first.
        assertThat(state.transactions().ongoing()).containsExactly(new TxnMetadata(PID, 0, clock.millis(), -1));
        assertThat(state.transactions().lastStableOffset(completed.get(0))).isEqualTo(6);

        state.transactions().complete(completed.get(0));
        assertThat(state.transactions().ongoing()).isEmpty();
        assertThat(state.transactions().firstUnstableOffset()).as("unreplicated until the high watermark passes the marker").isZero();
        state.transactions().onHighWatermarkUpdated(5);
        assertThat(state.transactions().firstUnstableOffset()).isZero();
        state.transactions().onHighWatermarkUpdated(6);
        assertThat(state.transactions().firstUnstableOffset()).isEqualTo(-1);
    }

    @Test
    void theLastStableOffsetOfACompletedTransactionStopsAtAnotherProducersOpenOne() {
        append(txnBatch(PID, 0, 0, 2));   // 0-1
        append(txnBatch(OTHER, 0, 0, 2)); // 2-3
        List<CompletedTxn> completed = appendMarker(PID, 0, 1, false); // 4

        assertThat(completed).containsExactly(new CompletedTxn(PID, 0, 4, true));
        assertThat(state.transactions().lastStableOffset(completed.get(0))).isEqualTo(2);
        state.transactions().complete(completed.get(0));
        state.transactions().onHighWatermarkUpdated(5);
        assertThat(state.transactions().firstUnstableOffset()).isEqualTo(2);
    }

    @Test
    void theFirstUnstableOffsetIsTheOldestOfOngoingAndUnreplicatedTransactions() {
        append(txnBatch(PID, 0, 0, 1));   // 0
        append(txnBatch(OTHER, 0, 0, 1)); // 1
        complete(appendMarker(PID, 0, 1, true)); // 2
        assertThat(state.transactions().firstUnstableOffset()).isZero();
        state.transactions().onHighWatermarkUpdated(3);
        assertThat(state.transactions().firstUnstableOffset()).isEqualTo(1);
        complete(appendMarker(OTHER, 0, 1, true)); // 3
        assertThat(state.transactions().firstUnstableOffset()).isEqualTo(1);
        state.transactions().onHighWatermarkUpdated(4);
        assertThat(state.transactions().firstUnstableOffset()).isEqualTo(-1);
    }

    @Test
    void aMarkerForAProducerWithNoOpenTransactionCompletesNothingButRecordsItsEpochs() {
        assertThat(appendMarker(PID, 3, 7, false)).isEmpty();

        ProducerStateEntry entry = state.producer(PID).orElseThrow();
        assertThat(entry.producerEpoch()).isEqualTo((short) 3);
        assertThat(entry.coordinatorEpoch()).isEqualTo(7);
        assertThat(entry.batches()).isEmpty();
        assertThat(state.transactions().firstUnstableOffset()).isEqualTo(-1);
    }

    @Test
    void aMarkerAtANewEpochDropsTheRetainedBatchesAndFencesTheOldEpoch() {
        append(txnBatch(PID, 0, 0, 2));
        complete(appendMarker(PID, 1, 0, false)); // the coordinator fenced epoch 0 and aborted

        ProducerStateEntry entry = state.producer(PID).orElseThrow();
        assertThat(entry.producerEpoch()).isEqualTo((short) 1);
        assertThat(entry.batches()).isEmpty();
        assertRefused(txnBatch(PID, 0, 2, 1), AppendOrigin.CLIENT, LogError.INVALID_PRODUCER_EPOCH);
        assertRefused(txnBatch(PID, 2, 5, 1), AppendOrigin.CLIENT, LogError.OUT_OF_ORDER_SEQUENCE);
        assertThat(append(txnBatch(PID, 2, 0, 1))).isEmpty();
    }

    @Test
    void aMarkerAtTheSameEpochKeepsTheSequenceGoing() {
        append(txnBatch(PID, 0, 0, 2));
        complete(appendMarker(PID, 0, 0, true));

        VerificationGuard guard = state.maybeStartVerification(PID, (short) 0, clock.millis());
        assertThatThrownBy(() -> state.checkLeaderAppend(txnBatch(PID, 0, 0, 1), AppendOrigin.CLIENT, guard))
                .isInstanceOfSatisfying(LogException.class,
                        e -> assertThat(e.error()).isEqualTo(LogError.OUT_OF_ORDER_SEQUENCE));
        assertThat(state.checkLeaderAppend(txnBatch(PID, 0, 2, 1), AppendOrigin.CLIENT, guard)).isNull();
    }

    @Test
    void aCleanedAwayMarkerChangesNothing() {
        append(txnBatch(PID, 0, 0, 2));
        ByteBuffer empty = emptyControlBatch(PID, (short) 0);

        assertThat(state.update(withOffsets(empty, state.mapEndOffset()), clock.millis())).isEmpty();
        assertThat(state.producer(PID).orElseThrow().currentTxnFirstOffset()).isZero();
    }

    // ---- what is refused --------------------------------------------------------------------

    @Test
    void aNonTransactionalBatchWhileTheProducersTransactionIsOpenIsRefused() {
        append(txnBatch(PID, 0, 0, 2));

        assertRefused(idempotentBatch(PID, 0, 2, 1), AppendOrigin.CLIENT, LogError.INVALID_TXN_STATE);
        assertThat(state.checkLeaderAppend(txnBatch(PID, 0, 2, 1), AppendOrigin.CLIENT)).isNull();
    }

    @Test
    void aRequestThatOpensATransactionCannotThenWriteOutsideIt() {
        ByteBuffer both = TestBatches.concat(txnBatch(PID, 0, 0, 1), idempotentBatch(PID, 0, 1, 1));

        assertRefused(both, AppendOrigin.CLIENT, LogError.INVALID_TXN_STATE);
    }

    @Test
    void clientsMayNotWriteMarkers() {
        assertRefused(marker(PID, 0, 0, true), AppendOrigin.CLIENT, LogError.INVALID_RECORD);
    }

    @Test
    void aControlBatchThatIsNotATransactionMarkerIsRefused() {
        assertRefused(emptyControlBatch(PID, (short) 0), AppendOrigin.COORDINATOR, LogError.INVALID_RECORD);
    }

    @Test
    void aMarkerWithAnOlderProducerEpochIsRefused() {
        append(txnBatch(PID, 2, 0, 1));

        assertRefused(marker(PID, 1, 0, false), AppendOrigin.COORDINATOR, LogError.INVALID_PRODUCER_EPOCH);
    }

    @Test
    void aMarkerFromAnOlderCoordinatorEpochIsFenced() {
        append(txnBatch(PID, 0, 0, 1));
        complete(appendMarker(PID, 0, 5, true));
        append(txnBatch(PID, 0, 1, 1));

        assertRefused(marker(PID, 0, 4, true), AppendOrigin.COORDINATOR, LogError.TRANSACTION_COORDINATOR_FENCED);
        assertThat(state.checkLeaderAppend(marker(PID, 0, 5, true), AppendOrigin.COORDINATOR)).isNull();
        assertThat(state.checkLeaderAppend(marker(PID, 0, 6, true), AppendOrigin.COORDINATOR)).isNull();
    }

    @Test
    void aCoordinatorsTransactionalBatchHasOnlyItsEpochChecked() {
        // The group coordinator writes a transactional offset commit at sequence 0 every time, as Kafka's does.
        append(txnBatch(PID, 4, 0, 3)); // 0-2, the producer's own data on this partition
        ByteBuffer offsetCommit = txnBatch(PID, 4, 0, 2);
        assertRefused(txnBatch(PID, 4, 0, 2), AppendOrigin.CLIENT, LogError.OUT_OF_ORDER_SEQUENCE);
        assertThat(state.checkLeaderAppend(offsetCommit, AppendOrigin.COORDINATOR)).isNull();
        assertRefused(txnBatch(PID, 3, 0, 1), AppendOrigin.COORDINATOR, LogError.INVALID_PRODUCER_EPOCH);
        assertRefused(idempotentBatch(PID, 4, 0, 1), AppendOrigin.COORDINATOR, LogError.INVALID_TXN_STATE);

        state.update(withOffsets(offsetCommit, state.mapEndOffset()), clock.millis()); // 3-4
        assertThat(state.producer(PID).orElseThrow().currentTxnFirstOffset()).isZero();
        assertThat(completeAll(appendMarker(PID, 4, 0, true))).containsExactly(new CompletedTxn(PID, 0, 5, false));
    }

    @Test
    void aCoordinatorsFirstBatchForAProducerOpensItsTransaction() {
        ByteBuffer offsetCommit = txnBatch(PID, 2, 0, 1);
        assertRefused(offsetCommit, AppendOrigin.COORDINATOR, LogError.INVALID_TXN_STATE);
        VerificationGuard guard = state.maybeStartVerification(PID, (short) 2, clock.millis());
        assertThat(state.checkLeaderAppend(offsetCommit, AppendOrigin.COORDINATOR, guard)).isNull();
        state.update(withOffsets(offsetCommit, 0), clock.millis());

        assertThat(state.transactions().ongoing()).containsExactly(new TxnMetadata(PID, 0, clock.millis(), -1));
        assertThat(completeAll(appendMarker(PID, 2, 0, false))).containsExactly(new CompletedTxn(PID, 0, 1, true));
    }

    // ---- verification (KIP-890 part 1) -------------------------------------------------------

    @Test
    void aTransactionalBatchThatWouldOpenATransactionNeedsTheGuardOfItsVerification() {
        assertRefused(txnBatch(PID, 0, 0, 1), AppendOrigin.CLIENT, LogError.INVALID_TXN_STATE);

        VerificationGuard first = state.maybeStartVerification(PID, (short) 0, clock.millis());
        VerificationGuard other = state.maybeStartVerification(OTHER, (short) 0, clock.millis());
        assertThatThrownBy(() -> state.checkLeaderAppend(txnBatch(PID, 0, 0, 1), AppendOrigin.CLIENT, other))
                .hasMessageContaining("not part of an ongoing transaction");
        // A pipelined request verified meanwhile gets the same guard, so the first one's stays good.
        VerificationGuard second = state.maybeStartVerification(PID, (short) 0, clock.millis());
        assertThat(second).isSameAs(first);
        assertThat(state.checkLeaderAppend(txnBatch(PID, 0, 0, 1), AppendOrigin.CLIENT, first)).isNull();
    }

    @Test
    void onceTheTransactionIsOpenItsBatchesNeedNoGuardUntilItsMarker() {
        append(txnBatch(PID, 0, 0, 1));
        assertThat(state.verificationGuard(PID)).as("the open transaction cleared it").isEmpty();
        assertThat(state.maybeStartVerification(PID, (short) 0, clock.millis())).isNull();
        assertThat(state.checkLeaderAppend(txnBatch(PID, 0, 1, 1), AppendOrigin.CLIENT, null)).isNull();

        complete(appendMarker(PID, 0, 0, true));

        assertRefused(txnBatch(PID, 0, 1, 1), AppendOrigin.CLIENT, LogError.INVALID_TXN_STATE);
    }

    @Test
    void aMarkerEndsAVerificationUnderWaySoItsGuardNoLongerOpensATransaction() {
        VerificationGuard guard = state.maybeStartVerification(PID, (short) 0, clock.millis());
        appendMarker(PID, 1, 0, false); // the coordinator aborted (and fenced) meanwhile

        assertThatThrownBy(() -> state.checkLeaderAppend(txnBatch(PID, 1, 0, 1), AppendOrigin.CLIENT, guard))
                .isInstanceOf(LogException.class);
    }

    @Test
    void aVerificationThatNeverEndsExpiresWithTheProducerExpiration() {
        state.maybeStartVerification(PID, (short) 0, clock.millis());
        clock.advance(Duration.ofMillis(EXPIRATION_MS));

        state.removeExpiredProducers(clock.millis());

        assertThat(state.verificationGuard(PID)).isEmpty();
    }

    // ---- expiry and snapshots ---------------------------------------------------------------

    @Test
    void aProducerWithAnOpenTransactionIsNeverExpired() {
        append(txnBatch(PID, 0, 0, 1));
        append(idempotentBatch(OTHER, 0, 0, 1));
        clock.advance(Duration.ofMillis(EXPIRATION_MS * 3));

        state.removeExpiredProducers(clock.millis());

        assertThat(state.activeProducers()).containsOnlyKeys(PID);
    }

    @Test
    void aSnapshotKeepsOpenTransactionsAndCoordinatorEpochsAcrossAReload() throws IOException {
        append(txnBatch(PID, 0, 0, 2));              // 0-1
        complete(appendMarker(PID, 0, 9, true));     // 2
        append(txnBatch(PID, 0, 2, 1));              // 3
        append(txnBatch(OTHER, 1, 0, 1));            // 4
        state.takeSnapshot();

        ProducerStateManager reloaded = ProducerStateManager.open(dir, EXPIRATION_MS);
        reloaded.truncateAndReload(0, 5, clock.millis());

        assertThat(reloaded.activeProducers()).isEqualTo(state.activeProducers());
        assertThat(reloaded.producer(PID).orElseThrow().coordinatorEpoch()).isEqualTo(9);
        assertThat(reloaded.transactions().ongoing())
                .containsExactly(new TxnMetadata(PID, 3, clock.millis(), -1), new TxnMetadata(OTHER, 4, clock.millis(), -1));
        assertThat(reloaded.transactions().firstUnstableOffset()).isEqualTo(3);
    }

    @Test
    void aVersion1SnapshotIsReadAsProducersWithoutTransactions() throws IOException {
        ByteBuffer v1 = ByteBuffer.allocate(10 + 22 + 32);
        v1.putShort((short) 1).putInt(0).putInt(1);
        v1.putLong(PID).putShort((short) 2).putLong(1234L).putInt(1);
        v1.putInt(0).putInt(4).putLong(10L).putLong(14L).putLong(999L);
        v1.flip();
        CRC32C crc = new CRC32C();
        crc.update(v1.duplicate().position(6));
        v1.putInt(2, (int) crc.getValue());
        Files.write(ProducerSnapshotFile.at(dir, 15).file(), v1.array());

        ProducerStateManager reloaded = ProducerStateManager.open(dir, EXPIRATION_MS);
        reloaded.truncateAndReload(0, 15, 1234L);

        ProducerStateEntry entry = reloaded.producer(PID).orElseThrow();
        assertThat(entry.producerEpoch()).isEqualTo((short) 2);
        assertThat(entry.lastSeq()).isEqualTo(4);
        assertThat(entry.coordinatorEpoch()).isEqualTo(-1);
        assertThat(entry.hasOpenTransaction()).isFalse();
        assertThat(reloaded.mapEndOffset()).isEqualTo(15);
    }

    @Test
    void truncationForgetsUnreplicatedTransactionsAndReopensTheOnesTheSnapshotHadOpen() throws IOException {
        append(txnBatch(PID, 0, 0, 2)); // 0-1
        state.takeSnapshot();           // at 2, the transaction open
        complete(appendMarker(PID, 0, 0, false)); // 2, unreplicated

        state.truncateAndReload(0, 2, clock.millis());

        assertThat(state.transactions().ongoing()).containsExactly(new TxnMetadata(PID, 0, clock.millis(), -1));
        assertThat(state.transactions().firstUnstableOffset()).isZero();
        state.truncateFullyAndStartAt(10);
        assertThat(state.transactions().firstUnstableOffset()).isEqualTo(-1);
    }

    @Test
    void movingTheLogStartDropsCompletedTransactionsBelowIt() {
        append(txnBatch(PID, 0, 0, 2));
        complete(appendMarker(PID, 0, 0, true)); // 2
        assertThat(state.transactions().firstUnstableOffset()).isZero();

        state.onLogStartOffsetIncremented(3);

        assertThat(state.transactions().firstUnstableOffset()).isEqualTo(-1);
    }

    // ---- helpers ----------------------------------------------------------------------------

    /**
     * Checks as a client's append (verified with the coordinator first if it is transactional, as
     * the leader does) and records the batch at the next offsets; returns what completed.
     */
    private List<CompletedTxn> append(ByteBuffer batch) {
        VerificationGuard guard = RecordBatchHeader.isTransactional(batch, 0)
                ? state.maybeStartVerification(RecordBatchHeader.producerId(batch, 0),
                        RecordBatchHeader.producerEpoch(batch, 0), clock.millis())
                : null;
        assertThat(state.checkLeaderAppend(batch, AppendOrigin.CLIENT, guard)).isNull();
        return state.update(withOffsets(batch, state.mapEndOffset()), clock.millis());
    }

    /** Checks and records a coordinator's marker; returns what completed (not yet {@code completeTxn}'d). */
    private List<CompletedTxn> appendMarker(long pid, int epoch, int coordinatorEpoch, boolean commit) {
        ByteBuffer marker = marker(pid, epoch, coordinatorEpoch, commit);
        assertThat(state.checkLeaderAppend(marker, AppendOrigin.COORDINATOR)).isNull();
        return state.update(withOffsets(marker, state.mapEndOffset()), clock.millis());
    }

    private void complete(List<CompletedTxn> completed) {
        completeAll(completed);
    }

    private List<CompletedTxn> completeAll(List<CompletedTxn> completed) {
        completed.forEach(state.transactions()::complete);
        return completed;
    }

    private void assertRefused(ByteBuffer batch, AppendOrigin origin, LogError error) {
        assertThatThrownBy(() -> state.checkLeaderAppend(batch, origin))
                .isInstanceOfSatisfying(LogException.class, e -> assertThat(e.error()).isEqualTo(error));
    }

    private ByteBuffer txnBatch(long pid, int epoch, int firstSeq, int count) {
        return KafkaRecordBatches.batch(RecordCodec.NONE, new ProducerInfo(pid, (short) epoch, firstSeq), true,
                records(count));
    }

    private ByteBuffer idempotentBatch(long pid, int epoch, int firstSeq, int count) {
        return KafkaRecordBatches.batch(RecordCodec.NONE, new ProducerInfo(pid, (short) epoch, firstSeq), false,
                records(count));
    }

    private ByteBuffer marker(long pid, int epoch, int coordinatorEpoch, boolean commit) {
        return KafkaRecordBatches.endTxnMarker(pid, (short) epoch, coordinatorEpoch, commit, clock.millis());
    }

    /** A control batch with no record: what the cleaner leaves of a marker it removed. */
    private ByteBuffer emptyControlBatch(long pid, short epoch) {
        ByteBuffer marker = marker(pid, epoch, 0, true);
        ByteBuffer empty = ByteBuffer.allocate(RecordBatchHeader.HEADER_SIZE);
        empty.put(marker.duplicate().limit(RecordBatchHeader.HEADER_SIZE)).flip();
        empty.putInt(RecordBatchHeader.LENGTH, RecordBatchHeader.HEADER_SIZE - RecordBatchHeader.LOG_OVERHEAD);
        empty.putInt(RecordBatchHeader.RECORD_COUNT, 0);
        CRC32C crc = new CRC32C();
        crc.update(empty.duplicate().position(RecordBatchHeader.ATTRIBUTES));
        empty.putInt(RecordBatchHeader.CRC, (int) crc.getValue());
        return empty;
    }

    private List<SimpleRecord> records(int count) {
        return java.util.stream.IntStream.range(0, count)
                .mapToObj(i -> new SimpleRecord(clock.millis(), new byte[] {(byte) i}, new byte[] {(byte) i}))
                .toList();
    }

    private static ByteBuffer withOffsets(ByteBuffer records, long nextOffset) {
        long offset = nextOffset;
        for (int at = records.position(); at < records.limit(); at += RecordBatchHeader.sizeInBytes(records, at)) {
            RecordBatchHeader.setBaseOffset(records, at, offset);
            offset += RecordBatchHeader.lastOffsetDelta(records, at) + 1L;
        }
        return records;
    }
}
