package dev.runnel.client.listener;

import java.time.Duration;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * What a listener container does with records its listener failed on: retry after a pause, or
 * give them up to {@link #recover}. The container calls it on the consumer's thread and commits
 * past a record only once it was processed or recovered; if recovering throws, the record is
 * delivered again after the next poll.
 *
 * <p>Records that cannot be converted to the listener's parameter types are never retried: they
 * go straight to {@link #recover}.
 */
public interface LogErrorHandler {

    /**
     * How long to wait before delivering the records again, or null to give them up.
     *
     * @param attempt the deliveries so far, the failed one included (1 after the first failure)
     */
    Duration retryAfter(List<ConsumerRecord<byte[], byte[]>> records, Exception error, int attempt);

    /** Gives up records for good (publishes them to a dead-letter topic, logs them, ...). */
    void recover(List<ConsumerRecord<byte[], byte[]>> records, Exception error);
}
