package dev.runnel.broker.sharestate;

import org.apache.kafka.common.protocol.Errors;

/**
 * The share coordinator's answer to one share partition: NONE with {@code value}, or Kafka's
 * error and a message saying why.
 */
public record ShareStateAnswer<T>(Errors error, String message, T value) {

    public static <T> ShareStateAnswer<T> of(Errors error, String message) {
        return new ShareStateAnswer<>(error, message, null);
    }

    public boolean ok() {
        return error == Errors.NONE;
    }
}
