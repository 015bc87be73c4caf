package dev.runnel.broker;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.group.GroupLog;
import dev.runnel.broker.protocol.KafkaErrors;
import dev.runnel.broker.record.KafkaRecordBatches;
import dev.runnel.broker.record.RecordCodec;
import dev.runnel.broker.storage.AppendOrigin;
import dev.runnel.broker.replication.AppendResult;
import dev.runnel.broker.replication.FetchParams;
import dev.runnel.broker.replication.FetchResult;
import dev.runnel.broker.replication.ReplicaException;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.storage.LogException;
import dev.runnel.broker.storage.PartitionLog;
import dev.runnel.broker.storage.ProducerStateManager;
import dev.runnel.broker.storage.RecordBatchHeader;
import dev.runnel.cluster.InternalTopics;
import dev.runnel.common.TopicPartition;

/**
 * The group coordinator's {@link GroupLog} on {@code __consumer_offsets}: appends through
 * {@link ReplicaManager#appendRecords} with acks=all, reads through
 * {@link ReplicaManager#fetchMessages}, the same paths as producers and consumers. Transactional
 * offset commits and transaction markers are appended with origin COORDINATOR, so the partition
 * checks their producer epochs (and the markers' coordinator epochs) but no sequences.
 */
final class ReplicatedGroupLog implements GroupLog {

    private static final int READ_BYTES = 1024 * 1024;

    private final ReplicaManager replicas;
    private final Clock clock;
    private final Duration timeout;

    ReplicatedGroupLog(ReplicaManager replicas, Clock clock, Duration timeout) {
        this.replicas = replicas;
        this.clock = clock;
        this.timeout = timeout;
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
        TopicPartition tp = new TopicPartition(InternalTopics.CONSUMER_OFFSETS, partition);
        return replicas.appendRecords(Map.of(tp, batch), (short) -1, timeout, AppendOrigin.COORDINATOR, guards, -1)
                .thenCompose(results -> {
                    AppendResult result = results.get(tp);
                    if (!result.failed()) {
                        return CompletableFuture.completedFuture(result.info().firstOffset());
                    }
                    // Failed as such, not wrapped: the coordinator reads the error from it.
                    return CompletableFuture.failedFuture(new GroupLogException(KafkaErrors.of(result.failure()),
                            (result.failedAfterAppend() ? "the write to " + tp + " was not replicated: " : "")
                                    + result.failure().getMessage()));
                });
    }

    /** The offset after the last whole batch in {@code bytes}, or -1 if it holds none. */
    private static long nextOffsetAfterWholeBatches(ByteBuffer bytes) {
        long next = -1;
        int at = bytes.position();
        while (at + RecordBatchHeader.HEADER_SIZE <= bytes.limit()) {
            int size = RecordBatchHeader.sizeInBytes(bytes, at);
            if (size < RecordBatchHeader.HEADER_SIZE || at + (long) size > bytes.limit()) {
                break; // cut short by the read's size, or corrupt: the decode below says which
            }
            next = RecordBatchHeader.lastOffset(bytes, at) + 1;
            at += size;
        }
        return next;
    }

    @Override
    public void read(int partition, Consumer<Batch> batches) {
        TopicPartition tp = new TopicPartition(InternalTopics.CONSUMER_OFFSETS, partition);
        try {
            PartitionLog log = replicas.leaderPartition(tp).log();
            long offset = log.logStartOffset();
            long end = log.logEndOffset();
            while (offset < end) {
                FetchResult read = replicas.fetchMessages(FetchParams.coordinatorLoad(READ_BYTES),
                        List.of(new FetchParams.PartitionRequest(tp, offset, OptionalInt.empty(), READ_BYTES)))
                        .join().get(0);
                if (read.failed()) {
                    throw read.failure();
                }
                if (read.read().isEmpty()) {
                    break;
                }
                ByteBuffer bytes = read.read().slice().readFully();
                // The next read starts after the last whole batch, not the last record: a compacted
                // partition holds batches the cleaner emptied, and batches whose last records it removed.
                long next = nextOffsetAfterWholeBatches(bytes);
                if (next <= offset) {
                    throw new GroupLogException(Errors.CORRUPT_MESSAGE, "no whole batch at offset " + offset + " of " + tp);
                }
                for (KafkaRecordBatches.DecodedBatch b : KafkaRecordBatches.decodeBatches(bytes)) {
                    deliver(b, offset, batches);
                }
                offset = next;
            }
        } catch (ReplicaException | LogException e) {
            throw new GroupLogException(KafkaErrors.of(e), e.getMessage());
        } catch (IOException e) {
            throw new GroupLogException(Errors.KAFKA_STORAGE_ERROR, "cannot read " + tp + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new GroupLogException(Errors.CORRUPT_MESSAGE, "a corrupt batch in " + tp + ": " + e.getMessage());
        }
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
