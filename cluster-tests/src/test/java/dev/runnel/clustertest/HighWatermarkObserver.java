package dev.runnel.clustertest;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import java.util.function.IntSupplier;

import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ListOffsetsResponse;

/**
 * The raw observer: one thread per broker that asks it, every {@code interval}, for the latest
 * offset (ListOffsets, timestamp -1: the high watermark) of every partition of the topic, with no
 * leader epoch of its own, so that every broker that believes it leads a partition answers, with
 * the leader epoch it believes in. Every answer is kept as an {@link Observation} with the moments
 * the question was sent and answered; brokers that do not lead a partition answer
 * NOT_LEADER_OR_FOLLOWER, which is not kept.
 *
 * <p>ListOffsets rather than the Fetch response's high_watermark: Kafka lets a new leader's Fetch
 * answers carry a high watermark below its predecessor's until its followers have fetched, but
 * answers ListOffsets then with OFFSET_NOT_AVAILABLE (its high watermark is behind the start of its
 * epoch), so a ListOffsets answer below an acknowledged offset is a fault under Kafka's own rules.
 */
final class HighWatermarkObserver implements AutoCloseable {

    /** One broker's answer for one partition; nanos are {@link System#nanoTime()}, sentAt the wall clock. */
    record Observation(int partition, int broker, int leaderEpoch, long highWatermark, long sentNanos,
            long answeredNanos, java.time.Instant sentAt) {
    }

    private final String topic;
    private final List<Integer> brokers;
    private final IntFunction<Optional<InetSocketAddress>> addresses;
    private final IntSupplier partitions;
    private final Duration interval;
    private final ConcurrentLinkedQueue<Observation> observations = new ConcurrentLinkedQueue<>();
    private final AtomicLong questions = new AtomicLong();
    private final AtomicLong unanswered = new AtomicLong();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running = true;

    /** @param addresses where each broker is now (empty while it starts on a port not reported yet) */
    HighWatermarkObserver(String topic, List<Integer> brokers, IntFunction<Optional<InetSocketAddress>> addresses,
            IntSupplier partitions, Duration interval) {
        this.topic = topic;
        this.brokers = List.copyOf(brokers);
        this.addresses = addresses;
        this.partitions = partitions;
        this.interval = interval;
    }

    HighWatermarkObserver start() {
        brokers.forEach(id -> {
            Thread thread = new Thread(() -> observe(id), "nemesis-hw-observer-" + id);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        });
        return this;
    }

    private void observe(int broker) {
        while (running) {
            long started = System.nanoTime();
            try {
                Optional<InetSocketAddress> address = addresses.apply(broker);
                if (address.isPresent()) {
                    ask(broker, address.get());
                }
            } catch (IOException | RuntimeException e) {
                unanswered.incrementAndGet(); // down, stopped or cut off: ask again
            }
            long rest = interval.toNanos() - (System.nanoTime() - started);
            if (rest > 0) {
                try {
                    Thread.sleep(rest / 1_000_000, (int) (rest % 1_000_000));
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    private void ask(int broker, InetSocketAddress address) throws IOException {
        ListOffsetsRequestData.ListOffsetsTopic wanted = new ListOffsetsRequestData.ListOffsetsTopic().setName(topic);
        int count = partitions.getAsInt();
        for (int p = 0; p < count; p++) {
            wanted.partitions().add(new ListOffsetsRequestData.ListOffsetsPartition().setPartitionIndex(p)
                    .setCurrentLeaderEpoch(-1).setTimestamp(-1));
        }
        ListOffsetsRequestData request = new ListOffsetsRequestData().setReplicaId(-1).setIsolationLevel((byte) 0)
                .setTopics(List.of(wanted));
        questions.incrementAndGet();
        long sent = System.nanoTime();
        java.time.Instant sentAt = java.time.Instant.now();
        ListOffsetsResponseData answer = ((ListOffsetsResponse) KafkaWireClient.send(address.getHostString(),
                address.getPort(), ApiKeys.LIST_OFFSETS, (short) 7, request, Duration.ofSeconds(2))).data();
        long answered = System.nanoTime();
        for (ListOffsetsResponseData.ListOffsetsTopicResponse t : answer.topics()) {
            for (ListOffsetsResponseData.ListOffsetsPartitionResponse p : t.partitions()) {
                if (p.errorCode() == Errors.NONE.code()) {
                    observations.add(new Observation(p.partitionIndex(), broker, p.leaderEpoch(), p.offset(), sent,
                            answered, sentAt));
                }
            }
        }
    }

    List<Observation> observations() {
        return List.copyOf(observations);
    }

    long questions() {
        return questions.get();
    }

    long unanswered() {
        return unanswered.get();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        for (Thread thread : threads) {
            thread.interrupt();
            thread.join(10_000);
        }
    }
}
