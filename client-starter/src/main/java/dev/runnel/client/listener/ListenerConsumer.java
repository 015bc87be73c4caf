package dev.runnel.client.listener;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One consumer of a listener container and the thread that owns it: poll, call the listener,
 * commit, again. Offsets are committed only past records the listener returned from (or that
 * were recovered), so every record is processed at least once. Stopping finishes the current
 * record, commits, and closes the consumer, which leaves the group.
 *
 * <p>A failed record is not retried by sleeping on this thread: the consumer seeks back to it and
 * pauses its partition until the error handler's back-off is over, and goes on polling meanwhile,
 * so other partitions keep flowing and {@code max.poll.interval.ms} is never at risk.
 *
 * <p>The consumer is touched only on its own thread: requests from other threads (seeks, an
 * acknowledgment of {@code MANUAL_IMMEDIATE}) wait in a {@link ConsumerThreadQueue} the loop
 * drains before each poll; pause and resume are flags it applies there.
 */
final class ListenerConsumer implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(ListenerConsumer.class);

    private final String name;
    private final LogListenerEndpoint endpoint;
    private final ContainerSettings settings;
    private final Consumer<byte[], byte[]> consumer;
    private final ListenerInvoker invoker;
    private final LogErrorHandler errorHandler;
    private final ListenerObserver observer;
    private final ConsumerRebalanceListener rebalanceListener;
    private final LongSupplier nanoClock;
    private final ConsumerThreadQueue requests;
    private final Map<TopicPartition, OffsetAndMetadata> toCommit = new HashMap<>();
    /** Partitions paused until their back-off ends, with the failing record's delivery count. */
    private final RetryBackOffs retries = new RetryBackOffs();
    private final CountDownLatch finished = new CountDownLatch(1);
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private volatile boolean running = true;
    private volatile boolean pauseRequested;
    private volatile boolean paused;
    private volatile Set<TopicPartition> assignment = Set.of();
    private volatile long lag;
    /** A batch listener's failed deliveries of the current batch, and its poison records already recovered. */
    private int batchAttempts;
    private final Set<String> recoveredInBatch = new HashSet<>();

    ListenerConsumer(String name, LogListenerEndpoint endpoint, ContainerSettings settings,
            Consumer<byte[], byte[]> consumer, ListenerInvoker invoker, LogErrorHandler errorHandler,
            ListenerObserver observer, ConsumerRebalanceListener rebalanceListener, LongSupplier nanoClock) {
        this.name = name;
        this.endpoint = endpoint;
        this.settings = settings;
        this.consumer = consumer;
        this.invoker = invoker;
        this.errorHandler = errorHandler;
        this.observer = observer;
        this.rebalanceListener = rebalanceListener;
        this.nanoClock = nanoClock;
        this.requests = new ConsumerThreadQueue(name, () -> finished.getCount() == 0);
        this.seeks = new ConsumerSeeks(consumer, requests);
    }

    // ---------------------------------------------------------------- control, from any thread

    /** Asks the loop to stop after the current record; see {@link #awaitStop(Duration)}. */
    void stop() {
        running = false;
        stopRequested.countDown();
    }

    /** Waits until the consumer is closed. */
    boolean awaitStop(Duration timeout) throws InterruptedException {
        return finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    boolean isRunning() {
        return finished.getCount() > 0;
    }

    /** Closes a consumer whose thread never started. */
    void closeUnstarted() {
        try {
            consumer.close(Duration.ZERO);
        } finally {
            finished.countDown();
        }
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

    /** Seeks in this consumer's partitions, from any thread. */
    final SeekCallback seeks;

    // ---------------------------------------------------------------- the loop

    @Override
    public void run() {
        requests.ownedByCurrentThread();
        try {
            subscribe();
            if (endpoint.bean() instanceof LogSeekAware aware) {
                guarded("registerSeekCallback", () -> aware.registerSeekCallback(seeks));
            }
            while (running) {
                try {
                    pollOnce();
                } catch (AuthenticationException | FencedInstanceIdException | UnsupportedVersionException
                        | InterruptException e) {
                    throw e;
                } catch (KafkaException e) {
                    // Such as an authorization not yet propagated: the consumer stays, and tries again.
                    log.warn("Listener consumer {} of {}: {}; polling again", name, invoker.where(), e.toString());
                    idle(settings.pollTimeout());
                }
            }
            commit();
        } catch (RuntimeException | Error e) {
            log.error("Listener consumer {} of {} stopped on an error it cannot go on from", name, invoker.where(), e);
        } finally {
            try {
                consumer.close(settings.shutdownTimeout());
            } catch (RuntimeException e) {
                log.warn("Closing listener consumer {} failed: {}", name, e.toString());
            }
            assignment = Set.of();
            finished.countDown();
            requests.failAll();
        }
    }

    private void pollOnce() {
        requests.drain();
        resumeAfterBackOff();
        applyPause();
        ConsumerRecords<byte[], byte[]> records = consumer.poll(settings.pollTimeout());
        measureLag();
        if (!records.isEmpty()) {
            process(records);
        }
        commit();
    }

    private void subscribe() {
        ConsumerRebalanceListener listener = new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                // What was processed is committed before another consumer takes the partitions.
                commit();
                retries.forget(partitions);
                assignment = Set.copyOf(consumer.assignment());
                if (rebalanceListener != null) {
                    guarded("onPartitionsRevoked", () -> rebalanceListener.onPartitionsRevoked(partitions));
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
                    guarded("onPartitionsAssigned", () -> rebalanceListener.onPartitionsAssigned(partitions));
                }
                if (endpoint.bean() instanceof LogSeekAware aware) {
                    guarded("onPartitionsAssigned", () -> aware.onPartitionsAssigned(partitions, seeks));
                }
            }

            @Override
            public void onPartitionsLost(Collection<TopicPartition> partitions) {
                partitions.forEach(toCommit::remove);
                retries.forget(partitions);
                assignment = Set.copyOf(consumer.assignment());
                if (rebalanceListener != null) {
                    guarded("onPartitionsLost", () -> rebalanceListener.onPartitionsLost(partitions));
                }
            }
        };
        if (endpoint.topicPattern() != null) {
            consumer.subscribe(endpoint.topicPattern(), listener);
        } else {
            consumer.subscribe(endpoint.topics(), listener);
        }
    }

    /** Runs the application's callback; what it throws is logged, and does not end the consumer. */
    private void guarded(String callback, Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            log.error("Listener consumer {}: {} threw", name, callback, e);
        }
    }

    private void applyPause() {
        if (pauseRequested && !paused) {
            consumer.pause(consumer.assignment());
            paused = true;
            log.info("Listener consumer {} paused", name);
        } else if (!pauseRequested && paused) {
            List<TopicPartition> resume = new ArrayList<>(consumer.paused());
            resume.removeIf(retries::isWaiting); // still backing off
            consumer.resume(resume);
            paused = false;
            log.info("Listener consumer {} resumed", name);
        }
    }

    /** Resumes the partitions whose back-off is over (unless the whole consumer is paused). */
    private void resumeAfterBackOff() {
        if (retries.isEmpty()) {
            return;
        }
        List<TopicPartition> due = retries.takeDue(nanoClock.getAsLong()); // due: delivered again
        due.retainAll(consumer.assignment());
        if (!paused && !due.isEmpty()) {
            consumer.resume(due);
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
                    break; // sought back to it: it comes again after a later poll
                }
            }
        }
    }

    /** Whether the record is done (processed or recovered); if not, the consumer was sought back to it. */
    private boolean processRecord(ConsumerRecord<byte[], byte[]> record) {
        TopicPartition tp = new TopicPartition(record.topic(), record.partition());
        int attempt = retries.nextAttempt(tp, record.offset());
        long started = nanoClock.getAsLong();
        try {
            invoker.invoke(record, acknowledgment(List.of(record)), consumer);
        } catch (ConversionFailedException e) {
            observe(started, e);
            retries.forget(tp);
            return recoverOrBackOff(List.of(record), e);
        } catch (RuntimeException e) {
            observe(started, e);
            Duration wait = errorHandler.retryAfter(List.of(record), e, attempt);
            if (wait == null) {
                retries.forget(tp);
                return recoverOrBackOff(List.of(record), e);
            }
            retries.failed(tp, record.offset(), attempt);
            backOff(List.of(record), wait);
            return false;
        }
        observe(started, null);
        retries.forget(tp);
        if (settings.ackMode() == AckMode.RECORD || settings.ackMode() == AckMode.BATCH) {
            markDone(List.of(record));
        }
        if (settings.ackMode() == AckMode.RECORD) {
            commit();
        }
        return true;
    }

    /**
     * A poll's records in one call. A poison record is recovered on its own and the call is made
     * again without it; but nothing of the poll is committed until the call succeeds or the
     * batch is recovered, since until then the records before the poison one are not done.
     */
    private void processBatch(List<ConsumerRecord<byte[], byte[]>> all) {
        List<ConsumerRecord<byte[], byte[]>> remaining = new ArrayList<>(all);
        remaining.removeIf(r -> recoveredInBatch.contains(key(r)));
        while (!remaining.isEmpty()) {
            long started = nanoClock.getAsLong();
            try {
                invoker.invokeBatch(remaining, acknowledgment(remaining), consumer);
            } catch (ConversionFailedException e) {
                observe(started, e);
                if (!recover(List.of(e.record()), e)) {
                    backOff(all, settings.pollTimeout()); // the whole poll comes again
                    return;
                }
                recoveredInBatch.add(key(e.record()));
                remaining.remove(e.record());
                continue;
            } catch (RuntimeException e) {
                observe(started, e);
                batchAttempts++;
                Duration wait = errorHandler.retryAfter(remaining, e, batchAttempts);
                if (wait == null) {
                    batchAttempts = 0;
                    if (recover(remaining, e)) {
                        recoveredInBatch.clear();
                        markDone(all);
                    } else {
                        backOff(all, settings.pollTimeout()); // the whole poll comes again
                    }
                    return;
                }
                for (ConsumerRecord<byte[], byte[]> r : all) {
                    retries.failed(new TopicPartition(r.topic(), r.partition()), -1, batchAttempts);
                }
                backOff(all, wait);
                return;
            }
            observe(started, null);
            break;
        }
        batchAttempts = 0;
        recoveredInBatch.clear();
        for (ConsumerRecord<byte[], byte[]> r : all) {
            retries.forget(new TopicPartition(r.topic(), r.partition()));
        }
        if (settings.ackMode() != AckMode.MANUAL && settings.ackMode() != AckMode.MANUAL_IMMEDIATE) {
            markDone(all);
        }
    }

    private static String key(ConsumerRecord<?, ?> r) {
        return r.topic() + "-" + r.partition() + "@" + r.offset();
    }

    /** Hands records to the error handler's recovery; false (logged) if that failed. */
    private boolean recover(List<ConsumerRecord<byte[], byte[]>> records, Exception error) {
        try {
            errorHandler.recover(records, error);
            return true;
        } catch (RuntimeException e) {
            log.error("Listener consumer {} cannot recover {}; it is delivered again", name,
                    DefaultLogErrorHandler.describe(records), e);
            return false;
        }
    }

    /** A record's recovery: done if it worked, else sought back to and delivered again after a pause. */
    private boolean recoverOrBackOff(List<ConsumerRecord<byte[], byte[]>> records, Exception error) {
        if (recover(records, error)) {
            markDone(records);
            return true;
        }
        backOff(records, settings.pollTimeout());
        return false;
    }

    /** Seeks back to the records and pauses their partitions for {@code wait}. */
    private void backOff(List<ConsumerRecord<byte[], byte[]>> records, Duration wait) {
        long resumeAt = nanoClock.getAsLong() + wait.toNanos();
        Map<TopicPartition, Long> first = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            first.merge(new TopicPartition(r.topic(), r.partition()), r.offset(), Math::min);
        }
        List<TopicPartition> pause = new ArrayList<>();
        first.forEach((tp, offset) -> {
            if (consumer.assignment().contains(tp)) {
                consumer.seek(tp, offset);
                pause.add(tp);
                retries.waitUntil(tp, offset, resumeAt);
            }
        });
        consumer.pause(pause);
    }

    /** Marks records processed: their offsets are committed at the next commit. */
    private void markDone(List<ConsumerRecord<byte[], byte[]>> records) {
        for (ConsumerRecord<byte[], byte[]> r : records) {
            markForCommit(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
        }
    }

    private void markForCommit(TopicPartition tp, OffsetAndMetadata next) {
        OffsetAndMetadata current = toCommit.get(tp);
        if (current == null || current.offset() < next.offset()) {
            toCommit.put(tp, next);
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
        return () -> requests.submit(() -> {
            next.forEach((tp, offset) -> markForCommit(tp, new OffsetAndMetadata(offset)));
            if (immediate) {
                commit();
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
        } catch (RebalanceInProgressException | RetriableException e) {
            // Kept: committed at the next chance (the next loop, or before the partitions are revoked).
            offsets.forEach(this::markForCommit);
            log.info("Listener consumer {} will commit {} again: {}", name, offsets.keySet(), e.toString());
        } catch (CommitFailedException e) {
            // The partitions moved on: their next owner processes these records again (at least once).
            log.info("Listener consumer {} could not commit {} after a rebalance: {}", name, offsets.keySet(),
                    e.toString());
        } catch (KafkaException e) {
            log.warn("Listener consumer {} could not commit {}: {}", name, offsets, e.toString());
        }
    }

    /** Tells the observer about a call; what the observer throws is logged, never the listener's failure. */
    private void observe(long startedNanos, Throwable error) {
        try {
            observer.invoked(endpoint.id(), nanoClock.getAsLong() - startedNanos, error);
        } catch (RuntimeException e) {
            log.warn("Listener consumer {}: the listener observer threw {}", name, e.toString());
        }
    }

    /** Waits after an error the consumer goes on from, so it does not spin; a stop ends the wait. */
    private void idle(Duration wait) {
        try {
            stopRequested.await(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }
}
