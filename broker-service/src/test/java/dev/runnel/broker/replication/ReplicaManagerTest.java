package dev.runnel.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.groups.Tuple.tuple;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
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
import dev.runnel.broker.storage.LogManager;
import dev.runnel.broker.storage.PartitionLog;
import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.ClusterError;
import dev.runnel.cluster.CommandResponse;
import dev.runnel.cluster.CommandResponse.PartitionError;
import dev.runnel.cluster.LeaderAndIsrRequest;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.PartitionRef;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.StopReplicaRequest;
import dev.runnel.cluster.TopicConfigs;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.cluster.UpdateMetadataRequest;
import dev.runnel.common.TopicPartition;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

class ReplicaManagerTest {

    private static final int BROKER = 1;
    private static final int CONTROLLER = 3000;
    private static final UUID ORDERS_ID = UUID.fromString("6f1c2a4e-0000-4000-8000-000000000001");
    private static final UUID ORDERS_RECREATED_ID = UUID.fromString("6f1c2a4e-0000-4000-8000-000000000002");
    private static final UUID PAYMENTS_ID = UUID.fromString("6f1c2a4e-0000-4000-8000-000000000003");
    private static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);
    private static final TopicPartition ORDERS_1 = new TopicPartition("orders", 1);
    private static final TopicPartition ORDERS_2 = new TopicPartition("orders", 2);
    private static final TopicPartition PAYMENTS_0 = new TopicPartition("payments", 0);
    private static final BrokerInfo SELF = new BrokerInfo(BROKER, "127.0.0.1", 9092, 8081, null, 100);

    @TempDir
    Path root;

    private final ManualScheduler scheduler = new ManualScheduler(new ManualClock());
    private final AtomicLong brokerEpoch = new AtomicLong(100);
    private final AtomicLong metadataVersion = new AtomicLong();
    private final MetadataCache metadata = new MetadataCache();
    private final List<LogManager> opened = new ArrayList<>();

    @AfterEach
    void closeLogDirs() throws IOException {
        for (LogManager manager : opened) {
            manager.close();
        }
    }

    // ---- fixtures ---------------------------------------------------------------------------

    private LogManager openLogDir(String name) throws IOException {
        LogManager manager = LogManager.open(root.resolve(name), LogConfig.DEFAULTS, scheduler.clock(), scheduler,
                LogManager.Settings.DEFAULTS);
        opened.add(manager);
        return manager;
    }

    private ReplicaManager replicaManager(LogManager... logDirs) {
        return new ReplicaManager(BROKER, List.of(logDirs), metadata, brokerEpoch::get, scheduler.clock(),
                (partition, isr) -> { }, scheduler);
    }

    /** A partition whose ISR is all its replicas. */
    private static PartitionInfo partition(int index, int leader, int leaderEpoch, Integer... replicas) {
        return new PartitionInfo(index, List.of(replicas),
                new PartitionState(leader, leaderEpoch, List.of(replicas), leaderEpoch));
    }

    private static TopicInfo topic(String name, UUID id, PartitionInfo... partitions) {
        return topic(name, id, Map.of(), partitions);
    }

    private static TopicInfo topic(String name, UUID id, Map<String, String> configs, PartitionInfo... partitions) {
        return new TopicInfo(name, id, configs, List.of(partitions));
    }

    private LeaderAndIsrRequest leaderAndIsr(int controllerEpoch, TopicInfo... topics) {
        return new LeaderAndIsrRequest(CONTROLLER, controllerEpoch, brokerEpoch.get(), List.of(topics), List.of());
    }

    private UpdateMetadataRequest fullMetadata(int controllerEpoch, TopicInfo... topics) {
        return new UpdateMetadataRequest(CONTROLLER, controllerEpoch, brokerEpoch.get(), metadataVersion.incrementAndGet(),
                true, List.of(SELF), List.of(topics), List.of());
    }

    private UpdateMetadataRequest incrementalMetadata(int controllerEpoch, List<TopicInfo> topics,
            List<String> deleted) {
        return new UpdateMetadataRequest(CONTROLLER, controllerEpoch, brokerEpoch.get(),
                metadataVersion.incrementAndGet(), false, List.of(SELF), topics, deleted);
    }

    private StopReplicaRequest stopReplica(int controllerEpoch, boolean delete, TopicPartition... partitions) {
        List<PartitionRef> refs = Arrays.stream(partitions).map(tp -> new PartitionRef(tp.topic(), tp.partition()))
                .toList();
        return new StopReplicaRequest(CONTROLLER, controllerEpoch, brokerEpoch.get(), delete, refs);
    }

    private static void appendRecords(PartitionLog log, int count, int leaderEpoch) {
        List<SimpleRecord> records = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            records.add(new SimpleRecord(1_700_000_000_000L, null, ("v" + i).getBytes(StandardCharsets.UTF_8)));
        }
        log.appendAsLeader(KafkaRecordBatches.batch(RecordCodec.NONE, ProducerInfo.NONE, records), leaderEpoch);
    }

    private static PartitionLog logOf(LogManager dir, TopicPartition tp) {
        return dir.getLog(tp).orElseThrow(() -> new AssertionError("no log of " + tp + " in " + dir.logDir()));
    }

    private static List<String> directoryNames(Path dir) throws IOException {
        try (var entries = Files.list(dir)) {
            return entries.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    // ---- LeaderAndIsr -----------------------------------------------------------------------

    @Test
    void leaderAndIsrCreatesThePartitionLogsOnDiskAndRecordsTheRoles() throws Exception {
        LogManager dir = openLogDir("logs");
        ReplicaManager replicas = replicaManager(dir);

        CommandResponse response = replicas.leaderAndIsr(leaderAndIsr(1,
                topic("orders", ORDERS_ID, partition(0, BROKER, 0, 1, 2), partition(1, 2, 0, 2, 1))));

        assertThat(response.error()).isEqualTo(ClusterError.NONE);
        assertThat(response.partitions()).isEmpty();
        assertThat(Files.isDirectory(root.resolve("logs").resolve("orders-0"))).isTrue();
        assertThat(Files.isDirectory(root.resolve("logs").resolve("orders-1"))).isTrue();
        assertThat(dir.logs()).containsOnlyKeys(ORDERS_0, ORDERS_1);

        Map<TopicPartition, HostedPartition> hosted = replicas.hostedPartitions();
        assertThat(hosted).containsOnlyKeys(ORDERS_0, ORDERS_1);
        assertThat(hosted.get(ORDERS_0).leader()).isTrue();
        assertThat(hosted.get(ORDERS_0).topicId()).isEqualTo(ORDERS_ID);
        assertThat(hosted.get(ORDERS_0).replicas()).containsExactly(1, 2);
        assertThat(hosted.get(ORDERS_0).state()).isEqualTo(new PartitionState(BROKER, 0, List.of(1, 2), 0));
        assertThat(hosted.get(ORDERS_1).leader()).isFalse();
        assertThat(hosted.get(ORDERS_1).state().leader()).isEqualTo(2);
        assertThat(replicas.highestControllerEpoch()).isEqualTo(1);
    }

    /** As Kafka: only the group coordinator appends to {@code __consumer_offsets}; a client's append is refused. */
    @Test
    void aClientMayNotAppendToAnInternalTopicItsCoordinatorMay() throws Exception {
        ReplicaManager replicas = replicaManager(openLogDir("logs"));
        TopicPartition offsets0 = new TopicPartition("__consumer_offsets", 0);
        replicas.leaderAndIsr(leaderAndIsr(1, topic("__consumer_offsets", PAYMENTS_ID, partition(0, BROKER, 0, 1))));

        AppendResult byClient = replicas.appendRecords(Map.of(offsets0, batch("c")), (short) 1, Duration.ofSeconds(5),
                AppendOrigin.CLIENT).join().get(offsets0);
        AppendResult byCoordinator = replicas.appendRecords(Map.of(offsets0, batch("g")), (short) -1,
                Duration.ofSeconds(5), AppendOrigin.COORDINATOR).join().get(offsets0);

        assertThat(byClient.failure()).isInstanceOf(ReplicaException.class)
                .hasMessage("Cannot append to internal topic __consumer_offsets");
        assertThat(((ReplicaException) byClient.failure()).error()).isEqualTo(ReplicaError.INVALID_TOPIC);
        assertThat(byCoordinator.failed()).isFalse();
        assertThat(byCoordinator.info().firstOffset()).isZero();
        assertThat(replicas.partition(offsets0).orElseThrow().log().logEndOffset()).isOne();
    }

    private static ByteBuffer batch(String value) {
        return KafkaRecordBatches.batch(RecordCodec.NONE, ProducerInfo.NONE,
                List.of(new SimpleRecord(1_700_000_000_000L, null, value.getBytes(StandardCharsets.UTF_8))));
    }

    /**
     * A follower that becomes leader stops fetching before it takes the new epoch: a fetch answer in
     * flight must not extend or cut its log once the epoch began at its log end (nemesis finding).
     */
    @Test
    void fetchingStopsBeforeAFollowerBecomesLeader() throws Exception {
        LogManager dir = openLogDir("logs");
        ReplicaManager replicas = replicaManager(dir);
        List<String> calls = new ArrayList<>();
        replicas.beforeLeadershipChange(tp -> calls.add(tp + " leader=" + replicas.partition(tp).orElseThrow().isLeader()
                + " epoch=" + replicas.partition(tp).orElseThrow().leaderEpoch()));
        replicas.onStateChange(tp -> calls.add(tp + " changed"));
        replicas.leaderAndIsr(leaderAndIsr(1, topic("orders", ORDERS_ID, partition(0, 2, 3, 2, BROKER))));
        calls.clear();

        replicas.leaderAndIsr(leaderAndIsr(1, topic("orders", ORDERS_ID, partition(0, BROKER, 4, 2, BROKER))));

        assertThat(calls).containsExactly("orders-0 leader=false epoch=3", "orders-0 changed");
        calls.clear();
        replicas.leaderAndIsr(leaderAndIsr(1, topic("orders", ORDERS_ID, new PartitionInfo(0, List.of(2, BROKER),
                new PartitionState(BROKER, 4, List.of(BROKER), 5)))));
        assertThat(calls).as("an ISR change in the same epoch keeps fetching as it is").containsExactly("orders-0 changed");
    }

    @Test
    void theSameLeaderAndIsrAgainChangesNothing() throws Exception {
        LogManager dir = openLogDir("logs");
        ReplicaManager replicas = replicaManager(dir);
        LeaderAndIsrRequest request = leaderAndIsr(1, topic("orders", ORDERS_ID, partition(0, BROKER, 4, 1, 2)));
        replicas.leaderAndIsr(request);
        PartitionLog log = logOf(dir, ORDERS_0);
        appendRecords(log, 3, 4);
        Map<TopicPartition, HostedPartition> before = replicas.hostedPartitions();

        CommandResponse again = replicas.leaderAndIsr(request);

        assertThat(again).isEqualTo(CommandResponse.ok(List.of()));
        assertThat(replicas.hostedPartitions()).isEqualTo(before);
        assertThat(logOf(dir, ORDERS_0)).isSameAs(log);
        assertThat(log.logEndOffset()).isEqualTo(3);
        assertThat(directoryNames(root.resolve("logs"))).containsExactly("orders-0");
    }

    @Test
    void aHigherLeaderEpochChangesTheRoleAndKeepsTheLog() throws Exception {
        LogManager dir = openLogDir("logs");
        ReplicaManager replicas = replicaManager(dir);
        replicas.leaderAndIsr(leaderAndIsr(1, topic("orders", ORDERS_ID, partition(0, BROKER, 0, 1, 2))));
        appendRecords(logOf(dir, ORDERS_0), 2, 0);

        CommandResponse response = replicas.leaderAndIsr(
                leaderAndIsr(1, topic("orders", ORDERS_ID, partition(0, 2, 1, 2, 1))));

        assertThat(response.partitions()).isEmpty();
        HostedPartition orders0 = replicas.hostedPartitions().get(ORDERS_0);
        assertThat(orders0.leader()).isFalse();
        assertThat(orders0.state().leader()).isEqualTo(2);
        assertThat(orders0.state().leaderEpoch()).isEqualTo(1);
        assertThat(logOf(dir, ORDERS_0).logEndOffset()).isEqualTo(2);
    }

    @Test
    void aLowerLeaderEpochIsRefusedForThatPartitionOnlyWhileTheOthersApply() throws Exception {
        LogManager dir = openLogDir("logs");
        ReplicaManager replicas = replicaManager(dir);
        replicas.leaderAndIsr(leaderAndIsr(1, topic("orders", ORDERS_ID,
                partition(0, BROKER, 5, 1, 2), partition(1, BROKER, 5, 1, 2))));

        CommandResponse response = replicas.leaderAndIsr(leaderAndIsr(1,
                topic("orders", ORDERS_ID, partition(0, 2, 4, 2, 1), partition(1, 2, 6, 2, 1)),
                topic("payments", PAYMENTS_ID, partition(0, BROKER, 0, 1))));

        assertThat(response.error()).isEqualTo(ClusterError.NONE);
        assertThat(response.partitions()).singleElement().satisfies(error -> {
            assertThat(error.topic()).isEqualTo("orders");
            assertThat(error.partition()).isZero();
            assertThat(error.error()).isEqualTo(ClusterError.STALE_LEADER_EPOCH);
            assertThat(error.message()).contains("4").contains("5");
        });
        Map<TopicPartition, HostedPartition> hosted = replicas.hostedPartitions();
        assertThat(hosted.get(ORDERS_0).state().leaderEpoch()).isEqualTo(5);
        assertThat(hosted.get(ORDERS_0).leader()).isTrue();
        assertThat(hosted.get(ORDERS_1).state().leaderEpoch()).isEqualTo(6);
        assertThat(hosted.get(ORDERS_1).leader()).isFalse();
        assertThat(hosted).containsKey(PAYMENTS_0);
        assertThat(dir.getLog(PAYMENTS_0)).isPresent();
    }

    @Test
    void aPartitionNotAssignedToThisBrokerIsAnInvalidRequestAndCreatesNoLog() throws Exception {
        LogManager dir = openLogDir("logs");
        ReplicaManager replicas = replicaManager(dir);

        CommandResponse response = replicas.leaderAndIsr(leaderAndIsr(1,
                topic("orders", ORDERS_ID, partition(0, 2, 0, 2, 3), partition(1, BROKER, 0, 1, 2))));

        assertThat(response.error()).isEqualTo(ClusterError.NONE);
        assertThat(response.partitions()).extracting(PartitionError::topic, PartitionError::partition,
                PartitionError::error).containsExactly(tuple("orders", 0, ClusterError.INVALID_REQUEST));
        assertThat(replicas.hostedPartitions()).containsOnlyKeys(ORDERS_1);
        assertThat(dir.logs()).containsOnlyKeys(ORDERS_1);
        assertThat(Files.exists(root.resolve("logs").resolve("orders-0"))).isFalse();
    }

    // ---- fencing ----------------------------------------------------------------------------

    @Test
    void aLeaderAndIsrFromAnOlderControllerIsRefusedWholeAndChangesNothing() throws Exception {
        LogManager dir = openLogDir("logs");
        ReplicaManager replicas = replicaManager(dir);
        replicas.leaderAndIsr(leaderAndIsr(5, topic("orders", ORDERS_ID, partition(0, BROKER, 3, 1, 2))));
        Map<TopicPartition, HostedPartition> before = replicas.hostedPartitions();

        CommandResponse response = replicas.leaderAndIsr(leaderAndIsr(4,
                topic("orders", ORDERS_ID, partition(0, 2, 4, 2, 1)),
                topic("payments", PAYMENTS_ID, partition(0, BROKER, 0, 1))));

        assertThat(response.error()).isEqualTo(ClusterError.STALE_CONTROLLER_EPOCH);
        assertThat(response.message()).contains("4").contains("5");
        assertThat(response.partitions()).isEmpty();
        assertThat(replicas.hostedPartitions()).isEqualTo(before);
        assertThat(dir.logs()).containsOnlyKeys(ORDERS_0);
        assertThat(Files.exists(root.resolve("logs").resolve("payments-0"))).isFalse();
        assertThat(replicas.highestControllerEpoch()).isEqualTo(5);
    }

    @Test
    void anUpdateMetadataFromAnOlderControllerIsRefusedWholeAndChangesNothing() throws Exception {
        LogManager dir = openLogDir("logs");
        ReplicaManager replicas = replicaManager(dir);
        TopicInfo orders = topic("orders", ORDERS_ID, partition(0, BROKER, 0, 1, 2));
        replicas.leaderAndIsr(leaderAndIsr(5, orders));
        replicas.updateMetadata(fullMetadata(5, orders));
        MetadataCache.Snapshot before = metadata.snapshot();

        // A full view without the topic would delete its log, were it accepted.
        CommandResponse response = replicas.updateMetadata(fullMetadata(4));

        assertThat(response.error()).isEqualTo(ClusterError.STALE_CONTROLLER_EPOCH);
        assertThat(metadata.snapshot()).isEqualTo(before);
        assertThat(replicas.hostedPartitions()).containsOnlyKeys(ORDERS_0);
        assertThat(dir.getLog(ORDERS_0)).isPresent();
        assertThat(Files.isDirectory(root.resolve("logs").resolve("orders-0"))).isTrue();
        assertThat(replicas.highestControllerEpoch()).isEqualTo(5);
    }

    @Test
    void aStopReplicaFromAnOlderControllerIsRefusedWholeAndChangesNothing() throws Exception {
        LogManager dir = openLogDir("logs");
        ReplicaManager replicas = replicaManager(dir);
        replicas.leaderAndIsr(leaderAndIsr(5, topic("orders", ORDERS_ID, partition(0, BROKER, 0, 1, 2))));

        CommandResponse response = replicas.stopReplica(stopReplica(4, true, ORDERS_0));

        assertThat(response.error()).isEqualTo(ClusterError.STALE_CONTROLLER_EPOCH);
        assertThat(replicas.hostedPartitions()).containsOnlyKeys(ORDERS_0);
        assertThat(dir.getLog(ORDERS_0)).isPresent();
        assertThat(Files.isDirectory(root.resolve("logs").resolve("orders-0"))).isTrue();
    }

    @Test
    void aCommandFromANewerControllerIsAcceptedAndRaisesTheHighestControllerEpoch() throws Exception {
        ReplicaManager replicas = replicaManager(openLogDir("logs"));
        replicas.leaderAndIsr(leaderAndIsr(5, topic("orders", ORDERS_ID, partition(0, BROKER, 0, 1, 2))));

        CommandResponse response = replicas.updateMetadata(fullMetadata(7,
                topic("orders", ORDERS_ID, partition(0, BROKER, 0, 1, 2))));

        assertThat(response.error()).isEqualTo(ClusterError.NONE);
        assertThat(replicas.highestControllerEpoch()).isEqualTo(7);
        assertThat(replicas.stopReplica(stopReplica(6, false, ORDERS_0)).error())
                .isEqualTo(ClusterError.STALE_CONTROLLER_EPOCH);
    }

    @Test
    void aCommandForAnotherBrokerEpochIsRefusedAndChangesNothing() throws Exception {
        LogManager dir = openLogDir("logs");
        ReplicaManager replicas = replicaManager(dir);
        replicas.leaderAndIsr(leaderAndIsr(1, topic("orders", ORDERS_ID, partition(0, BROKER, 0, 1, 2))));

        LeaderAndIsrRequest forEarlierLife = new LeaderAndIsrRequest(CONTROLLER, 2, 99,
                List.of(topic("payments", PAYMENTS_ID, partition(0, BROKER, 0, 1))), List.of());
        CommandResponse leaderAndIsr = replicas.leaderAndIsr(forEarlierLife);
        CommandResponse stop = replicas.stopReplica(new StopReplicaRequest(CONTROLLER, 2, 99, true,
                List.of(new PartitionRef("orders", 0))));

        assertThat(leaderAndIsr.error()).isEqualTo(ClusterError.STALE_BROKER_EPOCH);
        assertThat(leaderAndIsr.message()).contains("99").contains("100");
        assertThat(stop.error()).isEqualTo(ClusterError.STALE_BROKER_EPOCH);
        assertThat(replicas.hostedPartitions()).containsOnlyKeys(ORDERS_0);
        assertThat(dir.logs()).containsOnlyKeys(ORDERS_0);
        assertThat(replicas.highestControllerEpoch()).isEqualTo(1);
    }

    @Test
    void afterARegistrationWithANewEpochOnlyCommandsForTheNewEpochAreAccepted() throws Exception {
        LogManager dir = openLogDir("logs");
        ReplicaManager replicas = replicaManager(dir);
        LeaderAndIsrRequest forOldEpoch = leaderAndIsr(1, topic("orders", ORDERS_ID, partition(0, BROKER, 0, 1, 2)));

        brokerEpoch.set(250);

        assertThat(replicas.leaderAndIsr(forOldEpoch).error()).isEqualTo(ClusterError.STALE_BROKER_EPOCH);
        assertThat(dir.logs()).isEmpty();
        CommandResponse forNewEpoch = replicas.leaderAndIsr(
                leaderAndIsr(1, topic("orders", ORDERS_ID, partition(0, BROKER, 0, 1, 2))));
        assertThat(forNewEpoch.error()).isEqualTo(ClusterError.NONE);
        assertThat(dir.logs()).containsOnlyKeys(ORDERS_0);
    }

    // ---- StopReplica ------------------------------------------------------------------------

    @Test
    void stopReplicaWithDeleteRemovesTheLogDirectoryAndTheHostedPartition() throws Exception {
        LogManager dir = openLogDir("logs");
        ReplicaManager replicas = replicaManager(dir);
        replicas.leaderAndIsr(leaderAndIsr(1,
                topic("orders", ORDERS_ID, partition(0, BROKER, 0, 1, 2), partition(1, BROKER, 0, 1, 2))));
        appendRecords(logOf(dir, ORDERS_0), 3, 0);

        CommandResponse response = replicas.stopReplica(stopReplica(1, true, ORDERS_0));

        assertThat(response).isEqualTo(CommandResponse.ok(List.of()));
        assertThat(replicas.hostedPartitions()).containsOnlyKeys(ORDERS_1);
        assertThat(dir.getLog(ORDERS_0)).isEmpty();
        assertThat(Files.exists(root.resolve("logs").resolve("orders-0"))).isFalse();
        assertThat(directoryNames(root.resolve("logs"))).containsExactly("orders-1");
    }

    @Test
    void stopReplicaWithoutDeleteKeepsTheLogAndItsData() throws Exception {
        LogManager dir = openLogDir("logs");
        ReplicaManager replicas = replicaManager(dir);
        replicas.leaderAndIsr(leaderAndIsr(1, topic("orders", ORDERS_ID, partition(0, BROKER, 0, 1, 2))));
        PartitionLog log = logOf(dir, ORDERS_0);
        appendRecords(log, 3, 0);

        CommandResponse response = replicas.stopReplica(stopReplica(1, false, ORDERS_0));

        assertThat(response.error()).isEqualTo(ClusterError.NONE);
        assertThat(replicas.hostedPartitions()).isEmpty();
        assertThat(logOf(dir, ORDERS_0)).isSameAs(log);
        assertThat(log.logEndOffset()).isEqualTo(3);
        assertThat(Files.isDirectory(root.resolve("logs").resolve("orders-0"))).isTrue();
    }

    @Test
    void stopReplicaForAPartitionNotHostedOrAlreadyDeletedSucceeds() throws Exception {
        LogManager dir = openLogDir("logs");
        ReplicaManager replicas = replicaManager(dir);
        replicas.leaderAndIsr(leaderAndIsr(1, topic("orders", ORDERS_ID, partition(0, BROKER, 0, 1, 2))));
        StopReplicaRequest delete = stopReplica(1, true, ORDERS_0, PAYMENTS_0);

        assertThat(replicas.stopReplica(delete)).isEqualTo(CommandResponse.ok(List.of()));
        assertThat(replicas.stopReplica(delete)).isEqualTo(CommandResponse.ok(List.of()));
        assertThat(dir.logs()).isEmpty();
        assertThat(replicas.hostedPartitions()).isEmpty();
    }

    // ---- UpdateMetadata ---------------------------------------------------------------------

    @Test
    void updateMetadataIsAppliedToTheMetadataCache() throws Exception {
        ReplicaManager replicas = replicaManager(openLogDir("logs"));
        TopicInfo orders = topic("orders", ORDERS_ID, partition(0, BROKER, 0, 1, 2));

        CommandResponse response = replicas.updateMetadata(fullMetadata(2, orders));

        assertThat(response).isEqualTo(CommandResponse.ok(List.of()));
        assertThat(metadata.snapshot().controllerEpoch()).isEqualTo(2);
        assertThat(metadata.snapshot().controllerId()).isEqualTo(CONTROLLER);
        assertThat(metadata.snapshot().topics()).containsOnlyKeys("orders");
        assertThat(metadata.liveBrokers()).containsExactly(SELF);
    }

    @Test
    void theBrokerServesClientsOnlyAfterAFullViewForItsCurrentRegistration() throws Exception {
        ReplicaManager replicas = replicaManager(openLogDir("logs"));
        TopicInfo orders = topic("orders", ORDERS_ID, partition(0, BROKER, 0, 1, 2));
        assertThat(replicas.servesClients()).isFalse();

        replicas.updateMetadata(incrementalMetadata(1, List.of(orders), List.of()));
        assertThat(replicas.servesClients()).as("an incremental view may lack topics").isFalse();
        replicas.updateMetadata(fullMetadata(1, orders));
        assertThat(replicas.servesClients()).isTrue();

        // The session was lost and the broker registered again: a new epoch needs its own full view.
        brokerEpoch.set(-1);
        assertThat(replicas.servesClients()).isFalse();
        brokerEpoch.set(101);
        assertThat(replicas.servesClients()).isFalse();
        replicas.updateMetadata(fullMetadata(1, orders));
        assertThat(replicas.servesClients()).isTrue();
    }

    @Test
    void updateMetadataForAnotherRegistrationIsRefusedAndAnOlderVersionIgnored() throws Exception {
        ReplicaManager replicas = replicaManager(openLogDir("logs"));
        TopicInfo orders = topic("orders", ORDERS_ID, partition(0, BROKER, 0, 1, 2));
        UpdateMetadataRequest older = fullMetadata(1);
        UpdateMetadataRequest forEarlierLife = new UpdateMetadataRequest(CONTROLLER, 1, brokerEpoch.get() - 1,
                metadataVersion.incrementAndGet(), true, List.of(SELF), List.of(), List.of());
        replicas.updateMetadata(fullMetadata(1, orders));

        assertThat(replicas.updateMetadata(forEarlierLife).error()).isEqualTo(ClusterError.STALE_BROKER_EPOCH);
        CommandResponse ignored = replicas.updateMetadata(older);

        assertThat(ignored.error()).isEqualTo(ClusterError.NONE);
        assertThat(ignored.message()).contains("ignored");
        assertThat(metadata.snapshot().topics()).containsOnlyKeys("orders");
    }

    @Test
    void aFullUpdateMetadataDeletesStrayLogsAndKeepsAssignedOnes() throws Exception {
        LogManager dir = openLogDir("logs");
        ReplicaManager replicas = replicaManager(dir);
        replicas.leaderAndIsr(leaderAndIsr(1,
                topic("orders", ORDERS_ID, partition(0, BROKER, 0, 1, 2), partition(1, BROKER, 0, 1, 2)),
                topic("payments", PAYMENTS_ID, partition(0, BROKER, 0, 1))));
        // Left on disk by an earlier life of the broker, never hosted in this one.
        dir.getOrCreateLog(ORDERS_2, LogConfig.DEFAULTS);
        dir.getOrCreateLog(new TopicPartition("gone", 0), LogConfig.DEFAULTS);

        // orders-1 moved to brokers 2 and 3; payments and gone were deleted; orders-0 and orders-2 stay here.
        CommandResponse response = replicas.updateMetadata(fullMetadata(1, topic("orders", ORDERS_ID,
                partition(0, BROKER, 0, 1, 2), partition(1, 2, 1, 2, 3), partition(2, 3, 0, 3, 1))));

        assertThat(response.error()).isEqualTo(ClusterError.NONE);
        assertThat(dir.logs()).containsOnlyKeys(ORDERS_0, ORDERS_2);
        assertThat(directoryNames(root.resolve("logs"))).containsExactly("orders-0", "orders-2");
        assertThat(replicas.hostedPartitions()).containsOnlyKeys(ORDERS_0);
    }

    @Test
    void aFullUpdateMetadataDeletesStrayLogsInEveryLogDir() throws Exception {
        LogManager first = openLogDir("logs-a");
        LogManager second = openLogDir("logs-b");
        ReplicaManager replicas = replicaManager(first, second);
        first.getOrCreateLog(new TopicPartition("gone", 0), LogConfig.DEFAULTS);
        second.getOrCreateLog(new TopicPartition("gone", 1), LogConfig.DEFAULTS);
        second.getOrCreateLog(ORDERS_0, LogConfig.DEFAULTS);

        replicas.updateMetadata(fullMetadata(1, topic("orders", ORDERS_ID, partition(0, BROKER, 0, 1, 2))));

        assertThat(first.logs()).isEmpty();
        assertThat(second.logs()).containsOnlyKeys(ORDERS_0);
        assertThat(directoryNames(root.resolve("logs-a"))).isEmpty();
        assertThat(directoryNames(root.resolve("logs-b"))).containsExactly("orders-0");
    }

    @Test
    void anIncrementalUpdateMetadataDeletesNoLogs() throws Exception {
        LogManager dir = openLogDir("logs");
        ReplicaManager replicas = replicaManager(dir);
        replicas.leaderAndIsr(leaderAndIsr(1, topic("orders", ORDERS_ID, partition(0, BROKER, 0, 1, 2))));
        dir.getOrCreateLog(new TopicPartition("gone", 0), LogConfig.DEFAULTS);

        replicas.updateMetadata(incrementalMetadata(1, List.of(), List.of("orders", "gone")));

        assertThat(dir.logs()).containsOnlyKeys(ORDERS_0, new TopicPartition("gone", 0));
        assertThat(replicas.hostedPartitions()).containsOnlyKeys(ORDERS_0);
    }

    // ---- log directories and configs --------------------------------------------------------

    @Test
    void newPartitionsGoToTheLogDirWithFewerLogs() throws Exception {
        LogManager busy = openLogDir("logs-a");
        LogManager empty = openLogDir("logs-b");
        busy.getOrCreateLog(new TopicPartition("old", 0), LogConfig.DEFAULTS);
        busy.getOrCreateLog(new TopicPartition("old", 1), LogConfig.DEFAULTS);
        ReplicaManager replicas = replicaManager(busy, empty);

        replicas.leaderAndIsr(leaderAndIsr(1, topic("orders", ORDERS_ID, partition(0, BROKER, 0, 1))));
        replicas.leaderAndIsr(leaderAndIsr(1, topic("orders", ORDERS_ID, partition(1, BROKER, 0, 1))));

        assertThat(empty.logs()).containsOnlyKeys(ORDERS_0, ORDERS_1);
        assertThat(busy.logs()).containsOnlyKeys(new TopicPartition("old", 0), new TopicPartition("old", 1));
        assertThat(Files.isDirectory(root.resolve("logs-b").resolve("orders-0"))).isTrue();
        assertThat(Files.isDirectory(root.resolve("logs-b").resolve("orders-1"))).isTrue();
        assertThat(Files.exists(root.resolve("logs-a").resolve("orders-0"))).isFalse();
    }

    @Test
    void aPartitionWhoseLogIsInAnyLogDirKeepsUsingThatLog() throws Exception {
        LogManager busy = openLogDir("logs-a");
        LogManager empty = openLogDir("logs-b");
        PartitionLog existing = busy.getOrCreateLog(ORDERS_0, LogConfig.DEFAULTS);
        busy.getOrCreateLog(ORDERS_1, LogConfig.DEFAULTS);
        appendRecords(existing, 2, 0);
        ReplicaManager replicas = replicaManager(busy, empty);

        CommandResponse response = replicas.leaderAndIsr(
                leaderAndIsr(1, topic("orders", ORDERS_ID, partition(0, BROKER, 0, 1, 2))));

        assertThat(response.partitions()).isEmpty();
        assertThat(logOf(busy, ORDERS_0)).isSameAs(existing);
        assertThat(existing.logEndOffset()).isEqualTo(2);
        assertThat(empty.logs()).isEmpty();
    }

    @Test
    void storageTopicConfigsArePassedToTheNewLogAndOtherConfigsDoNotStopIt() throws Exception {
        LogManager dir = openLogDir("logs");
        ReplicaManager replicas = replicaManager(dir);
        Map<String, String> configs = Map.of(
                "segment.bytes", "1048576",
                "retention.ms", "3600000",
                "max.message.bytes", "2000000",
                TopicConfigs.MIN_INSYNC_REPLICAS, "2",
                TopicConfigs.CLEANUP_POLICY, "compact,delete",
                TopicConfigs.UNCLEAN_LEADER_ELECTION, "true",
                "compression.type", "zstd",
                "message.timestamp.type", "LogAppendTime",
                "preallocate", "false");

        CommandResponse response = replicas.leaderAndIsr(
                leaderAndIsr(1, topic("orders", ORDERS_ID, configs, partition(0, BROKER, 0, 1, 2))));

        assertThat(response).isEqualTo(CommandResponse.ok(List.of()));
        LogConfig config = logOf(dir, ORDERS_0).config();
        assertThat(config.segmentBytes()).isEqualTo(1_048_576);
        assertThat(config.retentionMs()).isEqualTo(3_600_000L);
        assertThat(config.maxMessageBytes()).isEqualTo(2_000_000);
        assertThat(config.segmentMs()).isEqualTo(LogConfig.DEFAULTS.segmentMs());
        assertThat(config.retentionBytes()).isEqualTo(LogConfig.DEFAULTS.retentionBytes());
        assertThat(replicas.hostedPartitions()).containsKey(ORDERS_0);
    }

    @Test
    void everyStorageConfigTheLogReadsIsATopicConfigTheControllerAccepts() {
        assertThat(TopicConfigs.names()).containsAll(LogConfig.NAMES);
    }

    @Test
    void theSmallestStorageValuesTheControllerAcceptsOpenALog() throws Exception {
        Map<String, String> smallest = new TreeMap<>(Map.of(
                "segment.bytes", "1048576",
                "segment.ms", "1",
                "retention.ms", "-1",
                "retention.bytes", "-1",
                "max.message.bytes", "61",
                "flush.messages", "1",
                "flush.ms", "0",
                "index.interval.bytes", "0",
                "segment.index.bytes", "24",
                "file.delete.delay.ms", "0"));
        assertThatCode(() -> TopicConfigs.validate(smallest)).doesNotThrowAnyException();
        LogManager dir = openLogDir("logs");
        ReplicaManager replicas = replicaManager(dir);

        CommandResponse response = replicas.leaderAndIsr(
                leaderAndIsr(1, topic("orders", ORDERS_ID, smallest, partition(0, BROKER, 0, 1, 2))));

        assertThat(response.partitions()).isEmpty();
        assertThat(logOf(dir, ORDERS_0).config().segmentIndexBytes()).isEqualTo(24);
    }

    @Test
    void topicConfigsReachALogThatIsAlreadyOnDiskAfterARestart() throws Exception {
        Map<String, String> configs = Map.of("segment.bytes", "1048576", "retention.ms", "3600000");
        TopicInfo orders = topic("orders", ORDERS_ID, configs, partition(0, BROKER, 0, 1, 2));
        LogManager before = openLogDir("logs");
        replicaManager(before).leaderAndIsr(leaderAndIsr(1, orders));
        before.close();

        LogManager after = openLogDir("logs");
        ReplicaManager restarted = replicaManager(after);
        restarted.updateMetadata(fullMetadata(1, orders));
        CommandResponse response = restarted.leaderAndIsr(leaderAndIsr(1, orders));

        assertThat(response.partitions()).isEmpty();
        LogConfig config = logOf(after, ORDERS_0).config();
        assertThat(config.segmentBytes()).isEqualTo(1_048_576);
        assertThat(config.retentionMs()).isEqualTo(3_600_000L);
    }

    @Test
    void alteredTopicConfigsInAnUpdateMetadataReachTheHostedLogs() throws Exception {
        LogManager dir = openLogDir("logs");
        ReplicaManager replicas = replicaManager(dir);
        replicas.leaderAndIsr(leaderAndIsr(1, topic("orders", ORDERS_ID, Map.of("retention.ms", "3600000"),
                partition(0, BROKER, 0, 1, 2))));

        // What the controller sends after an AlterConfigs: the topic with its new configs.
        replicas.updateMetadata(incrementalMetadata(1, List.of(topic("orders", ORDERS_ID,
                Map.of("retention.ms", "60000"), partition(0, BROKER, 0, 1, 2))), List.of()));

        assertThat(logOf(dir, ORDERS_0).config().retentionMs()).isEqualTo(60_000L);
    }

    // ---- topics recreated under the same name -----------------------------------------------

    @Test
    void aTopicRecreatedWithANewIdReplacesTheOldLog() throws Exception {
        LogManager dir = openLogDir("logs");
        ReplicaManager replicas = replicaManager(dir);
        replicas.leaderAndIsr(leaderAndIsr(1, topic("orders", ORDERS_ID, partition(0, BROKER, 0, 1, 2))));
        appendRecords(logOf(dir, ORDERS_0), 5, 0);

        CommandResponse response = replicas.leaderAndIsr(leaderAndIsr(1,
                topic("orders", ORDERS_RECREATED_ID, partition(0, BROKER, 1, 1, 2))));

        assertThat(response.partitions()).isEmpty();
        assertThat(logOf(dir, ORDERS_0).logEndOffset()).isZero();
        assertThat(replicas.hostedPartitions().get(ORDERS_0).topicId()).isEqualTo(ORDERS_RECREATED_ID);
        assertThat(Files.isDirectory(root.resolve("logs").resolve("orders-0"))).isTrue();
    }

    @Test
    void aTopicRecreatedWithANewIdReplacesTheOldLogThoughItsLeaderEpochStartsAgainAtZero() throws Exception {
        LogManager dir = openLogDir("logs");
        ReplicaManager replicas = replicaManager(dir);
        replicas.leaderAndIsr(leaderAndIsr(1, topic("orders", ORDERS_ID, partition(0, BROKER, 3, 1, 2))));
        appendRecords(logOf(dir, ORDERS_0), 5, 3);

        // The controller creates every topic at leader epoch 0; this broker missed the deletion.
        CommandResponse response = replicas.leaderAndIsr(leaderAndIsr(2,
                topic("orders", ORDERS_RECREATED_ID, partition(0, BROKER, 0, 1, 2))));

        assertThat(response.partitions()).isEmpty();
        assertThat(replicas.hostedPartitions().get(ORDERS_0).topicId()).isEqualTo(ORDERS_RECREATED_ID);
        assertThat(replicas.hostedPartitions().get(ORDERS_0).state().leaderEpoch()).isZero();
        assertThat(logOf(dir, ORDERS_0).logEndOffset()).isZero();
    }

    @Test
    void aTopicRecreatedWhileTheBrokerWasDownReplacesTheOldLog() throws Exception {
        LogManager before = openLogDir("logs");
        replicaManager(before).leaderAndIsr(leaderAndIsr(1,
                topic("orders", ORDERS_ID, partition(0, BROKER, 2, 1, 2))));
        appendRecords(logOf(before, ORDERS_0), 5, 2);
        before.close();

        LogManager after = openLogDir("logs");
        ReplicaManager restarted = replicaManager(after);
        TopicInfo recreated = topic("orders", ORDERS_RECREATED_ID, partition(0, BROKER, 0, 1, 2));
        restarted.updateMetadata(fullMetadata(2, recreated));
        CommandResponse response = restarted.leaderAndIsr(leaderAndIsr(2, recreated));

        assertThat(response.partitions()).isEmpty();
        assertThat(logOf(after, ORDERS_0).logEndOffset()).isZero();
    }
}
