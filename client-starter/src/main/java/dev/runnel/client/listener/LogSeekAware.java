package dev.runnel.client.listener;

import java.util.Collection;

import org.apache.kafka.common.TopicPartition;

/**
 * Implemented by a bean with {@link LogListener} methods that wants to choose where its
 * consumers read: once per consumer it gets a {@link SeekCallback} to keep, and after each
 * rebalance the partitions that consumer was given.
 */
public interface LogSeekAware {

    /** A consumer of this bean's listener started; {@code callback} seeks in its partitions from now on. */
    default void registerSeekCallback(SeekCallback callback) {
    }

    /** A consumer was given {@code partitions}; seeks through {@code callback} act before it reads them. */
    default void onPartitionsAssigned(Collection<TopicPartition> partitions, SeekCallback callback) {
    }
}
