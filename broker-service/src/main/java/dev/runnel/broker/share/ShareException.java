package dev.runnel.broker.share;

import org.apache.kafka.common.protocol.Errors;

/** A share request or partition refused with Kafka's {@code error}; nothing was changed. */
public final class ShareException extends RuntimeException {

    private static final long serialVersionUID = 1L;
    private final transient Errors error;

    public ShareException(Errors error, String message) {
        super(message, null, false, false);
        this.error = error;
    }

    public Errors error() {
        return error;
    }
}
