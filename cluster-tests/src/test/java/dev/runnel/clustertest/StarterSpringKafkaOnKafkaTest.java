package dev.runnel.clustertest;

import java.nio.file.Path;

import dev.runnel.testing.TempLogDirs;

/**
 * {@link StarterSpringKafkaScenarios} unchanged against Apache Kafka (one KRaft node from Maven
 * Central's jars, see {@link KafkaReferenceBroker}): Spring Kafka's features on the starter behave
 * the same on both. Not part of the default build, since Kafka's broker is gathered only with
 * {@code -Pbench}; run it with {@code ./mvnw -Pkafka-reference -pl cluster-tests verify} (see README, Tests).
 */
class StarterSpringKafkaOnKafkaTest extends StarterSpringKafkaScenarios {

    private Path dir;
    private KafkaReferenceBroker kafka;

    @Override
    String startCluster() throws Exception {
        dir = TempLogDirs.create("kafka-reference-");
        kafka = KafkaReferenceBroker.start(dir);
        return kafka.bootstrap();
    }

    @Override
    void stopCluster() throws Exception {
        if (kafka != null) {
            kafka.close();
        }
        if (dir != null) {
            TempLogDirs.deleteRecursively(dir);
        }
    }
}
