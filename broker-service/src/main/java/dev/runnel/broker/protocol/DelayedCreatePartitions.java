package dev.runnel.broker.protocol;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.common.time.Scheduler;

/**
 * Holds the answer to CreateTopics and CreatePartitions until this broker's metadata cache has a
 * live leader for every new partition, as Kafka's {@code DelayedCreatePartitions} does, so a client
 * can use the topic the moment it hears of its creation (a Metadata request to the same broker
 * shows every new partition with a leader). Past the request's deadline the wait ends unfulfilled
 * and the handler answers REQUEST_TIMED_OUT (the topic was created all the same).
 *
 * <p>Nothing blocks: a wait is a future completed by the metadata cache's update listener (on the
 * thread applying the controller's UpdateMetadata) or by a timer on the injected scheduler.
 * Thread-safe.
 */
final class DelayedCreatePartitions {

    /** Partitions {@code [fromPartition, toPartition)} of the topic with id {@code topicId}. */
    record NewPartitions(String topic, UUID topicId, int fromPartition, int toPartition) {
    }

    private final MetadataCache metadata;
    private final Clock clock;
    private final Scheduler timer;
    private final Set<Wait> waiting = ConcurrentHashMap.newKeySet();

    DelayedCreatePartitions(MetadataCache metadata, Clock clock, Scheduler timer) {
        this.metadata = metadata;
        this.clock = clock;
        this.timer = timer;
        metadata.onUpdate(view -> waiting.forEach(w -> w.check(view)));
    }

    /** The deadline, in the clock's milliseconds, of a request that arrives now with {@code timeoutMs}. */
    long deadline(int timeoutMs) {
        return clock.millis() + Math.max(0, timeoutMs);
    }

    /**
     * Completes with true once the cache shows a live leader for each of {@code partitions}, with
     * false at {@code deadlineMillis} if it does not by then.
     */
    CompletableFuture<Boolean> leadersKnown(NewPartitions partitions, long deadlineMillis) {
        Wait wait = new Wait(partitions);
        if (wait.check(metadata.snapshot())) {
            return wait.done;
        }
        long delay = deadlineMillis - clock.millis();
        if (delay <= 0) {
            wait.done.complete(false);
            return wait.done;
        }
        waiting.add(wait);
        wait.expiry = timer.schedule("create-partitions-timeout", () -> wait.done.complete(false),
                Duration.ofMillis(delay));
        wait.done.whenComplete((known, failure) -> {
            waiting.remove(wait);
            wait.expiry.cancel();
        });
        // An update applied between the first check and the registration is not missed.
        wait.check(metadata.snapshot());
        return wait.done;
    }

    /** Waits in progress (metrics, tests). */
    int waiting() {
        return waiting.size();
    }

    /** Whether {@code view} has the topic (same id) with a live leader for each of the partitions. */
    static boolean leadersKnown(MetadataCache.Snapshot view, NewPartitions wanted) {
        Optional<TopicInfo> topic = view.topic(wanted.topic()).filter(t -> t.topicId().equals(wanted.topicId()));
        if (topic.isEmpty()) {
            return false;
        }
        int found = 0;
        for (PartitionInfo partition : topic.get().partitions()) {
            if (partition.partition() >= wanted.fromPartition() && partition.partition() < wanted.toPartition()) {
                if (!view.hasLiveLeader(partition)) {
                    return false;
                }
                found++;
            }
        }
        return found == wanted.toPartition() - wanted.fromPartition();
    }

    private static final class Wait {

        final NewPartitions wanted;
        final CompletableFuture<Boolean> done = new CompletableFuture<>();
        volatile Scheduler.ScheduledTask expiry;

        Wait(NewPartitions wanted) {
            this.wanted = wanted;
        }

        boolean check(MetadataCache.Snapshot view) {
            if (leadersKnown(view, wanted)) {
                done.complete(true);
                return true;
            }
            return false;
        }
    }
}
