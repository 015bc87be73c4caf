package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.Joined;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.kstream.StreamJoined;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka Streams (the unmodified library from Maven Central) with {@code processing.guarantee=exactly_once_v2}
 * against a 3-broker cluster: a topology with a windowed KStream-KStream join (orders with their payments),
 * a repartition and a KStream-KTable join (the paid orders with their customer's region) and an aggregation
 * (count and sum per customer) writes exactly the output that the test computes on its own from its
 * deterministic, explicitly timestamped input, each record once, as read_committed consumers read it: once
 * on three in-JVM brokers, and once on three broker processes of which the one coordinating the
 * application's transactions gets a real {@code kill -9} while the application is processing, and is
 * restarted on its data before the run ends.
 *
 * <p>Streams drives every transactional API here: InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn,
 * TxnOffsetCommit, EndTxn, the coordinator's markers, and read_committed Fetch and ListOffsets (its own
 * consumers read the repartition topic read_committed). The state-store caches are off, so the
 * aggregation forwards one update per input record: per customer, the counts read back must be exactly 1,
 * 2, ..., n, with no update missing, repeated or out of order, and the sums must grow by exactly that
 * customer's order amounts. No stream thread may die on the way: the test replaces one that does, so that
 * the output can still be checked, and then fails.
 */
class StreamsExactlyOnceClusterTest {

    private static final Duration DEADLINE = Duration.ofSeconds(120);

    private static final String CUSTOMERS = "customers";
    private static final String ORDERS = "orders";
    private static final String PAYMENTS = "payments";
    private static final String PAID = "paid-orders";
    private static final String ENRICHED = "enriched-orders";
    private static final String TOTALS = "customer-totals";
    private static final List<String> TOPICS = List.of(CUSTOMERS, ORDERS, PAYMENTS, PAID, ENRICHED, TOTALS);
    private static final String CUSTOMER_STORE = "customers-store";

    private static final int CUSTOMER_COUNT = 10;
    /** Orders go to customers c0..c10; c10 is in no table, so its orders are dropped by the inner table join. */
    private static final int CUSTOMER_SPREAD = CUSTOMER_COUNT + 1;
    private static final int ORDER_COUNT = 150;
    /** Orders [0, PHASE_ONE) are produced before the fault, the rest while and after it happens. */
    private static final int PHASE_ONE = 50;
    private static final Duration JOIN_WINDOW = Duration.ofSeconds(10);
    /** Longer than the whole input's time span: no record is ever late, so the join drops nothing. */
    private static final Duration JOIN_GRACE = Duration.ofHours(1);
    private static final String[] REGIONS = {"EU", "US", "APAC"};

    private static final String[] BROKER_ARGS = {"--runnel.broker.transaction-state-log.partitions=3",
        "--runnel.broker.offsets-topic.partitions=3", "--runnel.broker.group.initial-rebalance-delay=0s"};

    @Test
    void theTopologysOutputIsExactlyTheExpectedOneOnThreeInJvmBrokers(@TempDir Path stateDir) throws Exception {
        try (InJvmCluster cluster = new InJvmCluster()) {
            cluster.startControllerAndBrokers(3, BROKER_ARGS);
            String bootstrap = cluster.bootstrap(1, 2, 3);
            try (Admin admin = KafkaClients.admin(bootstrap)) {
                run(bootstrap, admin, stateDir, "streams-eos-in-jvm", appId -> {
                }, () -> {
                });
            }
        }
    }

    @Test
    void andStaysExactWhenTheApplicationsTransactionCoordinatorIsKilledMinus9MidRun(@TempDir Path stateDir)
            throws Exception {
        try (FaultCluster cluster = new FaultCluster("streams-exactly-once", Duration.ofSeconds(6), BROKER_ARGS)) {
            cluster.start(1, 3, DEADLINE);
            String bootstrap = cluster.bootstrap(cluster.brokerIds());
            int[] killed = {-1};
            run(bootstrap, cluster.admin(), stateDir, "streams-eos-kill", appId -> {
                int committedBefore = readCommitted(bootstrap, TOTALS).size();
                assertThat(committedBefore).as("committed aggregation updates when the broker is killed: mid-run")
                        .isPositive().isLessThan(Expected.of(Input.generate(0)).enriched().size());
                int coordinator = transactionCoordinator(cluster.admin(), appId);
                int groupCoordinator = cluster.admin().describeConsumerGroups(List.of(appId)).all()
                        .get(30, TimeUnit.SECONDS).get(appId).coordinator().id();
                System.out.printf("Streams EOS: kill -9 of broker %d, the coordinator of %s's transactions "
                        + "(its group coordinator is broker %d), with %d aggregation updates committed%n", coordinator,
                        appId, groupCoordinator, committedBefore);
                cluster.kill(FaultCluster.brokerName(coordinator));
                killed[0] = coordinator;
            }, () -> {
                System.out.printf("Streams EOS: broker %d restarts on its data%n", killed[0]);
                cluster.restartOnItsKafkaPort(killed[0]);
                for (String topic : List.of(PAID, ENRICHED, TOTALS)) {
                    cluster.awaitFullIsr(topic, 3, DEADLINE); // it caught up on the transactions it missed
                }
            });
        }
    }

    // ---- the run ----------------------------------------------------------------------------

    /** Something done to the cluster mid-run: given the application id. */
    @FunctionalInterface
    private interface Fault {
        void inject(String applicationId) throws Exception;
    }

    @FunctionalInterface
    private interface Recovery {
        void recover() throws Exception;
    }

    /**
     * Creates the topics, loads the customers, starts the application, produces the first orders and
     * payments, waits until some output is committed, then produces the rest from another thread while
     * {@code fault} acts, {@code recovery} once they are all produced; then waits for the whole output,
     * closes the application and compares what read_committed consumers read with the expected output.
     */
    private static void run(String bootstrap, Admin admin, Path stateDir, String applicationId, Fault fault,
            Recovery recovery) throws Exception {
        try (QuietClientLogs quiet = QuietClientLogs.install()) {
            runQuietly(bootstrap, admin, stateDir, applicationId, fault, recovery);
        }
    }

    private static void runQuietly(String bootstrap, Admin admin, Path stateDir, String applicationId, Fault fault,
            Recovery recovery) throws Exception {
        createTopics(admin);
        Input input = Input.generate(System.currentTimeMillis() - Duration.ofMinutes(10).toMillis());
        Expected expected = Expected.of(input);
        assertThat(expected.paid()).as("the input exercises the join").hasSizeGreaterThan(ORDER_COUNT / 2);

        try (KafkaProducer<String, String> producer = inputProducer(bootstrap)) {
            for (Map.Entry<String, String> customer : input.customers().entrySet()) {
                producer.send(new ProducerRecord<>(CUSTOMERS, null, input.customersTimestamp(), customer.getKey(),
                        customer.getValue())).get(30, TimeUnit.SECONDS);
            }
        }

        List<Throwable> streamThreadErrors = new CopyOnWriteArrayList<>();
        KafkaStreams streams = new KafkaStreams(topology(), streamsConfig(bootstrap, applicationId, stateDir));
        ExecutorService phaseTwo = Executors.newSingleThreadExecutor();
        try {
            streams.setUncaughtExceptionHandler(e -> {
                streamThreadErrors.add(e);
                e.printStackTrace();
                return StreamThreadExceptionResponse.REPLACE_THREAD;
            });
            streams.start();
            // The table is whole before the first order comes: the table join's result does not depend on timing.
            await("the application runs and has read every customer").atMost(DEADLINE)
                    .pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> streams.state() == KafkaStreams.State.RUNNING && customersLoaded(streams));

            try (KafkaProducer<String, String> producer = inputProducer(bootstrap)) {
                produce(producer, input, 0, PHASE_ONE);
            }
            await("output of the first orders is committed").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
                    .until(() -> readCommitted(bootstrap, TOTALS).size() >= expected.enrichedBefore(PHASE_ONE) / 2);

            Future<?> rest = phaseTwo.submit(() -> {
                try (KafkaProducer<String, String> producer = inputProducer(bootstrap)) {
                    produce(producer, input, PHASE_ONE, ORDER_COUNT);
                }
                return null;
            });
            fault.inject(applicationId);
            rest.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
            recovery.recover();

            await("the whole output is committed").atMost(DEADLINE).pollInterval(Duration.ofMillis(500))
                    .until(() -> readCommitted(bootstrap, TOTALS).size() >= expected.enriched().size()
                            && readCommitted(bootstrap, PAID).size() >= expected.paid().size());
        } finally {
            phaseTwo.shutdownNow();
            streams.close(Duration.ofSeconds(60));
        }

        List<Out> paid = readCommitted(bootstrap, PAID);
        List<Out> enriched = readCommitted(bootstrap, ENRICHED);
        List<Out> totals = readCommitted(bootstrap, TOTALS);
        System.out.printf("Streams EOS (%s): %d paid orders, %d enriched, %d total updates; stream thread errors: %s%n",
                applicationId, paid.size(), enriched.size(), totals.size(), streamThreadErrors);

        assertThat(paid).as("the windowed stream-stream join's output, each record once")
                .containsExactlyInAnyOrderElementsOf(expected.paid());
        assertThat(enriched).as("the stream-table join's output, each record once")
                .containsExactlyInAnyOrderElementsOf(expected.enriched());
        Map<String, List<Out>> updatesByCustomer = totals.stream()
                .collect(Collectors.groupingBy(Out::key, TreeMap::new, Collectors.toList()));
        assertThat(updatesByCustomer.keySet()).as("the customers with totals")
                .containsExactlyInAnyOrderElementsOf(expected.totals().keySet());
        for (Map.Entry<String, List<Out>> customer : updatesByCustomer.entrySet()) {
            String id = customer.getKey();
            List<Out> updates = customer.getValue();
            List<Integer> counts = updates.stream().map(u -> Integer.parseInt(u.value().split(",")[0])).toList();
            List<Integer> increments = new ArrayList<>();
            int previousSum = 0;
            for (Out update : updates) {
                int sum = Integer.parseInt(update.value().split(",")[1]);
                increments.add(sum - previousSum);
                previousSum = sum;
            }
            assertThat(counts).as("%s's counts: one update per order, none lost or repeated", id)
                    .containsExactlyElementsOf(rangeClosed(1, expected.amounts().get(id).size()));
            assertThat(increments).as("%s's sums grow by its orders' amounts", id)
                    .containsExactlyInAnyOrderElementsOf(expected.amounts().get(id));
            assertThat(updates.get(updates.size() - 1).value()).as("%s's final total", id)
                    .isEqualTo(expected.totals().get(id));
        }
        // A dead thread is replaced and its transaction aborted, so the output above stays exact; but an
        // application with the default handler (SHUTDOWN_CLIENT) would have stopped.
        assertThat(streamThreadErrors).as("stream threads that died (each replaced, its transaction aborted)")
                .isEmpty();
    }

    private static Topology topology() {
        StreamsBuilder builder = new StreamsBuilder();
        KTable<String, String> customers = builder.table(CUSTOMERS,
                Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as(CUSTOMER_STORE));
        KStream<String, String> orders = builder.stream(ORDERS);
        KStream<String, String> payments = builder.stream(PAYMENTS);

        // (b) the windowed stream-stream join, by order id: "customer,amount" with "method".
        KStream<String, String> paid = orders.join(payments, (order, method) -> order + "," + method,
                JoinWindows.ofTimeDifferenceAndGrace(JOIN_WINDOW, JOIN_GRACE), StreamJoined.as("orders-payments"));
        paid.to(PAID);

        // (a) re-keyed by customer, through a repartition topic, joined with the customers table.
        KStream<String, String> enriched = paid
                .map((orderId, value) -> {
                    String[] fields = value.split(",");
                    return KeyValue.pair(fields[0], orderId + "," + fields[1] + "," + fields[2]);
                })
                .repartition(Repartitioned.as("by-customer"))
                .join(customers, (order, region) -> {
                    String[] fields = order.split(",");
                    return fields[0] + "," + region + "," + fields[1] + "," + fields[2];
                }, Joined.as("orders-customers"));
        enriched.to(ENRICHED);

        // (c) count and sum of the amounts per customer.
        enriched.groupByKey()
                .aggregate(() -> "0,0", (customer, order, total) -> {
                    String[] t = total.split(",");
                    int amount = Integer.parseInt(order.split(",")[2]);
                    return (Integer.parseInt(t[0]) + 1) + "," + (Integer.parseInt(t[1]) + amount);
                }, Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as("customer-totals-store"))
                .toStream()
                .to(TOTALS);
        return builder.build();
    }

    private static Properties streamsConfig(String bootstrap, String applicationId, Path stateDir) {
        Properties config = new Properties();
        config.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        config.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        config.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        config.put(StreamsConfig.GROUP_PROTOCOL_CONFIG, "classic");
        config.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
        config.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 3);
        config.put(StreamsConfig.topicPrefix(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG), "2");
        // No caches: the aggregation forwards every update, so each one can be checked.
        config.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        config.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        config.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        config.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        // A replaced thread's consumer does not leave the group: its session expires first (45 s by default).
        config.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 10_000);
        config.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 1_000);
        return config;
    }

    private static boolean customersLoaded(KafkaStreams streams) {
        ReadOnlyKeyValueStore<String, String> store = streams.store(StoreQueryParameters.fromNameAndType(
                CUSTOMER_STORE, QueryableStoreTypes.keyValueStore()));
        int count = 0;
        try (var all = store.all()) {
            while (all.hasNext()) {
                all.next();
                count++;
            }
        }
        return count == CUSTOMER_COUNT;
    }

    /** The broker coordinating the transactions of the application's (one) stream thread's producer. */
    private static int transactionCoordinator(Admin admin, String applicationId) throws Exception {
        List<String> ids = admin.listTransactions().all().get(30, TimeUnit.SECONDS).stream()
                .map(TransactionListing::transactionalId).filter(id -> id.startsWith(applicationId + "-")).toList();
        assertThat(ids).as("the application's transactional ids").hasSize(1);
        TransactionDescription description = admin.describeTransactions(ids).all().get(30, TimeUnit.SECONDS)
                .get(ids.get(0));
        return description.coordinatorId();
    }

    /**
     * The clients' INFO lines that would bury the brokers' (a config dump per client, a line per
     * partition added to each transaction) at WARN while a run lasts; set after the in-JVM
     * brokers started, since each Spring Boot context start resets the levels.
     */
    private static final class QuietClientLogs implements AutoCloseable {

        private static final List<String> LOGGERS = List.of("org.apache.kafka.common.config.AbstractConfig",
                "org.apache.kafka.common.utils.AppInfoParser", "org.apache.kafka.common.metrics.Metrics",
                "org.apache.kafka.clients.Metadata", "org.apache.kafka.clients.FetchSessionHandler",
                "org.apache.kafka.clients.producer.internals.TransactionManager",
                "org.apache.kafka.clients.consumer.internals.ConsumerCoordinator",
                "org.apache.kafka.clients.consumer.internals.SubscriptionState");

        private final Map<ch.qos.logback.classic.Logger, ch.qos.logback.classic.Level> previous = new HashMap<>();

        static QuietClientLogs install() {
            QuietClientLogs quiet = new QuietClientLogs();
            for (String name : LOGGERS) {
                if (org.slf4j.LoggerFactory.getLogger(name) instanceof ch.qos.logback.classic.Logger logger) {
                    quiet.previous.put(logger, logger.getLevel());
                    logger.setLevel(ch.qos.logback.classic.Level.WARN);
                }
            }
            return quiet;
        }

        @Override
        public void close() {
            previous.forEach(ch.qos.logback.classic.Logger::setLevel);
        }
    }

    // ---- input and expected output ----------------------------------------------------------

    private record Order(String id, String customer, int amount, long timestamp) {
    }

    private record Payment(String orderId, String method, long timestamp) {
    }

    /** The input: customers, and orders each with zero, one or two payments at set times around it. */
    private record Input(Map<String, String> customers, long customersTimestamp, List<Order> orders,
            Map<String, List<Payment>> payments) {

        static Input generate(long t0) {
            Map<String, String> customers = new LinkedHashMap<>();
            for (int c = 0; c < CUSTOMER_COUNT; c++) {
                customers.put("c" + c, REGIONS[c % REGIONS.length]);
            }
            List<Order> orders = new ArrayList<>();
            Map<String, List<Payment>> payments = new HashMap<>();
            for (int i = 0; i < ORDER_COUNT; i++) {
                long t = t0 + i * 1_000L;
                Order order = new Order(String.format(Locale.ROOT, "o%03d", i), "c" + (i % CUSTOMER_SPREAD),
                        (i * 37) % 100 + 1, t);
                orders.add(order);
                List<Payment> forOrder = switch (i % 5) {
                    case 0 -> List.of(); // never paid
                    case 1 -> List.of(new Payment(order.id(), "card", t + 3_000)); // paid after, in the window
                    case 2 -> List.of(new Payment(order.id(), "cash", t - 4_000)); // paid before, in the window
                    case 3 -> List.of(new Payment(order.id(), "late", t + 30_000)); // outside the window
                    default -> List.of(new Payment(order.id(), "card", t + 1_000), // two, both in the window
                            new Payment(order.id(), "voucher", t + 9_000));
                };
                payments.put(order.id(), forOrder);
            }
            return new Input(customers, t0 - 60_000, orders, payments);
        }
    }

    /** A record read back: key, value and timestamp. */
    private record Out(String key, String value, long timestamp) {
    }

    /**
     * The expected output, computed from the input without Streams: each join result with the
     * timestamp Streams gives it (the later of the two joined records' for the windowed join, the
     * stream record's for the table join), the final total per customer, and each customer's
     * amounts (one aggregation update each).
     */
    private record Expected(List<Out> paid, List<Out> enriched, Map<String, String> totals,
            Map<String, List<Integer>> amounts, Map<String, Integer> orderIndex) {

        static Expected of(Input input) {
            List<Out> paid = new ArrayList<>();
            List<Out> enriched = new ArrayList<>();
            Map<String, List<Integer>> amounts = new TreeMap<>();
            Map<String, Integer> orderIndex = new HashMap<>();
            for (int i = 0; i < input.orders().size(); i++) {
                Order order = input.orders().get(i);
                for (Payment payment : input.payments().get(order.id())) {
                    if (Math.abs(payment.timestamp() - order.timestamp()) > JOIN_WINDOW.toMillis()) {
                        continue;
                    }
                    long timestamp = Math.max(order.timestamp(), payment.timestamp());
                    paid.add(new Out(order.id(), order.customer() + "," + order.amount() + "," + payment.method(),
                            timestamp));
                    String region = input.customers().get(order.customer());
                    if (region != null) {
                        Out out = new Out(order.customer(), order.id() + "," + region + "," + order.amount() + ","
                                + payment.method(), timestamp);
                        enriched.add(out);
                        orderIndex.put(out.value(), i);
                        amounts.computeIfAbsent(order.customer(), c -> new ArrayList<>()).add(order.amount());
                    }
                }
            }
            Map<String, String> totals = new TreeMap<>();
            amounts.forEach((customer, list) -> totals.put(customer,
                    list.size() + "," + list.stream().mapToInt(Integer::intValue).sum()));
            return new Expected(paid, enriched, totals, amounts, orderIndex);
        }

        /** How many enriched records the orders before {@code orders} give. */
        int enrichedBefore(int orders) {
            return (int) enriched.stream().filter(out -> orderIndex.get(out.value()) < orders).count();
        }
    }

    // ---- clients ----------------------------------------------------------------------------

    private static void createTopics(Admin admin) throws Exception {
        List<NewTopic> topics = TOPICS.stream().map(name -> new NewTopic(name, 3, (short) 3)
                .configs(Map.of(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, "2"))).toList();
        admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
    }

    private static KafkaProducer<String, String> inputProducer(String bootstrap) {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 90_000);
        return new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
    }

    /** Orders [from, to) and their payments, each acknowledged before the next is sent. */
    private static void produce(KafkaProducer<String, String> producer, Input input, int from, int to)
            throws Exception {
        for (Order order : input.orders().subList(from, to)) {
            producer.send(new ProducerRecord<>(ORDERS, null, order.timestamp(), order.id(),
                    order.customer() + "," + order.amount())).get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
            for (Payment payment : input.payments().get(order.id())) {
                producer.send(new ProducerRecord<>(PAYMENTS, null, payment.timestamp(), payment.orderId(),
                        payment.method())).get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
            }
        }
    }

    /** Everything committed in {@code topic}: each partition read read_committed up to its last stable offset. */
    private static List<Out> readCommitted(String bootstrap, String topic) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20_000);
        List<Out> out = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(),
                new StringDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic + " to " + ends);
                }
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.offset() < ends.get(new TopicPartition(record.topic(), record.partition()))) {
                        out.add(new Out(record.key(), record.value(), record.timestamp()));
                    }
                }
            }
        }
        return out;
    }

    private static List<Integer> rangeClosed(int from, int to) {
        List<Integer> range = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            range.add(i);
        }
        return range;
    }
}
