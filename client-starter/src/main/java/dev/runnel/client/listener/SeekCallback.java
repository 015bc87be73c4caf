package dev.runnel.client.listener;

import java.util.Collection;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.TopicPartition;

/**
 * Moves a listener consumer's position in its partitions, on Spring Kafka's seek callback. Called
 * on the consumer's thread (from {@link LogSeekAware#onPartitionsAssigned}) it acts at once; from
 * any other thread it acts before the consumer's next poll. Each answers with a future that
 * completes once the seek is done. A seek in a partition the consumer does not hold is skipped
 * (Spring Kafka logs it) and its future never completes: wait on it with a timeout. A seek to a
 * timestamp after the partition's last record leaves the position where it is (Spring Kafka's rule).
 */
public interface SeekCallback {

    CompletableFuture<Void> seek(String topic, int partition, long offset);

    CompletableFuture<Void> seekToBeginning(Collection<TopicPartition> partitions);

    CompletableFuture<Void> seekToEnd(Collection<TopicPartition> partitions);

    /** To the first record at or after {@code timestamp} (epoch ms), or the end if there is none. */
    CompletableFuture<Void> seekToTimestamp(Collection<TopicPartition> partitions, long timestamp);
}
