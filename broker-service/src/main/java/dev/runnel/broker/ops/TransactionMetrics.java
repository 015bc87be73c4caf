package dev.runnel.broker.ops;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.springframework.stereotype.Component;

import dev.runnel.broker.replication.Partition;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.storage.PartitionLog;
import dev.runnel.broker.storage.ProducerStateManager;
import dev.runnel.common.time.Scheduler;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;

/**
 * Transactions on the partitions this broker leads: how many are open, how old the oldest is, and
 * how far the last stable offset trails the high watermark (what read_committed consumers cannot
 * read yet), over all of them and, refreshed every {@link #REFRESH}, per partition for the ones
 * with an open transaction or a lagging last stable offset (Kafka's per-partition
 * {@code LastStableOffsetLag}). A transaction open for long is what {@code kafka-transactions
 * find-hanging} looks for.
 */
@Component
class TransactionMetrics {

    static final Duration REFRESH = Duration.ofSeconds(10);

    private final ReplicaManager replicas;
    private final Clock clock;
    private final MultiGauge open;
    private final MultiGauge oldestAge;
    private final MultiGauge lsoLag;

    TransactionMetrics(ReplicaManager replicas, Clock clock, Scheduler scheduler, MeterRegistry registry) {
        this.replicas = replicas;
        this.clock = clock;
        Gauge.builder("runnel.broker.transactions.open", this, m -> m.led().stream()
                .mapToInt(p -> p.log().ongoingTransactions().size()).sum())
                .description("Transactions open on the partitions led here").register(registry);
        Gauge.builder("runnel.broker.transactions.oldest.open.age", this, m -> m.oldestOpenAgeMs(m.led()) / 1000.0)
                .baseUnit("seconds").description("Age of the oldest transaction open on a partition led here")
                .register(registry);
        Gauge.builder("runnel.broker.last.stable.offset.max.lag", this, m -> m.led().stream()
                .mapToLong(p -> lsoLag(p.log())).max().orElse(0))
                .description("Records between the high watermark and the last stable offset, at most over the "
                        + "partitions led here").register(registry);
        this.open = MultiGauge.builder("runnel.broker.partition.transactions.open")
                .description("Transactions open on a partition led here").register(registry);
        this.oldestAge = MultiGauge.builder("runnel.broker.partition.transactions.oldest.open.age").baseUnit("seconds")
                .description("Age of the oldest transaction open on a partition led here").register(registry);
        this.lsoLag = MultiGauge.builder("runnel.broker.partition.last.stable.offset.lag")
                .description("Records between a partition's high watermark and its last stable offset")
                .register(registry);
        scheduler.schedulePeriodically("transaction-metrics", this::refresh, REFRESH, REFRESH);
    }

    private List<Partition> led() {
        return replicas.partitions().stream().filter(Partition::isLeader).toList();
    }

    private long oldestOpenAgeMs(List<Partition> partitions) {
        long now = clock.millis();
        long oldest = now;
        for (Partition p : partitions) {
            for (ProducerStateManager.TxnMetadata txn : p.log().ongoingTransactions()) {
                oldest = Math.min(oldest, txn.startedMs());
            }
        }
        return now - oldest;
    }

    private static long lsoLag(PartitionLog log) {
        return Math.max(0, log.highWatermark() - log.lastStableOffset());
    }

    /** Rows for the partitions with an open transaction or a lagging last stable offset. */
    void refresh() {
        List<MultiGauge.Row<?>> openRows = new ArrayList<>();
        List<MultiGauge.Row<?>> ageRows = new ArrayList<>();
        List<MultiGauge.Row<?>> lagRows = new ArrayList<>();
        for (Partition p : led()) {
            int count = p.log().ongoingTransactions().size();
            long lag = lsoLag(p.log());
            if (count == 0 && lag == 0) {
                continue;
            }
            Tags tags = Tags.of("topic", p.topicPartition().topic(), "partition",
                    Integer.toString(p.topicPartition().partition()));
            openRows.add(MultiGauge.Row.of(tags, count));
            ageRows.add(MultiGauge.Row.of(tags, count == 0 ? 0 : oldestOpenAgeMs(List.of(p)) / 1000.0));
            lagRows.add(MultiGauge.Row.of(tags, lag));
        }
        open.register(openRows, true);
        oldestAge.register(ageRows, true);
        lsoLag.register(lagRows, true);
    }
}
