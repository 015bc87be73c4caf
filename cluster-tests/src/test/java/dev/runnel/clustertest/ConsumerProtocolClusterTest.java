package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.SubscriptionPattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.TopicPartition;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.core.ThrowingRunnable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The consumer group protocol (KIP-848, {@code group.protocol=consumer}) with unmodified
 * kafka-clients consumers in JVMs of their own ({@link GroupConsumerMain}, so one can be
 * {@code kill -9}ed) against three in-JVM brokers: three consumers split 12 partitions, one is
 * killed and its partitions move to the other two once its session expires, and the broker
 * coordinating the group is stopped with the group carrying on. Every record is processed, and
 * none twice but the killed consumer's last uncommitted batch. A consumer subscribing with a
 * regular expression ({@code SubscriptionPattern}) gets the partitions of the topics it matches,
 * and {@code kafka-consumer-groups} lists, describes, resets and deletes a consumer-protocol group.
 *
 * <p>Each run prints a {@code REBALANCE} line: the time from the kill until the survivors own every
 * partition again. The default build runs the consumer protocol (about 40 s); the comparison with
 * the classic protocol on the same scenario, with the same 6 s session timeout, is a JUnit
 * {@code faults-only} test (the {@code faults} profile). Timings are printed, never asserted.
 */
class ConsumerProtocolClusterTest {

    private static final Duration DEADLINE = Duration.ofSeconds(60);
    private static final int SESSION_TIMEOUT_MS = 6_000;
    private static final int PARTITIONS = 12;
    /** GroupConsumerMain's max.poll.records: at most this many records are processed again after a kill. */
    private static final int BATCH = 200;
    private static final String[] BROKER_ARGS = {
        "--runnel.broker.group.consumer.session-timeout=" + SESSION_TIMEOUT_MS + "ms",
        "--runnel.broker.group.consumer.heartbeat-interval=1s",
        "--runnel.broker.group.initial-rebalance-delay=500ms",
        "--runnel.broker.group.min-session-timeout=1s",
        "--runnel.broker.offsets-topic.partitions=6"};

    @TempDir
    Path dir;

    private InJvmCluster cluster;
    private Admin admin;
    private KafkaProducer<byte[], byte[]> producer;
    private final List<GroupConsumerProcess> consumers = new ArrayList<>();

    private void startCluster() throws IOException {
        cluster = new InJvmCluster();
        cluster.startControllerAndBrokers(3, BROKER_ARGS);
        admin = KafkaClients.admin(cluster.bootstrap(1, 2, 3));
        producer = KafkaClients.producer(cluster.bootstrap(1, 2, 3), Map.of("metadata.max.age.ms", 5_000));
    }

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

    @Test
    void threeConsumersSplitTwelvePartitionsTheirPartitionsMoveFromOneKilledAndTheGroupSurvivesItsCoordinator()
            throws Exception {
        startCluster();
        String group = "orders-service";
        List<GroupConsumerProcess> survivors = killOneOfThree("consumer", group, "orders");

        ConsumerGroupDescription described = KafkaClients.describeGroup(admin, group);
        assertThat(described.type()).isEqualTo(GroupType.CONSUMER);
        assertThat(described.groupState()).isEqualTo(GroupState.STABLE);
        assertThat(described.members()).hasSize(2);
        Set<Integer> described2 = new HashSet<>();
        for (MemberDescription m : described.members()) {
            m.assignment().topicPartitions().forEach(tp -> described2.add(tp.partition()));
            assertThat(m.memberEpoch()).isPresent();
        }
        assertThat(described2).as("kafka-consumer-groups --describe shows every partition assigned")
                .hasSize(PARTITIONS);
        Set<String> types = new HashSet<>();
        for (GroupListing listing : admin.listGroups().all().get(10, TimeUnit.SECONDS)) {
            if (listing.groupId().equals(group)) {
                types.add(listing.type().orElseThrow().toString());
            }
        }
        assertThat(types).containsExactly("Consumer");

        // The broker coordinating the group stops: another loads the group, which carries on.
        int coordinator = described.coordinator().id();
        int epoch = described.groupEpoch().orElseThrow();
        Map<TopicPartition, Long> beforeStop = KafkaClients.committedOffsets(admin, group);
        cluster.stopBroker(coordinator);
        System.out.printf("stopped broker %d, the coordinator of %s%n", coordinator, group);
        awaitOrExplain("another broker coordinates the group, with both members", () -> {
            ConsumerGroupDescription now = KafkaClients.describeGroup(admin, group);
            assertThat(now.coordinator().id()).isNotEqualTo(coordinator);
            assertThat(now.groupState()).isEqualTo(GroupState.STABLE);
            assertThat(now.members()).hasSize(2);
            assertThat(now.groupEpoch()).as("no rebalance for the move").hasValue(epoch);
        });
        Map<TopicPartition, Long> afterStop = KafkaClients.committedOffsets(admin, group);
        beforeStop.forEach((tp, offset) -> assertThat(afterStop.get(tp)).as("committed offset of %s", tp)
                .isGreaterThanOrEqualTo(offset));
        produce("orders", 50);
        awaitAllCommitted(group, "orders");
        assertProcessedOnceButTheLastBatch("orders", consumers.get(1));
        assertThat(survivors).allMatch(GroupConsumerProcess::isAlive);

        // A regular expression subscription (RE2 syntax, matched by the coordinator) gets every partition it matches.
        int[] running = cluster.brokers().keySet().stream().mapToInt(Integer::intValue).toArray();
        try (KafkaConsumer<byte[], byte[]> byPattern = KafkaClients.consumer(cluster.bootstrap(running), Map.of(
                ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer", ConsumerConfig.GROUP_ID_CONFIG, "pattern-service"))) {
            byPattern.subscribe(new SubscriptionPattern("ord.*"));
            await("the pattern's member is assigned every partition of orders").atMost(DEADLINE)
                    .until(() -> {
                        byPattern.poll(Duration.ofMillis(100));
                        return byPattern.assignment().size() == PARTITIONS;
                    });
            assertThat(KafkaClients.describeGroup(admin, "pattern-service").members().iterator().next().assignment().topicPartitions())
                    .allMatch(tp -> tp.topic().equals("orders"));
        }

        // kafka-consumer-groups itself: list, describe with lag, refuse to delete while a member is in,
        // reset offsets, delete, on a consumer-protocol group.
        KafkaCliToolsTest.consumerGroupsListDescribeResetDelete(KafkaTools.locate(dir), cluster.bootstrap(running),
                running.length, "cli-orders", "cli-service", "consumer");
    }

    @Test
    @Tag("faults-only")
    void theConsumerProtocolAgainstTheClassicOneOnTheSameKill() throws Exception {
        startCluster();
        killOneOfThree("classic", "classic-service", "classic-orders");
        for (GroupConsumerProcess c : consumers) {
            c.close();
        }
        consumers.clear();
        killOneOfThree("consumer", "consumer-service", "consumer-orders");
    }

    /**
     * Three consumers on {@code protocol} split a 12-partition topic; the second is killed while it
     * works; returns the other two once they own every partition, after printing how long that took.
     */
    private List<GroupConsumerProcess> killOneOfThree(String protocol, String group, String topic) throws Exception {
        admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 3))).all().get(30, TimeUnit.SECONDS);
        produce(topic, 100);
        int first = consumers.size();
        for (String name : List.of("c1", "c2", "c3")) {
            consumers.add(GroupConsumerProcess.start(protocol + "-" + name, dir, cluster.bootstrap(1, 2, 3), group, topic,
                    SESSION_TIMEOUT_MS, protocol));
        }
        GroupConsumerProcess c1 = consumers.get(first);
        GroupConsumerProcess c2 = consumers.get(first + 1);
        GroupConsumerProcess c3 = consumers.get(first + 2);
        awaitAssignment(protocol + ": three consumers own 4 partitions each", List.of(c1, c2, c3), 4);
        awaitAllCommitted(group, topic);

        int before = processed(c2);
        produce(topic, 300);
        await("c2 processes part of the new records").atMost(DEADLINE).pollInterval(Duration.ofMillis(20))
                .until(() -> processed(c2) > before + 100);
        long killed = System.nanoTime();
        c2.kill();
        await(protocol + ": the two left own every partition").atMost(DEADLINE).pollInterval(Duration.ofMillis(20))
                .until(() -> {
                    Set<Integer> owned = new HashSet<>(c1.assignment());
                    owned.addAll(c3.assignment());
                    return owned.size() == PARTITIONS && c1.assignment().size() + c3.assignment().size() == PARTITIONS;
                });
        double seconds = (System.nanoTime() - killed) / 1e9;
        System.out.printf("REBALANCE protocol=%s kill-9-to-all-partitions-owned=%.2f s (session timeout %d ms)%n",
                protocol, seconds, SESSION_TIMEOUT_MS);
        awaitAssignment(protocol + ": 6 partitions each", List.of(c1, c3), 6);
        awaitAllCommitted(group, topic);
        assertProcessedOnceButTheLastBatch(topic, c2);
        return List.of(c1, c3);
    }

    // ---------------------------------------------------------------- helpers

    private void produce(String topic, int perPartition) throws Exception {
        List<Future<?>> sent = new ArrayList<>();
        for (int i = 0; i < perPartition; i++) {
            for (int p = 0; p < PARTITIONS; p++) {
                sent.add(producer.send(new ProducerRecord<>(topic, p, KafkaClients.bytes("k" + i),
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

    private void awaitAllCommitted(String group, String topic) {
        awaitOrExplain(group + " committed everything in " + topic,
                () -> assertThat(KafkaClients.committedOffsets(admin, group)).containsAllEntriesOf(KafkaClients.endOffsets(admin, topic, PARTITIONS)));
    }

    /**
     * Every record of the topic was processed by its consumers, and the only records processed
     * twice are in partitions the killed consumer owned: at most its last, uncommitted batch.
     */
    private void assertProcessedOnceButTheLastBatch(String topic, GroupConsumerProcess killed) throws Exception {
        Map<TopicPartition, Long> ends = KafkaClients.endOffsets(admin, topic, PARTITIONS);
        List<GroupConsumerProcess> members = consumers.stream().filter(c -> c.name().startsWith(
                killed.name().substring(0, killed.name().lastIndexOf('-')))).toList();
        Set<Integer> killedOwned = new HashSet<>();
        killed.processed().keySet().forEach(killedOwned::add);
        long processed = 0;
        long duplicates = 0;
        for (int p = 0; p < PARTITIONS; p++) {
            BitSet seen = new BitSet();
            long again = 0;
            for (GroupConsumerProcess m : members) {
                for (long offset : m.processed().getOrDefault(p, List.of())) {
                    processed++;
                    if (seen.get((int) offset)) {
                        again++;
                    }
                    seen.set((int) offset);
                }
            }
            long end = ends.get(new TopicPartition(topic, p));
            assertThat(seen.nextClearBit(0)).as("first offset of %s-%d nobody processed (log end %d)", topic, p, end)
                    .isGreaterThanOrEqualTo((int) end);
            if (again > 0) {
                assertThat(killedOwned).as("a partition with records processed twice was the killed one's").contains(p);
            }
            duplicates += again;
        }
        System.out.printf("%s: %d records processed, %d of them again after the kill%n", topic, processed, duplicates);
        assertThat(duplicates).as("processed again: at most the killed consumer's last batch").isLessThanOrEqualTo(BATCH);
    }

    private static int processed(GroupConsumerProcess consumer) throws IOException {
        return consumer.processed().values().stream().mapToInt(List::size).sum();
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
