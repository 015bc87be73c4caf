package dev.runnel.broker.share;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.runnel.broker.storage.AbortedTransaction;

/** Which batches of a read_committed read belong to aborted transactions, as a consumer would decide. */
class LogBatchesTest {

    private static LogBatches.Batch data(long base, long last, long producerId, boolean transactional) {
        return new LogBatches.Batch(base, last, 0, 0, producerId, transactional, false);
    }

    private static LogBatches.Batch marker(long offset, long producerId) {
        return new LogBatches.Batch(offset, offset, 0, 0, producerId, true, true);
    }

    @Test
    void aProducersBatchesFromItsAbortedTransactionToItsMarkerAreAborted() {
        List<LogBatches.Batch> batches = List.of(
                data(0, 1, 7, true),    // producer 7, committed transaction
                marker(2, 7),           // its COMMIT
                data(3, 4, 7, true),    // producer 7, aborted transaction
                data(5, 5, 8, false),   // another producer, no transaction
                data(6, 6, 7, true),    // still producer 7's aborted transaction
                marker(7, 7),           // its ABORT
                data(8, 9, 7, true));   // producer 7's next transaction

        List<InFlightRecords.BatchOffsets> offsets = LogBatches.offsets(batches,
                List.of(new AbortedTransaction(7, 3)));

        assertThat(offsets).extracting(InFlightRecords.BatchOffsets::aborted)
                .containsExactly(false, false, true, false, true, false, false);
    }

    @Test
    void withoutAbortedTransactionsNothingIsAborted() {
        List<LogBatches.Batch> batches = List.of(data(0, 1, 7, true), marker(2, 7));

        assertThat(LogBatches.offsets(batches, null)).extracting(InFlightRecords.BatchOffsets::aborted)
                .containsExactly(false, false);
        assertThat(LogBatches.offsets(batches, List.of())).extracting(InFlightRecords.BatchOffsets::aborted)
                .containsExactly(false, false);
    }
}
