package dev.runnel.broker.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.health.contributor.Status;

import dev.runnel.broker.storage.LogCleaner;
import dev.runnel.common.time.Ticker;
import dev.runnel.testing.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** The {@code logCleaner} health component and the cleaner gauges. */
class LogCleanerMetricsTest {

    @TempDir
    Path dir;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void aCleanerThreadThatDiesTurnsTheHealthComponentDown() throws Exception {
        LogCleaner.Settings settings = new LogCleaner.Settings(true, 1, 24 * 1000, 0.9, 64 * 1024, Double.MAX_VALUE,
                Duration.ofMillis(10));
        // The list of logs fails with an Error, as a bug in the cleaner would: the thread dies of it.
        try (LogCleaner cleaner = new LogCleaner(dir, () -> {
            throw new AssertionError("injected: a bug in the cleaner");
        }, settings, new ManualClock(), Ticker.SYSTEM)) {
            LogCleanerMetrics metrics = new LogCleanerMetrics(List.of(cleaner), registry);
            assertThat(metrics.health().getStatus()).isEqualTo(Status.UP);

            cleaner.start();
            await("the cleaner thread dies").atMost(Duration.ofSeconds(30)).until(() -> cleaner.deadThreadCount() == 1);

            assertThat(metrics.health().getStatus()).isEqualTo(Status.DOWN);
            assertThat(metrics.health().getDetails()).containsEntry("deadThreads", 1);
            assertThat(registry.get("runnel.log.cleaner.dead.threads").gauge().value()).isEqualTo(1);
        }
    }

    @Test
    void everyGaugeIsRegistered() throws Exception {
        try (LogCleaner cleaner = new LogCleaner(dir, List::of, LogCleaner.Settings.DEFAULTS, new ManualClock(),
                Ticker.SYSTEM)) {
            new LogCleanerMetrics(List.of(cleaner), registry);
            for (String gauge : List.of("max.dirty.percent", "recopy.percent", "buffer.utilization.percent",
                    "time.since.last.run", "uncleanable.partitions", "dead.threads")) {
                assertThat(registry.get("runnel.log.cleaner." + gauge).gauge()).as(gauge).isNotNull();
            }
            assertThat(registry.get("runnel.log.cleaner.time.since.last.run").gauge().value()).isEqualTo(-1);
            assertThat(registry.get("runnel.log.cleaner.bytes.read").functionCounter().count()).isZero();
            assertThat(registry.get("runnel.log.cleaner.bytes.written").functionCounter().count()).isZero();
        }
    }
}
