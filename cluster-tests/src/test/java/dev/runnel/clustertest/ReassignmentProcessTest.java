package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.PartitionReassignment;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/**
 * Issue 28's showcase of partition reassignment, with real processes: two controllers and four
 * brokers; a 12-partition RF 3 topic on brokers 1-3 moves to 2-4 with kafka-clients' Admin while
 * an idempotent acks=all producer writes and a consumer group reads and commits, and the active
 * controller is killed with {@code kill -9} right after the move is accepted. The standby takes
 * over, loads the moves from ZooKeeper and finishes them: every partition ends on its targets,
 * broker 1 deletes its logs, no send fails, every acknowledged record is in the log exactly once
 * and reaches the group, and neither client sees an error that is not retriable.
 */
class ReassignmentProcessTest {

    private static final String TOPIC = "moving-under-load";
    private static final String GROUP = "moving-readers";
    private static final int PARTITIONS = 12;
    private static final Duration DEADLINE = Duration.ofSeconds(120);

    @Test
    void aTopicMovesToANewBrokerUnderAProducerAndAGroupThroughAKillMinusNineOfTheActiveController()
            throws Exception {
        try (ProcessCluster cluster = new ProcessCluster("reassign-kill")) {
            cluster.startController(1);
            await("controller 1 active").atMost(DEADLINE).until(() -> active(cluster, 1));
            cluster.startController(2);
            for (int id = 1; id <= 4; id++) {
                cluster.startBroker(id);
            }
            cluster.awaitBrokersReady(4, DEADLINE);
            await("controller 2 standing by").atMost(DEADLINE).ignoreExceptions().until(() -> "STANDBY".equals(
                    cluster.get(cluster.controllerUrl(2) + "/api/v1/controller", Map.class).get("role")));

            Map<Integer, List<Integer>> original = new HashMap<>();
            Map<Integer, List<Integer>> targets = new HashMap<>();
            for (int p = 0; p < PARTITIONS; p++) {
                original.put(p, List.of(1 + p % 3, 1 + (p + 1) % 3, 1 + (p + 2) % 3));
                targets.put(p, List.of(2 + p % 3, 2 + (p + 1) % 3, 2 + (p + 2) % 3));
            }
            try (Admin admin = KafkaClients.admin(cluster.bootstrap())) {
                admin.createTopics(List.of(new NewTopic(TOPIC, original))).all().get(30, TimeUnit.SECONDS);
                await("every partition led with a full ISR").atMost(DEADLINE).ignoreExceptions()
                        .until(() -> describe(admin).size() == PARTITIONS && describe(admin).values().stream()
                                .allMatch(p -> p.leader() != null && p.isr().size() == 3));

                try (SequencedProducer producer = new SequencedProducer(cluster.bootstrap(), TOPIC, 500,
                        Map.of("enable.idempotence", true)).start();
                        GroupReader group = new GroupReader(cluster.bootstrap()).start()) {
                    await("records acknowledged and read before the move").atMost(DEADLINE)
                            .until(() -> producer.acknowledged() >= 1_000 && group.read() >= 500);

                    Map<TopicPartition, Optional<NewPartitionReassignment>> moves = new HashMap<>();
                    targets.forEach((p, replicas) -> moves.put(new TopicPartition(TOPIC, p),
                            Optional.of(new NewPartitionReassignment(replicas))));
                    admin.alterPartitionReassignments(moves).all().get(30, TimeUnit.SECONDS);
                    cluster.node("controller-1").kill();
                    long killedAt = System.nanoTime();

                    List<Integer> ongoing = new ArrayList<>();
                    await("the moves listed until none is left").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
                            .ignoreExceptions().until(() -> {
                                Map<TopicPartition, PartitionReassignment> listed = admin.listPartitionReassignments(
                                        moves.keySet()).reassignments().get(10, TimeUnit.SECONDS);
                                listed.forEach((tp, r) -> {
                                    assertThat(r.addingReplicas()).containsExactly(4);
                                    assertThat(r.removingReplicas()).containsExactly(1);
                                });
                                ongoing.add(listed.size());
                                return listed.isEmpty();
                            });
                    System.out.printf("REASSIGNMENT: %d partitions moved through kill -9 of the active controller in "
                            + "%d ms after it; ongoing in each listing: %s%n", PARTITIONS,
                            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt), ongoing);
                    assertThat(active(cluster, 2)).as("controller 2 took over").isTrue();

                    // The controller has finished; the brokers' metadata, which Metadata answers from, follows
                    // moments later.
                    await("every partition on its targets in the brokers' metadata").atMost(DEADLINE)
                            .untilAsserted(() -> {
                                Map<Integer, TopicPartitionInfo> after = describe(admin);
                                for (int p = 0; p < PARTITIONS; p++) {
                                    assertThat(after.get(p).replicas().stream().map(Node::id).toList())
                                            .as("replicas of %d", p).isEqualTo(targets.get(p));
                                    assertThat(new HashSet<>(after.get(p).isr().stream().map(Node::id).toList()))
                                            .as("ISR of %d", p).isEqualTo(new HashSet<>(targets.get(p)));
                                }
                            });
                    await("broker 1 deletes its logs of the topic").atMost(DEADLINE).untilAsserted(() -> {
                        try (Stream<Path> dirs = Files.list(cluster.brokerDataDir(1))) {
                            assertThat(dirs.map(d -> d.getFileName().toString()))
                                    .noneMatch(name -> name.startsWith(TOPIC + "-"));
                        }
                    });

                    long acknowledged = producer.acknowledged();
                    await("records acknowledged after the move").atMost(DEADLINE)
                            .until(() -> producer.acknowledged() >= acknowledged + 1_000);
                    producer.stop();
                    BitSet acked = producer.ackedSeqs();
                    await("the group has read every acknowledged record").atMost(DEADLINE)
                            .until(() -> group.missing(acked).isEmpty());
                    ReplicationChecks.ReadBack read = ReplicationChecks.readBack(cluster.bootstrap(), TOPIC, PARTITIONS,
                            acked, DEADLINE);
                    System.out.println(read.summary("reassignment through kill -9", producer));
                    System.out.printf("REASSIGNMENT group: read %d, retriable commit failures %d, other errors %s%n",
                            group.read(), group.retriable(), group.errors());
                    assertThat(producer.failures()).as("sends that failed").isEmpty();
                    assertThat(read.lost()).as("acknowledged records not in the log").isEmpty();
                    assertThat(read.duplicated()).as("records in the log twice").isEmpty();
                    assertThat(read.outOfOrder()).as("records out of order").isEmpty();
                    assertThat(group.errors()).as("the group's errors that are not retriable").isEmpty();
                }
            }
        }
    }

    private static boolean active(ProcessCluster cluster, int controller) {
        try {
            return "ACTIVE".equals(cluster.get(cluster.controllerUrl(controller) + "/api/v1/controller", Map.class)
                    .get("role"));
        } catch (IOException e) {
            return false;
        }
    }

    private static Map<Integer, TopicPartitionInfo> describe(Admin admin) throws Exception {
        TopicDescription description = admin.describeTopics(List.of(TOPIC)).allTopicNames().get(30, TimeUnit.SECONDS)
                .get(TOPIC);
        Map<Integer, TopicPartitionInfo> partitions = new HashMap<>();
        description.partitions().forEach(p -> partitions.put(p.partition(), p));
        return partitions;
    }

    /**
     * One member of a consumer group on its own thread: polls, remembers the sequence numbers it
     * read and commits after each poll; keeps the errors that are not retriable.
     */
    private static final class GroupReader implements AutoCloseable {

        private final KafkaConsumer<String, String> consumer;
        private final Thread thread;
        private final BitSet seen = new BitSet();
        private final AtomicLong read = new AtomicLong();
        private final AtomicLong retriable = new AtomicLong();
        private final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        private volatile boolean running = true;

        GroupReader(String bootstrap) {
            Map<String, Object> config = new HashMap<>();
            config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            config.put(ConsumerConfig.GROUP_ID_CONFIG, GROUP);
            config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            config.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, 5_000);
            consumer = new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer());
            thread = new Thread(this::run, "group-reader");
            thread.setDaemon(true);
        }

        GroupReader start() {
            thread.start();
            return this;
        }

        private void run() {
            try {
                consumer.subscribe(List.of(TOPIC));
                while (running) {
                    try {
                        var records = consumer.poll(Duration.ofMillis(200));
                        for (ConsumerRecord<String, String> r : records) {
                            synchronized (seen) {
                                seen.set((int) SequencedProducer.seqOf(r.value()));
                            }
                            read.incrementAndGet();
                        }
                        if (!records.isEmpty()) {
                            consumer.commitSync(Duration.ofSeconds(10));
                        }
                    } catch (RetriableException | RebalanceInProgressException e) {
                        retriable.incrementAndGet();
                    }
                }
            } catch (WakeupException e) {
                // closing
            } catch (KafkaException e) {
                errors.add(e.toString());
            }
        }

        long read() {
            return read.get();
        }

        long retriable() {
            return retriable.get();
        }

        List<String> errors() {
            return List.copyOf(errors);
        }

        /** The sequence numbers of {@code acked} not read yet. */
        BitSet missing(BitSet acked) {
            BitSet missing = (BitSet) acked.clone();
            synchronized (seen) {
                missing.andNot(seen);
            }
            return missing;
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            consumer.wakeup();
            thread.join(10_000);
            consumer.close(Duration.ofSeconds(5));
        }
    }
}
