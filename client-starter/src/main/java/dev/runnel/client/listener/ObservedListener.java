package dev.runnel.client.listener;

import java.util.List;
import java.util.OptionalLong;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.listener.AcknowledgingConsumerAwareMessageListener;
import org.springframework.kafka.listener.BatchAcknowledgingConsumerAwareMessageListener;
import org.springframework.kafka.listener.BatchMessageListener;
import org.springframework.kafka.listener.ConsumerSeekAware;
import org.springframework.kafka.listener.ListenerExecutionFailedException;
import org.springframework.kafka.listener.MessageListener;
import org.springframework.kafka.listener.adapter.AbstractDelegatingMessageListenerAdapter;
import org.springframework.kafka.support.Acknowledgment;

/**
 * Wraps the Spring Kafka listener of a {@link LogListener} (as Spring Kafka's own filtering
 * adapters do) for what the starter adds: each call is timed for the {@link ListenerObserver},
 * and after it, on the consumer's thread, the consumer's lag is read into the {@link
 * LogListenerContainer}. Seek callbacks the container hands out are kept there too.
 */
abstract class ObservedListener<T> extends AbstractDelegatingMessageListenerAdapter<T> {

    private static final Logger log = LoggerFactory.getLogger(ObservedListener.class);

    private final LogListenerContainer handle;
    private final ListenerObserver observer;

    ObservedListener(T delegate, LogListenerContainer handle, ListenerObserver observer) {
        super(delegate);
        this.handle = handle;
        this.observer = observer;
    }

    @Override
    public void registerSeekCallback(ConsumerSeekCallback callback) {
        handle.seekCallbackRegistered(new SpringSeekCallback(callback));
        super.registerSeekCallback(callback);
    }

    @Override
    public void unregisterSeekCallback() {
        handle.seekCallbackUnregistered();
        if (delegate instanceof ConsumerSeekAware aware) {
            aware.unregisterSeekCallback();
        }
    }

    /** Runs the call, tells the observer, measures the lag; what the call throws goes on to the error handler. */
    final void observe(Consumer<?, ?> consumer, Runnable call) {
        long started = System.nanoTime();
        Throwable error = null;
        try {
            call.run();
        } catch (RuntimeException | Error e) {
            error = e;
            throw e;
        } finally {
            tell(System.nanoTime() - started, error);
            measureLag(consumer);
        }
    }

    private void tell(long nanos, Throwable error) {
        // What the listener threw, not the wrapper it comes in.
        Throwable cause = error instanceof ListenerExecutionFailedException && error.getCause() != null
                ? error.getCause() : error;
        try {
            observer.invoked(handle.id(), nanos, cause);
        } catch (RuntimeException e) {
            log.warn("Listener {}: the listener observer threw {}", handle.id(), e.toString());
        }
    }

    private void measureLag(Consumer<?, ?> consumer) {
        if (consumer == null) {
            return;
        }
        long total = 0;
        for (TopicPartition tp : consumer.assignment()) {
            OptionalLong lag = consumer.currentLag(tp);
            if (lag.isPresent()) {
                total += lag.getAsLong();
            }
        }
        handle.lagMeasured(Thread.currentThread().getName(), total);
    }

    /** A record listener's wrapper. */
    static final class Record extends ObservedListener<MessageListener<byte[], byte[]>>
            implements AcknowledgingConsumerAwareMessageListener<byte[], byte[]> {

        Record(MessageListener<byte[], byte[]> delegate, LogListenerContainer handle, ListenerObserver observer) {
            super(delegate, handle, observer);
        }

        @Override
        public void onMessage(ConsumerRecord<byte[], byte[]> record, Acknowledgment acknowledgment,
                Consumer<?, ?> consumer) {
            observe(consumer, () -> delegate.onMessage(record, acknowledgment, consumer));
        }
    }

    /** A batch listener's wrapper. */
    static final class Batch extends ObservedListener<BatchMessageListener<byte[], byte[]>>
            implements BatchAcknowledgingConsumerAwareMessageListener<byte[], byte[]> {

        Batch(BatchMessageListener<byte[], byte[]> delegate, LogListenerContainer handle, ListenerObserver observer) {
            super(delegate, handle, observer);
        }

        @Override
        public void onMessage(List<ConsumerRecord<byte[], byte[]>> records, Acknowledgment acknowledgment,
                Consumer<?, ?> consumer) {
            observe(consumer, () -> delegate.onMessage(records, acknowledgment, consumer));
        }

        @Override
        public boolean wantsPollResult() {
            return delegate.wantsPollResult();
        }

        @Override
        public void onMessage(ConsumerRecords<byte[], byte[]> records, Acknowledgment acknowledgment,
                Consumer<byte[], byte[]> consumer) {
            observe(consumer, () -> delegate.onMessage(records, acknowledgment, consumer));
        }
    }
}
