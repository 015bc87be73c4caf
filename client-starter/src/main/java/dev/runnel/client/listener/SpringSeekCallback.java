package dev.runnel.client.listener;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.TopicPartition;
import org.springframework.kafka.listener.ConsumerSeekAware.ConsumerSeekCallback;

/**
 * The starter's {@link SeekCallback} on Spring Kafka's {@link ConsumerSeekCallback} of one consumer.
 * Spring Kafka queues a seek asked from another thread until the consumer's next poll; each seek
 * here is followed by a no-op seek whose offset function runs on the consumer's thread right after
 * it, and completes the future: so the future says the seek is done (after a seek to the end, with
 * the end already looked up). Two views of one Spring callback are equal.
 */
record SpringSeekCallback(ConsumerSeekCallback callback) implements SeekCallback {

    @Override
    public CompletableFuture<Void> seek(String topic, int partition, long offset) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        callback.seek(topic, partition, current -> {
            done.complete(null);
            return offset;
        });
        return done;
    }

    @Override
    public CompletableFuture<Void> seekToBeginning(Collection<TopicPartition> partitions) {
        List<TopicPartition> copy = List.copyOf(partitions);
        callback.seekToBeginning(copy);
        return applied(copy);
    }

    @Override
    public CompletableFuture<Void> seekToEnd(Collection<TopicPartition> partitions) {
        List<TopicPartition> copy = List.copyOf(partitions);
        callback.seekToEnd(copy);
        return applied(copy);
    }

    @Override
    public CompletableFuture<Void> seekToTimestamp(Collection<TopicPartition> partitions, long timestamp) {
        List<TopicPartition> copy = List.copyOf(partitions);
        callback.seekToTimestamp(copy, timestamp);
        return applied(copy);
    }

    /** Completes once the consumer has reached, for every partition, the seeks queued before this. */
    private CompletableFuture<Void> applied(List<TopicPartition> partitions) {
        List<CompletableFuture<Void>> each = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            // The consumer's position, asked on its thread: this also resolves a lazy seek to the end.
            callback.seek(tp.topic(), tp.partition(), current -> {
                done.complete(null);
                return current;
            });
            each.add(done);
        }
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new));
    }
}
