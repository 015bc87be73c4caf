package dev.runnel.broker.ops;

import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;

import org.springframework.stereotype.Component;

import dev.runnel.broker.cluster.ControllerCommands;
import dev.runnel.broker.replication.AlterPartitionManager;
import dev.runnel.broker.replication.Partition;
import dev.runnel.broker.replication.ReplicaManager;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Broker gauges: hosted and led partitions, the controller epoch last accepted, and the
 * replication health Kafka operators watch (under-replicated and under-min-ISR partitions, ISR
 * shrinks and expansions, follower lag).
 */
@Component
class BrokerMetrics {

    BrokerMetrics(ReplicaManager replicas, AlterPartitionManager isrChanges, ControllerCommands commands,
            MeterRegistry registry) {
        Gauge.builder("runnel.broker.controller.commands.pending", commands, ControllerCommands::pendingCount)
                .description("Commands from the controller accepted and not yet applied").register(registry);
        Gauge.builder("runnel.broker.metadata.lag", commands, c -> c.lag().toMillis() / 1000.0).baseUnit("seconds")
                .description("How long the oldest command from the controller not yet applied has waited")
                .register(registry);
        Gauge.builder("runnel.broker.partitions", replicas, r -> r.hostedPartitions().size())
                .description("Partitions this broker replicates").register(registry);
        Gauge.builder("runnel.broker.leader.partitions", replicas,
                r -> r.hostedPartitions().values().stream().filter(p -> p.leader()).count())
                .description("Partitions this broker leads").register(registry);
        Gauge.builder("runnel.broker.controller.epoch", replicas, ReplicaManager::highestControllerEpoch)
                .description("The highest controller epoch this broker has accepted").register(registry);
        Gauge.builder("runnel.broker.under.replicated.partitions", replicas,
                count(Partition::isUnderReplicated))
                .description("Partitions led here whose ISR is smaller than their replica set").register(registry);
        Gauge.builder("runnel.broker.under.min.isr.partitions", replicas, count(Partition::isUnderMinIsr))
                .description("Partitions led here whose ISR is below min.insync.replicas (acks=all refused)")
                .register(registry);
        Gauge.builder("runnel.broker.replica.max.lag", replicas,
                r -> r.partitions().stream().mapToLong(Partition::maxFollowerLag).max().orElse(0))
                .description("Messages the slowest in-sync follower of a partition led here is behind")
                .register(registry);
        Gauge.builder("runnel.broker.replica.max.lag.time", replicas,
                r -> r.partitions().stream().mapToLong(Partition::maxFollowerLagMs).max().orElse(0) / 1000.0)
                .baseUnit("seconds")
                .description("How long the slowest in-sync follower has gone without catching up").register(registry);
        FunctionCounter.builder("runnel.broker.isr.shrinks", isrChanges, AlterPartitionManager::isrShrinks)
                .description("ISR shrinks committed for partitions led here").register(registry);
        FunctionCounter.builder("runnel.broker.isr.expands", isrChanges, AlterPartitionManager::isrExpands)
                .description("ISR expansions committed for partitions led here").register(registry);
    }

    private static ToDoubleFunction<ReplicaManager> count(Predicate<Partition> test) {
        return r -> r.partitions().stream().filter(test).count();
    }
}
