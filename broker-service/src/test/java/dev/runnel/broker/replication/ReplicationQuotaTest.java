package dev.runnel.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import dev.runnel.common.TopicPartition;
import dev.runnel.testing.ManualClock;
import dev.runnel.common.time.SampledRate;

/** The replication throttle's rate over sampled windows, and when it holds a replica back. */
class ReplicationQuotaTest {

    private static final TopicPartition MOVING = new TopicPartition("orders", 0);
    private static final TopicPartition STAYING = new TopicPartition("orders", 1);

    private final ManualClock clock = new ManualClock(1_000_000);
    private final AtomicLong bound = new AtomicLong(1_000);
    private final ReplicationQuota quota = new ReplicationQuota(clock, bound::get, MOVING::equals, 11,
            Duration.ofSeconds(1));

    @Test
    void aFirstBurstIsSpreadOverAllButOneOfTheWindowsAsKafkaMeasuresIt() {
        quota.record(10_000);

        // 10 000 bytes over the floor of (11 - 1) windows of 1 s
        assertThat(quota.rate()).isCloseTo(1_000.0, within(0.001));
        assertThat(quota.isQuotaExceeded()).isFalse();

        quota.record(1);
        assertThat(quota.isQuotaExceeded()).isTrue();
    }

    @Test
    void aSteadyRateIsMeasuredOverTheLiveWindowsOnly() {
        for (int second = 0; second < 30; second++) {
            quota.record(500);
            clock.advance(Duration.ofSeconds(1));
        }

        // the ten live windows of 500 bytes, the oldest opened 10 s ago (older ones have expired)
        assertThat(quota.rate()).isCloseTo(500.0, within(0.001));
        assertThat(quota.isQuotaExceeded()).isFalse();
    }

    @Test
    void windowsOlderThanAllSamplesNoLongerCount() {
        quota.record(50_000);
        assertThat(quota.isQuotaExceeded()).isTrue();

        clock.advance(Duration.ofSeconds(10));
        assertThat(quota.isQuotaExceeded()).isTrue();
        clock.advance(Duration.ofSeconds(1));

        assertThat(quota.rate()).isZero();
        assertThat(quota.isQuotaExceeded()).isFalse();
    }

    @Test
    void recordsInOneWindowAddUpAndANewWindowOpensWhenItEnds() {
        quota.record(3_000);
        clock.advance(Duration.ofMillis(999));
        quota.record(3_000);
        // 999 ms elapsed, less than one full window: ten more are counted
        assertThat(quota.rate()).isCloseTo(6_000 * 1000.0 / 10_999, within(0.001));

        clock.advance(Duration.ofMillis(1));
        quota.record(6_000);
        assertThat(quota.rate()).isCloseTo(12_000 / 10.0, within(0.001));
    }

    @Test
    void aChangedBoundAppliesAtOnceAndUnlimitedIsNeverExceeded() {
        quota.record(20_000);
        assertThat(quota.isQuotaExceeded()).isTrue();

        bound.set(3_000);
        assertThat(quota.isQuotaExceeded()).isFalse();
        bound.set(Long.MAX_VALUE);
        quota.record(Long.MAX_VALUE / 2);
        assertThat(quota.isQuotaExceeded()).isFalse();
    }

    @Test
    void onlyAThrottledReplicaOutsideTheIsrIsHeldBackAndOnlyWhileTheQuotaIsExceeded() {
        assertThat(quota.holdsBack(MOVING, false)).isFalse();

        quota.record(20_000);

        assertThat(quota.holdsBack(MOVING, false)).isTrue();
        assertThat(quota.holdsBack(MOVING, true)).isFalse();
        assertThat(quota.holdsBack(STAYING, false)).isFalse();
    }

    @Test
    void theUnlimitedQuotaThrottlesAndRecordsNothing() {
        ReplicationQuota unlimited = ReplicationQuota.unlimited();
        unlimited.record(1_000_000);

        assertThat(unlimited.isThrottled(MOVING)).isFalse();
        assertThat(unlimited.holdsBack(MOVING, false)).isFalse();
        assertThat(unlimited.rate()).isZero();
    }

    @Test
    void aRateOverFewerThanTwoWindowsIsRefused() {
        assertThatThrownBy(() -> new SampledRate(1, 1000))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
