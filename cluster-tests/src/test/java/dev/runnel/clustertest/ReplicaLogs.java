package dev.runnel.clustertest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.runnel.broker.record.KafkaRecordBatches;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.storage.PartitionLog;
import dev.runnel.broker.storage.RecordBatchHeader;
import dev.runnel.common.TopicPartition;

/**
 * Reads a broker's own replica of a partition in an {@link InJvmCluster}, below the Kafka
 * protocol: what its log holds up to its high watermark, batch by batch (a compacted log has
 * emptied batches and offset gaps, so reads move on by each batch's last offset).
 */
final class ReplicaLogs {

    private ReplicaLogs() {
    }

    /** Broker {@code broker}'s replica of {@code topic}'s partition {@code partition}. */
    static PartitionLog log(InJvmCluster cluster, int broker, String topic, int partition) {
        return cluster.broker(broker).getBean(ReplicaManager.class).partition(new TopicPartition(topic, partition))
                .orElseThrow().log();
    }

    /** How many records the log holds below its high watermark. */
    static long recordCount(PartitionLog log) {
        long[] count = {0};
        forEachBatch(log, (bytes, at) -> count[0] += RecordBatchHeader.recordCount(bytes, at));
        return count[0];
    }

    /** Key and value (UTF-8; "" for a tombstone) of every record below the high watermark, in offset order. */
    static List<Map.Entry<String, String>> keyValues(PartitionLog log) {
        List<Map.Entry<String, String>> out = new ArrayList<>();
        forEachBatch(log, (bytes, at) -> {
            ByteBuffer batch = bytes.duplicate().position(at).limit(at + RecordBatchHeader.sizeInBytes(bytes, at)).slice();
            for (KafkaRecordBatches.DecodedRecord r : KafkaRecordBatches.decode(batch)) {
                out.add(Map.entry(KafkaClients.text(r.key()), r.value() == null ? "" : KafkaClients.text(r.value())));
            }
        });
        return out;
    }

    /** One whole batch: {@code bytes} from {@code at}. */
    @FunctionalInterface
    interface BatchVisitor {
        void visit(ByteBuffer bytes, int at);
    }

    /** Visits every whole batch that starts below the high watermark, in offset order. */
    static void forEachBatch(PartitionLog log, BatchVisitor visitor) {
        long offset = log.logStartOffset();
        long end = log.highWatermark();
        while (offset < end) {
            PartitionLog.ReadResult read = log.read(offset, 1 << 20, end, true);
            if (read.isEmpty()) {
                return;
            }
            ByteBuffer bytes;
            try {
                bytes = read.slice().readFully();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            long next = offset;
            for (int at = 0; at + RecordBatchHeader.HEADER_SIZE <= bytes.limit()
                    && at + RecordBatchHeader.sizeInBytes(bytes, at) <= bytes.limit();
                    at += RecordBatchHeader.sizeInBytes(bytes, at)) {
                if (RecordBatchHeader.lastOffset(bytes, at) >= offset) {
                    visitor.visit(bytes, at);
                }
                next = RecordBatchHeader.lastOffset(bytes, at) + 1;
            }
            if (next <= offset) {
                throw new IllegalStateException("no whole batch at offset " + offset + " of " + log);
            }
            offset = next;
        }
    }
}
