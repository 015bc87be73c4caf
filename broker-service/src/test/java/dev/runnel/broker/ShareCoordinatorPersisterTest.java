package dev.runnel.broker;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BiConsumer;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.protocol.CoordinatorTopics;
import dev.runnel.broker.sharestate.ShareStatePersister.Key;
import dev.runnel.broker.sharestate.ShareStatePersister.ShareState;
import dev.runnel.broker.sharestate.ShareStatePersister.ShareStateException;
import dev.runnel.broker.sharestate.ShareStatePersister.StateBatch;
import dev.runnel.broker.sharestate.ShareStatePersister.Summary;
import dev.runnel.broker.sharestate.ShareCoordinator;
import dev.runnel.broker.sharestate.ShareStateAnswer;
import dev.runnel.broker.sharestate.ShareStateLog;
import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.InternalTopics;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.cluster.UpdateMetadataRequest;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

/**
 * The persister's routing and retries, on a manual clock and scheduler: the coordinator here is
 * called directly, another broker's over the channels; moving, loading and unreachable coordinators
 * are retried with a doubling, capped backoff until the deadline, and fencing is not retried; a
 * missing {@code __share_group_state} is waited for; reads answer what the wire carries.
 */
class ShareCoordinatorPersisterTest {

    static final int SELF = 1;
    static final Uuid TOPIC = Uuid.fromString("K7kMuMVhQ9K3L4nq1Hq3Ew");
    static final Key KEY = new Key("queue", TOPIC, 0);

    final ManualClock clock = new ManualClock(1_000_000);
    final ManualScheduler scheduler = new ManualScheduler(clock);
    final MetadataCache metadata = new MetadataCache();
    final ShareCoordinator coordinator = new ShareCoordinator(new MemoryLog(), clock, Runnable::run, Runnable::run,
            () -> 1, (t, p) -> true);
    /** What the other broker answers, one per call; an IOException element fails the call. */
    final Deque<Object> remote = new ArrayDeque<>();
    final List<Integer> remoteCalls = new ArrayList<>();
    CoordinatorTopics.Lookup lookup;

    final ShareCoordinatorPersister persister = new ShareCoordinatorPersister(SELF, coordinator, metadata,
            () -> lookup, new ShareCoordinatorPersister.Channels() {
                @Override
                @SuppressWarnings("unchecked")
                public <T> CompletableFuture<T> call(int broker, InterBrokerChannels.Call<T> call) {
                    remoteCalls.add(broker);
                    Object next = remote.isEmpty() ? new IOException("nothing scripted") : remote.poll();
                    return next instanceof IOException e ? CompletableFuture.failedFuture(e)
                            : CompletableFuture.completedFuture((T) next);
                }
            }, scheduler, clock, Duration.ofSeconds(5), Duration.ofMillis(100), Duration.ofSeconds(1));

    void ledBy(int leader) {
        TopicInfo topic = new TopicInfo(InternalTopics.SHARE_GROUP_STATE, UUID.randomUUID(), Map.of(),
                List.of(new PartitionInfo(0, List.of(1, 2), new PartitionState(leader, 4, List.of(1, 2), 4))));
        metadata.apply(new UpdateMetadataRequest(7, 1, 11, 1, true, List.of(
                new BrokerInfo(1, "127.0.0.1", 9092, 8081, null, 11), new BrokerInfo(2, "127.0.0.1", 9093, 8082, null, 12)),
                List.of(topic), List.of()));
        lookup = new CoordinatorTopics.Lookup(topic, null);
    }

    static Errors error(CompletableFuture<?> call) {
        assertThat(call).isCompletedExceptionally();
        try {
            call.join();
        } catch (CompletionException e) {
            return ((ShareStateException) e.getCause()).error();
        }
        throw new AssertionError("not failed");
    }

    @Test
    void theCoordinatorHereIsCalledDirectly() {
        ledBy(SELF);
        coordinator.onElection(0, 4);
        ShareState state = new ShareState(1, 5, 10, 3, List.of(new StateBatch(10, 11, (byte) 2, (short) 1),
                new StateBatch(12, 12, (byte) 4, (short) 5), new StateBatch(13, 14, (byte) 0, (short) 1)));

        assertThat(persister.initialize(KEY, 1, 10)).isCompleted();
        assertThat(persister.write(KEY, state)).isCompleted();
        assertThat(persister.read(KEY, 5).join()).contains(state);
        assertThat(persister.readSummary(KEY).join()).contains(new Summary(1, 5, 10, 3));
        assertThat(persister.delete(KEY)).isCompleted();
        assertThat(persister.read(KEY, 5).join()).isEmpty();
        assertThat(remoteCalls).isEmpty();
    }

    @Test
    void anotherBrokersCoordinatorIsCalledOverTheChannels() {
        ledBy(2);
        remote.add(new ShareStateAnswer<Void>(Errors.NONE, null, null));
        remote.add(new ShareStateAnswer<>(Errors.NONE, null, Optional.of(new ShareState(2, 7, 0, 1,
                List.of(new StateBatch(0, 0, (byte) 4, (short) 5))))));

        assertThat(persister.write(KEY, new ShareState(2, 7, 0, 1, List.of()))).isCompleted();
        assertThat(persister.read(KEY, 7).join().orElseThrow().startOffset()).isZero();
        assertThat(remoteCalls).containsExactly(2, 2);
    }

    @Test
    void anUnreachableCoordinatorIsRetriedWithACappedDoublingBackoffUntilTheDeadline() {
        ledBy(2);

        CompletableFuture<Void> write = persister.write(KEY, new ShareState(1, 1, 0, 0, List.of()));
        assertThat(remoteCalls).hasSize(1);
        scheduler.advance(Duration.ofMillis(99));
        assertThat(remoteCalls).as("the first retry waits 100 ms").hasSize(1);
        scheduler.advance(Duration.ofMillis(1));
        assertThat(remoteCalls).hasSize(2);
        scheduler.advance(Duration.ofMillis(200));
        assertThat(remoteCalls).as("then 200 ms").hasSize(3);
        scheduler.advance(Duration.ofSeconds(10));

        // 100 + 200 + 400 + 800 + 1000 + 1000 + 1000 ms of waits fit in 5 s; one more second does not.
        assertThat(remoteCalls).hasSize(8);
        assertThat(error(write)).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
        assertThat(scheduler.pendingTaskNames()).isEmpty();
    }

    @Test
    void aMovingCoordinatorIsRetriedAndTheAnswerAfterItIsTheCallsAnswer() {
        ledBy(2);
        remote.add(new ShareStateAnswer<Void>(Errors.NOT_COORDINATOR, "moved", null));
        remote.add(new ShareStateAnswer<Void>(Errors.COORDINATOR_LOAD_IN_PROGRESS, "loading", null));
        remote.add(new ShareStateAnswer<Void>(Errors.NONE, null, null));

        CompletableFuture<Void> initialize = persister.initialize(KEY, 1, 0);
        scheduler.advance(Duration.ofMillis(300));

        assertThat(initialize).isCompleted();
        assertThat(remoteCalls).hasSize(3);
    }

    @Test
    void aCallWaitingToBeRetriedWhenTheBrokerStopsFailsInsteadOfHanging() {
        ledBy(2);
        scheduler.close();

        CompletableFuture<Void> write = persister.write(KEY, new ShareState(1, 1, 0, 0, List.of()));

        assertThat(error(write)).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
        assertThat(remoteCalls).hasSize(1);
    }

    @Test
    void fencingIsNotRetried() {
        ledBy(2);
        remote.add(new ShareStateAnswer<Void>(Errors.FENCED_STATE_EPOCH, "old", null));

        CompletableFuture<Void> write = persister.write(KEY, new ShareState(1, 1, 0, 0, List.of()));

        assertThat(error(write)).isEqualTo(Errors.FENCED_STATE_EPOCH);
        assertThat(remoteCalls).hasSize(1);
        assertThat(scheduler.pendingTaskNames()).isEmpty();
    }

    @Test
    void aMissingStateTopicIsWaitedForWhileItIsCreated() {
        lookup = new CoordinatorTopics.Lookup(null, "__share_group_state is being created");
        CompletableFuture<Void> initialize = persister.initialize(KEY, 1, 0);
        scheduler.advance(Duration.ofMillis(300));
        assertThat(initialize).isNotDone();

        ledBy(SELF);
        coordinator.onElection(0, 4);
        scheduler.advance(Duration.ofSeconds(1));

        assertThat(initialize).isCompleted();
        assertThat(persister.read(KEY, 1).join()).contains(new ShareState(1, 1, 0, 0, List.of()));
    }

    @Test
    void aKeyNamingNoSharePartitionIsInvalidRequestAtOnce() {
        assertThat(error(persister.read(new Key("", TOPIC, 0), 1))).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(error(persister.delete(new Key("g", TOPIC, -1)))).isEqualTo(Errors.INVALID_REQUEST);
    }

    @Test
    void aReadAnswersWhatTheWireCarries() {
        assertThat(ShareCoordinatorPersister.asRead(0, 3, -1, List.of())).as("Kafka's uninitialized answer").isEmpty();
        assertThat(ShareCoordinatorPersister.asRead(4, 3, 20, List.of(new StateBatch(18, 22, (byte) 2, (short) 1),
                new StateBatch(23, 23, (byte) 0, (short) 2), new StateBatch(24, 30, (byte) 4, (short) 5))))
                .contains(new ShareState(4, 3, 20, 3 + 7, List.of(new StateBatch(18, 22, (byte) 2, (short) 1),
                        new StateBatch(23, 23, (byte) 0, (short) 2), new StateBatch(24, 30, (byte) 4, (short) 5))));
        assertThat(ShareCoordinatorPersister.asSummary(0, 0, -1, -1)).isEmpty();
        assertThat(ShareCoordinatorPersister.asSummary(1, 0, -1, -1)).contains(new Summary(1, 0, -1, -1));
    }

    /** A {@code __share_group_state} in memory. */
    static final class MemoryLog implements ShareStateLog {
        final List<Entry> records = new ArrayList<>();

        @Override
        public synchronized CompletableFuture<Void> append(int partition, int leaderEpoch, List<Entry> entries) {
            records.addAll(entries);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public synchronized void read(int partition, BiConsumer<byte[], byte[]> consumer) {
            records.forEach(e -> consumer.accept(e.key(), e.value()));
        }
    }
}
