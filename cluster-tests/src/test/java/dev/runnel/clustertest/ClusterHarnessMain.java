package dev.runnel.clustertest;

import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

/**
 * A test JVM in miniature, for {@link NoNodeOutlivesItsTestJvmProcessTest}: starts a {@link
 * ProcessCluster} (controller 1, broker 1) and a {@link GroupConsumerProcess}, the way a test
 * does, waits until the nodes have reported their ports, starts broker 2 without waiting for it,
 * writes every child's pid to the file named by its argument, and then waits to be killed. It
 * never closes anything: that is the point.
 *
 * <p>The file (written whole, by a rename) holds {@code dir=<the cluster's directory>} and a
 * {@code <name>=<pid>} line per child.
 */
public final class ClusterHarnessMain {

    private ClusterHarnessMain() {
    }

    public static void main(String[] args) throws Exception {
        Path pidsFile = Path.of(args[0]);
        ProcessCluster cluster = new ProcessCluster("orphans");
        cluster.startController(1);
        cluster.startBroker(1);
        GroupConsumerProcess consumer = GroupConsumerProcess.start("consumer-1", cluster.dir(), cluster.bootstrap(),
                "orphans", "orphans", 10_000);
        cluster.controllerUrl(1); // reported: ready
        cluster.startBroker(2); // not waited for: still starting when this JVM is killed

        Properties pids = new Properties();
        pids.setProperty("dir", cluster.dir().toString());
        for (String node : List.of("controller-1", "broker-1", "broker-2")) {
            pids.setProperty(node, Long.toString(cluster.node(node).pid()));
        }
        pids.setProperty("consumer-1", Long.toString(consumer.pid()));
        Path written = Files.createTempFile(pidsFile.toAbsolutePath().getParent(), "pids", ".tmp");
        try (Writer out = Files.newBufferedWriter(written, StandardCharsets.ISO_8859_1)) {
            pids.store(out, "the children of " + ProcessHandle.current().pid());
        }
        Files.move(written, pidsFile, StandardCopyOption.ATOMIC_MOVE);

        new CountDownLatch(1).await(); // until kill -9
    }
}
