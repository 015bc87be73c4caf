package dev.runnel.clustertest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.runnel.testing.TempLogDirs;

/**
 * MirrorMaker 2 between two Runnel clusters (issue 26, item 3): clusters A and B, each a
 * controller and three brokers with a ZooKeeper of its own ({@link InJvmCluster}, every port
 * ephemeral), and Kafka 4.3.1's dedicated MirrorMaker ({@code connect-mirror-maker.sh}'s main) as
 * a child process mirroring {@code A->B} topics {@code orders.*}, with topic config sync,
 * checkpoints every second and group offset sync. {@link MirrorMakerScenario#run}: {@code orders}
 * (6 partitions, {@code retention.ms} set) appears on B as {@code A.orders} with the partitions,
 * RF 3 and the config; 10,000 records arrive exactly; group {@code billing} commits part-way on
 * A, its checkpoint translates (RemoteClusterUtils) and the offsets are synced into B's group;
 * the group fails over to B and reads on without a gap, repeating only the one batch it had
 * processed on A after its last commit. MirrorMaker's log: {@code target/mirror-maker/}.
 */
class MirrorMakerProcessTest {

    private final Closeables open = new Closeables();
    private final Path logs = Path.of("target", "mirror-maker").toAbsolutePath();

    @AfterEach
    void stop() throws Exception {
        open.close();
    }

    @Test
    void mirrorsTopicsRecordsAndGroupOffsetsBetweenTwoRunnelClusters() throws Exception {
        Files.createDirectories(logs);
        Path work = TempLogDirs.create("runnel-mm2-");
        open.add(() -> TempLogDirs.deleteRecursively(work));
        InJvmCluster a = new InJvmCluster();
        open.add(a);
        a.startControllerAndBrokers(3);
        InJvmCluster b = new InJvmCluster();
        open.add(b);
        b.startControllerAndBrokers(3);
        String bootstrapA = a.bootstrap(1, 2, 3);
        String bootstrapB = b.bootstrap(1, 2, 3);
        assertThat(a.connectString()).as("two ZooKeepers").isNotEqualTo(b.connectString());
        System.out.printf("mm2: cluster A at %s (ZooKeeper %s), cluster B at %s (ZooKeeper %s)%n", bootstrapA,
                a.connectString(), bootstrapB, b.connectString());

        Map<String, String> mm2 = new LinkedHashMap<>();
        mm2.put("clusters", "A, B");
        mm2.put("A.bootstrap.servers", bootstrapA);
        mm2.put("B.bootstrap.servers", bootstrapB);
        mm2.put("A->B.enabled", "true");
        mm2.put("A->B.topics", "orders.*");
        mm2.put("B->A.enabled", "false");
        for (String key : List.of("replication.factor", "checkpoints.topic.replication.factor",
                "heartbeats.topic.replication.factor", "offset-syncs.topic.replication.factor",
                "offset.storage.replication.factor", "config.storage.replication.factor",
                "status.storage.replication.factor")) {
            mm2.put(key, "3");
        }
        mm2.putAll(MirrorMakerScenario.commonSettings("B"));
        NodeProcess mirrorMaker = MirrorMakerScenario.startMirrorMaker("mm2-runnel-runnel", mm2, logs);
        open.add(mirrorMaker);
        try {
            MirrorMakerScenario.run(new MirrorMakerScenario.Flow("A", bootstrapA, (short) 3, "B", bootstrapB,
                    (short) 3, "orders", "billing", work));
        } catch (AssertionError | RuntimeException e) {
            System.out.println("mm2: MirrorMaker's log tail:\n" + mirrorMaker.logTail());
            throw e;
        }
        assertThat(mirrorMaker.isAlive()).as("MirrorMaker still runs").isTrue();
    }
}
