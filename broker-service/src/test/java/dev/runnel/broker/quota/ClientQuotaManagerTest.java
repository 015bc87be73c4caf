package dev.runnel.broker.quota;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;
import dev.runnel.common.time.SampledRate;

/** The rate and throttle math of client quotas, on a clock the test moves (Kafka's 11 windows of 1 s). */
class ClientQuotaManagerTest {

    private static final long MIB = 1024 * 1024;

    private final ManualClock clock = new ManualClock(1_000_000);
    private final ManualScheduler scheduler = new ManualScheduler(clock);
    private final ClientQuotas quotas = new ClientQuotas(11, Duration.ofSeconds(1), clock, scheduler);

    @AfterEach
    void stop() {
        quotas.close();
    }

    @Test
    void aNewRateIsMeasuredOverAtLeastTenWholeWindows() {
        SampledRate rate = new SampledRate(11, 1000);
        rate.record(10_000, 0);

        assertThat(rate.windowSize(0)).isEqualTo(10_000);
        assertThat(rate.measure(0)).isEqualTo(1000.0);
        assertThat(rate.windowSize(500)).isEqualTo(10_500);
    }

    @Test
    void windowsOlderThanAllSamplesCountForNothing() {
        SampledRate rate = new SampledRate(11, 1000);
        rate.record(5_000, 0);
        rate.record(6_000, 5_000);

        assertThat(rate.measure(10_999)).isCloseTo(11_000 / 10.999, within(1e-6));
        assertThat(rate.measure(11_000)).as("the first window expired").isCloseTo(6_000 / 10.0, within(1e-6));
        assertThat(rate.measure(30_000)).isZero();
    }

    @Test
    void theThrottleIsTheTimeToGetBackUnderTheQuota() {
        quotas.apply(Map.of(QuotaEntity.client("limited"), Map.of(QuotaKey.PRODUCER_BYTE_RATE, (double) MIB)));

        // 10 MiB at once: measured over 10 s that is exactly the quota, not over it
        assertThat(quotas.recordProduce("ANONYMOUS", "limited", 10 * MIB)).isZero();
        // 5 MiB more: 15 MiB over 10 s is 1.5 MiB/s, half over: half of the 10 s window to wait
        assertThat(quotas.recordProduce("ANONYMOUS", "limited", 5 * MIB)).isEqualTo(5_000);
        assertThat(quotas.manager(QuotaKey.PRODUCER_BYTE_RATE).throttleTimeMsTotal()).isEqualTo(5_000);
        assertThat(quotas.manager(QuotaKey.PRODUCER_BYTE_RATE).throttledRequests()).isOne();

        // as in Kafka, a young rate is still measured over 10 s: five seconds on it is as far over
        clock.advance(Duration.ofSeconds(5));
        assertThat(quotas.recordProduce("ANONYMOUS", "limited", 0)).isEqualTo(5_000);
        // once the first window is 11 s old it counts for nothing
        clock.advance(Duration.ofSeconds(6));
        assertThat(quotas.recordProduce("ANONYMOUS", "limited", 1)).isZero();
    }

    @Test
    void aClientWithoutAQuotaIsNeitherMeasuredNorThrottled() {
        quotas.apply(Map.of(QuotaEntity.client("limited"), Map.of(QuotaKey.PRODUCER_BYTE_RATE, 100.0)));

        assertThat(quotas.enabled()).isTrue();
        assertThat(quotas.recordProduce("ANONYMOUS", "free", 100 * MIB)).isZero();
        assertThat(quotas.recordFetch("ANONYMOUS", "limited", 100 * MIB)).as("no fetch quota").isZero();

        quotas.apply(Map.of());
        assertThat(quotas.enabled()).isFalse();
    }

    @Test
    void theMostSpecificQuotaWinsInKafkasOrder() {
        Map<QuotaEntity, Map<QuotaKey, Double>> all = new HashMap<>();
        all.put(QuotaEntity.client(null), Map.of(QuotaKey.PRODUCER_BYTE_RATE, 8.0));
        all.put(QuotaEntity.client("c"), Map.of(QuotaKey.PRODUCER_BYTE_RATE, 7.0));
        all.put(QuotaEntity.user(null), Map.of(QuotaKey.PRODUCER_BYTE_RATE, 6.0));
        all.put(QuotaEntity.userClient(null, null), Map.of(QuotaKey.PRODUCER_BYTE_RATE, 5.0));
        all.put(QuotaEntity.userClient(null, "c"), Map.of(QuotaKey.PRODUCER_BYTE_RATE, 4.0));
        all.put(QuotaEntity.user("alice"), Map.of(QuotaKey.PRODUCER_BYTE_RATE, 3.0));
        all.put(QuotaEntity.userClient("alice", null), Map.of(QuotaKey.PRODUCER_BYTE_RATE, 2.0));
        all.put(QuotaEntity.userClient("alice", "c"), Map.of(QuotaKey.PRODUCER_BYTE_RATE, 1.0));
        ClientQuotaManager produce = quotas.manager(QuotaKey.PRODUCER_BYTE_RATE);
        double[] expected = {1, 2, 3, 4, 5, 6, 7, 8};
        QuotaEntity[] removedInTurn = {QuotaEntity.userClient("alice", "c"), QuotaEntity.userClient("alice", null),
            QuotaEntity.user("alice"), QuotaEntity.userClient(null, "c"), QuotaEntity.userClient(null, null),
            QuotaEntity.user(null), QuotaEntity.client("c"), QuotaEntity.client(null)};
        for (int level = 0; level < expected.length; level++) {
            quotas.apply(all);
            assertThat(produce.quota("alice", "c")).as("level " + (level + 1)).isEqualTo(expected[level]);
            all.remove(removedInTurn[level]);
        }
        quotas.apply(all);
        assertThat(produce.quota("alice", "c")).isNull();
    }

    @Test
    void aClientIdQuotaIsSharedByItsConnectionsAndADefaultOneIsPerClient() {
        quotas.apply(Map.of(QuotaEntity.client(null), Map.of(QuotaKey.PRODUCER_BYTE_RATE, 1000.0)));

        assertThat(quotas.recordProduce("alice", "a", 10_000)).isZero();
        assertThat(quotas.recordProduce("bob", "b", 10_000)).as("its own allowance").isZero();
        assertThat(quotas.recordProduce("bob", "a", 10_000)).as("client id a's allowance, used up")
                .isEqualTo(10_000);
    }

    @Test
    void aChangedQuotaAppliesToTheRateMeasuredSoFar() {
        quotas.apply(Map.of(QuotaEntity.user("alice"), Map.of(QuotaKey.PRODUCER_BYTE_RATE, 1000.0)));
        assertThat(quotas.recordProduce("alice", "a", 10_000)).isZero();

        quotas.apply(Map.of(QuotaEntity.user("alice"), Map.of(QuotaKey.PRODUCER_BYTE_RATE, 500.0)));
        assertThat(quotas.recordProduce("alice", "a", 0)).as("1000/s over a 500/s quota: one window's worth")
                .isEqualTo(10_000);
    }

    @Test
    void theRequestTimeThrottleIsCappedAtOneWindow() {
        quotas.apply(Map.of(QuotaEntity.user(null), Map.of(QuotaKey.REQUEST_PERCENTAGE, 1.0)));

        // two seconds of handler time: 20% of a thread over 10 s against 1%
        assertThat(quotas.recordRequestTime("alice", "a", Duration.ofSeconds(2).toNanos())).isEqualTo(1_000);
        assertThat(quotas.manager(QuotaKey.REQUEST_PERCENTAGE).throttledRequests()).isOne();
    }

    @Test
    void ratesIdleForAnHourAreDropped() {
        quotas.apply(Map.of(QuotaEntity.client(null), Map.of(QuotaKey.PRODUCER_BYTE_RATE, 1000.0)));
        assertThat(quotas.recordProduce("alice", "a", 10_000)).isZero();
        scheduler.advance(Duration.ofMinutes(59));
        assertThat(quotas.manager(QuotaKey.PRODUCER_BYTE_RATE).measuredClients()).isOne();

        scheduler.advance(Duration.ofMinutes(2));

        assertThat(quotas.manager(QuotaKey.PRODUCER_BYTE_RATE).measuredClients()).isZero();
    }
}
