package dev.runnel.client.listener;

import java.util.Collection;

import org.apache.kafka.common.TopicPartition;

/**
 * Moves a listener consumer's position in its partitions. Called on the consumer's thread (from
 * {@link LogSeekAware#onPartitionsAssigned}) it acts at once; from any other thread it acts
 * before the consumer's next poll.
 */
public interface SeekCallback {

    void seek(String topic, int partition, long offset);

    void seekToBeginning(Collection<TopicPartition> partitions);

    void seekToEnd(Collection<TopicPartition> partitions);

    /** To the first record at or after {@code timestamp} (epoch ms), or the end if there is none. */
    void seekToTimestamp(Collection<TopicPartition> partitions, long timestamp);
}
