package dev.runnel.broker.storage;

import java.io.PrintStream;
import java.nio.ByteBuffer;
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

/**
 * The child process of {@link CrashRecoveryProcessTest}: appends batches to one partition log
 * until it is killed, and after each append returns prints {@code APPENDED <batchNo> <firstOffset>
 * <lastOffset>} on stdout. It never flushes the log itself: only the log manager's own background
 * work (flushes after rolls, checkpoints) touches the disk.
 *
 * <p>Batch {@code n} holds {@link #recordCount(long)} records whose values are {@code b<n>-r<i>}.
 * Started on a directory that already holds the log, it continues with the batch after the last one.
 *
 * <p>Arguments: the log directory and {@code segment.bytes}.
 */
final class CrashingAppender {

    static final TopicPartition TP = new TopicPartition("crash", 0);

    /** Short intervals, so that checkpoints and flushes happen while the child appends. */
    static final LogManager.Settings SETTINGS = new LogManager.Settings(Duration.ofMillis(200), Duration.ofMillis(50),
            Duration.ofMillis(100), Duration.ofMillis(100));

    private CrashingAppender() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        LogConfig config = config(Integer.parseInt(args[1]));
        // Never closed: the process ends by SIGKILL.
        LogManager manager = LogManager.open(dir, config, Clock.systemUTC(), new ExecutorScheduler("crash-test", 1),
                SETTINGS);
        PartitionLog log = manager.getOrCreateLog(TP, config);
        PrintStream out = System.out;
        for (long batchNo = nextBatchNumber(log); ; batchNo++) {
            AppendInfo info = log.appendAsLeader(batch(batchNo, System.currentTimeMillis()), 0);
            out.println("APPENDED " + batchNo + " " + info.firstOffset() + " " + info.lastOffset());
            out.flush();
        }
    }

    static LogConfig config(int segmentBytes) {
        return LogConfig.DEFAULTS.withSegmentBytes(segmentBytes);
    }

    /** How many records batch {@code batchNo} holds: 1 to 20, varying from batch to batch. */
    static int recordCount(long batchNo) {
        return 1 + (int) Math.floorMod(batchNo * 0x9E3779B97F4A7C15L >>> 17, 20L);
    }

    static String value(long batchNo, int record) {
        return "b" + batchNo + "-r" + record;
    }

    /** Batch {@code batchNo} as a producer sends it. */
    static ByteBuffer batch(long batchNo, long timestamp) {
        int count = recordCount(batchNo);
        List<SimpleRecord> records = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            records.add(new SimpleRecord(timestamp, null, value(batchNo, i).getBytes(StandardCharsets.UTF_8)));
        }
        return KafkaRecordBatches.batch(RecordCodec.NONE, ProducerInfo.NONE, records);
    }

    /** The number after that of the log's last batch, read from its first value; 0 for an empty log. */
    private static long nextBatchNumber(PartitionLog log) throws Exception {
        long end = log.logEndOffset();
        if (end == log.logStartOffset()) {
            return 0;
        }
        ByteBuffer last = log.read(end - 1, Integer.MAX_VALUE, Long.MAX_VALUE, true).slice().readFully();
        String firstValue = new String(KafkaRecordBatches.decode(last).get(0).value(), StandardCharsets.UTF_8);
        return Long.parseLong(firstValue.substring(1, firstValue.indexOf('-'))) + 1;
    }
}
