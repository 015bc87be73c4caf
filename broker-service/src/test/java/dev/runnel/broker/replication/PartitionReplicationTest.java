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

import dev.runnel.broker.record.KafkaRecordBatches;
import dev.runnel.broker.record.RecordCodec;
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
    void aFollowerOutsideTheIsrComesBackOnceItReachesTheHighWatermarkAndTheEpochStart() {
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
    void aReplicaAddedWithinTheLeadershipFetchesCatchesUpAndIsProposedForTheIsr() {
        partition.appendAsLeader(batch(5), (short) 1);
        partition.updateFollowerFetchState(2, 5);
        partition.updateFollowerFetchState(3, 5);
        assertThatThrownBy(() -> partition.updateFollowerFetchState(4, 0)).isInstanceOf(ReplicaException.class);

        // A reassignment adds replica 4 and will remove 3: same leader epoch, a new partition epoch.
        partition.update(new HostedPartition(TOPIC_ID, List.of(1, 2, 4, 3), new PartitionState(1, 0,
                List.of(1, 2, 3), 1), true), 2);
        partition.updateFollowerFetchState(4, 0);

        assertThat(log.highWatermark()).as("the new replica is not in the ISR: it holds nothing back").isEqualTo(5);
        assertThat(proposals).isEmpty();
        partition.updateFollowerFetchState(4, 5);
        assertThat(proposals).containsExactly(List.of(1, 2, 3, 4));
    }

    @Test
    void aReplicaRemovedWithinTheLeadershipMayNoLongerFetchAndTheOthersKeepTheirPlace() {
        partition.appendAsLeader(batch(5), (short) 1);
        partition.updateFollowerFetchState(2, 5);

        partition.update(new HostedPartition(TOPIC_ID, List.of(1, 2), new PartitionState(1, 0, List.of(1, 2), 1),
                true), 2);

        assertThat(log.highWatermark()).as("replica 2's fetch still counts").isEqualTo(5);
        assertThatThrownBy(() -> partition.updateFollowerFetchState(3, 5)).isInstanceOf(ReplicaException.class);
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

    /**
     * A reassignment that completes in the decision committing an expansion answers with a newer
     * leader epoch: until its LeaderAndIsr arrives the added replica still holds the high watermark
     * back, since the controller may elect it (a run of RebalanceClusterTest lost a record so).
     */
    @Test
    void anExpansionAnsweredFromANewerLeadershipKeepsCountingTheAddedReplica() {
        partition.update(leader(List.of(1, 2), 1), 2);
        partition.appendAsLeader(batch(4), (short) 1);
        partition.updateFollowerFetchState(2, 4);
        partition.updateFollowerFetchState(3, 4);
        assertThat(proposals).containsExactly(List.of(1, 2, 3));

        assertThat(partition.applyCommittedState(new PartitionState(1, 1, List.of(1, 3), 3))).isFalse();
        long end = partition.appendAsLeader(batch(2), (short) 1).nextOffset();
        partition.updateFollowerFetchState(2, end);

        assertThat(log.highWatermark()).as("replica 3 has not fetched the new records").isEqualTo(4);
        partition.updateFollowerFetchState(3, end);
        assertThat(log.highWatermark()).isEqualTo(end);
        partition.update(leader(List.of(1, 3), 1, 3), 2);
        assertThat(partition.state().state().isr()).containsExactly(1, 3);
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

    /**
     * KAFKA-7128: a new leader's high watermark may be stale while the records the previous leader
     * acknowledged run past it; a follower must not join below the start of the new epoch, or its
     * election would lose them.
     */
    @Test
    void aFollowerJoinsTheIsrOnlyOnceItHasEverythingTheLeaderHadWhenItsEpochStarted() {
        partition.appendAsLeader(batch(10), (short) 1);
        partition.updateFollowerFetchState(2, 10);
        partition.updateFollowerFetchState(3, 4);
        assertThat(log.highWatermark()).isEqualTo(4);

        // Replica 3 left the ISR and broker 1 leads again in epoch 1, its high watermark still 4
        // although offsets 4..9 were acknowledged with replica 2 (now away).
        partition.update(leader(List.of(1, 2), 1, 2), 2);
        partition.updateFollowerFetchState(3, 4);
        assertThat(proposals).as("replica 3 is at the high watermark but has none of 4..9").isEmpty();
        partition.updateFollowerFetchState(3, 9);
        assertThat(proposals).isEmpty();

        partition.updateFollowerFetchState(3, 10);
        assertThat(proposals).containsExactly(List.of(1, 2, 3));
    }

    /**
     * Only one ISR change is in flight: a shrink decided while an expansion is being proposed on
     * another thread (a follower's fetch) is not sent, so the ISR the controller may commit is
     * always inside what the high watermark waits for.
     */
    @Test
    void aShrinkAndAnExpansionAtOnceSendOneProposal() throws Exception {
        // Replicas 1 and 2 in sync, 3 outside and catching up; 2 has stopped fetching.
        partition.update(leader(List.of(1, 2), 1), 2);
        partition.appendAsLeader(batch(4), (short) 1);
        partition.updateFollowerFetchState(2, 4);
        clock.advance(Duration.ofMillis(LAG_MS + 1));

        InterleavingClock interleaving = new InterleavingClock(clock);
        Partition racing = new Partition(TP, 1, log, leader(List.of(1, 2), 1), 2, interleaving,
                (p, isr) -> proposals.add(isr));
        racing.updateFollowerFetchState(2, 0);
        clock.advance(Duration.ofMillis(LAG_MS + 1));
        // While the shrink check reads the clock, replica 3's fetch reaches the log end on another thread.
        interleaving.onNextRead(() -> racing.updateFollowerFetchState(3, 4));
        racing.maybeShrinkIsr(LAG_MS);

        assertThat(proposals).as("one ISR change in flight at a time").hasSize(1);
        assertThat(racing.pendingIsr()).isEqualTo(proposals.get(0));
    }

    /** A follower's high watermark never goes back, even when its leader reports an older one. */
    @Test
    void aFollowersHighWatermarkNeverGoesBack() {
        partition.update(follower(), 2);
        log.appendAsLeader(batch(10), 1); // what the leader of epoch 1 sent
        partition.appendAsFollower(ByteBuffer.allocate(0), 8, 0);
        assertThat(log.highWatermark()).isEqualTo(8);

        // A new leader whose high watermark is still stale answers with 5.
        partition.appendAsFollower(ByteBuffer.allocate(0), 5, 0);
        assertThat(log.highWatermark()).isEqualTo(8);
    }

    /** Followers fetching on several threads at once never move the leader's high watermark back. */
    @Test
    void concurrentFetchesNeverMoveTheHighWatermarkBack() throws Exception {
        long end = partition.appendAsLeader(batch(2_000), (short) 1).nextOffset();
        java.util.concurrent.atomic.AtomicLong lowestSeenAfterHigher = new java.util.concurrent.atomic.AtomicLong(-1);
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        Thread watcher = new Thread(() -> {
            long highest = 0;
            while (!done.get()) {
                long hw = log.highWatermark();
                if (hw < highest) {
                    lowestSeenAfterHigher.set(hw);
                }
                highest = Math.max(highest, hw);
            }
        });
        watcher.start();
        List<Thread> fetchers = new ArrayList<>();
        for (int replica : List.of(2, 3)) {
            Thread t = new Thread(() -> {
                for (long offset = 0; offset <= end; offset++) {
                    partition.updateFollowerFetchState(replica, offset);
                }
            });
            fetchers.add(t);
            t.start();
        }
        for (Thread t : fetchers) {
            t.join();
        }
        done.set(true);
        watcher.join();

        assertThat(lowestSeenAfterHigher.get()).as("a high watermark lower than one seen before").isEqualTo(-1);
        assertThat(log.highWatermark()).isEqualTo(end);
    }

    /**
     * A clock that, the first time it is read after {@link #onNextRead}, runs an action on another
     * thread and waits for it: an interleaving at exactly that point, with no sleeps.
     */
    private static final class InterleavingClock extends java.time.Clock {
        private final ManualClock delegate;
        private volatile Runnable next;

        InterleavingClock(ManualClock delegate) {
            this.delegate = delegate;
        }

        void onNextRead(Runnable action) {
            next = action;
        }

        @Override
        public long millis() {
            Runnable action = next;
            if (action != null) {
                next = null;
                Thread other = new Thread(action);
                other.start();
                try {
                    other.join(Duration.ofSeconds(10).toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return delegate.millis();
        }

        @Override
        public java.time.Instant instant() {
            return java.time.Instant.ofEpochMilli(millis());
        }

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public java.time.Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    private static HostedPartition leader(List<Integer> isr, int partitionEpoch) {
        return leader(isr, 0, partitionEpoch);
    }

    private static HostedPartition leader(List<Integer> isr, int leaderEpoch, int partitionEpoch) {
        return new HostedPartition(TOPIC_ID, List.of(1, 2, 3), new PartitionState(1, leaderEpoch, isr, partitionEpoch),
                true);
    }

    private static HostedPartition follower() {
        return new HostedPartition(TOPIC_ID, List.of(1, 2, 3), new PartitionState(2, 1, List.of(1, 2, 3), 3), false);
    }

    private ByteBuffer batch(int records) {
        List<KafkaRecordBatches.SimpleRecord> list = new ArrayList<>();
        for (int i = 0; i < records; i++) {
            list.add(new KafkaRecordBatches.SimpleRecord(clock.millis(), null, ("v" + i).getBytes()));
        }
        return KafkaRecordBatches.batch(RecordCodec.NONE, KafkaRecordBatches.ProducerInfo.NONE, list);
    }
}
