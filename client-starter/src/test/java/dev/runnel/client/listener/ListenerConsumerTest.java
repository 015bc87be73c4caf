package dev.runnel.client.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.runnel.client.support.PayloadCodec;
import tools.jackson.databind.json.JsonMapper;

/**
 * The poll loop on a {@link MockConsumer} and a fake clock: a failing record's partition waits,
 * paused, until the test moves the clock past the back-off. Retries, recovery, what is committed,
 * batches with a poison record, manual acknowledgment, pause, seeks and stopping.
 */
class ListenerConsumerTest {

    static final TopicPartition TP = new TopicPartition("orders", 0);
    static final Duration DEADLINE = Duration.ofSeconds(10);

    /**
     * A MockConsumer that acts more like a log: a seek delivers the records from there again (the
     * mock forgets records once polled), and commits stay readable after close.
     */
    static final class LogConsumer extends MockConsumer<byte[], byte[]> {
        final List<ConsumerRecord<byte[], byte[]>> log = new CopyOnWriteArrayList<>();
        final Map<TopicPartition, OffsetAndMetadata> commits = new ConcurrentHashMap<>();

        LogConsumer() {
            super("earliest");
        }

        void append(ConsumerRecord<byte[], byte[]> record) {
            log.add(record);
            addRecord(record);
        }

        @Override
        public synchronized void seek(TopicPartition partition, long offset) {
            super.seek(partition, offset);
            log.stream().filter(r -> r.offset() >= offset).forEach(this::addRecord);
        }

        @Override
        public synchronized void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
            super.commitSync(offsets);
            commits.putAll(offsets);
        }
    }

    static class Listener {
        final List<String> processed = new CopyOnWriteArrayList<>();
        final AtomicInteger badCalls = new AtomicInteger();
        final AtomicBoolean batchFails = new AtomicBoolean();

        void on(String value) {
            if (value.startsWith("bad")) {
                badCalls.incrementAndGet();
                throw new IllegalStateException("cannot take " + value);
            }
            processed.add(value);
        }

        void batch(List<Integer> values) {
            if (batchFails.get()) {
                badCalls.incrementAndGet();
                throw new IllegalStateException("down");
            }
            values.forEach(v -> processed.add(Integer.toString(v)));
        }

        void manual(String value, Acknowledgment ack) {
            processed.add(value);
            if (!value.startsWith("keep")) {
                ack.acknowledge();
            }
        }
    }

    final LogConsumer consumer = new LogConsumer();
    final Listener listener = new Listener();
    final AtomicLong nanos = new AtomicLong();
    final List<Duration> waits = new CopyOnWriteArrayList<>();
    final List<String> recovered = new CopyOnWriteArrayList<>();
    final AtomicInteger recoveryFailures = new AtomicInteger();
    ListenerConsumer running;

    ListenerConsumer start(String method, boolean batch, AckMode ackMode, String... values) throws Exception {
        Method m = java.util.Arrays.stream(Listener.class.getDeclaredMethods()).filter(x -> x.getName().equals(method))
                .findFirst().orElseThrow();
        LogListenerEndpoint endpoint = new LogListenerEndpoint("orders", List.of("orders"), null, "g", 1, true, Map.of(),
                batch, listener, m, null);
        DefaultLogErrorHandler backOff = new DefaultLogErrorHandler(
                new BackOff(3, Duration.ofMillis(50), 2, Duration.ofSeconds(1)), (records, error) -> {
                    if (recoveryFailures.getAndDecrement() > 0) {
                        throw new IllegalStateException("the dead-letter topic is down");
                    }
                    records.forEach(r -> recovered.add(new String(r.value(), StandardCharsets.UTF_8)));
                });
        LogErrorHandler handler = new LogErrorHandler() {
            @Override
            public Duration retryAfter(List<ConsumerRecord<byte[], byte[]>> records, Exception error, int attempt) {
                Duration wait = backOff.retryAfter(records, error, attempt);
                if (wait != null) {
                    waits.add(wait);
                }
                return wait;
            }

            @Override
            public void recover(List<ConsumerRecord<byte[], byte[]>> records, Exception error) {
                backOff.recover(records, error);
            }
        };
        running = new ListenerConsumer("orders-0", endpoint,
                new ContainerSettings(1, ackMode, Duration.ofMillis(10), true, Duration.ofSeconds(5)), consumer,
                new ListenerInvoker(listener, m, batch, new PayloadCodec(new JsonMapper())), handler,
                ListenerObserver.NONE, null, nanos::get);
        consumer.schedulePollTask(() -> {
            consumer.rebalance(List.of(TP));
            consumer.updateBeginningOffsets(Map.of(TP, 0L));
            for (int i = 0; i < values.length; i++) {
                consumer.append(new ConsumerRecord<>("orders", 0, i, null, values[i].getBytes(StandardCharsets.UTF_8)));
            }
        });
        new Thread(running, "orders-0").start();
        return running;
    }

    @AfterEach
    void stop() throws Exception {
        if (running != null) {
            running.stop();
            assertThat(running.awaitStop(DEADLINE)).isTrue();
        }
    }

    long committed() {
        OffsetAndMetadata om = consumer.commits.get(TP);
        return om == null ? -1 : om.offset();
    }

    /** Moves the fake clock on by {@code millis} once the listener has failed {@code calls} times. */
    void afterBadCalls(int calls, long millis) {
        await().atMost(DEADLINE).until(() -> listener.badCalls.get() >= calls);
        nanos.addAndGet(Duration.ofMillis(millis).toNanos());
    }

    @Test
    void aFailingRecordWaitsPausedForItsBackOffThenIsRecoveredAndTheOthersGoOn() throws Exception {
        start("on", false, AckMode.BATCH, "ok-0", "bad-1", "ok-2");

        await().atMost(DEADLINE).until(() -> listener.badCalls.get() == 1);
        assertThat(consumer.paused()).as("paused for the back-off").containsExactly(TP);
        assertThat(committed()).isEqualTo(1);
        afterBadCalls(1, 50);
        afterBadCalls(2, 100);
        await().atMost(DEADLINE).until(() -> committed() == 3);

        assertThat(listener.processed).containsExactly("ok-0", "ok-2");
        assertThat(listener.badCalls).as("three deliveries").hasValue(3);
        assertThat(waits).containsExactly(Duration.ofMillis(50), Duration.ofMillis(100));
        assertThat(recovered).containsExactly("bad-1");
        assertThat(consumer.paused()).isEmpty();
    }

    @Test
    void aRecordWhoseRecoveryFailsIsDeliveredAgainAndNotCommittedPast() throws Exception {
        recoveryFailures.set(1);
        start("on", false, AckMode.RECORD, "ok-0", "bad-1", "ok-2");

        afterBadCalls(1, 50);
        afterBadCalls(2, 100);
        await().atMost(DEADLINE).until(() -> listener.badCalls.get() == 3);
        assertThat(committed()).as("recovery failed: not past bad-1").isEqualTo(1);
        nanos.addAndGet(Duration.ofMillis(10).toNanos()); // the pause after a failed recovery
        afterBadCalls(4, 50);
        afterBadCalls(5, 100);
        await().atMost(DEADLINE).until(() -> committed() == 3);

        assertThat(listener.badCalls).as("three deliveries, twice").hasValue(6);
        assertThat(recovered).containsExactly("bad-1");
        assertThat(listener.processed).containsExactly("ok-0", "ok-2");
    }

    @Test
    void stoppingDuringABackOffCommitsOnlyWhatWasProcessed() throws Exception {
        start("on", false, AckMode.BATCH, "ok-0", "bad-1", "ok-2");
        await().atMost(DEADLINE).until(() -> listener.badCalls.get() == 1);

        running.stop();

        assertThat(running.awaitStop(DEADLINE)).isTrue();
        assertThat(committed()).as("past ok-0 only").isEqualTo(1);
        assertThat(listener.processed).containsExactly("ok-0");
        assertThat(recovered).isEmpty();
        assertThat(consumer.closed()).isTrue();
    }

    @Test
    void aBatchWithAPoisonRecordIsCommittedOnlyOnceTheRestIsProcessed() throws Exception {
        listener.batchFails.set(true);
        start("batch", true, AckMode.BATCH, "1", "2", "x", "4");

        await().atMost(DEADLINE).until(() -> recovered.size() == 1 && listener.badCalls.get() == 1);
        assertThat(recovered).as("the poison record alone").containsExactly("x");
        assertThat(committed()).as("1 and 2 are not processed yet").isEqualTo(-1);
        listener.batchFails.set(false);
        nanos.addAndGet(Duration.ofMillis(50).toNanos());

        await().atMost(DEADLINE).until(() -> committed() == 4);
        assertThat(listener.processed).containsExactly("1", "2", "4");
        assertThat(recovered).as("not recovered twice").containsExactly("x");
    }

    @Test
    void stoppingWhileABatchBacksOffCommitsNothingOfIt() throws Exception {
        listener.batchFails.set(true);
        start("batch", true, AckMode.BATCH, "1", "x", "3");
        await().atMost(DEADLINE).until(() -> listener.badCalls.get() == 1);

        running.stop();

        assertThat(running.awaitStop(DEADLINE)).isTrue();
        assertThat(committed()).as("the poison was recovered, but 1 was never processed").isEqualTo(-1);
    }

    @Test
    void manualAcknowledgmentCommitsOnlyWhatWasAcknowledged() throws Exception {
        start("manual", false, AckMode.MANUAL, "a-0", "a-1", "keep-2", "keep-3");

        await().atMost(DEADLINE).until(() -> listener.processed.size() == 4);
        await().atMost(DEADLINE).until(() -> committed() == 2);
        running.stop();
        assertThat(running.awaitStop(DEADLINE)).isTrue();
        assertThat(committed()).isEqualTo(2);
    }

    @Test
    void aPausedConsumerReadsNothingUntilResumed() throws Exception {
        ListenerConsumer lc = start("on", false, AckMode.BATCH);
        lc.pause();
        await().atMost(DEADLINE).until(lc::isPaused);
        AtomicBoolean nextPoll = new AtomicBoolean();
        consumer.schedulePollTask(() -> consumer.append(new ConsumerRecord<>("orders", 0, 0, null,
                "ok-0".getBytes(StandardCharsets.UTF_8))));
        consumer.schedulePollTask(() -> nextPoll.set(true)); // one poll task per poll: the record's poll is over

        await().atMost(DEADLINE).untilTrue(nextPoll);
        assertThat(listener.processed).as("nothing while paused").isEmpty();
        lc.resume();

        await().atMost(DEADLINE).until(() -> listener.processed.size() == 1);
        assertThat(consumer.paused()).isEmpty();
    }

    @Test
    void seeksFromAnotherThreadAreDoneBeforeTheNextPollAndFailOnceTheConsumerStopped() throws Exception {
        ListenerConsumer lc = start("on", false, AckMode.BATCH, "ok-0", "ok-1");
        await().atMost(DEADLINE).until(() -> listener.processed.size() == 2);

        lc.seeks.seek("orders", 0, 1).get(10, TimeUnit.SECONDS);

        await().atMost(DEADLINE).until(() -> listener.processed.size() == 3);
        assertThat(listener.processed).containsExactly("ok-0", "ok-1", "ok-1");
        lc.stop();
        assertThat(lc.awaitStop(DEADLINE)).isTrue();
        assertThat(lc.seeks.seekToBeginning(List.of(TP))).failsWithin(DEADLINE)
                .withThrowableOfType(ExecutionException.class).withMessageContaining("is stopped");
    }
}
