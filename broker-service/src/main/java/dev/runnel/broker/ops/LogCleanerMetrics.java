package dev.runnel.broker.ops;

import java.util.List;
import java.util.function.ToDoubleFunction;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.storage.LogCleaner;
import dev.runnel.broker.storage.LogManager;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The log cleaners' gauges (Kafka's {@code LogCleaner} and {@code LogCleanerManager} metrics, over
 * every log directory) and the {@code logCleaner} health component, which is DOWN when a cleaner
 * thread has died: compacted topics, {@code __consumer_offsets} among them, then grow without
 * bound until the broker restarts.
 */
@Component("logCleaner")
class LogCleanerMetrics implements HealthIndicator {

    private final List<LogCleaner> cleaners;

    @Autowired
    LogCleanerMetrics(ReplicaManager replicas, MeterRegistry registry) {
        this(replicas.logDirectories().stream().map(LogManager::cleaner).toList(), registry);
    }

    LogCleanerMetrics(List<LogCleaner> cleaners, MeterRegistry registry) {
        this.cleaners = List.copyOf(cleaners);
        gauge(registry, "runnel.log.cleaner.max.dirty.percent", "percent",
                "The highest share of a compacted log not yet cleaned, at the cleaner's last choice",
                LogCleaner::maxDirtyPercent, true);
        gauge(registry, "runnel.log.cleaner.recopy.percent", "percent",
                "Bytes written over bytes read by the last cleaning", LogCleaner::recopyPercent, true);
        gauge(registry, "runnel.log.cleaner.buffer.utilization.percent", "percent",
                "How full the key-to-offset map got in the last cleaning", LogCleaner::bufferUtilizationPercent, true);
        gauge(registry, "runnel.log.cleaner.time.since.last.run", "seconds",
                "Time since a cleaner thread last finished a round (-1: none yet)",
                c -> c.timeSinceLastRunMs() < 0 ? -1 : c.timeSinceLastRunMs() / 1000.0, true);
        gauge(registry, "runnel.log.cleaner.uncleanable.partitions", null,
                "Compacted partitions whose cleaning failed; they are not cleaned until the broker restarts",
                LogCleaner::uncleanablePartitionCount, false);
        gauge(registry, "runnel.log.cleaner.dead.threads", null, "Cleaner threads that died of an error",
                LogCleaner::deadThreadCount, false);
        FunctionCounter.builder("runnel.log.cleaner.bytes.read", this, m -> m.sum(LogCleaner::bytesRead))
                .baseUnit("bytes").description("Bytes the cleaners read (map building and copying)").register(registry);
        FunctionCounter.builder("runnel.log.cleaner.bytes.written", this, m -> m.sum(LogCleaner::bytesWritten))
                .baseUnit("bytes").description("Bytes the cleaners wrote into cleaned segments").register(registry);
    }

    private void gauge(MeterRegistry registry, String name, String unit, String description,
            ToDoubleFunction<LogCleaner> value, boolean max) {
        Gauge.Builder<LogCleanerMetrics> builder = Gauge.builder(name, this,
                m -> max ? m.max(value) : m.sum(value)).description(description);
        if (unit != null) {
            builder.baseUnit(unit);
        }
        builder.register(registry);
    }

    private double max(ToDoubleFunction<LogCleaner> value) {
        return cleaners.stream().mapToDouble(value).max().orElse(0);
    }

    private double sum(ToDoubleFunction<LogCleaner> value) {
        return cleaners.stream().mapToDouble(value).sum();
    }

    @Override
    public Health health() {
        int dead = (int) sum(LogCleaner::deadThreadCount);
        Health.Builder health = dead > 0 ? Health.down() : Health.up();
        return health.withDetail("deadThreads", dead)
                .withDetail("uncleanablePartitions", (int) sum(LogCleaner::uncleanablePartitionCount))
                .withDetail("maxDirtyPercent", Math.round(max(LogCleaner::maxDirtyPercent)))
                .withDetail("rounds", (long) sum(c -> c.rounds()))
                .build();
    }
}
