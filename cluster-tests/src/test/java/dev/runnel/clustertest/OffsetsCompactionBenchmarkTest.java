package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.runnel.broker.group.GroupMetadataManager;
import dev.runnel.broker.replication.Partition;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.storage.LogManager;
import dev.runnel.broker.storage.PartitionLog;

/**
 * A measurement (issue 23), run with {@code -Poffsets-compaction}: one group commits
 * {@value #COMMITS} times over {@value #PARTITIONS} partitions (a million offset records), on a
 * two-broker cluster whose one offsets partition has two replicas and 16 MiB segments. Then the
 * coordinator moves twice: first to a replica that never compacted (its cleaner is off), then,
 * after the other replica restarted with its cleaner on, compacted its copy and restarted again
 * (so that its next load is its own, from its compacted disk), back to it. It
 * prints the partition's size and record count and each load's time, before and after compaction,
 * and checks the group's offsets are whole after each move.
 */
class OffsetsCompactionBenchmarkTest {

    static final int PARTITIONS = Integer.getInteger("runnel.offsets-bench.partitions", 1000);
    static final int COMMITS = Integer.getInteger("runnel.offsets-bench.commits", 1000);
    private static final Duration DEADLINE = Duration.ofMinutes(5);
    private static final String GROUP = "big-group";
    private static final dev.runnel.common.TopicPartition OFFSETS = new dev.runnel.common.TopicPartition(
            "__consumer_offsets", 0);

    private InJvmCluster cluster;

    @AfterEach
    void stop() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void coordinatorLoadBeforeAndAfterCompaction() throws Exception {
        String[] common = {"--runnel.broker.offsets-topic.partitions=1", "--runnel.broker.offsets-topic.replication-factor=2",
                "--runnel.broker.offsets-topic.segment-bytes=16MB", "--runnel.broker.group.initial-rebalance-delay=0s",
                "--runnel.broker.log-cleaner.backoff=1s"};
        cluster = new InJvmCluster();
        cluster.startControllerAndBrokers(2, with(common, "--runnel.broker.log-cleaner.enabled=false"));
        String bootstrap = cluster.bootstrap(1, 2);
        List<TopicPartition> partitions = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            partitions.add(new TopicPartition("work", p));
        }
        try (Admin admin = KafkaClients.admin(bootstrap)) {
            admin.createTopics(List.of(new NewTopic("work", PARTITIONS, (short) 1))).all().get(60, TimeUnit.SECONDS);
        }

        long began = System.nanoTime();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrap)) {
            for (int commit = 1; commit <= COMMITS; commit++) {
                Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
                for (TopicPartition tp : partitions) {
                    offsets.put(tp, new OffsetAndMetadata(commit));
                }
                consumer.commitSync(offsets, Duration.ofSeconds(60));
            }
        }
        double commitSeconds = (System.nanoTime() - began) / 1e9;
        int first = leaderOf(OFFSETS);
        int other = 3 - first;
        PartitionLog before = log(first);
        System.out.printf("offsets-compaction: %d commits of %d partitions in %.1f s; __consumer_offsets-0: %d records,"
                + " %.1f MiB in %d segments%n", COMMITS, PARTITIONS, commitSeconds, before.logEndOffset(),
                before.sizeInBytes() / 1048576.0, before.numberOfSegments());

        // Move 1: to the replica that never compacted.
        awaitFullIsr();
        cluster.stopBroker(first);
        long loadBefore = awaitLoad(other);
        assertCommitted(bootstrap(other), partitions);
        System.out.printf("offsets-compaction: load after a move, uncompacted: %d ms (%d records, %.1f MiB)%n",
                loadBefore, log(other).logEndOffset() - log(other).logStartOffset(), log(other).sizeInBytes() / 1048576.0);

        // The stopped replica comes back with its cleaner on and compacts its own copy.
        cluster.startBroker(first, null, "broker-" + first, common);
        awaitFullIsr();
        LogManager logs = cluster.broker(first).getBean(ReplicaManager.class).logDirectories().get(0);
        await("the returned replica compacts its copy").atMost(DEADLINE).pollInterval(Duration.ofMillis(500))
                .until(() -> logs.cleaner().rounds() > 0 && logs.cleaner().checkpointedOffset(OFFSETS) > 0);
        PartitionLog after = log(first);
        long records = countRecords(after);
        System.out.printf("offsets-compaction: after compaction on broker %d: %d records, %.1f MiB in %d segments"
                + " (cleaner read %d bytes, wrote %d)%n", first, records, after.sizeInBytes() / 1048576.0,
                after.numberOfSegments(), logs.cleaner().bytesRead(), logs.cleaner().bytesWritten());

        // Move 2: to the compacted replica, restarted so that its load (from its disk) is measured
        // afresh; it leads once the other broker stops (or sooner, as the preferred leader).
        cluster.stopBroker(first);
        cluster.startBroker(first, null, "broker-" + first, common);
        awaitFullIsr();
        cluster.stopBroker(other);
        long loadAfter = awaitLoad(first);
        assertCommitted(bootstrap(first), partitions);
        PartitionLog loaded = log(first);
        System.out.printf("offsets-compaction: load after a move, compacted: %d ms (%d records, %.1f MiB)%n", loadAfter,
                countRecords(loaded), loaded.sizeInBytes() / 1048576.0);
        System.out.printf("offsets-compaction: RESULT size %.1f MiB -> %.1f MiB, load %d ms -> %d ms%n",
                before.sizeInBytes() / 1048576.0, after.sizeInBytes() / 1048576.0, loadBefore, loadAfter);
    }

    private static String[] with(String[] args, String more) {
        String[] out = Arrays.copyOf(args, args.length + 1);
        out[args.length] = more;
        return out;
    }

    private String bootstrap(int broker) {
        return cluster.bootstrap(broker);
    }

    private int leaderOf(dev.runnel.common.TopicPartition tp) {
        for (Map.Entry<Integer, ?> e : cluster.brokers().entrySet()) {
            Optional<Partition> p = cluster.broker(e.getKey()).getBean(ReplicaManager.class).partition(tp);
            if (p.isPresent() && p.get().isLeader()) {
                return e.getKey();
            }
        }
        throw new IllegalStateException("no leader of " + tp);
    }

    private PartitionLog log(int broker) {
        return cluster.broker(broker).getBean(ReplicaManager.class).partition(OFFSETS).orElseThrow().log();
    }

    private void awaitFullIsr() {
        await("both replicas in sync").atMost(DEADLINE).until(() -> {
            int leader = leaderOf(OFFSETS);
            Partition p = cluster.broker(leader).getBean(ReplicaManager.class).partition(OFFSETS).orElseThrow();
            return !p.isUnderReplicated();
        });
    }

    private long awaitLoad(int broker) {
        GroupMetadataManager groups = cluster.broker(broker).getBean(GroupMetadataManager.class);
        await("broker " + broker + " loads the group").atMost(DEADLINE).pollInterval(Duration.ofMillis(50))
                .until(() -> groups.lastPartitionLoadTimeMs() >= 0);
        return groups.lastPartitionLoadTimeMs();
    }

    private static void assertCommitted(String bootstrap, List<TopicPartition> partitions) {
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrap)) {
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new HashSet<>(partitions),
                    Duration.ofSeconds(60));
            assertThat(committed).hasSize(partitions.size());
            assertThat(committed.values()).allSatisfy(o -> assertThat(o.offset()).isEqualTo(COMMITS));
        }
    }

    private static long countRecords(PartitionLog log) {
        return ReplicaLogs.recordCount(log);
    }

    private static KafkaConsumer<byte[], byte[]> consumer(String bootstrap) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, GROUP);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
}
