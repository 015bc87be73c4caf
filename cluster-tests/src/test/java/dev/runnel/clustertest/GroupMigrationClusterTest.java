package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.ThrowingRunnable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka's rolling upgrade of a consumer group from the classic protocol to the consumer protocol
 * (KIP-848's online migration), with unmodified kafka-clients 4.4 consumers in JVMs of their own
 * ({@link GroupConsumerMain}) against three in-JVM brokers: two classic consumers split 6
 * partitions; a third with {@code group.protocol=consumer} joins, which makes the group a consumer
 * group, and all three split the partitions, the classic ones getting theirs through JoinGroup and
 * SyncGroup; then the classic ones are stopped one by one, each replaced by a consumer-protocol
 * one. And back: consumer-protocol members replaced by classic ones until the last leaves, which
 * makes the group a classic group again (the downgrade). Every record is processed, and a record
 * is processed again only in a partition that moved, at most a batch per move. {@code Admin.describeConsumerGroups} (what {@code kafka-consumer-groups
 * --describe} shows) tells the group's type and members along the way.
 */
class GroupMigrationClusterTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final int SESSION_TIMEOUT_MS = 6_000;
    private static final int PARTITIONS = 6;
    /** GroupConsumerMain's max.poll.records: at most this many records are processed again per move. */
    private static final int BATCH = 200;
    private static final String TOPIC = "orders";
    private static final String GROUP = "orders-service";

    @TempDir
    Path dir;

    private InJvmCluster cluster;
    private Admin admin;
    private KafkaProducer<byte[], byte[]> producer;
    private final List<GroupConsumerProcess> consumers = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (GroupConsumerProcess c : consumers) {
            c.close();
        }
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

    private void startCluster() throws Exception {
        cluster = new InJvmCluster();
        cluster.startControllerAndBrokers(3, "--runnel.broker.group.consumer.heartbeat-interval=1s",
                "--runnel.broker.group.initial-rebalance-delay=500ms", "--runnel.broker.group.min-session-timeout=1s",
                "--runnel.broker.offsets-topic.partitions=6");
        admin = KafkaClients.admin(cluster.bootstrap(1, 2, 3));
        producer = KafkaClients.producer(cluster.bootstrap(1, 2, 3), Map.of("metadata.max.age.ms", 5_000));
        admin.createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 3))).all().get(30, TimeUnit.SECONDS);
        produce(100);
    }

    @Test
    void aClassicGroupIsUpgradedOnlineByAConsumerProtocolMemberAndRolledOverToTheConsumerProtocol() throws Exception {
        startCluster();

        GroupConsumerProcess c1 = start("classic-1", "classic");
        GroupConsumerProcess c2 = start("classic-2", "classic");
        awaitAssignment("two classic consumers own 3 partitions each", List.of(c1, c2), 3);
        awaitAllCommitted();
        assertThat(KafkaClients.describeGroup(admin, GROUP).type()).isEqualTo(GroupType.CLASSIC);

        // The online upgrade: a consumer-protocol member joins the classic group.
        GroupConsumerProcess n1 = start("consumer-1", "consumer");
        awaitAssignment("classic and consumer-protocol members own 2 partitions each", List.of(c1, c2, n1), 2);
        awaitOrExplain("the group is a consumer group of three", () -> {
            ConsumerGroupDescription described = KafkaClients.describeGroup(admin, GROUP);
            assertThat(described.type()).isEqualTo(GroupType.CONSUMER);
            assertThat(described.members()).hasSize(3);
            assertThat(described.members()).extracting(MemberDescription::upgraded).as("classic, classic, consumer")
                    .containsExactlyInAnyOrder(Optional.of(false), Optional.of(false), Optional.of(true));
            Set<Integer> assigned = new HashSet<>();
            for (MemberDescription m : described.members()) {
                m.assignment().topicPartitions().forEach(tp -> assigned.add(tp.partition()));
            }
            assertThat(assigned).hasSize(PARTITIONS);
        });
        produce(100);
        awaitAllCommitted();

        // The rolling upgrade: each classic consumer stops and a consumer-protocol one takes its place.
        c1.close();
        GroupConsumerProcess n2 = start("consumer-2", "consumer");
        awaitAssignment("one classic consumer left among three", List.of(c2, n1, n2), 2);
        produce(100);
        awaitAllCommitted();
        c2.close();
        GroupConsumerProcess n3 = start("consumer-3", "consumer");
        awaitAssignment("three consumer-protocol members", List.of(n1, n2, n3), 2);
        produce(100);
        awaitAllCommitted();

        ConsumerGroupDescription described = KafkaClients.describeGroup(admin, GROUP);
        assertThat(described.type()).isEqualTo(GroupType.CONSUMER);
        assertThat(described.members()).hasSize(3);
        assertThat(described.members()).allMatch(m -> m.memberEpoch().isPresent());
        assertProcessedOnceButAtMostABatchPerMove(5);
    }

    @Test
    void aConsumerGroupRolledBackToTheClassicProtocolBecomesAClassicGroupWhenItsLastConsumerProtocolMemberLeaves()
            throws Exception {
        startCluster();
        GroupConsumerProcess n1 = start("consumer-1", "consumer");
        GroupConsumerProcess n2 = start("consumer-2", "consumer");
        awaitAssignment("two consumer-protocol members own 3 partitions each", List.of(n1, n2), 3);
        awaitAllCommitted();

        // Rolling back: each consumer-protocol member is replaced by a classic one.
        n1.close();
        GroupConsumerProcess c1 = start("classic-1", "classic");
        awaitAssignment("a classic member in the consumer group", List.of(n2, c1), 3);
        assertThat(KafkaClients.describeGroup(admin, GROUP).type()).isEqualTo(GroupType.CONSUMER);
        produce(100);
        awaitAllCommitted();
        GroupConsumerProcess c2 = start("classic-2", "classic");
        awaitAssignment("two classic members and one consumer-protocol one", List.of(n2, c1, c2), 2);
        n2.close(); // the last consumer-protocol member: the group becomes a classic group and rebalances
        awaitAssignment("the classic group's two members", List.of(c1, c2), 3);
        awaitOrExplain("the group is a classic group again", () -> {
            ConsumerGroupDescription described = KafkaClients.describeGroup(admin, GROUP);
            assertThat(described.type()).isEqualTo(GroupType.CLASSIC);
            assertThat(described.members()).hasSize(2);
        });
        produce(100);
        awaitAllCommitted();
        assertProcessedOnceButAtMostABatchPerMove(4);
    }

    // ---------------------------------------------------------------- helpers

    private GroupConsumerProcess start(String name, String protocol) throws Exception {
        GroupConsumerProcess c = GroupConsumerProcess.start(name, dir, cluster.bootstrap(1, 2, 3), GROUP, TOPIC,
                SESSION_TIMEOUT_MS, protocol);
        consumers.add(c);
        return c;
    }

    private void produce(int perPartition) throws Exception {
        List<Future<?>> sent = new ArrayList<>();
        for (int i = 0; i < perPartition; i++) {
            for (int p = 0; p < PARTITIONS; p++) {
                sent.add(producer.send(new ProducerRecord<>(TOPIC, p, KafkaClients.bytes("k" + i),
                        KafkaClients.bytes("v" + i))));
            }
        }
        for (Future<?> f : sent) {
            f.get(60, TimeUnit.SECONDS);
        }
    }

    private void awaitAssignment(String what, List<GroupConsumerProcess> members, int each) {
        awaitOrExplain(what, () -> {
            List<Integer> all = new ArrayList<>();
            for (GroupConsumerProcess m : members) {
                assertThat(m.isAlive()).as(m.name() + " is running").isTrue();
                assertThat(m.assignment()).as(m.name() + "'s assignment").hasSize(each);
                all.addAll(m.assignment());
            }
            assertThat(all).as("together, once each")
                    .containsExactlyInAnyOrderElementsOf(IntStream.range(0, PARTITIONS).boxed().toList());
        });
    }

    private void awaitAllCommitted() {
        awaitOrExplain(GROUP + " committed everything", () -> assertThat(KafkaClients.committedOffsets(admin, GROUP))
                .containsAllEntriesOf(KafkaClients.endOffsets(admin, TOPIC, PARTITIONS)));
    }

    /**
     * Every record was processed; records processed again (a partition moved between a member's
     * processing and its commit) are at most a batch per membership change.
     */
    private void assertProcessedOnceButAtMostABatchPerMove(int moves) throws Exception {
        Map<TopicPartition, Long> ends = KafkaClients.endOffsets(admin, TOPIC, PARTITIONS);
        long processed = 0;
        long duplicates = 0;
        for (int p = 0; p < PARTITIONS; p++) {
            BitSet seen = new BitSet();
            for (GroupConsumerProcess m : consumers) {
                for (long offset : m.processed().getOrDefault(p, List.of())) {
                    processed++;
                    if (seen.get((int) offset)) {
                        duplicates++;
                    }
                    seen.set((int) offset);
                }
            }
            long end = ends.get(new TopicPartition(TOPIC, p));
            assertThat(seen.nextClearBit(0)).as("first offset of %s-%d nobody processed (log end %d)", TOPIC, p, end)
                    .isGreaterThanOrEqualTo((int) end);
        }
        System.out.printf("MIGRATION %d records processed, %d of them again over %d membership changes%n", processed,
                duplicates, moves);
        assertThat(duplicates).as("processed again: at most a batch per move").isLessThanOrEqualTo((long) BATCH * moves);
    }

    private void awaitOrExplain(String what, ThrowingRunnable assertion) {
        try {
            await(what).atMost(DEADLINE).pollInterval(Duration.ofMillis(250)).ignoreExceptions().untilAsserted(assertion);
        } catch (ConditionTimeoutException e) {
            StringBuilder tails = new StringBuilder();
            consumers.forEach(c -> tails.append('\n').append(c.logTail()));
            throw new AssertionError(e.getMessage() + "\n" + tails, e);
        }
    }
}
