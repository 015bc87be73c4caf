package dev.runnel.broker.storage;

import static dev.runnel.broker.storage.LogTestSupport.readAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.broker.record.KafkaRecordBatches;
import dev.runnel.common.TopicPartition;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

/**
 * Proves that a log survives {@code kill -9} of the process appending to it. A child JVM
 * ({@link CrashingAppender}) appends batches of varying sizes through a {@link LogManager} whose
 * segments roll and whose checkpoints are written while it appends, and reports each batch once
 * its append returned. After SIGKILL the reopened log holds every reported batch with its offsets
 * and record values, in order from offset 0 with no gap and no duplicate, followed by at most the
 * one batch that was appended but not yet reported. Two rounds run on the same directory, so the
 * second crash hits a log that was recovered once and appended to by the recovering process.
 */
class CrashRecoveryProcessTest {

    private static final int SEGMENT_BYTES = 64 * 1024;
    private static final int MIN_BATCHES_PER_ROUND = 2_000;
    private static final Duration DEADLINE = Duration.ofSeconds(20);
    private static final Pattern APPENDED = Pattern.compile("APPENDED (\\d+) (\\d+) (\\d+)");

    @TempDir
    Path tmp;

    private final ManualScheduler scheduler = new ManualScheduler(new ManualClock());
    private final LogConfig config = CrashingAppender.config(SEGMENT_BYTES);

    /** A batch by its number and offsets, as the child reports it and as the log holds it. */
    private record Batch(long batchNo, long firstOffset, long lastOffset) {
    }

    @Test
    void everyReportedBatchSurvivesKillNine() throws Exception {
        Path logDir = tmp.resolve("log");
        List<Batch> reported = new ArrayList<>();
        List<Batch> survivors = List.of();
        for (int round = 1; round <= 2; round++) {
            long startOffset = survivors.isEmpty() ? 0 : survivors.get(survivors.size() - 1).lastOffset() + 1;
            List<Batch> reportedThisRound = appendInChildUntilKilled(logDir, round, startOffset);
            reported.addAll(reportedThisRound);
            long checkpointedRecoveryPoint = checkpointedRecoveryPoint(logDir);

            try (LogManager manager = LogManager.open(logDir, config, scheduler.clock(), scheduler,
                    LogManager.Settings.DEFAULTS)) {
                PartitionLog log = manager.getLog(CrashingAppender.TP).orElseThrow();
                List<Batch> stored = readIntactBatches(log);

                assertSameSequence("round " + round + ": batch kept from the round before",
                        stored.subList(0, Math.min(stored.size(), survivors.size())), survivors);
                List<Batch> storedAsReported = reported.stream()
                        .map(r -> r.batchNo() < stored.size() ? stored.get((int) r.batchNo()) : null).toList();
                assertSameSequence("round " + round + ": reported batch", storedAsReported, reported);
                long lastReported = reportedThisRound.get(reportedThisRound.size() - 1).batchNo();
                assertThat((long) stored.size()).as("round %d: batches in the log, the last reported being %d "
                        + "(at most one appended but unreported may follow it)", round, lastReported)
                        .isBetween(lastReported + 1, lastReported + 2);
                Batch last = stored.get(stored.size() - 1);
                assertThat(log.logEndOffset()).isEqualTo(last.lastOffset() + 1);
                assertThat(checkpointedRecoveryPoint).as("round %d: recovery point the child checkpointed", round)
                        .isGreaterThan(startOffset).isLessThanOrEqualTo(log.logEndOffset());
                assertThat(log.numberOfSegments()).as("segments after round %d", round).isGreaterThan(3 * round);

                // Stamped with the log's clock: a CreateTime record an hour ahead of the broker is refused.
                AppendInfo appended = log.appendAsLeader(CrashingAppender.batch(last.batchNo() + 1,
                        scheduler.clock().millis()), 0);
                Batch next = new Batch(last.batchNo() + 1, appended.firstOffset(), appended.lastOffset());
                assertThat(next).as("the first append after recovery")
                        .isEqualTo(intactLog(stored.size() + 1).get(stored.size()));
                assertThat(log.logEndOffset()).isEqualTo(next.lastOffset() + 1);
                List<Batch> kept = new ArrayList<>(stored);
                kept.add(next);
                survivors = kept;
            }
        }
    }

    /**
     * Runs the child on {@code logDir} until it has reported enough batches and checkpointed a
     * recovery point past {@code startOffset} (so segments rolled and were flushed while it
     * appended), then kills it with SIGKILL. Returns every batch it reported on a whole line.
     */
    private List<Batch> appendInChildUntilKilled(Path logDir, int round, long startOffset) throws Exception {
        try (Child child = new Child(logDir, tmp.resolve("child-" + round + ".stderr"))) {
            await("round " + round + ": the child's appends and checkpoints").atMost(DEADLINE)
                    .pollInterval(Duration.ofMillis(10))
                    .failFast("the child exited before it was killed", child::assertAlive)
                    .until(() -> child.reportedCount() >= MIN_BATCHES_PER_ROUND
                            && checkpointedRecoveryPoint(logDir) > startOffset);
            child.killNine();
            List<Batch> reported = child.reported();
            assertThat(reported).as("round %d: batches the child reported", round)
                    .hasSizeGreaterThanOrEqualTo(MIN_BATCHES_PER_ROUND);
            return reported;
        }
    }

    /**
     * Reads the whole log and checks it is intact: batch {@code n} holds the records
     * {@code b<n>-r<i>} that {@link CrashingAppender#batch} puts in it, and the batches run back
     * to back from offset 0 in the order of their numbers. Returns the batches.
     */
    private static List<Batch> readIntactBatches(PartitionLog log) {
        assertThat(log.logStartOffset()).isZero();
        ByteBuffer bytes = readAll(log, 0);
        List<Batch> batches = new ArrayList<>();
        List<Long> offsets = new ArrayList<>();
        List<String> values = new ArrayList<>();
        for (int at = 0; at < bytes.limit(); ) {
            int size = RecordBatchHeader.sizeInBytes(bytes, at);
            List<KafkaRecordBatches.DecodedRecord> records =
                    KafkaRecordBatches.decode(bytes.duplicate().position(at).limit(at + size).slice());
            assertThat(records).as("records of the batch at byte %d", at).isNotEmpty();
            String firstValue = new String(records.get(0).value(), StandardCharsets.UTF_8);
            assertThat(firstValue).as("first value of the batch at byte %d", at).matches("b\\d+-r0");
            batches.add(new Batch(Long.parseLong(firstValue.substring(1, firstValue.indexOf('-'))),
                    RecordBatchHeader.baseOffset(bytes, at), RecordBatchHeader.lastOffset(bytes, at)));
            for (KafkaRecordBatches.DecodedRecord r : records) {
                offsets.add(r.offset());
                values.add(new String(r.value(), StandardCharsets.UTF_8));
            }
            at += size;
        }
        List<Batch> intact = intactLog(batches.size());
        assertSameSequence("batch", batches, intact);
        List<Long> intactOffsets = new ArrayList<>();
        List<String> intactValues = new ArrayList<>();
        for (Batch b : intact) {
            for (int i = 0; i < CrashingAppender.recordCount(b.batchNo()); i++) {
                intactOffsets.add(b.firstOffset() + i);
                intactValues.add(CrashingAppender.value(b.batchNo(), i));
            }
        }
        assertSameSequence("record offset", offsets, intactOffsets);
        assertSameSequence("record value", values, intactValues);
        return batches;
    }

    /** The first {@code count} batches of a log that lost nothing: numbers 0, 1, ... back to back from offset 0. */
    private static List<Batch> intactLog(int count) {
        List<Batch> batches = new ArrayList<>(count);
        long next = 0;
        for (long n = 0; n < count; n++) {
            long last = next + CrashingAppender.recordCount(n) - 1;
            batches.add(new Batch(n, next, last));
            next = last + 1;
        }
        return batches;
    }

    /** Asserts equal lists, naming the first difference (AssertJ's containsExactly is quadratic). */
    private static void assertSameSequence(String what, List<?> actual, List<?> expected) {
        int n = Math.min(actual.size(), expected.size());
        for (int i = 0; i < n; i++) {
            if (!Objects.equals(actual.get(i), expected.get(i))) {
                assertThat(actual.get(i)).as("%s #%d (of %d)", what, i, expected.size()).isEqualTo(expected.get(i));
            }
        }
        assertThat(actual.size()).as("number of each %s", what).isEqualTo(expected.size());
    }

    /** The recovery point of the test's partition in the directory's checkpoint, or -1 if none is written. */
    private static long checkpointedRecoveryPoint(Path logDir) throws IOException {
        var checkpoint = new CheckpointFile<>(logDir.resolve(LogManager.RECOVERY_POINT_CHECKPOINT),
                CheckpointFile.keyedOffsets(TopicPartition::directoryName, TopicPartition::fromDirectoryName));
        return checkpoint.read().stream().filter(e -> e.getKey().equals(CrashingAppender.TP))
                .mapToLong(Map.Entry::getValue).findFirst().orElse(-1L);
    }

    /** One run of {@link CrashingAppender}: the process and the batches it has reported. */
    private static final class Child implements AutoCloseable {

        private final ChildJvm jvm;
        private final List<Batch> reported = Collections.synchronizedList(new ArrayList<>());
        private volatile boolean stdoutEnded;

        Child(Path logDir, Path stderr) throws IOException {
            this.jvm = ChildJvm.start(CrashingAppender.class, stderr, logDir.toString(), Integer.toString(SEGMENT_BYTES));
            Thread reader = new Thread(this::readReports, "crash-child-stdout");
            reader.setDaemon(true);
            reader.start();
        }

        /** Collects the APPENDED lines; a last line cut short by the kill reports nothing. */
        private void readReports() {
            try (InputStream in = new BufferedInputStream(jvm.stdout())) {
                StringBuilder line = new StringBuilder();
                for (int b = in.read(); b != -1; b = in.read()) {
                    if (b != '\n') {
                        line.append((char) b);
                        continue;
                    }
                    Matcher m = APPENDED.matcher(line);
                    if (m.matches()) {
                        reported.add(new Batch(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)),
                                Long.parseLong(m.group(3))));
                    }
                    line.setLength(0);
                }
            } catch (IOException e) {
                // The pipe broke with the process: what was read is what was reported.
            } finally {
                stdoutEnded = true;
            }
        }

        int reportedCount() {
            return reported.size();
        }

        List<Batch> reported() {
            synchronized (reported) {
                return List.copyOf(reported);
            }
        }

        void assertAlive() {
            jvm.assertAlive();
        }

        /** Sends SIGKILL with {@code kill -9} and waits for the child to die and its stdout to end. */
        void killNine() throws IOException {
            jvm.killNine(() -> stdoutEnded);
        }

        @Override
        public void close() {
            jvm.close();
        }
    }
}
