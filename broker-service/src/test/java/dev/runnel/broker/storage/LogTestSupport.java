package dev.runnel.broker.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

import dev.runnel.common.TopicPartition;
import dev.runnel.testing.ManualScheduler;

/** Opens partition logs the way the log manager does, for tests in this package. */
final class LogTestSupport {

    static final TopicPartition TP = new TopicPartition("orders", 0);

    private LogTestSupport() {
    }

    static PartitionLog openFresh(Path dir, LogConfig config, ManualScheduler scheduler) {
        return open(dir, config, scheduler, LogRecovery.LoadParams.FRESH, 0);
    }

    /** Reopens after a crash: no clean-shutdown marker, recovery from {@code recoveryPoint}. */
    static PartitionLog reopenAfterCrash(Path dir, LogConfig config, ManualScheduler scheduler, long recoveryPoint) {
        return open(dir, config, scheduler, new LogRecovery.LoadParams(false, recoveryPoint, 0), 0);
    }

    static PartitionLog reopenClean(Path dir, LogConfig config, ManualScheduler scheduler) {
        return open(dir, config, scheduler, new LogRecovery.LoadParams(true, Long.MAX_VALUE, 0), 0);
    }

    static PartitionLog open(Path dir, LogConfig config, ManualScheduler scheduler, LogRecovery.LoadParams params,
            long highWatermark) {
        try {
            return PartitionLog.open(dir, TP, config, scheduler.clock(), scheduler, params, highWatermark);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every byte from {@code offset} to the log end, read in one go. */
    static ByteBuffer readAll(PartitionLog log, long offset) {
        ByteBuffer out = ByteBuffer.allocate((int) Math.max(1, log.sizeInBytes()));
        long next = offset;
        while (next < log.logEndOffset()) {
            PartitionLog.ReadResult result = log.read(next, Integer.MAX_VALUE, Long.MAX_VALUE, true);
            if (result.isEmpty()) {
                break;
            }
            try {
                ByteBuffer bytes = result.slice().readFully();
                int at = 0;
                long last = next;
                while (at < bytes.limit()) {
                    last = RecordBatchHeader.lastOffset(bytes, at);
                    at += RecordBatchHeader.sizeInBytes(bytes, at);
                }
                out.put(bytes);
                next = last + 1;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return out.flip();
    }
}
