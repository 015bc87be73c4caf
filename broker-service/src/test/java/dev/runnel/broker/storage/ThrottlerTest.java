package dev.runnel.broker.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;

import dev.runnel.testing.ManualClock;

/** The cleaner's I/O throttle on a manual clock, whose sleeps move time instead of waiting. */
class ThrottlerTest {

    private final ManualClock clock = new ManualClock();

    @Test
    void aBurstIsHeldToTheRate() throws Exception {
        Throttler throttler = new Throttler(1000, clock, () -> false);
        long started = clock.nanoTime();

        for (int i = 0; i < 10; i++) {
            throttler.maybeThrottle(1000); // 10,000 bytes at once, at 1,000 bytes/s
        }

        assertThat(Duration.ofNanos(clock.nanoTime() - started)).isBetween(Duration.ofSeconds(9), Duration.ofSeconds(10));
        assertThat(throttler.slept()).isBetween(Duration.ofSeconds(9), Duration.ofSeconds(10));
    }

    @Test
    void bytesUnderTheRateAreNeverHeld() throws Exception {
        Throttler throttler = new Throttler(1000, clock, () -> false);
        for (int i = 0; i < 10; i++) {
            clock.advance(Duration.ofSeconds(1));
            throttler.maybeThrottle(500);
        }
        assertThat(throttler.slept()).isZero();
    }

    @Test
    void anUnlimitedRateNeverSleepsAndAStopEndsASleep() throws Exception {
        Throttler unlimited = new Throttler(Double.MAX_VALUE, clock, () -> false);
        unlimited.maybeThrottle(Long.MAX_VALUE / 2);
        assertThat(unlimited.slept()).isZero();

        AtomicBoolean stopping = new AtomicBoolean(true);
        Throttler throttler = new Throttler(1, clock, stopping::get);
        throttler.maybeThrottle(1_000_000); // would be 11 days at 1 byte/s
        assertThat(throttler.slept()).isZero();
        throttler.maybeThrottle(1_000_000, () -> true);
        assertThat(throttler.slept()).isZero();
    }
}
