package dev.runnel.clustertest;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.MetadataResponse;
import org.awaitility.core.ConditionTimeoutException;

/**
 * The steps of the scale benchmark, each timed from its own start against its own deadline, on any
 * {@link ScaleSystem}: create many partitions, ask for all of them, kill the active controller,
 * restart a broker, measure heaps ({@link JvmHeaps}). Shared by {@link ScaleBenchmarkTest} (Runnel and Kafka, profile
 * {@code scale}) and {@link ControllerFailoverScaleProcessTest} (Runnel, default build). A step that
 * misses its deadline returns a {@link StepResult} saying so instead of throwing, so the other
 * steps and systems still run. Every wait polls in the test thread (a poll may block on a request
 * for a while, and must not be interrupted halfway), so a deadline may be overrun by one poll.
 */
final class ScaleScenario {

    /** Partitions of the topic created after the active controller is killed. */
    static final int AFTER_FAILOVER_PARTITIONS = 10;
    static final String AFTER_FAILOVER_TOPIC = "after-failover";

    private static final byte[] VALUE = KafkaClients.bytes("scale");

    private ScaleScenario() {
    }

    /** N partitions as topics {@code scale-000...} of at most 1,000 partitions each. */
    record Layout(int topicCount, int partitionsPerTopic, short replicationFactor) {

        /** 10 topics of N/10 up to N = 1,000; N/1,000 topics of 1,000 above. */
        static Layout of(int partitions, int replicationFactor) {
            int perTopic = partitions <= 1_000 ? Math.max(1, partitions / 10) : 1_000;
            if (partitions % perTopic != 0) {
                throw new IllegalArgumentException(partitions + " partitions are not topics of " + perTopic);
            }
            return new Layout(partitions / perTopic, perTopic, (short) replicationFactor);
        }

        int partitions() {
            return topicCount * partitionsPerTopic;
        }

        /** Topic name to partition count. */
        Map<String, Integer> topics() {
            Map<String, Integer> topics = new TreeMap<>();
            for (int i = 0; i < topicCount; i++) {
                topics.put(String.format("scale-%03d", i), partitionsPerTopic);
            }
            return topics;
        }

        @Override
        public String toString() {
            return String.format("%,d (%d x %,d, RF %d)", partitions(), topicCount, partitionsPerTopic, replicationFactor);
        }
    }

    @FunctionalInterface
    private interface Body {
        void run(StepResult result, long deadlineNanos) throws Exception;
    }

    private static StepResult step(String name, Duration deadline, Body body) {
        StepResult result = new StepResult(name, deadline);
        try {
            body.run(result, System.nanoTime() + deadline.toNanos());
        } catch (Exception | AssertionError e) {
            result.failed(e);
        }
        return result;
    }

    // ---- steps ------------------------------------------------------------------------------

    /** Starts the system's processes, until every broker serves clients. */
    static StepResult start(ScaleSystem system, Duration deadline) {
        return step("start", deadline, (result, end) -> {
            long start = System.nanoTime();
            result.phase("the cluster to start");
            system.start(Duration.ofNanos(end - start));
            result.mark("brokers ready", start);
        });
    }

    /**
     * From the first CreateTopics (one per topic, all in flight) until every broker's Metadata
     * shows every partition led, then until every partition has taken an acks=all write.
     */
    static StepResult create(ScaleSystem system, Layout layout, Duration deadline) {
        return step("create", deadline, (result, end) -> {
            long start = System.nanoTime();
            try (Admin admin = admin(system.bootstrap())) {
                createTopics(admin, layout.topics(), layout.replicationFactor(), result, end);
            }
            result.mark("accepted", start);
            awaitLedEverywhere(system, layout.topics(), result, end);
            result.mark("led on every broker", start);
            // The same writes as after a controller failover, as a baseline for those.
            awaitWritable(system.bootstrap(), layout.topics(), result, end);
            result.mark("all partitions writable", start);
        });
    }

    /**
     * Metadata for all topics from broker {@code brokerId}, {@code requests} times after 10 warm-up
     * requests: a raw Metadata v12 request with a null topic list, each on a new connection.
     */
    static StepResult metadataLatency(ScaleSystem system, int brokerId, Layout layout, int requests) {
        return step("metadata", Duration.ofMinutes(10), (result, end) -> {
            result.phase("Metadata answers");
            List<Long> nanos = new ArrayList<>();
            for (int i = -10; i < requests; i++) {
                long start = System.nanoTime();
                MetadataResponseData answer = metadata(system.kafkaPort(brokerId));
                long took = System.nanoTime() - start;
                if (answer.topics().size() < layout.topicCount()) {
                    throw new IllegalStateException("Metadata answered " + answer.topics().size() + " topics");
                }
                if (i >= 0) {
                    nanos.add(took);
                }
            }
            Collections.sort(nanos);
            result.record("p50", Duration.ofNanos(percentile(nanos, 50)));
            result.record("p99", Duration.ofNanos(percentile(nanos, 99)));
            result.record("max", Duration.ofNanos(nanos.get(nanos.size() - 1)));
        });
    }

    /**
     * {@code kill -9} of the active controller; from the kill until a topic created afterwards
     * (CreateTopics retried until accepted) is led in every broker's Metadata and every partition
     * of every topic has taken a record with acks=all. The killed controller is started again
     * afterwards, outside the measured time.
     */
    static StepResult failover(ScaleSystem system, Layout layout, Duration deadline) {
        AtomicInteger killed = new AtomicInteger(-1);
        StepResult failover = step("failover", deadline, (result, end) -> {
            result.waitFor("an active controller", end).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                    .until(() -> {
                        killed.set(system.activeController());
                        return true;
                    });
            system.killController(killed.get());
            long kill = System.nanoTime();
            Map<String, Integer> created = Map.of(AFTER_FAILOVER_TOPIC, AFTER_FAILOVER_PARTITIONS);
            try (Admin admin = admin(system.bootstrap())) {
                createTopics(admin, created, layout.replicationFactor(), result, end);
            }
            result.mark("new topic accepted", kill);
            awaitLedEverywhere(system, created, result, end);
            result.mark("led on every broker", kill);
            Map<String, Integer> all = new TreeMap<>(layout.topics());
            all.putAll(created);
            awaitWritable(system.bootstrap(), all, result, end);
            result.mark("all partitions writable", kill);
        });
        if (killed.get() >= 0) {
            try {
                system.restartController(killed.get(), Duration.ofMinutes(3));
            } catch (Exception | AssertionError e) {
                failover.problem("restarting controller " + killed.get() + " failed: " + e);
                failover.fail("controller " + killed.get() + " did not restart: " + e);
            }
        }
        return failover;
    }

    /**
     * {@code kill -9} of broker {@code brokerId}; once every other broker's own Metadata shows it
     * gone (no partition with it in the ISR, or with RF 1 none led by it), it is started again, and
     * timed from that start until every broker's Metadata shows every ISR full again (RF 1: every
     * partition led). Each broker is asked itself: brokers apply the controller's views at slightly
     * different moments, and one broker's answer says nothing of another's.
     */
    static StepResult brokerRestart(ScaleSystem system, Layout layout, int brokerId, Duration deadline) {
        boolean replicated = layout.replicationFactor() > 1;
        return step("broker restart", deadline, (result, end) -> {
            List<Integer> others = system.brokerIds().stream().filter(id -> id != brokerId).toList();
            system.killBroker(brokerId);
            long kill = System.nanoTime();
            // With RF 1 a system might keep a dead broker as the leader: then restart after a minute anyway.
            long shownGone = replicated ? end : Math.min(end, kill + TimeUnit.MINUTES.toNanos(1));
            Predicate<MetadataResponseData.MetadataResponsePartition> stillThere = p -> replicated
                    ? p.isrNodes().contains(brokerId) : p.leaderId() == brokerId;
            try {
                result.waitFor("every other broker to show broker " + brokerId + " gone", shownGone)
                        .pollInterval(Duration.ofMillis(250))
                        .until(() -> countEverywhere(system, others, layout, stillThere, result,
                                "partitions with broker " + brokerId + (replicated ? " in the ISR" : " leading")) == 0);
                result.mark("gone after kill", kill);
            } catch (ConditionTimeoutException e) {
                if (replicated) {
                    throw e;
                }
            }
            system.restartBroker(brokerId);
            long restart = System.nanoTime();
            Predicate<MetadataResponseData.MetadataResponsePartition> notBack = p -> replicated
                    ? p.isrNodes().size() < p.replicaNodes().size() : p.leaderId() < 0;
            result.waitFor(replicated ? "every ISR full again" : "every partition led again", end)
                    .pollInterval(Duration.ofMillis(500))
                    .until(() -> countEverywhere(system, system.brokerIds(), layout, notBack, result,
                            replicated ? "partitions with a short ISR" : "partitions without a leader") == 0);
            result.mark(replicated ? "in sync after restart" : "led after restart", restart);
        });
    }

    /**
     * How many partitions of the layout's topics match {@code what} in the Metadata of any of
     * {@code brokers}, each asked itself (the largest count; -1 while one cannot answer).
     */
    private static long countEverywhere(ScaleSystem system, List<Integer> brokers, Layout layout,
            Predicate<MetadataResponseData.MetadataResponsePartition> what, StepResult result, String described) {
        long worst = 0;
        for (int id : brokers) {
            MetadataResponseData answer;
            try {
                answer = metadata(system.kafkaPort(id));
            } catch (IOException e) {
                result.problem("broker " + id + ": no Metadata answer: " + e);
                return -1;
            }
            long count = answer.topics().stream().filter(t -> layout.topics().containsKey(t.name()))
                    .flatMap(t -> t.partitions().stream()).filter(what).count();
            if (count > worst || worst == 0) {
                result.problem(String.format("broker %d: %,d %s", id, count, described));
            }
            worst = Math.max(worst, count);
        }
        return worst;
    }

    /** Each live process's heap use after a full GC ({@code jcmd GC.run}, {@code GC.heap_info}) in MiB, -1 if unknown. */
    static Map<String, Long> heapsAfterFullGc(ScaleSystem system) {
        Map<String, Long> heaps = new LinkedHashMap<>();
        system.pids().forEach((name, pid) -> heaps.put(name, JvmHeaps.usedAfterFullGc(pid)));
        return heaps;
    }

    // ---- the waits ------------------------------------------------------------------------

    /** CreateTopics, one request per topic, all in flight; a failed one is sent again; an existing topic counts. */
    static void createTopics(Admin admin, Map<String, Integer> topics, short rf, StepResult result, long end) {
        Set<String> pending = new TreeSet<>(topics.keySet());
        result.waitFor("CreateTopics of " + topics.size() + " topics accepted", end).pollInterval(Duration.ofSeconds(1))
                .until(() -> {
                    Map<String, Future<Void>> answers = new LinkedHashMap<>();
                    for (String topic : pending) {
                        answers.put(topic, admin.createTopics(List.of(new NewTopic(topic, topics.get(topic), rf))).all());
                    }
                    for (Map.Entry<String, Future<Void>> answer : answers.entrySet()) {
                        try {
                            answer.getValue().get(5, TimeUnit.MINUTES); // the Admin's own timeouts end it sooner
                            pending.remove(answer.getKey());
                        } catch (ExecutionException e) {
                            if (e.getCause() instanceof TopicExistsException) {
                                pending.remove(answer.getKey());
                            } else {
                                result.problem("CreateTopics " + answer.getKey() + ": " + e.getCause());
                            }
                        }
                    }
                    return pending.isEmpty();
                });
    }

    /** Until every broker answers Metadata with every partition of {@code topics} led. */
    static void awaitLedEverywhere(ScaleSystem system, Map<String, Integer> topics, StepResult result, long end) {
        result.waitFor("every partition led in every broker's Metadata", end).pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    for (int id : system.brokerIds()) {
                        String missing = notLed(system.kafkaPort(id), topics);
                        if (missing != null) {
                            result.problem("broker " + id + ": " + missing);
                            return false;
                        }
                    }
                    return true;
                });
    }

    /** What broker {@code port}'s Metadata lacks of {@code topics}, or null when every partition is there and led. */
    private static String notLed(int port, Map<String, Integer> topics) {
        MetadataResponseData answer;
        try {
            answer = metadata(port);
        } catch (IOException e) {
            return "no Metadata answer: " + e;
        }
        for (Map.Entry<String, Integer> expected : topics.entrySet()) {
            MetadataResponseData.MetadataResponseTopic topic = answer.topics().find(expected.getKey());
            if (topic == null || topic.errorCode() != Errors.NONE.code()) {
                return expected.getKey() + (topic == null ? " missing" : " " + Errors.forCode(topic.errorCode()));
            }
            long led = topic.partitions().stream().filter(p -> p.leaderId() >= 0).count();
            if (topic.partitions().size() != expected.getValue() || led != expected.getValue()) {
                return expected.getKey() + " has " + led + " of " + expected.getValue() + " partitions led";
            }
        }
        return null;
    }

    private static MetadataResponseData metadata(int port) throws IOException {
        return ((MetadataResponse) KafkaWireClient.send(port, ApiKeys.METADATA, (short) 12,
                new MetadataRequestData().setTopics(null).setAllowAutoTopicCreation(false), Duration.ofSeconds(60)))
                .data();
    }

    /**
     * Until every partition has taken one record with acks=all: a non-idempotent producer (only
     * writability is asked, not InitProducerId) sends to every partition not yet written, flushes,
     * and sends again to those that failed.
     */
    static void awaitWritable(String bootstrap, Map<String, Integer> topics, StepResult result, long end) {
        Set<TopicPartition> pending = new LinkedHashSet<>();
        topics.forEach((topic, count) -> {
            for (int p = 0; p < count; p++) {
                pending.add(new TopicPartition(topic, p));
            }
        });
        int total = pending.size();
        AtomicInteger rounds = new AtomicInteger();
        long start = System.nanoTime();
        // A batch buffer per partition: small batches, so thousands of partitions fit in buffer.memory.
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap, Map.of(
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false,
                ProducerConfig.LINGER_MS_CONFIG, 5, ProducerConfig.BATCH_SIZE_CONFIG, 1024,
                ProducerConfig.BUFFER_MEMORY_CONFIG, 256L * 1024 * 1024, ProducerConfig.MAX_BLOCK_MS_CONFIG, 60_000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 30_000, ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000))) {
            result.waitFor("a record with acks=all in each of " + total + " partitions", end)
                    .pollInterval(Duration.ofSeconds(1)).until(() -> {
                        rounds.incrementAndGet();
                        Map<TopicPartition, Future<RecordMetadata>> sent = new LinkedHashMap<>();
                        for (TopicPartition tp : pending) {
                            try {
                                sent.put(tp, producer.send(new ProducerRecord<>(tp.topic(), tp.partition(), null, VALUE)));
                            } catch (KafkaException e) {
                                result.problem("send to " + tp + ": " + e);
                            }
                        }
                        producer.flush();
                        for (Map.Entry<TopicPartition, Future<RecordMetadata>> s : sent.entrySet()) {
                            try {
                                s.getValue().get();
                                pending.remove(s.getKey());
                            } catch (ExecutionException e) {
                                result.problem("not yet written: " + s.getKey() + ": " + e.getCause());
                            }
                        }
                        if (rounds.get() == 1 && !pending.isEmpty()) {
                            result.note(String.format("first write round: %,d of %,d partitions in %s", total
                                    - pending.size(), total, StepResult.format(Duration.ofNanos(System.nanoTime() - start))));
                        }
                        if (!pending.isEmpty()) {
                            result.problem(pending.size() + " of " + total + " partitions not written, e.g. "
                                    + pending.iterator().next() + ": " + result.lastProblem());
                        }
                        return pending.isEmpty();
                    });
            result.note(String.format("%,d partitions written in %d round%s, %s", total, rounds.get(),
                    rounds.get() == 1 ? "" : "s", StepResult.format(Duration.ofNanos(System.nanoTime() - start))));
        }
    }

    /** An Admin whose calls may take long: a CreateTopics of 1,000 partitions is answered when they are led. */
    static Admin admin(String bootstrap) {
        Properties config = new Properties();
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 30_000);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 60_000);
        return Admin.create(config);
    }

    private static long percentile(List<Long> sorted, int percentile) {
        int index = (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }
}
