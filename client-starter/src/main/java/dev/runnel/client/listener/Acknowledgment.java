package dev.runnel.client.listener;

/**
 * A listener's handle for committing by hand (ack modes {@code MANUAL} and
 * {@code MANUAL_IMMEDIATE}): the record (or batch) it came with is committed only once
 * acknowledged.
 */
@FunctionalInterface
public interface Acknowledgment {

    /**
     * Commits the offset after this record (or after the batch's last record): with
     * {@code MANUAL} when the poll's records are done, with {@code MANUAL_IMMEDIATE} now (called
     * from another thread than the listener's: before the consumer's next poll).
     */
    void acknowledge();
}
