package dev.runnel.broker.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.broker.record.KafkaRecordBatches;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

/**
 * Proves that cleaning is crash-safe: a child JVM ({@link CompactingWriter}) writes keyed records
 * to a compacted log while its cleaner swaps cleaned segments in, and is killed with
 * {@code kill -9} {@value #KILLS} times on the same directory (each run
 * recovers what the previous kill left). After every kill a copy of the directory is opened and
 * checked: every key's latest write is there (or a newer one; a key may be missing only if that
 * write was a tombstone old enough to go), no write appears twice, offsets only go up, each key's
 * writes are in order, and every segment's indexes pass their check. A key's latest write is its
 * latest acknowledged one, or a newer one the log held after the kill that cut its
 * acknowledgement short: the child appends a batch before it acknowledges it, so the kill may
 * leave one batch past the last acknowledgement in the log, and from then on that batch is a
 * write like any other (a tombstone in it may delete its key).
 *
 * <p>How the swap states are known to be hit: the child prints each swap step and waits there for
 * the test's go-ahead on its stdin; the test holds it at one step per kill in turn (the cleaned
 * segment written, renamed {@code .swap}, the sources retired, the final rename) and kills it
 * there, or, every fifth kill, kills it between steps after a random number of acknowledged
 * writes. It records the step and the cleaner files ({@code .cleaned}, {@code .swap},
 * {@code .deleted}) the directory held at each kill, and requires every step to have been held.
 */
class CleanerCrashProcessTest {

    static final int KILLS = 25;

    /** Where the kills land, in turn: at each swap step (see {@link LocalLog#replaceSegments}), and between steps. */
    private static final List<String> KILL_POINTS = Arrays.asList("cleaned-written", "swap-named",
            "sources-retired", "final-named", null);
    private static final Duration DEADLINE = Duration.ofSeconds(30);

    @TempDir
    Path tmp;

    private final ManualScheduler scheduler = new ManualScheduler(new ManualClock());

    @Test
    void killNineWhileTheCleanerWorksLosesNoAcknowledgedWrite() throws Exception {
        Path logDir = tmp.resolve("log");
        long seed = Long.getLong("runnel.test.seed", System.nanoTime());
        System.out.printf("CleanerCrashProcessTest: seed %d (-Drunnel.test.seed picks the same kill points)%n", seed);
        Random random = new Random(seed);
        Map<String, Long> latestWritten = new HashMap<>();
        Map<String, Integer> statesAtKill = new TreeMap<>();
        int midSwapKills = 0;
        int cleanedFileKills = 0;
        long totalAcked = 0;
        for (int kill = 0; kill < KILLS; kill++) {
            long firstSeq = (kill + 1L) * 1_000_000_000L;
            // Each kill lands at one swap step in turn (the child waits there for the test), or, one
            // time in five, between steps after a random number of acknowledged writes.
            String holdAt = KILL_POINTS.get(kill % KILL_POINTS.size());
            long killAfter = firstSeq + 200 + random.nextInt(3000);
            Run run;
            try (Child child = new Child(logDir, firstSeq, holdAt, tmp.resolve("child-" + kill + ".stderr"))) {
                await("kill " + kill + ": the child reaches " + (holdAt == null ? "its writes" : holdAt))
                        .atMost(DEADLINE).pollInterval(Duration.ofMillis(5))
                        .failFast("the child exited before it was killed", child::assertAlive)
                        .until(() -> holdAt == null ? child.acked.get() >= killAfter : child.held() != null);
                child.killNine();
                run = new Run(child.acked.get(), child.lastStep.get());
            }
            Set<String> leftovers = leftovers(logDir.resolve(CompactingWriter.TP.directoryName()));
            String state = run.lastStep() + " " + leftovers;
            statesAtKill.merge(state, 1, Integer::sum);
            if (leftovers.contains(".swap") || run.lastStep().equals("swap-named")
                    || run.lastStep().equals("sources-retired")) { // a swap had begun and not ended
                midSwapKills++;
            }
            if (leftovers.contains(".cleaned")) {
                cleanedFileKills++;
            }
            for (long seq = firstSeq; seq <= run.ackedUpTo(); seq++) {
                latestWritten.put(CompactingWriter.key(seq), seq);
            }
            totalAcked += run.ackedUpTo() - firstSeq + 1;
            verifyCopy(logDir, tmp.resolve("copy-" + kill), latestWritten, run.ackedUpTo());
        }
        System.out.printf("CleanerCrashProcessTest: %d kills, %d acknowledged writes, %d kills mid-swap, "
                + "%d with .cleaned files; last step and leftovers at each kill: %s%n", KILLS, totalAcked,
                midSwapKills, cleanedFileKills, statesAtKill);
        assertThat(midSwapKills).as("kills inside a swap, by state %s", statesAtKill).isPositive();
        assertThat(cleanedFileKills).as("kills while a .cleaned segment was written, by state %s", statesAtKill)
                .isPositive();
        for (String step : KILL_POINTS) {
            if (step != null) {
                assertThat(statesAtKill.keySet()).as("kills held at %s", step).anyMatch(k -> k.startsWith(step + " "));
            }
        }
    }

    private record Run(long ackedUpTo, String lastStep) {
    }

    /**
     * Opens a copy of the killed child's directory (so the next child recovers the original) and
     * checks it against {@code latestWritten}, each key's latest write. The writes of the batch past
     * {@code ackedUpTo} (the last acknowledgement of the child just killed) that the log holds are
     * added to {@code latestWritten} first: the log holds them, and must keep them as any other.
     */
    private void verifyCopy(Path logDir, Path copy, Map<String, Long> latestWritten, long ackedUpTo)
            throws IOException {
        copyTree(logDir, copy);
        try (LogManager manager = LogManager.open(copy, CompactingWriter.CONFIG, scheduler.clock(), scheduler.clock(),
                scheduler, LogManager.Settings.DEFAULTS.withCleaner(new LogCleaner.Settings(false, 1, 24 * 1000, 0.9,
                        64 * 1024, Double.MAX_VALUE, Duration.ofSeconds(1))))) {
            PartitionLog log = manager.getLog(CompactingWriter.TP).orElseThrow();
            for (LogSegment segment : log.segments()) {
                segment.sanityCheckIndexes();
            }
            ByteBuffer all = LogTestSupport.readAll(log, log.logStartOffset());
            long lastOffset = -1;
            Set<Long> seen = new HashSet<>();
            Map<String, Long> latestInLog = new HashMap<>();
            for (KafkaRecordBatches.DecodedRecord r : KafkaRecordBatches.decode(all)) {
                long seq = r.timestamp();
                String key = new String(r.key(), StandardCharsets.UTF_8);
                assertThat(r.offset()).as("offsets rise").isGreaterThan(lastOffset);
                assertThat(seen.add(seq)).as("write %d appears once", seq).isTrue();
                assertThat(key).as("key of write %d", seq).isEqualTo(CompactingWriter.key(seq));
                assertThat(r.value() == null).as("tombstone or not, write %d", seq)
                        .isEqualTo(CompactingWriter.isTombstone(seq));
                assertThat(seq).as("write %d was made: at most one batch past the last acknowledged one, %d", seq,
                        ackedUpTo).isLessThanOrEqualTo(ackedUpTo + CompactingWriter.BATCH);
                if (seq > ackedUpTo) {
                    latestWritten.merge(key, seq, Math::max);
                }
                Long previous = latestInLog.put(key, seq);
                assertThat(previous == null || previous < seq).as("writes of %s in order", key).isTrue();
                lastOffset = r.offset();
            }
            latestWritten.forEach((key, written) -> {
                Long inLog = latestInLog.get(key);
                if (inLog == null) {
                    assertThat(CompactingWriter.isTombstone(written))
                            .as("%s is gone, so its latest write %d must have been a tombstone", key, written)
                            .isTrue();
                } else {
                    assertThat(inLog).as("the latest write of %s in the log", key).isGreaterThanOrEqualTo(written);
                }
            });
        }
    }

    private static Set<String> leftovers(Path dir) throws IOException {
        Set<String> found = new TreeSet<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.map(p -> p.getFileName().toString()).forEach(name -> {
                for (String suffix : List.of(LogRecovery.CLEANED_SUFFIX, LogRecovery.SWAP_SUFFIX,
                        LogRecovery.DELETED_SUFFIX)) {
                    if (name.endsWith(suffix)) {
                        found.add(suffix);
                    }
                }
            });
        }
        return found;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else if (!path.getFileName().toString().equals(LogManager.LOCK_FILE)) {
                    Files.copy(path, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    /**
     * One run of {@link CompactingWriter}: its acknowledgements and the swap steps it printed. The
     * child waits at every swap step for a line on its stdin; this answers at once, except at the
     * first {@code holdAt} step, where it leaves the child waiting to be killed.
     */
    private static final class Child implements AutoCloseable {

        private final ChildJvm jvm;
        private final String holdAt;
        private final Writer control;
        final AtomicLong acked;
        final AtomicReference<String> lastStep = new AtomicReference<>("none");
        private volatile String held;
        private volatile boolean stdoutEnded;

        Child(Path logDir, long firstSeq, String holdAt, Path stderr) throws IOException {
            this.acked = new AtomicLong(firstSeq - 1);
            this.holdAt = holdAt;
            this.jvm = ChildJvm.start(CompactingWriter.class, stderr, logDir.toString(), Long.toString(firstSeq));
            this.control = new OutputStreamWriter(jvm.stdin(), StandardCharsets.UTF_8);
            Thread reader = new Thread(this::readReports, "compacting-child-stdout");
            reader.setDaemon(true);
            reader.start();
        }

        /** The step the child is held at, or null. */
        String held() {
            return held;
        }

        /** Collects ACK and STEP lines and answers the steps; a last line cut short by the kill counts for nothing. */
        private void readReports() {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(jvm.stdout(), StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    String[] parts = line.split(" ");
                    if (parts.length == 3 && parts[0].equals("ACK")) {
                        acked.set(Long.parseLong(parts[2]));
                    } else if (parts.length == 2 && parts[0].equals("STEP")) {
                        lastStep.set(parts[1]);
                        if (held == null && parts[1].equals(holdAt)) {
                            held = parts[1];
                        } else {
                            control.write("go\n");
                            control.flush();
                        }
                    }
                }
            } catch (IOException | NumberFormatException e) {
                // The pipe broke with the process, or the kill cut a line: what was read is what was reported.
            } finally {
                stdoutEnded = true;
            }
        }

        void assertAlive() {
            jvm.assertAlive();
        }

        void killNine() throws IOException {
            jvm.killNine(() -> stdoutEnded);
        }

        @Override
        public void close() {
            jvm.close();
        }
    }
}
