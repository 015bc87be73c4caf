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
import java.util.function.BiConsumer;

import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.protocol.KafkaErrors;
import dev.runnel.broker.record.KafkaRecordBatches;
import dev.runnel.broker.record.RecordCodec;
import dev.runnel.broker.replication.AppendResult;
import dev.runnel.broker.replication.FetchParams;
import dev.runnel.broker.replication.FetchResult;
import dev.runnel.broker.replication.ReplicaException;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.storage.AppendOrigin;
import dev.runnel.broker.storage.LogException;
import dev.runnel.broker.storage.PartitionLog;
import dev.runnel.broker.storage.RecordBatchHeader;
import dev.runnel.broker.transaction.TransactionLog;
import dev.runnel.cluster.InternalTopics;
import dev.runnel.common.TopicPartition;

/**
 * The transaction coordinator's {@link TransactionLog} on {@code __transaction_state}: appends
 * through {@link ReplicaManager#appendRecords} with acks=all as the partition's leader at the
 * coordinator epoch the partition was loaded at (a newer leadership refuses the write with
 * FENCED_LEADER_EPOCH, which the coordinator takes as NOT_COORDINATOR), reads through
 * {@link ReplicaManager#fetchMessages}, the same paths as producers and consumers.
 */
final class ReplicatedTransactionLog implements TransactionLog {

    private static final int READ_BYTES = 1024 * 1024;

    private final ReplicaManager replicas;
    private final Clock clock;
    private final Duration timeout;

    ReplicatedTransactionLog(ReplicaManager replicas, Clock clock, Duration timeout) {
        this.replicas = replicas;
        this.clock = clock;
        this.timeout = timeout;
    }

    @Override
    public CompletableFuture<Void> append(int partition, int coordinatorEpoch, List<Entry> entries) {
        TopicPartition tp = new TopicPartition(InternalTopics.TRANSACTION_STATE, partition);
        long now = clock.millis();
        List<KafkaRecordBatches.SimpleRecord> records = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            records.add(new KafkaRecordBatches.SimpleRecord(now, e.key(), e.value()));
        }
        ByteBuffer batch = KafkaRecordBatches.batch(RecordCodec.NONE, KafkaRecordBatches.ProducerInfo.NONE, records);
        return replicas.appendRecords(Map.of(tp, batch), (short) -1, timeout, AppendOrigin.COORDINATOR, Map.of(),
                coordinatorEpoch).thenCompose(results -> {
                    AppendResult result = results.get(tp);
                    if (!result.failed()) {
                        return CompletableFuture.completedFuture(null);
                    }
                    return CompletableFuture.failedFuture(new TransactionLogException(KafkaErrors.of(result.failure()),
                            (result.failedAfterAppend() ? "the write to " + tp + " was not replicated: " : "")
                                    + result.failure().getMessage()));
                });
    }

    @Override
    public void read(int partition, BiConsumer<byte[], byte[]> records) {
        TopicPartition tp = new TopicPartition(InternalTopics.TRANSACTION_STATE, partition);
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
                ByteBuffer bytes = wholeBatches(read.read().slice().readFully());
                if (!bytes.hasRemaining()) {
                    throw new TransactionLogException(Errors.CORRUPT_MESSAGE, "no whole batch at offset " + offset
                            + " of " + tp);
                }
                long next = offset;
                for (KafkaRecordBatches.DecodedBatch batch : KafkaRecordBatches.decodeBatches(bytes)) {
                    for (KafkaRecordBatches.DecodedRecord r : batch.records()) {
                        if (r.offset() >= offset && r.key() != null) {
                            records.accept(r.key(), r.value());
                        }
                    }
                    next = batch.lastOffset() + 1;
                }
                // After the last whole batch, not its last record: the cleaner empties batches and leaves gaps.
                offset = next;
            }
        } catch (ReplicaException | LogException e) {
            throw new TransactionLogException(KafkaErrors.of(e), e.getMessage());
        } catch (IOException e) {
            throw new TransactionLogException(Errors.KAFKA_STORAGE_ERROR, "cannot read " + tp + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new TransactionLogException(Errors.CORRUPT_MESSAGE, "a corrupt batch in " + tp + ": " + e.getMessage());
        }
    }

    /** The whole batches at the start of {@code bytes} (a read's byte limit may cut the last one). */
    private static ByteBuffer wholeBatches(ByteBuffer bytes) {
        int at = bytes.position();
        while (at + RecordBatchHeader.HEADER_SIZE <= bytes.limit()) {
            int size = RecordBatchHeader.sizeInBytes(bytes, at);
            if (size < RecordBatchHeader.HEADER_SIZE || at + (long) size > bytes.limit()) {
                break;
            }
            at += size;
        }
        return bytes.duplicate().limit(at).slice();
    }
}
