package dev.runnel.broker.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.runnel.common.TopicPartition;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

class LogManagerTest {

    private static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);
    private static final TopicPartition PAYMENTS_3 = new TopicPartition("payments", 3);

    /** Retention every 10 s, flush checks every 1 s, recovery points every 5 s, high watermarks every 2 s. */
    private static final LogManager.Settings SETTINGS = new LogManager.Settings(Duration.ofSeconds(10),
            Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(2));

    @TempDir
    Path dir;

    private final ManualScheduler scheduler = new ManualScheduler(new ManualClock());
    private final long now = scheduler.clock().millis();

    private LogManager open() throws IOException {
        return open(LogConfig.DEFAULTS);
    }

    private LogManager open(LogConfig config) throws IOException {
        return LogManager.open(dir, config, scheduler.clock(), scheduler, SETTINGS);
    }

    private Map<TopicPartition, Long> readCheckpoint(String name) throws IOException {
        var file = new CheckpointFile<>(dir.resolve(name),
                CheckpointFile.keyedOffsets(TopicPartition::directoryName, TopicPartition::fromDirectoryName));
        Map<TopicPartition, Long> map = new HashMap<>();
        for (Map.Entry<TopicPartition, Long> e : file.read()) {
            map.put(e.getKey(), e.getValue());
        }
        return map;
    }

    /** Opens a manager, writes 3 records to orders-0 and 5 to payments-3, sets high watermarks 2 and 5, closes. */
    private void writeTwoLogsAndClose() throws IOException {
        try (LogManager manager = open()) {
            PartitionLog orders = manager.getOrCreateLog(ORDERS_0, LogConfig.DEFAULTS);
            PartitionLog payments = manager.getOrCreateLog(PAYMENTS_3, LogConfig.DEFAULTS);
            orders.appendAsLeader(TestBatches.batch(3, now), 1);
            payments.appendAsLeader(TestBatches.batch(2, now), 1);
            payments.appendAsLeader(TestBatches.batch(3, now), 2);
            orders.updateHighWatermark(2);
            payments.updateHighWatermark(5);
        }
    }

    private List<String> fileNames(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    // ---- opening and closing ----------------------------------------------------------------

    @Test
    void openingAnEmptyDirectoryLoadsNoLogsAndLocksIt() throws Exception {
        try (LogManager manager = open()) {
            assertThat(manager.logs()).isEmpty();
            assertThat(manager.logDir()).isEqualTo(dir);
            assertThat(Files.exists(dir.resolve(LogManager.LOCK_FILE))).isTrue();
            assertThat(Files.exists(dir.resolve(LogManager.CLEAN_SHUTDOWN_FILE))).isFalse();
        }
    }

    @Test
    void openingAMissingDirectoryCreatesIt() throws Exception {
        Path missing = dir.resolve("a/b/logs");

        try (LogManager manager = LogManager.open(missing, LogConfig.DEFAULTS, scheduler.clock(), scheduler,
                SETTINGS)) {
            assertThat(Files.isDirectory(missing)).isTrue();
            assertThat(manager.logs()).isEmpty();
        }
    }

    @Test
    void getOrCreateLogCreatesThePartitionDirectoryOnceAndReturnsTheSameLog() throws Exception {
        try (LogManager manager = open()) {
            PartitionLog first = manager.getOrCreateLog(ORDERS_0, LogConfig.DEFAULTS);
            PartitionLog again = manager.getOrCreateLog(ORDERS_0, LogConfig.DEFAULTS.withSegmentBytes(1_000));

            assertThat(again).isSameAs(first);
            assertThat(first.dir()).isEqualTo(dir.resolve("orders-0"));
            assertThat(Files.isDirectory(dir.resolve("orders-0"))).isTrue();
            assertThat(manager.getLog(ORDERS_0)).containsSame(first);
            assertThat(manager.getLog(PAYMENTS_3)).isEmpty();
        }
    }

    @Test
    void closeWritesTheCheckpointsThenTheCleanShutdownMarker() throws Exception {
        writeTwoLogsAndClose();

        assertThat(Files.exists(dir.resolve(LogManager.CLEAN_SHUTDOWN_FILE))).isTrue();
        assertThat(readCheckpoint(LogManager.RECOVERY_POINT_CHECKPOINT))
                .containsOnly(Map.entry(ORDERS_0, 3L), Map.entry(PAYMENTS_3, 5L));
        assertThat(readCheckpoint(LogManager.LOG_START_OFFSET_CHECKPOINT))
                .containsOnly(Map.entry(ORDERS_0, 0L), Map.entry(PAYMENTS_3, 0L));
        assertThat(readCheckpoint(LogManager.HIGH_WATERMARK_CHECKPOINT))
                .containsOnly(Map.entry(ORDERS_0, 2L), Map.entry(PAYMENTS_3, 5L));
        assertThat(fileNames(dir)).doesNotContain(LogManager.RECOVERY_POINT_CHECKPOINT + ".tmp",
                LogManager.HIGH_WATERMARK_CHECKPOINT + ".tmp", LogManager.LOG_START_OFFSET_CHECKPOINT + ".tmp");
    }

    @Test
    void reopeningLoadsEveryLogWithItsOffsetsAndRemovesTheMarker() throws Exception {
        writeTwoLogsAndClose();

        try (LogManager manager = open()) {
            assertThat(Files.exists(dir.resolve(LogManager.CLEAN_SHUTDOWN_FILE))).isFalse();
            assertThat(manager.logs()).containsOnlyKeys(ORDERS_0, PAYMENTS_3);

            PartitionLog orders = manager.getLog(ORDERS_0).orElseThrow();
            PartitionLog payments = manager.getLog(PAYMENTS_3).orElseThrow();
            assertThat(orders.logEndOffset()).isEqualTo(3);
            assertThat(payments.logEndOffset()).isEqualTo(5);
            assertThat(orders.highWatermark()).isEqualTo(2);
            assertThat(payments.highWatermark()).isEqualTo(5);
            assertThat(orders.recoveryPoint()).isEqualTo(3);
            assertThat(TestBatches.values(LogTestSupport.readAll(orders, 0))).containsExactly("v0", "v1", "v2");
            assertThat(payments.leaderEpochs().latest()).hasValueSatisfying(e -> assertThat(e.epoch()).isEqualTo(2));

            assertThat(orders.appendAsLeader(TestBatches.batch(1, now), 1).firstOffset()).isEqualTo(3);
        }
    }

    @Test
    void theMarkerExistsOnlyBetweenACleanCloseAndTheNextOpen() throws Exception {
        writeTwoLogsAndClose();
        assertThat(fileNames(dir)).contains(LogManager.CLEAN_SHUTDOWN_FILE);

        try (LogManager manager = open()) {
            // The marker described the previous run; a crash of this one must trigger recovery.
            assertThat(fileNames(dir)).doesNotContain(LogManager.CLEAN_SHUTDOWN_FILE);
            assertThat(manager.logs()).hasSize(2);
        }
        assertThat(fileNames(dir)).contains(LogManager.CLEAN_SHUTDOWN_FILE);
    }

    @Test
    void aSecondOpenOfADirectoryInUseIsRefused() throws Exception {
        try (LogManager first = open()) {
            first.getOrCreateLog(ORDERS_0, LogConfig.DEFAULTS).appendAsLeader(TestBatches.batch(2, now), 0);

            assertThatThrownBy(this::open)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("in use");

            // The first manager is unaffected.
            assertThat(first.getOrCreateLog(ORDERS_0, LogConfig.DEFAULTS)
                    .appendAsLeader(TestBatches.batch(1, now), 0).firstOffset()).isEqualTo(2);
        }
    }

    @Test
    void aDirectoryCanBeOpenedAgainOnceTheManagerHoldingItIsClosed() throws Exception {
        LogManager first = open();
        first.close();

        try (LogManager second = open()) {
            assertThat(second.logs()).isEmpty();
        }
    }

    @Test
    void closingTwiceIsHarmlessAndAClosedManagerCreatesNoLogs() throws Exception {
        LogManager manager = open();
        manager.close();

        assertThatCode(manager::close).doesNotThrowAnyException();
        assertThatThrownBy(() -> manager.getOrCreateLog(ORDERS_0, LogConfig.DEFAULTS))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void closeCancelsTheBackgroundTasks() throws Exception {
        LogManager manager = open();
        assertThat(scheduler.pendingTaskNames()).contains("log-retention", "log-flush", "recovery-point-checkpoint",
                "high-watermark-checkpoint");

        manager.close();

        assertThat(scheduler.pendingTaskNames()).doesNotContain("log-retention", "log-flush",
                "recovery-point-checkpoint", "high-watermark-checkpoint");
    }

    // ---- damaged or foreign contents ----------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"text", "binary"})
    void aCorruptRecoveryPointCheckpointDoesNotPreventOpeningAfterACrash(String kind) throws Exception {
        writeTwoLogsAndClose();
        // Simulate a crash: no clean-shutdown marker, a damaged checkpoint, a torn write at the end of orders-0.
        Files.delete(dir.resolve(LogManager.CLEAN_SHUTDOWN_FILE));
        byte[] garbage = kind.equals("text")
                ? "0\n2\norders-0 3\n".getBytes(StandardCharsets.UTF_8)
                : new byte[] {(byte) 0xFF, (byte) 0xFE, 0x00, (byte) 0xC3, 0x28, '\n'};
        Files.write(dir.resolve(LogManager.RECOVERY_POINT_CHECKPOINT), garbage);
        Path ordersLog = dir.resolve("orders-0").resolve(LogSegment.fileName(0, LogSegment.LOG_SUFFIX));
        long goodSize = Files.size(ordersLog);
        Files.write(ordersLog, new byte[] {0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 70, 1, 2, 3}, StandardOpenOption.APPEND);

        try (LogManager manager = open()) {
            assertThat(manager.logs()).containsOnlyKeys(ORDERS_0, PAYMENTS_3);
            PartitionLog orders = manager.getLog(ORDERS_0).orElseThrow();
            assertThat(orders.logEndOffset()).isEqualTo(3);
            assertThat(manager.getLog(PAYMENTS_3).orElseThrow().logEndOffset()).isEqualTo(5);
            assertThat(Files.size(ordersLog)).isEqualTo(goodSize);
            assertThat(orders.appendAsLeader(TestBatches.batch(1, now), 1).firstOffset()).isEqualTo(3);
        }
        assertThat(readCheckpoint(LogManager.RECOVERY_POINT_CHECKPOINT))
                .containsOnly(Map.entry(ORDERS_0, 4L), Map.entry(PAYMENTS_3, 5L));
    }

    @Test
    void corruptStartAndHighWatermarkCheckpointsAreTreatedAsUnrecorded() throws Exception {
        writeTwoLogsAndClose();
        Files.writeString(dir.resolve(LogManager.HIGH_WATERMARK_CHECKPOINT), "0\n9\n");
        Files.writeString(dir.resolve(LogManager.LOG_START_OFFSET_CHECKPOINT), "zero\n");

        try (LogManager manager = open()) {
            PartitionLog payments = manager.getLog(PAYMENTS_3).orElseThrow();
            assertThat(payments.logEndOffset()).isEqualTo(5);
            assertThat(payments.highWatermark()).isZero();
            assertThat(payments.logStartOffset()).isZero();
        }
    }

    @Test
    void directoriesThatAreNotPartitionsAreIgnored() throws Exception {
        writeTwoLogsAndClose();
        for (String name : List.of("lost+found", "not_a_partition", "orders-x", "orders-", "-3", ".trash")) {
            Files.createDirectories(dir.resolve(name));
            Files.writeString(dir.resolve(name).resolve("keep.txt"), "mine");
        }
        Files.writeString(dir.resolve("orders-9"), "a file, not a directory");

        try (LogManager manager = open()) {
            assertThat(manager.logs()).containsOnlyKeys(ORDERS_0, PAYMENTS_3);
            assertThat(manager.getLog(ORDERS_0).orElseThrow().logEndOffset()).isEqualTo(3);
        }
        for (String name : List.of("lost+found", "not_a_partition", "orders-x", "orders-", "-3", ".trash")) {
            assertThat(fileNames(dir.resolve(name))).containsExactly("keep.txt");
        }
        assertThat(Files.readString(dir.resolve("orders-9"))).isEqualTo("a file, not a directory");
    }

    @Test
    void deleteLogRemovesItsDirectoryAndItsCheckpointEntries() throws Exception {
        try (LogManager manager = open()) {
            PartitionLog orders = manager.getOrCreateLog(ORDERS_0, LogConfig.DEFAULTS);
            manager.getOrCreateLog(PAYMENTS_3, LogConfig.DEFAULTS).appendAsLeader(TestBatches.batch(2, now), 0);
            orders.appendAsLeader(TestBatches.batch(3, now), 0);

            manager.deleteLog(ORDERS_0);

            assertThat(Files.exists(dir.resolve("orders-0"))).isFalse();
            assertThat(manager.getLog(ORDERS_0)).isEmpty();
            assertThat(manager.logs()).containsOnlyKeys(PAYMENTS_3);
            assertThat(Files.exists(dir.resolve("payments-3"))).isTrue();
            assertThatCode(() -> manager.deleteLog(ORDERS_0)).doesNotThrowAnyException();
        }
        assertThat(readCheckpoint(LogManager.RECOVERY_POINT_CHECKPOINT)).containsOnlyKeys(PAYMENTS_3);

        try (LogManager reopened = open()) {
            assertThat(reopened.logs()).containsOnlyKeys(PAYMENTS_3);
            assertThat(reopened.getOrCreateLog(ORDERS_0, LogConfig.DEFAULTS).logEndOffset()).isZero();
        }
    }

    @Test
    void deleteLogOfALogWithRolledSegmentsRemovesEverything() throws Exception {
        LogConfig small = LogConfig.DEFAULTS.withSegmentBytes(300);
        try (LogManager manager = open(small)) {
            PartitionLog orders = manager.getOrCreateLog(ORDERS_0, small);
            for (int i = 0; i < 10; i++) {
                orders.appendAsLeader(TestBatches.batch(2, now), 0);
            }
            assertThat(orders.numberOfSegments()).isGreaterThan(1);

            manager.deleteLog(ORDERS_0);
            scheduler.advance(Duration.ofSeconds(1));

            assertThat(Files.exists(dir.resolve("orders-0"))).isFalse();
        }
    }

    // ---- background tasks -----------------------------------------------------------------------

    @Test
    void retentionRunsWhenItsIntervalPassesAndDeletesExpiredSegments() throws Exception {
        LogConfig config = LogConfig.DEFAULTS.withSegmentBytes(300).withRetentionMs(60_000)
                .withFileDeleteDelayMs(1_000);
        try (LogManager manager = open(config)) {
            PartitionLog orders = manager.getOrCreateLog(ORDERS_0, config);
            for (int i = 0; i < 10; i++) {
                orders.appendAsLeader(TestBatches.batch(2, now), 0);
            }
            orders.updateHighWatermark(orders.logEndOffset()); // committed: retention may delete
            int segments = orders.numberOfSegments();
            assertThat(segments).isGreaterThan(2);

            // Three retention checks run, but the records are only 30 s old.
            scheduler.advance(Duration.ofSeconds(30));
            assertThat(orders.numberOfSegments()).isEqualTo(segments);
            assertThat(orders.logStartOffset()).isZero();

            // At 60 s the records are not yet older than retention.ms; the check at 70 s deletes them.
            scheduler.advance(Duration.ofSeconds(30));
            assertThat(orders.numberOfSegments()).isEqualTo(segments);
            scheduler.advance(Duration.ofSeconds(10));

            assertThat(orders.numberOfSegments()).isEqualTo(1);
            assertThat(orders.logStartOffset()).isEqualTo(20);
            assertThat(orders.logEndOffset()).isEqualTo(20);
            assertThat(fileNames(orders.dir())).anyMatch(name -> name.endsWith(LogRecovery.DELETED_SUFFIX));

            // The deleted segments' files go after file.delete.delay.ms.
            scheduler.advance(Duration.ofSeconds(1));
            assertThat(fileNames(orders.dir())).containsExactlyInAnyOrder(
                    LogSegment.fileName(20, LogSegment.LOG_SUFFIX), LogSegment.fileName(20, LogSegment.INDEX_SUFFIX),
                    LogSegment.fileName(20, LogSegment.TIME_INDEX_SUFFIX), LeaderEpochCache.FILE_NAME,
                    // The producer state as of the roll to segment 20; the older snapshots went with their segments.
                    LogSegment.fileName(20, ProducerSnapshotFile.SUFFIX));
            assertThat(orders.appendAsLeader(TestBatches.batch(1, scheduler.clock().millis()), 0).firstOffset())
                    .isEqualTo(20);
        }
    }

    @Test
    void expiredSegmentsStayUntilTheNextRetentionCheck() throws Exception {
        LogConfig config = LogConfig.DEFAULTS.withSegmentBytes(300).withRetentionMs(60_000);
        try (LogManager manager = open(config)) {
            PartitionLog orders = manager.getOrCreateLog(ORDERS_0, config);
            long twoHoursAgo = now - Duration.ofHours(2).toMillis();
            for (int i = 0; i < 10; i++) {
                orders.appendAsLeader(TestBatches.batch(2, twoHoursAgo), 0);
            }
            orders.updateHighWatermark(orders.logEndOffset()); // committed: retention may delete
            int segments = orders.numberOfSegments();

            scheduler.advance(Duration.ofMillis(9_999));
            assertThat(orders.numberOfSegments()).isEqualTo(segments);

            scheduler.advance(Duration.ofMillis(1));
            assertThat(orders.numberOfSegments()).isEqualTo(1);
            assertThat(orders.logStartOffset()).isEqualTo(20);
        }
    }

    @Test
    void retentionBytesIsAppliedByTheRetentionTask() throws Exception {
        LogConfig config = LogConfig.DEFAULTS.withSegmentBytes(300).withRetentionBytes(400);
        try (LogManager manager = open(config)) {
            PartitionLog orders = manager.getOrCreateLog(ORDERS_0, config);
            for (int i = 0; i < 10; i++) {
                orders.appendAsLeader(TestBatches.batch(2, now), 0);
            }
            orders.updateHighWatermark(orders.logEndOffset()); // committed: retention may delete
            long before = orders.sizeInBytes();
            assertThat(before).isGreaterThan(400);

            scheduler.advance(Duration.ofSeconds(10));

            assertThat(orders.sizeInBytes()).isLessThan(before);
            assertThat(orders.logStartOffset()).isGreaterThan(0);
            assertThat(orders.logEndOffset()).isEqualTo(20);
        }
    }

    @Test
    void theFlushTaskMovesTheRecoveryPointOnceFlushMsHasPassed() throws Exception {
        LogConfig config = LogConfig.DEFAULTS.withFlushMs(5_000);
        try (LogManager manager = open(config)) {
            PartitionLog orders = manager.getOrCreateLog(ORDERS_0, config);
            orders.appendAsLeader(TestBatches.batch(3, now), 0);
            assertThat(orders.recoveryPoint()).isZero();

            scheduler.advance(Duration.ofSeconds(4));
            assertThat(orders.recoveryPoint()).isZero();

            scheduler.advance(Duration.ofSeconds(1));
            assertThat(orders.recoveryPoint()).isEqualTo(3);
        }
    }

    @Test
    void checkpointTasksWriteRecoveryPointsAndHighWatermarksOnTheirIntervals() throws Exception {
        try (LogManager manager = open()) {
            PartitionLog orders = manager.getOrCreateLog(ORDERS_0, LogConfig.DEFAULTS);
            orders.appendAsLeader(TestBatches.batch(3, now), 0);
            orders.flush();
            orders.updateHighWatermark(2);

            scheduler.advance(Duration.ofSeconds(2));
            assertThat(readCheckpoint(LogManager.HIGH_WATERMARK_CHECKPOINT)).containsOnly(Map.entry(ORDERS_0, 2L));
            assertThat(Files.exists(dir.resolve(LogManager.RECOVERY_POINT_CHECKPOINT))).isFalse();

            scheduler.advance(Duration.ofSeconds(3));
            assertThat(readCheckpoint(LogManager.RECOVERY_POINT_CHECKPOINT)).containsOnly(Map.entry(ORDERS_0, 3L));
            assertThat(readCheckpoint(LogManager.LOG_START_OFFSET_CHECKPOINT)).containsOnly(Map.entry(ORDERS_0, 0L));

            orders.updateHighWatermark(3);
            scheduler.advance(Duration.ofSeconds(2));
            assertThat(readCheckpoint(LogManager.HIGH_WATERMARK_CHECKPOINT)).containsOnly(Map.entry(ORDERS_0, 3L));
        }
    }
}
