package dev.runnel.client.listener;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;

/**
 * The partitions of one {@link ListenerConsumer} whose last record (or batch) failed: how often it
 * has been delivered, and until when the partition stays paused for the error handler's back-off.
 * Once that time has passed the partition is due: it is resumed and the record delivered again.
 * Times are in nanoseconds of the consumer's ticker. Used only on the consumer's thread.
 */
final class RetryBackOffs {

    /** The resume time of a partition whose back-off is over: its record is being delivered again. */
    private static final long DUE = Long.MIN_VALUE;

    /** A failing record (or batch: offset -1) of a partition, its deliveries so far, and when it may come again. */
    private record Retry(long offset, int attempts, long resumeAtNanos) {
    }

    private final Map<TopicPartition, Retry> retries = new HashMap<>();

    boolean isEmpty() {
        return retries.isEmpty();
    }

    /** Which delivery of the record at {@code offset} this is: one more than before if it failed last, else the first. */
    int nextAttempt(TopicPartition tp, long offset) {
        Retry previous = retries.get(tp);
        return previous != null && previous.offset() == offset ? previous.attempts() + 1 : 1;
    }

    /** Notes that the record at {@code offset} (-1: a batch) of {@code tp} failed its {@code attempts}th delivery. */
    void failed(TopicPartition tp, long offset, int attempts) {
        retries.put(tp, new Retry(offset, attempts, 0));
    }

    /**
     * Keeps {@code tp} paused until {@code resumeAtNanos}. The failure noted for it stays; without
     * one, the record at {@code offset} is noted, with no deliveries counted.
     */
    void waitUntil(TopicPartition tp, long offset, long resumeAtNanos) {
        Retry retry = retries.get(tp);
        retries.put(tp, new Retry(retry != null ? retry.offset() : offset, retry != null ? retry.attempts() : 0,
                resumeAtNanos));
    }

    /** Forgets {@code tp}: its record is done, or the partition has gone. */
    void forget(TopicPartition tp) {
        retries.remove(tp);
    }

    void forget(Collection<TopicPartition> partitions) {
        partitions.forEach(retries::remove);
    }

    /** Whether {@code tp} still waits for its back-off to end. */
    boolean isWaiting(TopicPartition tp) {
        Retry retry = retries.get(tp);
        return retry != null && retry.resumeAtNanos() != DUE;
    }

    /** The partitions whose back-off is over at {@code nowNanos}, now marked due. */
    List<TopicPartition> takeDue(long nowNanos) {
        List<TopicPartition> due = new ArrayList<>();
        retries.forEach((tp, retry) -> {
            if (retry.resumeAtNanos() != DUE && nowNanos - retry.resumeAtNanos() >= 0) {
                due.add(tp);
            }
        });
        for (TopicPartition tp : due) {
            Retry retry = retries.get(tp);
            retries.put(tp, new Retry(retry.offset(), retry.attempts(), DUE));
        }
        return due;
    }
}
