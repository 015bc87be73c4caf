package dev.runnel.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.record.KafkaRecordBatches;
import dev.runnel.broker.record.KafkaRecordBatches.ProducerInfo;
import dev.runnel.broker.record.KafkaRecordBatches.SimpleRecord;
import dev.runnel.broker.record.RecordCodec;
import dev.runnel.broker.storage.AppendOrigin;
import dev.runnel.broker.storage.LogConfig;
import dev.runnel.broker.storage.LogError;
import dev.runnel.broker.storage.LogException;
import dev.runnel.broker.storage.LogManager;
import dev.runnel.broker.storage.PartitionLog;
import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.ClusterError;
import dev.runnel.cluster.CommandResponse;
import dev.runnel.cluster.LeaderAndIsrRequest;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.cluster.UpdateMetadataRequest;
import dev.runnel.common.TopicPartition;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

/**
 * JBOD: a replica moved between log directories (AlterReplicaLogDirs: future log, copy, swap,
 * restart mid-move) and a failed log directory taking only its own partitions offline.
 */
class ReplicaLogDirsTest {

    private static final int BROKER = 1;
    private static final UUID ORDERS_ID = UUID.fromString("6f1c2a4e-0000-4000-8000-000000000001");
    private static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);
    private static final TopicPartition ORDERS_1 = new TopicPartition("orders", 1);

    @TempDir
    Path root;

    private final ManualScheduler scheduler = new ManualScheduler(new ManualClock());
    private final AtomicLong brokerEpoch = new AtomicLong(100);
    private final MetadataCache metadata = new MetadataCache();
    private final List<LogManager> opened = new ArrayList<>();

    @AfterEach
    void closeLogDirs() throws IOException {
        for (LogManager manager : opened) {
            manager.close();
        }
    }

    private LogManager openLogDir(String name) throws IOException {
        LogManager manager = LogManager.open(root.resolve(name), LogConfig.DEFAULTS, scheduler.clock(), scheduler,
                LogManager.Settings.DEFAULTS);
        opened.add(manager);
        return manager;
    }

    private ReplicaManager replicaManager(LogManager... logDirs) {
        ReplicaManager replicas = new ReplicaManager(BROKER, List.of(logDirs), metadata, brokerEpoch::get,
                scheduler.clock(), (partition, isr) -> { }, scheduler);
        replicas.updateMetadata(new UpdateMetadataRequest(3000, 1, brokerEpoch.get(), 1, true,
                List.of(new BrokerInfo(BROKER, "127.0.0.1", 9092, 8081, null, 100)), List.of(orders(Map.of())), List.of()));
        return replicas;
    }

    private static TopicInfo orders(Map<String, String> configs) {
        return new TopicInfo("orders", ORDERS_ID, configs, List.of(
                new PartitionInfo(0, List.of(BROKER), new PartitionState(BROKER, 0, List.of(BROKER), 0)),
                new PartitionInfo(1, List.of(BROKER), new PartitionState(BROKER, 0, List.of(BROKER), 0))));
    }

    private CommandResponse lead(ReplicaManager replicas, Map<String, String> configs) {
        return replicas.leaderAndIsr(new LeaderAndIsrRequest(3000, 1, brokerEpoch.get(), List.of(orders(configs)), List.of()));
    }

    private static ByteBuffer batch(String... values) {
        List<SimpleRecord> records = new ArrayList<>();
        for (String v : values) {
            records.add(new SimpleRecord(1_700_000_000_000L, null, v.getBytes(StandardCharsets.UTF_8)));
        }
        return KafkaRecordBatches.batch(RecordCodec.NONE, ProducerInfo.NONE, records);
    }

    private static AppendResult produce(ReplicaManager replicas, TopicPartition tp, String value) {
        return replicas.appendRecords(Map.of(tp, batch(value)), (short) 1, Duration.ofSeconds(5), AppendOrigin.CLIENT)
                .join().get(tp);
    }

    /** Every record value of the log, in offset order. */
    private static List<String> values(PartitionLog log) throws IOException {
        List<String> values = new ArrayList<>();
        long offset = log.logStartOffset();
        while (offset < log.logEndOffset()) {
            PartitionLog.ReadResult read = log.read(offset, 1 << 20, log.logEndOffset(), true);
            for (KafkaRecordBatches.DecodedRecord r : KafkaRecordBatches.decode(read.slice().readFully())) {
                values.add(new String(r.value(), StandardCharsets.UTF_8));
                offset = r.offset() + 1;
            }
        }
        return values;
    }

    private static List<String> names(Path dir) throws IOException {
        try (var entries = Files.list(dir)) {
            return entries.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    // ---- moves ------------------------------------------------------------------------------

    @Test
    void aReplicaMovesToAnotherDirectoryWhileItsLogKeepsServing() throws Exception {
        LogManager a = openLogDir("a");
        LogManager b = openLogDir("b");
        ReplicaManager replicas = replicaManager(a, b);
        lead(replicas, Map.of());
        LogManager home = a.getLog(ORDERS_0).isPresent() ? a : b;
        LogManager other = home == a ? b : a;
        for (int i = 0; i < 50; i++) {
            assertThat(produce(replicas, ORDERS_0, "before-" + i).failure()).isNull();
        }

        assertThat(replicas.alterReplicaLogDirs(Map.of(ORDERS_0, other.logDir().toString())))
                .containsEntry(ORDERS_0, LogDirMoveError.NONE);
        assertThat(names(other.logDir())).anyMatch(n -> n.startsWith("orders-0.") && n.endsWith("-future"));
        assertThat(other.getFutureLog(ORDERS_0)).isPresent();

        // Copy a first step, then the producer keeps writing: the move sees them and catches up.
        PartitionLog future = other.getFutureLog(ORDERS_0).orElseThrow();
        ReplicaLogDirMover.copy(replicas.partition(ORDERS_0).orElseThrow().log(), future);
        for (int i = 0; i < 20; i++) {
            assertThat(produce(replicas, ORDERS_0, "during-" + i).failure()).isNull();
        }
        assertThat(future.logEndOffset()).isEqualTo(50);
        replicas.moveReplicas();

        PartitionLog moved = replicas.partition(ORDERS_0).orElseThrow().log();
        assertThat(moved.dir().getParent()).isEqualTo(other.logDir());
        assertThat(home.getLog(ORDERS_0)).isEmpty();
        assertThat(other.getLog(ORDERS_0)).containsSame(moved);
        assertThat(other.futureLogs()).isEmpty();
        assertThat(names(home.logDir())).noneMatch(n -> n.startsWith("orders-0"));
        assertThat(names(other.logDir())).contains("orders-0").noneMatch(n -> n.endsWith("-future"));
        assertThat(moved.highWatermark()).isEqualTo(70);
        assertThat(produce(replicas, ORDERS_0, "after").failure()).isNull();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            expected.add("before-" + i);
        }
        for (int i = 0; i < 20; i++) {
            expected.add("during-" + i);
        }
        expected.add("after");
        assertThat(values(moved)).containsExactlyElementsOf(expected);
        assertThat(replicas.logDirMover().moving()).isZero();
    }

    @Test
    void aMoveSurvivesARestartAndACrashBetweenTheRenamesFinishesIt() throws Exception {
        LogManager a = openLogDir("a");
        LogManager b = openLogDir("b");
        ReplicaManager replicas = replicaManager(a, b);
        lead(replicas, Map.of());
        LogManager home = a.getLog(ORDERS_0).isPresent() ? a : b;
        String homeName = home == a ? "a" : "b";
        String otherName = home == a ? "b" : "a";
        for (int i = 0; i < 10; i++) {
            produce(replicas, ORDERS_0, "v" + i);
        }
        replicas.alterReplicaLogDirs(Map.of(ORDERS_0, root.resolve(otherName).toString()));
        // Restart before the first copy: the move resumes from the future log on disk.
        a.close();
        b.close();
        opened.clear();
        LogManager home2 = openLogDir(homeName);
        LogManager other2 = openLogDir(otherName);
        assertThat(other2.getFutureLog(ORDERS_0)).isPresent();
        ReplicaManager restarted = replicaManager(home2, other2);
        assertThat(restarted.logDirMover().moving()).isEqualTo(1);
        lead(restarted, Map.of());
        restarted.moveReplicas();
        assertThat(restarted.partition(ORDERS_0).orElseThrow().log().dir().getParent()).isEqualTo(other2.logDir());
        assertThat(values(other2.getLog(ORDERS_0).orElseThrow())).hasSize(10);

        // Move it back, and crash after the current log was renamed away but before the future took its name.
        restarted.alterReplicaLogDirs(Map.of(ORDERS_0, home2.logDir().toString()));
        ReplicaLogDirMover.copy(other2.getLog(ORDERS_0).orElseThrow(), home2.getFutureLog(ORDERS_0).orElseThrow());
        other2.removeReplaced(ORDERS_0);
        home2.close();
        other2.close();
        opened.clear();
        LogManager home3 = openLogDir(homeName);
        LogManager other3 = openLogDir(otherName);
        ReplicaManager again = replicaManager(home3, other3);
        assertThat(home3.getLog(ORDERS_0)).isPresent();
        assertThat(home3.futureLogs()).isEmpty();
        assertThat(other3.getLog(ORDERS_0)).isEmpty();
        lead(again, Map.of());
        assertThat(values(again.partition(ORDERS_0).orElseThrow().log())).hasSize(10);
    }

    /**
     * A follower's replica moves too: its fetching stops before the swap and starts again after, on
     * the new log (the listeners the fetcher manager registers hear both).
     */
    @Test
    void aFollowersFetchingStopsForTheSwapAndStartsAgainOnTheNewLog() throws Exception {
        LogManager a = openLogDir("a");
        LogManager b = openLogDir("b");
        ReplicaManager replicas = replicaManager(a, b);
        List<String> heard = new CopyOnWriteArrayList<>();
        replicas.beforeLeadershipChange(tp -> heard.add("stop " + tp));
        replicas.onStateChange(tp -> heard.add("reconcile " + tp));
        TopicInfo followed = new TopicInfo("orders", ORDERS_ID, Map.of(), List.of(
                new PartitionInfo(0, List.of(2, BROKER), new PartitionState(2, 3, List.of(2, BROKER), 3))));
        replicas.leaderAndIsr(new LeaderAndIsrRequest(3000, 1, brokerEpoch.get(), List.of(followed), List.of()));
        Partition partition = replicas.partition(ORDERS_0).orElseThrow();
        partition.appendAsFollower(batchAt(0, 3, "f0", "f1", "f2"), 2, 0);
        LogManager other = partition.log().dir().getParent().equals(a.logDir()) ? b : a;
        heard.clear();

        replicas.alterReplicaLogDirs(Map.of(ORDERS_0, other.logDir().toString()));
        replicas.moveReplicas();

        assertThat(heard).containsExactly("stop orders-0", "reconcile orders-0");
        assertThat(partition.log().dir().getParent()).isEqualTo(other.logDir());
        assertThat(partition.log().logEndOffset()).isEqualTo(3);
        assertThat(partition.log().highWatermark()).isEqualTo(2);
        assertThat(partition.log().leaderEpochs().latest().orElseThrow().epoch()).isEqualTo(3);
        assertThat(values(partition.log())).containsExactly("f0", "f1", "f2");
    }

    /** A batch as a leader at {@code epoch} wrote it, at {@code baseOffset}. */
    private static ByteBuffer batchAt(long baseOffset, int epoch, String... values) {
        ByteBuffer batch = batch(values);
        batch.putLong(0, baseOffset);
        batch.putInt(12, epoch);
        // The CRC covers from the attributes on, not the base offset or the partition leader epoch.
        return batch;
    }

    @Test
    void refusalsFollowKafka() throws Exception {
        LogManager a = openLogDir("a");
        LogManager b = openLogDir("b");
        ReplicaManager replicas = replicaManager(a, b);

        // Not hosted yet: remembered, and the replica is created there.
        assertThat(replicas.alterReplicaLogDirs(Map.of(ORDERS_1, b.logDir().toString())))
                .containsEntry(ORDERS_1, LogDirMoveError.REPLICA_NOT_AVAILABLE);
        assertThat(replicas.alterReplicaLogDirs(Map.of(new TopicPartition("nope", 0), b.logDir().toString())))
                .containsValue(LogDirMoveError.UNKNOWN_TOPIC_OR_PARTITION);
        assertThat(replicas.alterReplicaLogDirs(Map.of(ORDERS_0, root.resolve("elsewhere").toString())))
                .containsEntry(ORDERS_0, LogDirMoveError.LOG_DIR_NOT_FOUND);
        lead(replicas, Map.of());
        assertThat(b.getLog(ORDERS_1)).isPresent();
        // Already there: nothing to do.
        assertThat(replicas.alterReplicaLogDirs(Map.of(ORDERS_1, b.logDir().toString())))
                .containsEntry(ORDERS_1, LogDirMoveError.NONE);
        assertThat(b.futureLogs()).isEmpty();
    }

    // ---- failed directories -----------------------------------------------------------------

    /**
     * A real I/O failure: the directory of one partition's log vanishes under the broker (as a
     * disk that is gone), so the next roll cannot create its segment files.
     */
    @Test
    void aFailedDirectoryTakesOnlyItsPartitionsOffline() throws Exception {
        LogManager a = openLogDir("a");
        LogManager b = openLogDir("b");
        ReplicaManager replicas = replicaManager(a, b);
        List<List<TopicPartition>> reported = new CopyOnWriteArrayList<>();
        replicas.logDirFailureHandler().reportTo(offline -> reported.add(offline));
        placeApart(replicas, a, b);
        // Tiny segments: every append rolls, and a roll creates files in the log's directory.
        assertThat(lead(replicas, Map.of("segment.bytes", "100")).partitions()).isEmpty();
        LogManager failing = a;
        LogManager healthy = b;
        assertThat(healthy.getLog(ORDERS_1)).isPresent();
        assertThat(produce(replicas, ORDERS_0, "x").failure()).isNull();

        deleteTree(failing.logDir());
        AppendResult failed = produce(replicas, ORDERS_0, "lost-disk");
        assertThat(failed.failure()).isInstanceOf(LogException.class);
        assertThat(((LogException) failed.failure()).error()).isEqualTo(LogError.STORAGE_ERROR);

        await().atMost(Duration.ofSeconds(10)).until(() -> failing.isOffline() && !reported.isEmpty());
        assertThat(reported).containsExactly(List.of(ORDERS_0));
        assertThat(replicas.offlinePartitions()).containsExactly(ORDERS_0);
        assertThat(replicas.logDirFailureChannel().offlineDirs()).containsExactly(failing.logDir().toAbsolutePath().normalize());
        AppendResult refused = produce(replicas, ORDERS_0, "again");
        assertThat(((LogException) refused.failure()).error()).isEqualTo(LogError.STORAGE_ERROR);
        assertThat(replicas.partition(ORDERS_0)).isEmpty();
        // The other directory's partition keeps working, and the controller's commands for the
        // offline one are refused rather than recreating its log elsewhere.
        assertThat(produce(replicas, ORDERS_1, "fine").failure()).isNull();
        CommandResponse again = lead(replicas, Map.of("segment.bytes", "100"));
        assertThat(again.partitions()).extracting(CommandResponse.PartitionError::partition, CommandResponse.PartitionError::error)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(0, ClusterError.KAFKA_STORAGE_ERROR));
        assertThat(healthy.getLog(ORDERS_0)).isEmpty();
        assertThat(replicas.alterReplicaLogDirs(Map.of(ORDERS_1, failing.logDir().toString())))
                .containsEntry(ORDERS_1, LogDirMoveError.KAFKA_STORAGE_ERROR);
    }

    /** A background task's failure (the checkpoint written every few seconds) takes the directory offline too. */
    @Test
    void aCheckpointFailureTakesTheDirectoryOffline() throws Exception {
        LogManager a = openLogDir("a");
        LogManager b = openLogDir("b");
        ReplicaManager replicas = replicaManager(a, b);
        placeApart(replicas, a, b);
        lead(replicas, Map.of());
        LogManager failing = a;
        deleteTree(failing.logDir());
        Files.writeString(failing.logDir(), "not a directory any more");

        scheduler.advance(Duration.ofSeconds(6));

        await().atMost(Duration.ofSeconds(10)).until(() -> replicas.offlinePartitions().contains(ORDERS_0));
        assertThat(replicas.offlinePartitions()).containsExactly(ORDERS_0);
        assertThat(produce(replicas, ORDERS_1, "fine").failure()).isNull();
    }

    /** orders-0 in {@code a}, orders-1 in {@code b} (preferred directories, as AlterReplicaLogDirs sets them). */
    private static void placeApart(ReplicaManager replicas, LogManager a, LogManager b) {
        assertThat(replicas.alterReplicaLogDirs(Map.of(ORDERS_0, a.logDir().toString(), ORDERS_1, b.logDir().toString())))
                .containsOnly(Map.entry(ORDERS_0, LogDirMoveError.REPLICA_NOT_AVAILABLE),
                        Map.entry(ORDERS_1, LogDirMoveError.REPLICA_NOT_AVAILABLE));
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
