package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;

/**
 * MirrorMaker 2 as Apache Kafka runs it: Kafka 4.3.1's dedicated driver {@code
 * org.apache.kafka.connect.mirror.MirrorMaker} ({@code connect-mirror-maker.sh}'s main) in a child
 * JVM on the jars {@code kafka-reference/tools} gathers, and one mirrored flow checked end to end
 * ({@link #run}): a topic with 6 partitions and a non-default {@code retention.ms} on the source
 * appears on the target as {@code <alias>.<topic>} with the partition count and the config; 10,000
 * records arrive exactly (each partition's keys and values in order); a consumer group commits
 * part-way on the source; its checkpoint translates its offsets ({@code
 * RemoteClusterUtils.translateOffsets}, {@link MirrorTranslateOffsetsMain}) and MirrorMaker syncs
 * them into the same group on the target; the group then fails over to the target and goes on
 * without a gap, repeating only the one batch it had processed on the source after its last commit.
 */
final class MirrorMakerScenario {

    static final Duration DEADLINE = Duration.ofSeconds(120);
    static final int PARTITIONS = 6;
    static final int RECORDS = 10_000;
    /** Records before the group's commit on the source: it commits part-way. */
    static final int FIRST = 6_000;
    /** The most records one poll gives the group's consumer: one batch. */
    static final int BATCH = 500;
    static final String RETENTION_MS = "123456789";

    private MirrorMakerScenario() {
    }

    /** The jars of {@code kafka-reference/tools}, with MirrorMaker among them, or an explanation. */
    static Path toolsJars() throws IOException {
        Path jars = Path.of("..", "kafka-reference", "tools", "target", "kafka-tools").toAbsolutePath().normalize();
        boolean mirror = false;
        if (Files.isDirectory(jars)) {
            try (var files = Files.list(jars)) {
                mirror = files.anyMatch(j -> j.getFileName().toString().startsWith("connect-mirror-client-"));
            }
        }
        if (!mirror) {
            throw new IllegalStateException("Kafka's MirrorMaker (connect-mirror) is not in " + jars
                    + "; gather it with ./mvnw -pl kafka-reference/tools -am package first");
        }
        return jars;
    }

    /**
     * Starts Kafka's MirrorMaker with {@code properties} (written to {@code dir/<name>.properties}),
     * logging to {@code dir/<name>.log}, under a watchdog of this JVM. The caller closes it.
     */
    static NodeProcess startMirrorMaker(String name, Map<String, String> properties, Path dir) throws IOException {
        Path jars = toolsJars();
        Path config = dir.resolve(name + ".properties");
        Files.writeString(config, properties.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining("\n", "", "\n")), StandardCharsets.UTF_8);
        Path log4j = dir.resolve(name + "-log4j2.properties");
        Files.writeString(log4j, String.join("\n", "status = warn", "appender.out.type = Console",
                "appender.out.name = OUT", "appender.out.layout.type = PatternLayout",
                "appender.out.layout.pattern = [%d] %p [%t] %m (%c)%n", "rootLogger.level = warn",
                "rootLogger.appenderRef.out.ref = OUT",
                // MirrorMaker's own lines: herders started, topics found and created, checkpoints, syncs.
                "logger.mirror.name = org.apache.kafka.connect.mirror", "logger.mirror.level = info", ""));
        List<String> command = new ArrayList<>(List.of(NodeProcess.java(), "-Xmx512m", "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", "-Dlog4j2.configurationFile=" + log4j));
        command.addAll(ChildProcesses.watchedMain(jars + File.separator + "*" + File.pathSeparator + jars,
                "org.apache.kafka.connect.mirror.MirrorMaker"));
        command.add(config.toString());
        NodeProcess process = NodeProcess.start(name, command, dir.resolve(name + ".log"));
        System.out.printf("mm2: %s (pid %d) started with %s%n", name, process.pid(), config);
        return process;
    }

    /**
     * The settings every run uses besides the clusters and replication factors, for the flows into
     * {@code targets} (cluster aliases): fast topic, group, checkpoint and offset-sync intervals so a
     * test sees each within seconds.
     */
    static Map<String, String> commonSettings(String... targets) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("sync.topic.configs.enabled", "true");
        p.put("sync.topic.configs.interval.seconds", "5");
        // Runnel's ACLs are not what this test is about; Kafka's default here would poll DescribeAcls.
        p.put("sync.topic.acls.enabled", "false");
        p.put("emit.checkpoints.enabled", "true");
        p.put("emit.checkpoints.interval.seconds", "1");
        p.put("emit.heartbeats.interval.seconds", "1");
        p.put("sync.group.offsets.enabled", "true");
        p.put("sync.group.offsets.interval.seconds", "1");
        p.put("refresh.topics.interval.seconds", "1");
        p.put("refresh.groups.interval.seconds", "1");
        for (String target : targets) {
            // The source task's offset commits (60 s by default), which also send its delayed offset syncs: the
            // sync of a partition's last record, which the checkpoint of a group caught up with needs. A worker
            // setting: MirrorMaker's herder for a flow takes those prefixed with the flow's target cluster.
            p.put(target + ".offset.flush.interval.ms", "1000");
        }
        p.put("tasks.max", "2");
        return p;
    }

    /** One mirrored flow from {@code source} (alias {@code sourceAlias}) to {@code target}. */
    record Flow(String sourceAlias, String source, short sourceReplicas, String targetAlias, String target,
            short targetReplicas, String topic, String group, Path work) {

        String remoteTopic() {
            return sourceAlias + "." + topic;
        }

        String label() {
            return sourceAlias + "->" + targetAlias;
        }
    }

    /** What a run saw, for the caller's report. */
    record Outcome(Map<Integer, Long> committed, Map<Integer, Long> translated, int duplicates, double seconds) {
    }

    static Outcome run(Flow flow) throws Exception {
        long started = System.nanoTime();
        String label = flow.label();
        try (Admin source = KafkaClients.admin(flow.source())) {
            source.createTopics(List.of(new NewTopic(flow.topic(), PARTITIONS, flow.sourceReplicas())
                    .configs(Map.of(TopicConfig.RETENTION_MS_CONFIG, RETENTION_MS)))).all().get(30, TimeUnit.SECONDS);
        }
        // Every partition answers from its leader before the first record: on Apache Kafka, an idempotent producer
        // sending at once to a topic just created got NOT_LEADER_OR_FOLLOWER for some partitions, the broker then
        // took a later batch first, and the retried first batch failed OUT_OF_ORDER_SEQUENCE_NUMBER until the
        // delivery timeout (seen with Kafka 4.4 as the source).
        await(label + ": " + flow.topic() + "'s partitions have leaders on the source").atMost(DEADLINE)
                .pollInterval(Duration.ofMillis(200)).ignoreExceptions().untilAsserted(() -> {
                    try (KafkaConsumer<byte[], byte[]> c = KafkaClients.consumer(flow.source())) {
                        List<TopicPartition> tps = new ArrayList<>();
                        for (int p = 0; p < PARTITIONS; p++) {
                            tps.add(new TopicPartition(flow.topic(), p));
                        }
                        assertThat(c.endOffsets(tps, Duration.ofSeconds(5))).hasSize(PARTITIONS);
                    }
                });
        List<List<String[]>> produced = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            produced.add(new ArrayList<>());
        }
        produce(flow, produced, 0, FIRST);

        // The topic on the target: partitions, replicas, the config.
        AtomicReference<String> lastAnswer = new AtomicReference<>("");
        await(label + ": " + flow.remoteTopic() + " on the target with " + PARTITIONS + " partitions and retention.ms")
                .atMost(DEADLINE).pollInterval(Duration.ofMillis(500)).ignoreExceptions().untilAsserted(() -> {
                    try (Admin target = KafkaClients.admin(flow.target())) {
                        TopicDescription d = target.describeTopics(List.of(flow.remoteTopic())).allTopicNames()
                                .get(10, TimeUnit.SECONDS).get(flow.remoteTopic());
                        assertThat(d.partitions()).hasSize(PARTITIONS);
                        assertThat(d.partitions()).allSatisfy(
                                p -> assertThat(p.replicas()).hasSize(flow.targetReplicas()));
                        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, flow.remoteTopic());
                        Config c = target.describeConfigs(List.of(r)).all().get(10, TimeUnit.SECONDS).get(r);
                        assertThat(c.get(TopicConfig.RETENTION_MS_CONFIG).value()).isEqualTo(RETENTION_MS);
                    } catch (Throwable e) {
                        // What the target answers until the topic is there as expected, each new answer once.
                        String answer = String.valueOf(e).lines().findFirst().orElse("");
                        if (!answer.equals(lastAnswer.getAndSet(answer))) {
                            System.out.printf("mm2 %s: at %.1f s not yet: %s%n", label, seconds(started),
                                    answer.length() > 300 ? answer.substring(0, 300) : answer);
                        }
                        throw e;
                    }
                });
        System.out.printf("mm2 %s: %s has %d partitions, RF %d, retention.ms=%s after %.1f s%n", label,
                flow.remoteTopic(), PARTITIONS, flow.targetReplicas(), RETENTION_MS, seconds(started));
        awaitMirrored(flow, produced);
        System.out.printf("mm2 %s: the first %d records mirrored exactly after %.1f s%n", label, FIRST,
                seconds(started));

        // The group on the source: everything so far, committed; the commit is part-way through the records.
        Map<Integer, Long> committed = new TreeMap<>();
        List<ConsumerRecord<byte[], byte[]>> processedOnSource = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(flow.source(), Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, flow.group(), ConsumerConfig.MAX_POLL_RECORDS_CONFIG, BATCH,
                // It polls again only after the checkpoint waits below.
                ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 900_000))) {
            consumer.subscribe(List.of(flow.topic()));
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            while (processedOnSource.size() < FIRST) {
                assertThat(System.nanoTime()).as("%s: the group reads %d records: %d", label, FIRST,
                        processedOnSource.size()).isLessThan(deadline);
                consumer.poll(Duration.ofMillis(200)).forEach(processedOnSource::add);
            }
            assertThat(processedOnSource).as("the group reads exactly what is there").hasSize(FIRST);
            consumer.commitSync(Duration.ofSeconds(30));
            for (int p = 0; p < PARTITIONS; p++) {
                committed.put(p, consumer.position(new TopicPartition(flow.topic(), p)));
            }
            System.out.printf("mm2 %s: group %s committed %s on the source%n", label, flow.group(), committed);

            // The checkpoint: RemoteClusterUtils.translateOffsets on the target, and the offsets MirrorMaker
            // synced into the same group there (no member on the target yet).
            Map<Integer, Long> expected = new TreeMap<>(committed);
            AtomicReference<Map<Integer, Long>> last = new AtomicReference<>();
            await(label + ": the checkpoint translates " + expected).atMost(DEADLINE)
                    .pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                        Map<Integer, Long> t = translate(flow);
                        last.set(t);
                        assertThat(t).isEqualTo(expected);
                    });
            Map<Integer, Long> translated = last.get();
            System.out.printf("mm2 %s: RemoteClusterUtils.translateOffsets(%s, %s) = %s after %.1f s%n", label,
                    flow.sourceAlias(), flow.group(), translated, seconds(started));
            await(label + ": group offsets synced to the target").atMost(DEADLINE).pollInterval(Duration.ofMillis(500))
                    .ignoreExceptions().untilAsserted(() -> assertThat(groupOffsets(flow)).isEqualTo(expected));
            System.out.printf("mm2 %s: group %s's offsets on the target: %s%n", label, flow.group(), groupOffsets(flow));

            // The rest of the records; the group processes one more batch on the source, commits nothing, dies.
            produce(flow, produced, FIRST, RECORDS);
            List<ConsumerRecord<byte[], byte[]>> uncommitted = new ArrayList<>();
            long batchDeadline = System.nanoTime() + DEADLINE.toNanos();
            while (uncommitted.isEmpty()) {
                assertThat(System.nanoTime()).as("%s: one more batch on the source", label).isLessThan(batchDeadline);
                ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(200));
                batch.forEach(uncommitted::add);
            }
            assertThat(uncommitted.size()).as("one batch").isLessThanOrEqualTo(BATCH);
            processedOnSource.addAll(uncommitted);
            System.out.printf("mm2 %s: the group processed %d more records on the source (one batch), uncommitted, "
                    + "and stops%n", label, uncommitted.size());
        }
        awaitMirrored(flow, produced);
        System.out.printf("mm2 %s: all %d records mirrored exactly after %.1f s%n", label, RECORDS, seconds(started));
        Map<Integer, Long> translated = translate(flow);
        assertThat(translated).as("the translation after more records").isEqualTo(committed);

        // Failover: the same group on the target, on the mirrored topic, from the synced offsets.
        Map<Integer, List<ConsumerRecord<byte[], byte[]>>> onTarget = new TreeMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(flow.target(), Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, flow.group(), ConsumerConfig.MAX_POLL_RECORDS_CONFIG, BATCH,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none"))) {
            consumer.subscribe(List.of(flow.remoteTopic()));
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            long expectedCount = RECORDS - committed.values().stream().mapToLong(Long::longValue).sum();
            long count = 0;
            while (count < expectedCount) {
                assertThat(System.nanoTime()).as("%s: the failed-over group reads %d records: %d", label,
                        expectedCount, count).isLessThan(deadline);
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    onTarget.computeIfAbsent(r.partition(), p -> new ArrayList<>()).add(r);
                    count++;
                }
            }
            assertThat(consumer.poll(Duration.ofMillis(500))).as("nothing more").isEmpty();
            consumer.commitSync(Duration.ofSeconds(30));
        }
        int duplicates = 0;
        for (int p = 0; p < PARTITIONS; p++) {
            List<String[]> all = produced.get(p);
            long from = committed.get(p);
            List<ConsumerRecord<byte[], byte[]>> got = onTarget.getOrDefault(p, List.of());
            assertThat(got.isEmpty() ? all.size() : got.get(0).offset()).as("%s partition %d: the target's first offset",
                    label, p).isEqualTo(from);
            List<String> values = got.stream().map(r -> KafkaClients.text(r.value())).toList();
            List<String> expectedValues = all.subList((int) from, all.size()).stream().map(kv -> kv[1]).toList();
            assertThat(values).as("%s partition %d: the failed-over group's records, no gap", label, p)
                    .isEqualTo(expectedValues);
            int partition = p;
            duplicates += (int) processedOnSource.stream().filter(r -> r.partition() == partition && r.offset() >= from)
                    .count();
        }
        // Every record processed at least once: the source's part and the target's part cover them all.
        Map<String, Integer> seen = new HashMap<>();
        processedOnSource.forEach(r -> seen.merge(KafkaClients.text(r.value()), 1, Integer::sum));
        onTarget.values().forEach(list -> list.forEach(r -> seen.merge(KafkaClients.text(r.value()), 1, Integer::sum)));
        assertThat(seen).as("every record processed").hasSize(RECORDS);
        long repeated = seen.values().stream().filter(n -> n > 1).count();
        assertThat(repeated).as("processed twice: only the uncommitted batch").isEqualTo(duplicates);
        assertThat(duplicates).as("no more duplicates than one batch").isLessThanOrEqualTo(BATCH);
        double secs = seconds(started);
        System.out.printf("mm2 %s: failover: the group read %d records on %s from %s; none missing, %d processed "
                + "twice (the batch after the last commit); %.1f s in all%n", label,
                onTarget.values().stream().mapToInt(List::size).sum(), flow.remoteTopic(), committed, duplicates, secs);
        return new Outcome(committed, translated, duplicates, secs);
    }

    /** Records {@code from..to-1}: record i to partition i % 6, key {@code k-i}, value {@code order-i}. */
    private static void produce(Flow flow, List<List<String[]>> produced, int from, int to) throws Exception {
        // One request in flight per connection: a retried batch is never overtaken by the next (see run()).
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(flow.source(),
                Map.of(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1))) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (int i = from; i < to; i++) {
                int p = i % PARTITIONS;
                String key = "k-" + i;
                String value = String.format("order-%05d", i);
                sent.add(producer.send(new ProducerRecord<>(flow.topic(), p, KafkaClients.bytes(key),
                        KafkaClients.bytes(value))));
                produced.get(p).add(new String[] {key, value});
            }
            producer.flush();
            for (Future<RecordMetadata> f : sent) {
                f.get(); // every record acknowledged (acks=all), or the run fails here with the reason
            }
        }
    }

    /** Waits until the target's mirrored topic holds exactly what was produced, partition by partition. */
    private static void awaitMirrored(Flow flow, List<List<String[]>> produced) {
        long total = produced.stream().mapToLong(List::size).sum();
        await(flow.label() + ": " + total + " records on " + flow.remoteTopic()).atMost(DEADLINE)
                .pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                    try (KafkaConsumer<byte[], byte[]> c = KafkaClients.consumer(flow.target())) {
                        List<TopicPartition> tps = new ArrayList<>();
                        for (int p = 0; p < PARTITIONS; p++) {
                            tps.add(new TopicPartition(flow.remoteTopic(), p));
                        }
                        Map<TopicPartition, Long> ends = c.endOffsets(tps, Duration.ofSeconds(10));
                        for (int p = 0; p < PARTITIONS; p++) {
                            assertThat(ends.get(tps.get(p))).as("end offset of %s", tps.get(p))
                                    .isGreaterThanOrEqualTo(produced.get(p).size());
                        }
                    }
                });
        try (KafkaConsumer<byte[], byte[]> c = KafkaClients.consumer(flow.target())) {
            for (int p = 0; p < PARTITIONS; p++) {
                TopicPartition tp = new TopicPartition(flow.remoteTopic(), p);
                c.assign(List.of(tp));
                c.seekToBeginning(List.of(tp));
                List<String[]> got = new ArrayList<>();
                long deadline = System.nanoTime() + DEADLINE.toNanos();
                long end = c.endOffsets(List.of(tp), Duration.ofSeconds(10)).get(tp);
                while (c.position(tp) < end) {
                    assertThat(System.nanoTime()).as("reading %s", tp).isLessThan(deadline);
                    for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                        got.add(new String[] {KafkaClients.text(r.key()), KafkaClients.text(r.value())});
                    }
                }
                List<String> gotText = got.stream().map(kv -> kv[0] + "=" + kv[1]).toList();
                List<String> expected = produced.get(p).stream().map(kv -> kv[0] + "=" + kv[1]).toList();
                assertThat(gotText).as("%s: %s, key=value in order", flow.label(), tp).isEqualTo(expected);
            }
        }
    }

    /** The group's committed offsets on the target's mirrored topic, by partition. */
    private static Map<Integer, Long> groupOffsets(Flow flow) throws Exception {
        try (Admin target = KafkaClients.admin(flow.target())) {
            Map<TopicPartition, OffsetAndMetadata> offsets = target.listConsumerGroupOffsets(flow.group())
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            Map<Integer, Long> byPartition = new TreeMap<>();
            offsets.forEach((tp, o) -> {
                if (tp.topic().equals(flow.remoteTopic()) && o != null) {
                    byPartition.put(tp.partition(), o.offset());
                }
            });
            return byPartition;
        }
    }

    /**
     * {@code RemoteClusterUtils.translateOffsets(target, sourceAlias, group)} in a child JVM on
     * Kafka 4.3.1's jars ({@link MirrorTranslateOffsetsMain}): the checkpoint's offsets on the
     * target's mirrored topic, by partition.
     */
    static Map<Integer, Long> translate(Flow flow) throws IOException, InterruptedException {
        Path jars = toolsJars();
        Path classes;
        try {
            classes = Path.of(MirrorTranslateOffsetsMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        Path out = Files.createTempFile(flow.work(), "translate-", ".out");
        Path err = Files.createTempFile(flow.work(), "translate-", ".err");
        // Kafka's jars first: the helper class is the only thing taken from the test classes.
        Process process = ChildProcesses.start(new ProcessBuilder(NodeProcess.java(), "-Xmx128m",
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Dlog4j2.configurationFile="
                        + jars.resolve("log4j2.properties"),
                "-cp", jars + File.separator + "*" + File.pathSeparator + jars + File.pathSeparator + classes,
                MirrorTranslateOffsetsMain.class.getName(), flow.target(), flow.sourceAlias(), flow.group())
                .redirectOutput(out.toFile()).redirectError(err.toFile()));
        boolean finished = process.waitFor(60, TimeUnit.SECONDS);
        if (!finished) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        String stdout = Files.readString(out);
        if (!finished || process.exitValue() != 0 || !stdout.contains("done")) {
            throw new AssertionError("translateOffsets " + (finished ? "exited " + process.exitValue() : "timed out")
                    + "\n" + stdout + Files.readString(err));
        }
        Map<Integer, Long> byPartition = new TreeMap<>();
        for (String line : stdout.lines().toList()) {
            String[] f = line.split(" ");
            if (f.length == 4 && f[0].equals("offset") && f[1].equals(flow.remoteTopic())) {
                byPartition.put(Integer.parseInt(f[2]), Long.parseLong(f[3]));
            }
        }
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
        return byPartition;
    }

    static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
