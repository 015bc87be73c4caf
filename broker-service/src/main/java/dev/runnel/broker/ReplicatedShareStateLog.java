package dev.runnel.broker;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

import dev.runnel.broker.record.KafkaRecordBatches;
import dev.runnel.broker.record.RecordCodec;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.sharestate.ShareStateLog;
import dev.runnel.cluster.InternalTopics;
import dev.runnel.common.TopicPartition;

/**
 * The share coordinator's {@link ShareStateLog} on {@code __share_group_state}
 * ({@link CoordinatorTopicLog}): appends as the partition's leader at the epoch the partition was
 * loaded at (a newer leadership refuses the write with FENCED_LEADER_EPOCH, which the coordinator
 * answers as NOT_COORDINATOR), and reads the partition whole to load it.
 */
final class ReplicatedShareStateLog implements ShareStateLog {

    private final CoordinatorTopicLog log;
    private final Clock clock;

    ReplicatedShareStateLog(ReplicaManager replicas, Clock clock, Duration timeout) {
        this.log = new CoordinatorTopicLog(replicas, timeout, ShareStateLogException::new);
        this.clock = clock;
    }

    @Override
    public CompletableFuture<Void> append(int partition, int leaderEpoch, List<Entry> entries) {
        long now = clock.millis();
        List<KafkaRecordBatches.SimpleRecord> records = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            records.add(new KafkaRecordBatches.SimpleRecord(now, e.key(), e.value()));
        }
        return log.append(topicPartition(partition), KafkaRecordBatches.batch(RecordCodec.NONE,
                KafkaRecordBatches.ProducerInfo.NONE, records), Map.of(), leaderEpoch).thenApply(offset -> null);
    }

    @Override
    public void read(int partition, BiConsumer<byte[], byte[]> records) {
        log.read(topicPartition(partition), CoordinatorTopicLog.records(r -> records.accept(r.key(), r.value())));
    }

    private static TopicPartition topicPartition(int partition) {
        return new TopicPartition(InternalTopics.SHARE_GROUP_STATE, partition);
    }
}
