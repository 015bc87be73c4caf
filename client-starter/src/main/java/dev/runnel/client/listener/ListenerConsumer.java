package dev.runnel.client.listener;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One consumer of a listener container and the thread that owns it: poll, call the listener,
 * commit, again. Offsets are committed only past records the listener returned from (or that
 * were recovered), so every record is processed at least once. Stopping finishes the current
 * record, commits, and closes the consumer, which leaves the group.
 *
 * <p>The consumer is touched only on its own thread: requests from other threads (pause, seek,
 * an acknowledgment of {@code MANUAL_IMMEDIATE}) wait in a queue the loop drains before each poll.
 */
final class ListenerConsumer implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(ListenerConsumer.class);
    private static final Duration SLEEP_SLICE = Duration.ofMillis(100);

    private final String name;
    private final LogListenerEndpoint endpoint;
    private final ContainerSettings settings;
    private final Consumer<byte[], byte[]> consumer;
    private final ListenerInvoker invoker;
    private final LogErrorHandler errorHandler;
    private final ListenerObserver observer;
    private final ConsumerRebalanceListener rebalanceListener;
    private final Sleeper sleeper;
    private final Queue<Request> requests = new ConcurrentLinkedQueue<>();
    private final Map<TopicPartition, OffsetAndMetadata> toCommit = new HashMap<>();
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile boolean running = true;
    private volatile boolean pauseRequested;
    private volatile Set<TopicPartition> assignment = Set.of();
    private volatile long lag;
    private volatile Thread thread;
    private volatile boolean paused;

    /** Something to do with the consumer on its thread, and who waits for it. */
    private record Request(Runnable action, CompletableFuture<Void> done) {

        void run() {
            try {
                action.run();
                done.complete(null);
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
                throw e;
            }
        }
    }

    /** Waits; the real one is {@code Thread.sleep}, a test's may only record the wait. */
    @FunctionalInterface
    interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    ListenerConsumer(String name, LogListenerEndpoint endpoint, ContainerSettings settings,
            Consumer<byte[], byte[]> consumer, ListenerInvoker invoker, LogErrorHandler errorHandler,
            ListenerObserver observer, ConsumerRebalanceListener rebalanceListener, Sleeper sleeper) {
        this.name = name;
        this.endpoint = endpoint;
        this.settings = settings;
        this.consumer = consumer;
        this.invoker = invoker;
        this.errorHandler = errorHandler;
        this.observer = observer;
        this.rebalanceListener = rebalanceListener;
        this.sleeper = sleeper;
    }

    // ---------------------------------------------------------------- control, from any thread

    /** Asks the loop to stop after the current record; see {@link #awaitStop(Duration)}. */
    void stop() {
        running = false;
    }

    /** Waits until the consumer is closed. */
    boolean awaitStop(Duration timeout) throws InterruptedException {
        return finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    boolean isRunning() {
        return finished.getCount() > 0;
    }

    void pause() {
        pauseRequested = true;
    }

    void resume() {
        pauseRequested = false;
    }

    boolean isPauseRequested() {
        return pauseRequested;
    }

    /** Whether the pause is in effect: the consumer reads nothing until resumed. */
    boolean isPaused() {
        return paused;
    }

    Set<TopicPartition> assignment() {
        return assignment;
    }

    /** Records behind the end of its partitions as of its last poll. */
    long lag() {
        return lag;
    }

    String name() {
        return name;
    }

    /**
     * Runs {@code action} with the consumer on its own thread: now if this is that thread, else
     * before the next poll. The future completes when it has run.
     */
    private CompletableFuture<Void> onConsumerThread(Runnable action) {
        Request request = new Request(action, new CompletableFuture<>());
        if (Thread.currentThread() == thread) {
            request.run();
        } else {
            requests.add(request);
            if (finished.getCount() == 0) {
                failPendingRequests(); // it stopped before it could take this one
            }
        }
        return request.done();
    }

    private void failPendingRequests() {
        Request request;
        while ((request = requests.poll()) != null) {
            request.done().completeExceptionally(new IllegalStateException("listener consumer " + name + " is stopped"));
        }
    }

    final SeekCallback seeks = new SeekCallback() {
        @Override
        public CompletableFuture<Void> seek(String topic, int partition, long offset) {
            return onConsumerThread(() -> consumer.seek(new TopicPartition(topic, partition), offset));
        }

        @Override
        public CompletableFuture<Void> seekToBeginning(Collection<TopicPartition> partitions) {
            List<TopicPartition> copy = List.copyOf(partitions);
            return onConsumerThread(() -> consumer.seekToBeginning(copy));
        }

        @Override
        public CompletableFuture<Void> seekToEnd(Collection<TopicPartition> partitions) {
            List<TopicPartition> copy = List.copyOf(partitions);
            return onConsumerThread(() -> {
                consumer.seekToEnd(copy);
                copy.forEach(consumer::position); // the end is looked up now, not at some later poll
            });
        }

        @Override
        public CompletableFuture<Void> seekToTimestamp(Collection<TopicPartition> partitions, long timestamp) {
            List<TopicPartition> copy = List.copyOf(partitions);
            return onConsumerThread(() -> {
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
    };

    // ---------------------------------------------------------------- the loop

    @Override
    public void run() {
        thread = Thread.currentThread();
        try {
            subscribe();
            if (endpoint.bean() instanceof LogSeekAware aware) {
                aware.registerSeekCallback(seeks);
            }
            while (running) {
                drainRequests();
                applyPause();
                ConsumerRecords<byte[], byte[]> records = consumer.poll(settings.pollTimeout());
                measureLag();
                if (!records.isEmpty()) {
                    process(records);
                }
                commit();
            }
            commit();
        } catch (RuntimeException | Error e) {
            log.error("Listener consumer {} of {} stopped on an unexpected error", name, invoker.where(), e);
        } finally {
            try {
                consumer.close(settings.shutdownTimeout());
            } catch (RuntimeException e) {
                log.warn("Closing listener consumer {} failed: {}", name, e.toString());
            }
            assignment = Set.of();
            finished.countDown();
            failPendingRequests();
        }
    }

    private void subscribe() {
        ConsumerRebalanceListener listener = new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                // What was processed is committed before another consumer takes the partitions.
                commit();
                assignment = Set.copyOf(consumer.assignment());
                if (rebalanceListener != null) {
                    rebalanceListener.onPartitionsRevoked(partitions);
                }
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                assignment = Set.copyOf(consumer.assignment());
                if (paused) {
                    consumer.pause(partitions);
                }
                log.info("Listener consumer {} has partitions {}", name, assignment);
                if (rebalanceListener != null) {
                    rebalanceListener.onPartitionsAssigned(partitions);
                }
                if (endpoint.bean() instanceof LogSeekAware aware) {
                    aware.onPartitionsAssigned(partitions, seeks);
                }
            }

            @Override
            public void onPartitionsLost(Collection<TopicPartition> partitions) {
                partitions.forEach(toCommit::remove);
                assignment = Set.copyOf(consumer.assignment());
                if (rebalanceListener != null) {
                    rebalanceListener.onPartitionsLost(partitions);
                }
            }
        };
        if (endpoint.topicPattern() != null) {
            consumer.subscribe(endpoint.topicPattern(), listener);
        } else {
            consumer.subscribe(endpoint.topics(), listener);
        }
    }

    private void drainRequests() {
        Request request;
        while ((request = requests.poll()) != null) {
            try {
                request.run();
            } catch (RuntimeException e) {
                log.warn("Listener consumer {}: a seek or acknowledgment failed: {}", name, e.toString());
            }
        }
    }

    private void applyPause() {
        if (pauseRequested && !paused) {
            consumer.pause(consumer.assignment());
            paused = true;
            log.info("Listener consumer {} paused", name);
        } else if (!pauseRequested && paused) {
            consumer.resume(consumer.paused());
            paused = false;
            log.info("Listener consumer {} resumed", name);
        }
    }

    private void measureLag() {
        long total = 0;
        for (TopicPartition tp : consumer.assignment()) {
            OptionalLong partitionLag = consumer.currentLag(tp);
            if (partitionLag.isPresent()) {
                total += partitionLag.getAsLong();
            }
        }
        lag = total;
    }

    private void process(ConsumerRecords<byte[], byte[]> records) {
        if (endpoint.batch()) {
            List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
            records.forEach(all::add);
            processBatch(all);
            return;
        }
        for (TopicPartition tp : records.partitions()) {
            for (ConsumerRecord<byte[], byte[]> record : records.records(tp)) {
                if (!running) {
                    return; // not committed: the next owner of the partition gets it
                }
                if (!processRecord(record)) {
                    break; // sought back to it: it comes again after the next poll
                }
            }
        }
    }

    /** Whether the record is done (processed or recovered); if not, the consumer was sought back to it. */
    private boolean processRecord(ConsumerRecord<byte[], byte[]> record) {
        for (int attempt = 1; ; attempt++) {
            long started = System.nanoTime();
            try {
                invoker.invoke(record, acknowledgment(List.of(record)), consumer);
                observer.invoked(endpoint.id(), System.nanoTime() - started, null);
                done(List.of(record), settings.ackMode() == AckMode.RECORD || settings.ackMode() == AckMode.BATCH);
                if (settings.ackMode() == AckMode.RECORD) {
                    commit();
                }
                return true;
            } catch (ConversionFailedException e) {
                observer.invoked(endpoint.id(), System.nanoTime() - started, e);
                return recover(List.of(record), e);
            } catch (RuntimeException e) {
                observer.invoked(endpoint.id(), System.nanoTime() - started, e);
                Duration wait = errorHandler.retryAfter(List.of(record), e, attempt);
                if (wait == null) {
                    return recover(List.of(record), e);
                }
                if (!sleep(wait)) {
                    seekBack(List.of(record));
                    return false;
                }
            }
        }
    }

    private void processBatch(List<ConsumerRecord<byte[], byte[]>> all) {
        List<ConsumerRecord<byte[], byte[]>> remaining = new ArrayList<>(all);
        int attempt = 0;
        while (!remaining.isEmpty()) {
            attempt++;
            long started = System.nanoTime();
            try {
                invoker.invokeBatch(remaining, acknowledgment(remaining), consumer);
                observer.invoked(endpoint.id(), System.nanoTime() - started, null);
                done(remaining, settings.ackMode() != AckMode.MANUAL && settings.ackMode() != AckMode.MANUAL_IMMEDIATE);
                return;
            } catch (ConversionFailedException e) {
                // The poison record alone is given up; the others are delivered again without it.
                observer.invoked(endpoint.id(), System.nanoTime() - started, e);
                if (!recover(List.of(e.record()), e)) {
                    seekBack(remaining);
                    return;
                }
                remaining.remove(e.record());
                attempt = 0;
            } catch (RuntimeException e) {
                observer.invoked(endpoint.id(), System.nanoTime() - started, e);
                Duration wait = errorHandler.retryAfter(remaining, e, attempt);
                if (wait == null) {
                    if (!recover(remaining, e)) {
                        seekBack(remaining);
                    }
                    return;
                }
                if (!sleep(wait)) {
                    seekBack(remaining);
                    return;
                }
            }
        }
    }

    /** Hands records to the error handler's recovery; if that fails they are sought back to and delivered again. */
    private boolean recover(List<ConsumerRecord<byte[], byte[]>> records, Exception error) {
        try {
            errorHandler.recover(records, error);
            done(records, true);
            return true;
        } catch (RuntimeException e) {
            log.error("Listener consumer {} cannot recover {}; it is delivered again", name,
                    DefaultLogErrorHandler.describe(records), e);
            seekBack(records);
            return false;
        }
    }

    /** Marks records processed: with {@code commit}, their offsets are committed at the next commit. */
    private void done(List<ConsumerRecord<byte[], byte[]>> records, boolean commit) {
        if (commit) {
            for (ConsumerRecord<byte[], byte[]> r : records) {
                markForCommit(new TopicPartition(r.topic(), r.partition()), r.offset() + 1);
            }
        }
    }

    private void markForCommit(TopicPartition tp, long next) {
        OffsetAndMetadata current = toCommit.get(tp);
        if (current == null || current.offset() < next) {
            toCommit.put(tp, new OffsetAndMetadata(next));
        }
    }

    private Acknowledgment acknowledgment(List<ConsumerRecord<byte[], byte[]>> records) {
        if (settings.ackMode() != AckMode.MANUAL && settings.ackMode() != AckMode.MANUAL_IMMEDIATE) {
            return () -> {
                throw new IllegalStateException("acknowledge() needs ack mode MANUAL or MANUAL_IMMEDIATE, not "
                        + settings.ackMode());
            };
        }
        Map<TopicPartition, Long> next = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            next.merge(new TopicPartition(r.topic(), r.partition()), r.offset() + 1, Math::max);
        }
        boolean immediate = settings.ackMode() == AckMode.MANUAL_IMMEDIATE;
        return () -> onConsumerThread(() -> {
            next.forEach(this::markForCommit);
            if (immediate) {
                commit();
            }
        });
    }

    /** Seeks each partition of {@code records} back to its first one, so the next poll delivers them again. */
    private void seekBack(List<ConsumerRecord<byte[], byte[]>> records) {
        Map<TopicPartition, Long> first = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            first.merge(new TopicPartition(r.topic(), r.partition()), r.offset(), Math::min);
        }
        first.forEach((tp, offset) -> {
            if (consumer.assignment().contains(tp)) {
                consumer.seek(tp, offset);
            }
        });
    }

    private void commit() {
        if (toCommit.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>(toCommit);
        toCommit.clear();
        try {
            consumer.commitSync(offsets);
        } catch (CommitFailedException | RebalanceInProgressException e) {
            // The partitions moved on: their next owner processes these records again (at least once).
            log.info("Listener consumer {} could not commit {} after a rebalance: {}", name, offsets.keySet(),
                    e.toString());
        } catch (KafkaException e) {
            log.warn("Listener consumer {} could not commit {}: {}", name, offsets, e.toString());
        }
    }

    /** Waits for a retry, in slices so a stop is noticed; false if the container stopped meanwhile. */
    private boolean sleep(Duration wait) {
        Duration left = wait;
        try {
            while (running && !left.isZero() && !left.isNegative()) {
                Duration slice = left.compareTo(SLEEP_SLICE) < 0 ? left : SLEEP_SLICE;
                sleeper.sleep(slice);
                left = left.minus(slice);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        return running;
    }
}
