package dev.runnel.broker.replication;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
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
 *
 * <p>Like Kafka's AlterPartitionManager, at most one request is in flight: proposals made
 * meanwhile wait and go together in the next one. A broker that comes back with thousands of
 * partitions to catch up sends their ISR expansions in a few requests, not one each (each request
 * is one controller decision: one ZooKeeper commit, one metadata update to every broker).
 */
public final class AlterPartitionManager implements Partition.IsrProposer, AutoCloseable {

    /** The controller call, so tests can stand in for it. */
    @FunctionalInterface
    public interface Sender {
        AlterPartitionResponse send(AlterPartitionRequest request) throws IOException;
    }

    private static final Logger log = LoggerFactory.getLogger(AlterPartitionManager.class);

    /** The most changes one request carries. */
    static final int MAX_BATCH = 5_000;

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
    /** Proposals not sent yet, the latest per partition; guarded by {@code this}. */
    private final Map<TopicPartition, Proposal> waiting = new LinkedHashMap<>();
    private boolean sending;

    private record Proposal(Partition partition, AlterPartitionRequest.Change change) {
    }

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
        log.info("Proposing ISR {} for {} (now {})", newIsr, tp, state.isr());
        synchronized (this) {
            waiting.put(tp, new Proposal(partition, new AlterPartitionRequest.Change(tp.topic(), tp.partition(),
                    state.leaderEpoch(), state.partitionEpoch(), newIsr)));
            if (sending) {
                return;
            }
            sending = true;
        }
        try {
            executor.execute(this::sendWaiting);
        } catch (RejectedExecutionException e) {
            List<Proposal> dropped;
            synchronized (this) {
                dropped = new ArrayList<>(waiting.values());
                waiting.clear();
                sending = false;
            }
            dropped.forEach(p -> p.partition().applyCommittedState(null));
        }
    }

    /** Sends what waits, one request at a time, until nothing does. */
    private void sendWaiting() {
        while (true) {
            List<Proposal> batch = new ArrayList<>();
            synchronized (this) {
                var it = waiting.values().iterator();
                while (it.hasNext() && batch.size() < MAX_BATCH) {
                    batch.add(it.next());
                    it.remove();
                }
                if (batch.isEmpty()) {
                    sending = false;
                    return;
                }
            }
            send(batch);
        }
    }

    private void send(List<Proposal> batch) {
        AlterPartitionRequest request = new AlterPartitionRequest(brokerId, brokerEpoch.getAsLong(),
                batch.stream().map(Proposal::change).toList());
        Map<TopicPartition, AlterPartitionResponse.Result> results = new HashMap<>();
        try {
            AlterPartitionResponse response = sender.send(request);
            if (response.error() == ClusterError.NONE) {
                response.partitions().forEach(r -> results.put(new TopicPartition(r.topic(), r.partition()), r));
            } else {
                log.warn("The controller refused {} ISR changes: {}", batch.size(), response.error());
            }
        } catch (IOException | RuntimeException e) {
            log.warn("Cannot send {} ISR changes to the controller: {}", batch.size(), e.getMessage());
        }
        for (Proposal proposal : batch) {
            Partition partition = proposal.partition();
            AlterPartitionResponse.Result result = results.get(partition.topicPartition());
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
