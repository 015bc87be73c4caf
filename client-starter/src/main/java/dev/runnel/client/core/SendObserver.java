package dev.runnel.client.core;

/** Told about every send {@link LogTemplate} completes, for metrics. */
@FunctionalInterface
public interface SendObserver {

    SendObserver NONE = (topic, nanos, error) -> { };

    /**
     * @param topic the record's topic
     * @param nanos from the call to send until the broker's answer (or the failure)
     * @param error why it failed, or null
     */
    void sent(String topic, long nanos, Throwable error);
}
