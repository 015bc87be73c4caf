package dev.runnel.broker.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.broker.record.KafkaRecordBatches;
import dev.runnel.broker.record.RecordCodec;
import dev.runnel.common.TopicPartition;
import dev.runnel.common.time.Ticker;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

/** The log cleaner on a fake clock: what a round keeps, when a log is chosen, and what survives a restart. */
class LogCleanerTest {

    private static final TopicPartition TP = new TopicPartition("table", 0);
    private static final LogConfig COMPACTED = LogConfig.DEFAULTS.withCompact(true);
    /** Cleaner threads off: each test runs rounds itself with {@link LogCleaner#cleanFilthiestLog()}. */
    private static final LogCleaner.Settings SETTINGS = new LogCleaner.Settings(false, 1, 24 * 10_000, 0.9, 64 * 1024,
            Double.MAX_VALUE, Duration.ofSeconds(15));

    @TempDir
    Path dir;

    private final ManualScheduler scheduler = new ManualScheduler(new ManualClock());
    private final ManualClock clock = scheduler.clock();
    private LogManager manager;

    @AfterEach
    void close() throws IOException {
        if (manager != null) {
            manager.close();
        }
    }

    private LogManager open(LogCleaner.Settings settings) throws IOException {
        manager = LogManager.open(dir, LogConfig.DEFAULTS, clock, clock, scheduler,
                LogManager.Settings.DEFAULTS.withCleaner(settings));
        return manager;
    }

    private PartitionLog compacted(LogConfig config) throws IOException {
        return open(SETTINGS).getOrCreateLog(TP, config);
    }

    @Test
    void onlyTheLatestRecordOfEachKeyStaysAndOffsetsDoNotMove() throws Exception {
        PartitionLog log = compacted(COMPACTED);
        append(log, "k0=a", "k1=a", "k2=a", "k3=a");
        append(log, "k0=b", "k1=b");
        log.roll();
        append(log, "k2=c", "k9=c");
        log.roll();
        committed(log);

        LogCleaner.Round round = manager.cleaner().cleanFilthiestLog().orElseThrow();

        assertThat(round.partition()).isEqualTo(TP);
        assertThat(round.result().endOffset()).isEqualTo(8);
        assertThat(records(log)).containsExactly("3:k3=a", "4:k0=b", "5:k1=b", "6:k2=c", "7:k9=c");
        assertThat(log.logEndOffset()).isEqualTo(8);
        assertThat(log.logStartOffset()).isZero();
        assertThat(manager.cleaner().checkpointedOffset(TP)).isEqualTo(8);
        // The two cleaned segments fit one: they were merged.
        assertThat(log.segmentBaseOffsets()).containsExactly(0L, 8L);
        // A fetch at a removed offset gets the next record that stayed.
        assertThat(TestBatches.offsets(log.read(1, 1 << 20, Long.MAX_VALUE, false).slice().readFully()))
                .startsWith(3L);
        // Nothing is dirty now.
        assertThat(manager.cleaner().cleanFilthiestLog()).isEmpty();
    }

    @Test
    void theActiveSegmentAndRecordsAboveTheHighWatermarkAreNeverCleaned() throws Exception {
        PartitionLog log = compacted(COMPACTED);
        append(log, "k=1", "k=2");
        log.roll();
        append(log, "k=3");
        log.roll();
        append(log, "k=4", "k=5"); // active segment
        log.updateHighWatermark(2); // the second segment is not committed

        manager.cleaner().cleanFilthiestLog().orElseThrow();

        assertThat(records(log)).containsExactly("1:k=2", "2:k=3", "3:k=4", "4:k=5");
    }

    @Test
    void aTombstoneStaysForDeleteRetentionAfterTheCleaningThatKeptItThenGoes() throws Exception {
        LogConfig config = COMPACTED.withCleanup(COMPACTED.cleanup().withDeleteRetentionMs(Duration.ofHours(1).toMillis())
                .withMinCleanableDirtyRatio(0));
        PartitionLog log = compacted(config);
        append(log, "k1=a", "k2=b");
        log.roll();
        append(log, "k1=");
        log.roll();
        committed(log);

        manager.cleaner().cleanFilthiestLog().orElseThrow();
        assertThat(records(log)).containsExactly("1:k2=b", "2:k1=");

        // Later rounds before the horizon keep it.
        clock.advance(Duration.ofMinutes(59));
        append(log, "k3=c");
        log.roll();
        committed(log);
        manager.cleaner().cleanFilthiestLog().orElseThrow();
        assertThat(records(log)).containsExactly("1:k2=b", "2:k1=", "3:k3=c");

        // The first round after it drops it.
        clock.advance(Duration.ofMinutes(2));
        append(log, "k4=d");
        log.roll();
        committed(log);
        manager.cleaner().cleanFilthiestLog().orElseThrow();
        assertThat(records(log)).containsExactly("1:k2=b", "3:k3=c", "4:k4=d");
    }

    @Test
    void aNewerValueRemovesAnOlderTombstoneAtOnce() throws Exception {
        PartitionLog log = compacted(COMPACTED);
        append(log, "k=a", "k=");
        append(log, "k=b");
        log.roll();
        committed(log);

        manager.cleaner().cleanFilthiestLog().orElseThrow();

        assertThat(records(log)).containsExactly("2:k=b");
    }

    @Test
    void recordsNewerThanMinCompactionLagAreNotCleaned() throws Exception {
        LogConfig config = COMPACTED.withCleanup(COMPACTED.cleanup().withMinCompactionLagMs(Duration.ofHours(1).toMillis()));
        PartitionLog log = compacted(config);
        append(log, "k=1", "k=2", "k=3");
        log.roll();
        committed(log);

        assertThat(manager.cleaner().cleanFilthiestLog()).isEmpty();
        assertThat(records(log)).hasSize(3);

        clock.advance(Duration.ofMinutes(61));
        manager.cleaner().cleanFilthiestLog().orElseThrow();
        assertThat(records(log)).containsExactly("2:k=3");
    }

    @Test
    void maxCompactionLagCleansALogBelowTheDirtyRatio() throws Exception {
        LogConfig config = COMPACTED.withCleanup(COMPACTED.cleanup().withMinCleanableDirtyRatio(0.99)
                .withMaxCompactionLagMs(Duration.ofHours(1).toMillis()));
        PartitionLog log = compacted(config);
        append(log, "k=1", "k=2");
        log.roll();
        committed(log);
        // Nothing cleaned yet: all dirty, which beats 0.99.
        assertThat(Cleaner.cleanableRange(log, -1, clock.millis()).dirtyRatio()).isEqualTo(1.0);
        manager.cleaner().cleanFilthiestLog().orElseThrow();
        append(log, "a=1", "b=1", "c=1");
        log.roll();
        append(log, "k=3");
        log.roll();
        committed(log);
        assertThat(Cleaner.cleanableRange(log, manager.cleaner().checkpointedOffset(TP), clock.millis()).dirtyRatio())
                .isLessThan(0.99);
        assertThat(manager.cleaner().cleanFilthiestLog()).isEmpty();

        clock.advance(Duration.ofMinutes(61));
        manager.cleaner().cleanFilthiestLog().orElseThrow();
        assertThat(records(log)).containsExactly("2:a=1", "3:b=1", "4:c=1", "5:k=3");
    }

    @Test
    void theDirtiestLogIsCleanedFirstAndLogsBelowTheRatioWait() throws Exception {
        open(SETTINGS);
        TopicPartition a = new TopicPartition("a", 0);
        TopicPartition b = new TopicPartition("b", 0);
        TopicPartition c = new TopicPartition("plain", 0);
        PartitionLog logA = manager.getOrCreateLog(a, COMPACTED);
        PartitionLog logB = manager.getOrCreateLog(b, COMPACTED);
        PartitionLog logC = manager.getOrCreateLog(c, LogConfig.DEFAULTS);
        append(logA, "a0=1", "a1=1", "a2=1", "a3=1", "a4=1", "a5=1", "a6=1", "a7=1", "a8=1", "a9=1");
        append(logB, "k=1", "k=2");
        append(logC, "k=1", "k=2");
        for (PartitionLog log : List.of(logA, logB, logC)) {
            log.roll();
            committed(log);
        }
        manager.cleaner().cleanFilthiestLog().orElseThrow();
        manager.cleaner().cleanFilthiestLog().orElseThrow();
        assertThat(manager.cleaner().cleanFilthiestLog()).isEmpty(); // the delete-policy log is never cleaned
        assertThat(records(logC)).hasSize(2);

        // a: one small dirty batch after a ten-record clean one; b: six dirty records after one clean.
        append(logA, "x=1");
        logA.roll();
        append(logB, "y=1", "y=2", "y=3", "y=4", "y=5", "y=6");
        logB.roll();
        committed(logA);
        committed(logB);
        double ratioA = Cleaner.cleanableRange(logA, manager.cleaner().checkpointedOffset(a), clock.millis()).dirtyRatio();
        double ratioB = Cleaner.cleanableRange(logB, manager.cleaner().checkpointedOffset(b), clock.millis()).dirtyRatio();
        assertThat(ratioA).isLessThan(0.5);
        assertThat(ratioB).isGreaterThan(0.5);

        assertThat(manager.cleaner().cleanFilthiestLog().orElseThrow().partition()).isEqualTo(b);
        assertThat(manager.cleaner().maxDirtyPercent()).isEqualTo(100 * ratioB);
        assertThat(manager.cleaner().cleanFilthiestLog()).isEmpty(); // a stays below the ratio
        assertThat(records(logA)).hasSize(11);
    }

    @Test
    void theLastBatchOfEachProducerStaysSoItsRetriesAreStillRecognised() throws Exception {
        PartitionLog log = compacted(COMPACTED);
        long pid = 7;
        for (int seq = 0; seq < 4; seq++) {
            log.appendAsLeader(idempotent(pid, seq, "k=" + seq), 0);
        }
        log.appendAsLeader(keyed("k=plain"), 0); // the key's latest value, not the producer's
        log.roll();
        committed(log);

        manager.cleaner().cleanFilthiestLog().orElseThrow();

        // The producer's last batch stays, emptied: offset 3 holds no record, but the batch is there.
        assertThat(records(log)).containsExactly("4:k=plain");
        assertThat(log.activeProducers().get(pid).lastSeq()).isEqualTo(3);
        ByteBuffer stored = LogTestSupport.readAll(log, 0);
        assertThat(RecordBatchHeader.baseOffset(stored, 0)).isEqualTo(3);
        assertThat(RecordBatchHeader.recordCount(stored, 0)).isZero();
        assertThat(RecordBatchHeader.lastSequence(stored, 0)).isEqualTo(3);

        // After a restart, a retry of the last batch is a duplicate and the next sequence is accepted.
        manager.close();
        manager = null;
        open(SETTINGS);
        PartitionLog reopened = manager.getLog(TP).orElseThrow();
        AppendInfo retry = reopened.appendAsLeader(idempotent(pid, 3, "k=3"), 0);
        assertThat(retry.duplicate()).isTrue();
        assertThat(retry.firstOffset()).isEqualTo(3);
        assertThat(reopened.appendAsLeader(idempotent(pid, 4, "k=4"), 0).firstOffset()).isEqualTo(5);
        assertThatThrownBy(() -> reopened.appendAsLeader(idempotent(pid, 9, "k=9"), 0))
                .isInstanceOfSatisfying(LogException.class,
                        e -> assertThat(e.error()).isEqualTo(LogError.OUT_OF_ORDER_SEQUENCE));
    }

    @Test
    void compactAndDeleteAppliesRetentionAndCompaction() throws Exception {
        LogConfig config = COMPACTED.withRetentionMs(Duration.ofHours(1).toMillis())
                .withCleanup(COMPACTED.cleanup().withPolicies(true, true));
        PartitionLog log = compacted(config);
        append(log, "old=1", "old=2");
        log.roll();
        clock.advance(Duration.ofMinutes(90));
        append(log, "k=1", "k=2");
        log.roll();
        committed(log);

        manager.applyRetention();
        assertThat(log.logStartOffset()).isEqualTo(2);
        manager.cleaner().cleanFilthiestLog().orElseThrow();

        assertThat(records(log)).containsExactly("3:k=2");
    }

    @Test
    void aSmallMapCleansInSeveralRoundsEachEndingWhereTheMapFilled() throws Exception {
        // Room for 9 keys a round (10 slots, load factor 0.9).
        LogCleaner.Settings tiny = new LogCleaner.Settings(false, 1, 24 * 10, 0.9, 64 * 1024, Double.MAX_VALUE,
                Duration.ofSeconds(15));
        PartitionLog log = open(tiny).getOrCreateLog(TP, COMPACTED.withCleanup(COMPACTED.cleanup()
                .withMinCleanableDirtyRatio(0)));
        List<String> expected = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            List<String> batch = new ArrayList<>();
            for (int k = 0; k < 10; k++) {
                batch.add("k" + k + "=" + round);
            }
            append(log, batch.toArray(String[]::new));
        }
        for (int k = 0; k < 10; k++) {
            expected.add((20 + k) + ":k" + k + "=2");
        }
        log.roll();
        committed(log);

        List<Long> ends = new ArrayList<>();
        Optional<LogCleaner.Round> round;
        while ((round = manager.cleaner().cleanFilthiestLog()).isPresent()) {
            ends.add(round.get().result().endOffset());
        }

        assertThat(ends).hasSizeGreaterThan(1).isSorted().endsWith(30L);
        assertThat(records(log)).containsExactlyElementsOf(expected);
    }

    @Test
    void compressedBatchesAreRewrittenWithTheirCodecAndHeaders() throws Exception {
        PartitionLog log = compacted(COMPACTED);
        for (RecordCodec codec : RecordCodec.values()) {
            List<KafkaRecordBatches.SimpleRecord> rs = List.of(record("a=" + codec), record("b=" + codec),
                    record(codec.name() + "=1"));
            log.appendAsLeader(KafkaRecordBatches.batch(codec, KafkaRecordBatches.ProducerInfo.NONE, rs), 0);
        }
        log.roll();
        committed(log);

        manager.cleaner().cleanFilthiestLog().orElseThrow();

        ByteBuffer stored = LogTestSupport.readAll(log, 0);
        List<Integer> codecs = new ArrayList<>();
        for (int at = 0; at < stored.limit(); at += RecordBatchHeader.sizeInBytes(stored, at)) {
            if (RecordBatchHeader.recordCount(stored, at) > 0) {
                codecs.add(RecordBatchHeader.codecId(stored, at));
            }
            assertThat(RecordBatchHeader.isCrcValid(stored, at)).isTrue();
        }
        assertThat(codecs).containsExactly(0, 1, 2, 3, 4);
        assertThat(records(log)).contains("12:a=ZSTD", "13:b=ZSTD", "2:NONE=1", "5:GZIP=1");
    }

    @Test
    void aTruncationDuringARoundMakesItsSwapRefusedAndLowersTheCheckpoint() throws Exception {
        PartitionLog log = compacted(COMPACTED);
        append(log, "a=1");
        append(log, "k=1");
        append(log, "k=2");
        log.roll();
        committed(log);
        manager.cleaner().cleanFilthiestLog().orElseThrow();
        assertThat(manager.cleaner().checkpointedOffset(TP)).isEqualTo(3);
        append(log, "k=3");
        log.roll();
        committed(log);
        Cleaner.Range range = Cleaner.cleanableRange(log, 3, clock.millis());
        long truncations = log.truncationCount();
        // A follower truncates while the round copies: at the round's first chunk.
        AtomicBoolean truncated = new AtomicBoolean();
        Cleaner cleaner = new Cleaner(new OffsetMap(24 * 100, 0.9), 64 * 1024,
                new Throttler(Double.MAX_VALUE, clock, () -> false), tp -> {
                    if (truncated.compareAndSet(false, true)) {
                        log.truncateTo(1);
                    }
                    return false;
                });

        Cleaner.Result result = cleaner.clean(log, range, truncations, clock.millis());

        assertThat(truncated).isTrue();
        assertThat(result.abandoned()).isTrue();
        assertThat(records(log)).containsExactly("0:a=1");
        try (var files = Files.list(log.dir())) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".cleaned"));
        }
        // The next choice lowers the checkpoint to the truncation point, on disk too.
        assertThat(manager.cleaner().cleanFilthiestLog()).isEmpty();
        assertThat(manager.cleaner().checkpointedOffset(TP)).isEqualTo(1);
        assertThat(Files.readAllLines(dir.resolve(LogCleaner.CHECKPOINT_FILE))).contains("table-0 1");
    }

    @Test
    void aSwapThatFailsAfterTheCleanedSegmentEnteredTheLogKeepsItAndRecoveryCompletesIt() throws Exception {
        PartitionLog log = compacted(COMPACTED);
        append(log, "k=1", "j=1");
        append(log, "k=2");
        log.roll();
        append(log, "j=2");
        log.roll();
        committed(log);
        LocalLog.swapSteps = step -> {
            if (step.equals("sources-retired")) {
                throw new IllegalStateException("injected: the rename to the final name fails");
            }
        };
        try {
            assertThat(manager.cleaner().cleanFilthiestLog()).isEmpty();
        } finally {
            LocalLog.swapSteps = step -> { };
        }

        // The cleaned segment serves reads; the partition waits for a restart to be cleaned again.
        assertThat(records(log)).containsExactly("2:k=2", "3:j=2");
        assertThat(manager.cleaner().uncleanablePartitionCount()).isEqualTo(1);
        manager.close();
        manager = null;
        open(SETTINGS);
        PartitionLog reopened = manager.getLog(TP).orElseThrow();
        reopened.updateHighWatermark(reopened.logEndOffset());
        assertThat(records(reopened)).containsExactly("2:k=2", "3:j=2");
        try (var files = Files.list(reopened.dir())) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".swap"));
        }
    }

    @Test
    void retentionTakingASourceMidRoundMakesTheRoundAbandonedNotAFailure() throws Exception {
        LogConfig config = COMPACTED.withRetentionMs(Duration.ofHours(1).toMillis())
                .withCleanup(COMPACTED.cleanup().withPolicies(true, true));
        PartitionLog log = compacted(config);
        append(log, "k=1", "k=2");
        log.roll();
        append(log, "k=3");
        log.roll();
        committed(log);
        Cleaner.Range range = Cleaner.cleanableRange(log, -1, clock.millis());
        AtomicBoolean expired = new AtomicBoolean();
        Cleaner cleaner = new Cleaner(new OffsetMap(24 * 100, 0.9), 64 * 1024,
                new Throttler(Double.MAX_VALUE, clock, () -> false), tp -> {
                    if (expired.compareAndSet(false, true)) {
                        clock.advance(Duration.ofHours(2)); // the first segment expires while the round copies
                        assertThat(log.deleteOldSegments()).isPositive();
                    }
                    return false;
                });

        Cleaner.Result result = cleaner.clean(log, range, log.truncationCount(), clock.millis());

        assertThat(result.abandoned()).isTrue();
        try (var files = Files.list(log.dir())) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".cleaned"));
        }
    }

    @Test
    void deletingALogStopsItsRoundFirst() throws Exception {
        // A cleaner thread throttled to 4 KiB/s: its round on a 600 KiB log would take minutes.
        LogCleaner.Settings slow = new LogCleaner.Settings(true, 1, 24 * 10_000, 0.9, 64 * 1024, 4096,
                Duration.ofMillis(10));
        // The real ticker: the manual clock's sleeps return at once.
        manager = LogManager.open(dir, LogConfig.DEFAULTS, clock, Ticker.SYSTEM, scheduler,
                LogManager.Settings.DEFAULTS.withCleaner(slow));
        PartitionLog log = manager.getOrCreateLog(TP, COMPACTED);
        String value = "x".repeat(1000);
        for (int i = 0; i < 600; i++) {
            append(log, "k" + (i % 10) + "=" + value);
        }
        log.roll();
        committed(log);
        manager.cleaner().wakeUp();
        await("the round starts").atMost(Duration.ofSeconds(30)).until(() -> manager.cleaner().isCleaning(TP));

        manager.deleteLog(TP); // aborts the round, then deletes

        assertThat(manager.cleaner().isCleaning(TP)).isFalse();
        assertThat(log.dir()).doesNotExist();
        assertThat(manager.getLog(TP)).isEmpty();
        assertThat(manager.cleaner().uncleanablePartitionCount()).isZero();
    }

    @Test
    void aBatchLargerThanTheIoBufferIsCleanedWhole() throws Exception {
        PartitionLog log = compacted(COMPACTED);
        String big = "x".repeat(200 * 1024); // larger than the 64 KiB I/O buffer of SETTINGS
        append(log, "big=" + big);
        append(log, "small=1", "big=" + big + "2");
        append(log, "small=2");
        log.roll();
        committed(log);

        manager.cleaner().cleanFilthiestLog().orElseThrow();

        assertThat(records(log)).containsExactly("2:big=" + big + "2", "3:small=2");
    }

    @Test
    void aCorruptCheckpointMeansCleaningFromTheStartNotAFailure() throws Exception {
        Files.writeString(dir.resolve(LogCleaner.CHECKPOINT_FILE), "0\n2\ntable-0 banana\n");
        PartitionLog log = compacted(COMPACTED);
        append(log, "k=1", "k=2");
        log.roll();
        committed(log);

        assertThat(manager.cleaner().checkpointedOffset(TP)).isEqualTo(-1);
        manager.cleaner().cleanFilthiestLog().orElseThrow();
        assertThat(records(log)).containsExactly("1:k=2");
    }

    @Test
    void theCheckpointSurvivesARestartAndIsDroppedWhenTheLogStopsBeingCompacted() throws Exception {
        PartitionLog log = compacted(COMPACTED);
        append(log, "k=1", "k=2");
        log.roll();
        committed(log);
        manager.cleaner().cleanFilthiestLog().orElseThrow();
        manager.close();
        assertThat(Files.readAllLines(dir.resolve(LogCleaner.CHECKPOINT_FILE))).contains("table-0 2");

        manager = null;
        open(SETTINGS);
        assertThat(manager.cleaner().checkpointedOffset(TP)).isEqualTo(2);
        manager.getLog(TP).orElseThrow().updateConfig(LogConfig.DEFAULTS);
        assertThat(manager.cleaner().cleanFilthiestLog()).isEmpty();
        assertThat(manager.cleaner().checkpointedOffset(TP)).isEqualTo(-1);
    }

    @Test
    void cleanerThreadsCompactInTheBackground() throws Exception {
        LogCleaner.Settings running = new LogCleaner.Settings(true, 1, 24 * 10_000, 0.9, 64 * 1024, Double.MAX_VALUE,
                Duration.ofMillis(10));
        PartitionLog log = open(running).getOrCreateLog(TP, COMPACTED);
        append(log, "k=1", "k=2", "k=3");
        log.roll();
        committed(log);
        manager.cleaner().wakeUp();

        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(records(log)).containsExactly("2:k=3"));
        assertThat(manager.cleaner().rounds()).isPositive();
        assertThat(manager.cleaner().deadThreadCount()).isZero();
        assertThatThrownBy(() -> manager.cleaner().cleanFilthiestLog()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void twoCleanerThreadsCleanManyLogsWithoutSteppingOnEachOther() throws Exception {
        LogCleaner.Settings two = new LogCleaner.Settings(true, 2, 24 * 10_000, 0.9, 128 * 1024, Double.MAX_VALUE,
                Duration.ofMillis(10));
        open(two);
        List<PartitionLog> logs = new ArrayList<>();
        for (int p = 0; p < 8; p++) {
            PartitionLog log = manager.getOrCreateLog(new TopicPartition("many", p), COMPACTED);
            for (int round = 0; round < 3; round++) {
                append(log, "k1=" + round, "k2=" + round, "k3=" + round);
            }
            log.roll();
            committed(log);
            logs.add(log);
        }
        manager.cleaner().wakeUp();

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            for (PartitionLog log : logs) {
                assertThat(records(log)).as("%s", log).containsExactly("6:k1=2", "7:k2=2", "8:k3=2");
            }
        });
        assertThat(manager.cleaner().rounds()).isGreaterThanOrEqualTo(8);
        assertThat(manager.cleaner().deadThreadCount()).isZero();
        assertThat(manager.cleaner().uncleanablePartitionCount()).isZero();
        for (PartitionLog log : logs) {
            assertThat(manager.cleaner().checkpointedOffset(log.topicPartition())).isEqualTo(9);
        }
    }

    // ---- helpers ----------------------------------------------------------------------------

    private void committed(PartitionLog log) {
        log.updateHighWatermark(log.logEndOffset());
    }

    private void append(PartitionLog log, String... keyValues) {
        log.appendAsLeader(keyed(keyValues), 0);
    }

    /** One batch of "key=value" records; "key=" is a tombstone. */
    private ByteBuffer keyed(String... keyValues) {
        List<KafkaRecordBatches.SimpleRecord> records = new ArrayList<>();
        for (String kv : keyValues) {
            records.add(record(kv));
        }
        return KafkaRecordBatches.batch(RecordCodec.NONE, KafkaRecordBatches.ProducerInfo.NONE, records);
    }

    private ByteBuffer idempotent(long pid, int seq, String keyValue) {
        return KafkaRecordBatches.batch(RecordCodec.NONE, new KafkaRecordBatches.ProducerInfo(pid, (short) 0, seq),
                List.of(record(keyValue)));
    }

    private KafkaRecordBatches.SimpleRecord record(String kv) {
        int eq = kv.indexOf('=');
        String value = kv.substring(eq + 1);
        return new KafkaRecordBatches.SimpleRecord(clock.millis(),
                kv.substring(0, eq).getBytes(StandardCharsets.UTF_8),
                value.isEmpty() ? null : value.getBytes(StandardCharsets.UTF_8));
    }

    /** Every record as "offset:key=value" (an empty value for a tombstone). */
    static List<String> records(PartitionLog log) {
        ByteBuffer all = LogTestSupport.readAll(log, log.logStartOffset());
        List<String> out = new ArrayList<>();
        for (KafkaRecordBatches.DecodedRecord r : KafkaRecordBatches.decode(all)) {
            out.add(r.offset() + ":" + new String(r.key(), StandardCharsets.UTF_8) + "="
                    + (r.value() == null ? "" : new String(r.value(), StandardCharsets.UTF_8)));
        }
        return out;
    }

    static Map<String, String> latest(List<String> records) {
        Map<String, String> latest = new LinkedHashMap<>();
        for (String r : records) {
            String kv = r.substring(r.indexOf(':') + 1);
            latest.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
        return latest;
    }
}
