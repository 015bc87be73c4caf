package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import dev.runnel.testing.TempLogDirs;

/**
 * MirrorMaker 2 between Runnel and Apache Kafka, both ways (issue 26, item 3): a Runnel cluster
 * (alias {@code R}: a controller and three brokers, {@link InJvmCluster}) and Apache Kafka 4.4
 * (alias {@code K}: one KRaft node, {@link KafkaReferenceBroker}), and one Kafka 4.3.1 MirrorMaker
 * process with both flows {@code R->K} and {@code K->R} enabled. Each flow runs {@link
 * MirrorMakerScenario#run} in turn: topic, partitions, config and 10,000 records mirrored, a
 * group's offsets translated by its checkpoint and synced, the group failed over to the other
 * side without a gap. Replication factors: 3 on Runnel, 1 on the one-node Kafka (set per flow). Needs Kafka's broker, gathered only with {@code -Pbench}: the {@code
 * kafka-reference} profile runs it (README, Tests); skipped with a message without the jars.
 */
class MirrorMakerOnKafkaTest {

    private final Closeables open = new Closeables();
    private final Path logs = Path.of("target", "mirror-maker").toAbsolutePath();

    @AfterEach
    void stop() throws Exception {
        open.close();
    }

    @Test
    void mirrorsBothWaysBetweenRunnelAndApacheKafka() throws Exception {
        Path kafkaJars = Path.of("..", "kafka-reference", "broker", "target", "kafka-broker").toAbsolutePath()
                .normalize();
        Assumptions.assumeTrue(Files.isDirectory(kafkaJars), "Apache Kafka's broker is not in " + kafkaJars
                + "; gather it with ./mvnw -Pbench -DskipTests install -pl kafka-reference/broker -am");
        Files.createDirectories(logs);
        Path work = TempLogDirs.create("runnel-mm2-kafka-");
        open.add(() -> TempLogDirs.deleteRecursively(work));
        Files.createDirectories(work.resolve("kafka"));
        InJvmCluster runnel = new InJvmCluster();
        open.add(runnel);
        runnel.startControllerAndBrokers(3);
        KafkaReferenceBroker kafka = KafkaReferenceBroker.start(work.resolve("kafka"));
        open.add(kafka);
        String r = runnel.bootstrap(1, 2, 3);
        String k = kafka.bootstrap();
        System.out.printf("mm2: Runnel (R) at %s, Apache Kafka (K) at %s%n", r, k);

        Map<String, String> mm2 = new LinkedHashMap<>();
        mm2.put("clusters", "R, K");
        mm2.put("R.bootstrap.servers", r);
        mm2.put("K.bootstrap.servers", k);
        mm2.put("R->K.enabled", "true");
        mm2.put("R->K.topics", "orders.*");
        mm2.put("K->R.enabled", "true");
        mm2.put("K->R.topics", "orders.*");
        // Topics on the target: the mirrored topic, checkpoints, heartbeats; offset syncs live on the source.
        for (String[] flow : List.of(new String[] {"R->K", "1", "3"}, new String[] {"K->R", "3", "1"})) {
            mm2.put(flow[0] + ".replication.factor", flow[1]);
            mm2.put(flow[0] + ".checkpoints.topic.replication.factor", flow[1]);
            mm2.put(flow[0] + ".heartbeats.topic.replication.factor", flow[1]);
            mm2.put(flow[0] + ".offset-syncs.topic.replication.factor", flow[2]);
        }
        // Each target cluster's Connect topics (mm2-configs/offsets/status.<source>.internal): worker settings,
        // which the herder of a flow takes prefixed with its target cluster's alias.
        for (String[] cluster : List.of(new String[] {"K", "1"}, new String[] {"R", "3"})) {
            for (String key : List.of("offset.storage.replication.factor", "config.storage.replication.factor",
                    "status.storage.replication.factor")) {
                mm2.put(cluster[0] + "." + key, cluster[1]);
            }
        }
        mm2.putAll(MirrorMakerScenario.commonSettings("K", "R"));
        NodeProcess mirrorMaker = MirrorMakerScenario.startMirrorMaker("mm2-runnel-kafka", mm2, logs);
        open.add(mirrorMaker);
        try {
            MirrorMakerScenario.run(new MirrorMakerScenario.Flow("R", r, (short) 3, "K", k, (short) 1, "orders",
                    "billing-r", work));
            MirrorMakerScenario.run(new MirrorMakerScenario.Flow("K", k, (short) 1, "R", r, (short) 3, "orders",
                    "billing-k", work));
        } catch (AssertionError | RuntimeException e) {
            System.out.println("mm2: MirrorMaker's log tail:\n" + mirrorMaker.logTail());
            throw e;
        }
        assertThat(mirrorMaker.isAlive()).as("MirrorMaker still runs").isTrue();
    }
}
