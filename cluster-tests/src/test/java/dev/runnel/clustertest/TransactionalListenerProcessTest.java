package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.transaction.KafkaTransactionManager;
import org.springframework.transaction.support.DefaultTransactionStatus;

import dev.runnel.client.autoconfigure.LogListenerAutoConfiguration;
import dev.runnel.client.autoconfigure.RunnelClientAutoConfiguration;
import dev.runnel.client.core.LogTemplate;
import dev.runnel.client.core.SendResult;
import dev.runnel.client.listener.LogKey;
import dev.runnel.client.listener.LogListener;
import dev.runnel.client.listener.LogOffset;
import dev.runnel.client.listener.LogPartition;

/**
 * Exactly once through the starter under {@code kill -9}: three broker processes (RF 3,
 * min.insync.replicas 2), a producer feeding {@code txl-in}, and in this JVM a Spring Boot
 * application whose transactional {@code @LogListener} ({@code
 * runnel.client.producer.transaction-id-prefix}) copies each input record to {@code txl-out}
 * through {@code LogTemplate}, the copy and the consumed offset in one Kafka transaction; some
 * deliveries fail on purpose after their copy was written. Meanwhile the broker coordinating one
 * of the listener's transactions and the leader of an output partition are killed with {@code
 * kill -9} in turn and restarted; the producer's short timeouts make some of the transactions open
 * at a kill fail and roll back, so those records are delivered again. Afterwards {@code txl-out}
 * read committed holds every input record exactly once, and the group's offsets are the input's end.
 *
 * <p>{@code runnel.txl-faults.count} faults (4 by default). The ecosystem profile runs it.
 */
class TransactionalListenerProcessTest {

    private static final Duration START = Duration.ofMinutes(2);
    private static final Duration DEADLINE = Duration.ofSeconds(180);
    private static final int PARTITIONS = 3;
    private static final String IN = "txl-in";
    private static final String OUT = "txl-out";
    private static final String GROUP = "txl-copier";
    private static final String PREFIX = "txl-copier-";
    private static final int FAULTS = Integer.getInteger("runnel.txl-faults.count", 4);

    private FaultCluster cluster;
    private SequencedProducer input;
    private ConfigurableApplicationContext app;

    @AfterEach
    void stopEverything() throws Exception {
        try {
            if (app != null) {
                app.close();
            }
        } finally {
            try {
                if (input != null) {
                    input.close();
                }
            } finally {
                if (cluster != null) {
                    cluster.close();
                }
            }
        }
    }

    // ---------------------------------------------------------------- the application

    @SpringBootConfiguration
    @ImportAutoConfiguration({RunnelClientAutoConfiguration.class, LogListenerAutoConfiguration.class})
    static class CopierApp {

        @Bean
        Copier copier(LogTemplate template) {
            return new Copier(template);
        }

        /** The starter's transaction manager, counting; the starter backs off for it. */
        @Bean
        CountingTransactionManager kafkaTransactionManager(ProducerFactory<Object, Object> producerFactory) {
            return new CountingTransactionManager(producerFactory);
        }
    }

    /** Copies {@code txl-in} to {@code txl-out} as {@code <partition>-<offset>=<value>}; each 50th input fails once. */
    static class Copier {

        private final LogTemplate template;
        final Set<String> failedOnce = ConcurrentHashMap.newKeySet();
        final AtomicLong deliveries = new AtomicLong();

        Copier(LogTemplate template) {
            this.template = template;
        }

        @LogListener(id = "txl-copier", topics = IN, groupId = GROUP, concurrency = "3")
        void copy(String value, @LogKey String key, @LogPartition int partition, @LogOffset long offset) {
            deliveries.incrementAndGet();
            CompletableFuture<SendResult> sent = template.send(OUT, key, partition + "-" + offset + "=" + value);
            if (SequencedProducer.seqOf(value) % 50 == 7 && failedOnce.add(value)) {
                sent.join(); // in the log, so that the abort has something to hide
                throw new IllegalStateException("the first delivery of " + value + " fails");
            }
        }
    }

    static class CountingTransactionManager extends KafkaTransactionManager<Object, Object> {

        final AtomicLong commits = new AtomicLong();
        final AtomicLong failedCommits = new AtomicLong();
        final AtomicLong rollbacks = new AtomicLong();

        CountingTransactionManager(ProducerFactory<Object, Object> producerFactory) {
            super(producerFactory);
        }

        @Override
        protected void doCommit(DefaultTransactionStatus status) {
            try {
                super.doCommit(status);
                commits.incrementAndGet();
            } catch (RuntimeException e) {
                failedCommits.incrementAndGet();
                throw e;
            }
        }

        @Override
        protected void doRollback(DefaultTransactionStatus status) {
            rollbacks.incrementAndGet();
            super.doRollback(status);
        }
    }

    private ConfigurableApplicationContext startApp(String bootstrap) {
        return new SpringApplicationBuilder(CopierApp.class).web(WebApplicationType.NONE).properties(
                "runnel.client.bootstrap-servers=" + bootstrap,
                "runnel.client.producer.transaction-id-prefix=" + PREFIX,
                "runnel.client.producer.linger=5ms", "runnel.client.producer.delivery-timeout=60s",
                // Short: a transaction that cannot finish while a broker is down fails and rolls back (and the
                // record comes again), instead of the producer riding the fault out within its retries.
                "runnel.client.producer.max-block=4s",
                "runnel.client.producer.properties.request.timeout.ms=3000",
                "runnel.client.producer.properties.transaction.timeout.ms=20000",
                "runnel.client.producer.properties.metadata.max.age.ms=5000",
                "runnel.client.consumer.properties.metadata.max.age.ms=5000",
                "runnel.client.consumer.session-timeout=10s", "runnel.client.consumer.heartbeat-interval=1s",
                "runnel.client.listener.poll-timeout=200ms", "runnel.client.listener.retry.initial-interval=100ms",
                "runnel.client.listener.retry.max-interval=500ms", "runnel.client.listener.retry.max-attempts=10",
                "spring.cloud.zookeeper.enabled=false", "spring.cloud.zookeeper.config.enabled=false").run();
    }

    // ---------------------------------------------------------------- the run

    @Test
    void everyInputIsWrittenOnceByATransactionalListenerThroughKillNineOfItsCoordinatorAndTheOutputLeader()
            throws Exception {
        long started = System.nanoTime();
        long seed = Long.getLong("runnel.faults.seed", System.nanoTime());
        Random random = new Random(seed);
        cluster = new FaultCluster("txlistener", Duration.ofSeconds(6), "--runnel.broker.replica-lag-time-max=10s",
                "--runnel.broker.transaction-state-log.partitions=3", "--runnel.broker.offsets-topic.partitions=3")
                .start(1, 3, START);
        for (String topic : List.of(IN, OUT)) {
            cluster.admin().createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 3)
                    .configs(Map.of("min.insync.replicas", "2")))).all().get(30, TimeUnit.SECONDS);
            cluster.awaitFullIsr(topic, 3, DEADLINE);
        }
        String bootstrap = cluster.bootstrap(cluster.brokerIds());
        // A record listener commits one transaction per record, some 20 a second here (2 cores, 3 broker
        // processes): an input rate it keeps up with, faults included.
        input = new SequencedProducer(bootstrap, IN, 10, Map.of()).start();
        app = startApp(bootstrap);
        Copier copier = app.getBean(Copier.class);
        CountingTransactionManager transactions = app.getBean(CountingTransactionManager.class);
        await("the listener commits transactions").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
                .until(() -> transactions.commits.get() >= 30);

        List<String> injected = new ArrayList<>();
        for (int round = 0; round < FAULTS; round++) {
            boolean coordinator = round % 2 == 0;
            int victim = coordinator ? transactionCoordinator() : cluster.leaderOf(OUT, random.nextInt(PARTITIONS));
            long commitsBefore = transactions.commits.get();
            cluster.kill(FaultCluster.brokerName(victim));
            injected.add((coordinator ? "transaction coordinator" : "leader of " + OUT) + " broker-" + victim);
            FaultCluster.sleep(Duration.ofMillis(1_500 + random.nextInt(2_000))); // paces the faults
            cluster.restartOnItsKafkaPort(victim);
            cluster.awaitFullIsr(IN, 3, DEADLINE);
            cluster.awaitFullIsr(OUT, 3, DEADLINE);
            await("transactions commit again").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
                    .until(() -> transactions.commits.get() > commitsBefore + 20);
        }

        input.stop();
        Map<TopicPartition, Long> inputEnds = KafkaClients.endOffsets(cluster.admin(), IN, PARTITIONS);
        await("the listener's offsets reach the input's end").atMost(DEADLINE).pollInterval(Duration.ofMillis(250))
                .ignoreExceptions().until(() -> KafkaClients.committedOffsets(cluster.admin(), GROUP).equals(inputEnds));
        app.close();
        await("no open transaction on " + OUT).atMost(DEADLINE).pollInterval(Duration.ofMillis(250))
                .ignoreExceptions().until(() -> lastStableOffsets(OUT).equals(KafkaClients.endOffsets(cluster.admin(), OUT,
                        PARTITIONS)));
        verify(copier, transactions, inputEnds, injected, seed, started);
    }

    /** The broker coordinating one of the listener's transactional ids, an ongoing one if there is one. */
    private int transactionCoordinator() {
        int[] coordinator = new int[1];
        await("the listener's transactional ids").atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
                .ignoreExceptions().until(() -> {
                    List<String> ids = cluster.admin().listTransactions().all().get(10, TimeUnit.SECONDS).stream()
                            .map(TransactionListing::transactionalId).filter(id -> id.startsWith(PREFIX)).toList();
                    Map<String, TransactionDescription> described = cluster.admin().describeTransactions(ids).all()
                            .get(10, TimeUnit.SECONDS);
                    TransactionDescription chosen = described.values().stream()
                            .filter(d -> d.state() == TransactionState.ONGOING).findFirst()
                            .orElse(described.values().iterator().next());
                    coordinator[0] = chosen.coordinatorId();
                    return true;
                });
        return coordinator[0];
    }

    private Map<TopicPartition, Long> lastStableOffsets(String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(cluster.bootstrap(cluster.brokerIds()),
                Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"))) {
            List<TopicPartition> partitions = partitions(topic);
            return new HashMap<>(consumer.endOffsets(partitions, Duration.ofSeconds(10)));
        }
    }

    private void verify(Copier copier, CountingTransactionManager transactions, Map<TopicPartition, Long> inputEnds,
            List<String> injected, long seed, long started) throws Exception {
        Map<String, String> inputs = new HashMap<>(); // "p-offset" -> value
        for (ConsumerRecord<byte[], byte[]> r : readAll(IN, "read_uncommitted")) {
            inputs.put(r.partition() + "-" + r.offset(), KafkaClients.text(r.value()));
        }
        List<String> copies = readAll(OUT, "read_committed").stream().map(r -> KafkaClients.text(r.value())).toList();
        int inLog = readAll(OUT, "read_uncommitted").size();
        Set<String> seen = new HashSet<>();
        List<String> duplicated = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        for (String copy : copies) {
            String from = copy.substring(0, copy.indexOf('='));
            if (!seen.add(from)) {
                duplicated.add(copy);
            }
            if (!copy.substring(copy.indexOf('=') + 1).equals(inputs.get(from))) {
                unknown.add(copy);
            }
        }
        Set<String> missing = new HashSet<>(inputs.keySet());
        missing.removeAll(seen);
        BitSet lost = input.ackedSeqs();
        inputs.values().forEach(v -> lost.clear((int) SequencedProducer.seqOf(v)));
        System.out.printf("transactional listener: seed %d, %d faults %s; %d records in (%d acknowledged, %d lost), "
                        + "%d out read committed, %d more records of aborted transactions in the log; %d deliveries, "
                        + "%d failed on purpose, %d transactions committed, %d rolled back (%d for the faults, %d of them failed "
                        + "commits); %.1f s%n",
                seed, injected.size(), injected, inputs.size(), input.acknowledged(), lost.cardinality(), copies.size(),
                inLog - copies.size(), copier.deliveries.get(), copier.failedOnce.size(), transactions.commits.get(),
                transactions.rollbacks.get(), transactions.rollbacks.get() - copier.failedOnce.size(),
                transactions.failedCommits.get(), (System.nanoTime() - started) / 1e9);

        assertThat(lost.cardinality()).as("acknowledged input records missing from the input topic").isZero();
        assertThat(duplicated).as("written twice (an aborted transaction's copy visible, or a copy committed twice)")
                .isEmpty();
        assertThat(unknown).as("copies of nothing in the input").isEmpty();
        assertThat(missing).as("input records never written").isEmpty();
        assertThat(copies).hasSize(inputs.size());
        assertThat(copier.failedOnce).as("deliveries failed on purpose").isNotEmpty();
        assertThat(transactions.rollbacks.get()).as("each failed delivery rolled back")
                .isGreaterThanOrEqualTo(copier.failedOnce.size());
        assertThat(inLog - copies.size()).as("the aborted copies are in the log, never read committed")
                .isGreaterThanOrEqualTo(copier.failedOnce.size());
        assertThat(KafkaClients.committedOffsets(cluster.admin(), GROUP)).as("the group's offsets").isEqualTo(inputEnds);
    }

    private static List<TopicPartition> partitions(String topic) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            partitions.add(new TopicPartition(topic, p));
        }
        return partitions;
    }

    /** Every record of {@code topic} up to its end (the last stable offset with read_committed). */
    private List<ConsumerRecord<byte[], byte[]>> readAll(String topic, String isolation) {
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(cluster.bootstrap(cluster.brokerIds()),
                Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation))) {
            List<TopicPartition> partitions = partitions(topic);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            List<ConsumerRecord<byte[], byte[]>> all = new ArrayList<>();
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
                assertThat(System.nanoTime()).as("read %s to its end %s", topic, ends).isLessThan(deadline);
                consumer.poll(Duration.ofMillis(200)).forEach(all::add);
            }
            return all;
        }
    }
}
