package dev.runnel.client.listener;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;

/** The {@link SeekCallback} of one listener consumer: each seek runs on the consumer's thread. */
final class ConsumerSeeks implements SeekCallback {

    private final Consumer<byte[], byte[]> consumer;
    private final ConsumerThreadQueue thread;

    ConsumerSeeks(Consumer<byte[], byte[]> consumer, ConsumerThreadQueue thread) {
        this.consumer = consumer;
        this.thread = thread;
    }

    @Override
    public CompletableFuture<Void> seek(String topic, int partition, long offset) {
        return thread.submit(() -> consumer.seek(new TopicPartition(topic, partition), offset));
    }

    @Override
    public CompletableFuture<Void> seekToBeginning(Collection<TopicPartition> partitions) {
        List<TopicPartition> copy = List.copyOf(partitions);
        return thread.submit(() -> consumer.seekToBeginning(copy));
    }

    @Override
    public CompletableFuture<Void> seekToEnd(Collection<TopicPartition> partitions) {
        List<TopicPartition> copy = List.copyOf(partitions);
        return thread.submit(() -> {
            consumer.seekToEnd(copy);
            copy.forEach(consumer::position); // the end is looked up now, not at some later poll
        });
    }

    @Override
    public CompletableFuture<Void> seekToTimestamp(Collection<TopicPartition> partitions, long timestamp) {
        List<TopicPartition> copy = List.copyOf(partitions);
        return thread.submit(() -> {
            Map<TopicPartition, Long> query = new HashMap<>();
            copy.forEach(tp -> query.put(tp, timestamp));
            Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query);
            List<TopicPartition> toEnd = new ArrayList<>();
            for (TopicPartition tp : copy) {
                OffsetAndTimestamp at = found.get(tp);
                if (at == null) {
                    toEnd.add(tp);
                } else {
                    consumer.seek(tp, at.offset());
                }
            }
            if (!toEnd.isEmpty()) {
                consumer.seekToEnd(toEnd);
                toEnd.forEach(consumer::position);
            }
        });
    }
}
