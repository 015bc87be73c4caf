package dev.runnel.broker.ops;

import org.springframework.stereotype.Component;

import dev.runnel.broker.group.GroupCoordinator;
import dev.runnel.broker.group.GroupMetadataManager;
import dev.runnel.broker.group.GroupOffsets;
import dev.runnel.broker.group.GroupState;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Group coordinator metrics: groups coordinated here by state, rebalances started, offsets
 * committed (a counter, so Prometheus' {@code rate()} gives commits per second).
 */
@Component
class GroupMetrics {

    GroupMetrics(GroupMetadataManager groups, GroupCoordinator coordinator, GroupOffsets offsets,
            MeterRegistry registry) {
        for (GroupState state : GroupState.values()) {
            Gauge.builder("runnel.broker.groups", groups, g -> g.countInState(state))
                    .tag("state", state.kafkaName()).description("Consumer groups coordinated by this broker")
                    .register(registry);
        }
        FunctionCounter.builder("runnel.broker.group.rebalances", coordinator, GroupCoordinator::rebalances)
                .description("Group rebalances started on this broker").register(registry);
        FunctionCounter.builder("runnel.broker.group.offset.commits", offsets, GroupOffsets::commits)
                .description("Partition offsets committed to groups coordinated here").register(registry);
        Gauge.builder("runnel.broker.group.partition.load.time.max", groups,
                g -> g.maxPartitionLoadTimeMs() / 1000.0).baseUnit("seconds")
                .description("The longest load of an offsets partition's groups after this broker became its leader")
                .register(registry);
    }
}
