package dev.runnel.broker.ops;

import org.springframework.stereotype.Component;

import dev.runnel.broker.cluster.ReplicaManager;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/** Broker gauges: hosted partitions, partitions led, the controller epoch last accepted. */
@Component
class BrokerMetrics {

    BrokerMetrics(ReplicaManager replicas, MeterRegistry registry) {
        Gauge.builder("runnel.broker.partitions", replicas, r -> r.hostedPartitions().size())
                .description("Partitions this broker replicates").register(registry);
        Gauge.builder("runnel.broker.leader.partitions", replicas,
                r -> r.hostedPartitions().values().stream().filter(p -> p.leader()).count())
                .description("Partitions this broker leads").register(registry);
        Gauge.builder("runnel.broker.controller.epoch", replicas, ReplicaManager::highestControllerEpoch)
                .description("The highest controller epoch this broker has accepted").register(registry);
    }
}
