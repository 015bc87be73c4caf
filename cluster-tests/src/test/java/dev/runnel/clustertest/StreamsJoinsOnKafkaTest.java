package dev.runnel.clustertest;

import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link StreamsJoinsFailoverTest}'s exactly_once_v2 run (two instances of examples/streams-joins as
 * processes, one killed with {@code kill -9}, the exact output and the survivor's interactive
 * queries) against Apache Kafka 4.4 (one KRaft node, {@link KafkaReferenceBroker}): the same input
 * gives the same output there, so what the scenario expects is Kafka Streams' behaviour and not
 * Runnel's. Needs Kafka's broker, gathered only with {@code -Pbench}: the {@code kafka-reference}
 * profile runs it (README, Tests).
 */
class StreamsJoinsOnKafkaTest {

    @Test
    void theFailoverRunGivesTheSameExactOutputOnApacheKafka(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("kafka"));
        Files.createDirectories(dir.resolve("streams"));
        try (KafkaReferenceBroker kafka = KafkaReferenceBroker.start(dir.resolve("kafka"))) {
            StreamsJoinsFailoverTest.runOn(kafka.bootstrap(), 1, StreamsConfig.EXACTLY_ONCE_V2,
                    "streams-joins-eos-on-kafka", dir.resolve("streams"));
        }
    }
}
