package dev.runnel.client.listener;

/** Told about listener containers and every listener call, for metrics. */
public interface ListenerObserver {

    ListenerObserver NONE = new ListenerObserver() {
    };

    /** A container was made (not yet started). */
    default void registered(LogListenerContainer container) {
    }

    /**
     * The listener returned ({@code error} null) or threw, for one record or one batch.
     *
     * @param nanos how long the call took
     */
    default void invoked(String listenerId, long nanos, Throwable error) {
    }
}
