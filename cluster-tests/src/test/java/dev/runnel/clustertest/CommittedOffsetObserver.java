package dev.runnel.clustertest;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ListOffsetsResponse;
import org.apache.kafka.common.requests.OffsetFetchResponse;

/**
 * Watches a group's committed offsets as each broker that believes it coordinates the group
 * answers them, with the coordinator's epoch: one thread per broker (a single-thread scheduled
 * executor, so a broker that is cut off and times out does not hold up the others) asks, with
 * {@code interval} between the end of one question and the start of the next,
 * ListOffsets for the group's {@code __consumer_offsets} partition (answered only by a broker that
 * believes it leads it, with its leader epoch), then OffsetFetch, then ListOffsets again; an
 * answer counts only if both epochs agree, so it is known which coordinator epoch gave it.
 *
 * <p>Why not Admin's listConsumerGroupOffsets alone: it cannot say which broker answered, and a
 * deposed coordinator that has not heard of its successor (cut off, or stopped) still answers from
 * its own, older state, as Kafka's does: a stale read that would look like offsets going back.
 *
 * <p>{@link #check} counts as a regression an answer below an earlier one (answered before it
 * was asked) of the same or an older coordinator epoch: an older coordinator answers only
 * commits its followers have, which every later coordinator loads. An answer below an earlier one
 * of a newer epoch is stale, counted apart.
 */
final class CommittedOffsetObserver implements AutoCloseable {

    private static final String OFFSETS_TOPIC = "__consumer_offsets";
    private static final int EVIDENCE = 20;

    /** One broker's answer; nanos are {@link System#nanoTime()}. */
    record Answer(int broker, int epoch, Map<Integer, Long> offsets, long sentNanos, long answeredNanos,
            Instant sentAt) {
    }

    /** What {@link #check} found. */
    record Result(long answers, long regressions, long stale, List<String> evidence) {
    }

    private final String group;
    private final String topic;
    private final int groupPartition;
    private final List<Integer> brokers;
    private final IntFunction<Optional<InetSocketAddress>> addresses;
    private final Duration interval;
    private final ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
    private final List<ScheduledExecutorService> samplers = new ArrayList<>();

    /** @param offsetsPartitions the partitions of {@code __consumer_offsets} */
    CommittedOffsetObserver(String group, String topic, int offsetsPartitions, List<Integer> brokers,
            IntFunction<Optional<InetSocketAddress>> addresses, Duration interval) {
        this.group = group;
        this.topic = topic;
        int hash = group.hashCode();
        this.groupPartition = (hash == Integer.MIN_VALUE ? 0 : Math.abs(hash)) % offsetsPartitions;
        this.brokers = List.copyOf(brokers);
        this.addresses = addresses;
        this.interval = interval;
    }

    CommittedOffsetObserver start() {
        brokers.forEach(id -> {
            ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(task -> {
                Thread thread = new Thread(task, "nemesis-offsets-observer-" + id);
                thread.setDaemon(true);
                return thread;
            });
            samplers.add(sampler);
            sampler.scheduleWithFixedDelay(() -> observe(id), 0, interval.toNanos(), TimeUnit.NANOSECONDS);
        });
        return this;
    }

    /** One question to one broker; never throws, since an exception would cancel the fixed-delay task. */
    private void observe(int broker) {
        try {
            Optional<InetSocketAddress> address = addresses.apply(broker);
            if (address.isPresent()) {
                ask(broker, address.get());
            }
        } catch (IOException | RuntimeException e) {
            // down, stopped, cut off: ask again next time
        }
    }

    private void ask(int broker, InetSocketAddress address) throws IOException {
        long sent = System.nanoTime();
        Instant sentAt = Instant.now();
        int before = coordinatorEpoch(address);
        if (before < 0) {
            return;
        }
        OffsetFetchRequestData request = new OffsetFetchRequestData().setGroupId(group).setTopics(null);
        OffsetFetchResponseData answer = ((OffsetFetchResponse) KafkaWireClient.send(address.getHostString(),
                address.getPort(), ApiKeys.OFFSET_FETCH, (short) 7, request, Duration.ofSeconds(2))).data();
        int after = coordinatorEpoch(address);
        long answered = System.nanoTime();
        if (answer.errorCode() != Errors.NONE.code() || after != before) {
            return;
        }
        Map<Integer, Long> offsets = new TreeMap<>();
        for (OffsetFetchResponseData.OffsetFetchResponseTopic t : answer.topics()) {
            if (t.name().equals(topic)) {
                for (OffsetFetchResponseData.OffsetFetchResponsePartition p : t.partitions()) {
                    if (p.errorCode() == Errors.NONE.code() && p.committedOffset() >= 0) {
                        offsets.put(p.partitionIndex(), p.committedOffset());
                    }
                }
            }
        }
        answers.add(new Answer(broker, before, offsets, sent, answered, sentAt));
    }

    /** The leader epoch of the group's offsets partition if this broker believes it leads it, else -1. */
    private int coordinatorEpoch(InetSocketAddress address) throws IOException {
        ListOffsetsRequestData request = new ListOffsetsRequestData().setReplicaId(-1).setIsolationLevel((byte) 0)
                .setTopics(List.of(new ListOffsetsRequestData.ListOffsetsTopic().setName(OFFSETS_TOPIC)
                        .setPartitions(List.of(new ListOffsetsRequestData.ListOffsetsPartition()
                                .setPartitionIndex(groupPartition).setCurrentLeaderEpoch(-1).setTimestamp(-1)))));
        ListOffsetsResponseData answer = ((ListOffsetsResponse) KafkaWireClient.send(address.getHostString(),
                address.getPort(), ApiKeys.LIST_OFFSETS, (short) 7, request, Duration.ofSeconds(2))).data();
        ListOffsetsResponseData.ListOffsetsPartitionResponse p = answer.topics().get(0).partitions().get(0);
        return p.errorCode() == Errors.NONE.code() ? p.leaderEpoch() : -1;
    }

    List<Answer> answers() {
        return List.copyOf(answers);
    }

    /** Checks every answer against the earlier ones (see the class comment). */
    Result check() {
        List<Answer> all = new ArrayList<>(answers);
        all.sort(Comparator.comparingLong(Answer::sentNanos));
        long regressions = 0;
        long stale = 0;
        List<String> evidence = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            Answer a = all.get(i);
            boolean regressed = false;
            boolean older = false;
            Map<Integer, String> why = new HashMap<>();
            for (int j = 0; j < i; j++) {
                Answer b = all.get(j);
                if (b.answeredNanos() >= a.sentNanos()) {
                    continue;
                }
                for (Map.Entry<Integer, Long> e : a.offsets().entrySet()) {
                    Long earlier = b.offsets().get(e.getKey());
                    if (earlier != null && e.getValue() < earlier) {
                        if (b.epoch() <= a.epoch()) {
                            regressed = true;
                            why.putIfAbsent(e.getKey(), String.format("partition %d: %d from broker %d at coordinator "
                                    + "epoch %d (asked %s) after %d from broker %d at epoch %d (asked %s)", e.getKey(),
                                    e.getValue(), a.broker(), a.epoch(), a.sentAt(), earlier, b.broker(), b.epoch(),
                                    b.sentAt()));
                        } else {
                            older = true;
                        }
                    }
                }
            }
            if (regressed) {
                regressions++;
                why.values().stream().limit(EVIDENCE - evidence.size()).forEach(evidence::add);
            } else if (older) {
                stale++;
            }
        }
        return new Result(all.size(), regressions, stale, evidence);
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
