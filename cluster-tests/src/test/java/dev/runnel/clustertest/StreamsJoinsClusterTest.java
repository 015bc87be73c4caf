package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.runnel.clustertest.StreamsJoinsScenario.Expected;
import dev.runnel.clustertest.StreamsJoinsScenario.Input;
import dev.runnel.clustertest.StreamsJoinsScenario.Output;
import dev.runnel.examples.streams.JoinsTopology;
import dev.runnel.examples.streams.StreamsJoinsApplication;

/**
 * The topology of {@code examples/streams-joins} (inner, left, windowed outer and foreign-key joins
 * and a windowed count: {@link JoinsTopology}) with {@code processing.guarantee=at_least_once}, one
 * instance in this JVM on one in-JVM broker: every output exactly as {@link StreamsJoinsScenario}
 * computes it from the input; the internal topics with the configs Kafka Streams asked for, and its
 * repartition topics purged through DeleteRecords; the state stores queried
 * ({@code KafkaStreams.store}) hold the whole expected state. The longer runs, exactly_once_v2 and
 * two instances as processes of which one is killed with {@code kill -9}, are in {@link
 * StreamsJoinsFailoverTest} (the {@code ecosystem} profile).
 */
class StreamsJoinsClusterTest {

    @Test
    void everyJoinAndTheWindowedCountGiveExactlyTheExpectedOutputAtLeastOnce(@TempDir Path stateDir)
            throws Exception {
        Instant start = Instant.now();
        try (InJvmCluster cluster = new InJvmCluster()) {
            cluster.startControllerAndBrokers(1, "--runnel.broker.offsets-topic.replication-factor=1",
                    "--runnel.broker.offsets-topic.partitions=3", "--runnel.broker.group.initial-rebalance-delay=0s");
            String bootstrap = cluster.bootstrap(1);
            String applicationId = "streams-joins-alos";
            try (Admin admin = KafkaClients.admin(bootstrap)) {
                StreamsJoinsScenario.createTopics(admin, 1, null);
                Input input = Input.generate(System.currentTimeMillis());
                Expected expected = Expected.of(input);

                Map<String, String> settings = StreamsJoinsScenario.streamsSettings(bootstrap, applicationId,
                        StreamsConfig.AT_LEAST_ONCE, stateDir.toString());
                Properties config = StreamsJoinsApplication.config(settings);
                List<Throwable> errors = new CopyOnWriteArrayList<>();
                try (KafkaProducer<String, String> producer = StreamsJoinsScenario.producer(bootstrap);
                        KafkaStreams streams = new KafkaStreams(JoinsTopology.build(), config)) {
                    streams.setUncaughtExceptionHandler(e -> {
                        errors.add(e);
                        e.printStackTrace();
                        return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
                    });
                    streams.start();
                    StreamsJoinsScenario.send(producer, StreamsJoinsScenario.tables(input));
                    StreamsJoinsScenario.awaitConsumed(admin, bootstrap, applicationId,
                            List.of(JoinsTopology.REGIONS, JoinsTopology.CUSTOMERS));
                    StreamsJoinsScenario.send(producer, input.orders(0, StreamsJoinsScenario.ORDER_COUNT));
                    StreamsJoinsScenario.awaitOrdersJoined(admin, bootstrap, applicationId);
                    StreamsJoinsScenario.send(producer, input.otherPayments(0));
                    StreamsJoinsScenario.awaitConsumed(admin, bootstrap, applicationId, List.of(JoinsTopology.PAYMENTS));
                    StreamsJoinsScenario.send(producer, input.windowClosers());

                    Output[] last = {null};
                    await("the whole output").atMost(StreamsJoinsScenario.DEADLINE).pollInterval(Duration.ofMillis(300))
                            .until(() -> (last[0] = Output.read(bootstrap)).complete(expected) || !errors.isEmpty());
                    assertThat(errors).as("stream thread errors").isEmpty();
                    Output output = Output.read(bootstrap);
                    System.out.printf("Streams joins (%s): %s after %s%n", applicationId, output,
                            StreamsJoinsScenario.describe(start));
                    StreamsJoinsScenario.assertExact(output, expected);

                    // Interactive queries: this one instance holds every partition of every store.
                    assertThat(parse(StreamsJoinsApplication.queryStore(streams, JoinsTopology.CUSTOMER_REGIONS_STORE)))
                            .as("the foreign-key join's store").isEqualTo(expected.customerRegionsTable());
                    assertThat(parse(StreamsJoinsApplication.queryStore(streams, JoinsTopology.ORDERS_PER_MINUTE_STORE)))
                            .as("the count's window store").isEqualTo(countsAsText(expected));

                    StreamsJoinsScenario.assertInternalTopicConfigs(admin, applicationId, null);
                    StreamsJoinsScenario.awaitRepartitionTopicsPurged(admin, applicationId);
                    streams.close(Duration.ofSeconds(30));
                }
            }
        }
        System.out.printf("Streams joins at least once: %s in all%n", StreamsJoinsScenario.describe(start));
    }

    static Map<String, String> parse(String lines) {
        Map<String, String> entries = new TreeMap<>();
        lines.lines().filter(line -> !line.isBlank()).forEach(line -> {
            int equals = line.indexOf('=');
            entries.put(line.substring(0, equals), line.substring(equals + 1));
        });
        return entries;
    }

    static Map<String, String> countsAsText(Expected expected) {
        Map<String, String> counts = new TreeMap<>();
        expected.counts().forEach((key, count) -> counts.put(key, count.toString()));
        return counts;
    }
}
