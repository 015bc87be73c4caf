package dev.runnel.client.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.runnel.client.support.PayloadCodec;
import tools.jackson.databind.json.JsonMapper;

/**
 * The poll loop on a {@link MockConsumer}, with a sleeper that records the back-off waits instead
 * of waiting: retries, recovery, what is committed, and stopping in the middle of a retry.
 */
class ListenerConsumerTest {

    static final TopicPartition TP = new TopicPartition("orders", 0);
    static final Duration DEADLINE = Duration.ofSeconds(10);

    static class Listener {
        final List<String> processed = new CopyOnWriteArrayList<>();
        final AtomicInteger badCalls = new AtomicInteger();

        void on(String value) {
            if (value.startsWith("bad")) {
                badCalls.incrementAndGet();
                throw new IllegalStateException("cannot take " + value);
            }
            processed.add(value);
        }
    }

    /**
     * A MockConsumer that acts more like a log: a seek delivers the records from there again (the
     * mock forgets records once polled), and commits stay readable after close.
     */
    static final class LogConsumer extends MockConsumer<byte[], byte[]> {
        final List<ConsumerRecord<byte[], byte[]>> log = new CopyOnWriteArrayList<>();
        final Map<TopicPartition, OffsetAndMetadata> commits = new java.util.concurrent.ConcurrentHashMap<>();

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

    final LogConsumer consumer = new LogConsumer();
    final Listener listener = new Listener();
    final List<Duration> waits = new CopyOnWriteArrayList<>();
    final List<String> recovered = new CopyOnWriteArrayList<>();
    final AtomicInteger recoveryFailures = new AtomicInteger();
    final AtomicReference<ListenerConsumer> running = new AtomicReference<>();
    Thread thread;

    ListenerConsumer start(AckMode ackMode, ListenerConsumer.Sleeper sleeper, String... values) throws Exception {
        Method method = Listener.class.getDeclaredMethod("on", String.class);
        LogListenerEndpoint endpoint = new LogListenerEndpoint("orders", List.of("orders"), null, "g", 1, true, Map.of(),
                false, listener, method, null);
        LogErrorHandler handler = new DefaultLogErrorHandler(new BackOff(3, Duration.ofMillis(50), 2, Duration.ofSeconds(1)),
                (records, error) -> {
                    if (recoveryFailures.getAndDecrement() > 0) {
                        throw new IllegalStateException("the dead-letter topic is down");
                    }
                    records.forEach(r -> recovered.add(new String(r.value(), StandardCharsets.UTF_8)));
                });
        ListenerConsumer lc = new ListenerConsumer("orders-0", endpoint,
                new ContainerSettings(1, ackMode, Duration.ofMillis(10), true, Duration.ofSeconds(5)), consumer,
                new ListenerInvoker(listener, method, false, new PayloadCodec(new JsonMapper())), handler,
                ListenerObserver.NONE, null, sleeper);
        running.set(lc);
        consumer.schedulePollTask(() -> {
            consumer.rebalance(List.of(TP));
            consumer.updateBeginningOffsets(Map.of(TP, 0L));
            for (int i = 0; i < values.length; i++) {
                consumer.append(new ConsumerRecord<>("orders", 0, i, null, values[i].getBytes(StandardCharsets.UTF_8)));
            }
        });
        thread = new Thread(lc, "orders-0");
        thread.start();
        return lc;
    }

    @AfterEach
    void stop() throws Exception {
        if (running.get() != null) {
            running.get().stop();
            assertThat(running.get().awaitStop(DEADLINE)).isTrue();
        }
    }

    long committed() {
        OffsetAndMetadata om = consumer.commits.get(TP);
        return om == null ? -1 : om.offset();
    }

    @Test
    void aFailingRecordIsRetriedWithBackOffThenRecoveredAndTheOthersGoOn() throws Exception {
        start(AckMode.BATCH, waits::add, "ok-0", "bad-1", "ok-2");

        await().atMost(DEADLINE).until(() -> committed() == 3);

        assertThat(listener.processed).containsExactly("ok-0", "ok-2");
        assertThat(listener.badCalls).as("three deliveries").hasValue(3);
        assertThat(waits).as("50 ms, then 100 ms").containsExactly(Duration.ofMillis(50), Duration.ofMillis(100));
        assertThat(recovered).containsExactly("bad-1");
    }

    @Test
    void aRecordWhoseRecoveryFailsIsDeliveredAgainAndNotCommittedPast() throws Exception {
        recoveryFailures.set(1);
        start(AckMode.RECORD, waits::add, "ok-0", "bad-1", "ok-2");

        await().atMost(DEADLINE).until(() -> recovered.size() == 1);
        await().atMost(DEADLINE).until(() -> committed() == 3);

        assertThat(listener.badCalls).as("three deliveries, twice").hasValue(6);
        assertThat(listener.processed).containsExactly("ok-0", "ok-2");
    }

    @Test
    void stoppingDuringARetryCommitsOnlyWhatWasProcessed() throws Exception {
        start(AckMode.BATCH, wait -> running.get().stop(), "ok-0", "bad-1", "ok-2");

        assertThat(running.get().awaitStop(DEADLINE)).isTrue();

        assertThat(committed()).as("past ok-0 only").isEqualTo(1);
        assertThat(listener.processed).containsExactly("ok-0");
        assertThat(recovered).isEmpty();
        assertThat(consumer.closed()).isTrue();
    }

    @Test
    void aPausedConsumerReadsNothingUntilResumed() throws Exception {
        ListenerConsumer lc = start(AckMode.BATCH, waits::add);
        lc.pause();
        await().atMost(DEADLINE).until(() -> consumer.paused().contains(TP));
        java.util.concurrent.atomic.AtomicBoolean nextPoll = new java.util.concurrent.atomic.AtomicBoolean();
        consumer.schedulePollTask(() -> consumer.addRecord(new ConsumerRecord<>("orders", 0, 0, null,
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
        ListenerConsumer lc = start(AckMode.BATCH, waits::add, "ok-0", "ok-1");
        await().atMost(DEADLINE).until(() -> listener.processed.size() == 2);

        lc.seeks.seek("orders", 0, 1).get(10, java.util.concurrent.TimeUnit.SECONDS);

        await().atMost(DEADLINE).until(() -> listener.processed.size() == 3);
        assertThat(listener.processed).containsExactly("ok-0", "ok-1", "ok-1");
        lc.stop();
        assertThat(lc.awaitStop(DEADLINE)).isTrue();
        assertThat(lc.seeks.seekToBeginning(List.of(TP))).failsWithin(DEADLINE)
                .withThrowableOfType(java.util.concurrent.ExecutionException.class).withMessageContaining("is stopped");
    }
}
