package dev.runnel.client.listener;

import java.util.List;

/** Told about listener containers and every listener call, for metrics. */
public interface ListenerObserver {

    ListenerObserver NONE = new ListenerObserver() {
    };

    /** All of {@code observers}, told in order. */
    static ListenerObserver composite(List<ListenerObserver> observers) {
        List<ListenerObserver> all = List.copyOf(observers);
        return all.size() == 1 ? all.get(0) : new ListenerObserver() {
            @Override
            public void registered(LogListenerContainer container) {
                all.forEach(o -> o.registered(container));
            }

            @Override
            public void invoked(String listenerId, long nanos, Throwable error) {
                all.forEach(o -> o.invoked(listenerId, nanos, error));
            }
        };
    }

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
