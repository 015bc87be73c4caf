package dev.runnel.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
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
import dev.runnel.broker.storage.LogConfig;
import dev.runnel.broker.storage.LogManager;
import dev.runnel.cluster.LeaderAndIsrRequest;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.common.TopicPartition;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

/**
 * The leader's side of the replication throttle: a follower outside the ISR gets no records of a
 * throttled partition while the leader's quota is exceeded; a follower in the ISR always does.
 */
class LeaderReplicationThrottleTest {

    private static final int LEADER = 1;
    private static final int MOVING = 4;
    private static final int IN_SYNC = 2;
    private static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);

    @TempDir
    Path root;

    private final ManualClock clock = new ManualClock();
    private final ManualScheduler scheduler = new ManualScheduler(clock);
    private final AtomicLong bound = new AtomicLong(1_000);
    private LogManager logDir;

    @AfterEach
    void close() throws IOException {
        if (logDir != null) {
            logDir.close();
        }
    }

    private ReplicaManager leaderOfOrders0() throws IOException {
        logDir = LogManager.open(root.resolve("logs"), LogConfig.DEFAULTS, clock, scheduler, LogManager.Settings.DEFAULTS);
        ReplicaManager replicas = new ReplicaManager(LEADER, List.of(logDir), new MetadataCache(), () -> 100, clock,
                (partition, isr) -> { }, scheduler);
        TopicInfo orders = new TopicInfo("orders", UUID.randomUUID(), Map.of(), List.of(new PartitionInfo(0,
                List.of(LEADER, IN_SYNC, MOVING), new PartitionState(LEADER, 0, List.of(LEADER, IN_SYNC), 0))));
        replicas.leaderAndIsr(new LeaderAndIsrRequest(3000, 1, 100, List.of(orders), List.of()));
        List<SimpleRecord> records = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            records.add(new SimpleRecord(1_700_000_000_000L, null, ("value-" + i).getBytes(StandardCharsets.UTF_8)));
        }
        replicas.leaderPartition(ORDERS_0).log().appendAsLeader(
                KafkaRecordBatches.batch(RecordCodec.NONE, ProducerInfo.NONE, records), 0);
        return replicas;
    }

    private static int fetchedBytes(ReplicaManager replicas, int follower) {
        FetchParams params = FetchParams.follower(follower, Duration.ZERO, 1, 1 << 20);
        List<FetchResult> results = replicas.fetchMessages(params,
                List.of(new FetchParams.PartitionRequest(ORDERS_0, 0, OptionalInt.of(0), 1 << 20))).join();
        assertThat(results).singleElement().satisfies(result -> assertThat(result.failed()).isFalse());
        return results.get(0).bytes();
    }

    @Test
    void aFollowerOutsideTheIsrGetsNoRecordsOfAThrottledPartitionOnceTheLeaderRateIsExceeded() throws Exception {
        ReplicaManager replicas = leaderOfOrders0();
        ReplicationQuota quota = new ReplicationQuota(clock, bound::get, ORDERS_0::equals, 11, Duration.ofSeconds(1));
        replicas.leaderReplicationQuota(quota);

        int first = fetchedBytes(replicas, MOVING);
        assertThat(first).isPositive();
        assertThat(quota.rate()).isEqualTo(first / 10.0); // what it sent, counted against the quota
        quota.record(20_000);

        assertThat(fetchedBytes(replicas, MOVING)).isZero();
        assertThat(fetchedBytes(replicas, IN_SYNC)).isEqualTo(first);

        clock.advance(Duration.ofSeconds(11)); // every window has expired
        assertThat(fetchedBytes(replicas, MOVING)).isEqualTo(first);
    }

    @Test
    void withoutAThrottleEveryFollowerGetsItsRecords() throws Exception {
        ReplicaManager replicas = leaderOfOrders0();
        ReplicationQuota quota = new ReplicationQuota(clock, bound::get, tp -> false, 11, Duration.ofSeconds(1));
        replicas.leaderReplicationQuota(quota);
        quota.record(1_000_000);

        assertThat(fetchedBytes(replicas, MOVING)).isPositive();
    }
}
