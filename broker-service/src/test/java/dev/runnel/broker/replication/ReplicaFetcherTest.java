package dev.runnel.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.broker.kafka.ReplicaFetchClient;
import dev.runnel.broker.record.KafkaRecordBatches;
import dev.runnel.broker.record.RecordCodec;
import dev.runnel.broker.storage.LogConfig;
import dev.runnel.broker.storage.LogManager;
import dev.runnel.broker.storage.PartitionLog;
import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.PartitionState;
import dev.runnel.common.TopicPartition;
import dev.runnel.common.time.Ticker;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

/**
 * A fetcher round against a fake leader whose answer is held back: what arrives after the
 * partition stopped being followed (it became leader meanwhile) touches nothing. The nemesis found
 * a leader whose own stale fetcher cut committed records from its log this way.
 */
class ReplicaFetcherTest {

    private static final TopicPartition TP = new TopicPartition("orders", 0);
    private static final UUID TOPIC_ID = UUID.fromString("0b7c6f3e-3c53-4b4a-9a51-1f1d2b5c6d7e");
    private static final BrokerInfo LEADER = new BrokerInfo(3, "127.0.0.1", 9093, 8083, null, 7);

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock();
    private LogManager logs;
    private PartitionLog log;
    private Partition partition;
    private ReplicaFetcher fetcher;

    @BeforeEach
    void followBroker3() throws Exception {
        logs = LogManager.open(dir, LogConfig.DEFAULTS, clock, new ManualScheduler(clock), LogManager.Settings.DEFAULTS);
        log = logs.getOrCreateLog(TP, LogConfig.DEFAULTS);
        log.appendAsLeader(batch(5), 2);
        partition = new Partition(TP, 1, log, new HostedPartition(TOPIC_ID, List.of(1, 3),
                new PartitionState(3, 3, List.of(1, 3), 3), false), 1, clock, (p, isr) -> { });
    }

    @AfterEach
    void close() throws Exception {
        if (fetcher != null) {
            fetcher.shutdown();
            fetcher.join(Duration.ofSeconds(10).toMillis());
        }
        logs.close();
    }

    @Test
    void anOffsetForLeaderEpochAnswerThatArrivesAfterUnfollowTruncatesNothing() throws Exception {
        HeldLeader leader = new HeldLeader(new ReplicaFetchClient.EpochEnd(ReplicaFetchClient.Error.NONE, 2, 2));
        fetcher = new ReplicaFetcher(1, 3, () -> Optional.of(LEADER), clock, Ticker.SYSTEM, address -> leader);
        fetcher.start();
        fetcher.follow(partition, 3);
        assertThat(leader.asked.await(10, TimeUnit.SECONDS)).as("the fetcher asked where epoch 2 ended").isTrue();

        // Meanwhile this broker is elected: fetching stops, then the partition leads from its log end.
        fetcher.unfollow(TP);
        partition.update(new HostedPartition(TOPIC_ID, List.of(1, 3), new PartitionState(1, 4, List.of(1), 4), true), 1);
        leader.release.countDown();
        fetcher.shutdown();
        fetcher.join(Duration.ofSeconds(10).toMillis());

        assertThat(fetcher.isAlive()).isFalse();
        assertThat(log.logEndOffset()).as("the leader's log cut by its own stale fetcher").isEqualTo(5);
    }

    /** A leader that answers OffsetForLeaderEpoch only when released, and sends no records. */
    private static final class HeldLeader implements LeaderEndpoint {
        final CountDownLatch asked = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        private final ReplicaFetchClient.EpochEnd answer;

        HeldLeader(ReplicaFetchClient.EpochEnd answer) {
            this.answer = answer;
        }

        @Override
        public Map<TopicPartition, ReplicaFetchClient.EpochEnd> endOffsets(Map<TopicPartition, int[]> asks)
                throws IOException {
            asked.countDown();
            try {
                if (!release.await(10, TimeUnit.SECONDS)) {
                    throw new IOException("never released");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            return Map.of(TP, answer);
        }

        @Override
        public Map<TopicPartition, ReplicaFetchClient.Fetched> fetch(List<ReplicaFetchClient.Wanted> wanted,
                int maxWaitMs, int maxBytes) {
            return Map.of();
        }

        @Override
        public void close() {
        }
    }

    private ByteBuffer batch(int records) {
        List<KafkaRecordBatches.SimpleRecord> list = new ArrayList<>();
        for (int i = 0; i < records; i++) {
            list.add(new KafkaRecordBatches.SimpleRecord(clock.millis(), null, ("v" + i).getBytes()));
        }
        return KafkaRecordBatches.batch(RecordCodec.NONE, KafkaRecordBatches.ProducerInfo.NONE, list);
    }
}
