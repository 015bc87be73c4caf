package dev.runnel.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.broker.cluster.HostedPartition;
import dev.runnel.broker.kafka.KafkaRecordBatches;
import dev.runnel.broker.kafka.RecordCodec;
import dev.runnel.broker.storage.LogConfig;
import dev.runnel.broker.storage.LogManager;
import dev.runnel.broker.storage.PartitionLog;
import dev.runnel.cluster.PartitionState;
import dev.runnel.common.TopicPartition;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

/**
 * The leader's side of replication on one partition, with a fake clock: the high watermark
 * follows the slowest ISR member, acks=all waits for it, slow followers leave the ISR after the
 * lag time and caught-up ones come back, always through a committed ISR.
 */
class PartitionReplicationTest {

    private static final TopicPartition TP = new TopicPartition("orders", 0);
    private static final UUID TOPIC_ID = UUID.fromString("0b7c6f3e-3c53-4b4a-9a51-1f1d2b5c6d7e");
    private static final long LAG_MS = 30_000;

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock();
    private final ManualScheduler scheduler = new ManualScheduler(clock);
    private final List<List<Integer>> proposals = new ArrayList<>();
    private LogManager logs;
    private PartitionLog log;
    private Partition partition;

    @BeforeEach
    void leadWithThreeReplicas() throws Exception {
        logs = LogManager.open(dir, LogConfig.DEFAULTS, clock, scheduler, LogManager.Settings.DEFAULTS);
        log = logs.getOrCreateLog(TP, LogConfig.DEFAULTS);
        partition = new Partition(TP, 1, log, leader(List.of(1, 2, 3), 0), 2, clock,
                (p, isr) -> proposals.add(isr));
    }

    @AfterEach
    void close() throws Exception {
        logs.close();
    }

    @Test
    void theHighWatermarkIsTheSmallestLogEndInTheIsr() {
        partition.appendAsLeader(batch(10), (short) 1);
        assertThat(log.highWatermark()).isZero();

        partition.updateFollowerFetchState(2, 10);
        assertThat(log.highWatermark()).as("replica 3 has not fetched yet").isZero();
        assertThat(partition.updateFollowerFetchState(3, 4)).isTrue();
        assertThat(log.highWatermark()).isEqualTo(4);
        partition.updateFollowerFetchState(3, 10);
        assertThat(log.highWatermark()).isEqualTo(10);
    }

    @Test
    void acksAllIsAcknowledgedOnlyOnceEveryIsrMemberHasTheBatch() {
        long end = partition.appendAsLeader(batch(5), (short) -1).nextOffset();

        assertThat(partition.isReplicatedTo(end)).isFalse();
        partition.updateFollowerFetchState(2, end);
        assertThat(partition.isReplicatedTo(end)).isFalse();
        partition.updateFollowerFetchState(3, end);
        assertThat(partition.isReplicatedTo(end)).isTrue();
    }

    @Test
    void aFollowerBehindForTheLagTimeLeavesTheIsrOnlyOnceTheControllerCommitsIt() {
        partition.appendAsLeader(batch(5), (short) 1);
        partition.updateFollowerFetchState(2, 5);
        clock.advance(Duration.ofMillis(LAG_MS));
        partition.maybeShrinkIsr(LAG_MS);
        assertThat(proposals).as("replica 3 is exactly at the lag time").isEmpty();

        clock.advance(Duration.ofMillis(1));
        partition.updateFollowerFetchState(2, 5);
        partition.maybeShrinkIsr(LAG_MS);

        assertThat(proposals).containsExactly(List.of(1, 2));
        assertThat(log.highWatermark()).as("still waiting for replica 3 until the shrink is committed").isZero();
        assertThat(partition.applyCommittedState(new PartitionState(1, 0, List.of(1, 2), 1))).isTrue();
        assertThat(partition.state().state().isr()).containsExactly(1, 2);
        assertThat(log.highWatermark()).isEqualTo(5);
    }

    @Test
    void aFollowerThatFetchesKeepsItsPlaceEvenWhileRecordsKeepArriving() {
        for (int i = 0; i < 10; i++) {
            long end = partition.appendAsLeader(batch(1), (short) 1).nextOffset();
            clock.advance(Duration.ofSeconds(10));
            // Each fetch reaches the end the leader had at the previous fetch: caught up as of then.
            partition.updateFollowerFetchState(2, end - 1);
            partition.updateFollowerFetchState(3, end - 1);
            partition.maybeShrinkIsr(LAG_MS);
        }
        assertThat(proposals).isEmpty();
    }

    @Test
    void aFollowerOutsideTheIsrComesBackOnceItReachesTheHighWatermark() {
        partition.update(leader(List.of(1, 2), 1), 2);
        partition.appendAsLeader(batch(8), (short) 1);
        partition.updateFollowerFetchState(2, 8);
        assertThat(log.highWatermark()).isEqualTo(8);

        partition.updateFollowerFetchState(3, 5);
        assertThat(proposals).as("behind the high watermark").isEmpty();
        partition.updateFollowerFetchState(3, 8);
        assertThat(proposals).containsExactly(List.of(1, 2, 3));

        // While the expansion is pending, new records count as replicated only once replica 3 has them too.
        long end = partition.appendAsLeader(batch(2), (short) -1).nextOffset();
        partition.updateFollowerFetchState(2, end);
        assertThat(log.highWatermark()).isEqualTo(8);
        partition.updateFollowerFetchState(3, end);
        assertThat(log.highWatermark()).isEqualTo(end);
        assertThat(partition.applyCommittedState(new PartitionState(1, 0, List.of(1, 2, 3), 2))).isFalse();
        assertThat(partition.state().state().isr()).containsExactly(1, 2, 3);
    }

    @Test
    void acksAllIsRefusedWhileTheIsrIsBelowMinInsyncReplicas() {
        partition.update(leader(List.of(1), 1), 2);

        assertThatThrownBy(() -> partition.appendAsLeader(batch(1), (short) -1))
                .isInstanceOfSatisfying(ReplicaException.class,
                        e -> assertThat(e.error()).isEqualTo(ReplicaError.NOT_ENOUGH_REPLICAS));
        assertThat(log.logEndOffset()).isZero();
        assertThat(partition.appendAsLeader(batch(1), (short) 1).firstOffset()).isZero();
    }

    @Test
    void aRefusedProposalIsRetriedAfterABackOffNotOnEveryFetch() {
        partition.update(leader(List.of(1, 2), 1), 2);
        partition.updateFollowerFetchState(3, 0);
        partition.applyCommittedState(null);
        partition.updateFollowerFetchState(3, 0);
        assertThat(proposals).hasSize(1);

        clock.advance(Duration.ofSeconds(1));
        partition.updateFollowerFetchState(3, 0);
        assertThat(proposals).hasSize(2);
    }

    @Test
    void aCommittedStateFromAnotherLeadershipIsIgnored() {
        partition.maybeShrinkIsr(LAG_MS);
        partition.update(leader(List.of(1, 2, 3), 4), 2);

        assertThat(partition.applyCommittedState(new PartitionState(1, 3, List.of(1), 9))).isFalse();
        assertThat(partition.state().state().isr()).containsExactly(1, 2, 3);
    }

    @Test
    void aFollowerClaimingMoreThanTheLeaderHasNeitherCountsNorJoins() {
        partition.update(leader(List.of(1, 2), 1), 2);
        partition.appendAsLeader(batch(3), (short) 1);

        assertThatThrownBy(() -> partition.updateFollowerFetchState(3, 7))
                .isInstanceOfSatisfying(dev.runnel.broker.storage.LogException.class,
                        e -> assertThat(e.error()).isEqualTo(dev.runnel.broker.storage.LogError.OFFSET_OUT_OF_RANGE));
        assertThat(proposals).isEmpty();
    }

    private static HostedPartition leader(List<Integer> isr, int partitionEpoch) {
        return new HostedPartition(TOPIC_ID, List.of(1, 2, 3), new PartitionState(1, 0, isr, partitionEpoch), true);
    }

    private ByteBuffer batch(int records) {
        List<KafkaRecordBatches.SimpleRecord> list = new ArrayList<>();
        for (int i = 0; i < records; i++) {
            list.add(new KafkaRecordBatches.SimpleRecord(clock.millis(), null, ("v" + i).getBytes()));
        }
        return KafkaRecordBatches.batch(RecordCodec.NONE, KafkaRecordBatches.ProducerInfo.NONE, list);
    }
}
