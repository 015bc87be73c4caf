package dev.runnel.broker;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.protocol.KafkaErrors;
import dev.runnel.broker.record.KafkaRecordBatches;
import dev.runnel.broker.replication.AppendResult;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.storage.AppendOrigin;
import dev.runnel.broker.transaction.TransactionLog.TransactionLogException;
import dev.runnel.broker.transaction.TransactionMarkerSender;
import dev.runnel.broker.transaction.TransactionResult;
import dev.runnel.cluster.InternalTopics;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.common.TopicPartition;
import dev.runnel.common.time.Scheduler;

/**
 * Writes transactions' COMMIT and ABORT markers into their partitions (Kafka's
 * {@code TransactionMarkerChannelManager}): the partitions this broker leads directly through the
 * replica manager (acks=all, origin coordinator; {@code __consumer_offsets} partitions through the
 * group coordinator, which must learn of the marker), the others with one WriteTxnMarkers per
 * leader over {@link InterBrokerChannels}. Every partition is retried through leader changes and
 * unreachable brokers until it has its marker; a partition whose topic was deleted counts as done.
 * INVALID_PRODUCER_EPOCH and TRANSACTION_COORDINATOR_FENCED mean the transaction was superseded:
 * the send fails and the coordinator leaves the id to its successor.
 */
final class TransactionMarkerChannel implements TransactionMarkerSender {

    private static final Logger log = LoggerFactory.getLogger(TransactionMarkerChannel.class);
    /** A partition retried this many times is logged once more (then every such count). */
    private static final int RETRIES_BETWEEN_WARNINGS = 100;

    /** Writes a marker into {@code __consumer_offsets} partitions this broker leads (the group coordinator). */
    @FunctionalInterface
    interface OffsetsMarkers {
        CompletableFuture<Errors> write(TopicPartition offsetsPartition, Markers markers);
    }

    private final int brokerId;
    private final MetadataCache metadata;
    private final ReplicaManager replicas;
    private final InterBrokerChannels channels;
    private final Scheduler scheduler;
    private final Clock clock;
    private final Duration backoff;
    private final Duration writeTimeout;
    /** Bumped by {@link #removeMarkers}: sends of an older generation stop. */
    private final Map<Integer, AtomicLong> generations = new ConcurrentHashMap<>();
    private volatile OffsetsMarkers offsetsMarkers;
    private final AtomicLong pending = new AtomicLong();

    TransactionMarkerChannel(int brokerId, MetadataCache metadata, ReplicaManager replicas, InterBrokerChannels channels,
            Scheduler scheduler, Clock clock, Duration backoff, Duration writeTimeout) {
        this.brokerId = brokerId;
        this.metadata = metadata;
        this.replicas = replicas;
        this.channels = channels;
        this.scheduler = scheduler;
        this.clock = clock;
        this.backoff = backoff;
        this.writeTimeout = writeTimeout;
        this.offsetsMarkers = this::appendLocally;
    }

    /** Who writes markers into the {@code __consumer_offsets} partitions led here (the group coordinator). */
    void offsetsMarkers(OffsetsMarkers writer) {
        this.offsetsMarkers = writer;
    }

    @Override
    public CompletableFuture<Void> send(Markers markers) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        pending.addAndGet(markers.partitions().size());
        done.whenComplete((ignored, failure) -> pending.addAndGet(-markers.partitions().size()));
        long generation = generation(markers.transactionStatePartition()).get();
        attempt(markers, new HashSet<>(markers.partitions()), generation, done, new HashMap<>());
        return done;
    }

    /** Partitions of transactions whose markers are not all written yet (a gauge). */
    long pendingMarkers() {
        return pending.get();
    }

    @Override
    public void removeMarkers(int transactionStatePartition) {
        generation(transactionStatePartition).incrementAndGet();
    }

    private AtomicLong generation(int transactionStatePartition) {
        return generations.computeIfAbsent(transactionStatePartition, p -> new AtomicLong());
    }

    /** Sends the markers still missing in {@code remaining}, grouped by leader; retries what fails. */
    private void attempt(Markers markers, Set<TopicPartition> remaining, long generation, CompletableFuture<Void> done,
            Map<TopicPartition, Integer> retries) {
        if (done.isDone()) {
            return;
        }
        if (generation(markers.transactionStatePartition()).get() != generation) {
            done.completeExceptionally(new TransactionLogException(Errors.NOT_COORDINATOR, "the markers of "
                    + markers.transactionalId() + " were dropped: this broker no longer coordinates it"));
            return;
        }
        Map<Integer, Set<TopicPartition>> byLeader = new LinkedHashMap<>();
        Set<TopicPartition> leaderless = new HashSet<>();
        for (TopicPartition tp : remaining) {
            Optional<PartitionInfo> partition = partitionInfo(tp);
            if (partition.isEmpty()) {
                log.info("Marker of {} for {} skipped: the partition no longer exists", markers.transactionalId(), tp);
                continue;
            }
            int leader = partition.get().state().leader();
            if (leader < 0 || (leader != brokerId && !metadata.snapshot().brokers().containsKey(leader))) {
                leaderless.add(tp);
            } else {
                byLeader.computeIfAbsent(leader, l -> new HashSet<>()).add(tp);
            }
        }
        Set<TopicPartition> failed = ConcurrentHashMap.newKeySet();
        failed.addAll(leaderless);
        List<CompletableFuture<Void>> sends = new ArrayList<>();
        for (Map.Entry<Integer, Set<TopicPartition>> entry : byLeader.entrySet()) {
            CompletableFuture<Map<TopicPartition, Errors>> answer = entry.getKey() == brokerId
                    ? writeHere(markers, entry.getValue())
                    : channels.call(entry.getKey(), client -> client.writeTxnMarkers(markers.producerId(),
                            markers.producerEpoch(), markers.coordinatorEpoch(),
                            markers.result() == TransactionResult.COMMIT, entry.getValue()));
            sends.add(answer.handle((errors, failure) -> {
                for (TopicPartition tp : entry.getValue()) {
                    Errors error = failure != null ? Errors.NETWORK_EXCEPTION : errors.getOrDefault(tp, Errors.UNKNOWN_SERVER_ERROR);
                    if (error == Errors.INVALID_PRODUCER_EPOCH || error == Errors.TRANSACTION_COORDINATOR_FENCED) {
                        done.completeExceptionally(new TransactionLogException(error, "the marker of "
                                + markers.transactionalId() + " for " + tp + " was refused: " + error));
                    } else if (error != Errors.NONE
                            && !(error == Errors.UNKNOWN_TOPIC_OR_PARTITION && partitionInfo(tp).isEmpty())) {
                        failed.add(tp);
                        int count = retries.merge(tp, 1, Integer::sum);
                        if (count == 1 || count % RETRIES_BETWEEN_WARNINGS == 0) {
                            log.info("Marker of {} for {} not written ({}{}), retrying", markers.transactionalId(), tp,
                                    error, failure == null ? "" : ": " + failure.getMessage());
                        }
                    }
                }
                return null;
            }));
        }
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).whenComplete((ignored, failure) -> {
            if (done.isDone()) {
                return;
            }
            if (failed.isEmpty()) {
                done.complete(null);
            } else {
                scheduler.schedule("transaction-marker-retry",
                        () -> attempt(markers, new HashSet<>(failed), generation, done, retries), backoff);
            }
        });
    }

    private Optional<PartitionInfo> partitionInfo(TopicPartition tp) {
        Optional<TopicInfo> topic = metadata.snapshot().topic(tp.topic());
        return topic.flatMap(t -> t.partitions().stream().filter(p -> p.partition() == tp.partition()).findFirst());
    }

    /** The markers of partitions led here: offsets partitions through the group coordinator, the rest appended. */
    private CompletableFuture<Map<TopicPartition, Errors>> writeHere(Markers markers, Set<TopicPartition> partitions) {
        Map<TopicPartition, CompletableFuture<Errors>> each = new LinkedHashMap<>();
        for (TopicPartition tp : partitions) {
            each.put(tp, tp.topic().equals(InternalTopics.CONSUMER_OFFSETS) ? offsetsMarkers.write(tp, markers)
                    : appendLocally(tp, markers));
        }
        return CompletableFuture.allOf(each.values().toArray(CompletableFuture[]::new)).handle((ignored, failure) -> {
            Map<TopicPartition, Errors> errors = new HashMap<>();
            each.forEach((tp, f) -> errors.put(tp, f.isCompletedExceptionally() ? Errors.UNKNOWN_SERVER_ERROR : f.join()));
            return errors;
        });
    }

    /** Appends one marker to {@code tp} as its leader, with acks=all and origin coordinator. */
    private CompletableFuture<Errors> appendLocally(TopicPartition tp, Markers markers) {
        ByteBuffer batch = KafkaRecordBatches.endTxnMarker(markers.producerId(), markers.producerEpoch(),
                markers.coordinatorEpoch(), markers.result() == TransactionResult.COMMIT, clock.millis());
        return replicas.appendRecords(Map.of(tp, batch), (short) -1, writeTimeout, AppendOrigin.COORDINATOR)
                .thenApply(results -> {
                    AppendResult result = results.get(tp);
                    return result.failed() ? KafkaErrors.of(result.failure()) : Errors.NONE;
                });
    }
}
