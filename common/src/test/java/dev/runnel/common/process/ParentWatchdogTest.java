package dev.runnel.common.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

class ParentWatchdogTest {

    @Test
    void aLiveParentIsLeftAlone() {
        AtomicInteger fired = new AtomicInteger();
        ProcessHandle self = ProcessHandle.current();
        ParentWatchdog watchdog = new ParentWatchdog(self.pid(), self.info().startInstant(), fired::incrementAndGet);

        watchdog.check();

        assertThat(watchdog.parentAlive()).isTrue();
        assertThat(fired).hasValue(0);
    }

    @Test
    void aParentThatExitedIsGoneAndTheActionRunsOnce() throws Exception {
        Process parent = new ProcessBuilder("sleep", "60").start();
        AtomicInteger fired = new AtomicInteger();
        ParentWatchdog watchdog = new ParentWatchdog(parent.pid(), parent.info().startInstant(),
                fired::incrementAndGet);
        assertThat(watchdog.parentAlive()).isTrue();

        parent.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        watchdog.check();
        watchdog.check();

        assertThat(watchdog.parentAlive()).isFalse();
        assertThat(fired).hasValue(1);
    }

    @Test
    void aPidNowNamingAnotherProcessIsNotTakenForTheParent() {
        AtomicInteger fired = new AtomicInteger();
        // This JVM's pid, recorded with another start time: the parent died and its pid was reused.
        ParentWatchdog watchdog = new ParentWatchdog(ProcessHandle.current().pid(), Optional.of(Instant.EPOCH),
                fired::incrementAndGet);

        watchdog.check();

        assertThat(fired).hasValue(1);
    }

    @Test
    void theWatchNoticesAParentKilledWhileItRuns() throws Exception {
        Process parent = new ProcessBuilder("sleep", "60").start();
        CountDownLatch gone = new CountDownLatch(1);
        try (ParentWatchdog watchdog = ParentWatchdog.start(parent.pid(), Duration.ofMillis(50), gone::countDown)) {
            assertThat(gone.getCount()).isEqualTo(1);

            parent.destroyForcibly().waitFor(10, TimeUnit.SECONDS);

            assertThat(gone.await(30, TimeUnit.SECONDS)).as("the watchdog saw the parent go").isTrue();
        } finally {
            parent.destroyForcibly();
        }
    }
}
