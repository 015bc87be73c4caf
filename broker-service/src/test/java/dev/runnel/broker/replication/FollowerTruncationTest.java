package dev.runnel.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.broker.record.KafkaRecordBatches;
import dev.runnel.broker.record.RecordCodec;
import dev.runnel.broker.storage.LogConfig;
import dev.runnel.broker.storage.LogManager;
import dev.runnel.broker.storage.PartitionLog;
import dev.runnel.common.TopicPartition;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

/**
 * A follower cutting its divergent suffix from the leader's answer to OffsetForLeaderEpoch
 * (KIP-101 / KIP-279), so a deposed leader never keeps records the new leader does not have.
 */
class FollowerTruncationTest {

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock();
    private LogManager logs;
    private PartitionLog follower;

    @BeforeEach
    void open() throws Exception {
        logs = LogManager.open(dir, LogConfig.DEFAULTS, clock, new ManualScheduler(clock), LogManager.Settings.DEFAULTS);
        follower = logs.getOrCreateLog(new TopicPartition("orders", 0), LogConfig.DEFAULTS);
    }

    @AfterEach
    void close() throws Exception {
        logs.close();
    }

    @Test
    void aDeposedLeaderDropsTheRecordsOfItsLastEpochThatTheNewLeaderNeverGot() {
        // Epoch 0: offsets 0-4, replicated. Epoch 1 (this broker led): 5-7, never replicated.
        follower.appendAsLeader(batch(5), 0);
        follower.appendAsLeader(batch(3), 1);
        follower.updateHighWatermark(5);
        // The new leader (epoch 2) knows epoch 0, ending at 5 where its own epoch 2 began.

        boolean done = ReplicaFetcher.truncateTo(follower, 0, 5);

        assertThat(done).isTrue();
        assertThat(follower.logEndOffset()).isEqualTo(5);
        assertThat(follower.leaderEpochs().latest().orElseThrow().epoch()).isZero();
    }

    @Test
    void aFollowerThatIsOnlyBehindKeepsEverything() {
        follower.appendAsLeader(batch(4), 3);

        assertThat(ReplicaFetcher.truncateTo(follower, 3, 10)).isTrue();

        assertThat(follower.logEndOffset()).isEqualTo(4);
    }

    @Test
    void aFollowerAheadInTheSameEpochIsCutToTheLeadersEnd() {
        // Batches as the leader wrote them (a follower copies the leader's batches, so the leader's
        // end of an epoch always falls between two of them).
        for (int i = 0; i < 9; i++) {
            follower.appendAsLeader(batch(1), 3);
        }

        assertThat(ReplicaFetcher.truncateTo(follower, 3, 6)).isTrue();

        assertThat(follower.logEndOffset()).isEqualTo(6);
    }

    @Test
    void whenTheLeaderKnowsAnEpochTheFollowerNeverHadTheFollowerCutsAtItsOwnOlderEpochAndAsksAgain() {
        follower.appendAsLeader(batch(4), 1);
        follower.appendAsLeader(batch(4), 4);
        // The follower asked about epoch 4; the leader's largest epoch at most 4 is 3, ending at 10.

        boolean done = ReplicaFetcher.truncateTo(follower, 3, 10);

        assertThat(done).as("ask again with the follower's now-latest epoch").isFalse();
        assertThat(follower.logEndOffset()).isEqualTo(4);
        assertThat(ReplicaFetcher.truncateTo(follower, 1, 4)).isTrue();
        assertThat(follower.logEndOffset()).isEqualTo(4);
    }

    @Test
    void whenTheLeaderKnowsNoneOfTheFollowersEpochsTheFollowerFallsBackToItsHighWatermark() {
        follower.appendAsLeader(batch(3), 2);
        follower.appendAsLeader(batch(3), 2);
        follower.updateHighWatermark(3);

        assertThat(ReplicaFetcher.truncateTo(follower, -1, -1)).isTrue();

        assertThat(follower.logEndOffset()).isEqualTo(3);
    }

    @Test
    void aFollowerWithNoLeaderEpochsTruncatesToItsHighWatermark() {
        follower.appendAsLeader(batch(5), 0);
        follower.appendAsLeader(batch(3), 1);
        follower.updateHighWatermark(5);
        follower.leaderEpochs().clear(); // as with a missing checkpoint

        ReplicaFetcher.truncateToHighWatermark(follower);

        assertThat(follower.logEndOffset()).as("offsets 5..7 may not be on the leader").isEqualTo(5);
    }

    @Test
    void aCorruptEpochCheckpointIsKeptAsideAndTheEpochsAreRebuiltFromTheBatches() throws Exception {
        follower.appendAsLeader(batch(5), 0);
        follower.appendAsLeader(batch(3), 2);
        follower.appendAsLeader(batch(2), 2);
        follower.appendAsLeader(batch(1), 4);
        List<dev.runnel.broker.storage.LeaderEpochCache.EpochEntry> before = follower.leaderEpochs().entries();
        Path partitionDir = dir.resolve("orders-0");
        logs.close();
        java.nio.file.Files.writeString(partitionDir.resolve("leader-epoch-checkpoint"), "0\n3\nnot an entry\n");

        logs = LogManager.open(dir, LogConfig.DEFAULTS, clock, new ManualScheduler(clock), LogManager.Settings.DEFAULTS);
        PartitionLog reopened = logs.getOrCreateLog(new TopicPartition("orders", 0), LogConfig.DEFAULTS);

        assertThat(before).extracting(e -> e.epoch() + "@" + e.startOffset()).containsExactly("0@0", "2@5", "4@10");
        assertThat(reopened.leaderEpochs().entries()).as("rebuilt, not emptied").isEqualTo(before);
        assertThat(partitionDir.resolve("leader-epoch-checkpoint.corrupt")).exists();
        assertThat(java.nio.file.Files.readString(partitionDir.resolve("leader-epoch-checkpoint")))
                .contains("2 5").contains("4 10");
    }

    private ByteBuffer batch(int records) {
        List<KafkaRecordBatches.SimpleRecord> list = new ArrayList<>();
        for (int i = 0; i < records; i++) {
            list.add(new KafkaRecordBatches.SimpleRecord(clock.millis(), null, ("v" + i).getBytes()));
        }
        return KafkaRecordBatches.batch(RecordCodec.NONE, KafkaRecordBatches.ProducerInfo.NONE, list);
    }
}
