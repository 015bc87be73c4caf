package dev.runnel.broker.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.broker.metadata.MetadataCache;
import dev.runnel.broker.replication.ReplicaManager;
import dev.runnel.broker.storage.LogConfig;
import dev.runnel.broker.storage.LogManager;
import dev.runnel.cluster.BrokerInfo;
import dev.runnel.cluster.ClusterError;
import dev.runnel.cluster.CommandResponse;
import dev.runnel.cluster.LeaderAndIsrRequest;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.PartitionState;
import dev.runnel.cluster.TopicInfo;
import dev.runnel.cluster.UpdateMetadataRequest;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

/**
 * The queue between the controller's calls and the replica manager: a slow command is answered
 * "queued" instead of outliving the controller's timeout, a resend never applies it twice, commands
 * apply in the order accepted, and the lag the health check reads grows while one waits.
 */
class ControllerCommandsTest {

    private static final int CONTROLLER = 3000;
    private static final long BROKER_EPOCH = 100;
    private static final BrokerInfo SELF = new BrokerInfo(1, "127.0.0.1", 9092, 8081, null, BROKER_EPOCH);
    private static final Duration ANSWER_WITHIN = Duration.ofMillis(200);

    @TempDir
    Path root;

    private final ManualClock clock = new ManualClock();
    private final ManualScheduler scheduler = new ManualScheduler(clock);
    private final MetadataCache metadata = new MetadataCache();
    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicInteger applied = new AtomicInteger();
    private final List<Long> appliedVersions = new ArrayList<>();
    private final ExecutorService callers = Executors.newFixedThreadPool(4);
    private LogManager logDir;
    private ControllerCommands commands;

    private void start(boolean blockFirstView) throws Exception {
        logDir = LogManager.open(root.resolve("logs"), LogConfig.DEFAULTS, clock, scheduler, LogManager.Settings.DEFAULTS);
        ReplicaManager replicas = new ReplicaManager(1, List.of(logDir), metadata, () -> BROKER_EPOCH, clock,
                (partition, isr) -> { }, scheduler);
        // Applying a view calls the listeners on the applying thread: this one makes it slow.
        metadata.onUpdate(view -> {
            synchronized (appliedVersions) {
                appliedVersions.add(view.metadataVersion());
            }
            applied.incrementAndGet();
            if (blockFirstView) {
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        commands = new ControllerCommands(replicas, metadata, () -> BROKER_EPOCH, clock, ANSWER_WITHIN);
    }

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        callers.shutdownNow();
        if (commands != null) {
            commands.close();
        }
        if (logDir != null) {
            logDir.close();
        }
    }

    private static UpdateMetadataRequest view(int controllerEpoch, long version, boolean full) {
        TopicInfo topic = new TopicInfo("orders", new UUID(0, 1), Map.of(),
                List.of(new PartitionInfo(0, List.of(1), new PartitionState(1, 0, List.of(1), 0))));
        return new UpdateMetadataRequest(CONTROLLER, controllerEpoch, BROKER_EPOCH, version, full, List.of(SELF),
                List.of(topic), List.of());
    }

    @Test
    void aSlowCommandIsAnsweredQueuedAndItsResendIsNotAppliedAgain() throws Exception {
        start(true);
        CommandResponse first = commands.updateMetadata(view(1, 1, true), 7);
        assertThat(first.error()).isEqualTo(ClusterError.NONE);
        assertThat(first.queued()).as("answered before the slow command is applied").isTrue();
        assertThat(commands.pendingCount()).isEqualTo(1);

        // The controller timed out and sends the same command again: it waits for the first one.
        CompletableFuture<CommandResponse> resend = CompletableFuture.supplyAsync(
                () -> commands.updateMetadata(view(1, 1, true), 7), callers);
        assertThat(resend.get(10, TimeUnit.SECONDS).queued()).isTrue();
        release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> commands.pendingCount() == 0);

        CommandResponse again = commands.updateMetadata(view(1, 1, true), 7);
        assertThat(again.error()).isEqualTo(ClusterError.NONE);
        assertThat(again.queued()).isFalse();
        assertThat(applied.get()).as("the view was applied once, whatever the resends").isEqualTo(1);
        assertThat(again.appliedControllerEpoch()).isEqualTo(1);
        assertThat(again.appliedMetadataVersion()).isEqualTo(1);
    }

    @Test
    void commandsApplyInTheOrderAcceptedBehindASlowOne() throws Exception {
        start(true);
        assertThat(commands.updateMetadata(view(1, 1, true), 1).queued()).isTrue();
        for (long version = 2; version <= 5; version++) {
            assertThat(commands.updateMetadata(view(1, version, false), version).queued()).isTrue();
        }
        assertThat(commands.status().queued()).isTrue();
        // The first view is in place (its listeners are what is slow); none of the four behind it is.
        assertThat(commands.status().appliedMetadataVersion()).isEqualTo(1);
        release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> commands.pendingCount() == 0);
        synchronized (appliedVersions) {
            assertThat(appliedVersions).containsExactly(1L, 2L, 3L, 4L, 5L);
        }
        CommandResponse status = commands.status();
        assertThat(status.queued()).isFalse();
        assertThat(status.appliedMetadataVersion()).isEqualTo(5);
    }

    @Test
    void lagGrowsWhileACommandWaitsAndIsZeroOnceApplied() throws Exception {
        start(true);
        assertThat(commands.lag()).isZero();
        commands.updateMetadata(view(1, 1, true), 1);
        clock.advance(Duration.ofSeconds(45));
        assertThat(commands.lag()).isEqualTo(Duration.ofSeconds(45));
        release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> commands.pendingCount() == 0);
        assertThat(commands.lag()).isZero();
    }

    @Test
    void aDeposedControllerIsRefusedAtOnceEvenWhileTheQueueIsBusy() throws Exception {
        start(true);
        commands.updateMetadata(view(2, 1, true), 1);
        CommandResponse stale = commands.leaderAndIsr(
                new LeaderAndIsrRequest(CONTROLLER, 1, BROKER_EPOCH, List.of(), List.of()), 1);
        assertThat(stale.error()).isEqualTo(ClusterError.STALE_CONTROLLER_EPOCH);
        assertThat(stale.queued()).isFalse();
        CommandResponse otherRegistration = commands.updateMetadata(
                new UpdateMetadataRequest(CONTROLLER, 2, BROKER_EPOCH + 1, 2, false, List.of(SELF), List.of(), List.of()),
                2);
        assertThat(otherRegistration.error()).isEqualTo(ClusterError.STALE_BROKER_EPOCH);
        assertThat(commands.pendingCount()).isEqualTo(1);
    }

    @Test
    void aNewControllerNumbersItsCommandsAfresh() throws Exception {
        start(false);
        assertThat(commands.updateMetadata(view(1, 1, true), 50).error()).isEqualTo(ClusterError.NONE);
        // Controller epoch 2 starts again from 1: not mistaken for a resend of epoch 1's command 1.
        CommandResponse fresh = commands.updateMetadata(view(2, 1, true), 1);
        assertThat(fresh.error()).isEqualTo(ClusterError.NONE);
        assertThat(fresh.appliedControllerEpoch()).isEqualTo(2);
        assertThat(applied.get()).isEqualTo(2);
    }
}
