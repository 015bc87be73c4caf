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
import dev.runnel.broker.storage.RecordBatchHeader;
import dev.runnel.cluster.InternalTopics;
import dev.runnel.common.TopicPartition;

/**
 * The group coordinator's {@link GroupLog} on {@code __consumer_offsets}: appends through
 * {@link ReplicaManager#appendRecords} with acks=all, reads through
 * {@link ReplicaManager#fetchMessages}, the same paths as producers and consumers.
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
    public CompletableFuture<Void> append(int partition, List<Entry> entries) {
        TopicPartition tp = new TopicPartition(InternalTopics.CONSUMER_OFFSETS, partition);
        long now = clock.millis();
        List<KafkaRecordBatches.SimpleRecord> records = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            records.add(new KafkaRecordBatches.SimpleRecord(now, e.key(), e.value()));
        }
        return replicas.appendRecords(Map.of(tp, KafkaRecordBatches.batch(RecordCodec.NONE,
                KafkaRecordBatches.ProducerInfo.NONE, records)), (short) -1, timeout, AppendOrigin.COORDINATOR)
                .thenCompose(results -> {
                    AppendResult result = results.get(tp);
                    if (!result.failed()) {
                        return CompletableFuture.completedFuture(null);
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
    public void read(int partition, BiConsumer<byte[], byte[]> records) {
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
                for (KafkaRecordBatches.DecodedRecord r : KafkaRecordBatches.decode(bytes)) {
                    if (r.offset() >= offset && r.key() != null) {
                        records.accept(r.key(), r.value());
                    }
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
}
