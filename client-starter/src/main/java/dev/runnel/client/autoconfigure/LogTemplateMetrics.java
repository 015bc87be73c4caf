package dev.runnel.client.autoconfigure;

import java.util.concurrent.TimeUnit;

import org.springframework.beans.factory.ObjectProvider;

import dev.runnel.client.core.SendObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * The {@code runnel.client.sends} timer: every send of {@code LogTemplate}, by topic and outcome
 * ({@code success} or the exception's simple name).
 */
final class LogTemplateMetrics implements SendObserver {

    static final String SENDS = "runnel.client.sends";

    private final ObjectProvider<MeterRegistry> registries;
    private volatile MeterRegistry registry;

    LogTemplateMetrics(ObjectProvider<MeterRegistry> registries) {
        this.registries = registries;
    }

    @Override
    public void sent(String topic, long nanos, Throwable error) {
        MeterRegistry r = registry;
        if (r == null) {
            r = registries.getIfAvailable();
            if (r == null) {
                return;
            }
            registry = r;
        }
        Timer.builder(SENDS).description("Sends of LogTemplate, until the broker's answer")
                .tag("topic", topic).tag("outcome", error == null ? "success" : error.getClass().getSimpleName())
                .register(r).record(nanos, TimeUnit.NANOSECONDS);
    }
}
