package dev.runnel.broker.protocol;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

import org.apache.kafka.common.protocol.Errors;

import dev.runnel.broker.cluster.ReplicaManager;
import dev.runnel.broker.group.GroupLog;
import dev.runnel.broker.purgatory.DelayedOperationPurgatory;
import dev.runnel.broker.record.KafkaRecordBatches;
import dev.runnel.broker.record.RecordCodec;
import dev.runnel.broker.replication.Partition;
import dev.runnel.broker.replication.ReplicaException;
import dev.runnel.broker.storage.AppendInfo;
import dev.runnel.broker.storage.LogException;
import dev.runnel.broker.storage.PartitionLog;
import dev.runnel.common.TopicPartition;

/**
 * The coordinator's records in {@code __consumer_offsets}: appended as the partition's leader like
 * an {@code acks=all} produce (waiting in the produce purgatory for the ISR), read back whole when
 * this broker becomes a partition's leader.
 */
final class OffsetsTopicLog implements GroupLog {

    static final String TOPIC = "__consumer_offsets";
    private static final int READ_BYTES = 1024 * 1024;

    private final ReplicaManager replicas;
    private final DelayedOperationPurgatory<TopicPartition> producePurgatory;
    private final DelayedOperationPurgatory<TopicPartition> fetchPurgatory;
    private final Clock clock;
    private final Duration timeout;

    OffsetsTopicLog(ReplicaManager replicas, DelayedOperationPurgatory<TopicPartition> producePurgatory,
            DelayedOperationPurgatory<TopicPartition> fetchPurgatory, Clock clock, Duration timeout) {
        this.replicas = replicas;
        this.producePurgatory = producePurgatory;
        this.fetchPurgatory = fetchPurgatory;
        this.clock = clock;
        this.timeout = timeout;
    }

    @Override
    public CompletableFuture<Void> append(int partitionIndex, List<Entry> entries) {
        TopicPartition tp = new TopicPartition(TOPIC, partitionIndex);
        Partition partition;
        AppendInfo info;
        try {
            partition = replicas.leaderPartition(tp);
            long now = clock.millis();
            List<KafkaRecordBatches.SimpleRecord> records = new ArrayList<>(entries.size());
            for (Entry e : entries) {
                records.add(new KafkaRecordBatches.SimpleRecord(now, e.key(), e.value()));
            }
            ByteBuffer batch = KafkaRecordBatches.batch(RecordCodec.NONE, KafkaRecordBatches.ProducerInfo.NONE, records);
            info = partition.appendAsLeader(batch, (short) -1);
        } catch (ReplicaException | LogException e) {
            return CompletableFuture.failedFuture(new GroupLogException(KafkaErrors.of(e), e.getMessage()));
        }
        // Followers parked in a long-poll fetch take the records at once.
        fetchPurgatory.checkAndComplete(tp);
        CompletableFuture<Void> written = new CompletableFuture<>();
        DelayedProduce delayed = new DelayedProduce(timeout, Map.of(tp, new DelayedProduce.Pending(partition,
                info.nextOffset())), results -> {
                    Errors outcome = results.get(tp).outcome;
                    if (outcome == Errors.NONE) {
                        written.complete(null);
                    } else {
                        written.completeExceptionally(new GroupLogException(outcome, "the write to " + tp
                                + " was not replicated: " + outcome.message()));
                    }
                });
        producePurgatory.tryCompleteElseWatch(delayed, List.of(tp));
        return written;
    }

    @Override
    public void read(int partitionIndex, BiConsumer<byte[], byte[]> records) {
        TopicPartition tp = new TopicPartition(TOPIC, partitionIndex);
        try {
            PartitionLog log = replicas.leaderPartition(tp).log();
            long offset = log.logStartOffset();
            long end = log.logEndOffset();
            while (offset < end) {
                PartitionLog.ReadResult read = log.read(offset, READ_BYTES, end, true);
                if (read.isEmpty()) {
                    break;
                }
                List<KafkaRecordBatches.DecodedRecord> decoded = KafkaRecordBatches.decode(read.slice().readFully());
                if (decoded.isEmpty()) {
                    throw new GroupLogException(Errors.CORRUPT_MESSAGE, "no whole batch at offset " + offset + " of " + tp);
                }
                for (KafkaRecordBatches.DecodedRecord r : decoded) {
                    if (r.offset() >= offset && r.key() != null) {
                        records.accept(r.key(), r.value());
                    }
                }
                offset = decoded.get(decoded.size() - 1).offset() + 1;
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
