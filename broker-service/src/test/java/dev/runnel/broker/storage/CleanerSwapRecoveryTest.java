package dev.runnel.broker.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.runnel.broker.record.KafkaRecordBatches;
import dev.runnel.broker.record.RecordCodec;
import dev.runnel.common.TopicPartition;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

/**
 * A crash at each step of the cleaner's swap ({@link LocalLog#replaceSegments}) leaves files that
 * recovery turns into either the log before the cleaning or the log after it, never a mix, a
 * loss or a duplicate. Each state is built from the files of a real cleaning: the directory
 * before it, and the cleaned segment it wrote.
 */
class CleanerSwapRecoveryTest {

    private static final TopicPartition TP = new TopicPartition("table", 0);
    private static final String DIR = TP.directoryName();
    private static final LogConfig CONFIG = LogConfig.DEFAULTS.withCompact(true);
    private static final LogCleaner.Settings SETTINGS = new LogCleaner.Settings(false, 1, 24 * 10_000, 0.9,
            64 * 1024, Double.MAX_VALUE, Duration.ofSeconds(15));

    @TempDir
    Path root;

    private final ManualScheduler scheduler = new ManualScheduler(new ManualClock());
    private List<String> before;
    private List<String> after;
    private Path original;
    private Path cleaned;
    private List<Long> sourceBases;

    /** The states a crash can leave, in the order the swap passes through them. */
    enum State {
        /** The cleaned segment was being written: only its .cleaned files exist beside the sources. */
        CLEANED_WRITTEN(false),
        /** Renaming .cleaned to .swap: the indexes renamed, the log not yet. */
        SWAP_RENAME_HALF_DONE(false),
        /** All .swap, the sources untouched. */
        SWAPPED_SOURCES_IN_PLACE(true),
        /** All .swap, the first source renamed .deleted, the rest not yet. */
        SOME_SOURCES_DELETED(true),
        /** All .swap, every source renamed .deleted. */
        ALL_SOURCES_DELETED(true),
        /** Renaming .swap to the final names: the indexes renamed, the log not yet. */
        FINAL_RENAME_HALF_DONE(true),
        /** Swap complete, the sources' .deleted files still there. */
        COMPLETE_WITH_DELETED_LEFTOVERS(true);

        final boolean cleanedWins;

        State(boolean cleanedWins) {
            this.cleanedWins = cleanedWins;
        }
    }

    @BeforeEach
    void cleanOnce() throws Exception {
        Path work = root.resolve("work");
        try (LogManager manager = open(work)) {
            PartitionLog log = manager.getOrCreateLog(TP, CONFIG);
            long now = scheduler.clock().millis();
            for (int segment = 0; segment < 3; segment++) {
                for (int i = 0; i < 20; i++) {
                    log.appendAsLeader(KafkaRecordBatches.batch(RecordCodec.NONE, KafkaRecordBatches.ProducerInfo.NONE,
                            List.of(new KafkaRecordBatches.SimpleRecord(now, bytes("k" + (i % 7)),
                                    bytes(segment + "-" + i)))), 0);
                }
                log.roll();
            }
            log.updateHighWatermark(log.logEndOffset());
            sourceBases = log.segmentBaseOffsets().subList(0, 3);
            before = LogCleanerTest.records(log);
        }
        original = root.resolve("original");
        copy(work.resolve(DIR), original);
        try (LogManager manager = open(work)) {
            manager.getLog(TP).orElseThrow().updateConfig(CONFIG); // as the broker applies the topic's configs
            manager.cleaner().cleanFilthiestLog().orElseThrow();
            PartitionLog log = manager.getLog(TP).orElseThrow();
            assertThat(log.segmentBaseOffsets()).hasSize(2); // the three sources became one
            after = LogCleanerTest.records(log);
        }
        cleaned = root.resolve("cleaned");
        copy(work.resolve(DIR), cleaned);
        assertThat(after).hasSize(7).isNotEqualTo(before);
    }

    @ParameterizedTest
    @EnumSource(State.class)
    void recoveryYieldsTheLogBeforeOrAfterTheCleaningAndNoLeftovers(State state) throws Exception {
        for (boolean cleanShutdown : new boolean[] {false, true}) {
            Path broker = root.resolve(state + "-" + cleanShutdown);
            Path dir = broker.resolve(DIR);
            build(state, dir);
            if (cleanShutdown) {
                Files.createFile(broker.resolve(LogManager.CLEAN_SHUTDOWN_FILE));
            }

            try (LogManager manager = open(broker)) {
                PartitionLog log = manager.getLog(TP).orElseThrow();
                log.updateHighWatermark(log.logEndOffset());
                assertThat(LogCleanerTest.records(log)).as("%s, clean shutdown %s", state, cleanShutdown)
                        .isEqualTo(state.cleanedWins ? after : before);
                assertThat(log.logEndOffset()).isEqualTo(60);
                for (LogSegment segment : log.segments()) {
                    segment.sanityCheckIndexes();
                }
            }
            try (Stream<Path> files = Files.list(dir)) {
                assertThat(files.map(p -> p.getFileName().toString()))
                        .noneMatch(n -> n.endsWith(".cleaned") || n.endsWith(".swap") || n.endsWith(".deleted"));
            }
        }
    }

    /** Lays out in {@code dir} the files a crash in {@code state} leaves. */
    private void build(State state, Path dir) throws IOException {
        copy(original, dir);
        String base = LogSegment.fileName(0, "");
        switch (state) {
            case CLEANED_WRITTEN -> placeCleaned(dir, ".cleaned", ".cleaned", ".cleaned");
            case SWAP_RENAME_HALF_DONE -> placeCleaned(dir, ".cleaned", ".swap", ".swap");
            case SWAPPED_SOURCES_IN_PLACE -> placeCleaned(dir, ".swap", ".swap", ".swap");
            case SOME_SOURCES_DELETED -> {
                placeCleaned(dir, ".swap", ".swap", ".swap");
                retire(dir, sourceBases.get(0));
            }
            case ALL_SOURCES_DELETED -> {
                placeCleaned(dir, ".swap", ".swap", ".swap");
                sourceBases.forEach(b -> retire(dir, b));
            }
            case FINAL_RENAME_HALF_DONE -> {
                sourceBases.forEach(b -> retire(dir, b));
                placeCleaned(dir, ".swap", "", "");
            }
            case COMPLETE_WITH_DELETED_LEFTOVERS -> {
                sourceBases.forEach(b -> retire(dir, b));
                placeCleaned(dir, "", "", "");
            }
        }
        assertThat(Files.exists(dir.resolve(base + ".log")) || Files.exists(dir.resolve(base + ".log.swap"))
                || Files.exists(dir.resolve(base + ".log.cleaned"))).isTrue();
    }

    /** Copies the cleaned segment's three files into {@code dir} under the given suffixes. */
    private void placeCleaned(Path dir, String logSuffix, String indexSuffix, String timeIndexSuffix) throws IOException {
        String[][] files = {{LogSegment.LOG_SUFFIX, logSuffix}, {LogSegment.INDEX_SUFFIX, indexSuffix},
                {LogSegment.TIME_INDEX_SUFFIX, timeIndexSuffix}};
        for (String[] f : files) {
            String name = LogSegment.fileName(0, f[0]);
            Files.copy(cleaned.resolve(name), dir.resolve(name + f[1]),
                    StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void retire(Path dir, long base) {
        try {
            for (String suffix : new String[] {LogSegment.LOG_SUFFIX, LogSegment.INDEX_SUFFIX,
                    LogSegment.TIME_INDEX_SUFFIX}) {
                Path file = dir.resolve(LogSegment.fileName(base, suffix));
                Files.move(file, file.resolveSibling(file.getFileName() + LogRecovery.DELETED_SUFFIX));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private LogManager open(Path dir) throws IOException {
        return LogManager.open(dir, LogConfig.DEFAULTS, scheduler.clock(), scheduler.clock(), scheduler,
                LogManager.Settings.DEFAULTS.withCleaner(SETTINGS));
    }

    private static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        List<Path> files = new ArrayList<>();
        try (Stream<Path> list = Files.list(from)) {
            list.forEach(files::add);
        }
        for (Path file : files) {
            Files.copy(file, to.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
