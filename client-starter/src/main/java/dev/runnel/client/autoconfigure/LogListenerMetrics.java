package dev.runnel.client.autoconfigure;

import java.util.concurrent.TimeUnit;

import org.springframework.beans.factory.ObjectProvider;

import dev.runnel.client.listener.ListenerObserver;
import dev.runnel.client.listener.LogListenerContainer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Per listener: the {@code runnel.client.listener.invocations} timer (by outcome: {@code success}
 * or the simple name of what the listener threw), and the gauges
 * {@code runnel.client.listener.lag} (records behind the end of its partitions) and
 * {@code runnel.client.listener.partitions} (partitions its consumers hold).
 */
final class LogListenerMetrics implements ListenerObserver {

    static final String INVOCATIONS = "runnel.client.listener.invocations";
    static final String LAG = "runnel.client.listener.lag";
    static final String PARTITIONS = "runnel.client.listener.partitions";

    private final ObjectProvider<MeterRegistry> registries;
    private volatile MeterRegistry registry;

    LogListenerMetrics(ObjectProvider<MeterRegistry> registries) {
        this.registries = registries;
    }

    private MeterRegistry registry() {
        MeterRegistry r = registry;
        if (r == null) {
            r = registries.getIfAvailable();
            registry = r;
        }
        return r;
    }

    @Override
    public void registered(LogListenerContainer container) {
        MeterRegistry registry = registry();
        if (registry == null) {
            return;
        }
        Gauge.builder(LAG, container, LogListenerContainer::lag).description("Records the listener is behind")
                .tag("listener", container.id()).register(registry);
        Gauge.builder(PARTITIONS, container, c -> c.assignment().size())
                .description("Partitions the listener's consumers hold").tag("listener", container.id()).register(registry);
    }

    @Override
    public void invoked(String listenerId, long nanos, Throwable error) {
        MeterRegistry registry = registry();
        if (registry == null) {
            return;
        }
        Throwable cause = error; // already what the listener threw, not Spring Kafka's wrapper
        Timer.builder(INVOCATIONS).description("Calls of the listener, for a record or a batch")
                .tag("listener", listenerId).tag("outcome", cause == null ? "success" : cause.getClass().getSimpleName())
                .register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }
}
