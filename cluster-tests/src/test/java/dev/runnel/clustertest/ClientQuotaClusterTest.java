package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client quotas end to end on an in-JVM cluster, set with Kafka 4.3's own {@code kafka-configs}:
 * a producer quota on client id {@code limited} holds that producer near 1 MiB/s while a producer
 * with client id {@code free}, on the same broker at the same time, is not held back. The measured
 * rates are printed (and recorded in {@code docs/benchmarks.md}); the test asserts only that the
 * limited one is throttled and the free one is far above it. A new client may send a window's worth
 * of quota at once (Kafka's rate is measured over at least 10 of its 11 one-second windows), so a
 * short run overshoots; {@code -Drunnel.quota.sending=PT180S} measures the long-run rate.
 */
class ClientQuotaClusterTest {

    private static final String CONFIG_COMMAND = "kafka.admin.ConfigCommand";
    private static final Duration TOOL_DEADLINE = Duration.ofSeconds(60);
    private static final Duration SENDING = Duration.parse(System.getProperty("runnel.quota.sending", "PT20S"));
    private static final double MIB = 1024 * 1024;
    /**
     * The unlimited producer's own pace, far above the quota but below what the disk takes for
     * minutes (unpaced, it writes 100 MiB/s and a long run fills the page cache and stalls the broker).
     */
    private static final long FREE_PACE = 24L * 1024 * 1024;
    private static final String TOPIC = "quota-test";

    @TempDir
    static Path toolsDir;
    private static InJvmCluster cluster;
    private static KafkaTools tools;
    private static String bootstrap;

    @BeforeAll
    static void startCluster() throws Exception {
        tools = KafkaTools.locate(toolsDir);
        cluster = new InJvmCluster();
        cluster.startControllerAndBrokers(1, "--runnel.broker.offsets-topic.replication-factor=1",
                "--runnel.broker.transaction-state-log.replication-factor=1");
        bootstrap = cluster.bootstrap(1);
        try (Admin admin = KafkaClients.admin(bootstrap)) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void kafkaConfigsSetsAProducerQuotaThatThrottlesOnlyItsClientId() throws Exception {
        KafkaTools.Result added = configs("--alter", "--add-config", "producer_byte_rate=1048576",
                "--entity-type", "clients", "--entity-name", "limited");
        assertThat(added.exitCode()).as(added.describe()).isZero();
        KafkaTools.Result userDefault = configs("--alter", "--add-config", "consumer_byte_rate=104857600",
                "--entity-type", "users", "--entity-default");
        assertThat(userDefault.exitCode()).as(userDefault.describe()).isZero();
        KafkaTools.Result refused = configs("--alter", "--add-config", "producer_byte_rate=1.5",
                "--entity-type", "clients", "--entity-name", "odd");
        assertThat(refused.exitCode()).as(refused.describe()).isNotZero();

        KafkaTools.Result clients = configs("--describe", "--entity-type", "clients");
        System.out.println("kafka-configs --describe --entity-type clients:\n" + clients.stdout());
        assertThat(clients.stdout()).as(clients.describe())
                .contains("Quota configs for client-id 'limited' are producer_byte_rate=1048576.0")
                .doesNotContain("odd");
        KafkaTools.Result users = configs("--describe", "--entity-type", "users");
        System.out.println("kafka-configs --describe --entity-type users:\n" + users.stdout());
        assertThat(users.stdout()).as(users.describe())
                .contains("Quota configs for the default user-principal are consumer_byte_rate=1.048576E8");

        Sender limited = new Sender("limited", 0);
        Sender free = new Sender("free", FREE_PACE);
        Thread limitedThread = new Thread(limited, "quota-test-limited");
        Thread freeThread = new Thread(free, "quota-test-free");
        limitedThread.start();
        freeThread.start();
        limitedThread.join(SENDING.plusSeconds(60).toMillis());
        freeThread.join(SENDING.plusSeconds(60).toMillis());
        assertThat(limited.failure.get()).isNull();
        assertThat(free.failure.get()).isNull();

        double limitedRate = limited.rate();
        double freeRate = free.rate();
        System.out.printf("client quota: producer_byte_rate=1048576 on client id 'limited'; over %d s on one broker "
                + "limited %.2f MiB/s (%.1f%% of the quota; second half %.2f MiB/s; producer throttle-time-avg "
                + "%.0f ms), free %.2f MiB/s (second half %.2f MiB/s, its own pace %.0f MiB/s)%n",
                SENDING.toSeconds(), limitedRate / MIB, 100 * limitedRate / MIB, limited.secondHalfRate() / MIB, limited.throttleTimeAvg, freeRate / MIB,
                free.secondHalfRate() / MIB, FREE_PACE / MIB);
        assertThat(limitedRate).as("the limited producer is throttled").isLessThan(1.5 * MIB);
        assertThat(freeRate).as("the free producer is not").isGreaterThan(3 * limitedRate);
    }

    private static KafkaTools.Result configs(String... args) throws Exception {
        String[] all = new String[args.length + 2];
        all[0] = "--bootstrap-server";
        all[1] = bootstrap;
        System.arraycopy(args, 0, all, 2, args.length);
        return tools.run(TOOL_DEADLINE, CONFIG_COMMAND, all);
    }

    /** Sends 64 KiB records for {@link #SENDING} and counts the bytes acknowledged in that time. */
    private static final class Sender implements Runnable {

        private final String clientId;
        private final AtomicLong acknowledged = new AtomicLong();
        private final AtomicBoolean sending = new AtomicBoolean(true);
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private volatile long elapsedNanos;
        /** Bytes acknowledged in the first half: the second half's rate is the steady one. */
        private volatile long firstHalf = -1;
        private volatile double throttleTimeAvg;

        /** Bytes per second this sender keeps to by itself; 0 for as fast as the broker takes them. */
        private final long pace;

        Sender(String clientId, long pace) {
            this.clientId = clientId;
            this.pace = pace;
        }

        double rate() {
            return acknowledged.get() / (elapsedNanos / 1e9);
        }

        /** The rate over the second half of the time, after a new client's first allowance. */
        double secondHalfRate() {
            return (acknowledged.get() - firstHalf) / (elapsedNanos / 2e9);
        }

        @Override
        public void run() {
            byte[] value = new byte[64 * 1024];
            try (KafkaProducer<byte[], byte[]> producer = KafkaClients.producer(bootstrap, Map.of(
                    ProducerConfig.CLIENT_ID_CONFIG, clientId, ProducerConfig.ACKS_CONFIG, "1",
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false, ProducerConfig.LINGER_MS_CONFIG, 5,
                    ProducerConfig.BUFFER_MEMORY_CONFIG, 2 * 1024 * 1024, ProducerConfig.MAX_BLOCK_MS_CONFIG, 60_000))) {
                long start = System.nanoTime();
                long end = start + SENDING.toNanos();
                long half = start + SENDING.toNanos() / 2;
                long offered = 0;
                while (System.nanoTime() < end && failure.get() == null) {
                    if (pace > 0) {
                        // a load generator's pace, not a wait for a condition
                        long due = start + (long) (offered * 1e9 / pace);
                        LockSupport.parkNanos(due - System.nanoTime());
                        offered += value.length;
                    }
                    if (firstHalf < 0 && System.nanoTime() >= half) {
                        firstHalf = acknowledged.get();
                    }
                    producer.send(new ProducerRecord<>(TOPIC, value), (metadata, e) -> {
                        if (!sending.get()) {
                            return; // after the measured time: counted for nothing, aborted at close
                        }
                        if (e != null) {
                            failure.compareAndSet(null, e);
                        } else {
                            acknowledged.addAndGet(value.length);
                        }
                    });
                }
                sending.set(false);
                elapsedNanos = System.nanoTime() - start;
                for (Map.Entry<MetricName, ? extends Metric> metric : producer.metrics().entrySet()) {
                    if (metric.getKey().name().equals("produce-throttle-time-avg")
                            && metric.getKey().group().equals("producer-metrics")) {
                        Object v = metric.getValue().metricValue();
                        throttleTimeAvg = v instanceof Double d && !d.isNaN() ? d : 0;
                    }
                }
                producer.close(Duration.ZERO);
            } catch (Exception | Error e) {
                failure.compareAndSet(null, e);
            }
        }
    }
}
