package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ClassicGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.ClassicGroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.runnel.testing.TempLogDirs;

/**
 * Kafka Connect in distributed mode on Runnel, with faults (issue 26, item 2): two workers, each
 * Apache Kafka's own {@code ConnectDistributed} (connect-distributed.sh's main) in a JVM of its
 * own on the jars {@code kafka-reference/tools} gathers (Kafka 4.3.1: connect-runtime and
 * connect-file with their own kafka-clients; connect-file 4.3.1 does not run on this module's
 * kafka-clients 4.4), in one group on a three-broker cluster, their config, offset and status
 * topics on Runnel (RF 3, compacted). Kafka's FileStreamSource and FileStreamSink connectors (one
 * task each: {@code tasks.max=1}), created through Connect's REST API, copy a 100,000-line file
 * through a one-partition topic into another file.
 *
 * <ol>
 * <li>Mid-copy the worker running the source task is killed with {@code kill -9}; the survivor
 * takes over every connector and task (the status names its worker id, RUNNING) and the copy
 * completes. What is asserted, exactly: the topic holds the input's lines {@code 1..k} and then
 * {@code R+1..100000}, where {@code k} is the number of records in the topic when the killed
 * worker was gone and {@code R} the line count of the last source offset in the offsets topic
 * then (the byte position over the fixed line length); that is, the only repeats are the one
 * contiguous range {@code R+1..k} that the dead worker had sent after its last offset commit,
 * replayed from exactly that offset. The output file is the topic's records in order; if the
 * sink task ran on the killed worker too, the output may likewise repeat the one range from the
 * sink's last committed consumer offset to what the dead task had written, and nothing else.
 * <li>Both workers are stopped (SIGTERM) and two new ones start with the same group and topics:
 * both connectors come back from the config topic with configs identical to those created, and
 * 1,000 lines appended to the input reach the output exactly once, after everything before: the
 * source went on from its stored offset, the sink from its committed one.
 * </ol>
 *
 * <p>The input file grows while the copy runs (1,000 lines every 100 ms until 100,000) so that
 * the kill lands mid-copy whatever the machine's speed. Every process is a child stopped on
 * every exit path; REST binds {@code http://127.0.0.1:0} and each worker reports the URL it got.
 */
class KafkaConnectDistributedProcessTest {

    private static final Duration DEADLINE = Duration.ofSeconds(120);
    private static final String GROUP = "connect-runnel";
    private static final String CONFIGS = "connect-configs";
    private static final String OFFSETS = "connect-offsets";
    private static final String STATUS = "connect-status";
    private static final String DATA = "file-lines";
    private static final String SOURCE = "file-source";
    private static final String SINK = "file-sink";
    private static final int LINES = 100_000;
    private static final int MORE = 1_000;
    private static final int CHUNK = 1_000;
    /** Bytes per line, newline included: a source offset (a byte position) over this is a line count. */
    private static final int WIDTH = 32;
    /** Records in the topic before the kill: the copy is well under way, and far from done. */
    private static final int KILL_AFTER = 20_000;
    /** Kafka's {@code RestServer}, once bound: the URL it listens at and the one it advertises (the worker id). */
    private static final Pattern REST_LISTENING = Pattern.compile(
            "REST server listening at (http://\\S+), advertising URL (http://\\S+)");
    private static final String REST_READY = "REST resources initialized; server is started and ready";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final ObjectMapper json = new ObjectMapper();
    private final List<Worker> workers = new ArrayList<>();
    private InJvmCluster cluster;
    private String bootstrap;
    private Path dir;
    /** The workers' logs, kept after the run: {@code target/connect-distributed}. */
    private final Path logs = Path.of("target", "connect-distributed").toAbsolutePath();
    private Path input;
    private Path output;

    /**
     * A worker JVM and what it logged when its REST server had bound: {@code REST server listening
     * at <url>, advertising URL <url>} (Kafka's {@code RestServer}).
     */
    private record Worker(String name, NodeProcess process, URI rest, URI advertised) {

        /** The id connector statuses give this worker: its advertised {@code host:port}. */
        String id() {
            return advertised.getHost() + ":" + advertised.getPort();
        }
    }

    @BeforeEach
    void start() throws Exception {
        dir = TempLogDirs.create("runnel-connect-");
        TempLogDirs.deleteRecursively(logs);
        Files.createDirectories(logs);
        input = dir.resolve("input.txt");
        output = dir.resolve("output.txt");
        cluster = new InJvmCluster();
        cluster.startControllerAndBrokers(3);
        bootstrap = cluster.bootstrap(1, 2, 3);
        try (Admin admin = KafkaClients.admin(bootstrap)) {
            // One partition: the sink gets the lines in the order the source read them.
            admin.createTopics(List.of(new NewTopic(DATA, 1, (short) 3)
                    .configs(Map.of(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, "2")))).all().get(30, TimeUnit.SECONDS);
        }
    }

    @AfterEach
    void stop() throws Exception {
        try {
            NodeProcess.closeAll(workers.stream().map(Worker::process).toList());
        } finally {
            try {
                if (cluster != null) {
                    cluster.close();
                }
            } finally {
                TempLogDirs.deleteRecursively(dir);
            }
        }
    }

    @Test
    void twoWorkersCopyAFileThroughAKillAndRestartFromTheirCompactedTopics() throws Exception {
        Files.writeString(input, "");
        Worker a = startWorker("worker-a");
        Worker b = startWorker("worker-b");
        awaitGroupMembers(2);
        assertInternalTopicsCompactedWithThreeReplicas();

        Map<String, String> sourceConfig = new TreeMap<>(Map.of(
                "connector.class", "org.apache.kafka.connect.file.FileStreamSourceConnector", "tasks.max", "1",
                "file", input.toString(), "topic", DATA));
        Map<String, String> sinkConfig = new TreeMap<>(Map.of(
                "connector.class", "org.apache.kafka.connect.file.FileStreamSinkConnector", "tasks.max", "1",
                "file", output.toString(), "topics", DATA));
        createConnector(a, SOURCE, sourceConfig);
        createConnector(b, SINK, sinkConfig);
        awaitTaskRunning(a, SOURCE);
        awaitTaskRunning(a, SINK);
        Map<String, String> sourceStored = connectorConfig(a, SOURCE);
        Map<String, String> sinkStored = connectorConfig(a, SINK);
        assertThat(sourceStored).as("the source's config as Connect stores it").isEqualTo(withName(sourceConfig, SOURCE));
        assertThat(sinkStored).as("the sink's config as Connect stores it").isEqualTo(withName(sinkConfig, SINK));

        // The copy, with the kill of the source task's worker once the topic has KILL_AFTER records
        // and the source has committed an offset.
        long started = System.nanoTime();
        Worker victim = null;
        Worker survivor = null;
        boolean sinkOnVictim = false;
        long producedByVictim = -1;
        long committedLines = -1;
        long sinkCommitted = -1;
        long writtenBySinkAtKill = -1;
        long killedAt = 0;
        int written = 0;
        while (written < LINES || victim == null) {
            if (written < LINES) {
                append(written + 1, CHUNK);
                written += CHUNK;
                // The input's growth rate (1,000 lines every 100 ms), not a wait: the file grows for
                // about ten seconds, so the kill always lands mid-copy.
                TimeUnit.MILLISECONDS.sleep(100);
            } else {
                await("the topic to hold " + KILL_AFTER + " records and the source to commit an offset")
                        .atMost(DEADLINE.minusNanos(System.nanoTime() - started)).pollInterval(Duration.ofMillis(100))
                        .until(() -> endOffset(DATA) >= KILL_AFTER && lastSourcePosition() > 0);
            }
            if (victim == null && endOffset(DATA) >= KILL_AFTER && lastSourcePosition() > 0) {
                JsonNode sourceStatus = status(a, SOURCE);
                String sourceWorker = sourceStatus.path("tasks").path(0).path("worker_id").asText();
                victim = a.id().equals(sourceWorker) ? a : b;
                survivor = victim == a ? b : a;
                assertThat(victim.id()).as("the source task's worker, %s", sourceStatus).isEqualTo(sourceWorker);
                sinkOnVictim = victim.id().equals(status(a, SINK).path("tasks").path(0).path("worker_id").asText());
                killedAt = System.nanoTime();
                victim.process().kill();
                assertThat(victim.process().isAlive()).as("%s after kill -9", victim.name()).isFalse();
                assertThat(victim.process().logSinceStart()).as("%s ran no shutdown", victim.name())
                        .doesNotContain("Herder stopping");
                // Whatever the dead worker had already sent reaches the brokers: the end offset stops
                // moving (no one else writes until the survivor's session-timeout rebalance, seconds away).
                AtomicReference<Long> lastEnd = new AtomicReference<>(-1L);
                await("the topic's end offset to settle after the kill").atMost(Duration.ofSeconds(5))
                        .during(Duration.ofMillis(500)).pollInterval(Duration.ofMillis(100))
                        .until(() -> {
                            long now = endOffset(DATA);
                            return lastEnd.getAndSet(now) == now;
                        });
                producedByVictim = endOffset(DATA);
                committedLines = lastSourcePosition() / WIDTH;
                sinkCommitted = sinkCommittedOffset();
                writtenBySinkAtKill = completeLines(output).size();
                System.out.printf("connect: kill -9 of %s (%s, pid %d) running the source task%s after %d of %d "
                        + "lines were written to the input: %d records in the topic, source offset committed "
                        + "through line %d, sink had written %d lines, committed offset %d%n", victim.name(),
                        victim.id(), victim.process().pid(), sinkOnVictim ? " and the sink task" : "", written, LINES,
                        producedByVictim, committedLines, writtenBySinkAtKill, sinkCommitted);
                assertThat(producedByVictim).as("the copy is under way at the kill").isLessThan(LINES);
            }
        }
        Worker rest = survivor;
        long killed = killedAt;
        await("every connector and task RUNNING on the survivor " + rest.name()).atMost(DEADLINE)
                .pollInterval(Duration.ofMillis(200)).ignoreExceptions().untilAsserted(() -> {
                    for (String connector : List.of(SOURCE, SINK)) {
                        JsonNode status = status(rest, connector);
                        assertThat(status.path("connector").path("state").asText()).as("%s", status).isEqualTo("RUNNING");
                        assertThat(status.path("connector").path("worker_id").asText()).as("%s", status)
                                .isEqualTo(rest.id());
                        assertThat(status.path("tasks").size()).as("%s", status).isEqualTo(1);
                        assertThat(status.path("tasks").path(0).path("state").asText()).as("%s", status)
                                .isEqualTo("RUNNING");
                        assertThat(status.path("tasks").path(0).path("worker_id").asText()).as("%s", status)
                                .isEqualTo(rest.id());
                    }
                });
        System.out.printf("connect: %.1f s after the kill both tasks run on %s (%s): %s / %s%n",
                (System.nanoTime() - killed) / 1e9, rest.name(), rest.id(), status(rest, SOURCE).path("tasks"),
                status(rest, SINK).path("tasks"));
        String last = line(LINES);
        await("the output ends with line " + LINES).atMost(DEADLINE).pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    List<String> out = completeLines(output);
                    return !out.isEmpty() && out.get(out.size() - 1).equals(last);
                });
        System.out.printf("connect: the copy completed %.1f s after the first line was written%n",
                (System.nanoTime() - started) / 1e9);

        List<String> lines = lines(1, LINES);
        List<String> topic = readAll(DATA);
        // The topic: lines 1..k from the dead worker, then R+1..100000 from the survivor, which started
        // from the last committed source offset R.
        int k = (int) producedByVictim;
        int r = (int) committedLines;
        assertThat(r).as("the last committed source offset, in lines").isBetween(1, k);
        List<String> expectedTopic = new ArrayList<>(lines.subList(0, k));
        expectedTopic.addAll(lines.subList(r, LINES));
        assertSameLines(topic, expectedTopic, "the topic: lines 1.." + k + ", then " + (r + 1) + ".." + LINES);
        // The output: the topic's records in order; with the sink task on the dead worker, those from its
        // committed offset s to what it had written (a) again.
        List<String> out = completeLines(output);
        List<String> expectedOutput = new ArrayList<>(topic);
        if (sinkOnVictim) {
            int s = (int) sinkCommitted;
            int written2 = (int) writtenBySinkAtKill;
            assertThat(s).as("the sink's committed offset at the kill").isBetween(0, written2);
            expectedOutput = new ArrayList<>(topic.subList(0, written2));
            expectedOutput.addAll(topic.subList(s, topic.size()));
        }
        assertSameLines(out, expectedOutput, sinkOnVictim ? "the output: the topic's records 1.." + writtenBySinkAtKill
                + " then " + (sinkCommitted + 1) + ".." + topic.size() : "the output: the topic's records");
        assertThat(out.stream().distinct().count()).as("distinct lines in the output").isEqualTo(LINES);
        System.out.printf("connect: %d lines in, %d records in the topic (%d repeated from the source's replay), "
                + "%d lines out (%d repeated)%n", LINES, topic.size(), topic.size() - LINES, out.size(),
                out.size() - LINES);

        // Both workers stop; two new ones find the connectors, their configs and offsets in the topics.
        List<String> before = completeLines(output);
        long topicBefore = endOffset(DATA);
        NodeProcess.closeAll(workers.stream().map(Worker::process).toList());
        for (Worker worker : workers) {
            assertThat(worker.process().isAlive()).as(worker.name() + " stopped").isFalse();
        }
        Worker c = startWorker("worker-c");
        Worker d = startWorker("worker-d");
        for (Worker worker : List.of(c, d)) {
            await(worker.name() + " lists both connectors").atMost(DEADLINE).pollInterval(Duration.ofMillis(250))
                    .ignoreExceptions().untilAsserted(() -> {
                        JsonNode listed = json.readTree(get(worker.rest().resolve("/connectors")).body());
                        List<String> names = new ArrayList<>();
                        listed.forEach(n -> names.add(n.asText()));
                        assertThat(names).containsExactlyInAnyOrder(SOURCE, SINK);
                    });
            assertThat(connectorConfig(worker, SOURCE)).as("the source's config read back by " + worker.name())
                    .isEqualTo(sourceStored);
            assertThat(connectorConfig(worker, SINK)).as("the sink's config read back by " + worker.name())
                    .isEqualTo(sinkStored);
        }
        awaitGroupMembers(2);
        awaitTaskRunning(c, SOURCE);
        awaitTaskRunning(c, SINK);
        System.out.printf("connect: after the restart, source task %s, sink task %s%n",
                status(c, SOURCE).path("tasks"), status(c, SINK).path("tasks"));
        append(LINES + 1, MORE);
        String lastMore = line(LINES + MORE);
        await("the output ends with line " + (LINES + MORE)).atMost(DEADLINE).pollInterval(Duration.ofMillis(250))
                .until(() -> {
                    List<String> now = completeLines(output);
                    return !now.isEmpty() && now.get(now.size() - 1).equals(lastMore);
                });
        // Stopped, the workers write nothing more: what the output has now is all it gets.
        NodeProcess.closeAll(List.of(c.process(), d.process()));
        List<String> after = completeLines(output);
        assertThat(after.size()).as("lines in the output after the restart").isGreaterThanOrEqualTo(before.size());
        assertThat(after.subList(0, before.size())).as("the output before the restart, unchanged").isEqualTo(before);
        assertSameLines(after.subList(before.size(), after.size()), lines(LINES + 1, MORE),
                "the output after the restart: exactly the " + MORE + " new lines");
        assertThat(endOffset(DATA)).as("records in the topic after the restart").isEqualTo(topicBefore + MORE);
        assertThat(lastSourcePosition()).as("the source offset stored last").isEqualTo((long) (LINES + MORE) * WIDTH);
        assertThat(Files.readString(output)).as("the output ends with a whole line").endsWith("\n");
        System.out.printf("connect: after the restart %d more lines in, %d more out, %d more records in the topic%n",
                MORE, after.size() - before.size(), endOffset(DATA) - topicBefore);
    }

    /** Line {@code n} of the input, {@link #WIDTH} bytes with its newline, unique and ordered. */
    private static String line(int n) {
        return String.format("line %07d of the input file.", n);
    }

    private static List<String> lines(int first, int count) {
        List<String> lines = new ArrayList<>(count);
        for (int n = first; n < first + count; n++) {
            lines.add(line(n));
        }
        return lines;
    }

    /** Appends lines {@code first..first+count-1} to the input with one write. */
    private void append(int first, int count) throws IOException {
        StringBuilder chunk = new StringBuilder(count * WIDTH);
        for (String l : lines(first, count)) {
            chunk.append(l).append('\n');
        }
        assertThat(chunk.length()).isEqualTo(count * WIDTH);
        try (Writer out = Files.newBufferedWriter(input, StandardCharsets.UTF_8, StandardOpenOption.APPEND)) {
            out.write(chunk.toString());
        }
    }

    /** Compares without printing 100,000 lines: the first difference, or the lengths. */
    private static void assertSameLines(List<String> actual, List<String> expected, String what) {
        int common = Math.min(actual.size(), expected.size());
        for (int i = 0; i < common; i++) {
            if (!actual.get(i).equals(expected.get(i))) {
                throw new AssertionError(what + ": at index " + i + " expected <" + expected.get(i) + "> but was <"
                        + actual.get(i) + "> (" + actual.size() + " lines, " + expected.size() + " expected; around it: "
                        + actual.subList(Math.max(0, i - 2), Math.min(actual.size(), i + 3)) + ")");
            }
        }
        assertThat(actual.size()).as(what + ": lines (the last ones: %s)",
                actual.subList(Math.max(0, actual.size() - 3), actual.size())).isEqualTo(expected.size());
    }

    /** The lines of {@code file} without a last one still being written. */
    private static List<String> completeLines(Path file) throws IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        String text = Files.readString(file, StandardCharsets.UTF_8);
        int end = text.lastIndexOf('\n');
        return end < 0 ? List.of() : text.substring(0, end).lines().toList();
    }

    /**
     * Starts Apache Kafka's own {@code ConnectDistributed} ({@code connect-distributed.sh}'s main) as a
     * JVM on the jars {@code kafka-reference/tools} gathered (Kafka's tools, connect-runtime and
     * connect-file, with their own kafka-clients), under a watchdog of this JVM, and waits until it
     * serves REST: it binds port 0 and logs the URL it got.
     */
    private Worker startWorker(String name) throws IOException, InterruptedException {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("bootstrap.servers", bootstrap);
        props.put("group.id", GROUP);
        props.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
        props.put("value.converter", "org.apache.kafka.connect.storage.StringConverter");
        props.put("config.storage.topic", CONFIGS);
        props.put("offset.storage.topic", OFFSETS);
        props.put("status.storage.topic", STATUS);
        props.put("config.storage.replication.factor", "3");
        props.put("offset.storage.replication.factor", "3");
        props.put("status.storage.replication.factor", "3");
        props.put("offset.storage.partitions", "5");
        props.put("status.storage.partitions", "3");
        props.put("offset.flush.interval.ms", "1000");
        // Failure detection in seconds: the worker group's session, the delay before a departed worker's
        // connectors and tasks go to the others (5 minutes by default), and the sink consumers' session.
        props.put("session.timeout.ms", "6000");
        props.put("heartbeat.interval.ms", "1000");
        props.put("scheduled.rebalance.max.delay.ms", "2000");
        props.put("consumer.session.timeout.ms", "6000");
        props.put("consumer.heartbeat.interval.ms", "1000");
        props.put("listeners", "http://127.0.0.1:0");
        props.put("rest.advertised.host.name", "127.0.0.1");
        // connect-file declares its connectors as services: no scan of every jar.
        props.put("plugin.discovery", "service_load");
        Path config = dir.resolve(name + ".properties");
        Files.writeString(config, props.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining("\n", "", "\n")));
        Path log4j = dir.resolve("connect-log4j2.properties");
        Files.writeString(log4j, String.join("\n", "status = warn", "appender.out.type = Console",
                "appender.out.name = OUT", "appender.out.layout.type = PatternLayout",
                "appender.out.layout.pattern = [%d] %p [%t] %m (%c)%n", "rootLogger.level = warn",
                "rootLogger.appenderRef.out.ref = OUT",
                // The REST server's URL, rebalances, task starts and stops; not every client's config dump.
                "logger.connect.name = org.apache.kafka.connect.runtime", "logger.connect.level = info", ""));
        Path jars = Path.of("..", "kafka-reference", "tools", "target", "kafka-tools").toAbsolutePath().normalize();
        boolean connectFile;
        try (Stream<Path> files = Files.list(jars)) {
            connectFile = files.anyMatch(j -> j.getFileName().toString().startsWith("connect-file-"));
        }
        if (!connectFile) {
            throw new IllegalStateException("Kafka Connect with connect-file is not in " + jars
                    + "; gather it with ./mvnw -pl kafka-reference/tools -am package first");
        }
        List<String> command = new ArrayList<>(List.of(NodeProcess.java(), "-Xmx384m", "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", "-Dlog4j2.configurationFile=" + log4j));
        command.addAll(ChildProcesses.watchedMain(jars + File.separator + "*" + File.pathSeparator + jars,
                "org.apache.kafka.connect.cli.ConnectDistributed"));
        command.add(config.toString());
        NodeProcess process = NodeProcess.start(name, command, logs.resolve(name + ".log"));
        AtomicReference<Matcher> listening = new AtomicReference<>();
        try {
            await(name + " serves REST").atMost(DEADLINE).pollInterval(Duration.ofMillis(200)).until(() -> {
                String log = process.logSinceStart();
                Matcher m = REST_LISTENING.matcher(log);
                if (m.find() && log.contains(REST_READY)) {
                    listening.set(m);
                    return true;
                }
                if (!process.isAlive()) {
                    throw new IllegalStateException(name + " exited\n" + process.logTail());
                }
                return false;
            });
        } catch (RuntimeException | Error e) {
            process.close();
            throw e;
        }
        Worker worker = new Worker(name, process, URI.create(listening.get().group(1)),
                URI.create(listening.get().group(2)));
        workers.add(worker);
        System.out.printf("connect: %s (pid %d) serves REST at %s, worker id %s%n", name, process.pid(), worker.rest(),
                worker.id());
        return worker;
    }

    /** Waits until the Connect group has {@code count} members (Runnel's group coordinator describes it). */
    private void awaitGroupMembers(int count) {
        await("the Connect group has " + count + " members").atMost(DEADLINE).pollInterval(Duration.ofMillis(250))
                .ignoreExceptions().untilAsserted(() -> {
                    try (Admin admin = KafkaClients.admin(bootstrap)) {
                        ClassicGroupDescription group = admin.describeClassicGroups(List.of(GROUP)).all()
                                .get(10, TimeUnit.SECONDS).get(GROUP);
                        assertThat(group.members()).as("%s", group).hasSize(count);
                        assertThat(group.state()).as("%s", group).isEqualTo(ClassicGroupState.STABLE);
                    }
                });
    }

    private void assertInternalTopicsCompactedWithThreeReplicas() throws Exception {
        try (Admin admin = KafkaClients.admin(bootstrap)) {
            List<String> internal = List.of(CONFIGS, OFFSETS, STATUS);
            Map<String, TopicDescription> topics = admin.describeTopics(internal).allTopicNames().get(30,
                    TimeUnit.SECONDS);
            List<ConfigResource> resources = internal.stream()
                    .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList();
            Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get(30, TimeUnit.SECONDS);
            for (String name : internal) {
                TopicDescription topic = topics.get(name);
                assertThat(topic.partitions()).as(name).allSatisfy(p -> assertThat(p.replicas()).hasSize(3));
                String policy = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, name))
                        .get(TopicConfig.CLEANUP_POLICY_CONFIG).value();
                assertThat(policy).as(name + " cleanup.policy").isEqualTo(TopicConfig.CLEANUP_POLICY_COMPACT);
                System.out.printf("connect: %s: %d partitions, RF 3, cleanup.policy=%s%n", name,
                        topic.partitions().size(), policy);
            }
        }
    }

    /** POSTs the connector to {@code worker}, again while the group rebalances (409) or the worker starts (503). */
    private void createConnector(Worker worker, String name, Map<String, String> config) throws Exception {
        String body = json.writeValueAsString(Map.of("name", name, "config", config));
        await("POST /connectors " + name).atMost(DEADLINE).pollInterval(Duration.ofMillis(500)).until(() -> {
            HttpResponse<String> created = http.send(HttpRequest.newBuilder(worker.rest().resolve("/connectors"))
                    .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            if (created.statusCode() != 201 && created.statusCode() != 409 && created.statusCode() != 503) {
                throw new AssertionError("POST /connectors " + name + " answered " + created.statusCode() + ": "
                        + created.body() + "\n" + worker.process().logTail());
            }
            return created.statusCode() == 201;
        });
    }

    /** Waits until {@code connector}'s one task is RUNNING, as {@code asked} tells. */
    private void awaitTaskRunning(Worker asked, String connector) {
        await(connector + "'s task RUNNING").atMost(DEADLINE).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .untilAsserted(() -> {
                    JsonNode status = status(asked, connector);
                    assertThat(status.path("tasks").path(0).path("state").asText()).as("%s", status)
                            .isEqualTo("RUNNING");
                });
    }

    private JsonNode status(Worker worker, String connector) throws IOException, InterruptedException {
        HttpResponse<String> response = get(worker.rest().resolve("/connectors/" + connector + "/status"));
        if (response.statusCode() != 200) {
            throw new IOException(connector + " status: " + response.statusCode() + " " + response.body());
        }
        return json.readTree(response.body());
    }

    private Map<String, String> connectorConfig(Worker worker, String connector) throws Exception {
        HttpResponse<String> response = get(worker.rest().resolve("/connectors/" + connector + "/config"));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        Map<String, String> config = new TreeMap<>();
        json.readTree(response.body()).fields().forEachRemaining(e -> config.put(e.getKey(), e.getValue().asText()));
        return config;
    }

    private static Map<String, String> withName(Map<String, String> config, String name) {
        Map<String, String> named = new TreeMap<>(config);
        named.put("name", name);
        return named;
    }

    private HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private long endOffset(String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(bootstrap)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            return consumer.endOffsets(List.of(tp), Duration.ofSeconds(30)).get(tp);
        }
    }

    /** Every record of the topic (each partition in order), read up to the end offsets of now. */
    private List<ConsumerRecord<byte[], byte[]>> records(String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(bootstrap)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
                assertThat(System.nanoTime()).as("reading " + topic + " to " + ends).isLessThan(deadline);
                consumer.poll(Duration.ofMillis(200)).forEach(all::add);
            }
            return all;
        }
    }

    private List<String> readAll(String topic) {
        return records(topic).stream().map(r -> KafkaClients.text(r.value())).toList();
    }

    /**
     * The latest byte position the source has committed for the input file, from the offsets topic
     * (JSON key {@code ["file-source",{"filename":...}]}, value {@code {"position":n}}); 0 before any.
     */
    private long lastSourcePosition() throws IOException {
        long position = 0;
        for (ConsumerRecord<byte[], byte[]> r : records(OFFSETS)) {
            if (r.key() == null || r.value() == null) {
                continue;
            }
            JsonNode key = json.readTree(r.key());
            if (key.path(0).asText().equals(SOURCE)
                    && key.path(1).path("filename").asText().equals(input.toString())) {
                position = json.readTree(r.value()).path("position").asLong();
            }
        }
        return position;
    }

    /** The sink's consumer group's committed offset on the topic, 0 if none. */
    private long sinkCommittedOffset() throws Exception {
        try (Admin admin = KafkaClients.admin(bootstrap)) {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets("connect-" + SINK)
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            OffsetAndMetadata committed = offsets.get(new TopicPartition(DATA, 0));
            return committed == null ? 0 : committed.offset();
        }
    }
}
