package dev.runnel.controller.ops;

import java.util.function.ToDoubleFunction;

import org.springframework.stereotype.Component;

import dev.runnel.controller.channel.BrokerChannels;
import dev.runnel.controller.election.ActiveController;
import dev.runnel.controller.metadata.ClusterView;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Controller gauges, read from the active controller's model (a standby reports zero, so summing
 * over all controllers gives the cluster's figures, as with Kafka's ActiveControllerCount).
 */
@Component
class ControllerMetrics {

    ControllerMetrics(ActiveController controller, MeterRegistry registry) {
        Gauge.builder("runnel.controller.active", controller,
                c -> c.role() == ActiveController.Role.ACTIVE ? 1 : 0)
                .description("1 on the active controller, 0 on standbys").register(registry);
        Gauge.builder("runnel.controller.brokers.metadata.max.lag", controller,
                c -> c.brokerLag().stream().mapToLong(l -> l.sentMetadataVersion() - l.appliedMetadataVersion())
                        .max().orElse(0))
                .description("Metadata versions the furthest-behind broker has not applied yet").register(registry);
        Gauge.builder("runnel.controller.brokers.metadata.max.lag.time", controller,
                c -> c.brokerLag().stream().mapToLong(BrokerChannels.BrokerLag::lagMs).max().orElse(0) / 1000.0)
                .baseUnit("seconds")
                .description("How long the oldest metadata version a broker has not applied has waited")
                .register(registry);
        gauge(registry, controller, "runnel.controller.epoch", "The controller epoch of the active controller",
                ClusterView::controllerEpoch);
        gauge(registry, controller, "runnel.controller.brokers", "Live brokers", v -> v.brokers().size());
        gauge(registry, controller, "runnel.controller.topics", "Topics", v -> v.topics().size());
        gauge(registry, controller, "runnel.controller.partitions", "Partitions", ClusterView::partitionCount);
        gauge(registry, controller, "runnel.controller.offline.partitions", "Partitions without a leader",
                ClusterView::offlinePartitionCount);
        gauge(registry, controller, "runnel.controller.under.replicated.partitions",
                "Partitions whose ISR is smaller than their replica set", ClusterView::underReplicatedPartitionCount);
        gauge(registry, controller, "runnel.controller.preferred.replica.imbalance",
                "Partitions not led by their preferred replica", ClusterView::preferredReplicaImbalanceCount);
    }

    private static void gauge(MeterRegistry registry, ActiveController controller, String name, String description,
            ToDoubleFunction<ClusterView> value) {
        Gauge.builder(name, controller, c -> {
            ClusterView view = c.view();
            return view == null ? 0 : value.applyAsDouble(view);
        }).description(description).register(registry);
    }
}
