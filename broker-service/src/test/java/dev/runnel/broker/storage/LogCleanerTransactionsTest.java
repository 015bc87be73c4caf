package dev.runnel.broker.storage;

import static dev.runnel.broker.storage.LogTestSupport.openFresh;
import static dev.runnel.broker.storage.LogTestSupport.reopenAfterCrash;
import static dev.runnel.broker.storage.LogTestSupport.reopenClean;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.broker.record.KafkaRecordBatches;
import dev.runnel.broker.record.KafkaRecordBatches.DecodedBatch;
import dev.runnel.broker.record.KafkaRecordBatches.ProducerInfo;
import dev.runnel.broker.record.KafkaRecordBatches.SimpleRecord;
import dev.runnel.broker.record.RecordCodec;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

/**
 * The cleaner's transaction rules on a fake clock (the cases of Kafka's {@code LogCleanerTest} on
 * transactions and markers, and Runnel's own): aborted data goes whatever its keys and never
 * shadows a committed value, markers stay while their transactions' data does and go a round
 * after their delete horizon, the cleaned {@code .txnindex} names only the aborts whose markers it
 * keeps, and producers keep their state through cleaning and a restart.
 *
 * <p>Each round cleans from the log's start (the checkpoint is not used unless a test says so),
 * up to the active segment, at the clock's time.
 */
class LogCleanerTransactionsTest {

    private static final long RETENTION_MS = Duration.ofDays(1).toMillis();
    private static final LogConfig COMPACTED = LogConfig.DEFAULTS.withCompact(true).withSegmentIndexBytes(4096);
    private static final int LEADER_EPOCH = 0;

    @TempDir
    Path root;

    private final ManualScheduler scheduler = new ManualScheduler(new ManualClock());
    private final ManualClock clock = scheduler.clock();
    private final Map<Long, Integer> sequences = new HashMap<>();
    private Cleaner cleaner = cleaner(24 * 1000, 0.9);
    private PartitionLog log;

    @AfterEach
    void close() {
        if (log != null && !log.isClosed()) {
            log.close();
        }
    }

    private Path dir() {
        return root.resolve("orders-0");
    }

    private PartitionLog open(LogConfig config) {
        log = openFresh(dir(), config, scheduler);
        return log;
    }

    // ---- Kafka's cases --------------------------------------------------------------------------

    @Test
    void abortedDataGoesWhateverItsKeysAndTheIndexStillNamesItsTransaction() {
        open(COMPACTED);
        txn(1, "1", "2");          // 0-1
        txn(2, "2", "3");          // 2-3
        txn(1, "3", "4");          // 4-5
        abort(1);                  // 6
        commit(2);                 // 7
        txn(1, "2");               // 8
        commit(1);                 // 9
        List<String> indexed = aborted();
        log.roll();

        clean();

        assertThat(keys()).containsExactly("3", "2");
        assertThat(offsets()).containsExactly(3L, 6L, 7L, 8L, 9L);
        assertThat(aborted()).isEqualTo(indexed).containsExactly("1:0-6");
    }

    @Test
    void compressedTransactionalBatchesAreCleanedAsUncompressedOnesAre() {
        for (RecordCodec codec : RecordCodec.values()) {
            log = openFresh(root.resolve(codec.name().toLowerCase() + "-0"), COMPACTED, scheduler);
            sequences.clear();
            txn(codec, 1, "1", "2");
            txn(codec, 2, "2", "3");
            txn(codec, 1, "3", "4");
            abort(1);
            commit(2);
            txn(codec, 1, "2");
            commit(1);
            log.roll();

            clean();

            assertThat(keys()).as("%s", codec).containsExactly("3", "2");
            assertThat(offsets()).as("%s", codec).containsExactly(3L, 6L, 7L, 8L, 9L);
            assertThat(aborted()).as("%s", codec).containsExactly("1:0-6");
            log.close();
        }
    }

    @Test
    void transactionsSpanningSegmentsGoOnceTheirMarkersAreBelowTheLastStableOffset() {
        open(COMPACTED);
        txn(1, "1", "2");          // 0-1
        txn(3, "2", "3");          // 2-3
        txn(2, "3", "4");          // 4-5
        log.roll();
        txn(2, "5", "6");          // 6-7
        txn(3, "6", "7");          // 8-9
        txn(1, "7", "8");          // 10-11
        abort(2);                  // 12
        txn(3, "8", "9");          // 13-14
        commit(3);                 // 15
        txn(1, "9", "10");         // 16-17
        abort(1);                  // 18

        // Only the first segment is cleaned; the aborts are found in the active segment's index.
        long dirty = clean();
        assertThat(dirty).isEqualTo(6);
        assertThat(keys()).containsExactly("2", "3", "5", "6", "6", "7", "7", "8", "8", "9", "9", "10");

        log.roll();
        txn(2, "11");              // 19, left open
        txn(1, "12");              // 20, left open
        cleanFrom(dirty);

        assertThat(keys()).containsExactly("2", "3", "6", "7", "8", "9", "11", "12");
        assertThat(log.lastStableOffset()).isEqualTo(19);
    }

    @Test
    void aCommitMarkerStaysWhileItsDataDoesThenGetsADeleteHorizonAndGoesAfterIt() {
        open(COMPACTED);
        txn(1, "1");               // 0
        txn(1, "2", "3");          // 1-2
        commit(1);                 // 3
        txn(1, "2");               // 4
        commit(1);                 // 5
        log.roll();

        long dirty = clean();
        assertThat(keys()).containsExactly("1", "3", "2");
        assertThat(offsets()).containsExactly(0L, 2L, 3L, 4L, 5L);

        txn(1, "1", "3");          // 6-7
        commit(1);                 // 8
        log.roll();
        // The round still saw the data of the transaction the marker at 3 ends: it stays.
        cleanFrom(dirty);
        assertThat(keys()).containsExactly("2", "1", "3");
        assertThat(offsets()).containsExactly(3L, 4L, 5L, 6L, 7L, 8L);
        assertThat(deleteHorizons()).isEmpty();

        // Now it may go, but only after delete.retention.ms: this round stamps its horizon.
        clean();
        assertThat(offsets()).containsExactly(3L, 4L, 5L, 6L, 7L, 8L);
        assertThat(deleteHorizons()).containsExactly(Map.entry(3L, clock.millis() + RETENTION_MS));

        clock.advance(Duration.ofMillis(RETENTION_MS - 1));
        clean();
        assertThat(offsets()).containsExactly(3L, 4L, 5L, 6L, 7L, 8L);

        clock.advance(Duration.ofMillis(1));
        clean();
        assertThat(keys()).containsExactly("2", "1", "3");
        assertThat(offsets()).containsExactly(4L, 5L, 6L, 7L, 8L);
    }

    @Test
    void anAbortMarkerStaysWhileItsDataDoesAndGoesTwoRoundsLater() {
        open(COMPACTED);
        txn(1, "1");               // 0
        txn(1, "2", "3");          // 1-2
        abort(1);                  // 3
        txn(1, "3");               // 4
        commit(1);                 // 5
        log.roll();

        clean();
        assertThat(keys()).containsExactly("3");
        assertThat(offsets()).containsExactly(3L, 4L, 5L);
        assertThat(aborted()).containsExactly("1:0-3");

        cleanTwiceAcrossTheHorizon();
        assertThat(keys()).containsExactly("3");
        assertThat(offsets()).containsExactly(4L, 5L);
        assertThat(aborted()).isEmpty();
    }

    @Test
    void aCommitMarkerStaysWhileAnEmptiedBatchOfItsTransactionDoes() {
        open(COMPACTED.withSegmentBytes(256));
        txn(1, "2", "3");          // 0-1
        log.roll();
        txn(2, "2", "3");          // 2-3
        commit(2);                 // 4
        log.roll();
        plain("2");                // 5
        plain("3");                // 6
        commit(1);                 // 7
        log.roll();

        // The producers' last batches stay, emptied; so do the markers that saw them.
        long dirty = clean();
        assertThat(keys()).containsExactly("2", "3");
        assertThat(offsets()).containsExactly(4L, 5L, 6L, 7L);
        assertThat(lastOffsets()).containsExactly(1L, 3L, 4L, 5L, 6L, 7L);

        clean();
        assertThat(lastOffsets()).containsExactly(1L, 3L, 4L, 5L, 6L, 7L);

        txn(2, "1");               // 8
        commit(2);                 // 9
        log.roll();
        // Producer 2's empty batch goes; its marker saw it, so it stays this round.
        cleanFrom(dirty);
        assertThat(keys()).containsExactly("2", "3", "1");
        assertThat(offsets()).containsExactly(4L, 5L, 6L, 7L, 8L, 9L);
        assertThat(lastOffsets()).containsExactly(1L, 4L, 5L, 6L, 7L, 8L, 9L);

        cleanTwiceAcrossTheHorizon();
        assertThat(keys()).containsExactly("2", "3", "1");
        assertThat(offsets()).containsExactly(5L, 6L, 7L, 8L, 9L);
        assertThat(lastOffsets()).containsExactly(1L, 5L, 6L, 7L, 8L, 9L);
    }

    @Test
    void aMarkerKeepingItsProducersEpochStaysEmptiedAndAnEmptiedControlBatchCleansAgain() {
        open(COMPACTED);
        commit(1);                 // 0: a marker of a producer with nothing else in the log
        plain("2");                // 1
        plain("3");                // 2
        log.roll();

        cleanTwiceAcrossTheHorizon();
        assertThat(keys()).containsExactly("2", "3");
        assertThat(offsets()).containsExactly(1L, 2L);
        assertThat(lastOffsets()).containsExactly(0L, 1L, 2L);
        assertThat(batches().get(0).control()).isTrue();

        clock.advance(Duration.ofDays(30));
        clean();
        assertThat(offsets()).containsExactly(1L, 2L);
        assertThat(lastOffsets()).containsExactly(0L, 1L, 2L);
    }

    @Test
    void aCommittedTransactionSpanningSegmentsKeepsItsDataAndMarker() {
        open(COMPACTED);
        txn(1, "1");               // 0
        log.roll();
        commit(1);                 // 1
        log.roll();

        cleanTwiceAcrossTheHorizon();

        assertThat(offsets()).containsExactly(0L, 1L);
        assertThat(lastOffsets()).containsExactly(0L, 1L);
    }

    @Test
    void anAbortedTransactionsLastBatchStaysEmptiedAndSoDoesItsIndexedMarker() {
        open(COMPACTED);
        txn(1, "1");               // 0
        log.roll();
        abort(1);                  // 1
        log.roll();

        clean();
        assertThat(offsets()).containsExactly(1L);
        assertThat(lastOffsets()).containsExactly(0L, 1L);

        clock.advance(Duration.ofDays(30));
        clean();
        assertThat(offsets()).containsExactly(1L);
        assertThat(lastOffsets()).containsExactly(0L, 1L);
        assertThat(aborted()).containsExactly("1:0-1");
    }

    @Test
    void emptyBatchesAndMarkersGoOnceAReplicatedProducerMovesOnEvenWithItsSequencesReused() {
        // As a follower takes them: the second transaction starts again at sequence 0.
        open(COMPACTED);
        follower(KafkaRecordBatches.batch(RecordCodec.NONE, new ProducerInfo(1, (short) 0, 0), true,
                records("1")), 0);
        follower(TxnMarker.batch(1, (short) 0, 0, true, clock.millis()), 1);
        follower(KafkaRecordBatches.batch(RecordCodec.NONE, new ProducerInfo(1, (short) 0, 0), true,
                records("2")), 2);
        follower(TxnMarker.batch(1, (short) 0, 0, true, clock.millis()), 3);
        follower(KafkaRecordBatches.batch(RecordCodec.NONE, ProducerInfo.NONE, records("1")), 4);
        follower(KafkaRecordBatches.batch(RecordCodec.NONE, ProducerInfo.NONE, records("2")), 5);
        log.roll();

        clean();
        assertThat(offsets()).containsExactly(1L, 3L, 4L, 5L);
        assertThat(lastOffsets()).containsExactly(1L, 2L, 3L, 4L, 5L);

        cleanTwiceAcrossTheHorizon();
        assertThat(offsets()).containsExactly(3L, 4L, 5L);
        assertThat(lastOffsets()).containsExactly(2L, 3L, 4L, 5L);
    }

    @Test
    void anAbortStaysIndexedWhileAnEmptiedBatchOfItsTransactionRemains() {
        open(COMPACTED.withSegmentBytes(256));
        txn(1, "2", "3");          // 0-1
        abort(1);                  // 2
        log.roll();
        assertThat(aborted()).containsExactly("1:0-2");

        long dirty = clean();
        assertThat(aborted()).containsExactly("1:0-2");
        assertThat(keys()).isEmpty();
        assertThat(offsets()).containsExactly(2L);
        assertThat(lastOffsets()).containsExactly(1L, 2L);

        cleanTwiceAcrossTheHorizon();
        assertThat(aborted()).containsExactly("1:0-2");
        assertThat(offsets()).containsExactly(2L);
        assertThat(lastOffsets()).containsExactly(1L, 2L);

        // A newer batch takes over the producer's last sequence: the empty batch may go. (Kafka's
        // case cleans past an open transaction; here it commits, as the cleaner stops at the LSO.)
        txn(1, "1");               // 3
        commit(1);                 // 4
        log.roll();
        cleanFrom(dirty);
        assertThat(aborted()).as("the round still saw the empty batch").containsExactly("1:0-2");
        assertThat(keys()).containsExactly("1");
        assertThat(offsets()).containsExactly(2L, 3L, 4L);
        assertThat(lastOffsets()).containsExactly(2L, 3L, 4L);

        cleanTwiceAcrossTheHorizon();
        assertThat(keys()).containsExactly("1");
        assertThat(offsets()).containsExactly(3L, 4L);
        assertThat(lastOffsets()).containsExactly(3L, 4L);
        assertThat(aborted()).isEmpty();
    }

    @Test
    void theLastSequenceOfAnAbortedTransactionSurvivesUntilTheProducerWritesAgain() {
        open(COMPACTED);
        txn(1, "1");               // 0
        txn(1, "2", "3");          // 1-2
        abort(1);                  // 3
        log.roll();

        clean();
        assertThat(lastOffsets()).containsExactly(2L, 3L);
        assertThat(lastSequences()).containsExactly(Map.entry(1L, 2));
        assertThat(keys()).isEmpty();
        assertThat(offsets()).containsExactly(3L);

        txn(1, "1", "5");          // 4-5
        commit(1);                 // 6
        log.roll();
        clean();
        assertThat(lastOffsets()).containsExactly(3L, 5L, 6L);
        assertThat(lastSequences()).containsExactly(Map.entry(1L, 4));
        assertThat(keys()).containsExactly("1", "5");
        assertThat(offsets()).containsExactly(3L, 4L, 5L, 6L);
    }

    @Test
    void dataKeyedLikeAControlRecordNeitherShadowsNorIsShadowedByAMarker() {
        open(COMPACTED);
        txn(1, "1");               // 0
        commit(1);                 // 1
        // The key of a COMMIT control record: version 0, type 1.
        byte[] commitKey = {0, 0, 0, 1};
        appendTxn(2, KafkaRecordBatches.batch(RecordCodec.NONE, new ProducerInfo(2, (short) 0, nextSeq(2, 1)), true,
                List.of(new SimpleRecord(clock.millis(), commitKey, "foo".getBytes(StandardCharsets.UTF_8)))));
        commit(2);                 // 3
        log.roll();
        assertThat(offsets()).containsExactly(0L, 1L, 2L, 3L);

        clean();

        assertThat(lastOffsets()).containsExactly(0L, 1L, 2L, 3L);
        assertThat(offsets()).containsExactly(0L, 1L, 2L, 3L);
    }

    @Test
    void roundsEndingWhereASmallMapFilledKeepAbortsIndexedUntilTheirDataIsGone() {
        // Kafka's multi-pass case: room for 3 keys a round.
        cleaner = cleaner(24 * 4, 0.75);
        long retention = 50_000;
        open(COMPACTED.withCleanup(COMPACTED.cleanup().withDeleteRetentionMs(retention)));
        txn(1, "1", "2");          // 0-1
        txn(2, "2", "3");          // 2-3
        txn(1, "3", "4");          // 4-5
        commit(1);                 // 6
        commit(2);                 // 7
        txn(1, "2", "3");          // 8-9
        abort(1);                  // 10
        txn(2, "4", "5");          // 11-12
        txn(1, "5", "6");          // 13-14
        commit(1);                 // 15
        abort(2);                  // 16
        txn(2, "6", "7");          // 17-18
        commit(2);                 // 19
        log.roll();
        assertThat(aborted()).containsExactly("1:8-10", "2:11-16");

        // The first round's map ends at 3: the aborted data goes, the aborts stay indexed.
        long dirty = cleanFrom(0);
        assertThat(dirty).isEqualTo(4);
        assertThat(baseOffsets()).containsExactly(0L, 2L, 4L, 6L, 7L, 10L, 13L, 15L, 16L, 17L, 19L);
        assertThat(offsets()).containsExactly(0L, 2L, 3L, 4L, 5L, 6L, 7L, 10L, 13L, 14L, 15L, 16L, 17L, 18L, 19L);
        assertThat(aborted()).containsExactly("1:8-10", "2:11-16");
        assertThat(log.ongoingTransactions()).isEmpty();

        // No aborted data is left: the markers wait out their horizon, no longer indexed.
        dirty = cleanFrom(dirty);
        assertThat(dirty).isEqualTo(14);
        assertThat(baseOffsets()).containsExactly(0L, 2L, 4L, 6L, 7L, 10L, 13L, 15L, 16L, 17L, 19L);
        assertThat(offsets()).containsExactly(0L, 2L, 4L, 5L, 6L, 7L, 10L, 13L, 14L, 15L, 16L, 17L, 18L, 19L);
        assertThat(aborted()).isEmpty();

        clock.advance(Duration.ofMillis(retention));
        dirty = cleanFrom(dirty);
        assertThat(dirty).isEqualTo(20);
        assertThat(baseOffsets()).containsExactly(0L, 2L, 4L, 6L, 7L, 13L, 15L, 17L, 19L);
        assertThat(offsets()).containsExactly(0L, 2L, 4L, 5L, 6L, 7L, 13L, 15L, 17L, 18L, 19L);
        assertThat(aborted()).isEmpty();
    }

    @Test
    void aStoppedRoundLeavesTheLogAndItsIndexesAsTheyWere() throws Exception {
        open(COMPACTED);
        txn(1, "1", "2");
        abort(1);
        txn(2, "1");
        commit(2);
        log.roll();
        log.updateHighWatermark(log.logEndOffset());
        List<String> before = records();
        List<String> indexed = aborted();
        Cleaner stopping = new Cleaner(new OffsetMap(24 * 1000, 0.9), 64 * 1024,
                new Throttler(Double.MAX_VALUE, clock, () -> false), tp -> true);

        assertThatThrownBy(() -> stopping.clean(log, Cleaner.cleanableRange(log, -1, clock.millis()),
                log.truncationCount(), clock.millis())).isInstanceOf(Cleaner.CleaningAbortedException.class);

        assertThat(records()).isEqualTo(before);
        assertThat(aborted()).isEqualTo(indexed);
        try (Stream<Path> files = Files.list(dir())) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".cleaned"));
        }
    }

    // ---- Runnel's cases ---------------------------------------------------------------------

    @Test
    void aCommittedValueSurvivesAnAbortedLaterWriteOfItsKey() {
        open(COMPACTED);
        txn(1, "k=committed");     // 0
        commit(1);                 // 1
        plain("other=1");          // 2
        txn(2, "k=aborted");       // 3: later, but aborted: it must not shadow offset 0
        abort(2);                  // 4
        log.roll();

        clean();
        assertThat(values()).containsExactly("0:k=committed", "2:other=1");

        cleanTwiceAcrossTheHorizon();
        assertThat(values()).containsExactly("0:k=committed", "2:other=1");
    }

    @Test
    void abortedDataGoesFromEverySegmentWhileItsMarkerWaitsInTheActiveOne() {
        open(COMPACTED);
        txn(1, "a=1");             // 0
        plain("x=1");              // 1
        log.roll();
        txn(1, "b=1");             // 2: the producer's last data batch
        plain("y=1");              // 3
        log.roll();
        plain("z=1");              // 4
        abort(1);                  // 5, in the active segment
        log.updateHighWatermark(log.logEndOffset());
        LogSegment active = log.segments().get(log.segments().size() - 1);
        assertThat(active.abortedTxns()).hasSize(1);

        clean();

        assertThat(values()).containsExactly("1:x=1", "3:y=1", "4:z=1");
        assertThat(lastOffsets()).as("the producer's last batch stays, emptied").containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(active.abortedTxns()).containsExactly(new TransactionIndex.AbortedTxn(1, 0, 5, 6));

        log.roll();
        clean();
        assertThat(values()).containsExactly("1:x=1", "3:y=1", "4:z=1");
        assertThat(aborted()).as("the marker saw the emptied batch").containsExactly("1:0-5");
    }

    @Test
    void producersKeepTheirStateThroughCleaningAndAReopenWithOrWithoutSnapshots() {
        open(COMPACTED);
        txn(1, "k1=a", "k2=a");    // 0-1, sequences 0-1
        commit(1);                 // 2
        txn(1, "k1=b");            // 3, sequence 2
        abort(1);                  // 4
        log.appendAsLeader(KafkaRecordBatches.batch(RecordCodec.NONE, new ProducerInfo(2, (short) 3, 0),
                records("k1=c", "k2=c")), LEADER_EPOCH); // 5-6: an idempotent producer
        plain("k1=d", "k2=d");     // 7-8
        log.roll();
        clean();
        assertThat(values()).containsExactly("7:k1=d", "8:k2=d");
        Map<Long, ProducerStateEntry> before = log.activeProducers();
        List<String> indexed = aborted();
        assertThat(indexed).containsExactly("1:3-4");

        log.close();
        log = reopenClean(dir(), COMPACTED, scheduler);
        assertThat(log.activeProducers()).isEqualTo(before);

        // Without snapshots the state comes back from the cleaned log alone.
        log.close();
        deleteSnapshots();
        log = reopenAfterCrash(dir(), COMPACTED, scheduler, 0);
        Map<Long, ProducerStateEntry> replayed = log.activeProducers();
        assertThat(replayed.get(1L).producerEpoch()).isZero();
        assertThat(replayed.get(1L).lastSeq()).isEqualTo(2);
        assertThat(replayed.get(1L).hasOpenTransaction()).isFalse();
        assertThat(replayed.get(2L).producerEpoch()).isEqualTo((short) 3);
        assertThat(replayed.get(2L).lastSeq()).isEqualTo(1);
        assertThat(aborted()).isEqualTo(indexed);

        // A retry of either producer's last batch is a duplicate; the next sequence is taken.
        AppendInfo retry = log.appendAsLeader(KafkaRecordBatches.batch(RecordCodec.NONE,
                new ProducerInfo(2, (short) 3, 0), records("k1=c", "k2=c")), LEADER_EPOCH);
        assertThat(retry.duplicate()).isTrue();
        assertThat(retry.firstOffset()).isEqualTo(5);
        sequences.put(1L, 2);
        assertThat(txn(1, "k1=b").duplicate()).isTrue();
        assertThat(txn(1, "k1=e").firstOffset()).isEqualTo(log.logEndOffset() - 1);
        assertThatThrownBy(() -> log.appendAsLeader(KafkaRecordBatches.batch(RecordCodec.NONE,
                new ProducerInfo(1, (short) 0, 9), true, records("k1=f")), LEADER_EPOCH, AppendOrigin.CLIENT,
                log.maybeStartTransactionVerification(1, (short) 0)))
                .isInstanceOfSatisfying(LogException.class,
                        e -> assertThat(e.error()).isEqualTo(LogError.OUT_OF_ORDER_SEQUENCE));
    }

    @Test
    void consumerOffsetsWithTransactionalCommitsKeepTheCommittedOffsetsAndFewMarkers() {
        // As the group coordinator writes them: offset commits in transactions, plain ones of
        // another group between them, one transaction aborted at the end.
        open(COMPACTED);
        long producer = 100;
        for (int i = 0; i < 10; i++) {
            offsetCommit(producer, "g/orders-0", i);
            commit(producer);
            plain("h/orders-0=" + i);
        }
        offsetCommit(producer, "g/orders-0", 99);
        abort(producer);
        log.roll();

        clean();
        assertThat(latest()).containsEntry("g/orders-0", "9").containsEntry("h/orders-0", "9").hasSize(2);
        assertThat(markers()).as("every marker saw its data this round").hasSize(11);
        assertThat(aborted()).hasSize(1);

        cleanTwiceAcrossTheHorizon();
        assertThat(latest()).containsEntry("g/orders-0", "9").containsEntry("h/orders-0", "9").hasSize(2);
        // The marker ending the committed offset's transaction, and the abort: the producer's last
        // batch (the aborted commit, emptied, at 30) is of its transaction.
        assertThat(markers()).containsExactly("commit@28", "abort@31");
        assertThat(lastOffsets()).contains(30L);
        assertThat(aborted()).containsExactly("100:30-31");

        // More transactions: the old markers go, markers do not pile up.
        for (int i = 10; i < 20; i++) {
            offsetCommit(producer, "g/orders-0", i);
            commit(producer);
        }
        log.roll();
        cleanTwiceAcrossTheHorizon();
        cleanTwiceAcrossTheHorizon();
        assertThat(latest()).containsEntry("g/orders-0", "19").containsEntry("h/orders-0", "9").hasSize(2);
        assertThat(batches()).filteredOn(DecodedBatch::control).hasSize(1);
        assertThat(markers()).containsExactly("commit@" + (log.logEndOffset() - 1));
        assertThat(aborted()).isEmpty();
    }

    // ---- helpers ----------------------------------------------------------------------------

    private Cleaner cleaner(int mapBytes, double loadFactor) {
        return new Cleaner(new OffsetMap(mapBytes, loadFactor), 64 * 1024,
                new Throttler(Double.MAX_VALUE, clock, () -> false), tp -> false);
    }

    /** A round from the log's start. */
    private long clean() {
        return cleanFrom(-1);
    }

    /** A round from {@code firstDirty} (-1: the log start) at the clock's time; returns the round's end. */
    private long cleanFrom(long firstDirty) {
        log.updateHighWatermark(log.logEndOffset());
        try {
            Cleaner.Result result = cleaner.clean(log, Cleaner.cleanableRange(log, firstDirty, clock.millis()),
                    log.truncationCount(), clock.millis());
            assertThat(result.abandoned()).isFalse();
            return result.endOffset();
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Kafka's two-pass clean: a round now, and one once a horizon stamped now has passed. */
    private void cleanTwiceAcrossTheHorizon() {
        clean();
        clock.advance(Duration.ofMillis(RETENTION_MS));
        clean();
    }

    private AppendInfo txn(long pid, String... keyValues) {
        return txn(RecordCodec.NONE, pid, keyValues);
    }

    /** A transactional batch of producer {@code pid} (epoch 0), verified as a transaction's first must be. */
    private AppendInfo txn(RecordCodec codec, long pid, String... keyValues) {
        return appendTxn(pid, KafkaRecordBatches.batch(codec, new ProducerInfo(pid, (short) 0,
                nextSeq(pid, keyValues.length)), true, records(keyValues)));
    }

    private AppendInfo appendTxn(long pid, ByteBuffer batch) {
        return log.appendAsLeader(batch, LEADER_EPOCH, AppendOrigin.CLIENT,
                log.maybeStartTransactionVerification(pid, (short) 0));
    }

    /** A transactional offset commit as the group coordinator writes it: always sequence 0, not checked. */
    private void offsetCommit(long pid, String key, int offset) {
        log.appendAsLeader(KafkaRecordBatches.batch(RecordCodec.NONE, new ProducerInfo(pid, (short) 0, 0), true,
                records(key + "=" + offset)), LEADER_EPOCH, AppendOrigin.COORDINATOR,
                log.maybeStartTransactionVerification(pid, (short) 0));
    }

    private int nextSeq(long pid, int count) {
        int seq = sequences.getOrDefault(pid, 0);
        sequences.put(pid, seq + count);
        return seq;
    }

    private void commit(long pid) {
        log.appendAsLeader(TxnMarker.batch(pid, (short) 0, 0, true, clock.millis()), LEADER_EPOCH,
                AppendOrigin.COORDINATOR, null);
    }

    private void abort(long pid) {
        log.appendAsLeader(TxnMarker.batch(pid, (short) 0, 0, false, clock.millis()), LEADER_EPOCH,
                AppendOrigin.COORDINATOR, null);
    }

    private void plain(String... keyValues) {
        log.appendAsLeader(KafkaRecordBatches.batch(RecordCodec.NONE, ProducerInfo.NONE, records(keyValues)),
                LEADER_EPOCH);
    }

    /** {@code batch} appended as a follower takes it, at {@code offset}. */
    private void follower(ByteBuffer batch, long offset) {
        ByteBuffer copy = ByteBuffer.allocate(batch.remaining()).put(batch.duplicate()).flip();
        copy.putLong(0, offset); // outside the CRC
        copy.putInt(12, LEADER_EPOCH);
        log.appendAsFollower(copy);
    }

    /** Records "key=value", or "key" alone for a record whose value is its key. */
    private List<SimpleRecord> records(String... keyValues) {
        List<SimpleRecord> records = new ArrayList<>();
        for (String kv : keyValues) {
            int eq = kv.indexOf('=');
            String key = eq < 0 ? kv : kv.substring(0, eq);
            String value = eq < 0 ? kv : kv.substring(eq + 1);
            records.add(new SimpleRecord(clock.millis(), key.getBytes(StandardCharsets.UTF_8),
                    value.getBytes(StandardCharsets.UTF_8)));
        }
        return records;
    }

    private void deleteSnapshots() {
        try (Stream<Path> files = Files.list(dir())) {
            for (Path file : files.filter(p -> p.getFileName().toString().endsWith(".snapshot")).toList()) {
                Files.delete(file);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private List<DecodedBatch> batches() {
        return KafkaRecordBatches.decodeBatches(LogTestSupport.readAll(log, log.logStartOffset()));
    }

    /** The keys of the data records with a value, in log order (Kafka's {@code keysInLog}). */
    private List<String> keys() {
        List<String> keys = new ArrayList<>();
        for (DecodedBatch batch : batches()) {
            for (KafkaRecordBatches.DecodedRecord r : batch.records()) {
                if (r.key() != null && r.value() != null) {
                    keys.add(new String(r.key(), StandardCharsets.UTF_8));
                }
            }
        }
        return keys;
    }

    /** The offsets of the records with a key and a value, markers included (Kafka's {@code offsetsInLog}). */
    private List<Long> offsets() {
        List<Long> offsets = new ArrayList<>();
        for (DecodedBatch batch : batches()) {
            if (batch.marker() != null) {
                offsets.add(batch.baseOffset());
            }
            for (KafkaRecordBatches.DecodedRecord r : batch.records()) {
                if (r.key() != null && r.value() != null) {
                    offsets.add(r.offset());
                }
            }
        }
        return offsets;
    }

    /** The data records as "offset:key=value". */
    private List<String> values() {
        List<String> values = new ArrayList<>();
        for (DecodedBatch batch : batches()) {
            for (KafkaRecordBatches.DecodedRecord r : batch.records()) {
                values.add(r.offset() + ":" + new String(r.key(), StandardCharsets.UTF_8) + "="
                        + (r.value() == null ? "" : new String(r.value(), StandardCharsets.UTF_8)));
            }
        }
        return values;
    }

    private List<String> records() {
        List<String> out = new ArrayList<>(values());
        out.addAll(markers());
        out.add("batches " + lastOffsets());
        return out;
    }

    /** The latest value per key, as a reader of the whole log would see it. */
    private Map<String, String> latest() {
        return LogCleanerTest.latest(values());
    }

    /** The markers that still hold their record, as "commit@offset" or "abort@offset". */
    private List<String> markers() {
        List<String> markers = new ArrayList<>();
        for (DecodedBatch batch : batches()) {
            if (batch.marker() != null) {
                markers.add((batch.marker().commit() ? "commit@" : "abort@") + batch.baseOffset());
            }
        }
        return markers;
    }

    private List<Long> lastOffsets() {
        return batches().stream().map(DecodedBatch::lastOffset).toList();
    }

    private List<Long> baseOffsets() {
        return batches().stream().map(DecodedBatch::baseOffset).toList();
    }

    /** Each data batch's producer and last sequence, the last batch of a producer winning. */
    private Map<Long, Integer> lastSequences() {
        ByteBuffer all = LogTestSupport.readAll(log, log.logStartOffset());
        Map<Long, Integer> last = new LinkedHashMap<>();
        for (int at = 0; at < all.limit(); at += RecordBatchHeader.sizeInBytes(all, at)) {
            if (RecordBatchHeader.hasProducerId(all, at) && !RecordBatchHeader.isControl(all, at)) {
                last.put(RecordBatchHeader.producerId(all, at), RecordBatchHeader.lastSequence(all, at));
            }
        }
        return last;
    }

    /** The delete horizon of every batch that has one, by base offset. */
    private Map<Long, Long> deleteHorizons() {
        ByteBuffer all = LogTestSupport.readAll(log, log.logStartOffset());
        Map<Long, Long> horizons = new LinkedHashMap<>();
        for (int at = 0; at < all.limit(); at += RecordBatchHeader.sizeInBytes(all, at)) {
            if ((all.getShort(at + 21) & 0x40) != 0) {
                horizons.put(RecordBatchHeader.baseOffset(all, at), all.getLong(at + 27));
            }
        }
        return horizons;
    }

    /** Every aborted transaction the segments index, as "producer:first-last". */
    private List<String> aborted() {
        List<String> out = new ArrayList<>();
        for (LogSegment segment : log.segments()) {
            for (TransactionIndex.AbortedTxn txn : segment.abortedTxns()) {
                out.add(txn.producerId() + ":" + txn.firstOffset() + "-" + txn.lastOffset());
            }
        }
        return out;
    }
}
