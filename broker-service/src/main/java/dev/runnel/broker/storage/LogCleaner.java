package dev.runnel.broker.storage;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.common.TopicPartition;
import dev.runnel.common.time.Ticker;

/**
 * The log cleaner of one log directory (Kafka's {@code LogCleaner} with its
 * {@code LogCleanerManager}): threads that each take the dirtiest compacted log, clean it with a
 * {@link Cleaner}, and record how far it is clean in {@code cleaner-offset-checkpoint}.
 *
 * <p><b>Choosing a log.</b> Among logs whose {@code cleanup.policy} includes {@code compact}, not
 * being cleaned by another thread and not marked uncleanable, those whose {@link Cleaner.Range} is
 * worth cleaning (dirty ratio above {@code min.cleanable.dirty.ratio}, or dirty data older than
 * {@code max.compaction.lag.ms}); the one with the highest dirty ratio wins.
 *
 * <p><b>The checkpoint</b> holds each compacted log's first dirty offset; it is written after
 * every round that swapped, and dropped for logs that are gone or no longer compacted (so a
 * topic compacted again is cleaned from its start). A truncation below it lowers it. A crash
 * between a swap and the checkpoint write costs a second cleaning of the same range, which
 * changes nothing.
 *
 * <p><b>Failures.</b> A round that fails (a corrupt batch, an I/O error) marks its log
 * uncleanable until the broker restarts or the log is deleted, and the thread goes on; a thread
 * that dies of an {@link Error} is counted ({@link #deadThreadCount()}), which the broker's health
 * reports. The threads share one {@link Throttler} ({@code log.cleaner.io.max.bytes.per.second}).
 * Each thread's {@link OffsetMap} is allocated on its first round, so a broker without compacted
 * logs never pays for it. Thread-safe.
 */
public final class LogCleaner implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LogCleaner.class);

    static final String CHECKPOINT_FILE = "cleaner-offset-checkpoint";

    /**
     * The broker's cleaner settings, named as Kafka's.
     *
     * @param enabled             {@code log.cleaner.enable}
     * @param threads             {@code log.cleaner.threads}
     * @param dedupeBufferBytes   {@code log.cleaner.dedupe.buffer.size}: memory for the offset maps, shared by the threads
     * @param loadFactor          {@code log.cleaner.io.buffer.load.factor}: how full a map may get
     * @param ioBufferBytes       {@code log.cleaner.io.buffer.size}: read and write buffers, shared by the threads
     * @param maxIoBytesPerSecond {@code log.cleaner.io.max.bytes.per.second}
     * @param backoff             {@code log.cleaner.backoff.ms}: the wait when no log needs cleaning
     */
    public record Settings(boolean enabled, int threads, long dedupeBufferBytes, double loadFactor, int ioBufferBytes,
            double maxIoBytesPerSecond, Duration backoff) {

        public static final Settings DEFAULTS = new Settings(true, 1, 128L * 1024 * 1024, 0.9, 512 * 1024,
                Double.MAX_VALUE, Duration.ofSeconds(15));

        public Settings {
            if (threads < 1) {
                throw new IllegalArgumentException("log.cleaner.threads must be at least 1, not " + threads);
            }
            if (dedupeBufferBytes / threads < OffsetMap.BYTES_PER_ENTRY * 2L) {
                throw new IllegalArgumentException("log.cleaner.dedupe.buffer.size " + dedupeBufferBytes
                        + " is too small for " + threads + " threads");
            }
            if (ioBufferBytes / threads / 2 < 1024) {
                throw new IllegalArgumentException("log.cleaner.io.buffer.size " + ioBufferBytes
                        + " is too small for " + threads + " threads (at least 2 KiB each)");
            }
            if (!(maxIoBytesPerSecond > 0)) {
                throw new IllegalArgumentException("log.cleaner.io.max.bytes.per.second must be positive");
            }
        }

        /** Each thread's map memory, capped at 2 GiB as in Kafka. */
        long mapBytesPerThread() {
            return Math.min(dedupeBufferBytes / threads, Integer.MAX_VALUE);
        }

        int ioBufferBytesPerThread() {
            return ioBufferBytes / threads / 2;
        }
    }

    /** A round's outcome, for tests and the log. */
    public record Round(TopicPartition partition, Cleaner.Range range, Cleaner.Result result) {
    }

    private final Path logDir;
    private final Supplier<Collection<PartitionLog>> logs;
    private final Settings settings;
    private final Clock clock;
    private final Ticker ticker;
    private final Throttler throttler;
    private final CheckpointFile<Map.Entry<TopicPartition, Long>> checkpointFile;
    private final Map<TopicPartition, Long> checkpoints = new ConcurrentHashMap<>();
    private final Set<TopicPartition> inProgress = ConcurrentHashMap.newKeySet();
    private final Set<TopicPartition> uncleanable = ConcurrentHashMap.newKeySet();
    /** Partitions whose round must stop now (they are being deleted). */
    private final Set<TopicPartition> aborting = ConcurrentHashMap.newKeySet();
    /** Notified when a round ends, for {@link #abortCleaning}. */
    private final Object roundEnded = new Object();
    private final List<Thread> threads = new ArrayList<>();
    private final Object checkpointLock = new Object();
    /** Serialises start, close and direct rounds (never taken by the threads, so close can wait for them). */
    private final Object lifecycle = new Object();
    private final Object backoffLock = new Object();
    private final AtomicInteger deadThreads = new AtomicInteger();
    private final AtomicLong bytesRead = new AtomicLong();
    private final AtomicLong bytesWritten = new AtomicLong();
    private final AtomicLong rounds = new AtomicLong();
    private volatile double maxDirtyPercent;
    private volatile double lastRecopyPercent;
    private volatile double lastBufferUtilization;
    private volatile long lastRunEndMs = -1;
    private volatile boolean stopping;
    /** The cleaner of the calling thread when rounds are run directly ({@link #cleanFilthiestLog}). */
    private Cleaner directCleaner;

    /**
     * A cleaner for the logs that {@code logs} lists (read afresh every round); nothing runs until
     * {@link #start}.
     */
    public LogCleaner(Path logDir, Supplier<Collection<PartitionLog>> logs, Settings settings, Clock clock,
            Ticker ticker) throws IOException {
        this.logDir = logDir;
        this.logs = logs;
        this.settings = settings;
        this.clock = clock;
        this.ticker = ticker;
        this.throttler = new Throttler(settings.maxIoBytesPerSecond(), ticker, () -> stopping);
        this.checkpointFile = new CheckpointFile<>(logDir.resolve(CHECKPOINT_FILE),
                CheckpointFile.keyedOffsets(TopicPartition::directoryName, TopicPartition::fromDirectoryName));
        try {
            for (Map.Entry<TopicPartition, Long> e : checkpointFile.read()) {
                checkpoints.put(e.getKey(), e.getValue());
            }
        } catch (CheckpointFile.CorruptCheckpointException e) {
            // Losing it costs a cleaning from each log's start, never data.
            log.warn("{}; every compacted log will be cleaned from its start", e.getMessage());
        }
    }

    /** Starts the cleaner threads (none if {@code log.cleaner.enable} is false). */
    public void start() {
        synchronized (lifecycle) {
            if (!settings.enabled() || !threads.isEmpty() || stopping) {
                return;
            }
            for (int i = 0; i < settings.threads(); i++) {
                Thread thread = new Thread(this::runThread, "log-cleaner-" + i);
                thread.setDaemon(true);
                threads.add(thread);
                thread.start();
            }
            log.info("Started {} log cleaner thread(s) for {}", settings.threads(), logDir);
        }
    }

    private void runThread() {
        Cleaner cleaner = null;
        try {
            while (!stopping) {
                if (cleaner == null && anyCompactedLog()) {
                    cleaner = newCleaner();
                }
                Optional<Round> round = cleaner == null ? Optional.empty() : cleanFilthiestLog(cleaner);
                if (round.isEmpty() && !stopping) {
                    backOff();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Error e) {
            if (!stopping) {
                deadThreads.incrementAndGet();
                log.error("Log cleaner thread {} of {} died; compacted logs there are no longer cleaned",
                        Thread.currentThread().getName(), logDir, e);
            }
            throw e;
        }
    }

    private boolean anyCompactedLog() {
        for (PartitionLog partitionLog : logs.get()) {
            if (partitionLog.config().compact()) {
                return true;
            }
        }
        return false;
    }

    private Cleaner newCleaner() {
        return new Cleaner(new OffsetMap(settings.mapBytesPerThread(), settings.loadFactor()),
                settings.ioBufferBytesPerThread(), throttler, tp -> stopping || aborting.contains(tp));
    }

    private void backOff() throws InterruptedException {
        synchronized (backoffLock) {
            if (!stopping) {
                backoffLock.wait(Math.max(1, settings.backoff().toMillis()));
            }
        }
    }

    /** Wakes idle cleaner threads, e.g. after a log became compacted. */
    public void wakeUp() {
        synchronized (backoffLock) {
            backoffLock.notifyAll();
        }
    }

    /**
     * Runs one round on the calling thread: cleans the filthiest log, if any is worth it. For tests
     * and tools; must not be used while the cleaner threads run.
     */
    public Optional<Round> cleanFilthiestLog() throws InterruptedException {
        synchronized (lifecycle) {
            if (!threads.isEmpty()) {
                throw new IllegalStateException("the cleaner threads of " + logDir + " are running");
            }
            if (directCleaner == null) {
                directCleaner = newCleaner();
            }
            return cleanFilthiestLog(directCleaner);
        }
    }

    private Optional<Round> cleanFilthiestLog(Cleaner cleaner) throws InterruptedException {
        long now = clock.millis();
        Grabbed grabbed = grabFilthiestLog(now);
        if (grabbed == null) {
            return Optional.empty();
        }
        TopicPartition tp = grabbed.log().topicPartition();
        try {
            long started = ticker.nanoTime();
            Cleaner.Result result = cleaner.clean(grabbed.log(), grabbed.range(), grabbed.truncations(), now);
            rounds.incrementAndGet();
            bytesRead.addAndGet(result.bytesRead());
            bytesWritten.addAndGet(result.bytesWritten());
            lastRecopyPercent = result.recopyPercent();
            lastBufferUtilization = result.mapUtilization();
            if (!result.abandoned()) {
                checkpoints.put(tp, result.endOffset());
                writeCheckpoint();
            }
            double seconds = (ticker.nanoTime() - started) / 1e9;
            double mib = result.logBytesCleaned() / (1024.0 * 1024.0);
            log.info(String.format("Cleaned %s: %.1f MiB of log in %.3f s (%.1f MiB/s), offsets %d to %d; %d keys in the"
                    + " map (%.1f%% full); read %d bytes, wrote %d; %d records in, %d out; %d segments into %d%s", tp, mib,
                    seconds, seconds > 0 ? mib / seconds : 0, grabbed.range().firstDirtyOffset(), result.endOffset(),
                    result.keysMapped(), result.mapUtilization() * 100, result.bytesRead(), result.bytesWritten(),
                    result.recordsRead(), result.recordsWritten(), result.segmentsRewritten(), result.segmentsWritten(),
                    result.abandoned() ? " (abandoned: the log changed under it)" : ""));
            return Optional.of(new Round(tp, grabbed.range(), result));
        } catch (Cleaner.CleaningAbortedException e) {
            log.info("{}", e.getMessage());
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            if (changedUnder(grabbed, e)) {
                // A truncation, a deletion or retention took the segments the round was reading.
                log.info("Cleaning of {} abandoned: the log changed under it ({})", tp, e.toString());
                return Optional.empty();
            }
            uncleanable.add(tp);
            log.error("Cleaning of {} failed; it will not be cleaned again until the broker restarts", tp, e);
            return Optional.empty();
        } finally {
            inProgress.remove(tp);
            lastRunEndMs = clock.millis();
            synchronized (roundEnded) {
                roundEnded.notifyAll();
            }
        }
    }

    private record Grabbed(PartitionLog log, Cleaner.Range range, long truncations) {
    }

    /** Whether a round's failure comes from the log changing under it, not from its data. */
    private static boolean changedUnder(Grabbed grabbed, Exception e) {
        if (grabbed.log().isClosed() || grabbed.log().truncationCount() != grabbed.truncations()) {
            return true;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ClosedChannelException) {
                return true; // a source retention deleted, closed after file.delete.delay.ms
            }
        }
        return false;
    }

    /**
     * Stops a round on {@code tp}, if one runs, and waits (up to 30 s) for it to end: the log is
     * about to be deleted. Then forgets the partition's checkpoint.
     */
    public void abortCleaning(TopicPartition tp) {
        aborting.add(tp);
        try {
            long deadline = ticker.nanoTime() + Duration.ofSeconds(30).toNanos();
            synchronized (roundEnded) {
                while (inProgress.contains(tp) && ticker.nanoTime() < deadline) {
                    roundEnded.wait(100);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            aborting.remove(tp);
        }
        forget(tp);
    }

    /** Picks and marks in progress the dirtiest log worth cleaning, or returns null. */
    private synchronized Grabbed grabFilthiestLog(long nowMs) {
        Grabbed best = null;
        double maxRatio = 0;
        boolean lowered = false;
        Set<TopicPartition> present = new HashSet<>();
        for (PartitionLog partitionLog : logs.get()) {
            TopicPartition tp = partitionLog.topicPartition();
            present.add(tp);
            if (!partitionLog.config().compact()) {
                checkpoints.remove(tp);
                continue;
            }
            if (inProgress.contains(tp)) {
                continue; // its round refuses to swap after a truncation; the next choice lowers the checkpoint
            }
            long lowestTruncation = partitionLog.takeLowestTruncation();
            Long checkpointed = checkpoints.get(tp);
            if (lowestTruncation >= 0 && checkpointed != null && lowestTruncation < checkpointed) {
                checkpoints.put(tp, lowestTruncation);
                lowered = true;
            }
            if (uncleanable.contains(tp)) {
                continue;
            }
            long truncations = partitionLog.truncationCount();
            Cleaner.Range range;
            try {
                range = Cleaner.cleanableRange(partitionLog, checkpoints.getOrDefault(tp, -1L), nowMs);
            } catch (RuntimeException e) {
                // The log closed or changed while it was measured: try again next round.
                continue;
            }
            maxRatio = Math.max(maxRatio, range.dirtyRatio());
            if (range.worthCleaning(partitionLog.config().cleanup().minCleanableDirtyRatio())
                    && (best == null || range.dirtyRatio() > best.range().dirtyRatio())) {
                best = new Grabbed(partitionLog, range, truncations);
            }
        }
        checkpoints.keySet().retainAll(present);
        uncleanable.retainAll(present);
        if (lowered) {
            writeCheckpoint(); // a crash must not bring back a checkpoint above what was truncated
        }
        maxDirtyPercent = 100 * maxRatio;
        if (best != null) {
            inProgress.add(best.log().topicPartition());
        }
        return best;
    }

    /** Forgets a deleted log's checkpoint and uncleanable mark. */
    public void forget(TopicPartition tp) {
        checkpoints.remove(tp);
        uncleanable.remove(tp);
    }

    /** Whether a round on {@code tp} is running now. */
    boolean isCleaning(TopicPartition tp) {
        return inProgress.contains(tp);
    }

    /** The first dirty offset recorded for {@code tp}, or -1 if none. */
    public long checkpointedOffset(TopicPartition tp) {
        return checkpoints.getOrDefault(tp, -1L);
    }

    private void writeCheckpoint() {
        synchronized (checkpointLock) {
            List<Map.Entry<TopicPartition, Long>> entries = new ArrayList<>(new HashMap<>(checkpoints).entrySet());
            try {
                checkpointFile.write(entries);
            } catch (IOException e) {
                log.warn("Cannot write {}; logs will be cleaned again from the previous checkpoint",
                        checkpointFile.file(), e);
            }
        }
    }

    // ---- metrics ----------------------------------------------------------------------------

    /** Kafka's {@code max-dirty-percent}: the highest dirty ratio seen at the last choice, 0 to 100. */
    public double maxDirtyPercent() {
        return maxDirtyPercent;
    }

    /** Kafka's {@code cleaner-recopy-percent}: bytes written over bytes read in the last round, 0 to 100. */
    public double recopyPercent() {
        return lastRecopyPercent;
    }

    /** Kafka's {@code max-buffer-utilization-percent} of the last round, 0 to 100. */
    public double bufferUtilizationPercent() {
        return 100 * lastBufferUtilization;
    }

    /** Kafka's {@code time-since-last-run-ms}, or -1 before the first round. */
    public long timeSinceLastRunMs() {
        long last = lastRunEndMs;
        return last < 0 ? -1 : Math.max(0, clock.millis() - last);
    }

    public long bytesRead() {
        return bytesRead.get();
    }

    public long bytesWritten() {
        return bytesWritten.get();
    }

    public long rounds() {
        return rounds.get();
    }

    /** Kafka's {@code uncleanable-partitions-count}. */
    public int uncleanablePartitionCount() {
        return uncleanable.size();
    }

    /** Kafka's {@code DeadThreadCount}: cleaner threads that died of an error. */
    public int deadThreadCount() {
        return deadThreads.get();
    }

    /**
     * Stops the threads (a round in progress stops at its next chunk and swaps nothing more),
     * waiting up to 30 s for each, and writes the checkpoint.
     */
    @Override
    public void close() {
        synchronized (lifecycle) {
            stopping = true;
            wakeUp();
            joinThreads();
            writeCheckpoint();
        }
    }

    private void joinThreads() {
        for (Thread thread : threads) {
            try {
                thread.join(Duration.ofSeconds(30).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            if (thread.isAlive()) {
                log.warn("Log cleaner thread {} did not stop in 30 s", thread.getName());
            }
        }
    }
}
