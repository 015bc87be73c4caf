package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.MetadataResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Brokers killed with {@code kill -9} and restarted, one after the other, {@value #RESTARTS}
 * times, while a librdkafka producer and a three-member consumer group use a topic and a prober
 * asks every broker for the cluster's metadata every {@value #PROBE_MS} ms. A broker may refuse a
 * client or answer with a retriable error while it catches up after a restart; it may never
 * answer as if a live topic did not exist or had fewer partitions. The librdkafka part runs where
 * Debian's {@code python3-confluent-kafka} is installed (it is skipped with a message otherwise);
 * the prober always runs. In the {@code faults} profile: {@code ./mvnw -Pfaults -pl cluster-tests
 * -am verify}.
 */
class BrokerRestartMetadataProcessTest {

    private static final int RESTARTS = Integer.getInteger("runnel.restarts", 20);
    private static final int PROBE_MS = 100;
    private static final String TOPIC = "restarts";
    private static final int PARTITIONS = 6;
    private static final Duration DEADLINE = Duration.ofSeconds(90);
    private static final Path LOAD_SCRIPT = Path.of("src", "test", "clients", "confluent-kafka-python",
            "restart_load.py");

    private FaultCluster cluster;
    private Process load;
    private volatile boolean probing = true;

    @AfterEach
    void stop() throws Exception {
        probing = false;
        if (load != null) {
            load.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void noBrokerEverAnswersMetadataWithoutALiveTopicAcrossKillNineRestarts() throws Exception {
        cluster = new FaultCluster("restart-metadata", Duration.ofSeconds(6)); // assigned first: closed even if start fails
        cluster.start(1, 3, DEADLINE);
        cluster.admin().createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 3))).all().get(30, TimeUnit.SECONDS);
        cluster.awaitFullIsr(TOPIC, 3, DEADLINE);
        await("every broker serves the topic").atMost(DEADLINE).ignoreExceptions().until(() -> cluster.brokerIds()
                .stream().allMatch(id -> probe(cluster.kafkaPort(id)) == Probe.COMPLETE));

        Prober prober = new Prober();
        Thread probeThread = new Thread(prober, "metadata-prober");
        probeThread.start();
        load = startLibrdkafkaLoad();

        for (int restart = 1; restart <= RESTARTS; restart++) {
            int id = 1 + (restart - 1) % 3;
            String broker = FaultCluster.brokerName(id);
            cluster.kill(broker);
            // On the port the prober and the load know, so both reach it from its first moment.
            cluster.restartOnItsKafkaPort(id);
            // Registered under its new session and serving clients again: only then the next kill.
            await(broker + " serves the topic again, restart " + restart).atMost(DEADLINE)
                    .pollInterval(Duration.ofMillis(250)).until(() -> probe(cluster.kafkaPort(id)) == Probe.COMPLETE);
            cluster.awaitFullIsr(TOPIC, 3, DEADLINE);
        }

        probing = false;
        probeThread.join(10_000);
        String loadSummary = stopLibrdkafkaLoad();
        System.out.printf("Restart loop: %d kill -9 restarts; prober: %d Metadata answers, %d complete, %d missing the"
                + " live topic or some of its partitions, %d refused or retriable (reasons over all probes, restart"
                + " waits included: %s); librdkafka: %s%n", RESTARTS,
                prober.answers.get(), prober.complete.get(), prober.missing.get(), prober.refused.get(), refusals,
                loadSummary == null ? "skipped (python3-confluent-kafka not installed)" : loadSummary);
        assertThat(prober.missing.get()).as("Metadata answers without the live topic: %s", prober.examples).isZero();
        assertThat(prober.complete.get()).isPositive();
        if (loadSummary != null) {
            assertThat(loadSummary).contains("\"samples_missing\": 0").contains("\"unknown_topic_errors\": 0")
                    .contains("\"lost\": 0");
        }
    }

    /** What one Metadata request to one broker found. */
    enum Probe {
        /** The topic with all its partitions. */
        COMPLETE,
        /** No answer, a closed connection, or a retriable error: allowed while a broker catches up. */
        REFUSED,
        /** An answer without the topic, with UNKNOWN_TOPIC_OR_PARTITION, or with fewer partitions. */
        MISSING
    }

    /** Asks every broker in turn, over and over, until told to stop. */
    private final class Prober implements Runnable {
        final AtomicLong answers = new AtomicLong();
        final AtomicLong complete = new AtomicLong();
        final AtomicLong missing = new AtomicLong();
        final AtomicLong refused = new AtomicLong();
        final Map<String, Integer> examples = new ConcurrentHashMap<>();

        @Override
        public void run() {
            while (probing) {
                for (int id : cluster.brokerIds()) {
                    Probe probe = probe(cluster.kafkaPort(id));
                    switch (probe) {
                        case COMPLETE -> complete.incrementAndGet();
                        case REFUSED -> refused.incrementAndGet();
                        case MISSING -> {
                            missing.incrementAndGet();
                            examples.merge("broker-" + id, 1, Integer::sum);
                        }
                    }
                    if (probe != Probe.REFUSED) {
                        answers.incrementAndGet();
                    }
                }
                try {
                    TimeUnit.MILLISECONDS.sleep(PROBE_MS); // the probing pace, not a wait for a condition
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private static final Map<String, Integer> refusals = new ConcurrentHashMap<>();

    private static Probe probe(int port) {
        MetadataResponseData data;
        try {
            data = ((MetadataResponse) KafkaWireClient.send(port, ApiKeys.METADATA, (short) 12,
                    new MetadataRequestData().setTopics(null), Duration.ofSeconds(2))).data();
        } catch (IOException e) {
            refusals.merge(e.getClass().getSimpleName(), 1, Integer::sum);
            return Probe.REFUSED;
        }
        MetadataResponseData.MetadataResponseTopic topic = data.topics().find(TOPIC);
        if (topic == null || topic.errorCode() == Errors.UNKNOWN_TOPIC_OR_PARTITION.code()) {
            return Probe.MISSING;
        }
        if (topic.errorCode() != Errors.NONE.code()) {
            Errors error = Errors.forCode(topic.errorCode());
            refusals.merge(error.name(), 1, Integer::sum);
            return error.exception() instanceof RetriableException ? Probe.REFUSED : Probe.MISSING;
        }
        return topic.partitions().size() == PARTITIONS ? Probe.COMPLETE : Probe.MISSING;
    }

    /** The librdkafka load, or null where python3-confluent-kafka is not installed. */
    private Process startLibrdkafkaLoad() throws IOException, InterruptedException {
        Process check = ChildProcesses.start(new ProcessBuilder("/usr/bin/python3", "-c", "import confluent_kafka")
                .redirectErrorStream(true));
        if (!check.waitFor(30, TimeUnit.SECONDS) || check.exitValue() != 0) {
            System.out.println("BrokerRestartMetadataProcessTest: python3-confluent-kafka is not installed; only the"
                    + " Metadata prober runs (apt-get install python3-confluent-kafka for the librdkafka load)");
            return null;
        }
        List<String> command = new ArrayList<>(List.of("/usr/bin/python3", LOAD_SCRIPT.toString(),
                cluster.bootstrap(cluster.brokerIds()), TOPIC, Integer.toString(PARTITIONS)));
        return ChildProcesses.start(new ProcessBuilder(command).redirectError(cluster.logFile("restart-load-stderr")));
    }

    private String stopLibrdkafkaLoad() throws IOException, InterruptedException {
        if (load == null) {
            return null;
        }
        load.getOutputStream().close();
        // It prints one line, at the end: its exit is awaited with a deadline before its output is read.
        boolean exited = load.waitFor(180, TimeUnit.SECONDS);
        if (!exited) {
            load.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        assertThat(exited).as("librdkafka load stopped within 180 s").isTrue();
        String summary = null;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(load.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                if (line.startsWith("RESTARTLOAD ")) {
                    summary = line.substring("RESTARTLOAD ".length());
                }
            }
        }
        assertThat(summary).as("librdkafka load summary").isNotNull();
        return summary;
    }
}
