package dev.runnel.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.broker.group.GroupLog;
import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.storage.LogConfig;
import dev.runnel.broker.storage.LogManager;
import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.CommandResponse;
import dev.runnel.cluster.InternalTopics;
import dev.runnel.cluster.LeaderAndIsrRequest;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.cluster.UpdateMetadataRequest;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

/**
 * The group coordinator's log over a real replica manager and partition log: plain and
 * transactional batches and transaction markers go into {@code __consumer_offsets} with origin
 * COORDINATOR, and a read gives them back as batches in log order, with their producer and marker.
 */
class ReplicatedGroupLogTest {

    private static final int SELF = 1;
    private static final int CONTROLLER = 3000;
    private static final long BROKER_EPOCH = 100;
    private static final long PRODUCER = 9_000L;
    private static final BrokerInfo SELF_INFO = new BrokerInfo(SELF, "127.0.0.1", 9092, 8081, null, BROKER_EPOCH);

    @TempDir
    Path root;

    private final ManualScheduler scheduler = new ManualScheduler(new ManualClock());
    private LogManager logs;
    private ReplicatedGroupLog groupLog;

    @BeforeEach
    void leadTheFirstOffsetsPartition() throws IOException {
        logs = LogManager.open(root.resolve("logs"), LogConfig.DEFAULTS, scheduler.clock(), scheduler,
                LogManager.Settings.DEFAULTS);
        MetadataCache metadata = new MetadataCache();
        ReplicaManager replicas = new ReplicaManager(SELF, List.of(logs), metadata, () -> BROKER_EPOCH,
                scheduler.clock(), (partition, isr) -> { }, scheduler);
        TopicInfo offsets = new TopicInfo(InternalTopics.CONSUMER_OFFSETS, UUID.randomUUID(), Map.of(),
                List.of(new PartitionInfo(0, List.of(SELF), new PartitionState(SELF, 0, List.of(SELF), 0))));
        assertThat(replicas.updateMetadata(new UpdateMetadataRequest(CONTROLLER, 1, BROKER_EPOCH, 1, true,
                List.of(SELF_INFO), List.of(offsets), List.of()))).isEqualTo(CommandResponse.ok(List.of()));
        assertThat(replicas.leaderAndIsr(new LeaderAndIsrRequest(CONTROLLER, 1, BROKER_EPOCH, List.of(offsets),
                List.of(SELF_INFO)))).isEqualTo(CommandResponse.ok(List.of()));
        groupLog = new ReplicatedGroupLog(replicas, scheduler.clock(), Duration.ofSeconds(5));
    }

    @AfterEach
    void close() throws IOException {
        logs.close();
    }

    @Test
    void transactionalBatchesAndMarkersReadBackInLogOrderWithTheirProducer() {
        assertThat(append(groupLog.append(0, List.of(entry("k0", "v0"))))).isZero();
        assertThat(append(txn((short) 1, List.of(entry("k1", "v1"),
                entry("k2", null))))).isEqualTo(1);
        assertThat(append(txn((short) 1, List.of(entry("k3", "v3")))))
                .as("a second commit in the same transaction: sequences are not checked").isEqualTo(3);
        assertThat(append(groupLog.appendMarker(0, PRODUCER, (short) 1, 0, true))).isEqualTo(4);
        assertThat(append(txn((short) 1, List.of(entry("k5", "v5")))))
                .as("the producer's next transaction").isEqualTo(5);
        assertThat(append(groupLog.appendMarker(0, PRODUCER, (short) 1, 0, false))).isEqualTo(6);

        List<GroupLog.Batch> batches = new ArrayList<>();
        groupLog.read(0, batches::add);

        assertThat(batches).extracting(GroupLog.Batch::producerId, GroupLog.Batch::marker).containsExactly(
                tuple(GroupLog.NO_PRODUCER_ID, null),
                tuple(PRODUCER, null),
                tuple(PRODUCER, null),
                tuple(PRODUCER, GroupLog.Marker.COMMIT),
                tuple(PRODUCER, null),
                tuple(PRODUCER, GroupLog.Marker.ABORT));
        assertThat(batches.get(1).records()).extracting(GroupLog.Logged::offset).containsExactly(1L, 2L);
        assertThat(batches.get(1).records().get(1).value()).as("a tombstone").isNull();
        assertThat(new String(batches.get(2).records().get(0).key(), StandardCharsets.UTF_8)).isEqualTo("k3");
    }

    /** A transactional offset commit as the coordinator writes it: verification started, then the write with its token. */
    private CompletableFuture<Long> txn(short epoch, List<GroupLog.Entry> entries) {
        return groupLog.appendTransactional(0, PRODUCER, epoch, entries,
                groupLog.startTransactionVerification(0, PRODUCER, epoch));
    }

    @Test
    void aWriteThatWouldOpenATransactionWithoutItsVerificationIsRefused() {
        assertThatThrownBy(() -> append(groupLog.appendTransactional(0, PRODUCER, (short) 1,
                List.of(entry("k1", "v1")), null))).satisfies(e -> assertThat(
                        ((GroupLog.GroupLogException) rootCause(e)).error()).isEqualTo(Errors.INVALID_TXN_STATE));
        Object stale = groupLog.startTransactionVerification(0, PRODUCER, (short) 1);
        append(groupLog.appendMarker(0, PRODUCER, (short) 1, 0, false)); // the transaction ended meanwhile
        assertThatThrownBy(() -> append(groupLog.appendTransactional(0, PRODUCER, (short) 1,
                List.of(entry("k1", "v1")), stale))).satisfies(e -> assertThat(
                        ((GroupLog.GroupLogException) rootCause(e)).error()).isEqualTo(Errors.INVALID_TXN_STATE));
    }

    @Test
    void anOlderProducerEpochIsRefusedAsInvalidProducerEpoch() {
        append(txn((short) 2, List.of(entry("k0", "v0"))));

        assertThatThrownBy(() -> append(txn((short) 1, List.of(entry("k1", "v1"))))).satisfies(e -> assertThat(((GroupLog.GroupLogException) rootCause(e)).error())
                        .isEqualTo(Errors.INVALID_PRODUCER_EPOCH));
        assertThatThrownBy(() -> append(groupLog.appendMarker(0, PRODUCER, (short) 1, 0, true)))
                .satisfies(e -> assertThat(((GroupLog.GroupLogException) rootCause(e)).error())
                        .isEqualTo(Errors.INVALID_PRODUCER_EPOCH));
    }

    private static long append(CompletableFuture<Long> appended) {
        return appended.orTimeout(10, TimeUnit.SECONDS).join();
    }

    private static Throwable rootCause(Throwable e) {
        Throwable cause = e;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    private static GroupLog.Entry entry(String key, String value) {
        return new GroupLog.Entry(key.getBytes(StandardCharsets.UTF_8),
                value == null ? null : value.getBytes(StandardCharsets.UTF_8));
    }
}
