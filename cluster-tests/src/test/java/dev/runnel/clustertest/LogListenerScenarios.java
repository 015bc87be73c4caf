package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.kafka.listener.ListenerExecutionFailedException;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.kafka.support.converter.ConversionException;

import dev.runnel.client.autoconfigure.LogListenerAutoConfiguration;
import dev.runnel.client.autoconfigure.RunnelClientAutoConfiguration;
import dev.runnel.client.core.LogTemplate;
import dev.runnel.client.core.SendResult;
import dev.runnel.client.listener.Acknowledgment;
import dev.runnel.client.listener.LogKey;
import dev.runnel.client.listener.LogListener;
import dev.runnel.client.listener.LogListenerContainer;
import dev.runnel.client.listener.LogListenerEndpointRegistry;
import dev.runnel.client.listener.LogOffset;
import dev.runnel.client.listener.LogPartition;
import dev.runnel.client.listener.LogSeekAware;
import dev.runnel.client.listener.SeekCallback;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * The Spring Boot starter against a real cluster: applications with {@code LogTemplate} and
 * {@code @LogListener} beans, started and stopped as a user's would be. The scenarios only know a
 * bootstrap address, so they run against Runnel ({@link LogListenerClusterTest}) and unchanged
 * against Apache Kafka ({@link LogListenerOnKafkaTest}).
 */
abstract class LogListenerScenarios extends StarterScenarios {

    record Order(String id, int quantity) {
    }

    private static void sendAll(LogTemplate template, String topic, List<?> payloads) throws Exception {
        List<CompletableFuture<SendResult>> sent = new ArrayList<>();
        for (int i = 0; i < payloads.size(); i++) {
            sent.add(template.send(topic, "key-" + i, payloads.get(i)));
        }
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    }

    private static LogListenerContainer container(ConfigurableApplicationContext app, String id) {
        return app.getBean(LogListenerEndpointRegistry.class).getListenerContainer(id);
    }

    // ---------------------------------------------------------------- every record once, three threads

    @SpringBootConfiguration
    @ImportAutoConfiguration({RunnelClientAutoConfiguration.class, LogListenerAutoConfiguration.class})
    static class OrdersApp {

        @Bean
        OrdersListener ordersListener() {
            return new OrdersListener();
        }

        @Bean
        MeterRegistry meterRegistry() {
            return new SimpleMeterRegistry();
        }
    }

    static class OrdersListener {

        final Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
        final Set<String> threads = ConcurrentHashMap.newKeySet();
        final AtomicInteger badKeys = new AtomicInteger();

        @LogListener(id = "orders", topics = "${it.orders.topic}", groupId = "#{'orders-' + '${it.orders.group}'}",
                concurrency = "3")
        void on(Order order, @LogKey String key, @LogPartition int partition, @LogOffset long offset) {
            if (!key.equals("key-" + order.id())) {
                badKeys.incrementAndGet();
            }
            seen.computeIfAbsent(partition + "@" + offset, k -> new AtomicInteger()).incrementAndGet();
            threads.add(Thread.currentThread().getName());
        }

        int total() {
            return seen.values().stream().mapToInt(AtomicInteger::get).sum();
        }
    }

    @Test
    void threeConsumersGetEveryRecordOfTwelvePartitionsOnceAndARestartResumesAtTheCommittedOffsets() throws Exception {
        createTopic("it-orders", 12);
        List<Order> first = IntStream.range(0, 1_200).mapToObj(i -> new Order(Integer.toString(i), i)).toList();
        try (ConfigurableApplicationContext app = app(OrdersApp.class, "it.orders.topic=it-orders", "it.orders.group=a")) {
            LogListenerContainer container = container(app, "orders");
            assertThat(container.concurrency()).isEqualTo(3);
            assertThat(container.endpoint().getGroupId()).isEqualTo("orders-a");
            await("the three consumers hold the 12 partitions").atMost(DEADLINE)
                    .until(() -> container.assignment().size() == 12);
            sendAll(app.getBean(LogTemplate.class), "it-orders", first);
            OrdersListener listener = app.getBean(OrdersListener.class);
            await("every record").atMost(DEADLINE).until(() -> listener.total() >= first.size());

            assertThat(listener.seen).hasSize(first.size());
            assertThat(listener.seen.values()).as("each exactly once").allMatch(count -> count.get() == 1);
            assertThat(listener.badKeys).hasValue(0);
            assertThat(listener.threads).hasSize(3);
            MeterRegistry meters = app.getBean(MeterRegistry.class);
            assertThat(meters.get("runnel.client.listener.invocations").tag("listener", "orders").tag("outcome", "success")
                    .timer().count()).isEqualTo(first.size());
            assertThat(meters.get("runnel.client.sends").tag("topic", "it-orders").timer().count()).isEqualTo(first.size());
            await("the lag gauge falls to 0").atMost(DEADLINE).until(() -> meters.get("runnel.client.listener.lag")
                    .tag("listener", "orders").gauge().value() == 0.0);
            Health health = app.getBean("runnelHealthIndicator", HealthIndicator.class).health(true);
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(health.getDetails()).containsEntry("brokers", 1);
            assertThat(health.getDetails().get("listeners")).asString().contains("orders").contains("partitions=12");
        }
        assertThat(committedTotal("orders-a")).as("committed when the application stopped").isEqualTo(first.size());

        List<Order> second = IntStream.range(1_200, 1_320).mapToObj(i -> new Order(Integer.toString(i), i)).toList();
        try (ConfigurableApplicationContext app = app(OrdersApp.class, "it.orders.topic=it-orders", "it.orders.group=a")) {
            sendAll(app.getBean(LogTemplate.class), "it-orders", second);
            OrdersListener listener = app.getBean(OrdersListener.class);
            await("the new records").atMost(DEADLINE).until(() -> listener.total() >= second.size());
            assertThat(listener.total()).as("only the records after the committed offsets").isEqualTo(second.size());
        }
    }

    private long committedTotal(String group) throws Exception {
        return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS).values()
                .stream().mapToLong(OffsetAndMetadata::offset).sum();
    }

    // ---------------------------------------------------------------- retries, dead letters, poison

    @SpringBootConfiguration
    @ImportAutoConfiguration({RunnelClientAutoConfiguration.class, LogListenerAutoConfiguration.class})
    static class FailingApp {

        @Bean
        FailingListeners failingListeners() {
            return new FailingListeners();
        }
    }

    static class FailingListeners {

        final List<String> paid = new CopyOnWriteArrayList<>();
        final AtomicInteger badAttempts = new AtomicInteger();
        final List<Order> orders = new CopyOnWriteArrayList<>();

        @LogListener(topics = "it-payments", groupId = "payments")
        void pay(String payment) {
            if (payment.equals("bad")) {
                badAttempts.incrementAndGet();
                throw new IllegalStateException("cannot pay " + payment);
            }
            paid.add(payment);
        }

        @LogListener(topics = "it-poison", groupId = "poison")
        void order(Order order) {
            orders.add(order);
        }
    }

    @Test
    void aFailingRecordIsRetriedThenDeadLetteredAndAPoisonRecordGoesStraightThere() throws Exception {
        createTopic("it-payments", 3);
        createTopic("it-poison", 1);
        try (ConfigurableApplicationContext app = app(FailingApp.class, "runnel.client.listener.retry.max-attempts=4")) {
            LogTemplate template = app.getBean(LogTemplate.class);
            List<String> payments = new ArrayList<>();
            IntStream.range(0, 10).forEach(i -> payments.add("p" + i));
            payments.add(5, "bad");
            sendAll(template, "it-payments", payments);
            template.send("it-poison", "o-1", new Order("1", 1)).get(30, TimeUnit.SECONDS);
            template.send("it-poison", "o-2", "{not json").get(30, TimeUnit.SECONDS);
            template.send("it-poison", "o-3", new Order("3", 3)).get(30, TimeUnit.SECONDS);

            FailingListeners listeners = app.getBean(FailingListeners.class);
            await("the good payments").atMost(DEADLINE).until(() -> listeners.paid.size() == 10);
            await("the good orders").atMost(DEADLINE).until(() -> listeners.orders.size() == 2);

            ConsumerRecord<byte[], byte[]> deadPayment = readOne("it-payments.DLT");
            assertThat(text(deadPayment.value())).isEqualTo("bad");
            assertThat(listeners.badAttempts).as("delivered max-attempts times").hasValue(4);
            // Spring Kafka's dead-letter headers (kafka_dlt-*): the exception is its wrapper, the cause what the
            // listener threw, the message both; partition and offset are big-endian binary numbers.
            assertThat(header(deadPayment, KafkaHeaders.DLT_ORIGINAL_TOPIC)).isEqualTo("it-payments");
            assertThat(header(deadPayment, KafkaHeaders.DLT_EXCEPTION_FQCN))
                    .isEqualTo(ListenerExecutionFailedException.class.getName());
            assertThat(header(deadPayment, KafkaHeaders.DLT_EXCEPTION_CAUSE_FQCN)).isEqualTo("java.lang.IllegalStateException");
            assertThat(header(deadPayment, KafkaHeaders.DLT_EXCEPTION_MESSAGE)).endsWith("; cannot pay bad");
            assertThat(header(deadPayment, KafkaHeaders.DLT_ORIGINAL_CONSUMER_GROUP)).isEqualTo("payments");
            int partition = ByteBuffer.wrap(rawHeader(deadPayment, KafkaHeaders.DLT_ORIGINAL_PARTITION)).getInt();
            long offset = ByteBuffer.wrap(rawHeader(deadPayment, KafkaHeaders.DLT_ORIGINAL_OFFSET)).getLong();
            ConsumerRecord<byte[], byte[]> original = readAt(new TopicPartition("it-payments", partition), offset);
            assertThat(text(original.value())).as("the headers point at the original").isEqualTo("bad");
            assertThat(deadPayment.key()).isEqualTo(original.key());
            assertThat(deadPayment.partition()).as("the dead letter in its original's partition").isEqualTo(partition);
            assertThat(admin.describeTopics(List.of("it-payments.DLT")).allTopicNames().get(10, TimeUnit.SECONDS)
                    .get("it-payments.DLT").partitions()).as("created like its source topic").hasSize(3);

            ConsumerRecord<byte[], byte[]> poison = readOne("it-poison.DLT");
            assertThat(text(poison.value())).isEqualTo("{not json");
            assertThat(header(poison, KafkaHeaders.DLT_EXCEPTION_STACKTRACE))
                    .contains(ConversionException.class.getName() + ": the payload of it-poison-0@1 cannot be a");
            assertThat(ByteBuffer.wrap(rawHeader(poison, KafkaHeaders.DLT_ORIGINAL_OFFSET)).getLong()).isEqualTo(1);
            assertThat(listeners.orders).extracting(Order::id).containsExactly("1", "3");

            await("payments committed past the dead letter").atMost(DEADLINE)
                    .until(() -> committedTotal("payments") == endTotal("it-payments", 3));
        }
    }

    private long endTotal(String topic, int partitions) throws Exception {
        Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
        IntStream.range(0, partitions).forEach(p -> specs.put(new TopicPartition(topic, p), OffsetSpec.latest()));
        return admin.listOffsets(specs).all().get(10, TimeUnit.SECONDS).values().stream().mapToLong(i -> i.offset()).sum();
    }

    /** The one record of {@code topic} (waiting for it), checking there is no second. */
    private ConsumerRecord<byte[], byte[]> readOne(String topic) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        await("a record in " + topic).atMost(DEADLINE).ignoreExceptions().until(() -> {
            records.clear();
            int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic)
                    .partitions().size();
            try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(bootstrap)) {
                consumer.assign(IntStream.range(0, partitions).mapToObj(p -> new TopicPartition(topic, p)).toList());
                records.addAll(KafkaClients.drain(consumer));
            }
            return !records.isEmpty();
        });
        assertThat(records).hasSize(1);
        return records.get(0);
    }

    private ConsumerRecord<byte[], byte[]> readAt(TopicPartition tp, long offset) {
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(bootstrap)) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, offset);
            return KafkaClients.drain(consumer).get(0);
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        return text(rawHeader(record, name));
    }

    private static byte[] rawHeader(ConsumerRecord<byte[], byte[]> record, String name) {
        return record.headers().lastHeader(name).value();
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------- manual acknowledgment

    @SpringBootConfiguration
    @ImportAutoConfiguration({RunnelClientAutoConfiguration.class, LogListenerAutoConfiguration.class})
    static class ManualApp {

        @Bean
        ManualListener manualListener(@Value("${it.ack-below}") int ackBelow) {
            return new ManualListener(ackBelow);
        }
    }

    static class ManualListener {

        final int ackBelow;
        final List<String> received = new CopyOnWriteArrayList<>();

        ManualListener(int ackBelow) {
            this.ackBelow = ackBelow;
        }

        @LogListener(topics = "it-manual", groupId = "manual")
        void on(String value, Acknowledgment ack) {
            received.add(value);
            if (Integer.parseInt(value.substring(1)) < ackBelow) {
                ack.acknowledge();
            }
        }
    }

    @Test
    void manualAcknowledgmentCommitsOnlyWhatWasAcknowledged() throws Exception {
        createTopic("it-manual", 1);
        List<String> values = IntStream.range(0, 10).mapToObj(i -> "a" + i).toList();
        try (ConfigurableApplicationContext app = app(ManualApp.class, "runnel.client.listener.ack-mode=MANUAL",
                "it.ack-below=5")) {
            sendAll(app.getBean(LogTemplate.class), "it-manual", values);
            ManualListener listener = app.getBean(ManualListener.class);
            await("all ten").atMost(DEADLINE).until(() -> listener.received.size() == 10);
            await("a0..a4 committed").atMost(DEADLINE).until(() -> committedTotal("manual") == 5);
        }
        assertThat(committedTotal("manual")).as("nothing past the last acknowledged record").isEqualTo(5);
        try (ConfigurableApplicationContext app = app(ManualApp.class, "runnel.client.listener.ack-mode=MANUAL_IMMEDIATE",
                "it.ack-below=100")) {
            ManualListener listener = app.getBean(ManualListener.class);
            await("the unacknowledged five again").atMost(DEADLINE).until(() -> listener.received.size() == 5);
            assertThat(listener.received).containsExactly("a5", "a6", "a7", "a8", "a9");
            await("all committed").atMost(DEADLINE).until(() -> committedTotal("manual") == 10);
        }
    }

    // ---------------------------------------------------------------- pause, resume, seeks, rebalance listeners

    @SpringBootConfiguration
    @ImportAutoConfiguration({RunnelClientAutoConfiguration.class, LogListenerAutoConfiguration.class})
    static class SeekApp {

        @Bean
        SeekingListener seekingListener() {
            return new SeekingListener();
        }

        @Bean
        RecordingRebalanceListener rebalanceListener() {
            return new RecordingRebalanceListener();
        }
    }

    static class SeekingListener implements LogSeekAware {

        final List<String> received = new CopyOnWriteArrayList<>();
        final List<SeekCallback> callbacks = new CopyOnWriteArrayList<>();
        final List<TopicPartition> assigned = new CopyOnWriteArrayList<>();

        @LogListener(id = "seeking", topics = "it-seek", groupId = "seeking")
        void on(String value) {
            received.add(value);
        }

        @Override
        public void registerSeekCallback(SeekCallback callback) {
            callbacks.add(callback);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions, SeekCallback callback) {
            assigned.addAll(partitions);
        }
    }

    static class RecordingRebalanceListener implements ConsumerRebalanceListener {

        final List<TopicPartition> assigned = new CopyOnWriteArrayList<>();

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            assigned.addAll(partitions);
        }
    }

    @Test
    void aContainerPausesResumesAndSeeksToBeginningOffsetTimestampAndEnd() throws Exception {
        createTopic("it-seek", 1);
        TopicPartition tp = new TopicPartition("it-seek", 0);
        try (ConfigurableApplicationContext app = app(SeekApp.class)) {
            LogTemplate template = app.getBean(LogTemplate.class);
            SeekingListener listener = app.getBean(SeekingListener.class);
            LogListenerContainer container = container(app, "seeking");
            for (int i = 0; i < 5; i++) {
                template.send("it-seek", 0, 1_000L + i, null, "a" + i, Map.of()).get(30, TimeUnit.SECONDS);
            }
            await("a0..a4").atMost(DEADLINE).until(() -> listener.received.size() == 5);
            assertThat(listener.assigned).containsExactly(tp);
            assertThat(app.getBean(RecordingRebalanceListener.class).assigned).containsExactly(tp);

            container.pause();
            assertThat(container.isPauseRequested()).isTrue();
            await("the pause in effect").atMost(DEADLINE).until(container::isPaused);
            for (int i = 0; i < 5; i++) {
                template.send("it-seek", 0, 2_000L + i, null, "b" + i, Map.of()).get(30, TimeUnit.SECONDS);
            }
            await("nothing while paused").during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
                    .until(() -> listener.received.size() == 5);
            container.resume();
            await("b0..b4 after resume").atMost(DEADLINE).until(() -> listener.received.size() == 10);
            assertThat(listener.received).containsExactly("a0", "a1", "a2", "a3", "a4", "b0", "b1", "b2", "b3", "b4");

            SeekCallback seeks = listener.callbacks.get(0);
            assertThat(container.seekCallbacks()).containsExactly(seeks);
            seeks.seekToTimestamp(List.of(tp), 2_002L).get(30, TimeUnit.SECONDS);
            await("b2..b4 again").atMost(DEADLINE).until(() -> listener.received.size() == 13);
            seeks.seek("it-seek", 0, 3).get(30, TimeUnit.SECONDS);
            await("a3.. again").atMost(DEADLINE).until(() -> listener.received.size() == 20);
            seeks.seekToBeginning(List.of(tp)).get(30, TimeUnit.SECONDS);
            await("everything again").atMost(DEADLINE).until(() -> listener.received.size() == 30);
            assertThat(listener.received.subList(10, 30)).containsExactly("b2", "b3", "b4", "a3", "a4", "b0", "b1",
                    "b2", "b3", "b4", "a0", "a1", "a2", "a3", "a4", "b0", "b1", "b2", "b3", "b4");
            seeks.seekToEnd(List.of(tp)).get(30, TimeUnit.SECONDS); // applied: what comes next is read
            template.send("it-seek", "c0").get(30, TimeUnit.SECONDS);
            await("only what came after").atMost(DEADLINE).until(() -> listener.received.size() >= 31);
            assertThat(listener.received.subList(30, listener.received.size())).containsExactly("c0");
        }
    }

    // ---------------------------------------------------------------- batches

    @SpringBootConfiguration
    @ImportAutoConfiguration({RunnelClientAutoConfiguration.class, LogListenerAutoConfiguration.class})
    static class BatchApp {

        @Bean
        BatchListener batchListener() {
            return new BatchListener();
        }
    }

    static class BatchListener {

        final List<Integer> sizes = new CopyOnWriteArrayList<>();
        final List<Order> orders = new CopyOnWriteArrayList<>();
        final AtomicInteger mismatches = new AtomicInteger();

        @LogListener(topics = "it-batch", groupId = "batch", batch = "true")
        void on(List<Order> batch, @LogKey List<String> keys, List<ConsumerRecord<byte[], byte[]>> records) {
            sizes.add(batch.size());
            for (int i = 0; i < batch.size(); i++) {
                if (!keys.get(i).equals("key-" + batch.get(i).id()) || records.get(i).key() == null) {
                    mismatches.incrementAndGet();
                }
            }
            orders.addAll(batch);
        }
    }

    @Test
    void aBatchListenerGetsEachPollAsLists() throws Exception {
        createTopic("it-batch", 2);
        List<Order> orders = IntStream.range(0, 500).mapToObj(i -> new Order(Integer.toString(i), i)).toList();
        try (ConfigurableApplicationContext app = app(BatchApp.class)) {
            LogTemplate template = app.getBean(LogTemplate.class);
            sendAll(template, "it-batch", orders);
            BatchListener listener = app.getBean(BatchListener.class);
            await("all 500").atMost(DEADLINE).until(() -> listener.orders.size() >= 500);
            assertThat(listener.orders).containsExactlyInAnyOrderElementsOf(orders);
            assertThat(listener.sizes).as("batch sizes").anyMatch(size -> size > 1);
            assertThat(listener.mismatches).hasValue(0);
            await("committed").atMost(DEADLINE).until(() -> committedTotal("batch") == 500);
        }
    }
}
