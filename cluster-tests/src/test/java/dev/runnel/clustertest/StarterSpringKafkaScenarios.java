package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.kafka.annotation.BackOff;
import org.springframework.kafka.annotation.DltHandler;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.annotation.RetryableTopic;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.listener.BatchListenerFailedException;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.requestreply.ReplyingKafkaTemplate;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.messaging.handler.annotation.Header;
import org.springframework.messaging.handler.annotation.SendTo;

import dev.runnel.client.autoconfigure.LogListenerAutoConfiguration;
import dev.runnel.client.autoconfigure.RunnelClientAutoConfiguration;
import dev.runnel.client.core.LogTemplate;
import dev.runnel.client.core.SendResult;
import dev.runnel.client.listener.LogListener;
import dev.runnel.client.listener.LogOffset;
import dev.runnel.client.listener.LogPartition;

/**
 * Spring Kafka's own features in applications on the starter: {@code @RetryableTopic} with back-off
 * topics and a {@code @DltHandler} beside a {@code @LogListener}; an exception configured as not
 * retryable going straight to the dead-letter topic; {@code @SendTo} on a {@code @LogListener}
 * answering a {@code ReplyingKafkaTemplate}; a batch {@code @LogListener} naming its failed record
 * with {@code BatchListenerFailedException}, so that only that record reaches the dead-letter topic;
 * a transactional consume-process-produce {@code @LogListener} ({@code
 * runnel.client.producer.transaction-id-prefix}) whose failed deliveries abort and come again, each
 * input once in the output read committed. The scenarios only know a bootstrap address, so they run
 * against Runnel ({@link StarterSpringKafkaClusterTest}) and unchanged against Apache Kafka ({@link
 * StarterSpringKafkaOnKafkaTest}).
 */
abstract class StarterSpringKafkaScenarios extends StarterScenarios {

    private static void sendAll(LogTemplate template, String topic, List<String> values) throws Exception {
        List<CompletableFuture<?>> sent = new ArrayList<>();
        for (String value : values) {
            sent.add(template.send(topic, 0, null, null, value, Map.of()));
        }
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    }

    /** Every record of {@code topic} once at least {@code atLeast} are there, checking no more come. */
    private List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int atLeast) {
        return readAll(topic, atLeast, "read_uncommitted");
    }

    /** The same, read with {@code isolation} (Kafka's isolation.level). */
    private List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int atLeast, String isolation) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        await(atLeast + " records in " + topic).atMost(DEADLINE).ignoreExceptions().until(() -> {
            records.clear();
            int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic)
                    .partitions().size();
            try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(bootstrap,
                    Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation))) {
                consumer.assign(IntStream.range(0, partitions).mapToObj(p -> new TopicPartition(topic, p)).toList());
                records.addAll(KafkaClients.drain(consumer));
            }
            return records.size() >= atLeast;
        });
        return records;
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        return text(record.headers().lastHeader(name).value());
    }

    // ---------------------------------------------------------------- @RetryableTopic beside @LogListener

    @SpringBootConfiguration
    @ImportAutoConfiguration({RunnelClientAutoConfiguration.class, LogListenerAutoConfiguration.class})
    static class RetryTopicsApp {

        @Bean
        RetryTopicListeners retryTopicListeners() {
            return new RetryTopicListeners();
        }
    }

    static class RetryTopicListeners {

        final List<String> paid = new CopyOnWriteArrayList<>();
        final List<String> attempts = new CopyOnWriteArrayList<>();
        final List<String> deadLetters = new CopyOnWriteArrayList<>();
        final List<String> audited = new CopyOnWriteArrayList<>();

        @RetryableTopic(attempts = "3", backOff = @BackOff(delay = 200, multiplier = 2.0))
        @KafkaListener(id = "retryable", topics = "it-rt-payments", groupId = "rt-payments")
        void pay(String payment, @Header(KafkaHeaders.RECEIVED_TOPIC) String topic) {
            if (payment.equals("bad")) {
                attempts.add(topic);
                throw new IllegalStateException("cannot pay " + payment);
            }
            paid.add(payment);
        }

        @DltHandler
        void dead(String payment, @Header(KafkaHeaders.RECEIVED_TOPIC) String topic) {
            deadLetters.add(payment + "@" + topic);
        }

        @LogListener(topics = "it-rt-payments", groupId = "rt-audit")
        void audit(String payment) {
            audited.add(payment);
        }
    }

    @Test
    void aRetryableTopicListenerRetriesThroughBackOffTopicsThenItsDltHandlerBesideALogListener() throws Exception {
        createTopic("it-rt-payments", 1);
        try (ConfigurableApplicationContext app = app(RetryTopicsApp.class)) {
            sendAll(app.getBean(LogTemplate.class), "it-rt-payments", List.of("p0", "bad", "p1"));
            RetryTopicListeners listeners = app.getBean(RetryTopicListeners.class);

            await("the dead letter handled").atMost(DEADLINE).until(() -> listeners.deadLetters.size() == 1);
            assertThat(listeners.deadLetters).containsExactly("bad@it-rt-payments-dlt");
            assertThat(listeners.attempts).as("the main topic, then one back-off topic per delay")
                    .containsExactly("it-rt-payments", "it-rt-payments-retry-200", "it-rt-payments-retry-400");
            assertThat(listeners.paid).as("the failing record held nothing up").containsExactly("p0", "p1");
            await("the @LogListener of another group").atMost(DEADLINE).until(() -> listeners.audited.size() == 3);
            assertThat(listeners.audited).containsExactly("p0", "bad", "p1");
            assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS)).as("created by Spring Kafka's KafkaAdmin")
                    .contains("it-rt-payments-retry-200", "it-rt-payments-retry-400", "it-rt-payments-dlt");
        }
    }

    // ---------------------------------------------------------------- not retryable, and a batch's failed record

    /** An exception the application declares never worth a retry. */
    static class RejectedPayment extends RuntimeException {

        private static final long serialVersionUID = 1L;

        RejectedPayment(String message) {
            super(message);
        }
    }

    @SpringBootConfiguration
    @ImportAutoConfiguration({RunnelClientAutoConfiguration.class, LogListenerAutoConfiguration.class})
    static class FailuresApp {

        @Bean
        FailingListeners failingListeners() {
            return new FailingListeners();
        }
    }

    static class FailingListeners {

        final AtomicInteger rejectedAttempts = new AtomicInteger();
        final List<String> accepted = new CopyOnWriteArrayList<>();
        final List<String> batched = new CopyOnWriteArrayList<>();
        final AtomicInteger batchFailures = new AtomicInteger();

        @LogListener(topics = "it-rejects", groupId = "rejects")
        void accept(String payment) {
            if (payment.equals("rejected")) {
                rejectedAttempts.incrementAndGet();
                throw new RejectedPayment("no such account");
            }
            accepted.add(payment);
        }

        @LogListener(topics = "it-batch-fail", groupId = "batch-fail", batch = "true")
        void batch(List<String> values, List<ConsumerRecord<byte[], byte[]>> records) {
            for (int i = 0; i < values.size(); i++) {
                if (values.get(i).equals("bad")) {
                    batchFailures.incrementAndGet();
                    throw new BatchListenerFailedException("cannot take " + values.get(i), records.get(i));
                }
                batched.add(values.get(i));
            }
        }
    }

    @Test
    void aNotRetryableExceptionGoesStraightToTheDeadLetterTopic() throws Exception {
        createTopic("it-rejects", 1);
        try (ConfigurableApplicationContext app = app(FailuresApp.class, "runnel.client.listener.retry.max-attempts=4",
                "runnel.client.listener.retry.not-retryable=" + RejectedPayment.class.getName())) {
            sendAll(app.getBean(LogTemplate.class), "it-rejects", List.of("a", "rejected", "b"));
            FailingListeners listeners = app.getBean(FailingListeners.class);

            List<ConsumerRecord<byte[], byte[]>> dead = readAll("it-rejects.DLT", 1);
            assertThat(dead).extracting(r -> text(r.value())).containsExactly("rejected");
            assertThat(header(dead.get(0), KafkaHeaders.DLT_EXCEPTION_CAUSE_FQCN)).isEqualTo(RejectedPayment.class.getName());
            await("the others").atMost(DEADLINE).until(() -> listeners.accepted.size() == 2);
            assertThat(listeners.rejectedAttempts).as("delivered once, not max-attempts times").hasValue(1);
        }
    }

    @Test
    void aBatchListenerNamesItsFailedRecordAndOnlyThatRecordReachesTheDeadLetterTopic() throws Exception {
        createTopic("it-batch-fail", 1);
        List<String> values = new ArrayList<>(IntStream.range(0, 10).mapToObj(i -> "v" + i).toList());
        values.add(4, "bad");
        try (ConfigurableApplicationContext app = app(FailuresApp.class, "runnel.client.listener.retry.max-attempts=2")) {
            FailingListeners listeners = app.getBean(FailingListeners.class);
            sendAll(app.getBean(LogTemplate.class), "it-batch-fail", values);

            List<ConsumerRecord<byte[], byte[]>> dead = readAll("it-batch-fail.DLT", 1);
            await("the good records").atMost(DEADLINE).until(() -> listeners.batched.size() >= 10);
            assertThat(dead).extracting(r -> text(r.value())).as("only the failed record").containsExactly("bad");
            assertThat(ByteBuffer.wrap(dead.get(0).headers().lastHeader(KafkaHeaders.DLT_ORIGINAL_OFFSET).value())
                    .getLong()).isEqualTo(4);
            assertThat(listeners.batched).as("each good record once, in order: those before the failed one were"
                    + " committed, those after it delivered again without it")
                    .containsExactly("v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9");
            assertThat(listeners.batchFailures).as("max-attempts deliveries of the failed record").hasValue(2);
            await("committed past the dead letter").atMost(DEADLINE).until(() -> admin.listConsumerGroupOffsets("batch-fail")
                    .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS)
                    .get(new TopicPartition("it-batch-fail", 0)).offset() == 11);
        }
    }

    // ---------------------------------------------------------------- @SendTo and ReplyingKafkaTemplate

    @SpringBootConfiguration
    @ImportAutoConfiguration({RunnelClientAutoConfiguration.class, LogListenerAutoConfiguration.class})
    static class ReplyApp {

        @Bean
        Replier replier() {
            return new Replier();
        }
    }

    static class Replier {

        @LogListener(topics = "it-requests", groupId = "replier")
        @SendTo
        String upper(String request) {
            return request.toUpperCase();
        }
    }

    @Test
    @SuppressWarnings({"unchecked", "rawtypes"})
    void aLogListenerWithSendToAnswersAReplyingKafkaTemplate() throws Exception {
        createTopic("it-requests", 2);
        createTopic("it-replies", 1);
        try (ConfigurableApplicationContext app = app(ReplyApp.class)) {
            ContainerProperties replies = new ContainerProperties("it-replies");
            replies.setGroupId("requester");
            ConcurrentMessageListenerContainer<Object, byte[]> replyContainer = new ConcurrentMessageListenerContainer(
                    app.getBean(ConsumerFactory.class), replies);
            ReplyingKafkaTemplate<Object, Object, byte[]> requester = new ReplyingKafkaTemplate<>(
                    app.getBean(ProducerFactory.class), replyContainer);
            requester.setDefaultReplyTimeout(DEADLINE);
            requester.start();
            try {
                await("the reply container has its partition").atMost(DEADLINE)
                        .until(() -> replyContainer.getAssignedPartitions().size() == 1);
                Set<String> answers = new TreeSet<>();
                for (String request : List.of("hello", "world")) {
                    ConsumerRecord<Object, byte[]> reply = requester.sendAndReceive(
                            new ProducerRecord<>("it-requests", request)).get(60, TimeUnit.SECONDS);
                    answers.add(text(reply.value()));
                }
                assertThat(answers).containsExactly("HELLO", "WORLD");
            } finally {
                requester.stop();
            }
        }
    }

    // ---------------------------------------------------------------- a transactional consume-process-produce listener

    @SpringBootConfiguration
    @ImportAutoConfiguration({RunnelClientAutoConfiguration.class, LogListenerAutoConfiguration.class})
    static class TransactionalApp {

        @Bean
        Copier copier(LogTemplate template) {
            return new Copier(template);
        }
    }

    /**
     * Reads {@code it-tx-in}, writes each record's copy to {@code it-tx-out} through the template, in
     * the container's transaction with the consumed offset; every seventh input fails its first
     * delivery after its copy was written, which aborts the transaction with that copy in it.
     */
    static class Copier {

        private final LogTemplate template;
        final Set<String> failedOnce = ConcurrentHashMap.newKeySet();
        final AtomicInteger deliveries = new AtomicInteger();

        Copier(LogTemplate template) {
            this.template = template;
        }

        @LogListener(id = "tx-copier", topics = "it-tx-in", groupId = "tx-copier")
        void copy(String value, @LogPartition int partition, @LogOffset long offset) {
            deliveries.incrementAndGet();
            CompletableFuture<SendResult> sent = template.send("it-tx-out", value,
                    "copy-of-" + value + "@" + partition + "-" + offset);
            if (Integer.parseInt(value.substring(3)) % 7 == 3 && failedOnce.add(value)) {
                sent.join(); // in the log, so that the abort has something to hide
                throw new IllegalStateException("the first delivery of " + value + " fails");
            }
        }
    }

    @Test
    void aTransactionalListenerWritesEveryInputOnceThoughFailedDeliveriesAbortAndComeAgain() throws Exception {
        createTopic("it-tx-in", 3);
        createTopic("it-tx-out", 3);
        int count = 300;
        List<String> inputs = IntStream.range(0, count).mapToObj(i -> "in-" + i).toList();
        try (ConfigurableApplicationContext app = app(TransactionalApp.class,
                "runnel.client.producer.transaction-id-prefix=it-tx-", "runnel.client.listener.retry.max-attempts=3")) {
            @SuppressWarnings("unchecked")
            KafkaTemplate<Object, Object> kafkaTemplate = app.getBean(KafkaTemplate.class);
            assertThat(app.getBean(LogTemplate.class).send("it-tx-in", "outside").handle((r, e) -> e))
                    .as("a transactional template sends only in a transaction").succeedsWithin(DEADLINE)
                    .isInstanceOf(IllegalStateException.class);
            // Outside a listener, the documented way: KafkaTemplate.executeInTransaction.
            kafkaTemplate.executeInTransaction(t -> {
                inputs.forEach(value -> t.send("it-tx-in", value, value));
                return null;
            });
            Copier copier = app.getBean(Copier.class);
            long failing = inputs.stream().filter(v -> Integer.parseInt(v.substring(3)) % 7 == 3).count();
            await("every input committed").atMost(DEADLINE).until(() -> committedOffsetsTotal("tx-copier") == count);
            assertThat(copier.failedOnce).hasSize((int) failing);
            assertThat(copier.deliveries.get()).as("the failed ones delivered again").isGreaterThanOrEqualTo(
                    count + (int) failing);

            List<String> copies = readAll("it-tx-out", count, "read_committed").stream().map(r -> text(r.value()))
                    .toList();
            List<String> ofInputs = copies.stream().map(c -> c.substring("copy-of-".length(), c.indexOf('@'))).toList();
            assertThat(ofInputs).as("each input exactly once, read committed").hasSize(count)
                    .containsExactlyInAnyOrderElementsOf(inputs);
            int inLog = readAll("it-tx-out", count, "read_uncommitted").size();
            System.out.printf("transactional listener: %d inputs, %d deliveries, %d failed first deliveries, %d copies"
                    + " read committed, %d copies of aborted transactions in the log%n", count, copier.deliveries.get(),
                    failing, copies.size(), inLog - copies.size());
            assertThat(inLog - copies.size()).as("the aborted copies are in the log, never read committed")
                    .isGreaterThanOrEqualTo((int) failing);
        }
    }

    private long committedOffsetsTotal(String group) throws Exception {
        return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS).values()
                .stream().mapToLong(o -> o.offset()).sum();
    }
}
