package dev.runnel.broker.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.cluster.UpdateMetadataRequest;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

/** The wait of CreateTopics and CreatePartitions for leaders, on a fake clock. */
class DelayedCreatePartitionsTest {

    private static final long BROKER_EPOCH = 21;
    private static final UUID ORDERS_ID = UUID.fromString("0b9d53c6-51a4-4d5e-9d0c-1f7a3a1c2e11");
    private static final BrokerInfo BROKER_1 = new BrokerInfo(1, "127.0.0.1", 9092, 8091, null, BROKER_EPOCH);
    private static final BrokerInfo BROKER_2 = new BrokerInfo(2, "127.0.0.1", 9093, 8092, null, 22);

    private final ManualScheduler scheduler = new ManualScheduler(new ManualClock());
    private final MetadataCache metadata = new MetadataCache();
    private final DelayedCreatePartitions delayed = new DelayedCreatePartitions(metadata, scheduler.clock(), scheduler);
    private long version;

    private void update(List<BrokerInfo> live, TopicInfo... topics) {
        metadata.apply(new UpdateMetadataRequest(100, 1, BROKER_EPOCH, ++version, false, live, List.of(topics),
                List.of()));
    }

    private static TopicInfo orders(UUID id, int... leaders) {
        List<PartitionInfo> partitions = new ArrayList<>();
        for (int p = 0; p < leaders.length; p++) {
            partitions.add(new PartitionInfo(p, List.of(1, 2), new PartitionState(leaders[p], 0, List.of(1, 2), 0)));
        }
        return new TopicInfo("orders", id, Map.of(), partitions);
    }

    private CompletableFuture<Boolean> awaitOrders(int from, int to, int timeoutMs) {
        return delayed.leadersKnown(new DelayedCreatePartitions.NewPartitions("orders", ORDERS_ID, from, to),
                delayed.deadline(timeoutMs));
    }

    @Test
    void theWaitEndsWhenTheMetadataShowsALiveLeaderForEveryNewPartition() {
        CompletableFuture<Boolean> known = awaitOrders(0, 3, 30_000);
        update(List.of(BROKER_1, BROKER_2), orders(ORDERS_ID, 1, 2));
        scheduler.advance(Duration.ofSeconds(1));
        assertThat(known).isNotDone();

        update(List.of(BROKER_1, BROKER_2), orders(ORDERS_ID, 1, 2, 1));

        assertThat(known).isCompletedWithValue(true);
        assertThat(delayed.waiting()).isZero();
        assertThat(scheduler.pendingTaskNames()).isEmpty();
    }

    @Test
    void theWaitTimesOutAtTheRequestsDeadlineAndNotBefore() {
        CompletableFuture<Boolean> known = awaitOrders(0, 2, 5_000);
        update(List.of(BROKER_1, BROKER_2), orders(ORDERS_ID, 1, -1));

        scheduler.advance(Duration.ofMillis(4_999));
        assertThat(known).isNotDone();
        scheduler.advance(Duration.ofMillis(1));

        assertThat(known).isCompletedWithValue(false);
        assertThat(delayed.waiting()).isZero();
    }

    @Test
    void aLeaderThatIsNotALiveBrokerOrATopicOfAnotherIdDoesNotCount() {
        CompletableFuture<Boolean> known = awaitOrders(0, 1, 5_000);

        update(List.of(BROKER_1), orders(ORDERS_ID, 2));
        update(List.of(BROKER_1, BROKER_2), orders(UUID.randomUUID(), 2));
        assertThat(known).isNotDone();

        update(List.of(BROKER_1, BROKER_2), orders(ORDERS_ID, 2));
        assertThat(known).isCompletedWithValue(true);
    }

    @Test
    void leadersAlreadyKnownAnswerAtOnceAndGrowthWaitsOnlyForTheNewPartitions() {
        update(List.of(BROKER_1, BROKER_2), orders(ORDERS_ID, -1, 1));

        assertThat(awaitOrders(1, 2, 5_000)).isCompletedWithValue(true);
        assertThat(awaitOrders(0, 2, 5_000)).isNotDone();
        assertThat(awaitOrders(1, 3, 5_000)).isNotDone();
    }

    @Test
    void aDeadlineAlreadyPassedAnswersAtOnce() {
        assertThat(awaitOrders(0, 1, 0)).isCompletedWithValue(false);
        assertThat(delayed.waiting()).isZero();
    }
}
