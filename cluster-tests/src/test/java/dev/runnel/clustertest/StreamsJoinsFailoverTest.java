package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.clustertest.StreamsJoinsScenario.Expected;
import dev.runnel.clustertest.StreamsJoinsScenario.Input;
import dev.runnel.clustertest.StreamsJoinsScenario.Output;
import dev.runnel.examples.streams.JoinsTopology;

/**
 * {@code examples/streams-joins} as two application instances, each a JVM of its own running the
 * example's main, on three in-JVM brokers (replication factor 3, {@code min.insync.replicas=2}),
 * with {@code at_least_once} and with {@code exactly_once_v2}: they share the tasks; once the
 * tables are loaded and the first orders processed, instance A gets a real {@code kill -9} while the
 * rest of the input is being produced. Instance B takes A's tasks after A's session times out,
 * restores their state from the changelogs, and finishes: with exactly_once_v2 every output (read
 * read_committed) is exactly the one {@link StreamsJoinsScenario} computes, each record once and
 * each count's updates 1, 2, ..., n; with at_least_once nothing is missing (records may repeat and
 * counts may be higher, as at least once allows). B then answers interactive queries (HTTP, the
 * example's {@code /stores/<store>}) with the whole expected state of the customers, the
 * foreign-key join and the windowed count. The internal topics have the configs Streams asked for,
 * and its repartition topics were purged (DeleteRecords).
 *
 * <p>Minutes long: only in the {@code ecosystem} profile ({@code cluster-tests/pom.xml}, README Tests).
 */
class StreamsJoinsFailoverTest {

    private static final Duration DEADLINE = StreamsJoinsScenario.DEADLINE;
    /**
     * Orders [0, PHASE_ONE) and their payments up to order PHASE_ONE's time are processed before the
     * kill; the other orders are produced while it happens, then the other payments.
     */
    private static final int PHASE_ONE = 40;

    private static final String[] BROKER_ARGS = {"--runnel.broker.transaction-state-log.partitions=3",
        "--runnel.broker.offsets-topic.partitions=3", "--runnel.broker.group.initial-rebalance-delay=0s",
        "--runnel.broker.group.min-session-timeout=1s"};

    @Test
    void atLeastOnceLosesNothingWhenAnInstanceIsKilledMinus9(@TempDir Path dir) throws Exception {
        run(StreamsConfig.AT_LEAST_ONCE, "streams-joins-alos-kill", dir);
    }

    @Test
    void exactlyOnceV2StaysExactWhenAnInstanceIsKilledMinus9(@TempDir Path dir) throws Exception {
        run(StreamsConfig.EXACTLY_ONCE_V2, "streams-joins-eos-kill", dir);
    }

    private static void run(String guarantee, String applicationId, Path dir) throws Exception {
        Instant start = Instant.now();
        try (InJvmCluster cluster = new InJvmCluster()) {
            cluster.startControllerAndBrokers(3, BROKER_ARGS);
            runOn(cluster.bootstrap(1, 2, 3), 3, guarantee, applicationId, dir);
        }
        System.out.printf("Streams joins %s with a kill -9: %s in all%n", guarantee, StreamsJoinsScenario.describe(start));
    }

    /** The run on the cluster at {@code bootstrap}, topics with {@code replicationFactor} replicas. */
    static void runOn(String bootstrap, int replicationFactor, String guarantee, String applicationId, Path dir)
            throws Exception {
        boolean exactlyOnce = guarantee.equals(StreamsConfig.EXACTLY_ONCE_V2);
        String minInsyncReplicas = Integer.toString(Math.min(2, replicationFactor));
        try (Admin admin = KafkaClients.admin(bootstrap)) {
            StreamsJoinsScenario.createTopics(admin, replicationFactor, minInsyncReplicas);
            Input input = Input.generate(System.currentTimeMillis());
            Expected expected = Expected.of(input);
            StreamsJoinsProcess a = null;
            StreamsJoinsProcess b = null;
            ExecutorService producing = Executors.newSingleThreadExecutor();
            try {
                a = StreamsJoinsProcess.start("instance-a", dir, settings(bootstrap, applicationId, guarantee,
                        dir.resolve("state-a"), replicationFactor, minInsyncReplicas));
                b = StreamsJoinsProcess.start("instance-b", dir, settings(bootstrap, applicationId, guarantee,
                        dir.resolve("state-b"), replicationFactor, minInsyncReplicas));
                runBoth(a, b, admin, bootstrap, applicationId, input, expected, exactlyOnce, minInsyncReplicas,
                        producing);
                assertThat(b.logText()).as("instance B's log: it never failed").doesNotContain("to ERROR")
                        .doesNotContain("to PENDING_ERROR");
            } catch (Throwable e) {
                for (StreamsJoinsProcess instance : Arrays.asList(a, b)) {
                    if (instance != null) {
                        e.addSuppressed(new AssertionError(instance.logTail()));
                    }
                }
                throw e;
            } finally {
                producing.shutdownNow();
                for (StreamsJoinsProcess instance : Arrays.asList(a, b)) {
                    if (instance != null) {
                        instance.close();
                    }
                }
                keepLogs(dir, applicationId);
            }
        }
    }

    private static void runBoth(StreamsJoinsProcess a, StreamsJoinsProcess b, Admin admin, String bootstrap,
            String applicationId, Input input, Expected expected, boolean exactlyOnce, String minInsyncReplicas,
            ExecutorService producing) throws Exception {
        Set<String> allTasks = new TreeSet<>();
        Map<String, Set<String>> before = new TreeMap<>();
        await("both instances run, each with active tasks").atMost(DEADLINE).pollInterval(Duration.ofMillis(300))
                .ignoreExceptions().until(() -> {
                    before.put(a.name(), activeTasks(a));
                    before.put(b.name(), activeTasks(b));
                    return running(a) && running(b) && !before.get(a.name()).isEmpty()
                            && !before.get(b.name()).isEmpty();
                });
        before.values().forEach(allTasks::addAll);
        System.out.printf("Streams joins (%s): active tasks %s%n", applicationId, before);

        try (KafkaProducer<String, String> producer = StreamsJoinsScenario.producer(bootstrap)) {
            StreamsJoinsScenario.send(producer, StreamsJoinsScenario.tables(input));
            StreamsJoinsScenario.awaitConsumed(admin, bootstrap, applicationId,
                    List.of(JoinsTopology.REGIONS, JoinsTopology.CUSTOMERS));
            StreamsJoinsScenario.send(producer, input.orders(0, PHASE_ONE));
            StreamsJoinsScenario.awaitOrdersJoined(admin, bootstrap, applicationId);
            StreamsJoinsScenario.send(producer, input.firstPayments(PHASE_ONE));
        }
        await("output of the first orders").atMost(DEADLINE).pollInterval(Duration.ofMillis(200)).until(() ->
                StreamsJoinsScenario.readCommitted(bootstrap, JoinsTopology.ORDERS_PER_MINUTE).size() >= PHASE_ONE / 2);

        Future<?> rest = producing.submit(() -> {
            try (KafkaProducer<String, String> producer = StreamsJoinsScenario.producer(bootstrap)) {
                StreamsJoinsScenario.send(producer, input.orders(PHASE_ONE, StreamsJoinsScenario.ORDER_COUNT));
                StreamsJoinsScenario.awaitOrdersJoined(admin, bootstrap, applicationId);
                StreamsJoinsScenario.send(producer, input.otherPayments(PHASE_ONE));
            }
            return null;
        });
        Set<String> killedTasks = activeTasks(a);
        int committedCounts = StreamsJoinsScenario.readCommitted(bootstrap, JoinsTopology.ORDERS_PER_MINUTE).size();
        a.kill();
        Instant killed = Instant.now();
        System.out.printf("Streams joins (%s): kill -9 of %s (active tasks %s) with %d of %d count updates "
                + "committed%n", applicationId, a.name(), killedTasks, committedCounts, expected.countUpdates());
        rest.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);

        await("instance B runs every task").atMost(DEADLINE).pollInterval(Duration.ofMillis(300)).ignoreExceptions()
                .until(() -> running(b) && activeTasks(b).equals(allTasks));
        System.out.printf("Streams joins (%s): %s runs every task %s after the kill%n", applicationId, b.name(),
                StreamsJoinsScenario.describe(killed));

        StreamsJoinsScenario.awaitConsumed(admin, bootstrap, applicationId, List.of(JoinsTopology.PAYMENTS));
        try (KafkaProducer<String, String> producer = StreamsJoinsScenario.producer(bootstrap)) {
            StreamsJoinsScenario.send(producer, input.windowClosers());
        }
        await("the whole output").atMost(DEADLINE).pollInterval(Duration.ofMillis(500))
                .until(() -> Output.read(bootstrap).complete(expected));
        // Anything still in flight (a duplicate at least once) lands before the output is read for good.
        StreamsJoinsScenario.awaitConsumed(admin, bootstrap, applicationId, List.of(JoinsTopology.PAYMENTS));
        Output output = Output.read(bootstrap);
        System.out.printf("Streams joins (%s): %s (expected %d, %d, %d, %d, %d)%n", applicationId, output,
                expected.enriched().size(), expected.withCustomer().size(), expected.orderPayments().size(),
                expected.customerRegions().size(), expected.countUpdates());
        if (exactlyOnce) {
            StreamsJoinsScenario.assertExact(output, expected);
        } else {
            StreamsJoinsScenario.assertNoneMissing(output, expected);
        }

        // Interactive queries: B alone now holds every partition of every store, restored from the changelogs.
        Map<String, String> customers = new TreeMap<>(input.customers());
        Map<String, String> counts = StreamsJoinsClusterTest.countsAsText(expected);
        await("instance B answers queries with the whole state").atMost(DEADLINE).pollInterval(Duration.ofMillis(500))
                .ignoreExceptions().untilAsserted(() -> {
                    assertThat(query(b, JoinsTopology.CUSTOMERS_STORE)).as("customers-store on B")
                            .isEqualTo(customers);
                    assertThat(query(b, JoinsTopology.REGIONS_STORE)).as("regions-store on B")
                            .isEqualTo(new TreeMap<>(input.regions()));
                    assertThat(query(b, JoinsTopology.CUSTOMER_REGIONS_STORE)).as("customer-regions-store on B")
                            .isEqualTo(expected.customerRegionsTable());
                    Map<String, String> windows = query(b, JoinsTopology.ORDERS_PER_MINUTE_STORE);
                    if (exactlyOnce) {
                        assertThat(windows).as("orders-per-minute-store on B").isEqualTo(counts);
                    } else {
                        assertThat(windows.keySet()).as("orders-per-minute-store's windows on B")
                                .isEqualTo(counts.keySet());
                        counts.forEach((key, count) -> assertThat(Long.parseLong(windows.get(key)))
                                .as("orders-per-minute-store on B: %s (at least once)", key)
                                .isGreaterThanOrEqualTo(Long.parseLong(count)));
                    }
                });

        StreamsJoinsScenario.assertInternalTopicConfigs(admin, applicationId, minInsyncReplicas);
        StreamsJoinsScenario.awaitRepartitionTopicsPurged(admin, applicationId);
    }

    private static Map<String, String> settings(String bootstrap, String applicationId, String guarantee,
            Path stateDir, int replicationFactor, String minInsyncReplicas) {
        Map<String, String> settings = new HashMap<>(StreamsJoinsScenario.streamsSettings(bootstrap, applicationId,
                guarantee, stateDir.toString()));
        settings.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, Integer.toString(replicationFactor));
        settings.put("topic.min.insync.replicas", minInsyncReplicas);
        return settings;
    }

    private static boolean running(StreamsJoinsProcess instance) throws Exception {
        return "RUNNING".equals(instance.state().get("state"));
    }

    private static Set<String> activeTasks(StreamsJoinsProcess instance) throws Exception {
        String active = instance.state().getOrDefault("active", "");
        return active.isEmpty() ? Set.of() : new TreeSet<>(List.of(active.split(",")));
    }

    private static Map<String, String> query(StreamsJoinsProcess instance, String store) throws Exception {
        Optional<Map<String, String>> answer = instance.store(store);
        assertThat(answer).as("%s answers for %s", instance.name(), store).isPresent();
        return answer.get();
    }

    /** The instances' logs, kept in target/streams-logs/ for a look after the run. */
    private static void keepLogs(Path dir, String applicationId) {
        try {
            Path kept = Path.of("target", "streams-logs", applicationId);
            Files.createDirectories(kept);
            for (String name : List.of("instance-a.log", "instance-b.log")) {
                if (Files.exists(dir.resolve(name))) {
                    Files.copy(dir.resolve(name), kept.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (java.io.IOException e) {
            System.out.println("could not keep the instances' logs: " + e);
        }
    }
}
