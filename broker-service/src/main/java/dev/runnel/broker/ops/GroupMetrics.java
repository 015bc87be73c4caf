package dev.runnel.broker.ops;

import org.springframework.stereotype.Component;

import dev.runnel.broker.group.GroupState;
import dev.runnel.broker.protocol.KafkaServer;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Group coordinator metrics: groups coordinated here by state, rebalances started, offsets
 * committed (a counter, so Prometheus' {@code rate()} gives commits per second).
 */
@Component
class GroupMetrics {

    GroupMetrics(KafkaServer kafka, MeterRegistry registry) {
        KafkaServer.Groups groups = kafka.groups();
        for (GroupState state : GroupState.values()) {
            Gauge.builder("runnel.broker.groups", groups, g -> g.metadata.countInState(state))
                    .tag("state", state.kafkaName()).description("Consumer groups coordinated by this broker")
                    .register(registry);
        }
        FunctionCounter.builder("runnel.broker.group.rebalances", groups, g -> g.coordinator.rebalances())
                .description("Group rebalances started on this broker").register(registry);
        FunctionCounter.builder("runnel.broker.group.offset.commits", groups, g -> g.offsets.commits())
                .description("Partition offsets committed to groups coordinated here").register(registry);
    }
}
