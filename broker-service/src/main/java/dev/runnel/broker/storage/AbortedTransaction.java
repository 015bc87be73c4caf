package dev.runnel.broker.storage;

/**
 * An aborted transaction a read_committed fetch answers with (Fetch's {@code AbortedTransactions}):
 * the consumer drops the producer's transactional batches from {@code firstOffset} until the
 * producer's ABORT marker.
 */
public record AbortedTransaction(long producerId, long firstOffset) {
}
