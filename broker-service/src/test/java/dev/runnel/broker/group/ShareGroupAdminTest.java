package dev.runnel.broker.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executor;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.runnel.broker.config.ShareGroupConfigs;
import dev.runnel.broker.sharestate.ShareStatePersister;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

/**
 * A share group for admins: ListGroups and the operators' description, DeleteGroups (with its
 * share partitions' state), and DescribeShareGroupOffsets, AlterShareGroupOffsets and
 * DeleteShareGroupOffsets over an in-memory {@link ShareStatePersister}.
 */
@Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ShareGroupAdminTest {

    static final String GROUP = "invoices";
    static final UUID ORDERS = ConsumerGroupCoordinatorTest.ORDERS;
    static final UUID PAYMENTS = ConsumerGroupCoordinatorTest.PAYMENTS;
    static final GroupSettings SETTINGS = GroupCoordinatorTest.SETTINGS;
    static final Executor DIRECT = Runnable::run;
    static final ShareGroupConfigs CONFIGS = groupId -> ShareGroupCoordinatorTest.DEFAULTS;

    final ManualClock clock = new ManualClock(1_000_000);
    final ManualScheduler scheduler = new ManualScheduler(clock);
    final FakeGroupLog log = new FakeGroupLog();
    final InMemoryShareStatePersister persister = new InMemoryShareStatePersister();
    final Map<String, Long> highWatermarks = new HashMap<>();
    final Map<String, TopicsView.Topic> topics = new HashMap<>();
    final TopicsView view = new TopicsView() {
        @Override
        public Optional<Topic> byName(String name) {
            return Optional.ofNullable(topics.get(name));
        }

        @Override
        public Optional<Topic> byId(UUID id) {
            return topics.values().stream().filter(t -> t.id().equals(id)).findFirst();
        }

        @Override
        public Collection<String> names() {
            return List.copyOf(topics.keySet());
        }
    };
    GroupMetadataManager manager;
    GroupCoordinator classic;
    ShareGroupCoordinator coordinator;
    ShareGroupOffsets offsets;
    GroupAdmin admin;

    @BeforeEach
    void start() {
        topics.put("orders", new TopicsView.Topic(ORDERS, "orders", 3));
        topics.put("payments", new TopicsView.Topic(PAYMENTS, "payments", 2));
        startCoordinator();
    }

    void startCoordinator() {
        manager = new GroupMetadataManager(log, clock, DIRECT, DIRECT, SETTINGS, SETTINGS::offsetsTopicPartitions);
        classic = new GroupCoordinator(manager, clock, scheduler);
        coordinator = new ShareGroupCoordinator(classic, clock, scheduler, view, CONFIGS, () -> persister, 200);
        offsets = new ShareGroupOffsets(classic, view, () -> persister,
                (topic, partition) -> CompletableFuture.completedFuture(
                        highWatermarks.getOrDefault(topic + "-" + partition, -1L)));
        admin = new GroupAdmin(classic, offsets);
        for (int p = 0; p < SETTINGS.offsetsTopicPartitions(); p++) {
            manager.becameLeader(p);
        }
    }

    void failover() {
        for (int p = 0; p < SETTINGS.offsetsTopicPartitions(); p++) {
            manager.resigned(p);
        }
        startCoordinator();
    }

    ShareHeartbeatResult joins(String memberId, String... topicNames) {
        return coordinator.heartbeat(new ShareHeartbeat(GROUP, memberId, 0, null, List.of(topicNames), "c", "/h")).join();
    }

    void leaves(String memberId) {
        assertThat(coordinator.heartbeat(new ShareHeartbeat(GROUP, memberId, -1, null, null, "c", "/h")).join().error())
                .isEqualTo(Errors.NONE);
    }

    static ShareStatePersister.Key key(UUID topic, int partition) {
        return ShareGroupOffsets.key(GROUP, topic, partition);
    }

    /** A group that was assigned orders and payments, and is empty now. */
    void anEmptyGroupWithState() {
        joins("a", "orders", "payments");
        leaves("a");
        assertThat(persister.states).as("initialized when first assigned").hasSize(5);
        persister.calls.clear();
    }

    // ---------------------------------------------------------------- ListGroups, the operators' description

    @Test
    void aShareGroupIsListedAsShareWithItsState() {
        joins("a", "orders");
        assertThat(admin.list().join()).extracting(GroupAdmin.Listing::groupId, GroupAdmin.Listing::type,
                GroupAdmin.Listing::state, GroupAdmin.Listing::protocolType).containsExactly(
                        tuple(GROUP, "share", "Stable", "share"));
        leaves("a");
        assertThat(admin.list().join()).extracting(GroupAdmin.Listing::state).containsExactly("Empty");

        GroupAdmin.Description d = admin.describe(GROUP).join();
        assertThat(d.isShareGroup()).isTrue();
        assertThat(d.stateName()).isEqualTo("Empty");
        assertThat(d.generationId()).as("joined, state initialized, left").isEqualTo(3);
    }

    // ---------------------------------------------------------------- DeleteGroups

    @Test
    void anEmptyShareGroupIsDeletedWithEveryShareStateItHadAndStaysDeletedAfterALoad() {
        joins("a", "orders", "payments");
        persister.initialize(key(ORDERS, 1), 0, 10).join();
        assertThat(admin.delete(GROUP).join()).isEqualTo(Errors.NON_EMPTY_GROUP);
        assertThat(persister.calls()).noneMatch(c -> c.startsWith("delete"));
        leaves("a");

        assertThat(admin.delete(GROUP).join()).isEqualTo(Errors.NONE);

        assertThat(persister.calls()).filteredOn(c -> c.startsWith("delete")).containsExactlyInAnyOrder(
                "delete " + key(ORDERS, 0), "delete " + key(ORDERS, 1), "delete " + key(ORDERS, 2),
                "delete " + key(PAYMENTS, 0), "delete " + key(PAYMENTS, 1));
        assertThat(persister.states).isEmpty();
        assertThat(manager.group(GROUP)).isNull();
        failover();
        assertThat(manager.group(GROUP)).as("nothing comes back").isNull();
        assertThat(joins("a", "orders").memberEpoch()).as("a new group starts at epoch 1").isEqualTo(1);
    }

    @Test
    void aShareGroupWhoseStateCannotBeDeletedIsKept() {
        anEmptyGroupWithState();
        persister.failWith = Errors.COORDINATOR_NOT_AVAILABLE;

        assertThat(admin.delete(GROUP).join()).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
        assertThat(manager.group(GROUP).share()).isNotNull();
    }

    // ---------------------------------------------------------------- DescribeShareGroupOffsets

    @Test
    void describingEveryOffsetShowsThePartitionsTheGroupHasStateForWithTheirLag() {
        anEmptyGroupWithState();
        persister.write(key(ORDERS, 1), new ShareStatePersister.ShareState(2, 7, 100, 5, List.of())).join();
        highWatermarks.put("orders-1", 130L);

        ShareGroupOffsets.GroupOffsets described = offsets.describe(GROUP, null).join();

        assertThat(described.error()).isEqualTo(Errors.NONE);
        assertThat(described.topics()).extracting(ShareGroupOffsets.TopicOffsets::topic)
                .containsExactlyInAnyOrder("orders", "payments");
        ShareGroupOffsets.TopicOffsets orders = described.topics().stream().filter(t -> t.topic().equals("orders"))
                .findFirst().orElseThrow();
        assertThat(orders.topicId()).isEqualTo(ORDERS);
        assertThat(orders.partitions()).containsExactly(
                new ShareGroupOffsets.PartitionOffsets(0, -1, -1, -1, Errors.NONE, null),
                new ShareGroupOffsets.PartitionOffsets(1, 100, 7, 130 - 100 - 5, Errors.NONE, null),
                new ShareGroupOffsets.PartitionOffsets(2, -1, -1, -1, Errors.NONE, null));
    }

    @Test
    void describingNamedPartitionsAnswersUnknownOnesWithAnErrorEach() {
        anEmptyGroupWithState();
        persister.write(key(PAYMENTS, 0), new ShareStatePersister.ShareState(1, 3, 42, 0, List.of())).join();
        Map<String, List<Integer>> wanted = new LinkedHashMap<>();
        wanted.put("payments", List.of(0, 5));
        wanted.put("nope", List.of(0));

        ShareGroupOffsets.GroupOffsets described = offsets.describe(GROUP, wanted).join();

        assertThat(described.topics()).hasSize(2);
        assertThat(described.topics().get(0).partitions()).containsExactly(
                new ShareGroupOffsets.PartitionOffsets(0, 42, 3, -1, Errors.NONE, null),
                new ShareGroupOffsets.PartitionOffsets(5, -1, -1, -1, Errors.UNKNOWN_TOPIC_OR_PARTITION, null));
        assertThat(described.topics().get(1).topicId()).isNull();
        assertThat(described.topics().get(1).partitions()).extracting(ShareGroupOffsets.PartitionOffsets::error)
                .containsExactly(Errors.UNKNOWN_TOPIC_OR_PARTITION);
        assertThat(offsets.describe("nobody", null).join().error()).isEqualTo(Errors.GROUP_ID_NOT_FOUND);
    }

    // ---------------------------------------------------------------- AlterShareGroupOffsets

    @Test
    void alteringInitializesEachPartitionAtTheNextStateEpochOnlyWhileTheGroupIsEmpty() {
        joins("a", "payments");
        persister.write(key(PAYMENTS, 0), new ShareStatePersister.ShareState(4, 2, 10, 0, List.of())).join();
        ShareGroupOffsets.Result busy = offsets.alter(GROUP, Map.of("payments", Map.of(0, 50L))).join();
        assertThat(busy.error()).isEqualTo(Errors.NON_EMPTY_GROUP);
        assertThat(persister.states.get(key(PAYMENTS, 0)).startOffset()).isEqualTo(10);
        leaves("a");

        ShareGroupOffsets.Result altered = offsets.alter(GROUP, Map.of("payments", Map.of(0, 50L, 1, 60L, 9, 1L),
                "orders", Map.of(2, 5L))).join();

        assertThat(altered.error()).isEqualTo(Errors.NONE);
        assertThat(persister.states.get(key(PAYMENTS, 0))).isEqualTo(new ShareStatePersister.ShareState(5, -1, 50, 0,
                List.of()));
        assertThat(persister.states.get(key(PAYMENTS, 1)).stateEpoch()).isEqualTo(1);
        assertThat(persister.states.get(key(ORDERS, 2)).startOffset()).isEqualTo(5);
        ShareGroupOffsets.TopicResult payments = altered.topics().stream().filter(t -> t.topic().equals("payments"))
                .findFirst().orElseThrow();
        assertThat(payments.partitions()).extracting(ShareGroupOffsets.PartitionResult::partition,
                ShareGroupOffsets.PartitionResult::error).containsExactly(
                        tuple(0, Errors.NONE),
                        tuple(1, Errors.NONE),
                        tuple(9, Errors.UNKNOWN_TOPIC_OR_PARTITION));
        assertThat(manager.group(GROUP).share().initialized()).as("orders joins the group's state partitions")
                .containsOnlyKeys(ORDERS, PAYMENTS);
        failover();
        assertThat(manager.group(GROUP).share().initialized().get(ORDERS).partitions()).containsExactly(2);
    }

    @Test
    void alteringAGroupThatIsNoShareGroupChangesNothing() {
        assertThat(offsets.alter("nobody", Map.of("orders", Map.of(0, 1L))).join().error())
                .isEqualTo(Errors.GROUP_ID_NOT_FOUND);
        anEmptyGroupWithState();
        ShareGroupOffsets.Result negative = offsets.alter(GROUP, Map.of("orders", Map.of(0, -5L))).join();
        assertThat(negative.topics().get(0).partitions().get(0).error()).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(persister.calls()).isEmpty();
    }

    // ---------------------------------------------------------------- DeleteShareGroupOffsets

    @Test
    void deletingATopicsOffsetsDeletesItsSharePartitionsStateAndForgetsIt() {
        anEmptyGroupWithState();
        persister.initialize(key(ORDERS, 0), 1, 7).join();

        ShareGroupOffsets.Result deleted = offsets.delete(GROUP, List.of("orders", "nope")).join();

        assertThat(deleted.error()).isEqualTo(Errors.NONE);
        assertThat(deleted.topics()).extracting(ShareGroupOffsets.TopicResult::topic, ShareGroupOffsets.TopicResult::error)
                .containsExactly(tuple("nope", Errors.UNKNOWN_TOPIC_OR_PARTITION),
                        tuple("orders", Errors.NONE));
        assertThat(persister.states).doesNotContainKey(key(ORDERS, 0));
        assertThat(persister.calls()).filteredOn(c -> c.startsWith("delete")).hasSize(3);
        assertThat(manager.group(GROUP).share().initialized()).containsOnlyKeys(PAYMENTS);
        failover();
        assertThat(manager.group(GROUP).share().initialized()).containsOnlyKeys(PAYMENTS);
        assertThat(offsets.delete(GROUP, List.of("orders")).join().topics().get(0).error())
                .as("nothing left of orders").isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
    }

    @Test
    void deletingOffsetsOfAGroupWithMembersIsRefused() {
        joins("a", "orders");
        ShareGroupOffsets.Result refused = offsets.delete(GROUP, List.of("orders")).join();
        assertThat(refused.error()).isEqualTo(Errors.NON_EMPTY_GROUP);
        assertThat(persister.calls()).noneMatch(c -> c.startsWith("delete"));
    }

    @Test
    void withoutAPersisterTheOffsetsApisAnswerCoordinatorNotAvailable() {
        ShareGroupOffsets none = new ShareGroupOffsets(classic, view, () -> null,
                (t, p) -> CompletableFuture.completedFuture(-1L));
        anEmptyGroupWithState();
        assertThat(none.describe(GROUP, null).join().error()).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
        assertThat(none.delete(GROUP, List.of("orders")).join().error()).isEqualTo(Errors.COORDINATOR_NOT_AVAILABLE);
        assertThat(new Uuid(ORDERS.getMostSignificantBits(), ORDERS.getLeastSignificantBits()))
                .isEqualTo(key(ORDERS, 0).topicId());
    }
}
