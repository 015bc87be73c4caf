package dev.runnel.broker.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.broker.storage.LogConfig;
import dev.runnel.broker.storage.LogManager;
import dev.runnel.cluster.AlterPartitionRequest;
import dev.runnel.cluster.AlterPartitionResponse;
import dev.runnel.cluster.ClusterError;
import dev.runnel.cluster.PartitionState;
import dev.runnel.common.TopicPartition;
import dev.runnel.testing.ManualClock;
import dev.runnel.testing.ManualScheduler;

/**
 * ISR changes go to the controller one request at a time, and those proposed while one is in flight
 * go together in the next: a broker catching up on many partitions sends a few requests, not one
 * per partition.
 */
class AlterPartitionManagerTest {

    private static final UUID TOPIC_ID = new UUID(0, 42);

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock();
    private final ManualScheduler scheduler = new ManualScheduler(clock);
    private final List<AlterPartitionRequest> sent = new CopyOnWriteArrayList<>();
    private final CountDownLatch firstAnswered = new CountDownLatch(1);
    private LogManager logs;
    private AlterPartitionManager manager;

    @AfterEach
    void close() throws Exception {
        firstAnswered.countDown();
        if (manager != null) {
            manager.close();
        }
        if (logs != null) {
            logs.close();
        }
    }

    /** Commits every change as asked; the first answer waits for the test. */
    private AlterPartitionResponse controller(AlterPartitionRequest request) {
        sent.add(request);
        if (sent.size() == 1) {
            try {
                firstAnswered.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        List<AlterPartitionResponse.Result> results = new ArrayList<>();
        for (AlterPartitionRequest.Change change : request.partitions()) {
            results.add(new AlterPartitionResponse.Result(change.topic(), change.partition(), ClusterError.NONE,
                    new PartitionState(1, change.leaderEpoch(), change.newIsr(), change.partitionEpoch() + 1)));
        }
        return new AlterPartitionResponse(ClusterError.NONE, results);
    }

    private Partition leader(int index) {
        TopicPartition tp = new TopicPartition("orders", index);
        return new Partition(tp, 1, logs.getOrCreateLog(tp, LogConfig.DEFAULTS),
                new HostedPartition(TOPIC_ID, List.of(1, 2), new PartitionState(1, 0, List.of(1), 0), true), 1,
                clock, manager);
    }

    @Test
    void proposalsMadeWhileOneRequestIsInFlightGoTogetherInTheNext() throws Exception {
        logs = LogManager.open(dir, LogConfig.DEFAULTS, clock, scheduler, LogManager.Settings.DEFAULTS);
        manager = new AlterPartitionManager(1, () -> 7, this::controller, tp -> { });
        List<Partition> partitions = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            partitions.add(leader(i));
        }
        manager.propose(partitions.get(0), List.of(1, 2));
        await().atMost(Duration.ofSeconds(10)).until(() -> sent.size() == 1);
        // The first request waits for its answer: every later proposal must wait for it too.
        partitions.subList(1, partitions.size()).forEach(p -> manager.propose(p, List.of(1, 2)));
        firstAnswered.countDown();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> partitions.stream().allMatch(p -> p.state().state().isr().equals(List.of(1, 2))));

        assertThat(sent).as("one request for the first proposal, one for the 199 made while it was in flight")
                .hasSize(2);
        assertThat(sent.get(0).partitions()).hasSize(1);
        assertThat(sent.get(1).partitions()).hasSize(199);
        assertThat(sent.get(1).brokerEpoch()).isEqualTo(7);
        assertThat(manager.isrExpands()).isEqualTo(200);
        assertThat(partitions).allSatisfy(p -> assertThat(p.state().state().partitionEpoch()).isEqualTo(1));
    }

    @Test
    void aLaterProposalForTheSamePartitionReplacesTheWaitingOne() throws Exception {
        logs = LogManager.open(dir, LogConfig.DEFAULTS, clock, scheduler, LogManager.Settings.DEFAULTS);
        manager = new AlterPartitionManager(1, () -> 7, this::controller, tp -> { });
        Partition first = leader(0);
        Partition second = leader(1);
        manager.propose(first, List.of(1, 2));
        await().atMost(Duration.ofSeconds(10)).until(() -> sent.size() == 1);
        manager.propose(second, List.of(1));
        manager.propose(second, List.of(1, 2));
        firstAnswered.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> sent.size() == 2);
        assertThat(sent.get(1).partitions()).singleElement()
                .satisfies(c -> assertThat(c.newIsr()).containsExactly(1, 2));
    }
}
