package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.NewTopic;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;

/**
 * A Jepsen-style nemesis over real processes (ZooKeeper in this JVM, two controllers and three
 * brokers from the built jars): overlapping faults of every {@link NemesisFault.Kind} while
 * three idempotent {@code acks=all} producers write to a topic of 6 partitions (more after each
 * rolling restart) with replication factor 3 and {@code min.insync.replicas=2}, a two-member
 * consumer group reads and commits, and an observer asks every broker for every partition's high
 * watermark. After the faults heal, the {@link NemesisChecker} checks the whole history; the run
 * prints one {@code NEMESIS-RUN} line and fails on any violation, on a fault kind that never ran,
 * or on a fault that did not heal.
 *
 * <p>{@code -Drunnel.nemesis.duration} sets how long faults are injected (100 seconds by default;
 * the {@code faults} profile runs 10), {@code -Drunnel.nemesis.seed} repeats a run's choices,
 * {@code -Drunnel.nemesis.netns=off} keeps every node on 127.0.0.1 (no network partitions, as on
 * a machine where namespaces cannot be made).
 */
class NemesisProcessTest {

    private static final Duration START = Duration.ofSeconds(120);
    private static final Duration DEADLINE = Duration.ofMinutes(3);
    private static final Duration FAULT_TIME = Duration.parse(System.getProperty("runnel.nemesis.duration", "PT100S"));
    private static final int PARTITIONS = 6;
    private static final int PRODUCERS = 3;
    private static final int PER_SECOND = 150;
    private static final int OFFSETS_PARTITIONS = 10;
    private static final String GROUP = "nemesis-group";
    private static final List<String> QUIET = List.of("org.apache.zookeeper", "org.apache.curator");
    private static final Map<String, Level> levels = new HashMap<>();

    private NemesisNetwork network;
    private NemesisCluster cluster;
    private final List<NemesisProducer> producers = new ArrayList<>();
    private NemesisGroup group;
    private HighWatermarkObserver observer;
    private CommittedOffsetObserver offsetsObserver;
    private LeaderEpochHistory epochs;
    private NemesisClientLog clientLog;

    @BeforeAll
    static void quietClients() {
        for (String name : QUIET) {
            Logger logger = (Logger) LoggerFactory.getLogger(name);
            levels.put(name, logger.getLevel());
            logger.setLevel(Level.ERROR);
        }
    }

    @AfterAll
    static void restoreLogLevels() {
        levels.forEach((name, level) -> ((Logger) LoggerFactory.getLogger(name)).setLevel(level));
    }

    @AfterEach
    void stopEverything() throws Exception {
        producers.forEach(NemesisProducer::close);
        if (group != null) {
            group.close();
        }
        if (observer != null) {
            observer.close();
        }
        if (offsetsObserver != null) {
            offsetsObserver.close();
        }
        if (epochs != null) {
            epochs.close();
        }
        if (clientLog != null) {
            clientLog.close();
        }
        try {
            if (cluster != null) {
                cluster.close();
            }
        } finally {
            if (network != null) {
                network.close();
            }
        }
    }

    @Test
    void acknowledgedRecordsSurviveOverlappingFaultsOfEveryKind() throws Exception {
        long seed = Long.getLong("runnel.nemesis.seed", System.nanoTime());
        long started = System.nanoTime();
        System.out.printf("NEMESIS seed=%d duration=%s (-Drunnel.nemesis.seed=%d repeats the choices)%n", seed,
                FAULT_TIME, seed);
        List<String> nodes = List.of("controller-1", "controller-2", "broker-1", "broker-2", "broker-3");
        network = "off".equals(System.getProperty("runnel.nemesis.netns"))
                ? NemesisNetwork.loopback("-Drunnel.nemesis.netns=off")
                : NemesisNetwork.create(nodes);
        if (!network.partitionable()) {
            System.out.println("NEMESIS: every node on 127.0.0.1; the network partition fault is SKIPPED: "
                    + network.unavailableBecause());
        }
        // The cluster, the topic and the workload: writers, readers and the two observers.
        Path kept = Files.createDirectories(Path.of("target", "fault-logs", "nemesis-" + seed));
        clientLog = new NemesisClientLog(kept.resolve("clients.log"));
        cluster = new NemesisCluster("nemesis-" + seed, network, Duration.ofSeconds(6),
                List.of("--runnel.controller.leader-rebalance.interval=5s"),
                List.of("--runnel.broker.replica-lag-time-max=10s",
                        "--runnel.broker.offsets-topic.partitions=" + OFFSETS_PARTITIONS))
                .start(2, 3, START);
        String topic = "nemesis";
        cluster.admin().createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 3)
                .configs(Map.of("min.insync.replicas", "2")))).all().get(30, TimeUnit.SECONDS);
        cluster.awaitFullIsr(topic, 3, DEADLINE);
        NemesisFault.Topic grown = new NemesisFault.Topic(topic, new AtomicInteger(PARTITIONS));
        epochs = new LeaderEpochHistory(cluster.zk(), topic);

        OffsetLedger ledger = new OffsetLedger();
        for (int id = 1; id <= PRODUCERS; id++) {
            producers.add(new NemesisProducer(id, cluster.bootstrap(), topic, PER_SECOND, ledger).start());
        }
        group = new NemesisGroup(cluster.bootstrap(), topic, GROUP, ledger).start(2);
        observer = new HighWatermarkObserver(topic, cluster.brokerIds(), cluster::kafkaAddress, grown.partitions()::get,
                Duration.ofMillis(200)).start();
        offsetsObserver = new CommittedOffsetObserver(GROUP, topic, OFFSETS_PARTITIONS, cluster.brokerIds(),
                cluster::kafkaAddress, Duration.ofMillis(500)).start();
        awaitProgress(300);
        await("the group reads").atMost(DEADLINE).until(() -> group.consumed() > 0);

        // Overlapping faults for FAULT_TIME, then until each has healed.
        Nemesis nemesis = new Nemesis(cluster, grown, seed, Duration.ofSeconds(2), Duration.ofSeconds(8));
        nemesis.run(FAULT_TIME, Duration.ofMinutes(6));
        nemesis.log("every fault over");

        // A healthy cluster again; then the writers stop, the readers catch up and stop.
        List<String> failures = new ArrayList<>(nemesis.healFailures());
        try {
            cluster.awaitFullIsr(topic, 3, DEADLINE);
            nemesis.log("every ISR full");
            awaitProgress(300);
        } catch (ConditionTimeoutException e) {
            failures.add("no full ISR or no progress " + DEADLINE + " after the faults: " + e.getMessage());
        }
        for (NemesisProducer producer : producers) {
            long pending = producer.stop(Duration.ofSeconds(30));
            if (pending > 0) {
                nemesis.log("producer " + producer.id() + " had " + pending + " sends waiting for an answer at the stop");
            }
        }
        nemesis.log("producers stopped");
        int partitions = cluster.topic(topic).partitions().size();
        grown.partitions().set(partitions);
        long groupLag = awaitGroupCaughtUp(topic, partitions);
        nemesis.log("group caught up (lag " + groupLag + ")");
        group.stopMembers();
        List<String> lostCommits = lostCommits(group.acknowledgedCommits(), group.committed());
        group.close();
        observer.close();
        offsetsObserver.close();
        // The checks: the history against the topic read back, then the replicas' files.
        CommittedOffsetObserver.Result offsets = offsetsObserver.check();
        NemesisChecker.ReadBack readBack = NemesisChecker.readBack(cluster.bootstrap(), topic, partitions, ledger,
                DEADLINE);
        NemesisChecker.Verdict verdict = NemesisChecker.check(readBack, producers, epochs, observer.observations());

        nemesis.log("read back " + readBack.read() + " records");
        List<Integer> slow = cluster.stopBrokers(Duration.ofSeconds(60));
        nemesis.log("brokers stopped");
        slow.forEach(id -> failures.add("broker-" + id + " did not exit within 60 s of SIGTERM at the end"));
        Map<Integer, Path> logDirs = new TreeMap<>();
        cluster.brokerIds().forEach(id -> logDirs.put(id, cluster.logDir(id)));
        long divergence = 0;
        List<String> compared = List.of();
        try {
            compared = ReplicationChecks.assertReplicaLogsIdentical(logDirs, topic, readBack.endOffsets());
        } catch (AssertionError | java.io.IOException e) {
            divergence = 1; // a missing replica directory counts too
            failures.add("replicas differ below the high watermark: " + e.getMessage());
        }

        Map<String, String> faults = new LinkedHashMap<>();
        Map<NemesisFault.Kind, Integer> counts = nemesis.counts();
        for (NemesisFault.Kind kind : NemesisFault.Kind.values()) {
            faults.put(kind.label(), nemesis.kinds().contains(kind) ? counts.get(kind).toString() : "skipped");
        }
        long acknowledged = producers.stream().mapToLong(NemesisProducer::acknowledged).sum();
        long groupRegressions = offsets.regressions() + lostCommits.size();
        String line = String.format("NEMESIS-RUN seed=%d duration=%s faults=%s network=%s partitions=%d->%d sent=%d "
                + "acknowledged=%d failed=%d read=%d consumed=%d lost=%d duplicated=%d reordered=%d offsetConflicts=%d "
                + "groupOffsetRegressions=%d hwRegressions=%d unknown=%d replicaDivergence=%d groupLagAtEnd=%d "
                + "healFailures=%d hwObservations=%d staleHwAnswers=%d committedOffsetAnswers=%d staleCommittedAnswers=%d "
                + "groupCommits=%d unacknowledgedRead=%d elapsed=%ds",
                seed, FAULT_TIME, faults,
                network.partitionable() ? "namespaces" : "loopback", PARTITIONS, partitions,
                producers.stream().mapToLong(NemesisProducer::sent).sum(), acknowledged,
                producers.stream().mapToLong(NemesisProducer::failed).sum(), readBack.read(), group.consumed(),
                verdict.lost(), verdict.duplicated(), verdict.reordered(), ledger.conflicts(), groupRegressions,
                verdict.hwRegressions(), verdict.unknown(), divergence, groupLag, failures.size(),
                verdict.hwObservations(), verdict.staleHwAnswers(), offsets.answers(), offsets.stale(), group.commits(),
                verdict.unacknowledgedRead(),
                TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started));
        List<String> groupEvidence = new ArrayList<>(offsets.evidence());
        groupEvidence.addAll(lostCommits);
        List<String> failedSends = producers.stream().flatMap(p -> p.failures().stream()).toList();
        List<String> duplicateBatches = describeDuplicates(verdict.duplicates(), logDirs, topic);
        String report = report(line, verdict, ledger, groupEvidence, failures, failedSends, compared);
        report += duplicateBatches.stream().map(l -> "  duplicate's batches: " + l + "\n")
                .collect(Collectors.joining());
        System.out.println(report);
        Files.writeString(cluster.keepLogs().resolve("nemesis-report.txt"), report);

        assertThat(failures).as("faults that did not heal, and other failures").isEmpty();
        assertThat(verdict.lost()).as("acknowledged but not read back").isZero();
        assertThat(verdict.duplicated()).as("read back more than once").isZero();
        assertThat(verdict.reordered()).as("out of a producer's order within a partition").isZero();
        assertThat(ledger.conflicts()).as("offsets with two different values").isZero();
        assertThat(groupRegressions).as("committed group offsets that went back").isZero();
        assertThat(verdict.hwRegressions()).as("high watermark regressions seen").isZero();
        assertThat(verdict.unknown()).as("values no producer sent").isZero();
        assertThat(groupLag).as("records the group had not committed at the end").isZero();
        for (NemesisFault.Kind kind : nemesis.kinds()) {
            assertThat(counts.get(kind)).as("%s faults injected", kind.label()).isPositive();
        }
        assertThat(partitions).as("partitions after the rolling restarts").isGreaterThan(PARTITIONS);
        assertThat(acknowledged).isPositive();
    }

    /**
     * Both batches of each described duplicate, read from every broker's files (the brokers are
     * stopped): whether the copies share producer epoch and sequences says who wrote the second.
     */
    private static List<String> describeDuplicates(List<NemesisChecker.Duplicate> duplicates,
            Map<Integer, Path> logDirs, String topic) {
        List<String> lines = new ArrayList<>();
        for (NemesisChecker.Duplicate d : duplicates) {
            Path dir = logDirs.values().iterator().next().resolve(topic + "-" + d.partition());
            try {
                lines.add(d.value() + " in partition " + d.partition() + " (acknowledged at " + d.acknowledgedAt()
                        + "): first in " + ReplicationChecks.describeBatch(dir, d.first()) + "; again in "
                        + ReplicationChecks.describeBatch(dir, d.again()));
            } catch (IOException | RuntimeException e) {
                lines.add(d.value() + ": cannot read " + dir + ": " + e);
            }
        }
        return lines;
    }

    /** Waits until each producer has {@code records} more acknowledgements. */
    private void awaitProgress(long records) {
        Map<Integer, Long> targets = producers.stream()
                .collect(Collectors.toMap(NemesisProducer::id, p -> p.acknowledged() + records));
        await("acknowledgements up to " + targets).atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
                .until(() -> producers.stream().allMatch(p -> p.acknowledged() >= targets.get(p.id())));
    }

    /** Acknowledged commits the group's final committed offsets are below: commits lost. */
    private static List<String> lostCommits(Map<Integer, Long> acknowledged, Map<Integer, Long> committed) {
        List<String> lost = new ArrayList<>();
        acknowledged.forEach((p, offset) -> {
            long now = committed.getOrDefault(p, -1L);
            if (now < offset) {
                lost.add("partition " + p + ": committed " + now + " at the end, below the acknowledged commit of "
                        + offset);
            }
        });
        return lost;
    }

    /** Waits until the group's committed offsets reach the end offsets; what it still lags then. */
    private long awaitGroupCaughtUp(String topic, int partitions) throws Exception {
        Map<Integer, Long> ends = new TreeMap<>();
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(Map.<String, Object>of(
                "bootstrap.servers", cluster.bootstrap()), new org.apache.kafka.common.serialization.StringDeserializer(),
                new org.apache.kafka.common.serialization.StringDeserializer())) {
            List<org.apache.kafka.common.TopicPartition> all = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                all.add(new org.apache.kafka.common.TopicPartition(topic, p));
            }
            consumer.endOffsets(all, Duration.ofSeconds(30)).forEach((tp, end) -> ends.put(tp.partition(), end));
        }
        long[] lag = {Long.MAX_VALUE};
        try {
            await("the group commits up to " + ends).atMost(DEADLINE).pollInterval(Duration.ofSeconds(1))
                    .ignoreExceptions().until(() -> {
                        Map<Integer, Long> committed = group.committed();
                        lag[0] = ends.entrySet().stream()
                                .mapToLong(e -> e.getValue() - committed.getOrDefault(e.getKey(), 0L)).sum();
                        return lag[0] <= 0;
                    });
        } catch (ConditionTimeoutException e) {
            System.out.println("NEMESIS: the group still lags " + lag[0] + " records behind " + ends);
        }
        return Math.max(0, lag[0]);
    }

    private static String report(String line, NemesisChecker.Verdict verdict, OffsetLedger ledger,
            List<String> groupRegressions, List<String> failures, List<String> failedSends, List<String> compared) {
        StringBuilder out = new StringBuilder(line).append('\n');
        failures.forEach(f -> out.append("  failure: ").append(f).append('\n'));
        verdict.evidence().forEach((kind, lines) -> lines.forEach(l -> out.append("  ").append(kind).append(": ")
                .append(l).append('\n')));
        ledger.evidence().forEach(l -> out.append("  offsetConflicts: ").append(l).append('\n'));
        groupRegressions.forEach(l -> out.append("  groupOffsetRegressions: ").append(l).append('\n'));
        failedSends.forEach(l -> out.append("  failed send (not a violation): ").append(l).append('\n'));
        compared.forEach(l -> out.append("  replicas: ").append(l).append('\n'));
        return out.toString();
    }
}
