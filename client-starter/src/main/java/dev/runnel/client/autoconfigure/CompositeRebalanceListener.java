package dev.runnel.client.autoconfigure;

import java.util.Collection;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.common.TopicPartition;

/** Every {@link ConsumerRebalanceListener} bean of the application, told in bean order. */
final class CompositeRebalanceListener implements ConsumerRebalanceListener {

    private final List<ConsumerRebalanceListener> listeners;

    CompositeRebalanceListener(List<ConsumerRebalanceListener> listeners) {
        this.listeners = List.copyOf(listeners);
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        listeners.forEach(l -> l.onPartitionsRevoked(partitions));
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        listeners.forEach(l -> l.onPartitionsAssigned(partitions));
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
        listeners.forEach(l -> l.onPartitionsLost(partitions));
    }
}
