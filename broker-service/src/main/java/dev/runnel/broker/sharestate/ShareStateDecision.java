package dev.runnel.broker.sharestate;

import java.util.List;

import org.apache.kafka.common.protocol.Errors;

/**
 * What one operation on a share partition's state decided (Kafka's {@code CoordinatorResult}):
 * the records to write, and the answer to give once they are on the ISR. A refusal writes nothing.
 *
 * @param value the answer's value when {@code error} is NONE
 */
record ShareStateDecision<T>(List<ShareStateRecord> records, Errors error, String message, T value) {

    static <T> ShareStateDecision<T> refuse(Errors error, String message) {
        return new ShareStateDecision<>(List.of(), error, message, null);
    }

    static <T> ShareStateDecision<T> answer(T value) {
        return new ShareStateDecision<>(List.of(), Errors.NONE, null, value);
    }

    static <T> ShareStateDecision<T> write(ShareStateRecord record, T value) {
        return new ShareStateDecision<>(List.of(record), Errors.NONE, null, value);
    }

    ShareStateAnswer<T> toAnswer() {
        return new ShareStateAnswer<>(error, message, value);
    }
}
