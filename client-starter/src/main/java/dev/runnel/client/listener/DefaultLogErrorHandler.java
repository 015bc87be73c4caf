package dev.runnel.client.listener;

import java.time.Duration;
import java.util.List;
import java.util.function.BiConsumer;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retries with back-off, then hands the records to a recoverer: by default the dead-letter
 * publisher, or, without one, a log line and the records are skipped.
 */
public class DefaultLogErrorHandler implements LogErrorHandler {

    private static final Logger log = LoggerFactory.getLogger(DefaultLogErrorHandler.class);

    private final BackOff backOff;
    private final BiConsumer<List<ConsumerRecord<byte[], byte[]>>, Exception> recoverer;

    public DefaultLogErrorHandler(BackOff backOff, BiConsumer<List<ConsumerRecord<byte[], byte[]>>, Exception> recoverer) {
        this.backOff = backOff;
        this.recoverer = recoverer != null ? recoverer : DefaultLogErrorHandler::logAndSkip;
    }

    @Override
    public Duration retryAfter(List<ConsumerRecord<byte[], byte[]>> records, Exception error, int attempt) {
        Duration wait = backOff.after(attempt);
        if (wait != null) {
            log.debug("Listener failed on {} (attempt {} of {}), retrying in {}: {}", describe(records), attempt,
                    backOff.maxAttempts(), wait, error.toString());
        }
        return wait;
    }

    @Override
    public void recover(List<ConsumerRecord<byte[], byte[]>> records, Exception error) {
        recoverer.accept(records, error);
    }

    private static void logAndSkip(List<ConsumerRecord<byte[], byte[]>> records, Exception error) {
        log.error("Skipping {} after the listener failed on it", describe(records), error);
    }

    static String describe(List<ConsumerRecord<byte[], byte[]>> records) {
        ConsumerRecord<byte[], byte[]> first = records.get(0);
        String where = first.topic() + "-" + first.partition() + "@" + first.offset();
        return records.size() == 1 ? "record " + where : records.size() + " records from " + where;
    }
}
