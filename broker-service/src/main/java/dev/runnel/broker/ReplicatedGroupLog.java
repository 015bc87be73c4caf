package dev.runnel.broker;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import dev.runnel.broker.group.GroupLog;
import dev.runnel.broker.protocol.KafkaErrors;
import dev.runnel.broker.record.KafkaRecordBatches;
import dev.runnel.broker.record.RecordCodec;
import dev.runnel.broker.replication.ReplicaException;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.storage.LogException;
import dev.runnel.broker.storage.ProducerStateManager;
import dev.runnel.cluster.InternalTopics;
import dev.runnel.common.TopicPartition;

/**
 * The group coordinator's {@link GroupLog} on {@code __consumer_offsets} ({@link CoordinatorTopicLog}:
 * appends with acks=all through the replica manager, reads the partition whole). Transactional
 * offset commits and transaction markers are appended with origin COORDINATOR, so the partition
 * checks their producer epochs (and the markers' coordinator epochs) but no sequences.
 */
final class ReplicatedGroupLog implements GroupLog {

    private final ReplicaManager replicas;
    private final CoordinatorTopicLog log;
    private final Clock clock;

    ReplicatedGroupLog(ReplicaManager replicas, Clock clock, Duration timeout) {
        this.replicas = replicas;
        this.log = new CoordinatorTopicLog(replicas, timeout, GroupLogException::new);
        this.clock = clock;
    }

    @Override
    public CompletableFuture<Long> append(int partition, List<Entry> entries) {
        return appendBatch(partition, KafkaRecordBatches.batch(RecordCodec.NONE, KafkaRecordBatches.ProducerInfo.NONE,
                records(entries)), Map.of());
    }

    /**
     * Sequence 0, as Kafka's coordinator writes it: the batch builder refuses a negative sequence
     * for a producer's batch, and the partition checks no sequences of a coordinator's writes.
     */
    @Override
    public Object startTransactionVerification(int partition, long producerId, short producerEpoch) {
        TopicPartition tp = new TopicPartition(InternalTopics.CONSUMER_OFFSETS, partition);
        try {
            return replicas.leaderPartition(tp).maybeStartTransactionVerification(producerId, producerEpoch);
        } catch (ReplicaException | LogException e) {
            throw new GroupLogException(KafkaErrors.of(e), e.getMessage());
        }
    }

    @Override
    public CompletableFuture<Long> appendTransactional(int partition, long producerId, short producerEpoch,
            List<Entry> entries, Object verification) {
        TopicPartition tp = new TopicPartition(InternalTopics.CONSUMER_OFFSETS, partition);
        return appendBatch(partition, KafkaRecordBatches.batch(RecordCodec.NONE,
                new KafkaRecordBatches.ProducerInfo(producerId, producerEpoch, 0), true, records(entries)),
                verification instanceof ProducerStateManager.VerificationGuard guard ? Map.of(tp, guard) : Map.of());
    }

    @Override
    public CompletableFuture<Long> appendMarker(int partition, long producerId, short producerEpoch,
            int coordinatorEpoch, boolean commit) {
        return appendBatch(partition, KafkaRecordBatches.endTxnMarker(producerId, producerEpoch, coordinatorEpoch, commit,
                clock.millis()), Map.of());
    }

    private List<KafkaRecordBatches.SimpleRecord> records(List<Entry> entries) {
        long now = clock.millis();
        List<KafkaRecordBatches.SimpleRecord> records = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            records.add(new KafkaRecordBatches.SimpleRecord(now, e.key(), e.value()));
        }
        return records;
    }

    /** Appends one batch with acks=all and origin COORDINATOR; completes with its base offset. */
    private CompletableFuture<Long> appendBatch(int partition, ByteBuffer batch,
            Map<TopicPartition, ProducerStateManager.VerificationGuard> guards) {
        return log.append(new TopicPartition(InternalTopics.CONSUMER_OFFSETS, partition), batch, guards, -1);
    }

    @Override
    public void read(int partition, Consumer<Batch> batches) {
        log.read(new TopicPartition(InternalTopics.CONSUMER_OFFSETS, partition), (b, from) -> deliver(b, from, batches));
    }

    /**
     * Hands on what the coordinator replays of {@code b}, from offset {@code from} (a read may start
     * inside a batch, at the log start): a transaction marker, or the keyed records with the
     * producer id if the batch is transactional.
     */
    private static void deliver(KafkaRecordBatches.DecodedBatch b, long from, Consumer<Batch> batches) {
        if (b.lastOffset() < from) {
            return;
        }
        if (b.control()) {
            if (b.marker() != null) {
                batches.accept(Batch.marker(b.producerId(), b.marker().commit() ? Marker.COMMIT : Marker.ABORT));
            }
            return;
        }
        List<Logged> records = new ArrayList<>(b.records().size());
        for (KafkaRecordBatches.DecodedRecord r : b.records()) {
            if (r.offset() >= from && r.key() != null) {
                records.add(new Logged(r.offset(), r.key(), r.value()));
            }
        }
        if (!records.isEmpty()) {
            batches.accept(b.transactional() ? Batch.transactional(b.producerId(), records) : Batch.plain(records));
        }
    }
}
