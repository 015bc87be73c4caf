package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.ThrowingRunnable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Consumer groups end to end, with real processes: a controller and three brokers from the built
 * jars, and consumers that are unmodified {@link KafkaConsumer}s in JVMs of their own
 * ({@link GroupConsumerMain}) that commit after processing. Consumers come, and one is
 * {@code kill -9}ed; two groups read one topic; the broker coordinating a group is
 * {@code kill -9}ed while its members commit. Every record is processed at least once and none is
 * skipped.
 *
 * <p>The brokers run with a short initial rebalance delay and a 1 s minimum session timeout so
 * that a rebalance takes seconds, not the production defaults' tens of seconds.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsumerGroupProcessTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final int SESSION_TIMEOUT_MS = 6_000;
    private static final String[] BROKER_ARGS = {"--runnel.broker.group.initial-rebalance-delay=500ms",
        "--runnel.broker.group.min-session-timeout=1s", "--runnel.broker.offsets-topic.partitions=12"};

    private ProcessCluster cluster;
    private Admin admin;
    private KafkaProducer<byte[], byte[]> producer;
    private final List<GroupConsumerProcess> consumers = new ArrayList<>();

    @BeforeAll
    void startCluster() throws Exception {
        cluster = new ProcessCluster("groups");
        cluster.startController(1);
        for (int id = 1; id <= 3; id++) {
            cluster.startBroker(id, BROKER_ARGS);
        }
        admin = KafkaClients.admin(cluster.bootstrap());
        producer = KafkaClients.producer(cluster.bootstrap(), Map.of("metadata.max.age.ms", 5_000));
        awaitOrExplain("three brokers in the metadata", () -> assertThat(
                admin.describeCluster().nodes().get(10, TimeUnit.SECONDS)).hasSize(3));
    }

    @AfterEach
    void stopConsumers() throws InterruptedException {
        for (GroupConsumerProcess consumer : consumers) {
            consumer.close();
        }
        consumers.clear();
    }

    @AfterAll
    void stopCluster() throws Exception {
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    @Order(1)
    void consumersSplitThePartitionsRebalanceWhenOneJoinsAndTakeOverFromOneKilled() throws Exception {
        String topic = "orders";
        String group = "orders-service";
        createTopic(topic, 12);
        produce(topic, 12, 100);

        GroupConsumerProcess c1 = startConsumer("c1", group, topic);
        GroupConsumerProcess c2 = startConsumer("c2", group, topic);
        GroupConsumerProcess c3 = startConsumer("c3", group, topic);
        awaitAssignment("three consumers hold 4 partitions each", 12, List.of(c1, c2, c3), 4);
        awaitAllCommitted(group, topic, 12);

        GroupConsumerProcess c4 = startConsumer("c4", group, topic);
        awaitAssignment("a fourth consumer joined: 3 partitions each", 12, List.of(c1, c2, c3, c4), 3);
        ConsumerGroupDescription described = KafkaClients.describeGroup(admin, group);
        assertThat(described.groupState()).isEqualTo(GroupState.STABLE);
        assertThat(described.members()).hasSize(4);

        // c2 dies in the middle of its work, without leaving the group.
        int before = processedCount(c2);
        produce(topic, 12, 300);
        await("c2 processes part of the new records").atMost(DEADLINE).pollInterval(Duration.ofMillis(20))
                .until(() -> processedCount(c2) > before + 100);
        long killed = System.nanoTime();
        c2.kill();
        Set<Integer> orphaned = c2.assignment();
        produce(topic, 12, 100);

        awaitAssignment("the three left hold 4 partitions each again", 12, List.of(c1, c3, c4), 4);
        System.out.printf("c2's partitions %s moved %.1f s after kill -9 (session timeout %d ms)%n", orphaned,
                (System.nanoTime() - killed) / 1e9, SESSION_TIMEOUT_MS);
        awaitAllCommitted(group, topic, 12);
        assertEveryRecordProcessed(topic, 12, consumers);
        assertThat(KafkaClients.describeGroup(admin, group).members()).hasSize(3);
    }

    @Test
    @Order(2)
    void twoGroupsOnOneTopicEachGetEveryRecordAndALoneMemberGetsAllPartitions() throws Exception {
        String topic = "events";
        createTopic(topic, 6);
        produce(topic, 6, 50);

        GroupConsumerProcess audit = startConsumer("audit-1", "audit", topic);
        GroupConsumerProcess billing1 = startConsumer("billing-1", "billing", topic);
        GroupConsumerProcess billing2 = startConsumer("billing-2", "billing", topic);

        awaitAssignment("the lone member of audit holds every partition", 6, List.of(audit), 6);
        awaitAssignment("billing's two members split the partitions", 6, List.of(billing1, billing2), 3);
        produce(topic, 6, 50);
        awaitAllCommitted("audit", topic, 6);
        awaitAllCommitted("billing", topic, 6);
        assertEveryRecordProcessed(topic, 6, List.of(audit));
        assertEveryRecordProcessed(topic, 6, List.of(billing1, billing2));
        assertThat(KafkaClients.describeGroup(admin, "audit").members()).hasSize(1);
        assertThat(KafkaClients.describeGroup(admin, "billing").members()).hasSize(2);
    }

    @Test
    @Order(3)
    void theGroupFindsANewCoordinatorWhenTheOldOneIsKilledWhileItsMembersCommit() throws Exception {
        String topic = "payments";
        String group = "payments-service";
        createTopic(topic, 6);
        try (SequencedProducer load = new SequencedProducer(cluster.bootstrap(), topic, 1_000, Map.of()).start()) {
            GroupConsumerProcess p1 = startConsumer("p1", group, topic);
            GroupConsumerProcess p2 = startConsumer("p2", group, topic);
            awaitAssignment("two consumers split the partitions", 6, List.of(p1, p2), 3);
            await("the members commit").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
                    .until(() -> KafkaClients.committedOffsets(admin, group).size() == 6);

            int coordinator = KafkaClients.describeGroup(admin, group).coordinator().id();
            Map<TopicPartition, Long> beforeKill = KafkaClients.committedOffsets(admin, group);
            cluster.node("broker-" + coordinator).kill();
            System.out.printf("killed broker %d, the coordinator of %s, at committed offsets %s%n", coordinator, group,
                    beforeKill);

            awaitOrExplain("another broker coordinates the group", () -> {
                ConsumerGroupDescription now = KafkaClients.describeGroup(admin, group);
                assertThat(now.coordinator().id()).isNotEqualTo(coordinator);
                assertThat(now.groupState()).isEqualTo(GroupState.STABLE);
                assertThat(now.members()).hasSize(2);
            });
            Map<TopicPartition, Long> afterFailover = KafkaClients.committedOffsets(admin, group);
            for (Map.Entry<TopicPartition, Long> e : beforeKill.entrySet()) {
                assertThat(afterFailover.get(e.getKey())).as("committed offset of %s on the new coordinator", e.getKey())
                        .isGreaterThanOrEqualTo(e.getValue());
            }
            await("consumption goes on past the kill").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
                    .until(() -> KafkaClients.committedOffsets(admin, group).values().stream().mapToLong(Long::longValue).sum()
                            > afterFailover.values().stream().mapToLong(Long::longValue).sum() + 1_000);
            load.stop();
            assertThat(load.failed()).as("records the producer could not write").isZero();
        }
        awaitAllCommitted(group, topic, 6);
        assertEveryRecordProcessed(topic, 6, consumers);
    }

    // ---------------------------------------------------------------- helpers

    private GroupConsumerProcess startConsumer(String name, String group, String topic) throws IOException {
        GroupConsumerProcess consumer = GroupConsumerProcess.start(name, cluster.dir(), cluster.bootstrap(), group, topic,
                SESSION_TIMEOUT_MS);
        consumers.add(consumer);
        return consumer;
    }

    private void createTopic(String topic, int partitions) throws Exception {
        admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 3))).all().get(30, TimeUnit.SECONDS);
        awaitOrExplain(topic + " has leaders", () -> {
            TopicDescription described = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS)
                    .get(topic);
            assertThat(described.partitions()).hasSize(partitions).allMatch(p -> p.leader() != null && !p.leader().isEmpty());
        });
    }

    /** {@code perPartition} records into each of the topic's partitions, acknowledged by all in-sync replicas. */
    private void produce(String topic, int partitions, int perPartition) throws Exception {
        List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
        for (int i = 0; i < perPartition; i++) {
            for (int p = 0; p < partitions; p++) {
                sent.add(producer.send(new ProducerRecord<>(topic, p, KafkaClients.bytes("k" + i),
                        KafkaClients.bytes("v" + i))));
            }
        }
        for (java.util.concurrent.Future<?> f : sent) {
            f.get(60, TimeUnit.SECONDS);
        }
    }

    /** Waits until each of {@code members} holds {@code each} partitions and together they hold all {@code partitions}. */
    private void awaitAssignment(String what, int partitions, List<GroupConsumerProcess> members, int each) {
        awaitOrExplain(what, () -> {
            List<Integer> all = new ArrayList<>();
            for (GroupConsumerProcess m : members) {
                assertThat(m.isAlive()).as(m.name() + " is running").isTrue();
                Set<Integer> assigned = m.assignment();
                assertThat(assigned).as(m.name() + "'s assignment").hasSize(each);
                all.addAll(assigned);
            }
            assertThat(all).as("together, once each").containsExactlyInAnyOrderElementsOf(
                    IntStream.range(0, partitions).boxed().toList());
        });
    }

    /** Waits until the group's committed offsets are the log end offsets of every partition. */
    private void awaitAllCommitted(String group, String topic, int partitions) {
        awaitOrExplain(group + " committed everything in " + topic, () -> {
            Map<TopicPartition, Long> ends = KafkaClients.endOffsets(admin, topic, partitions);
            assertThat(KafkaClients.committedOffsets(admin, group)).containsAllEntriesOf(ends);
        });
    }

    /** Every offset below the log end of every partition was processed by one of {@code members}. */
    private void assertEveryRecordProcessed(String topic, int partitions, List<GroupConsumerProcess> members)
            throws Exception {
        Map<TopicPartition, Long> ends = KafkaClients.endOffsets(admin, topic, partitions);
        long processed = 0;
        long duplicates = 0;
        for (int p = 0; p < partitions; p++) {
            BitSet seen = new BitSet();
            for (GroupConsumerProcess m : members) {
                for (long offset : m.processed().getOrDefault(p, List.of())) {
                    processed++;
                    if (seen.get((int) offset)) {
                        duplicates++;
                    }
                    seen.set((int) offset);
                }
            }
            long end = ends.get(new TopicPartition(topic, p));
            assertThat(seen.nextClearBit(0)).as("first offset of %s-%d nobody processed (log end %d)", topic, p, end)
                    .isGreaterThanOrEqualTo((int) end);
        }
        System.out.printf("%s: %d records processed by %s, %d of them again after a rebalance%n", topic, processed,
                members.stream().map(GroupConsumerProcess::name).collect(Collectors.joining(",")), duplicates);
    }

    private static int processedCount(GroupConsumerProcess consumer) throws IOException {
        return consumer.processed().values().stream().mapToInt(List::size).sum();
    }

    private void awaitOrExplain(String what, ThrowingRunnable assertion) {
        try {
            await(what).atMost(DEADLINE).pollInterval(Duration.ofMillis(250)).ignoreExceptions().untilAsserted(assertion);
        } catch (ConditionTimeoutException e) {
            StringBuilder tails = new StringBuilder(cluster.logTails());
            consumers.forEach(c -> tails.append('\n').append(c.logTail()));
            throw new AssertionError(e.getMessage() + "\n" + tails, e);
        }
    }
}
