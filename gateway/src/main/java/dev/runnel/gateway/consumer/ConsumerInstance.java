package dev.runnel.gateway.consumer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import dev.runnel.gateway.proxy.EmbeddedFormat;

/**
 * One REST consumer: a {@link Consumer} of its own in a group, used by one HTTP request at a time
 * (every method is synchronized: a KafkaConsumer is not thread-safe), with the time of its last
 * use so an idle one can be closed.
 */
final class ConsumerInstance {

    private final String group;
    private final String name;
    private final EmbeddedFormat format;
    private final Consumer<byte[], byte[]> consumer;
    private volatile long lastUsedMillis;
    private boolean closed;

    ConsumerInstance(String group, String name, EmbeddedFormat format, Consumer<byte[], byte[]> consumer, long nowMillis) {
        this.group = group;
        this.name = name;
        this.format = format;
        this.consumer = consumer;
        this.lastUsedMillis = nowMillis;
    }

    String group() {
        return group;
    }

    String name() {
        return name;
    }

    EmbeddedFormat format() {
        return format;
    }

    long lastUsedMillis() {
        return lastUsedMillis;
    }

    void used(long nowMillis) {
        lastUsedMillis = nowMillis;
    }

    synchronized void subscribe(List<String> topics, Pattern pattern) {
        if (pattern != null) {
            consumer.subscribe(pattern);
        } else {
            consumer.subscribe(topics);
        }
    }

    synchronized void assign(Collection<TopicPartition> partitions) {
        consumer.assign(partitions);
    }

    synchronized void unsubscribe() {
        consumer.unsubscribe();
    }

    synchronized Set<String> subscription() {
        return consumer.subscription();
    }

    synchronized Set<TopicPartition> assignment() {
        return consumer.assignment();
    }

    /**
     * One poll, at most {@code maxBytes} of keys and values (at least one record): records beyond
     * are not lost, the consumer is sought back to the first of them in each partition.
     */
    synchronized List<ConsumerRecord<byte[], byte[]>> poll(Duration timeout, long maxBytes) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(timeout);
        List<ConsumerRecord<byte[], byte[]>> taken = new ArrayList<>();
        Map<TopicPartition, Long> firstLeft = new HashMap<>();
        long bytes = 0;
        for (ConsumerRecord<byte[], byte[]> r : records) {
            TopicPartition tp = new TopicPartition(r.topic(), r.partition());
            long size = (r.key() == null ? 0 : r.key().length) + (r.value() == null ? 0 : r.value().length);
            if (firstLeft.containsKey(tp) || (!taken.isEmpty() && bytes + size > maxBytes)) {
                firstLeft.putIfAbsent(tp, r.offset());
                continue;
            }
            taken.add(r);
            bytes += size;
        }
        firstLeft.forEach(consumer::seek);
        return taken;
    }

    /** Commits {@code offsets} (the next offset to read, per partition), or, if null, everything polled. */
    synchronized void commit(Map<TopicPartition, OffsetAndMetadata> offsets) {
        if (offsets == null) {
            consumer.commitSync();
        } else {
            consumer.commitSync(offsets);
        }
    }

    synchronized Map<TopicPartition, OffsetAndMetadata> committed(Set<TopicPartition> partitions) {
        return consumer.committed(partitions);
    }

    synchronized void seek(TopicPartition tp, long offset) {
        consumer.seek(tp, offset);
    }

    synchronized void seekToBeginning(Collection<TopicPartition> partitions) {
        consumer.seekToBeginning(partitions);
    }

    synchronized void seekToEnd(Collection<TopicPartition> partitions) {
        consumer.seekToEnd(partitions);
    }

    /** Closes the consumer (it leaves its group); further calls fail. */
    synchronized void close() {
        if (!closed) {
            closed = true;
            consumer.close(Duration.ofSeconds(5));
        }
    }
}
