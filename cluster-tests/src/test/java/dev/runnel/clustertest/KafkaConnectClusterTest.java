package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.cli.ConnectDistributed;
import org.apache.kafka.connect.runtime.Connect;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.runnel.broker.storage.PartitionLog;

/**
 * Kafka Connect in distributed mode on Runnel (issue 23): a worker (connect-runtime from Maven
 * Central, in this JVM) keeps its connector configs, source offsets and statuses in its compacted
 * internal topics; Runnel's cleaners compact them; a new worker started after the first stopped
 * finds the connector from the config topic and its task continues from the committed source
 * offset, so no number is skipped and none is counted from 1 again.
 */
class KafkaConnectClusterTest {

    private static final Duration DEADLINE = Duration.ofSeconds(90);
    private static final String CONFIGS = "connect-configs";
    private static final String OFFSETS = "connect-offsets";
    private static final String STATUS = "connect-status";
    private static final String DATA = "counted";

    private InJvmCluster cluster;
    private String bootstrap;
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<Connect<?>> workers = new ArrayList<>();

    @BeforeEach
    void startCluster() throws Exception {
        cluster = new InJvmCluster();
        cluster.startControllerAndBrokers(3, "--runnel.broker.log-cleaner.backoff=100ms",
                "--runnel.broker.log-cleaner.dedupe-buffer-size=4MB");
        bootstrap = cluster.bootstrap(1, 2, 3);
        // The internal topics as Connect would create them (compacted, RF 3), with segments that roll
        // within the test so that the cleaners have something to clean.
        Map<String, String> compacted = Map.of("cleanup.policy", "compact", "segment.ms", "300",
                "min.cleanable.dirty.ratio", "0.01", "min.insync.replicas", "2");
        try (Admin admin = KafkaClients.admin(bootstrap)) {
            admin.createTopics(List.of(new NewTopic(CONFIGS, 1, (short) 3).configs(compacted),
                    new NewTopic(OFFSETS, 1, (short) 3).configs(compacted),
                    new NewTopic(STATUS, 1, (short) 3).configs(compacted),
                    new NewTopic(DATA, 1, (short) 3))).all().get(30, TimeUnit.SECONDS);
        }
    }

    @AfterEach
    void stop() throws Exception {
        for (Connect<?> worker : workers) {
            worker.stop();
            worker.awaitStop();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aRestartedWorkerFindsItsConnectorAndSourceOffsetsInCompactedTopics() throws Exception {
        Connect<?> first = startWorker();
        URI rest = first.rest().serverUrl();
        HttpResponse<String> created = http.send(HttpRequest.newBuilder(rest.resolve("/connectors"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"counter\",\"config\":{\"connector.class\":\""
                        + CountingSourceConnector.class.getName() + "\",\"tasks.max\":\"1\",\"topic\":\"" + DATA
                        + "\",\"batch\":\"10\"}}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);

        // Offsets are committed every 200 ms, each a record under the same key: the offsets topic
        // grows, and its cleaners keep it to the latest per key on every replica.
        await("the task writes and commits offsets").atMost(DEADLINE)
                .until(() -> log(OFFSETS, 1).logEndOffset() >= 20 && endOffset(DATA) >= 500);
        for (int broker = 1; broker <= 3; broker++) {
            int id = broker;
            await("broker " + id + " compacts " + OFFSETS).atMost(DEADLINE).pollInterval(Duration.ofMillis(200))
                    .until(() -> log(OFFSETS, id).logEndOffset() >= 30
                            && records(OFFSETS, id) * 3 < log(OFFSETS, id).logEndOffset());
        }
        await("the status topic compacts").atMost(DEADLINE)
                .until(() -> records(STATUS, 1) < log(STATUS, 1).logEndOffset());
        for (String topic : List.of(CONFIGS, OFFSETS, STATUS)) {
            System.out.printf("connect: %s on broker 1: %d records written, %d kept%n", topic,
                    log(topic, 1).logEndOffset(), records(topic, 1));
        }

        first.stop();
        first.awaitStop();
        workers.remove(first);
        long written = endOffset(DATA);

        Connect<?> second = startWorker();
        URI rest2 = second.rest().serverUrl();
        await("the new worker knows the connector from the config topic").atMost(DEADLINE).until(() -> {
            HttpResponse<String> list = http.send(HttpRequest.newBuilder(rest2.resolve("/connectors")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            return list.statusCode() == 200 && list.body().contains("\"counter\"");
        });
        await("its task goes on").atMost(DEADLINE).until(() -> endOffset(DATA) >= written + 200);
        second.stop();
        second.awaitStop();
        workers.remove(second);

        List<Long> numbers = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(bootstrap)) {
            TopicPartition tp = new TopicPartition(DATA, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            for (ConsumerRecord<byte[], byte[]> r : KafkaClients.drain(consumer)) {
                numbers.add(Long.parseLong(KafkaClients.text(r.value())));
            }
        }
        assertThat(numbers).hasSizeGreaterThan((int) written);
        // Every number from 1 on, in order; a restart may repeat what was written after the last offset
        // commit (at least once), but never starts over.
        long expected = 1;
        long repeats = 0;
        for (long n : numbers) {
            if (n < expected) {
                repeats++;
                continue;
            }
            assertThat(n).as("the number after %d", expected - 1).isEqualTo(expected);
            expected = n + 1;
        }
        assertThat(numbers.stream().filter(n -> n == 1L).count()).as("times the count started from 1").isEqualTo(1);
        assertThat(repeats).as("numbers written again after the restart").isLessThan(100);
    }

    private Connect<?> startWorker() {
        Map<String, String> props = new HashMap<>();
        props.put("bootstrap.servers", bootstrap);
        props.put("group.id", "connect-cluster");
        props.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
        props.put("value.converter", "org.apache.kafka.connect.storage.StringConverter");
        props.put("config.storage.topic", CONFIGS);
        props.put("offset.storage.topic", OFFSETS);
        props.put("status.storage.topic", STATUS);
        props.put("config.storage.replication.factor", "3");
        props.put("offset.storage.replication.factor", "3");
        props.put("status.storage.replication.factor", "3");
        props.put("offset.flush.interval.ms", "200");
        props.put("listeners", "http://127.0.0.1:0");
        props.put("rest.advertised.host.name", "127.0.0.1");
        props.put("plugin.discovery", "only_scan");
        Connect<?> worker = new ConnectDistributed().startConnect(props);
        workers.add(worker);
        return worker;
    }

    private long endOffset(String topic) throws Exception {
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.consumer(bootstrap)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            return consumer.endOffsets(List.of(tp)).get(tp);
        }
    }

    private PartitionLog log(String topic, int broker) {
        return ReplicaLogs.log(cluster, broker, topic, 0);
    }

    /** Records in broker {@code broker}'s replica of {@code topic}'s partition 0, up to its high watermark. */
    private long records(String topic, int broker) {
        return ReplicaLogs.recordCount(log(topic, broker));
    }
}
