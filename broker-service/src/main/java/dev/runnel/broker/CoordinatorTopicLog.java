package dev.runnel.broker;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import java.util.function.Consumer;

import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.protocol.KafkaErrors;
import dev.runnel.broker.record.KafkaRecordBatches;
import dev.runnel.broker.replication.AppendResult;
import dev.runnel.broker.replication.FetchParams;
import dev.runnel.broker.replication.FetchResult;
import dev.runnel.broker.replication.ReplicaException;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.storage.AppendOrigin;
import dev.runnel.broker.storage.LogException;
import dev.runnel.broker.storage.PartitionLog;
import dev.runnel.broker.storage.ProducerStateManager;
import dev.runnel.broker.storage.RecordBatchHeader;
import dev.runnel.common.TopicPartition;

/**
 * How a coordinator uses a partition of its topic ({@code __consumer_offsets},
 * {@code __transaction_state}) that this broker leads: appends through
 * {@link ReplicaManager#appendRecords} with acks=all and origin coordinator, and reads it whole
 * through {@link ReplicaManager#fetchMessages}, the same paths as producers and consumers. Failures
 * become the coordinator's own exception type through the {@code failure} function it gives.
 */
final class CoordinatorTopicLog {

    private static final int READ_BYTES = 1024 * 1024;

    private final ReplicaManager replicas;
    private final Duration timeout;
    /** Makes the coordinator's exception from a Kafka error and a message. */
    private final BiFunction<Errors, String, RuntimeException> failure;

    CoordinatorTopicLog(ReplicaManager replicas, Duration timeout, BiFunction<Errors, String, RuntimeException> failure) {
        this.replicas = replicas;
        this.timeout = timeout;
        this.failure = failure;
    }

    /**
     * Appends one batch to {@code tp} with acks=all, with the verification guards of a
     * transactional write and, for a coordinator that loaded the partition at one leader epoch,
     * that epoch ({@code requiredLeaderEpoch}, -1 for any). Completes with the batch's base offset
     * once the ISR has it, or fails with the coordinator's exception carrying the produce error.
     */
    CompletableFuture<Long> append(TopicPartition tp, ByteBuffer batch,
            Map<TopicPartition, ProducerStateManager.VerificationGuard> guards, int requiredLeaderEpoch) {
        return replicas.appendRecords(Map.of(tp, batch), (short) -1, timeout, AppendOrigin.COORDINATOR, guards,
                requiredLeaderEpoch).thenCompose(results -> {
                    AppendResult result = results.get(tp);
                    if (!result.failed()) {
                        return CompletableFuture.completedFuture(result.info().firstOffset());
                    }
                    // Failed as such, not wrapped: the coordinator reads the error from it.
                    return CompletableFuture.failedFuture(failure.apply(KafkaErrors.of(result.failure()),
                            (result.failedAfterAppend() ? "the write to " + tp + " was not replicated: " : "")
                                    + result.failure().getMessage()));
                });
    }

    /**
     * Reads {@code tp} from its start to its end, handing every batch to {@code batches} in offset
     * order with the offset the read asked for (a read may start inside a batch, at the log start).
     *
     * @throws RuntimeException the coordinator's exception if this broker cannot read it (no longer
     *         its leader, a storage error, a corrupt batch)
     */
    void read(TopicPartition tp, BatchVisitor batches) {
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
                    throw failure.apply(Errors.CORRUPT_MESSAGE, "no whole batch at offset " + offset + " of " + tp);
                }
                for (KafkaRecordBatches.DecodedBatch b : KafkaRecordBatches.decodeBatches(bytes)) {
                    if (b.lastOffset() >= offset) {
                        batches.visit(b, offset);
                    }
                }
                offset = next;
            }
        } catch (ReplicaException | LogException e) {
            throw failure.apply(KafkaErrors.of(e), e.getMessage());
        } catch (IOException e) {
            throw failure.apply(Errors.KAFKA_STORAGE_ERROR, "cannot read " + tp + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw failure.apply(Errors.CORRUPT_MESSAGE, "a corrupt batch in " + tp + ": " + e.getMessage());
        }
    }

    /** One batch of a read, and the offset the read is at (records below it were read before). */
    @FunctionalInterface
    interface BatchVisitor {
        void visit(KafkaRecordBatches.DecodedBatch batch, long from);
    }

    /** The offset after the last whole batch in {@code bytes}, or -1 if it holds none. */
    private static long nextOffsetAfterWholeBatches(ByteBuffer bytes) {
        long next = -1;
        int at = bytes.position();
        while (at + RecordBatchHeader.HEADER_SIZE <= bytes.limit()) {
            int size = RecordBatchHeader.sizeInBytes(bytes, at);
            if (size < RecordBatchHeader.HEADER_SIZE || at + (long) size > bytes.limit()) {
                break; // cut short by the read's size, or corrupt: the decode says which
            }
            next = RecordBatchHeader.lastOffset(bytes, at) + 1;
            at += size;
        }
        return next;
    }

    /** A visitor of the keyed records of each batch that the read has not passed yet. */
    static BatchVisitor records(Consumer<KafkaRecordBatches.DecodedRecord> records) {
        return (batch, from) -> {
            for (KafkaRecordBatches.DecodedRecord r : batch.records()) {
                if (r.offset() >= from && r.key() != null) {
                    records.accept(r);
                }
            }
        };
    }
}
