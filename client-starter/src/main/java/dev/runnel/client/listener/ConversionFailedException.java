package dev.runnel.client.listener;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * A record's key, payload or header cannot become the listener's parameter type (a poison record):
 * it is not retried, it goes straight to the error handler's recovery.
 */
public class ConversionFailedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient ConsumerRecord<byte[], byte[]> record;

    public ConversionFailedException(ConsumerRecord<byte[], byte[]> record, String message, Throwable cause) {
        super(message, cause);
        this.record = record;
    }

    /** The record that could not be converted. */
    public ConsumerRecord<byte[], byte[]> record() {
        return record;
    }
}
