package dev.runnel.client.listener;

import org.springframework.kafka.support.Acknowledgment;

/**
 * Spring Kafka's {@link Acknowledgment}, which shares its simple name with the starter's: kept in
 * this one class, so the others can import the starter's.
 */
final class SpringAcknowledgments {

    private SpringAcknowledgments() {
    }

    static boolean isSpringAcknowledgment(Class<?> type) {
        return type == Acknowledgment.class;
    }

    /** What acknowledges through Spring Kafka's {@code acknowledgment}, or null if it is none. */
    static Runnable acknowledger(Object acknowledgment) {
        return acknowledgment instanceof Acknowledgment spring ? spring::acknowledge : null;
    }
}
