package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ShareGroupDescription;
import org.apache.kafka.clients.admin.ShareMemberDescription;
import org.apache.kafka.clients.admin.SharePartitionOffsetInfo;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Share groups (KIP-932, Kafka's queues) with unmodified kafka-clients {@code KafkaShareConsumer}s
 * against three in-JVM brokers. Three consumers share one 3-partition queue and acknowledge each
 * record explicitly: most are accepted, every tenth is released once (and comes back with delivery
 * count 2), every seventh is rejected (and never comes back). Mid-run the leader of one partition
 * stops: whatever a consumer's {@code commitSync} confirmed is never delivered again, whatever was
 * still in flight is delivered again. Then the admin API: the group described with its members,
 * listed as a share group, its offsets at the end (lag 0), an offsets reset that delivers a
 * partition again, and the group deleted.
 */
class ShareGroupClusterTest {

    private static final Duration DEADLINE = Duration.ofSeconds(90);
    private static final int PARTITIONS = 3;
    private static final int RECORDS = 3_000;
    private static final String TOPIC = "jobs";
    private static final String GROUP = "job-workers";
    private static final String[] BROKER_ARGS = {"--runnel.broker.offsets-topic.partitions=6",
        "--runnel.broker.share-coordinator.state-topic.partitions=6"};
    /** For one run of a tool: a JVM start, a few requests, and on a busy 2-core machine some slack. */
    private static final Duration TOOL_DEADLINE = Duration.ofSeconds(45);
    private static final String SHARE_GROUPS = "org.apache.kafka.tools.consumer.group.ShareGroupCommand";
    private static final String CONFIG_COMMAND = "kafka.admin.ConfigCommand";

    @TempDir
    Path dir;

    private InJvmCluster cluster;
    private Admin admin;
    private final List<Worker> workers = new ArrayList<>();

    /** What the consumers saw: every delivery, and the acknowledgements their commitSync confirmed. */
    private final Map<Integer, List<Short>> deliveries = new ConcurrentHashMap<>();
    private final Map<Integer, AcknowledgeType> confirmed = new ConcurrentHashMap<>();
    private final List<String> violations = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();

    @AfterEach
    void stop() throws Exception {
        for (Worker worker : workers) {
            worker.close();
        }
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void threeConsumersShareAQueueAcknowledgedRecordsSurviveALeaderStopAndTheAdminApiSeesTheGroup() throws Exception {
        cluster = new InJvmCluster();
        cluster.startControllerAndBrokers(3, BROKER_ARGS);
        String bootstrap = cluster.bootstrap(1, 2, 3);
        admin = KafkaClients.admin(bootstrap);
        admin.createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 3)
                .configs(Map.of("min.insync.replicas", "2")))).all().get(30, TimeUnit.SECONDS);
        ConfigResource group = new ConfigResource(ConfigResource.Type.GROUP, GROUP);
        admin.incrementalAlterConfigs(Map.of(group, List.of(new AlterConfigOp(
                new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET))))
                .all().get(20, TimeUnit.SECONDS);
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap, Map.of("acks", "all"))) {
            for (int i = 0; i < RECORDS; i++) {
                producer.send(new ProducerRecord<>(TOPIC, i % PARTITIONS, KafkaClients.bytes("k" + i),
                        KafkaClients.bytes(Integer.toString(i))));
            }
            producer.flush();
        }

        for (int i = 0; i < 3; i++) {
            workers.add(new Worker("worker-" + i, bootstrap));
        }
        await("a third of the records accepted").atMost(DEADLINE).until(() -> accepted.get() >= RECORDS / 3);

        int stopped = leaderOf(new TopicPartition(TOPIC, 0));
        cluster.stopBroker(stopped);
        System.out.printf("stopped broker %d, the leader of %s-0, after %d records accepted%n", stopped, TOPIC,
                accepted.get());

        await("every record accepted or rejected").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(done()).hasSize(RECORDS));
        ShareGroupDescription described = admin.describeShareGroups(List.of(GROUP)).all()
                .get(20, TimeUnit.SECONDS).get(GROUP);
        for (Worker worker : workers) {
            worker.close();
        }

        assertThat(violations).as("records delivered again after their acknowledgement was confirmed").isEmpty();
        for (int id = 0; id < RECORDS; id++) {
            List<Short> counts = deliveries.get(id);
            assertThat(counts).as("deliveries of record %d", id).isNotEmpty();
            if (id % 7 == 0) {
                assertThat(confirmed.get(id)).as("record %d", id).isEqualTo(AcknowledgeType.REJECT);
            } else {
                assertThat(confirmed.get(id)).as("record %d", id).isEqualTo(AcknowledgeType.ACCEPT);
                if (id % 10 == 0) {
                    assertThat(counts).as("record %d, released once", id).hasSizeGreaterThanOrEqualTo(2);
                    assertThat(counts.get(counts.size() - 1)).as("its last delivery count").isGreaterThanOrEqualTo((short) 2);
                }
            }
        }
        long redelivered = deliveries.entrySet().stream().filter(e -> e.getKey() % 10 != 0 || e.getKey() % 7 == 0)
                .filter(e -> e.getValue().size() > 1).count();
        System.out.printf("SHARE deliveries=%d records=%d redelivered-unreleased=%d (in flight at the stop)%n",
                deliveries.values().stream().mapToInt(List::size).sum(), RECORDS, redelivered);

        assertThat(described.groupState()).isIn(GroupState.STABLE, GroupState.EMPTY);
        assertThat(described.members()).hasSize(3);
        Set<Integer> assigned = new HashSet<>();
        for (ShareMemberDescription member : described.members()) {
            member.assignment().topicPartitions().forEach(tp -> assigned.add(tp.partition()));
        }
        assertThat(assigned).as("every partition assigned to a member").containsExactlyInAnyOrder(0, 1, 2);
        List<String> shareGroups = new ArrayList<>();
        for (GroupListing listing : admin.listGroups(ListGroupsOptions.forShareGroups()).all().get(20, TimeUnit.SECONDS)) {
            assertThat(listing.type()).hasValue(GroupType.SHARE);
            shareGroups.add(listing.groupId());
        }
        assertThat(shareGroups).containsExactly(GROUP);

        Map<TopicPartition, Long> ends = KafkaClients.endOffsets(admin, TOPIC, PARTITIONS);
        await("the start offsets at the end of every partition").atMost(DEADLINE).untilAsserted(() -> {
            Map<TopicPartition, SharePartitionOffsetInfo> offsets = shareOffsets();
            ends.forEach((tp, end) -> {
                assertThat(offsets.get(tp).startOffset()).as("start offset of %s", tp).isEqualTo(end);
                assertThat(offsets.get(tp).lag()).as("lag of %s", tp).hasValue(0L);
            });
        });

        String running = cluster.bootstrap(IntStream.rangeClosed(1, 3).filter(id -> id != stopped).toArray());
        kafkaToolsSeeTheGroup(running, ends);

        // An empty group's offsets can be reset: partition 1 from its start is delivered again.
        await("the group empty").atMost(DEADLINE).until(() -> admin.describeShareGroups(List.of(GROUP)).all()
                .get(20, TimeUnit.SECONDS).get(GROUP).groupState() == GroupState.EMPTY);
        TopicPartition one = new TopicPartition(TOPIC, 1);
        admin.alterShareGroupOffsets(GROUP, Map.of(one, 0L)).all().get(20, TimeUnit.SECONDS);
        assertThat(shareOffsets().get(one).startOffset()).isZero();
        deliveries.clear();
        confirmed.clear();
        Worker again = new Worker("worker-again", bootstrap);
        workers.add(again);
        await("partition 1 delivered again").atMost(DEADLINE).untilAsserted(() -> assertThat(done())
                .hasSize((int) (long) ends.get(one)));
        again.close();
        assertThat(deliveries.keySet()).allMatch(id -> id % PARTITIONS == 1);

        admin.deleteShareGroups(List.of(GROUP)).all().get(20, TimeUnit.SECONDS);
        assertThat(admin.listGroups(ListGroupsOptions.forShareGroups()).all().get(20, TimeUnit.SECONDS)).isEmpty();
    }

    /**
     * Kafka 4.3.1's own tools: {@code kafka-share-groups} lists the group and describes its start
     * offsets and lag; {@code kafka-configs --entity-type groups} alters and describes its configs.
     */
    private void kafkaToolsSeeTheGroup(String bootstrap, Map<TopicPartition, Long> ends) throws Exception {
        KafkaTools tools = KafkaTools.locate(dir);
        KafkaTools.Result listed = tools.run(TOOL_DEADLINE, SHARE_GROUPS, "--bootstrap-server", bootstrap, "--list");
        assertThat(listed.exitCode()).as(listed.describe()).isZero();
        assertThat(listed.stdoutLines()).as(listed.describe()).contains(GROUP);

        KafkaTools.Result offsets = tools.run(TOOL_DEADLINE, SHARE_GROUPS, "--bootstrap-server", bootstrap,
                "--describe", "--group", GROUP);
        assertThat(offsets.exitCode()).as(offsets.describe()).isZero();
        System.out.println("kafka-share-groups --describe --group " + GROUP + "\n" + offsets.stdout());
        List<List<String>> rows = offsets.stdoutLines().stream().map(line -> List.of(line.trim().split("\\s+")))
                .filter(columns -> columns.size() >= 5 && columns.get(0).equals(GROUP)).toList();
        for (Map.Entry<TopicPartition, Long> end : ends.entrySet()) {
            // GROUP TOPIC PARTITION START-OFFSET LAG
            assertThat(rows).as(offsets.describe()).contains(List.of(GROUP, TOPIC,
                    Integer.toString(end.getKey().partition()), Long.toString(end.getValue()), "0"));
        }

        KafkaTools.Result altered = tools.run(TOOL_DEADLINE, CONFIG_COMMAND, "--bootstrap-server", bootstrap,
                "--entity-type", "groups", "--entity-name", GROUP, "--alter", "--add-config",
                "share.record.lock.duration.ms=20000");
        assertThat(altered.exitCode()).as(altered.describe()).isZero();
        KafkaTools.Result configs = tools.run(TOOL_DEADLINE, CONFIG_COMMAND, "--bootstrap-server", bootstrap,
                "--entity-type", "groups", "--entity-name", GROUP, "--describe");
        assertThat(configs.exitCode()).as(configs.describe()).isZero();
        System.out.println("kafka-configs --entity-type groups --describe\n" + configs.stdout());
        assertThat(configs.stdout()).as(configs.describe()).contains("share.record.lock.duration.ms=20000")
                .contains("share.auto.offset.reset=earliest");
    }

    private Set<Integer> done() {
        Set<Integer> done = new HashSet<>();
        confirmed.forEach((id, type) -> {
            if (type == AcknowledgeType.ACCEPT || type == AcknowledgeType.REJECT) {
                done.add(id);
            }
        });
        return done;
    }

    private Map<TopicPartition, SharePartitionOffsetInfo> shareOffsets() throws Exception {
        return admin.listShareGroupOffsets(Map.of(GROUP, new ListShareGroupOffsetsSpec())).all()
                .get(20, TimeUnit.SECONDS).get(GROUP);
    }

    private int leaderOf(TopicPartition tp) throws Exception {
        return admin.describeTopics(List.of(tp.topic())).allTopicNames().get(20, TimeUnit.SECONDS).get(tp.topic())
                .partitions().get(tp.partition()).leader().id();
    }

    /**
     * One share consumer on its own thread with explicit acknowledgement: a record whose id is a
     * multiple of 7 is rejected, a multiple of 10 released at its first delivery, any other accepted;
     * each poll's acknowledgements are committed with {@code commitSync}, and only those it confirms
     * count as confirmed.
     */
    private final class Worker implements AutoCloseable {

        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        Worker(String name, String bootstrap) {
            Map<String, Object> config = new HashMap<>();
            config.put("bootstrap.servers", bootstrap);
            config.put("group.id", GROUP);
            config.put("client.id", name);
            config.put("share.acknowledgement.mode", "explicit");
            config.put("key.deserializer", StringDeserializer.class.getName());
            config.put("value.deserializer", StringDeserializer.class.getName());
            thread = new Thread(() -> run(config), name);
            thread.setDaemon(true);
            thread.start();
        }

        private void run(Map<String, Object> config) {
            try (KafkaShareConsumer<String, String> consumer = new KafkaShareConsumer<>(config)) {
                consumer.subscribe(List.of(TOPIC));
                while (running.get()) {
                    Map<TopicIdPartition, Map<Integer, AcknowledgeType>> pending = new HashMap<>();
                    for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                        int id = Integer.parseInt(record.value());
                        short count = record.deliveryCount().orElse((short) 1);
                        if (confirmed.containsKey(id) && confirmed.get(id) != AcknowledgeType.RELEASE) {
                            violations.add("record " + id + " delivered (count " + count + ") after "
                                    + confirmed.get(id));
                        }
                        deliveries.computeIfAbsent(id, k -> Collections.synchronizedList(new ArrayList<>())).add(count);
                        AcknowledgeType type = id % 7 == 0 ? AcknowledgeType.REJECT
                                : id % 10 == 0 && count == 1 ? AcknowledgeType.RELEASE : AcknowledgeType.ACCEPT;
                        consumer.acknowledge(record, type);
                        pending.computeIfAbsent(new TopicIdPartition(Uuid.ZERO_UUID, record.partition(), record.topic()),
                                k -> new HashMap<>()).put(id, type);
                    }
                    if (pending.isEmpty()) {
                        continue;
                    }
                    Map<TopicIdPartition, Optional<KafkaException>> results = consumer.commitSync(Duration.ofSeconds(30));
                    results.forEach((tip, failure) -> {
                        if (failure.isEmpty()) {
                            Map<Integer, AcknowledgeType> acked = pending.get(
                                    new TopicIdPartition(Uuid.ZERO_UUID, tip.partition(), tip.topic()));
                            if (acked != null) {
                                acked.forEach((id, type) -> {
                                    confirmed.put(id, type);
                                    if (type == AcknowledgeType.ACCEPT) {
                                        accepted.incrementAndGet();
                                    }
                                });
                            }
                        }
                    });
                }
            } catch (RuntimeException e) {
                if (running.get()) {
                    violations.add(Thread.currentThread().getName() + " failed: " + e);
                }
            }
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(TimeUnit.SECONDS.toMillis(60));
        }
    }
}
