package dev.runnel.client.listener;

import java.util.Collection;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;
import org.springframework.kafka.listener.ConsumerSeekAware;

/**
 * Implemented by a bean with {@link LogListener} methods that wants to choose where its consumers
 * read: once per consumer it gets a {@link SeekCallback} to keep, and after each rebalance the
 * partitions that consumer was given. A bridge onto Spring Kafka's {@link ConsumerSeekAware}
 * (which such a bean may use directly instead, as on a {@code @KafkaListener} bean).
 */
public interface LogSeekAware extends ConsumerSeekAware {

    /** A consumer of this bean's listener started; {@code callback} seeks in its partitions from now on. */
    default void registerSeekCallback(SeekCallback callback) {
    }

    /** A consumer was given {@code partitions}; seeks through {@code callback} act before it reads them. */
    default void onPartitionsAssigned(Collection<TopicPartition> partitions, SeekCallback callback) {
    }

    @Override
    default void registerSeekCallback(ConsumerSeekCallback callback) {
        registerSeekCallback(new SpringSeekCallback(callback));
    }

    @Override
    default void onPartitionsAssigned(Map<TopicPartition, Long> assignments, ConsumerSeekCallback callback) {
        onPartitionsAssigned(assignments.keySet(), new SpringSeekCallback(callback));
    }
}
