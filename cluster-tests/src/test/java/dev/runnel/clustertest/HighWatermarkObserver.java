package dev.runnel.clustertest;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
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
 * <p>Each broker has its own single-thread scheduled executor, so one that is cut off and times
 * out does not hold up the others. "Every {@code interval}" is from the start of one question to
 * the start of the next: each question schedules the next one {@code interval} after it started
 * (at once if it took longer), not at a fixed rate, which would fire the questions missed during a
 * time-out back to back, nor at a fixed delay, which would add the answer's time to the interval.
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
    private final List<ScheduledExecutorService> samplers = new ArrayList<>();

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
            ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(task -> {
                Thread thread = new Thread(task, "nemesis-hw-observer-" + id);
                thread.setDaemon(true);
                return thread;
            });
            samplers.add(sampler);
            sampler.execute(() -> observe(sampler, id));
        });
        return this;
    }

    /** One question to one broker, then the next one scheduled {@code interval} after this one started. */
    private void observe(ScheduledExecutorService sampler, int broker) {
        long started = System.nanoTime();
        try {
            Optional<InetSocketAddress> address = addresses.apply(broker);
            if (address.isPresent()) {
                ask(broker, address.get());
            }
        } catch (IOException | RuntimeException e) {
            unanswered.incrementAndGet(); // down, stopped or cut off: ask again
        }
        long rest = Math.max(0, interval.toNanos() - (System.nanoTime() - started));
        try {
            sampler.schedule(() -> observe(sampler, broker), rest, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // closed
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

    /** Stops asking: cancels the next questions and waits (at most 10 s a broker) for one under way to end. */
    @Override
    public void close() throws InterruptedException {
        samplers.forEach(ScheduledExecutorService::shutdownNow);
        for (ScheduledExecutorService sampler : samplers) {
            sampler.awaitTermination(10, TimeUnit.SECONDS);
        }
    }
}
