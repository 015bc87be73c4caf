package dev.runnel.client.autoconfigure;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;

import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.metrics.KafkaMetric;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A transactional producer whose {@code commitTransaction} that timed out is tried again instead of
 * failing. A timed-out commit may already be decided at the coordinator (its EndTxn arrived and the
 * commit was prepared); reported as a failure, the listener container would roll back and deliver
 * the record again, and the transaction that did commit would leave its output twice. Kafka's
 * producer lets a timed-out commit be called again and then waits for the first one's outcome, so
 * this wrapper does, for up to {@code patience} (the producer's {@code transaction.timeout.ms}: by
 * then the coordinator has committed or aborted the transaction itself); any other error, or a
 * timeout after that, is the caller's.
 */
final class CommitRetryingProducer<K, V> implements Producer<K, V> {

    private static final Logger log = LoggerFactory.getLogger(CommitRetryingProducer.class);

    private final Producer<K, V> delegate;
    private final Duration patience;

    CommitRetryingProducer(Producer<K, V> delegate, Duration patience) {
        this.delegate = delegate;
        this.patience = patience;
    }

    @Override
    public void commitTransaction() {
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            try {
                delegate.commitTransaction();
                return;
            } catch (TimeoutException e) {
                if (System.nanoTime() - deadline >= 0) {
                    throw e;
                }
                log.warn("Committing the transaction timed out; waiting for its outcome again: {}", e.getMessage());
            }
        }
    }

    @Override
    public void initTransactions() {
        delegate.initTransactions();
    }

    @Override
    public void beginTransaction() {
        delegate.beginTransaction();
    }

    @Override
    public void sendOffsetsToTransaction(Map<TopicPartition, OffsetAndMetadata> offsets,
            ConsumerGroupMetadata groupMetadata) {
        delegate.sendOffsetsToTransaction(offsets, groupMetadata);
    }

    @Override
    public void abortTransaction() {
        delegate.abortTransaction();
    }

    @Override
    public void registerMetricForSubscription(KafkaMetric metric) {
        delegate.registerMetricForSubscription(metric);
    }

    @Override
    public void unregisterMetricFromSubscription(KafkaMetric metric) {
        delegate.unregisterMetricFromSubscription(metric);
    }

    @Override
    public Future<RecordMetadata> send(ProducerRecord<K, V> record) {
        return delegate.send(record);
    }

    @Override
    public Future<RecordMetadata> send(ProducerRecord<K, V> record, Callback callback) {
        return delegate.send(record, callback);
    }

    @Override
    public void flush() {
        delegate.flush();
    }

    @Override
    public List<PartitionInfo> partitionsFor(String topic) {
        return delegate.partitionsFor(topic);
    }

    @Override
    public Map<MetricName, ? extends Metric> metrics() {
        return delegate.metrics();
    }

    @Override
    public Uuid clientInstanceId(Duration timeout) {
        return delegate.clientInstanceId(timeout);
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public void close(Duration timeout) {
        delegate.close(timeout);
    }
}
