package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import dev.runnel.cluster.PartitionInfo;

/**
 * Replication under real faults, on real processes from the built jars (ZooKeeper in this JVM):
 * {@code kill -9} of partition leaders, of random brokers and of the active controller; a rolling
 * restart with SIGTERM; a follower frozen with SIGSTOP; a leader frozen past its session with
 * batches in flight to it (a zombie leader). An idempotent {@code acks=all} producer
 * writes {@code p-<seq>} throughout to a topic with replication factor 3 and
 * {@code min.insync.replicas=2}. Afterwards every acknowledged record is read back exactly once,
 * in send order per partition, and the replicas' segment files are byte-identical up to the high
 * watermark.
 *
 * <p>{@code -Drunnel.faults.duration=PT5M} (the {@code faults} Maven profile) makes the
 * {@code kill -9} run long; by default it injects faults for 40 seconds, and the rolling restart
 * runs only there. Each run prints a {@code FAULT-RUN} line with its counts.
 */
class ReplicationFaultProcessTest {

    private static final Duration START = Duration.ofSeconds(90);
    private static final Duration DEADLINE = Duration.ofSeconds(120);
    private static final int PARTITIONS = 6;
    private static final Duration FAULT_TIME = Duration.parse(System.getProperty("runnel.faults.duration", "PT40S"));

    private FaultCluster cluster;
    private SequencedProducer producer;

    /** The kinds of {@code kill -9}, taken in turn. */
    private enum Fault {
        PARTITION_LEADER, RANDOM_BROKER, ACTIVE_CONTROLLER
    }

    @AfterEach
    void stopEverything() throws Exception {
        if (producer != null) {
            producer.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void acknowledgedRecordsSurviveKillNineOfLeadersBrokersAndTheActiveController() throws Exception {
        long seed = Long.getLong("runnel.faults.seed", System.nanoTime());
        Random random = new Random(seed);
        cluster = new FaultCluster("kill-nine", Duration.ofSeconds(6), "--runnel.broker.replica-lag-time-max=10s")
                .start(2, 3, START);
        String topic = createTopic(new NewTopic("faults", PARTITIONS, (short) 3));
        producer = new SequencedProducer(cluster.bootstrap(cluster.brokerIds()), topic, 500, Map.of()).start();
        awaitProgress(500);

        List<String> injected = new ArrayList<>();
        long end = System.nanoTime() + FAULT_TIME.toNanos();
        for (int round = 0; round == 0 || System.nanoTime() < end; round++) {
            Fault fault = Fault.values()[round % Fault.values().length];
            String victim = switch (fault) {
                case PARTITION_LEADER -> FaultCluster.brokerName(cluster.leaderOf(topic, round % PARTITIONS));
                case RANDOM_BROKER -> FaultCluster.brokerName(1 + random.nextInt(3));
                case ACTIVE_CONTROLLER -> FaultCluster.controllerName(cluster.activeController());
            };
            cluster.kill(victim);
            injected.add(fault + " " + victim);
            FaultCluster.sleep(Duration.ofMillis(2_000 + random.nextInt(4_000))); // paces the faults
            cluster.restart(victim);
            if (fault == Fault.ACTIVE_CONTROLLER) {
                int id = Integer.parseInt(victim.substring(victim.indexOf('-') + 1));
                await(victim + " back").atMost(START).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                        .until(() -> cluster.controllerStatus(id).role() != null);
            }
            cluster.awaitFullIsr(topic, 3, DEADLINE);
            awaitProgress(300); // production resumes after every fault
        }
        System.out.printf("kill-nine: seed %d, faults for %s: %s%n", seed, FAULT_TIME, injected);
        verify("kill-nine " + FAULT_TIME + " " + injected.size() + " kills", topic, false);
    }

    /** Three graceful restarts, about 100 s: only in the {@code faults} profile (tag {@code faults-only}). */
    @Test
    @Tag("faults-only")
    void aRollingRestartWithSigtermFailsNoSendAndLosesNoRecord() throws Exception {
        cluster = new FaultCluster("rolling-restart", Duration.ofSeconds(6)).start(1, 3, START);
        String topic = createTopic(new NewTopic("rolling", PARTITIONS, (short) 3));
        producer = new SequencedProducer(cluster.bootstrap(cluster.brokerIds()), topic, 500, Map.of()).start();
        awaitProgress(500);

        for (int id : cluster.brokerIds()) {
            cluster.stopBrokerGracefully(id, Duration.ofSeconds(60));
            cluster.startBroker(id);
            cluster.awaitFullIsr(topic, 3, DEADLINE);
            assertThat(cluster.linesOfLastRun(FaultCluster.brokerName(id))).as("broker %d restarted", id)
                    .anyMatch(line -> line.contains("partition logs from") && line.endsWith("(clean shutdown)"));
            awaitProgress(500);
        }
        verify("rolling-restart", topic, true);
    }

    /**
     * The frozen broker (3) is a follower of every partition and leads none, so production keeps
     * its leaders. The brokers' ZooKeeper sessions last 20 s and the
     * ISR lag time is 3 s: the leaders' lag check drops the follower long before its session could
     * expire, which the test checks by finding broker 3 still registered when its ISR drop is seen.
     */
    @Test
    void aFollowerStoppedWithSigstopLeavesTheIsrByLagTimeAndRejoinsAfterSigcont() throws Exception {
        cluster = new FaultCluster("sigstop", Duration.ofSeconds(20), "--runnel.broker.replica-lag-time-max=3s")
                .start(1, 3, START);
        String topic = createTopic(alternating("paused", List.of(1, 2, 3), List.of(2, 1, 3)));
        producer = new SequencedProducer(cluster.bootstrap(List.of(1, 2)), topic, 500, Map.of()).start();
        awaitProgress(500);

        NodeProcess follower = cluster.node(FaultCluster.brokerName(3));
        long stoppedAt = System.nanoTime();
        follower.signal("STOP");
        await("broker 3 out of every ISR").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                .ignoreExceptions().untilAsserted(() -> {
                    for (PartitionInfo p : cluster.topic(topic).partitions()) {
                        assertThat(p.state().isr()).as("ISR of %s-%d", topic, p.partition())
                                .containsExactlyInAnyOrder(1, 2);
                    }
                });
        long droppedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedAt);
        assertThat(cluster.registeredBrokers()).as("broker 3's session still lives: its leaders dropped it")
                .contains(3);

        long ackedAtDrop = producer.acknowledged();
        awaitProgress(1_000);
        assertThat(producer.acknowledged() - ackedAtDrop).isGreaterThanOrEqualTo(1_000);
        await("Admin sees the ISR of 2").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                .ignoreExceptions().untilAsserted(() -> {
                    TopicDescription described = cluster.admin().describeTopics(List.of(topic)).allTopicNames()
                            .get(5, TimeUnit.SECONDS).get(topic);
                    assertThat(described.partitions()).allSatisfy(p -> assertThat(p.isr().stream().map(Node::id))
                            .containsExactlyInAnyOrder(1, 2));
                });

        follower.signal("CONT");
        cluster.awaitFullIsr(topic, 3, DEADLINE);
        long rejoinedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedAt);
        awaitProgress(500);
        System.out.printf("sigstop: ISR drop seen %d ms after SIGSTOP, full ISR again %d ms after it%n",
                droppedAfterMs, rejoinedAfterMs);
        verify("sigstop", topic, true);
    }

    /**
     * A zombie leader: broker 1 leads every partition and is frozen with SIGSTOP past its session,
     * with acks=all batches in flight to it. New leaders are elected, the producer learns them (its
     * metadata is at most 5 s old) and writes newer batches to them while the frozen leader's
     * requests wait for the producer's 15 s request timeout; then it retries those batches, which the
     * followers may already hold from before the freeze, and which then lie behind the five batches
     * a leader remembers per producer. They must be answered as written (DUPLICATE_SEQUENCE_NUMBER),
     * not as out of order, which makes the producer bump its epoch and write them a second time.
     */
    @Test
    void aLeaderFrozenPastItsSessionWithBatchesInFlightGetsNoRecordWrittenTwiceAndFailsNoSend() throws Exception {
        cluster = new FaultCluster("zombie-leader", Duration.ofSeconds(6), "--runnel.broker.replica-lag-time-max=10s")
                .start(1, 3, START);
        String topic = createTopic(alternating("zombie", List.of(1, 2, 3), List.of(1, 3, 2)));
        producer = new SequencedProducer(cluster.bootstrap(cluster.brokerIds()), topic, 2_000, Map.of()).start();
        awaitProgress(2_000);

        NodeProcess leader = cluster.node(FaultCluster.brokerName(1));
        long stoppedAt = System.nanoTime();
        leader.signal("STOP");
        try {
            await("new leaders for every partition").atMost(DEADLINE).pollInterval(Duration.ofMillis(100))
                    .ignoreExceptions().untilAsserted(() -> {
                        for (int p = 0; p < PARTITIONS; p++) {
                            assertThat(cluster.leaderOf(topic, p)).as("leader of %s-%d", topic, p).isNotEqualTo(1);
                        }
                    });
            // The freeze outlasts the producer's 15 s request timeout: what waited on the frozen leader is retried.
            FaultCluster.sleep(Duration.ofSeconds(20).minusNanos(System.nanoTime() - stoppedAt));
            awaitProgress(2_000);
        } finally {
            leader.signal("CONT");
        }
        cluster.awaitFullIsr(topic, 3, DEADLINE);
        awaitProgress(2_000);
        long answeredAsWritten = 0;
        for (int id : cluster.brokerIds()) {
            answeredAsWritten += cluster.linesOfLastRun(FaultCluster.brokerName(id)).stream()
                    .filter(line -> line.contains("answered DUPLICATE_SEQUENCE_NUMBER")).count();
        }
        System.out.printf("zombie-leader: %d retries older than the retained batches answered as written%n",
                answeredAsWritten);
        verify("zombie-leader", topic, true);
    }

    /** A topic of {@link #PARTITIONS} partitions whose replicas are {@code even} and {@code odd} in turn. */
    private static NewTopic alternating(String name, List<Integer> even, List<Integer> odd) {
        Map<Integer, List<Integer>> replicas = new TreeMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            replicas.put(p, p % 2 == 0 ? even : odd);
        }
        return new NewTopic(name, replicas);
    }

    private String createTopic(NewTopic topic) throws Exception {
        cluster.admin().createTopics(List.of(topic.configs(Map.of("min.insync.replicas", "2")))).all()
                .get(30, TimeUnit.SECONDS);
        cluster.awaitFullIsr(topic.name(), 3, DEADLINE);
        return topic.name();
    }

    /** Waits until {@code records} more records have been acknowledged. */
    private void awaitProgress(long records) {
        long target = producer.acknowledged() + records;
        await("acknowledgements up to " + target).atMost(DEADLINE).pollInterval(Duration.ofMillis(100))
                .until(() -> producer.acknowledged() >= target);
    }

    /**
     * Stops the producer, waits for the full ISR, reads everything back and compares the
     * replicas' files after a graceful stop of every broker.
     */
    private void verify(String run, String topic, boolean everySendSucceeds) throws Exception {
        producer.stop();
        cluster.awaitFullIsr(topic, 3, DEADLINE);
        ReplicationChecks.ReadBack readBack = ReplicationChecks.readBack(cluster.bootstrap(cluster.brokerIds()), topic,
                PARTITIONS, producer.ackedSeqs(), DEADLINE);
        System.out.println(readBack.summary(run, producer));
        producer.failures().forEach(f -> System.out.println("  failed send: " + f));

        cluster.stopBrokersGracefully(Duration.ofSeconds(60));
        Map<Integer, Path> logDirs = new TreeMap<>();
        cluster.brokerIds().forEach(id -> logDirs.put(id, cluster.logDir(id)));
        List<String> compared = ReplicationChecks.assertReplicaLogsIdentical(logDirs, topic, readBack.endOffsets());
        compared.forEach(line -> System.out.println("  " + line));

        assertThat(readBack.lost()).as("acknowledged but not read").isEmpty();
        assertThat(readBack.duplicated()).as("read twice").isEmpty();
        assertThat(readBack.outOfOrder()).as("out of send order within a partition").isEmpty();
        if (everySendSucceeds) {
            assertThat(producer.failures()).as("failed sends").isEmpty();
            assertThat(producer.failed()).isZero();
        }
        assertThat(readBack.read()).isGreaterThanOrEqualTo(producer.acknowledged());
    }
}
