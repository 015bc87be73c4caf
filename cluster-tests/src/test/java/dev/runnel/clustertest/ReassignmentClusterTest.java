package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.PartitionReassignment;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.controller.election.ActiveController;

/**
 * Partition reassignment (KIP-455) driven by kafka-clients' Admin on four brokers: a 6-partition
 * RF 3 topic on brokers 1-3 moves to 2-4 while an idempotent acks=all producer writes; progress is
 * visible in ListPartitionReassignments; at the end every partition is on its targets, broker 1 has
 * deleted its logs of the topic, and every acknowledged record is read back exactly once, in order.
 */
class ReassignmentClusterTest {

    private static final String TOPIC = "moving";
    private static final int PARTITIONS = 6;
    private static final Duration DEADLINE = Duration.ofSeconds(90);

    private InJvmCluster cluster;
    private Admin admin;

    @BeforeEach
    void startFourBrokers() throws Exception {
        cluster = new InJvmCluster();
        cluster.startControllerAndBrokers(4);
        admin = KafkaClients.admin(cluster.bootstrap(1, 2, 3, 4));
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (admin != null) {
                admin.close(Duration.ofSeconds(5));
            }
        } finally {
            cluster.close();
        }
    }

    /** Partition p's replicas: a rotation of {@code brokers} by p, so leadership is spread. */
    private static List<Integer> rotation(int p, int... brokers) {
        List<Integer> replicas = new ArrayList<>();
        for (int i = 0; i < brokers.length; i++) {
            replicas.add(brokers[(p + i) % brokers.length]);
        }
        return replicas;
    }

    private Map<Integer, TopicPartitionInfo> describe() throws Exception {
        TopicDescription description = admin.describeTopics(List.of(TOPIC)).allTopicNames().get(30, TimeUnit.SECONDS)
                .get(TOPIC);
        Map<Integer, TopicPartitionInfo> partitions = new HashMap<>();
        description.partitions().forEach(p -> partitions.put(p.partition(), p));
        return partitions;
    }

    private static List<Integer> ids(List<Node> nodes) {
        return nodes.stream().map(Node::id).toList();
    }

    @Test
    void aTopicMovesFromBrokersOneToThreeToTwoToFourUnderAnIdempotentProducerWithNoRecordLostOrDuplicated()
            throws Exception {
        moveUnderLoad(false);
    }

    @Test
    void aMoveGoesOnWhenTheActiveControllerStopsMidMove() throws Exception {
        cluster.startController(2);
        moveUnderLoad(true);
    }

    private void moveUnderLoad(boolean failover) throws Exception {
        Map<Integer, List<Integer>> original = new HashMap<>();
        Map<Integer, List<Integer>> targets = new HashMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            original.put(p, rotation(p, 1, 2, 3));
            targets.put(p, rotation(p, 2, 3, 4));
        }
        admin.createTopics(List.of(new NewTopic(TOPIC, original))).all().get(30, TimeUnit.SECONDS);
        await("every partition led with a full ISR").atMost(DEADLINE).ignoreExceptions().until(() -> describe()
                .values().stream().allMatch(p -> p.leader() != null && p.isr().size() == 3) && describe().size() == PARTITIONS);

        try (SequencedProducer producer = new SequencedProducer(cluster.bootstrap(1, 2, 3, 4), TOPIC, 500,
                Map.of("enable.idempotence", true, "max.in.flight.requests.per.connection", 5)).start()) {
            await("records acknowledged before the move").atMost(DEADLINE).until(() -> producer.acknowledged() >= 500);

            Map<TopicPartition, Optional<NewPartitionReassignment>> moves = new HashMap<>();
            targets.forEach((p, replicas) -> moves.put(new TopicPartition(TOPIC, p),
                    Optional.of(new NewPartitionReassignment(replicas))));
            admin.alterPartitionReassignments(moves).all().get(30, TimeUnit.SECONDS);
            if (failover) {
                cluster.stopController(1);
            }

            // The controller answers once the move is committed, before any new replica can have
            // caught up (LeaderAndIsr, a new log, fetches, the leader's AlterPartition): it is under
            // way at the first listing, unless a failover came first.
            List<Map<TopicPartition, PartitionReassignment>> seen = new ArrayList<>();
            await("the reassignments listed until none is left").atMost(DEADLINE).pollInterval(Duration.ofMillis(50))
                    .ignoreExceptions().until(() -> {
                        Map<TopicPartition, PartitionReassignment> ongoing = admin.listPartitionReassignments(
                                moves.keySet()).reassignments().get(10, TimeUnit.SECONDS);
                        seen.add(ongoing);
                        return ongoing.isEmpty();
                    });
            System.out.printf("Reassignment of %d partitions: %d listings, ongoing in each: %s%n", PARTITIONS,
                    seen.size(), seen.stream().map(Map::size).toList());
            if (!failover) {
                assertThat(seen.get(0)).as("the first listing, right after the alter").isNotEmpty();
            }
            for (Map<TopicPartition, PartitionReassignment> listing : seen) {
                listing.forEach((tp, r) -> {
                    List<Integer> grown = new ArrayList<>(targets.get(tp.partition()));
                    grown.add(1);
                    assertThat(r.replicas()).as("replicas of %s while moving", tp).isEqualTo(grown);
                    assertThat(r.addingReplicas()).as("adding of %s", tp).containsExactly(4);
                    assertThat(r.removingReplicas()).as("removing of %s", tp).containsExactly(1);
                });
            }

            long acknowledged = producer.acknowledged();
            await("records acknowledged after the move").atMost(DEADLINE)
                    .until(() -> producer.acknowledged() >= acknowledged + 500);
            producer.stop();

            // Metadata answers from the brokers' metadata, which follows the controller moments later.
            await("every partition on its targets in the brokers' metadata").atMost(DEADLINE).untilAsserted(() -> {
                Map<Integer, TopicPartitionInfo> after = describe();
                for (int p = 0; p < PARTITIONS; p++) {
                    TopicPartitionInfo info = after.get(p);
                    assertThat(ids(info.replicas())).as("replicas of partition %d", p).isEqualTo(targets.get(p));
                    assertThat(new HashSet<>(ids(info.isr()))).as("ISR of partition %d", p)
                            .isEqualTo(new HashSet<>(targets.get(p)));
                    assertThat(targets.get(p)).as("leader of partition %d", p).contains(info.leader().id());
                }
            });
            Path brokerOneLogs = Path.of(cluster.broker(1).getEnvironment().getProperty("runnel.broker.log-dirs"));
            await("broker 1 deletes its logs of the topic").atMost(DEADLINE).untilAsserted(() -> {
                assertThat(cluster.broker(1).getBean(ReplicaManager.class).hostedPartitions().keySet())
                        .noneMatch(tp -> tp.topic().equals(TOPIC));
                try (Stream<Path> dirs = Files.list(brokerOneLogs)) {
                    assertThat(dirs.map(d -> d.getFileName().toString()))
                            .noneMatch(name -> name.startsWith(TOPIC + "-"));
                }
            });
            if (failover) {
                assertThat(cluster.controller(2).getBean(ActiveController.class).role())
                        .isEqualTo(ActiveController.Role.ACTIVE);
            }

            ReplicationChecks.ReadBack read = ReplicationChecks.readBack(cluster.bootstrap(2, 3, 4), TOPIC, PARTITIONS,
                    producer.ackedSeqs(), DEADLINE);
            System.out.println(read.summary("reassignment" + (failover ? " with failover" : ""), producer));
            assertThat(producer.failures()).as("sends that failed").isEmpty();
            assertThat(read.lost()).as("acknowledged records not read").isEmpty();
            assertThat(read.duplicated()).as("records read twice").isEmpty();
            assertThat(read.outOfOrder()).as("records out of order").isEmpty();
            assertThat(read.read()).isGreaterThanOrEqualTo(producer.acknowledged());
            Set<Integer> brokersWithData = new HashSet<>();
            for (int broker : List.of(2, 3, 4)) {
                if (cluster.broker(broker).getBean(ReplicaManager.class).hostedPartitions().keySet().stream()
                        .anyMatch(tp -> tp.topic().equals(TOPIC))) {
                    brokersWithData.add(broker);
                }
            }
            assertThat(brokersWithData).containsExactlyInAnyOrder(2, 3, 4);
        }
    }
}
