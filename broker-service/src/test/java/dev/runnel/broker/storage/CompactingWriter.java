package dev.runnel.broker.storage;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.runnel.broker.record.KafkaRecordBatches;
import dev.runnel.broker.record.KafkaRecordBatches.ProducerInfo;
import dev.runnel.broker.record.KafkaRecordBatches.SimpleRecord;
import dev.runnel.broker.record.RecordCodec;
import dev.runnel.common.TopicPartition;
import dev.runnel.common.time.ExecutorScheduler;
import dev.runnel.common.time.Ticker;

/**
 * The child process of {@link CleanerCrashProcessTest}: writes keyed records to one compacted
 * partition log while its cleaner threads clean it, until it is killed. Each append is one batch
 * of {@link #BATCH} records with sequence numbers from a start the parent chooses; after the append
 * is fsynced and the high watermark moved past it, the child prints {@code ACK <firstSeq> <lastSeq>}.
 * Record {@code seq} has key {@code k<seq mod KEYS>}, value {@code seq} or none (a tombstone, when
 * {@code seq} is a multiple of {@link #TOMBSTONE_EVERY}), and timestamp {@code seq}, so that a
 * tombstone too says which write it was.
 *
 * <p>At each swap step the cleaner prints {@code STEP <name>} and waits for a line on stdin, so
 * that the test can kill it inside a swap.
 *
 * <p>Arguments: the log directory and the first sequence number.
 */
final class CompactingWriter {

    static final TopicPartition TP = new TopicPartition("table", 0);
    static final int KEYS = 5000;
    static final int BATCH = 10;
    static final int TOMBSTONE_EVERY = 41;

    /** Small segments and no dirty-ratio threshold: the cleaner swaps every few hundred milliseconds. */
    static final LogConfig CONFIG = LogConfig.DEFAULTS.withSegmentBytes(24 * 1024).withSegmentIndexBytes(4096)
            .withIndexIntervalBytes(512).withFileDeleteDelayMs(200)
            .withCleanup(LogConfig.Cleanup.DEFAULTS.withPolicies(false, true).withMinCleanableDirtyRatio(0)
                    .withDeleteRetentionMs(500));

    static final LogCleaner.Settings CLEANER = new LogCleaner.Settings(true, 1, 24L * 100_000, 0.9, 128 * 1024,
            Double.MAX_VALUE, Duration.ofMillis(20));

    private CompactingWriter() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long seq = Long.parseLong(args[1]);
        PrintStream out = System.out;
        BufferedReader control = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        LocalLog.swapSteps = step -> {
            synchronized (out) {
                out.println("STEP " + step);
                out.flush();
            }
            // The test's go-ahead; it kills the process here instead when it wants this state.
            try {
                control.readLine();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
        // Never closed: the process ends by SIGKILL.
        LogManager manager = LogManager.open(dir, CONFIG, Clock.systemUTC(), Ticker.SYSTEM,
                new ExecutorScheduler("compacting-writer", 2), LogManager.Settings.DEFAULTS.withCleaner(CLEANER));
        PartitionLog log = manager.getOrCreateLog(TP, CONFIG);
        log.updateConfig(CONFIG);
        while (true) {
            List<SimpleRecord> records = new ArrayList<>(BATCH);
            for (int i = 0; i < BATCH; i++) {
                records.add(record(seq + i));
            }
            log.appendAsLeader(KafkaRecordBatches.batch(RecordCodec.NONE, ProducerInfo.NONE, records), 0);
            log.flush();
            log.updateHighWatermark(log.logEndOffset());
            synchronized (out) {
                out.println("ACK " + seq + " " + (seq + BATCH - 1));
                out.flush();
            }
            seq += BATCH;
        }
    }

    static String key(long seq) {
        return "k" + Math.floorMod(seq, KEYS);
    }

    static boolean isTombstone(long seq) {
        return seq % TOMBSTONE_EVERY == 0;
    }

    static SimpleRecord record(long seq) {
        return new SimpleRecord(seq, key(seq).getBytes(StandardCharsets.UTF_8),
                isTombstone(seq) ? null : Long.toString(seq).getBytes(StandardCharsets.UTF_8));
    }
}
