package dev.runnel.broker.replication;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.cluster.AlterPartitionRequest;
import dev.runnel.cluster.AlterPartitionResponse;
import dev.runnel.cluster.ClusterError;
import dev.runnel.common.TopicPartition;

/**
 * Sends a leader's proposed ISR changes to the controller (AlterPartition over HTTP, off the
 * request threads) and hands the committed state back to the partition. The leader uses a new
 * ISR only once the controller has committed it; until then the high watermark counts the
 * replicas of both the old and the proposed ISR.
 */
public final class AlterPartitionManager implements Partition.IsrProposer, AutoCloseable {

    /** The controller call, so tests can stand in for it. */
    @FunctionalInterface
    public interface Sender {
        AlterPartitionResponse send(AlterPartitionRequest request) throws IOException;
    }

    private static final Logger log = LoggerFactory.getLogger(AlterPartitionManager.class);

    private final int brokerId;
    private final LongSupplier brokerEpoch;
    private final Sender sender;
    private final Consumer<TopicPartition> onHighWatermarkMoved;
    private final LongAdder shrinks = new LongAdder();
    private final LongAdder expands = new LongAdder();
    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "alter-partition");
        t.setDaemon(true);
        return t;
    });

    public AlterPartitionManager(int brokerId, LongSupplier brokerEpoch, Sender sender,
            Consumer<TopicPartition> onHighWatermarkMoved) {
        this.brokerId = brokerId;
        this.brokerEpoch = brokerEpoch;
        this.sender = sender;
        this.onHighWatermarkMoved = onHighWatermarkMoved;
    }

    @Override
    public void propose(Partition partition, List<Integer> newIsr) {
        TopicPartition tp = partition.topicPartition();
        var state = partition.state().state();
        AlterPartitionRequest request = new AlterPartitionRequest(brokerId, brokerEpoch.getAsLong(), List.of(
                new AlterPartitionRequest.Change(tp.topic(), tp.partition(), state.leaderEpoch(),
                        state.partitionEpoch(), newIsr)));
        log.info("Proposing ISR {} for {} (now {})", newIsr, tp, state.isr());
        try {
            executor.execute(() -> send(partition, request));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            partition.applyCommittedState(null);
        }
    }

    private void send(Partition partition, AlterPartitionRequest request) {
        AlterPartitionResponse.Result result = null;
        try {
            AlterPartitionResponse response = sender.send(request);
            if (response.error() == ClusterError.NONE && !response.partitions().isEmpty()) {
                result = response.partitions().get(0);
            } else {
                log.warn("The controller refused the ISR change of {}: {}", partition.topicPartition(), response.error());
            }
        } catch (IOException | RuntimeException e) {
            log.warn("Cannot send the ISR change of {} to the controller: {}", partition.topicPartition(), e.getMessage());
        }
        if (result != null && result.error() != ClusterError.NONE) {
            log.info("The controller refused the ISR change of {}: {}", partition.topicPartition(), result.error());
            result = null;
        }
        List<Integer> before = partition.state().state().isr();
        boolean moved = partition.applyCommittedState(result == null ? null : result.state());
        List<Integer> after = partition.state().state().isr();
        if (result != null && after.size() < before.size()) {
            shrinks.increment();
        } else if (result != null && after.size() > before.size()) {
            expands.increment();
        }
        if (moved) {
            onHighWatermarkMoved.accept(partition.topicPartition());
        }
    }

    /** ISR shrinks this broker had committed, as leader. */
    public long isrShrinks() {
        return shrinks.sum();
    }

    /** ISR expansions this broker had committed, as leader. */
    public long isrExpands() {
        return expands.sum();
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
