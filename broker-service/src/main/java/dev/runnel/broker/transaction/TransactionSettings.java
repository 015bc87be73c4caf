package dev.runnel.broker.transaction;

import java.time.Duration;

/**
 * The coordinator's settings, as Kafka's broker configs name them.
 *
 * @param maxTimeoutMs                   {@code transaction.max.timeout.ms}: the longest transaction timeout a
 *                                       producer may ask for
 * @param transactionalIdExpiration      {@code transactional.id.expiration.ms}: how long an id may stay idle
 *                                       (Empty, CompleteCommit, CompleteAbort) before it is forgotten
 * @param abortTimedOutTransactionsInterval {@code transaction.abort.timed.out.transaction.cleanup.interval.ms}
 * @param removeExpiredTransactionalIdsInterval {@code transaction.remove.expired.transaction.cleanup.interval.ms}
 * @param completionRetryBackoff         how long to wait before writing a CompleteCommit/CompleteAbort
 *                                       record again after a failed write
 */
public record TransactionSettings(int maxTimeoutMs, Duration transactionalIdExpiration,
        Duration abortTimedOutTransactionsInterval, Duration removeExpiredTransactionalIdsInterval,
        Duration completionRetryBackoff) {

    public static final TransactionSettings DEFAULTS = new TransactionSettings(900_000, Duration.ofDays(7),
            Duration.ofSeconds(10), Duration.ofHours(1), Duration.ofMillis(100));

    public TransactionSettings {
        if (maxTimeoutMs < 1) {
            throw new IllegalArgumentException("transaction.max.timeout.ms must be at least 1");
        }
        if (!positive(transactionalIdExpiration) || !positive(abortTimedOutTransactionsInterval)
                || !positive(removeExpiredTransactionalIdsInterval) || completionRetryBackoff.isNegative()) {
            throw new IllegalArgumentException("the transaction expiration and cleanup intervals must be positive");
        }
    }

    private static boolean positive(Duration d) {
        return !d.isZero() && !d.isNegative();
    }
}
