import java.io.InputStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeTopicsResult;
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
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The client matrix's driver for the Java {@code kafka-clients}: the scenarios of
 * {@code ../README.md}, one {@code MATRIX} line each. Compiled against the oldest version tested
 * (2.8) and run unchanged with each version's jars, so it uses only API that every one of them has
 * (the one exception, the result of {@code describeTopics}, is looked up by name).
 *
 * <p>Usage: {@code java -cp <kafka-clients jars>:<this class> KafkaClientsDriver <bootstrap> <prefix>}
 */
public final class KafkaClientsDriver {

    private static final int RECORDS = 300;
    private static final Duration SCENARIO_DEADLINE = Duration.ofSeconds(30);

    private final String bootstrap;
    private final String prefix;
    private final String client;

    private KafkaClientsDriver(String bootstrap, String prefix) {
        this.bootstrap = bootstrap;
        this.prefix = prefix;
        this.client = "kafka-clients-" + clientVersion();
    }

    /** The version in the kafka-clients jar (its AppInfoParser moved to an internal package in 4.x). */
    private static String clientVersion() {
        Properties version = new Properties();
        try (InputStream in = KafkaProducer.class.getResourceAsStream("/kafka/kafka-version.properties")) {
            version.load(in);
        } catch (Exception e) {
            return "unknown";
        }
        return version.getProperty("version", "unknown");
    }

    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: KafkaClientsDriver <bootstrap servers> <name prefix>");
            System.exit(2);
        }
        new KafkaClientsDriver(args[0], args[1]).runAll();
        System.exit(0); // client threads must not keep the JVM alive
    }

    /** What a scenario reports: pass or fail, with the counts and one line of detail. */
    private static final class Outcome {
        final boolean pass;
        final long produced;
        final long consumed;
        final String detail;

        Outcome(boolean pass, long produced, long consumed, String detail) {
            this.pass = pass;
            this.produced = produced;
            this.consumed = consumed;
            this.detail = detail;
        }
    }

    private interface Scenario {
        Outcome run() throws Exception;
    }

    private void runAll() {
        report("produce-acks0", () -> produceAndReadBack("produce-acks0", producerConfig("0", false, "none")));
        report("produce-acks1", () -> produceAndReadBack("produce-acks1", producerConfig("1", false, "none")));
        report("produce-acksall", () -> produceAndReadBack("produce-acksall", producerConfig("all", false, "none")));
        report("produce-idempotent", () -> produceAndReadBack("produce-idempotent", producerConfig("all", true, "none")));
        for (String codec : List.of("gzip", "snappy", "lz4", "zstd")) {
            report("produce-" + codec, () -> produceAndReadBack("produce-" + codec, producerConfig("all", false, codec)));
        }
        report("consume-earliest", this::consumeEarliest);
        report("consume-latest", this::consumeLatest);
        report("group-rebalance", this::groupRebalance);
        report("commit-lag", this::commitLag);
        report("admin-topics", this::adminTopics);
        report("transactions", this::transactions);
        report("transactional-copy", this::transactionalCopy);
    }

    private void report(String scenario, Scenario body) {
        Outcome outcome;
        try {
            outcome = body.run();
        } catch (Throwable e) {
            outcome = new Outcome(false, 0, 0, "exception " + oneLine(e));
        }
        System.out.println("MATRIX " + client + " " + scenario + " " + (outcome.pass ? "PASS" : "FAIL") + " produced="
                + outcome.produced + " consumed=" + outcome.consumed + " " + outcome.detail);
        System.out.flush();
    }

    // --- scenarios ---

    /** {@code RECORDS} values to the scenario's topic with {@code config}, then all read back with assign(). */
    private Outcome produceAndReadBack(String scenario, Map<String, Object> config) throws Exception {
        String topic = topic(scenario);
        List<String> values = values(scenario, 0, RECORDS);
        long acknowledged = produce(config, topic, values);
        Set<String> read = readAll(topic, new HashSet<>(values));
        return compare(values, acknowledged, read, "acks=" + config.get(ProducerConfig.ACKS_CONFIG) + " idempotence="
                + config.get(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG) + " compression="
                + config.get(ProducerConfig.COMPRESSION_TYPE_CONFIG));
    }

    /** A group member with auto.offset.reset=earliest reads everything already in the topic. */
    private Outcome consumeEarliest() throws Exception {
        String topic = topic("consume-earliest");
        List<String> values = values("consume-earliest", 0, RECORDS);
        long acknowledged = produce(producerConfig("all", false, "none"), topic, values);
        Set<String> read = new HashSet<>();
        try (KafkaConsumer<String, String> consumer = consumer(prefix + ".earliest-group", "earliest")) {
            consumer.subscribe(List.of(topic));
            pollUntil(consumer, read, () -> read.size() >= values.size());
        }
        return compare(values, acknowledged, read, "group consumer, auto.offset.reset=earliest");
    }

    /**
     * A group member with auto.offset.reset=latest, positioned at the end of a topic that already
     * has records, gets exactly the records produced after that.
     */
    private Outcome consumeLatest() throws Exception {
        String topic = topic("consume-latest");
        List<String> old = values("consume-latest-old", 0, 100);
        List<String> fresh = values("consume-latest", 0, RECORDS);
        long acknowledged = produce(producerConfig("all", false, "none"), topic, old);
        try (KafkaConsumer<String, String> consumer = consumer(prefix + ".latest-group", "latest")) {
            consumer.subscribe(List.of(topic));
            Set<String> before = new HashSet<>();
            long deadline = System.nanoTime() + SCENARIO_DEADLINE.toNanos();
            while (consumer.assignment().size() < 3 && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> before.add(r.value()));
            }
            if (consumer.assignment().size() < 3) {
                return new Outcome(false, acknowledged, before.size(), "assignment " + consumer.assignment() + " after "
                        + SCENARIO_DEADLINE);
            }
            long positioned = 0;
            for (TopicPartition tp : consumer.assignment()) {
                positioned += consumer.position(tp, SCENARIO_DEADLINE); // the reset to the end (ListOffsets latest)
            }
            acknowledged += produce(producerConfig("all", false, "none"), topic, fresh);
            Set<String> read = new HashSet<>(before);
            pollUntil(consumer, read, () -> read.containsAll(fresh));
            long oldSeen = read.stream().filter(old::contains).count();
            Set<String> freshRead = new HashSet<>(read);
            freshRead.retainAll(fresh);
            boolean pass = oldSeen == 0 && freshRead.size() == fresh.size() && read.size() == fresh.size();
            return new Outcome(pass, acknowledged, read.size(), "positions at start " + positioned + ", new records read "
                    + freshRead.size() + "/" + fresh.size() + ", old records read " + oldSeen + " (want 0)");
        }
    }

    /**
     * Three members of one group share a 6-partition topic and read everything, committing as they
     * go; then one leaves, the other two take over its partitions and read what is produced next.
     */
    private Outcome groupRebalance() throws Exception {
        String topic = topic("group-rebalance");
        String group = prefix + ".rebalance-group";
        List<String> first = values("group-rebalance", 0, 600);
        List<String> second = values("group-rebalance", 600, 900);
        long acknowledged = produce(producerConfig("all", false, "none"), topic, first);
        Set<String> read = ConcurrentHashMap.newKeySet();
        List<Member> members = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                members.add(new Member(consumer(group, "earliest"), topic, read));
            }
            members.forEach(Member::start);
            boolean firstDone = waitFor(() -> read.containsAll(first) && members.stream().allMatch(m -> m.assigned().size() == 2)
                    && union(members).size() == 6, Duration.ofSeconds(60));
            String firstShape = shape(members);
            if (!firstDone) {
                return new Outcome(false, acknowledged, read.size(), "3 members: read " + read.size() + "/600, assignments "
                        + firstShape);
            }
            Member leaving = members.remove(2);
            leaving.close();
            acknowledged += produce(producerConfig("all", false, "none"), topic, second);
            boolean secondDone = waitFor(() -> read.containsAll(second) && union(members).size() == 6
                    && members.stream().mapToInt(m -> m.assigned().size()).sum() == 6, Duration.ofSeconds(60));
            String secondShape = shape(members);
            Set<String> all = new HashSet<>(first);
            all.addAll(second);
            String error = members.stream().map(m -> m.error.get()).filter(e -> e != null).findFirst().orElse(null);
            boolean pass = secondDone && read.equals(all) && error == null;
            return new Outcome(pass, acknowledged, read.size(), "assignments " + firstShape + " then " + secondShape
                    + " after one left" + (error == null ? "" : ", member error " + error));
        } finally {
            for (Member m : members) {
                m.close();
            }
        }
    }

    /**
     * Reads the first 60 records of each of 3 partitions of 100, commits offset 60, and reads back
     * the committed offsets (OffsetFetch), the end offsets (ListOffsets) and the group's lag.
     */
    private Outcome commitLag() throws Exception {
        String topic = topic("commit-lag");
        String group = prefix + ".lag-group";
        List<String> values = values("commit-lag", 0, RECORDS);
        long acknowledged = 0;
        Map<String, Object> config = producerConfig("all", false, "none");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (int i = 0; i < values.size(); i++) {
                sent.add(producer.send(new ProducerRecord<>(topic, i % 3, "k-" + i, values.get(i))));
            }
            acknowledged = awaitAcks(producer, sent);
        }
        List<TopicPartition> partitions = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1),
                new TopicPartition(topic, 2));
        long consumed = 0;
        Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
        try (KafkaConsumer<String, String> consumer = consumer(group, "earliest")) {
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<Integer, Long> perPartition = new HashMap<>();
            long deadline = System.nanoTime() + SCENARIO_DEADLINE.toNanos();
            while (partitions.stream().anyMatch(tp -> perPartition.getOrDefault(tp.partition(), 0L) < 60)
                    && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    consumed++;
                    perPartition.merge(r.partition(), 1L, Long::sum);
                }
            }
            for (TopicPartition tp : partitions) {
                commit.put(tp, new OffsetAndMetadata(60));
            }
            consumer.commitSync(commit, SCENARIO_DEADLINE);
        }
        try (KafkaConsumer<String, String> reader = consumer(group, "earliest");
                Admin admin = admin()) {
            Map<TopicPartition, OffsetAndMetadata> committed = reader.committed(new HashSet<>(partitions), SCENARIO_DEADLINE);
            Map<TopicPartition, Long> ends = reader.endOffsets(partitions, SCENARIO_DEADLINE);
            Map<TopicPartition, OffsetAndMetadata> adminCommitted = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(SCENARIO_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            long lag = 0;
            boolean pass = acknowledged == RECORDS;
            StringBuilder detail = new StringBuilder();
            for (TopicPartition tp : partitions) {
                OffsetAndMetadata c = committed.get(tp);
                OffsetAndMetadata a = adminCommitted.get(tp);
                long end = ends.getOrDefault(tp, -1L);
                pass &= c != null && c.offset() == 60 && a != null && a.offset() == 60 && end == 100;
                lag += end - (c == null ? 0 : c.offset());
                detail.append(" p").append(tp.partition()).append(" committed=").append(c == null ? "none" : c.offset())
                        .append("/admin=").append(a == null ? "none" : a.offset()).append(" end=").append(end);
            }
            pass &= lag == 120;
            return new Outcome(pass, acknowledged, consumed, "lag " + lag + " (want 120):" + detail);
        }
    }

    /** CreateTopics, then DescribeTopics until every partition has a leader, ListTopics, DeleteTopics. */
    private Outcome adminTopics() throws Exception {
        String topic = prefix + ".admin";
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 3, (short) 3))).all().get(30, TimeUnit.SECONDS);
            AtomicReference<TopicDescription> described = new AtomicReference<>();
            boolean leaders = waitFor(() -> {
                try {
                    TopicDescription d = describe(admin.describeTopics(List.of(topic))).get(topic);
                    described.set(d);
                    return d != null && d.partitions().size() == 3 && d.partitions().stream().allMatch(p -> p.leader() != null
                            && p.replicas().size() == 3);
                } catch (Exception e) {
                    return false;
                }
            }, SCENARIO_DEADLINE);
            boolean listed = admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(topic);
            admin.deleteTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
            boolean gone = waitFor(() -> {
                try {
                    return !admin.listTopics().names().get(10, TimeUnit.SECONDS).contains(topic);
                } catch (Exception e) {
                    return false;
                }
            }, SCENARIO_DEADLINE);
            TopicDescription d = described.get();
            return new Outcome(leaders && listed && gone, 0, 0, "created, described "
                    + (d == null ? "nothing" : d.partitions().size() + " partitions with leaders=" + leaders)
                    + ", listed=" + listed + ", gone after delete=" + gone);
        }
    }


    /**
     * A transactional producer commits a transaction of {@code RECORDS} records spread over the 3
     * partitions, then writes 100 more in a second transaction (flushed: they are in the log) and
     * aborts it; a read_committed consumer (assign()) reads exactly the committed records, once each.
     */
    private Outcome transactions() throws Exception {
        String topic = topic("transactions");
        List<String> committed = values("transactions", 0, RECORDS);
        List<String> aborted = values("transactions-aborted", 0, 100);
        long acknowledged;
        long abortedWritten;
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(transactionalConfig(prefix + ".txn"),
                new StringSerializer(), new StringSerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            List<Future<RecordMetadata>> sent = sendSpread(producer, topic, committed);
            producer.commitTransaction();
            acknowledged = awaitAcks(producer, sent);
            producer.beginTransaction();
            List<Future<RecordMetadata>> abortedSent = sendSpread(producer, topic, aborted);
            abortedWritten = awaitAcks(producer, abortedSent);
            producer.abortTransaction();
        }
        ReadBack read = readBack(topic, "read_committed", committed);
        Set<String> all = new HashSet<>(committed);
        all.addAll(aborted);
        ReadBack uncommitted = readBack(topic, "read_uncommitted", new ArrayList<>(all));
        long abortedRead = read.distinct.stream().filter(aborted::contains).count();
        long missing = committed.stream().filter(v -> !read.distinct.contains(v)).count();
        boolean pass = acknowledged == RECORDS && abortedWritten == aborted.size() && missing == 0 && abortedRead == 0
                && read.records == RECORDS && read.distinct.size() == RECORDS;
        return new Outcome(pass, acknowledged, read.distinct.size(), "committed " + acknowledged + "/" + RECORDS
                + " acknowledged, aborted " + abortedWritten + "/" + aborted.size() + " written then aborted; read_committed read "
                + read.records + " records: missing " + missing + ", aborted " + abortedRead + " (want 0), duplicates "
                + (read.records - read.distinct.size()) + " (want 0); read_uncommitted read " + uncommitted.distinct.size()
                + " distinct (the aborted ones too)");
    }

    /**
     * Consume-transform-produce: a group member (read_committed) reads the committed records of
     * {@code transactions} and copies them to this scenario's topic, a transaction per poll, with the
     * member's positions sent to the transaction (sendOffsetsToTransaction); then a read_committed
     * read of the copy has each record exactly once, and the group's committed offsets are the
     * input's end offsets (past the aborted records and the markers).
     */
    private Outcome transactionalCopy() throws Exception {
        String input = topic("transactions");
        String output = topic("transactional-copy");
        String group = prefix + ".copy-group";
        List<String> expected = values("transactions", 0, RECORDS);
        List<TopicPartition> inputPartitions = List.of(new TopicPartition(input, 0), new TopicPartition(input, 1),
                new TopicPartition(input, 2));
        Map<TopicPartition, Long> ends;
        try (KafkaConsumer<String, String> c = consumer(prefix + ".ends", "earliest")) {
            ends = c.endOffsets(inputPartitions, SCENARIO_DEADLINE);
        }
        long copied = 0;
        int transactions = 0;
        Map<TopicPartition, Long> sentOffsets = new HashMap<>();
        try (KafkaConsumer<String, String> consumer = consumer(group, "earliest", "read_committed");
                KafkaProducer<String, String> producer = new KafkaProducer<>(transactionalConfig(prefix + ".copy-txn"),
                        new StringSerializer(), new StringSerializer())) {
            producer.initTransactions();
            consumer.subscribe(List.of(input));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
                Map<TopicPartition, Long> positions = new HashMap<>();
                for (TopicPartition tp : consumer.assignment()) {
                    positions.put(tp, consumer.position(tp, SCENARIO_DEADLINE));
                }
                if (records.isEmpty() && positions.equals(sentOffsets)) {
                    if (copied >= RECORDS && positions.equals(ends)) {
                        break;
                    }
                    continue;
                }
                producer.beginTransaction();
                for (ConsumerRecord<String, String> r : records) {
                    producer.send(new ProducerRecord<>(output, r.partition(), r.key(), r.value()));
                }
                Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
                positions.forEach((tp, offset) -> offsets.put(tp, new OffsetAndMetadata(offset)));
                producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
                producer.commitTransaction();
                copied += records.count();
                transactions++;
                sentOffsets = positions;
            }
        }
        ReadBack read = readBack(output, "read_committed", expected);
        long missing = expected.stream().filter(v -> !read.distinct.contains(v)).count();
        long unexpected = read.distinct.stream().filter(v -> !expected.contains(v)).count();
        Map<TopicPartition, OffsetAndMetadata> committed = new HashMap<>();
        try (KafkaConsumer<String, String> reader = consumer(group, "earliest")) {
            // The offsets become the group's once the commit markers are written: wait for them.
            waitFor(() -> {
                committed.clear();
                reader.committed(new HashSet<>(inputPartitions), SCENARIO_DEADLINE).forEach((tp, o) -> {
                    if (o != null) {
                        committed.put(tp, o);
                    }
                });
                return inputPartitions.stream().allMatch(tp -> committed.containsKey(tp)
                        && committed.get(tp).offset() == ends.get(tp));
            }, SCENARIO_DEADLINE);
        }
        boolean offsetsAtEnd = inputPartitions.stream().allMatch(tp -> committed.containsKey(tp)
                && committed.get(tp).offset() == ends.get(tp));
        StringBuilder offsets = new StringBuilder();
        for (TopicPartition tp : inputPartitions) {
            OffsetAndMetadata o = committed.get(tp);
            offsets.append(" p").append(tp.partition()).append(" committed=").append(o == null ? "none" : o.offset())
                    .append(" end=").append(ends.get(tp));
        }
        boolean pass = copied == RECORDS && missing == 0 && unexpected == 0 && read.records == RECORDS && offsetsAtEnd;
        return new Outcome(pass, copied, read.distinct.size(), "copied " + copied + " in " + transactions
                + " transactions; read_committed read of the copy: " + read.records + " records, missing " + missing
                + ", unexpected " + unexpected + ", duplicates " + (read.records - read.distinct.size())
                + "; group offsets at the input's end " + offsetsAtEnd + ":" + offsets);
    }

    // --- clients ---

    private Map<String, Object> producerConfig(String acks, boolean idempotent, String compression) {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ProducerConfig.ACKS_CONFIG, acks);
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, idempotent);
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
        return config;
    }

    /** A transactional producer's settings: idempotent, acks=all, {@code transactional.id}. */
    private Map<String, Object> transactionalConfig(String transactionalId) {
        Map<String, Object> config = producerConfig("all", true, "none");
        config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        config.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 60_000);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 60_000); // initTransactions, commit and abort wait that long
        return config;
    }

    private KafkaConsumer<String, String> consumer(String group, String reset) {
        return consumer(group, reset, "read_uncommitted");
    }

    private KafkaConsumer<String, String> consumer(String group, String reset, String isolation) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, reset);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
        config.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1_000);
        config.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
        config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        return new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer());
    }

    private Admin admin() {
        Properties config = new Properties();
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
        return Admin.create(config);
    }

    /**
     * {@code DescribeTopicsResult.all()} until 3.0, {@code allTopicNames()} from 3.1 (and only that
     * from 4.0): whichever this version has.
     */
    @SuppressWarnings("unchecked")
    private static Map<String, TopicDescription> describe(DescribeTopicsResult result) throws Exception {
        Method method;
        try {
            method = result.getClass().getMethod("allTopicNames");
        } catch (NoSuchMethodException e) {
            method = result.getClass().getMethod("all");
        }
        Object future = method.invoke(result);
        return (Map<String, TopicDescription>) ((org.apache.kafka.common.KafkaFuture<?>) future).get(10, TimeUnit.SECONDS);
    }

    // --- helpers ---

    private String topic(String scenario) {
        return prefix + "." + scenario;
    }

    private static List<String> values(String scenario, int from, int to) {
        List<String> values = new ArrayList<>();
        for (int i = from; i < to; i++) {
            values.add(scenario + "-" + i);
        }
        return values;
    }

    /** Sends every value (key k-i) and waits for each acknowledgment; how many succeeded. */
    private static long produce(Map<String, Object> config, String topic, List<String> values) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(config, new StringSerializer(), new StringSerializer())) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (int i = 0; i < values.size(); i++) {
                sent.add(producer.send(new ProducerRecord<>(topic, "k-" + i, values.get(i))));
            }
            return awaitAcks(producer, sent);
        }
    }

    private static long awaitAcks(KafkaProducer<String, String> producer, List<Future<RecordMetadata>> sent) {
        producer.flush();
        long ok = 0;
        for (Future<RecordMetadata> f : sent) {
            try {
                f.get(30, TimeUnit.SECONDS);
                ok++;
            } catch (Exception e) {
                // counted as not acknowledged
            }
        }
        return ok;
    }

    /** Everything in {@code topic}'s partitions from the beginning, with assign() (no group). */
    private Set<String> readAll(String topic, Set<String> expected) {
        Set<String> read = new HashSet<>();
        try (KafkaConsumer<String, String> consumer = consumer(prefix + ".reader", "earliest")) {
            List<TopicPartition> partitions = new ArrayList<>();
            consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            pollUntil(consumer, read, () -> read.containsAll(expected));
        }
        return read;
    }

    /** What a read from the beginning found: every record read (duplicates counted) and the distinct values. */
    private static final class ReadBack {
        long records;
        final Set<String> distinct = new HashSet<>();
    }

    /**
     * Every partition of {@code topic} from the beginning with assign() and {@code isolation}, until
     * {@code expected} is read and every position is at the end offset (the last stable offset for
     * read_committed: past aborted records and markers), or the scenario deadline.
     */
    private ReadBack readBack(String topic, String isolation, List<String> expected) {
        ReadBack read = new ReadBack();
        try (KafkaConsumer<String, String> consumer = consumer(prefix + ".reader", "earliest", isolation)) {
            List<TopicPartition> partitions = new ArrayList<>();
            consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, SCENARIO_DEADLINE);
            long deadline = System.nanoTime() + SCENARIO_DEADLINE.toNanos();
            while (System.nanoTime() < deadline && !(read.distinct.containsAll(expected)
                    && partitions.stream().allMatch(tp -> consumer.position(tp) >= ends.get(tp)))) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    read.records++;
                    read.distinct.add(r.value());
                }
            }
            for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                read.records++;
                read.distinct.add(r.value());
            }
        }
        return read;
    }

    /** Sends every value (key k-i) to partition i % 3. */
    private static List<Future<RecordMetadata>> sendSpread(KafkaProducer<String, String> producer, String topic,
            List<String> values) {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) {
            sent.add(producer.send(new ProducerRecord<>(topic, i % 3, "k-" + i, values.get(i))));
        }
        return sent;
    }

    /** Polls into {@code read} until {@code done} or the scenario deadline; then one more short poll for extras. */
    private static void pollUntil(KafkaConsumer<String, String> consumer, Set<String> read, BooleanSupplier done) {
        long deadline = System.nanoTime() + SCENARIO_DEADLINE.toNanos();
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(200)).forEach(r -> read.add(r.value()));
        }
        consumer.poll(Duration.ofMillis(500)).forEach(r -> read.add(r.value()));
    }

    private static Outcome compare(List<String> values, long acknowledged, Set<String> read, String what) {
        Set<String> expected = new HashSet<>(values);
        long missing = expected.stream().filter(v -> !read.contains(v)).count();
        long unexpected = read.stream().filter(v -> !expected.contains(v)).count();
        boolean pass = acknowledged == values.size() && missing == 0 && unexpected == 0;
        return new Outcome(pass, acknowledged, read.size(), what + ": acknowledged " + acknowledged + "/" + values.size()
                + ", missing " + missing + ", unexpected " + unexpected);
    }

    private static boolean waitFor(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(200);
        }
        return condition.getAsBoolean();
    }

    private static Set<TopicPartition> union(Collection<Member> members) {
        Set<TopicPartition> all = new HashSet<>();
        members.forEach(m -> all.addAll(m.assigned()));
        return all;
    }

    private static String shape(List<Member> members) {
        StringBuilder s = new StringBuilder();
        for (Member m : members) {
            s.append(s.length() == 0 ? "" : "/").append(m.assigned().size());
        }
        return s.toString();
    }

    private static String oneLine(Throwable e) {
        String text = e.toString();
        Throwable cause = e.getCause();
        if (cause != null && cause != e) {
            text += " caused by " + cause;
        }
        text = text.replaceAll("\\s+", " ");
        return text.length() > 300 ? text.substring(0, 300) + "..." : text;
    }

    /** One group member polling on its own thread (a KafkaConsumer is not thread-safe), committing after each poll. */
    private static final class Member {
        private final KafkaConsumer<String, String> consumer;
        private final String topic;
        private final Set<String> read;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicReference<Set<TopicPartition>> assigned = new AtomicReference<>(Set.of());
        private final AtomicReference<String> error = new AtomicReference<>();
        private final Thread thread;

        Member(KafkaConsumer<String, String> consumer, String topic, Set<String> read) {
            this.consumer = consumer;
            this.topic = topic;
            this.read = read;
            this.thread = new Thread(this::loop, "member");
            this.thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        Set<TopicPartition> assigned() {
            return assigned.get();
        }

        private void loop() {
            try {
                consumer.subscribe(List.of(topic));
                while (running.get()) {
                    boolean any = false;
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                        read.add(r.value());
                        any = true;
                    }
                    assigned.set(new HashSet<>(consumer.assignment()));
                    if (any) {
                        consumer.commitSync(Duration.ofSeconds(15));
                    }
                }
            } catch (Exception e) {
                error.set(oneLine(e));
            } finally {
                assigned.set(Set.of());
                consumer.close(Duration.ofSeconds(10)); // LeaveGroup
            }
        }

        void close() throws InterruptedException {
            running.set(false);
            thread.join(30_000);
        }
    }
}
