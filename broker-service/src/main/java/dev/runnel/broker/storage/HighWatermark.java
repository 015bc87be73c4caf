package dev.runnel.broker.storage;

/**
 * The high watermark of one partition log (below it, records are replicated to the whole ISR and
 * readable by consumers) and what read_committed consumers get from it: the last stable offset,
 * and the first unstable offset, which is published again whenever the high watermark, the log
 * start or a transaction moves. The high watermark always lies in [log start, log end].
 *
 * <p>Thread-safety: every change runs under the {@link PartitionLog} lock; {@link #value()} and
 * {@link #lastStableOffset()} are read without it (the value is volatile).
 */
final class HighWatermark {

    private final LocalLog local;
    private final UnstableTransactions transactions;
    private volatile long value;

    /** The high watermark {@code initial} (already clamped into the log by {@link LogLoader}). */
    HighWatermark(LocalLog local, UnstableTransactions transactions, long initial) {
        this.local = local;
        this.transactions = transactions;
        this.value = initial;
    }

    long value() {
        return value;
    }

    /** The last stable offset: the high watermark, or the first offset of the oldest unstable transaction if lower. */
    long lastStableOffset() {
        return transactions.lastStableOffset(value);
    }

    /** Moves the high watermark up to {@code offset} (clamped into the log), never down; returns whether it moved. */
    boolean maybeIncrement(long offset) {
        long next = clamp(offset);
        if (next <= value) {
            return false;
        }
        value = next;
        publishFirstUnstableOffset();
        return true;
    }

    /** Sets the high watermark to {@code offset} clamped into the log; returns the value set. */
    long update(long offset) {
        value = clamp(offset);
        publishFirstUnstableOffset();
        return value;
    }

    /** Lowers the high watermark to {@code offset} if it is above (a truncation); publishes nothing. */
    void lowerTo(long offset) {
        value = Math.min(value, offset);
    }

    /** Sets the high watermark to {@code offset} as it is (a log emptied and restarted there); publishes nothing. */
    void reset(long offset) {
        value = offset;
    }

    /** Publishes the first unstable offset after the high watermark, the log start or a transaction moved. */
    void publishFirstUnstableOffset() {
        transactions.publish(value, local.logStartOffset());
    }

    private long clamp(long offset) {
        return Math.min(Math.max(offset, local.logStartOffset()), local.logEndOffset());
    }
}
