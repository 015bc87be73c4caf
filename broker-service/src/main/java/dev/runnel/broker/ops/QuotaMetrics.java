package dev.runnel.broker.ops;

import org.springframework.stereotype.Component;

import dev.runnel.broker.quota.ClientQuotaManager;
import dev.runnel.broker.quota.ClientQuotas;
import dev.runnel.broker.quota.QuotaKey;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Client quota counters per quota type ({@code produce}, {@code fetch}, {@code request}, Kafka's
 * quota types): the throttle time answered to clients and the requests throttled.
 */
@Component
class QuotaMetrics {

    QuotaMetrics(ClientQuotas quotas, MeterRegistry registry) {
        register(registry, quotas.manager(QuotaKey.PRODUCER_BYTE_RATE), "produce");
        register(registry, quotas.manager(QuotaKey.CONSUMER_BYTE_RATE), "fetch");
        register(registry, quotas.manager(QuotaKey.REQUEST_PERCENTAGE), "request");
    }

    private static void register(MeterRegistry registry, ClientQuotaManager manager, String type) {
        FunctionCounter.builder("runnel.broker.quota.throttle.time", manager,
                m -> m.throttleTimeMsTotal() / 1000.0).baseUnit("seconds").tag("type", type)
                .description("Throttle time answered to clients over their quotas").register(registry);
        FunctionCounter.builder("runnel.broker.quota.throttled.requests", manager,
                ClientQuotaManager::throttledRequests).tag("type", type)
                .description("Requests whose client was over a quota").register(registry);
    }
}
