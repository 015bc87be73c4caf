package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.runnel.cluster.ClusterJson;
import dev.runnel.cluster.PartitionInfo;
import dev.runnel.cluster.TopicInfo;

/**
 * Apache Kafka's own command-line tools, unchanged and in JVMs of their own (see {@link KafkaTools}),
 * against real processes from the built jars: one controller and three brokers on a ZooKeeper in
 * this JVM. {@code TopicCommand} creates, lists and describes a topic; {@code ConsoleProducer}
 * writes keyed lines and {@code ConsoleConsumer} reads every one of them back from one assigned
 * partition; {@code ConsumerGroupCommand} (kafka-consumer-groups) lists a group, describes it with
 * its lag, resets its offsets and deletes it; {@code ReassignPartitionsCommand}
 * (kafka-reassign-partitions) generates a move of a topic to other brokers, executes it and
 * verifies it until complete, and {@code LogDirsCommand} (kafka-log-dirs) then shows its logs on the new brokers only.
 *
 * <p>The scenarios take only a bootstrap address and the number of brokers, so the same code runs
 * against an Apache Kafka broker.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KafkaCliToolsTest {

    private static final int BROKERS = 3;
    private static final Duration STARTUP = Duration.ofSeconds(60);
    /** For one run of a tool: a JVM start, a few requests, and on a busy 2-core machine some slack. */
    private static final Duration TOOL_DEADLINE = Duration.ofSeconds(45);
    /** How long ConsoleConsumer waits for a next record before giving up (it then exits by itself). */
    private static final Duration CONSUMER_IDLE_TIMEOUT = Duration.ofSeconds(20);

    private static final String TOPIC_COMMAND = "org.apache.kafka.tools.TopicCommand";
    private static final String CONSOLE_PRODUCER = "org.apache.kafka.tools.ConsoleProducer";
    private static final String CONSOLE_CONSUMER = "org.apache.kafka.tools.consumer.ConsoleConsumer";
    private static final String CONSUMER_GROUPS = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand";
    private static final String REASSIGN_PARTITIONS = "org.apache.kafka.tools.reassign.ReassignPartitionsCommand";
    private static final String LOG_DIRS = "org.apache.kafka.tools.LogDirsCommand";

    private static final Pattern TOPIC_LINE = Pattern.compile(
            "^Topic: (\\S+)\\s+TopicId: (\\S+)\\s+PartitionCount: (\\d+)\\s+ReplicationFactor: (\\d+)\\s+Configs: ?(.*)$");
    private static final Pattern PARTITION_LINE = Pattern.compile(
            "^\\s*Topic: (\\S+)\\s+Partition: (\\d+)\\s+Leader: (-?\\d+|none)\\s+Replicas: ([\\d,]*)\\s+Isr: ([\\d,]*).*$");

    private ProcessCluster cluster;
    private KafkaTools tools;
    private String bootstrap;

    /** What {@code TopicCommand --describe} says about one partition. */
    record DescribedPartition(int partition, int leader, List<Integer> replicas, List<Integer> isr) {
    }

    /** What {@code TopicCommand --describe} says about a topic. */
    record DescribedTopic(String name, String topicId, int partitionCount, int replicationFactor, Map<String, String> configs,
            List<DescribedPartition> partitions) {
    }

    @BeforeAll
    void startCluster() throws Exception {
        cluster = new ProcessCluster("cli-tools");
        tools = KafkaTools.locate(cluster.dir());
        cluster.startController(1);
        for (int id = 1; id <= BROKERS; id++) {
            cluster.startBroker(id);
        }
        bootstrap = cluster.bootstrap();
        try {
            cluster.awaitBrokersReady(BROKERS, STARTUP);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(e.getMessage() + "\n" + cluster.logTails(), e);
        }
    }


    @AfterAll
    void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void topicCommandCreatesListsAndDescribesATopicWithItsPartitionsLeadersReplicasAndConfigs() throws Exception {
        DescribedTopic described = createListAndDescribe(tools, bootstrap, BROKERS, "cli-orders");

        // What the tool showed is what the controller decided.
        TopicInfo truth = cluster.get(cluster.controllerUrl(1) + "/api/v1/topics/cli-orders", TopicInfo.class);
        assertThat(described.topicId()).isEqualTo(new Uuid(truth.topicId().getMostSignificantBits(),
                truth.topicId().getLeastSignificantBits()).toString());
        for (PartitionInfo p : truth.partitions()) {
            DescribedPartition shown = described.partitions().get(p.partition());
            assertThat(shown.leader()).as("leader of partition " + p.partition()).isEqualTo(p.state().leader());
            assertThat(shown.replicas()).as("replicas of partition " + p.partition()).isEqualTo(p.replicas());
            assertThat(shown.isr()).as("ISR of partition " + p.partition())
                    .containsExactlyInAnyOrderElementsOf(p.state().isr());
        }
    }

    @Test
    void reassignPartitionsGeneratesExecutesAndVerifiesAMoveOfATopicToOtherBrokers() throws Exception {
        String topic = "cli-moving";
        try (Admin admin = KafkaClients.admin(bootstrap)) {
            admin.createTopics(List.of(new NewTopic(topic, Map.of(0, List.of(1, 2), 1, List.of(2, 1), 2, List.of(1, 2)))))
                    .all().get(30, TimeUnit.SECONDS);
        }
        produce(tools, bootstrap, topic, keyedLines(30));
        Path topics = Files.writeString(cluster.dir().resolve("reassign-topics.json"),
                "{\"version\":1,\"topics\":[{\"topic\":\"" + topic + "\"}]}");

        KafkaTools.Result generated = tools.run(TOOL_DEADLINE, REASSIGN_PARTITIONS, "--bootstrap-server", bootstrap,
                "--generate", "--topics-to-move-json-file", topics.toString(), "--broker-list", "2,3");
        System.out.println(generated.describe());
        assertThat(generated.exitCode()).as(generated.describe()).isZero();
        List<String> lines = generated.stdoutLines();
        int proposedAt = lines.indexOf("Proposed partition reassignment configuration");
        assertThat(proposedAt).as(generated.describe()).isNotNegative();
        String proposed = lines.get(proposedAt + 1);
        Map<Integer, List<Integer>> targets = reassignmentJson(proposed);
        assertThat(targets).containsOnlyKeys(0, 1, 2);
        targets.values().forEach(replicas -> assertThat(replicas).hasSize(2).allMatch(b -> b == 2 || b == 3));
        Path plan = Files.writeString(cluster.dir().resolve("reassign-plan.json"), proposed);

        KafkaTools.Result executed = tools.run(TOOL_DEADLINE, REASSIGN_PARTITIONS, "--bootstrap-server", bootstrap,
                "--execute", "--reassignment-json-file", plan.toString());
        System.out.println(executed.describe());
        assertThat(executed.exitCode()).as(executed.describe()).isZero();
        assertThat(executed.stdout()).contains("Successfully started partition reassignments for");

        KafkaTools.Result[] verified = new KafkaTools.Result[1];
        try {
            await("kafka-reassign-partitions --verify says every move is complete").atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofSeconds(1)).until(() -> {
                        verified[0] = tools.run(TOOL_DEADLINE, REASSIGN_PARTITIONS, "--bootstrap-server", bootstrap,
                                "--verify", "--reassignment-json-file", plan.toString());
                        return verified[0].exitCode() == 0 && IntStream.range(0, 3).allMatch(p -> verified[0].stdout()
                                .contains("Reassignment of partition " + topic + "-" + p + " is completed."));
                    });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(e.getMessage() + "; the last --verify:\n"
                    + (verified[0] == null ? "none" : verified[0].describe()), e);
        }
        System.out.println(verified[0].describe());

        TopicInfo truth = cluster.get(cluster.controllerUrl(1) + "/api/v1/topics/" + topic, TopicInfo.class);
        for (PartitionInfo p : truth.partitions()) {
            assertThat(p.replicas()).as("replicas of partition " + p.partition()).isEqualTo(targets.get(p.partition()));
            assertThat(p.state().isr()).containsExactlyInAnyOrderElementsOf(targets.get(p.partition()));
            assertThat(p.reassigning()).isFalse();
        }
        DescribedTopic described = describe(tools, bootstrap, topic);
        for (DescribedPartition p : described.partitions()) {
            assertThat(p.replicas()).isEqualTo(targets.get(p.partition()));
        }

        // kafka-log-dirs --describe: the topic's logs are on brokers 2 and 3 only, broker 1 deleted its.
        KafkaTools.Result logDirs = tools.run(TOOL_DEADLINE, LOG_DIRS, "--bootstrap-server", bootstrap, "--describe",
                "--topic-list", topic);
        System.out.println(logDirs.describe());
        assertThat(logDirs.exitCode()).as(logDirs.describe()).isZero();
        String answer = logDirs.stdoutLines().stream().filter(l -> l.startsWith("{")).findFirst().orElseThrow();
        Map<Integer, List<String>> partitionsByBroker = new TreeMap<>();
        for (Object broker : (List<?>) ClusterJson.read(answer.getBytes(StandardCharsets.UTF_8), Map.class,
                "kafka-log-dirs' answer").get("brokers")) {
            List<String> names = new ArrayList<>();
            for (Object dir : (List<?>) ((Map<?, ?>) broker).get("logDirs")) {
                for (Object partition : (List<?>) ((Map<?, ?>) dir).get("partitions")) {
                    names.add((String) ((Map<?, ?>) partition).get("partition"));
                }
            }
            partitionsByBroker.put((Integer) ((Map<?, ?>) broker).get("broker"), names);
        }
        List<String> all = List.of(topic + "-0", topic + "-1", topic + "-2");
        assertThat(partitionsByBroker.get(1)).isEmpty();
        assertThat(partitionsByBroker.get(2)).containsExactlyInAnyOrderElementsOf(all);
        assertThat(partitionsByBroker.get(3)).containsExactlyInAnyOrderElementsOf(all);
    }

    /** The replicas by partition in a reassignment JSON as the tool writes it (one topic). */
    private static Map<Integer, List<Integer>> reassignmentJson(String json) {
        Map<Integer, List<Integer>> targets = new TreeMap<>();
        for (Object partition : (List<?>) ClusterJson.read(json.getBytes(StandardCharsets.UTF_8), Map.class,
                "a reassignment plan").get("partitions")) {
            Map<?, ?> entry = (Map<?, ?>) partition;
            targets.put((Integer) entry.get("partition"),
                    ((List<?>) entry.get("replicas")).stream().map(Integer.class::cast).toList());
        }
        return targets;
    }

    @Test
    void consoleProducerAndConsumerRoundTripKeyedLinesThroughOnePartition() throws Exception {
        roundTripThroughOnePartition(tools, bootstrap, BROKERS, "cli-one-partition");
    }

    @Test
    void consumerGroupCommandListsDescribesWithLagResetsAndDeletesAGroup() throws Exception {
        consumerGroupsListDescribeResetDelete(tools, bootstrap, BROKERS, "cli-grouped", "cli-group");
    }

    // --- scenarios: only the bootstrap address, so they run against any Kafka-compatible cluster ---

    /**
     * {@code TopicCommand --create} a topic of 3 partitions with two config overrides, finds it in
     * {@code --list}, and checks what {@code --describe} prints about it.
     */
    static DescribedTopic createListAndDescribe(KafkaTools tools, String bootstrap, int brokers, String topic)
            throws Exception {
        int replicationFactor = Math.min(3, brokers);
        KafkaTools.Result created = tools.run(TOOL_DEADLINE, TOPIC_COMMAND, "--bootstrap-server", bootstrap, "--create",
                "--topic", topic, "--partitions", "3", "--replication-factor", Integer.toString(replicationFactor),
                "--config", "retention.ms=3600000", "--config", "min.insync.replicas=" + Math.min(2, brokers));
        assertThat(created.exitCode()).as(created.describe()).isZero();
        assertThat(created.stdoutLines()).as(created.describe()).contains("Created topic " + topic + ".");

        KafkaTools.Result listed = tools.run(TOOL_DEADLINE, TOPIC_COMMAND, "--bootstrap-server", bootstrap, "--list");
        assertThat(listed.exitCode()).as(listed.describe()).isZero();
        assertThat(listed.stdoutLines()).as(listed.describe()).contains(topic);

        // A broker may learn of the new topic a moment after the controller created it (until then
        // --describe fails with "does not exist"): ask until every partition has a leader in the answer.
        DescribedTopic described = await("TopicCommand --describe " + topic).atMost(TOOL_DEADLINE.multipliedBy(2))
                .pollInterval(Duration.ofMillis(500)).ignoreExceptions().until(() -> describe(tools, bootstrap, topic),
                        d -> d != null && d.partitions().size() == 3 && d.partitions().stream().allMatch(p -> p.leader() >= 0));
        assertThat(described.name()).isEqualTo(topic);
        assertThat(described.partitionCount()).isEqualTo(3);
        assertThat(described.replicationFactor()).isEqualTo(replicationFactor);
        assertThat(described.configs()).containsEntry("retention.ms", "3600000")
                .containsEntry("min.insync.replicas", Integer.toString(Math.min(2, brokers)));
        List<Integer> brokerIds = new ArrayList<>();
        for (DescribedPartition p : described.partitions()) {
            assertThat(p.replicas()).as("partition " + p.partition()).hasSize(replicationFactor).doesNotHaveDuplicates();
            assertThat(p.leader()).as("partition " + p.partition() + " is led by its preferred replica")
                    .isEqualTo(p.replicas().get(0));
            assertThat(p.isr()).as("partition " + p.partition()).containsExactlyInAnyOrderElementsOf(p.replicas());
            brokerIds.addAll(p.replicas());
        }
        assertThat(described.partitions()).extracting(DescribedPartition::partition).containsExactly(0, 1, 2);
        assertThat(brokerIds.stream().distinct().count()).as("replicas spread over every broker").isEqualTo(brokers);
        return described;
    }

    /**
     * Keyed lines into a one-partition topic with {@code ConsoleProducer} (acks=all), then all of
     * them, in order and with their keys, from that partition with {@code ConsoleConsumer}.
     */
    static void roundTripThroughOnePartition(KafkaTools tools, String bootstrap, int brokers, String topic)
            throws Exception {
        // One replica: followers do not fetch yet (replication is the next step), so with more the
        // high watermark, and what the consumer may read, would not move.
        createTopic(bootstrap, topic, 1, 1);
        List<String> lines = keyedLines(30);
        produce(tools, bootstrap, topic, lines);

        KafkaTools.Result consumed = tools.run(TOOL_DEADLINE.plus(CONSUMER_IDLE_TIMEOUT), CONSOLE_CONSUMER,
                "--bootstrap-server", bootstrap, "--topic", topic, "--partition", "0", "--from-beginning",
                "--max-messages", Integer.toString(lines.size()), "--timeout-ms", Long.toString(CONSUMER_IDLE_TIMEOUT.toMillis()),
                "--formatter-property", "print.key=true", "--formatter-property", "key.separator=:");
        assertThat(consumed.stdoutLines()).as(consumed.describe()).containsExactlyElementsOf(lines);
        assertThat(consumed.exitCode()).as(consumed.describe()).isZero();
    }

    /**
     * {@code ConsoleProducer} with keys ({@code key:value} lines), each send acknowledged before the
     * next ({@code --sync}: a failed send ends the tool with exit code 1). The tool's default
     * {@code linger.ms} of 1 s would hold every one-record batch for a second, hence 0.
     */
    private static void produce(KafkaTools tools, String bootstrap, String topic, List<String> lines) throws Exception {
        KafkaTools.Result produced = tools.runWithInput(TOOL_DEADLINE, String.join("\n", lines) + "\n", CONSOLE_PRODUCER,
                "--bootstrap-server", bootstrap, "--topic", topic, "--sync", "--command-property", "linger.ms=0",
                "--command-property", "acks=all", "--command-property", "delivery.timeout.ms=20000",
                "--command-property", "request.timeout.ms=10000",
                "--reader-property", "parse.key=true", "--reader-property", "key.separator=:");
        assertThat(produced.exitCode()).as(produced.describe()).isZero();
        assertThat(produced.stderr()).as(produced.describe()).doesNotContain("ERROR");
    }

    /** A row of {@code ConsumerGroupCommand --describe}: one partition of the group. */
    record DescribedOffset(int partition, long currentOffset, long logEndOffset, long lag, String consumerId) {

        /** Whether the tool knew every number of the row. */
        boolean complete() {
            return currentOffset >= 0 && logEndOffset >= 0 && lag >= 0;
        }
    }

    /**
     * A member of {@code group} reads and commits 30 lines of a 3-partition topic, 12 more arrive:
     * {@code kafka-consumer-groups} lists the group and describes it with its member and a lag of
     * 12, refuses to delete it while it has a member; once the member has left it resets the
     * offsets to the earliest, describes the whole topic as lag, and deletes the group.
     */
    static void consumerGroupsListDescribeResetDelete(KafkaTools tools, String bootstrap, int brokers, String topic,
            String group) throws Exception {
        consumerGroupsListDescribeResetDelete(tools, bootstrap, brokers, topic, group, "classic");
    }

    /** The same with a member on group protocol {@code protocol} ({@code classic}, or KIP-848's {@code consumer}). */
    static void consumerGroupsListDescribeResetDelete(KafkaTools tools, String bootstrap, int brokers, String topic,
            String group, String protocol) throws Exception {
        createTopic(bootstrap, topic, 3, Math.min(3, brokers));
        produce(tools, bootstrap, topic, keyedLines(30));
        try (Admin admin = KafkaClients.admin(bootstrap)) {
            try (KafkaConsumer<byte[], byte[]> member = groupMember(bootstrap, group, protocol)) {
                member.subscribe(List.of(topic));
                List<ConsumerRecord<byte[], byte[]>> read = new ArrayList<>();
                await(group + " reads all 30 lines").atMost(TOOL_DEADLINE).pollInterval(Duration.ZERO)
                        .until(() -> {
                            member.poll(Duration.ofMillis(200)).forEach(read::add);
                            return read.size() >= 30;
                        });
                assertThat(read).hasSize(30);
                // The 7 keys all hash to partitions 1 and 2: partition 0 stays empty, and commitSync()
                // commits it (at 0) only once the consumer knows its position there, which its
                // offset reset may not have found yet. Asking for every position first makes the
                // commit cover all three partitions.
                member.assignment().forEach(tp -> member.position(tp, Duration.ofSeconds(30)));
                member.commitSync(Duration.ofSeconds(30));
                produce(tools, bootstrap, topic, keyedLines(12));

                KafkaTools.Result listed = tools.run(TOOL_DEADLINE, CONSUMER_GROUPS, "--bootstrap-server", bootstrap, "--list");
                assertThat(listed.exitCode()).as(listed.describe()).isZero();
                assertThat(listed.stdoutLines()).as(listed.describe()).contains(group);

                Map<Integer, DescribedOffset> described = describeGroupUntilComplete(tools, bootstrap, group, topic);
                assertThat(described).as("every partition").containsOnlyKeys(0, 1, 2);
                assertThat(described.values().stream().mapToLong(DescribedOffset::lag).sum()).as("lag").isEqualTo(12);
                assertThat(described.values().stream().mapToLong(DescribedOffset::currentOffset).sum()).isEqualTo(30);
                assertThat(described.values().stream().mapToLong(DescribedOffset::logEndOffset).sum()).isEqualTo(42);
                assertThat(described.values()).as("the member owns every partition")
                        .allMatch(d -> d.consumerId().startsWith(member.groupMetadata().memberId()));

                KafkaTools.Result refused = tools.run(TOOL_DEADLINE, CONSUMER_GROUPS, "--bootstrap-server", bootstrap,
                        "--delete", "--group", group);
                assertThat(refused.stdout() + refused.stderr()).as(refused.describe()).contains("The group is not empty");
            }
            await(group + " is empty once its member left").atMost(TOOL_DEADLINE).pollInterval(Duration.ofMillis(200))
                    .until(() -> admin.describeConsumerGroups(List.of(group)).all().get(10, TimeUnit.SECONDS).get(group)
                            .groupState() == org.apache.kafka.common.GroupState.EMPTY);

            KafkaTools.Result reset = tools.run(TOOL_DEADLINE, CONSUMER_GROUPS, "--bootstrap-server", bootstrap,
                    "--reset-offsets", "--group", group, "--topic", topic, "--to-earliest", "--execute");
            assertThat(reset.exitCode()).as(reset.describe()).isZero();
            Map<org.apache.kafka.common.TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
            assertThat(committed).as(reset.describe()).hasSize(3);
            assertThat(committed.values()).allMatch(o -> o.offset() == 0);
            Map<Integer, DescribedOffset> afterReset = describeGroupUntilComplete(tools, bootstrap, group, topic);
            assertThat(afterReset.values().stream().mapToLong(DescribedOffset::lag).sum()).as("lag").isEqualTo(42);
            assertThat(afterReset.values()).as("no member").allMatch(d -> d.consumerId().equals("-"));

            KafkaTools.Result deleted = tools.run(TOOL_DEADLINE, CONSUMER_GROUPS, "--bootstrap-server", bootstrap,
                    "--delete", "--group", group);
            assertThat(deleted.exitCode()).as(deleted.describe()).isZero();
            assertThat(deleted.stdout()).as(deleted.describe())
                    .contains("Deletion of requested consumer groups ('" + group + "') was successful.");
            KafkaTools.Result listedAfter = tools.run(TOOL_DEADLINE, CONSUMER_GROUPS, "--bootstrap-server", bootstrap, "--list");
            assertThat(listedAfter.stdoutLines()).as(listedAfter.describe()).doesNotContain(group);
            assertThat(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS))
                    .as("the deleted group's offsets").isEmpty();
        }
    }

    /**
     * {@code --describe --group} until every partition's row has all its numbers (the tool prints
     * "-" for a value it does not know, such as the committed offset of a partition the group never
     * committed), run again within a deadline.
     */
    private static Map<Integer, DescribedOffset> describeGroupUntilComplete(KafkaTools tools, String bootstrap,
            String group, String topic) {
        return await("kafka-consumer-groups --describe with every value known").atMost(TOOL_DEADLINE.multipliedBy(2))
                .pollInterval(Duration.ofMillis(500)).until(() -> describeGroup(tools, bootstrap, group, topic),
                        rows -> rows.size() == 3 && rows.values().stream().allMatch(DescribedOffset::complete));
    }

    /** The rows of {@code --describe --group} for {@code topic}, by partition; "-" is an unknown value (-1). */
    private static Map<Integer, DescribedOffset> describeGroup(KafkaTools tools, String bootstrap, String group,
            String topic) throws Exception {
        KafkaTools.Result result = tools.run(TOOL_DEADLINE, CONSUMER_GROUPS, "--bootstrap-server", bootstrap,
                "--describe", "--group", group);
        assertThat(result.exitCode()).as(result.describe()).isZero();
        assertThat(result.stdoutLines()).as(result.describe()).anyMatch(line -> line.matches(
                "GROUP\\s+TOPIC\\s+PARTITION\\s+CURRENT-OFFSET\\s+LOG-END-OFFSET\\s+LAG\\s+CONSUMER-ID\\s+HOST\\s+CLIENT-ID\\s*"));
        Map<Integer, DescribedOffset> rows = new LinkedHashMap<>();
        for (String line : result.stdoutLines()) {
            String[] cells = line.trim().split("\\s+");
            if (cells.length >= 7 && cells[0].equals(group) && cells[1].equals(topic)) {
                rows.put(Integer.parseInt(cells[2]), new DescribedOffset(Integer.parseInt(cells[2]), number(cells[3]),
                        number(cells[4]), number(cells[5]), cells[6]));
            }
        }
        return rows;
    }

    private static long number(String cell) {
        return cell.equals("-") ? -1 : Long.parseLong(cell);
    }

    private static KafkaConsumer<byte[], byte[]> groupMember(String bootstrap, String group, String protocol) {
        Map<String, Object> config = new java.util.HashMap<>();
        config.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol);
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, group + "-member");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private static DescribedTopic describe(KafkaTools tools, String bootstrap, String topic) throws Exception {
        KafkaTools.Result result = tools.run(TOOL_DEADLINE, TOPIC_COMMAND, "--bootstrap-server", bootstrap,
                "--describe", "--topic", topic);
        assertThat(result.exitCode()).as(result.describe()).isZero();
        DescribedTopic topicLine = null;
        List<DescribedPartition> partitions = new ArrayList<>();
        for (String line : result.stdoutLines()) {
            Matcher t = TOPIC_LINE.matcher(line);
            Matcher p = PARTITION_LINE.matcher(line);
            if (t.matches()) {
                topicLine = new DescribedTopic(t.group(1), t.group(2), Integer.parseInt(t.group(3)), Integer.parseInt(t.group(4)),
                        configs(t.group(5)), partitions);
            } else if (p.matches()) {
                partitions.add(new DescribedPartition(Integer.parseInt(p.group(2)),
                        "none".equals(p.group(3)) ? -1 : Integer.parseInt(p.group(3)), ids(p.group(4)), ids(p.group(5))));
            }
        }
        assertThat(topicLine).as("a topic line in\n" + result.describe()).isNotNull();
        return topicLine;
    }

    private static Map<String, String> configs(String text) {
        Map<String, String> configs = new LinkedHashMap<>();
        for (String entry : text.trim().split(",")) {
            int eq = entry.indexOf('=');
            if (eq > 0) {
                configs.put(entry.substring(0, eq), entry.substring(eq + 1));
            }
        }
        return configs;
    }

    private static List<Integer> ids(String text) {
        return text.isEmpty() ? List.of() : Arrays.stream(text.split(",")).map(Integer::valueOf).toList();
    }

    /** {@code user-<i mod 7>:event-<i>}: several keys, so a three-partition topic gets lines in each partition. */
    private static List<String> keyedLines(int count) {
        return IntStream.range(0, count).mapToObj(i -> "user-" + (i % 7) + ":event-" + i).toList();
    }

    private static void createTopic(String bootstrap, String topic, int partitions, int replicationFactor)
            throws Exception {
        try (Admin admin = KafkaClients.admin(bootstrap)) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) replicationFactor)))
                    .all().get(30, TimeUnit.SECONDS);
        }
    }

}
