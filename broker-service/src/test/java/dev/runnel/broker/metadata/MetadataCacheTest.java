package dev.runnel.broker.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.cluster.UpdateMetadataRequest;

class MetadataCacheTest {

    private static final BrokerInfo BROKER_1 = new BrokerInfo(1, "127.0.0.1", 9092, 8081, "rack-a", 11);
    private static final BrokerInfo BROKER_2 = new BrokerInfo(2, "127.0.0.1", 9093, 8082, null, 12);
    private static final BrokerInfo BROKER_3 = new BrokerInfo(3, "127.0.0.1", 9094, 8083, "rack-b", 13);

    private static final long BROKER_EPOCH = 11;

    private final MetadataCache cache = new MetadataCache();

    private static TopicInfo topic(String name, int leader, int leaderEpoch) {
        return new TopicInfo(name, UUID.nameUUIDFromBytes(name.getBytes()), Map.of(), List.of(new PartitionInfo(0,
                List.of(1, 2), new PartitionState(leader, leaderEpoch, List.of(1, 2), leaderEpoch))));
    }

    private long version;

    private UpdateMetadataRequest full(int controllerEpoch, List<BrokerInfo> brokers, TopicInfo... topics) {
        return new UpdateMetadataRequest(7, controllerEpoch, BROKER_EPOCH, ++version, true, brokers, List.of(topics),
                List.of());
    }

    private UpdateMetadataRequest incremental(int controllerEpoch, List<BrokerInfo> brokers,
            List<TopicInfo> topics, List<String> deleted) {
        return new UpdateMetadataRequest(7, controllerEpoch, BROKER_EPOCH, ++version, false, brokers, topics, deleted);
    }

    @Test
    void aNewCacheIsEmpty() {
        assertThat(cache.snapshot()).isSameAs(MetadataCache.Snapshot.EMPTY);
        assertThat(cache.snapshot().controllerId()).isEqualTo(-1);
        assertThat(cache.snapshot().topics()).isEmpty();
        assertThat(cache.liveBrokers()).isEmpty();
        assertThat(cache.snapshot().topic("orders")).isEmpty();
    }

    @Test
    void aFullUpdateReplacesTheWholeView() {
        cache.apply(full(1, List.of(BROKER_1, BROKER_2), topic("orders", 1, 0), topic("payments", 2, 0)));

        MetadataCache.Snapshot view = cache.apply(full(2, List.of(BROKER_3), topic("invoices", 3, 0))).orElseThrow();

        assertThat(view).isSameAs(cache.snapshot());
        assertThat(view.controllerId()).isEqualTo(7);
        assertThat(view.controllerEpoch()).isEqualTo(2);
        assertThat(view.topics()).containsOnlyKeys("invoices");
        assertThat(view.brokers()).containsOnlyKeys(3);
        assertThat(view.topic("orders")).isEmpty();
        assertThat(view.topic("invoices")).contains(topic("invoices", 3, 0));
    }

    @Test
    void anIncrementalUpdateReplacesTheTopicsItListsAndKeepsTheOthers() {
        cache.apply(full(1, List.of(BROKER_1, BROKER_2), topic("orders", 1, 0), topic("payments", 2, 0)));

        MetadataCache.Snapshot view = cache.apply(incremental(1, List.of(BROKER_1, BROKER_2),
                List.of(topic("orders", 2, 1), topic("invoices", 1, 0)), List.of())).orElseThrow();

        assertThat(view.topics()).containsOnlyKeys("orders", "payments", "invoices");
        assertThat(view.topic("orders")).contains(topic("orders", 2, 1));
        assertThat(view.topic("payments")).contains(topic("payments", 2, 0));
        assertThat(view.topic("invoices")).contains(topic("invoices", 1, 0));
    }

    @Test
    void anIncrementalUpdateRemovesTheDeletedTopics() {
        cache.apply(full(1, List.of(BROKER_1), topic("orders", 1, 0), topic("payments", 1, 0)));

        MetadataCache.Snapshot view = cache.apply(incremental(1, List.of(BROKER_1), List.of(),
                List.of("payments", "never-existed"))).orElseThrow();

        assertThat(view.topics()).containsOnlyKeys("orders");
    }

    @Test
    void aTopicDeletedAndCreatedAgainInOneIncrementalUpdateIsKeptInItsNewForm() {
        cache.apply(full(1, List.of(BROKER_1), topic("orders", 1, 4)));
        TopicInfo recreated = new TopicInfo("orders", UUID.randomUUID(), Map.of(), topic("orders", 1, 0).partitions());

        MetadataCache.Snapshot view = cache.apply(incremental(2, List.of(BROKER_1), List.of(recreated),
                List.of("orders"))).orElseThrow();

        assertThat(view.topic("orders")).contains(recreated);
    }

    @Test
    void theLiveBrokersAreAlwaysReplacedEvenByAnIncrementalUpdate() {
        cache.apply(full(1, List.of(BROKER_1, BROKER_2, BROKER_3), topic("orders", 1, 0)));

        cache.apply(incremental(1, List.of(BROKER_3, BROKER_1), List.of(), List.of()));

        assertThat(cache.snapshot().brokers()).containsOnlyKeys(1, 3);
        assertThat(cache.liveBrokers()).containsExactlyInAnyOrder(BROKER_1, BROKER_3);
        assertThat(cache.snapshot().topics()).containsOnlyKeys("orders");
    }

    @Test
    void anIncrementalUpdateRecordsTheSendersControllerIdAndEpoch() {
        cache.apply(full(1, List.of(BROKER_1)));

        cache.apply(new UpdateMetadataRequest(8, 3, BROKER_EPOCH, 1, false, List.of(BROKER_1), List.of(),
                List.of()));

        assertThat(cache.snapshot().controllerId()).isEqualTo(8);
        assertThat(cache.snapshot().controllerEpoch()).isEqualTo(3);
    }

    @Test
    void anEarlierSnapshotIsNotChangedByLaterUpdates() {
        MetadataCache.Snapshot first = cache.apply(full(1, List.of(BROKER_1), topic("orders", 1, 0))).orElseThrow();

        cache.apply(incremental(2, List.of(BROKER_2), List.of(topic("payments", 2, 0)), List.of("orders")));

        assertThat(first.topics()).containsOnlyKeys("orders");
        assertThat(first.brokers()).containsOnlyKeys(1);
        assertThat(first.controllerEpoch()).isEqualTo(1);
    }

    @Test
    void snapshotsCannotBeModified() {
        MetadataCache.Snapshot view = cache.apply(full(1, List.of(BROKER_1), topic("orders", 1, 0))).orElseThrow();

        assertThatThrownBy(() -> view.topics().remove("orders")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> view.brokers().put(2, BROKER_2)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> cache.liveBrokers().add(BROKER_2)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void anUpdateOfAnOlderVersionInTheSameControllerEpochIsIgnored() {
        UpdateMetadataRequest older = full(3, List.of(BROKER_1), topic("orders", 1, 0));
        cache.apply(incremental(3, List.of(BROKER_1), List.of(topic("payments", 1, 0)), List.of()));

        assertThat(cache.apply(older)).isEmpty();

        assertThat(cache.snapshot().topics()).containsOnlyKeys("payments");
        assertThat(cache.snapshot().metadataVersion()).isEqualTo(2);
    }

    @Test
    void aRepeatedUpdateIsIgnored() {
        UpdateMetadataRequest update = full(3, List.of(BROKER_1), topic("orders", 1, 0));
        MetadataCache.Snapshot first = cache.apply(update).orElseThrow();

        assertThat(cache.apply(update)).isEmpty();
        assertThat(cache.snapshot()).isSameAs(first);
    }

    @Test
    void anUpdateOfAnOlderControllerEpochIsIgnoredWhateverItsVersion() {
        cache.apply(full(4, List.of(BROKER_1), topic("orders", 1, 0)));

        assertThat(cache.apply(new UpdateMetadataRequest(7, 3, BROKER_EPOCH, 1_000, true, List.of(BROKER_2),
                List.of(), List.of()))).isEmpty();

        assertThat(cache.snapshot().controllerEpoch()).isEqualTo(4);
        assertThat(cache.snapshot().topics()).containsOnlyKeys("orders");
    }

    @Test
    void aNewControllerEpochIsAppliedEvenWithALowerVersion() {
        version = 50;
        cache.apply(full(4, List.of(BROKER_1), topic("orders", 1, 0)));

        version = 0;
        assertThat(cache.apply(full(5, List.of(BROKER_1), topic("payments", 1, 0)))).isPresent();

        assertThat(cache.snapshot().controllerEpoch()).isEqualTo(5);
        assertThat(cache.snapshot().metadataVersion()).isEqualTo(1);
    }

    @Test
    void listenersHearOfEveryAppliedViewAndNotOfIgnoredOnes() {
        List<MetadataCache.Snapshot> heard = new ArrayList<>();
        cache.onUpdate(heard::add);
        UpdateMetadataRequest first = full(1, List.of(BROKER_1), topic("orders", 1, 0));

        cache.apply(first);
        cache.apply(incremental(1, List.of(BROKER_1), List.of(topic("payments", 1, 0)), List.of()));
        cache.apply(first);

        assertThat(heard).extracting(MetadataCache.Snapshot::metadataVersion).containsExactly(1L, 2L);
    }

    @Test
    void onlyAFullViewForTheGivenRegistrationCounts() {
        assertThat(cache.hasFullViewFor(BROKER_EPOCH)).isFalse();
        cache.apply(incremental(1, List.of(BROKER_1), List.of(topic("orders", 1, 0)), List.of()));
        assertThat(cache.hasFullViewFor(BROKER_EPOCH)).isFalse();

        cache.apply(full(1, List.of(BROKER_1), topic("orders", 1, 0)));

        assertThat(cache.hasFullViewFor(BROKER_EPOCH)).isTrue();
        assertThat(cache.hasFullViewFor(BROKER_EPOCH + 1)).isFalse();
        assertThat(cache.hasFullViewFor(-1)).isFalse();
    }
}
