package dev.runnel.clustertest;

import static dev.runnel.examples.streams.JoinsTopology.CUSTOMERS;
import static dev.runnel.examples.streams.JoinsTopology.CUSTOMER_REGIONS;
import static dev.runnel.examples.streams.JoinsTopology.ORDERS;
import static dev.runnel.examples.streams.JoinsTopology.ORDERS_ENRICHED;
import static dev.runnel.examples.streams.JoinsTopology.ORDERS_PER_MINUTE;
import static dev.runnel.examples.streams.JoinsTopology.ORDERS_WITH_CUSTOMER;
import static dev.runnel.examples.streams.JoinsTopology.ORDER_PAYMENTS;
import static dev.runnel.examples.streams.JoinsTopology.PAYMENTS;
import static dev.runnel.examples.streams.JoinsTopology.REGIONS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import dev.runnel.examples.streams.JoinsTopology;

/**
 * The input of {@code examples/streams-joins}' topology ({@link JoinsTopology}), the output it must
 * give (computed here from the input, without Kafka Streams) and the client side of a run: topics,
 * producing, waiting until the application has consumed its input, reading its output, and the
 * checks of its internal topics.
 *
 * <p>The input: 4 regions (one without customers), 9 customers (two in a region that does not
 * exist), 120 orders one second apart from a minute boundary (two count windows) by 11 customer ids
 * (two unknown), each with none, one or two payments, in or out of the 10 s join window, before or
 * after it, and some payments of no order. Every record has an explicit timestamp, so windows and
 * join results do not depend on when the test runs: the base time is the minute boundary 2 hours
 * before the run starts.
 */
final class StreamsJoinsScenario {

    static final Duration DEADLINE = Duration.ofSeconds(120);
    static final int PARTITIONS = 3;
    static final int ORDER_COUNT = 120;
    static final int CUSTOMER_IDS = 11; // c0..c10: c9 and c10 are not customers
    static final Map<String, String> REGION_NAMES = orderedMap("eu", "Europe", "us", "Americas", "ap", "Asia-Pacific",
            "af", "Africa");
    static final String[] NAMES = {"Ada", "Brian", "Carla", "Dmitri", "Edsger", "Frances", "Grace", "Hedy", "Ivan"};
    static final String[] REGION_OF_CUSTOMER = {"eu", "us", "ap", "xx"}; // xx: no such region

    private StreamsJoinsScenario() {
    }

    record Order(String id, String customer, int amount, long timestamp) {
        /** Its value in {@code orders} (keyed by order id). */
        String value() {
            return customer + "," + amount;
        }
    }

    record Payment(String orderId, String method, long timestamp) {
    }

    /** A record: key and value. */
    record KV(String key, String value) {
        @Override
        public String toString() {
            return key + "=" + value;
        }
    }

    record Input(long t0, Map<String, String> regions, Map<String, String> customers, List<Order> orders,
            List<Payment> payments) {

        static Input generate(long now) {
            long t0 = (now - Duration.ofHours(2).toMillis()) / 60_000 * 60_000;
            Map<String, String> customers = new LinkedHashMap<>();
            for (int c = 0; c < NAMES.length; c++) {
                customers.put("c" + c, NAMES[c] + "," + REGION_OF_CUSTOMER[c % REGION_OF_CUSTOMER.length]);
            }
            List<Order> orders = new ArrayList<>();
            List<Payment> payments = new ArrayList<>();
            for (int i = 0; i < ORDER_COUNT; i++) {
                long t = t0 + i * 1_000L;
                Order order = new Order(String.format(Locale.ROOT, "o%03d", i), "c" + (i % CUSTOMER_IDS),
                        (i * 37) % 100 + 1, t);
                orders.add(order);
                switch (i % 5) {
                    case 0 -> {
                        // never paid
                    }
                    case 1 -> payments.add(new Payment(order.id(), "card", t + 3_000)); // after, in the window
                    case 2 -> payments.add(new Payment(order.id(), "cash", t - 4_000)); // before, in the window
                    case 3 -> payments.add(new Payment(order.id(), "late", t + 30_000)); // outside the window
                    default -> { // two, both in the window; the second at its very edge
                        payments.add(new Payment(order.id(), "card", t + 1_000));
                        payments.add(new Payment(order.id(), "voucher", t + JoinsTopology.PAYMENT_WINDOW.toMillis()));
                    }
                }
                if (i % 20 == 7) {
                    payments.add(new Payment(String.format(Locale.ROOT, "x%03d", i), "orphan", t)); // of no order
                }
            }
            return new Input(t0, REGION_NAMES, customers, orders, payments);
        }

        /** The orders [from, to). */
        List<ProducerRecord<String, String>> orders(int from, int to) {
            return orders.subList(from, to).stream().map(order -> new ProducerRecord<>(ORDERS, null,
                    order.timestamp(), order.id(), order.value())).toList();
        }

        /**
         * The payments sent in a run's first phase, with the orders [0, phaseOne): those of these
         * orders (and the orphan ones of the same indexes) that are not younger than order {@code
         * phaseOne}, so that the join's stream time stays behind the orders of the second phase.
         * (Kafka Streams emits a record without partner at once, not when its window closes, if it
         * comes when stream time has already passed its window: an order that came after a much
         * younger payment would come out alone, and joined as well once its own payment came.)
         */
        List<ProducerRecord<String, String>> firstPayments(int phaseOne) {
            return paymentRecords(phaseOne, true);
        }

        /** Every payment {@link #firstPayments} leaves out: sent once all the orders are processed. */
        List<ProducerRecord<String, String>> otherPayments(int phaseOne) {
            return paymentRecords(phaseOne, false);
        }

        private List<ProducerRecord<String, String>> paymentRecords(int phaseOne, boolean first) {
            long notAfter = phaseOne < orders.size() ? orders.get(phaseOne).timestamp() : Long.MAX_VALUE;
            List<ProducerRecord<String, String>> records = new ArrayList<>();
            for (int i = 0; i < orders.size(); i++) {
                String id = orders.get(i).id();
                String orphan = "x" + id.substring(1);
                for (Payment payment : payments) {
                    if (payment.orderId().equals(id) || payment.orderId().equals(orphan)) {
                        boolean inFirst = i < phaseOne && payment.timestamp() <= notAfter;
                        if (inFirst == first) {
                            records.add(new ProducerRecord<>(PAYMENTS, null, payment.timestamp(), payment.orderId(),
                                    payment.method()));
                        }
                    }
                }
            }
            return records;
        }

        /**
         * A payment of no order to every partition of {@code payments} (one per join task), 70 minutes after the input
         * started (and still in the past: brokers refuse timestamps more than an hour ahead): it
         * moves the join's stream time past every window's close (window + 1 h grace), so that the
         * outer join emits the orders and payments left without partner. Sent only once everything
         * else has been consumed, so that nothing else comes late.
         */
        List<ProducerRecord<String, String>> windowClosers() {
            List<ProducerRecord<String, String>> records = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) {
                records.add(new ProducerRecord<>(PAYMENTS, p, t0 + Duration.ofMinutes(70).toMillis(), "close-" + p,
                        "close"));
            }
            return records;
        }
    }

    /**
     * What each output topic must hold (each record once, in any order across keys), and the
     * count per window (the last update of each key; the updates of a key are 1, 2, ..., n).
     */
    record Expected(List<KV> enriched, List<KV> withCustomer, List<KV> orderPayments, List<KV> customerRegions,
            Map<String, Long> counts) {

        static Expected of(Input input) {
            List<KV> enriched = new ArrayList<>();
            List<KV> withCustomer = new ArrayList<>();
            Map<String, Long> counts = new TreeMap<>();
            for (Order order : input.orders()) {
                String customer = input.customers().get(order.customer());
                String name = customer == null ? null : customer.split(",")[0];
                String byCustomer = order.id() + "," + order.amount();
                if (name != null) {
                    enriched.add(new KV(order.customer(), byCustomer + "," + name));
                }
                withCustomer.add(new KV(order.customer(), byCustomer + "," + (name == null ? "?" : name)));
                long windowStart = order.timestamp() - order.timestamp() % JoinsTopology.COUNT_WINDOW.toMillis();
                counts.merge(JoinsTopology.windowKey(order.customer(), windowStart), 1L, Long::sum);
            }
            // The outer join: each order with each payment of its id at most 10 s away (both bounds included),
            // an order with none alone, and a payment with no order alone.
            long window = JoinsTopology.PAYMENT_WINDOW.toMillis();
            List<KV> orderPayments = new ArrayList<>();
            for (Order order : input.orders()) {
                List<Payment> partners = input.payments().stream().filter(p -> p.orderId().equals(order.id())
                        && Math.abs(p.timestamp() - order.timestamp()) <= window).toList();
                String left = order.customer() + "," + order.amount();
                if (partners.isEmpty()) {
                    orderPayments.add(new KV(order.id(), left + "|-"));
                }
                partners.forEach(p -> orderPayments.add(new KV(order.id(), left + "|" + p.method())));
            }
            for (Payment payment : input.payments()) {
                boolean partnered = input.orders().stream().anyMatch(o -> o.id().equals(payment.orderId())
                        && Math.abs(payment.timestamp() - o.timestamp()) <= window);
                if (!partnered) {
                    orderPayments.add(new KV(payment.orderId(), "-|" + payment.method()));
                }
            }
            List<KV> customerRegions = new ArrayList<>();
            input.customers().forEach((id, customer) -> {
                String[] fields = customer.split(",");
                String region = input.regions().get(fields[1]);
                if (region != null) {
                    customerRegions.add(new KV(id, fields[0] + "@" + region));
                }
            });
            return new Expected(enriched, withCustomer, orderPayments, customerRegions, counts);
        }

        /** The foreign-key join's table: customer id to "name@region". */
        Map<String, String> customerRegionsTable() {
            return customerRegions.stream().collect(Collectors.toMap(KV::key, KV::value, (a, b) -> b, TreeMap::new));
        }

        int countUpdates() {
            return (int) counts.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /** The outputs read back, each topic's records in offset order per partition. */
    record Output(List<KV> enriched, List<KV> withCustomer, List<KV> orderPayments, List<KV> customerRegions,
            List<KV> countUpdates) {

        static Output read(String bootstrap) {
            return new Output(readCommitted(bootstrap, ORDERS_ENRICHED), readCommitted(bootstrap, ORDERS_WITH_CUSTOMER),
                    readCommitted(bootstrap, ORDER_PAYMENTS), readCommitted(bootstrap, CUSTOMER_REGIONS),
                    readCommitted(bootstrap, ORDERS_PER_MINUTE));
        }

        boolean complete(Expected expected) {
            return enriched.size() >= expected.enriched().size()
                    && withCustomer.size() >= expected.withCustomer().size()
                    && orderPayments.size() >= expected.orderPayments().size()
                    && customerRegions.size() >= expected.customerRegions().size()
                    && countUpdates.size() >= expected.countUpdates();
        }

        Map<String, List<Long>> countsByKey() {
            Map<String, List<Long>> byKey = new TreeMap<>();
            countUpdates.forEach(kv -> byKey.computeIfAbsent(kv.key(), k -> new ArrayList<>())
                    .add(Long.valueOf(kv.value())));
            return byKey;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d enriched, %d with customer, %d order-payments, %d customer-regions, "
                    + "%d count updates", enriched.size(), withCustomer.size(), orderPayments.size(),
                    customerRegions.size(), countUpdates.size());
        }
    }

    // ---- checks ------------------------------------------------------------------------------

    /** Every output exactly as expected: each record once (exactly once, or at least once with no failure). */
    static void assertExact(Output output, Expected expected) {
        assertThat(output.enriched()).as("orders JOIN customers (KStream-KTable inner join)")
                .containsExactlyInAnyOrderElementsOf(expected.enriched());
        assertThat(output.withCustomer()).as("orders LEFT JOIN customers (KStream-KTable left join)")
                .containsExactlyInAnyOrderElementsOf(expected.withCustomer());
        assertThat(output.orderPayments()).as("orders OUTER JOIN payments (KStream-KStream, 10 s window)")
                .containsExactlyInAnyOrderElementsOf(expected.orderPayments());
        assertThat(output.customerRegions()).as("customers JOIN regions (KTable-KTable foreign-key join)")
                .containsExactlyInAnyOrderElementsOf(expected.customerRegions());
        Map<String, List<Long>> counts = output.countsByKey();
        assertThat(counts.keySet()).as("the count's windows").containsExactlyElementsOf(expected.counts().keySet());
        expected.counts().forEach((key, count) -> assertThat(counts.get(key))
                .as("the updates of the count of %s: one per order, in order", key)
                .containsExactlyElementsOf(rangeClosed(count)));
    }

    /**
     * At least once: every expected record is there (as many times as expected, or more), nothing
     * else is, and each window's last count is at least the expected one (an order processed again
     * after a crash counts again).
     */
    static void assertNoneMissing(Output output, Expected expected) {
        assertSuperset("orders JOIN customers", output.enriched(), expected.enriched());
        assertSuperset("orders LEFT JOIN customers", output.withCustomer(), expected.withCustomer());
        assertSuperset("orders OUTER JOIN payments", output.orderPayments(), expected.orderPayments());
        assertSuperset("customers JOIN regions", output.customerRegions(), expected.customerRegions());
        Map<String, List<Long>> counts = output.countsByKey();
        assertThat(counts.keySet()).as("the count's windows").containsExactlyElementsOf(expected.counts().keySet());
        expected.counts().forEach((key, count) -> {
            List<Long> updates = counts.get(key);
            assertThat(updates.get(updates.size() - 1)).as("the last count of %s (at least once)", key)
                    .isGreaterThanOrEqualTo(count);
            assertThat(updates).as("the counts of %s never go down", key).isSorted();
        });
    }

    private static void assertSuperset(String join, List<KV> actual, List<KV> expected) {
        Map<KV, Long> actualCounts = actual.stream().collect(Collectors.groupingBy(Function.identity(),
                Collectors.counting()));
        Map<KV, Long> expectedCounts = expected.stream().collect(Collectors.groupingBy(Function.identity(),
                Collectors.counting()));
        assertThat(actualCounts.keySet()).as("%s: the distinct records", join)
                .containsExactlyInAnyOrderElementsOf(expectedCounts.keySet());
        expectedCounts.forEach((kv, times) -> assertThat(actualCounts.get(kv))
                .as("%s: %s at least as often as expected", join, kv).isGreaterThanOrEqualTo(times));
    }

    /**
     * The application's internal topics carry the configs Kafka Streams 4.4 asked for when it created
     * them: repartition topics (and the foreign-key join's subscription topics) {@code delete} with
     * infinite retention and 50 MB segments; changelogs of key-value stores {@code compact}; that of
     * the count's window store {@code compact,delete} with the store's retention plus a day, and those
     * of the stream-stream join's window stores (which keep duplicate keys) {@code delete} with that
     * retention (Streams' {@code StreamJoinedStoreFactory}). All are
     * CreateTime, with the partitions of the input and the {@code topic.*} settings the application
     * gave ({@code min.insync.replicas}).
     */
    static void assertInternalTopicConfigs(Admin admin, String applicationId, String minInsyncReplicas)
            throws Exception {
        Set<String> internal = internalTopics(admin, applicationId);
        String prefix = applicationId + "-";
        assertThat(internal).as("the internal topics").containsExactlyInAnyOrder(
                prefix + JoinsTopology.ORDERS_BY_CUSTOMER + "-repartition",
                prefix + "customers-regions-subscription-registration-topic",
                prefix + "customers-regions-subscription-response-topic",
                prefix + JoinsTopology.REGIONS_STORE + "-changelog",
                prefix + JoinsTopology.CUSTOMERS_STORE + "-changelog",
                prefix + JoinsTopology.CUSTOMER_REGIONS_STORE + "-changelog",
                prefix + "customers-regions-subscription-store-changelog",
                prefix + JoinsTopology.ORDERS_PER_MINUTE_STORE + "-changelog",
                prefix + "orders-payments-outer-this-join-store-changelog",
                prefix + "orders-payments-outer-other-join-store-changelog",
                prefix + "orders-payments-outer-shared-join-store-changelog");
        Map<String, TopicDescription> descriptions = admin.describeTopics(internal).allTopicNames()
                .get(30, TimeUnit.SECONDS);
        List<ConfigResource> resources = internal.stream()
                .map(topic -> new ConfigResource(ConfigResource.Type.TOPIC, topic)).toList();
        Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get(30, TimeUnit.SECONDS);
        // Window stores keep their windows' size (or the join's two sides) plus the grace; their changelogs a day more.
        long day = Duration.ofDays(1).toMillis();
        long grace = JoinsTopology.GRACE.toMillis();
        long countRetention = JoinsTopology.COUNT_WINDOW.toMillis() + grace + day;
        long joinRetention = 2 * JoinsTopology.PAYMENT_WINDOW.toMillis() + grace + day;
        Map<String, Map<String, String>> expectedConfigs = new TreeMap<>();
        Map<String, Map<String, String>> actualConfigs = new TreeMap<>();
        for (ConfigResource resource : resources) {
            String topic = resource.name();
            Config config = configs.get(resource);
            Map<String, String> expected = new TreeMap<>();
            expected.put(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "CreateTime");
            if (minInsyncReplicas != null) {
                expected.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, minInsyncReplicas);
            }
            if (topic.endsWith("-repartition") || topic.endsWith("-topic")) {
                expected.put(TopicConfig.CLEANUP_POLICY_CONFIG, "delete");
                expected.put(TopicConfig.RETENTION_MS_CONFIG, "-1");
                expected.put(TopicConfig.SEGMENT_BYTES_CONFIG, "52428800");
            } else if (topic.endsWith(JoinsTopology.ORDERS_PER_MINUTE_STORE + "-changelog")) {
                expected.put(TopicConfig.CLEANUP_POLICY_CONFIG, "compact,delete");
                expected.put(TopicConfig.RETENTION_MS_CONFIG, Long.toString(countRetention));
            } else if (topic.endsWith("-this-join-store-changelog") || topic.endsWith("-other-join-store-changelog")) {
                // The stream-stream join's window stores keep duplicates: Streams asks for delete only.
                expected.put(TopicConfig.CLEANUP_POLICY_CONFIG, "delete");
                expected.put(TopicConfig.RETENTION_MS_CONFIG, Long.toString(joinRetention));
            } else {
                // Key-value stores, the outer join's store of the records without partner yet among them.
                expected.put(TopicConfig.CLEANUP_POLICY_CONFIG, "compact");
            }
            Map<String, String> actual = new TreeMap<>();
            expected.keySet().forEach(name -> actual.put(name, config.get(name) == null ? null
                    : config.get(name).value()));
            actual.put("partitions", Integer.toString(descriptions.get(topic).partitions().size()));
            expected.put("partitions", Integer.toString(PARTITIONS));
            expectedConfigs.put(topic, expected);
            actualConfigs.put(topic, actual);
        }
        assertThat(actualConfigs).as("the internal topics' configs").isEqualTo(expectedConfigs);
    }

    /**
     * Kafka Streams deletes what it has consumed and committed of its repartition topics
     * (DeleteRecords, every {@code repartition.purge.interval.ms}): every partition of them that
     * got records has its log start offset moved forward, never past the application's committed
     * offset.
     */
    static void awaitRepartitionTopicsPurged(Admin admin, String applicationId) throws Exception {
        List<String> repartition = internalTopics(admin, applicationId).stream()
                .filter(t -> t.endsWith("-repartition") || t.endsWith("-topic")).toList();
        List<TopicPartition> partitions = new ArrayList<>();
        repartition.forEach(topic -> {
            for (int p = 0; p < PARTITIONS; p++) {
                partitions.add(new TopicPartition(topic, p));
            }
        });
        Map<TopicPartition, Long> latest = offsets(admin, partitions, OffsetSpec.latest());
        List<TopicPartition> withRecords = partitions.stream().filter(tp -> latest.get(tp) > 0).toList();
        assertThat(withRecords).as("repartition topic partitions that got records").isNotEmpty();
        Map<TopicPartition, Long> lastEarliest = new TreeMap<>(java.util.Comparator.comparing(TopicPartition::toString));
        try {
            await("every repartition topic partition purged by Kafka Streams (DeleteRecords)").atMost(DEADLINE)
                    .pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                        Map<TopicPartition, Long> earliest = offsets(admin, withRecords, OffsetSpec.earliest());
                        lastEarliest.putAll(earliest);
                        Map<TopicPartition, OffsetAndMetadata> committed = admin
                                .listConsumerGroupOffsets(applicationId).partitionsToOffsetAndMetadata()
                                .get(30, TimeUnit.SECONDS);
                        for (TopicPartition tp : withRecords) {
                            assertThat(committed.get(tp)).as("committed offset of %s", tp).isNotNull();
                            assertThat(earliest.get(tp)).as("log start offset of %s", tp).isPositive()
                                    .isLessThanOrEqualTo(committed.get(tp).offset());
                        }
                    });
        } finally {
            System.out.printf("Streams joins (%s): repartition log start offsets %s, log end offsets %s%n",
                    applicationId, lastEarliest, latest);
        }
    }

    static Set<String> internalTopics(Admin admin, String applicationId) throws Exception {
        return admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
                .filter(t -> t.startsWith(applicationId + "-")).collect(Collectors.toCollection(TreeSet::new));
    }

    // ---- clients -----------------------------------------------------------------------------

    static void createTopics(Admin admin, int replicationFactor, String minInsyncReplicas) throws Exception {
        List<String> topics = new ArrayList<>(JoinsTopology.INPUT_TOPICS);
        topics.addAll(JoinsTopology.OUTPUT_TOPICS);
        admin.createTopics(topics.stream().map(name -> {
            NewTopic topic = new NewTopic(name, PARTITIONS, (short) replicationFactor);
            return minInsyncReplicas == null ? topic
                    : topic.configs(Map.of(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, minInsyncReplicas));
        }).toList()).all().get(30, TimeUnit.SECONDS);
    }

    static KafkaProducer<String, String> producer(String bootstrap) {
        Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 90_000);
        return new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
    }

    /**
     * Sends {@code records} and waits until every one is acknowledged: in order within each
     * partition (the producer is idempotent, so its batches in flight keep their order).
     */
    static void send(KafkaProducer<String, String> producer, List<ProducerRecord<String, String>> records)
            throws Exception {
        List<java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata>> sent = new ArrayList<>();
        for (ProducerRecord<String, String> record : records) {
            sent.add(producer.send(record));
        }
        producer.flush();
        for (java.util.concurrent.Future<org.apache.kafka.clients.producer.RecordMetadata> ack : sent) {
            ack.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        }
    }

    /** The regions, then the customers. */
    static List<ProducerRecord<String, String>> tables(Input input) {
        List<ProducerRecord<String, String>> records = new ArrayList<>();
        input.regions().forEach((code, name) -> records.add(new ProducerRecord<>(REGIONS, null,
                input.t0() - 120_000, code, name)));
        input.customers().forEach((id, customer) -> records.add(new ProducerRecord<>(CUSTOMERS, null,
                input.t0() - 60_000, id, customer)));
        return records;
    }

    /**
     * Waits until the application has consumed and committed everything in {@code topics}: its
     * committed offset of each partition is at least the offset after the last record there (a
     * transaction's marker after it is not waited for).
     */
    static void awaitConsumed(Admin admin, String bootstrap, String applicationId, List<String> topics) {
        await("the application consumed and committed " + topics).atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
                .ignoreExceptions().untilAsserted(() -> {
                    Map<TopicPartition, Long> ends = afterLastRecord(bootstrap, topics);
                    Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(applicationId)
                            .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
                    ends.forEach((tp, end) -> {
                        if (end > 0) {
                            assertThat(committed.get(tp)).as("committed offset of %s", tp).isNotNull();
                            assertThat(committed.get(tp).offset()).as("committed offset of %s", tp)
                                    .isGreaterThanOrEqualTo(end);
                        }
                    });
                });
    }

    /** Waits until the application has processed (and committed) the orders: the outer join holds them all. */
    static void awaitOrdersJoined(Admin admin, String bootstrap, String applicationId) {
        awaitConsumed(admin, bootstrap, applicationId, List.of(ORDERS));
    }

    /** Per partition of {@code topics}: the offset after its last committed record (0 if it has none). */
    private static Map<TopicPartition, Long> afterLastRecord(String bootstrap, List<String> topics) {
        Map<TopicPartition, Long> ends = new HashMap<>();
        for (String topic : topics) {
            try (KafkaConsumer<String, String> consumer = consumer(bootstrap)) {
                List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                        .map(p -> new TopicPartition(topic, p.partition())).toList();
                partitions.forEach(tp -> ends.put(tp, 0L));
                readAll(consumer, partitions, record -> ends.merge(new TopicPartition(record.topic(),
                        record.partition()), record.offset() + 1, Math::max));
            }
        }
        return ends;
    }

    /** Everything committed in {@code topic}: each partition read read_committed up to its last stable offset. */
    static List<KV> readCommitted(String bootstrap, String topic) {
        List<KV> out = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = consumer(bootstrap)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            readAll(consumer, partitions, record -> out.add(new KV(record.key(), record.value())));
        }
        return out;
    }

    private static void readAll(KafkaConsumer<String, String> consumer, List<TopicPartition> partitions,
            java.util.function.Consumer<ConsumerRecord<String, String>> sink) {
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("could not read " + partitions + " to " + ends);
            }
            for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                if (record.offset() < ends.get(new TopicPartition(record.topic(), record.partition()))) {
                    sink.accept(record);
                }
            }
        }
    }

    private static KafkaConsumer<String, String> consumer(String bootstrap) {
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20_000);
        return new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer());
    }

    private static Map<TopicPartition, Long> offsets(Admin admin, List<TopicPartition> partitions, OffsetSpec spec)
            throws Exception {
        Map<TopicPartition, ListOffsetsResultInfo> answers = admin.listOffsets(partitions.stream()
                .collect(Collectors.toMap(Function.identity(), tp -> spec))).all().get(30, TimeUnit.SECONDS);
        Map<TopicPartition, Long> offsets = new HashMap<>();
        answers.forEach((tp, info) -> offsets.put(tp, info.offset()));
        return offsets;
    }

    /** The Streams settings every run of the tests uses, as {@code name=value} for the application. */
    static Map<String, String> streamsSettings(String bootstrap, String applicationId, String guarantee,
            String stateDir) {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("application.id", applicationId);
        settings.put("bootstrap.servers", bootstrap);
        settings.put("processing.guarantee", guarantee);
        settings.put("state.dir", stateDir);
        settings.put("commit.interval.ms", "100");
        settings.put("repartition.purge.interval.ms", "500");
        settings.put("consumer.session.timeout.ms", "6000");
        settings.put("consumer.heartbeat.interval.ms", "1000");
        settings.put("consumer.request.timeout.ms", "10000");
        return settings;
    }

    static String describe(Instant start) {
        return String.format(Locale.ROOT, "%.1f s", Duration.between(start, Instant.now()).toMillis() / 1000.0);
    }

    private static List<Long> rangeClosed(long to) {
        List<Long> range = new ArrayList<>();
        for (long i = 1; i <= to; i++) {
            range.add(i);
        }
        return range;
    }

    private static Map<String, String> orderedMap(String... keysAndValues) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }
}
